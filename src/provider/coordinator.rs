//! The orchestrator's view of a provider: one call drafts the spec (plan + markdown), then one call per
//! delegated task.

use std::path::PathBuf;

use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;

use super::delta_sink::DeltaSink;
use super::error::ProviderError;
use super::usage::Usage;
use crate::model::{ContextItem, PlannedTask, TaskId};

/// What the coordinator is asked to plan from.
#[derive(Clone, Debug)]
pub struct CoordinatorInput {
    pub prompt: String,
    pub space_name: String,
    /// The run's context snapshot items, in rank order.
    pub items: Vec<ContextItem>,
    /// Name of the context provider that answered (`filesystem`, `mcp`).
    pub context_provider: String,
    /// The session's earlier turns, oldest first, summarised to fit a budget: a follow-up refines what
    /// came before instead of starting over.
    pub turns: Vec<EarlierTurn>,
    /// How many older turns were left out for length.
    pub turns_left_out: usize,
    /// The spec this run refines: the session's current spec, or (none applied yet) the newest earlier
    /// draft of the session with its run's progress marked. Empty on a session's first run.
    pub spec: String,
    /// When set, the run is for this spec task alone (`s3`): the spec is kept as it is.
    pub focus_task: Option<String>,
}

/// One earlier prompt of the session and what its run produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EarlierTurn {
    pub prompt: String,
    /// The run's status and its tasks' results, shortened.
    pub outcome: String,
}

/// The coordinator's answer: a plan and a spec draft with the six sections and a Tasks checklist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoordinatorOutput {
    pub plan: String,
    pub draft: String,
    pub usage: Usage,
}

/// One delegated task for a specialist.
#[derive(Clone, Debug)]
pub struct TaskInput {
    pub prompt: String,
    pub root: PathBuf,
    pub draft: String,
    pub task: PlannedTask,
    pub items: Vec<ContextItem>,
    /// Summaries of the tasks this one depends on, in dependency order.
    pub dependency_summaries: Vec<(TaskId, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskOutput {
    pub summary: String,
    pub usage: Usage,
}

/// Plans, drafts and executes delegated tasks. Implementations must honour `cancel` promptly.
pub trait Coordinator: Send + Sync {
    /// Provider name as recorded in `provider_execution.provider`.
    fn provider_name(&self) -> &str;
    /// Model name as recorded in `provider_execution.model`.
    fn model_name(&self) -> &str;

    /// Drafts the plan and the spec.
    fn draft<'a>(
        &'a self,
        input: &'a CoordinatorInput,
        deltas: DeltaSink,
        cancel: &'a CancellationToken,
    ) -> BoxFuture<'a, Result<CoordinatorOutput, ProviderError>>;

    /// Executes one delegated task as its specialist.
    fn execute_task<'a>(
        &'a self,
        input: &'a TaskInput,
        deltas: DeltaSink,
        cancel: &'a CancellationToken,
    ) -> BoxFuture<'a, Result<TaskOutput, ProviderError>>;

    /// What calls that failed since the last take cost (retries, latency, tokens of rejected answers), so a
    /// failed run's telemetry is complete. Taken once: the next call starts from zero.
    fn take_failed_usage(&self) -> Usage {
        Usage::default()
    }
}
