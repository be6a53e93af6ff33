//! The pure domain: ids, records, lifecycles, spec parsing, provenance and staleness.
//!
//! No GUI toolkit, no tokio, no redb here: everything is deterministic and unit-tested.

pub mod change;
pub mod context;
pub mod error_info;
pub mod event;
pub mod ids;
pub mod lifecycle;
pub mod permission;
pub mod permission_rules;
pub mod pull_request_link;
pub mod run;
pub mod run_reducer;
pub mod space;
pub mod spec;
pub mod spec_task;
pub mod staleness;
pub mod task;
pub mod time;
pub mod tool;
pub mod tool_call;
pub mod view;

pub use change::{Change, ChangeRecord};
pub use context::{
    ContextError, ContextErrorCode, ContextItem, ContextResult, ContextSnapshot, SnapshotSources,
    SourceRef,
};
pub use error_info::{ErrorCode, ErrorInfo};
pub use event::Event;
pub use ids::{IdGenerator, OwnerId, RunId, SessionId, SnapshotId, SpaceId, TaskId};
pub use lifecycle::{RunStatus, TaskStatus, TransitionError};
pub use permission::{
    AllowRule, ApprovalMode, Decider, PermissionAnswer, PermissionDecision, PermissionKind,
    PermissionPolicy, PermissionRequest, PermissionView,
};
pub use pull_request_link::{PublishState, PullRequestLink};
pub use run::{
    ContextView, Draft, InstructionSource, NewRun, ProviderExecution, ProviderStatus, RunContext,
    RunOptions, RunRecord, TimelineEntry,
};
pub use space::{ContextProviderKind, RepoInfo, Session, Space, WorktreeBinding};
pub use spec::{SpecRecord, SpecTick};
pub use spec_task::{SpecTask, TaskMark};
pub use staleness::{SourceState, StaleKind, StaleReason, Staleness, StalenessInputs};
pub use task::{EffectReceipt, PlannedTask, ReceiptOutcome, TaskKind, TaskRecord};
pub use time::{Clock, ManualClock, SharedClock, SystemClock, Timestamp};
pub use tool_call::{EffectDetail, ToolCallRecord, ToolCallStatus};
pub use view::{RunSummary, RunView};
