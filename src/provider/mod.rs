//! Model providers: what turns a prompt and its context into a plan, a spec draft and task results.
//!
//! The orchestrator talks to a [`Coordinator`]: one call drafts the spec (plan + markdown), then one call per
//! delegated task. The offline provider implements it deterministically; model-backed providers implement it
//! on top of a streaming chat client. Failures are [`ProviderError`]s, each with a code, remediation and
//! whether retrying can help.
//!
//! Dependencies point one way (see `docs/PROVIDERS.md`): the shared types (`error`, `choice`, `usage`,
//! `delta_sink`, `cancel`, `tls`) import nothing else here; `credentials` and `retry` build on them; the wire
//! formats (`wire/`) on those; the streaming client (`chat`) on the wire formats; the coordinators on the
//! client; and the `registry`, which builds them all, on everything.

pub mod cancel;
pub mod chat;
pub mod chat_coordinator;
pub mod chat_model;
pub mod choice;
pub mod conversation;
pub mod coordinator;
pub mod credentials;
pub mod delta_sink;
pub mod error;
pub mod http_chat_model;
pub mod limits;
pub mod offline;
pub mod registry;
pub mod retry;
pub mod secret_scrubber;
pub mod tls;
pub mod tool;
pub mod usage;
pub mod wire;

pub use cancel::cancellable_sleep;
pub use chat_model::ChatModel;
pub use choice::ProviderChoice;
pub use conversation::{AssistantTurn, Message, StopReason, TurnRequest, TurnScope};
pub use coordinator::{
    Coordinator, CoordinatorInput, CoordinatorOutput, EarlierTurn, TaskInput, TaskOutput,
};
pub use delta_sink::DeltaSink;
pub use error::ProviderError;
pub use limits::AgentLimits;
pub use registry::ProviderRegistry;
pub use secret_scrubber::{SecretScrubber, redact_url};
pub use tls::install_crypto_provider;
pub use tool::{ToolArguments, ToolCall, ToolDefinition, ToolResult};
pub use usage::Usage;
