//! Events: what the orchestrator publishes after committing the change each describes (persist, then
//! publish), and what every client folds into its run views with [`super::run_reducer`]. Every event about
//! a run is also appended to that run's event log in the same transaction, so the log replays exactly what
//! clients saw. Serialised with a `type` tag in snake_case; `run --json` prints them as JSON Lines.

use serde::{Deserialize, Serialize};

use super::tool::{StopReason, ToolCall};
use super::{
    ContextView, Draft, ErrorInfo, ProviderExecution, RunId, RunRecord, RunStatus, TaskId,
    TaskRecord, TaskStatus, Timestamp, ToolCallRecord,
};

/// A run entered a new lifecycle state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunStatusChanged {
    pub run_id: RunId,
    pub status: RunStatus,
    pub at: Timestamp,
    pub attempt: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorInfo>,
}

/// A delegated task entered a new lifecycle state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskStatusChanged {
    pub run_id: RunId,
    pub task_id: TaskId,
    pub status: TaskStatus,
    pub at: Timestamp,
    pub attempt: u32,
    /// Why, when the engine said (a task started over, skipped because a dependency failed, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorInfo>,
}

/// Events the orchestrator publishes after committing the change they describe.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// A new run was created in `queued`.
    RunCreated {
        run: Box<RunRecord>,
    },
    RunStatusChanged(RunStatusChanged),
    /// Context retrieval finished; the snapshot is stored. The event log keeps the items once, in the
    /// snapshot: a stored `context_resolved` has empty `items`, and readers fill them from the snapshot.
    ContextResolved {
        run_id: RunId,
        context: ContextView,
        item_count: usize,
    },
    /// The coordinator's plan (markdown).
    PlanReady {
        run_id: RunId,
        plan: String,
    },
    /// Streamed model text, as it arrives (`task_id` set when a specialist is speaking).
    ModelDelta {
        run_id: RunId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        task_id: Option<TaskId>,
        text: String,
    },
    /// Provider telemetry changed (a call started, finished, retried or failed).
    ProviderUpdated {
        run_id: RunId,
        execution: ProviderExecution,
    },
    /// The spec draft is stored.
    DraftReady {
        run_id: RunId,
        draft: Draft,
    },
    /// The delegated tasks were created (all `queued`).
    TasksPlanned {
        run_id: RunId,
        tasks: Vec<TaskRecord>,
    },
    /// A wave began: its tasks run concurrently.
    WaveStarted {
        run_id: RunId,
        wave: u32,
        task_ids: Vec<TaskId>,
    },
    TaskStatusChanged(TaskStatusChanged),
    /// Every task of the wave reached a terminal state.
    WaveFinished {
        run_id: RunId,
        wave: u32,
        completed: usize,
        total: usize,
    },
    /// A specialist's model answered one turn. Recorded so the task's conversation can be replayed when an
    /// interrupted run resumes (its text also streamed as `model_delta`).
    AssistantTurned {
        run_id: RunId,
        task_id: TaskId,
        /// The turn's position in the task's conversation, from 0.
        turn: u32,
        text: String,
        tool_calls: Vec<ToolCall>,
        stop_reason: StopReason,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        input_tokens: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        output_tokens: Option<u64>,
    },
    /// A tool call started. For an effect (write, edit, command) this is its intent, committed before the
    /// effect happens.
    ToolCallStarted {
        run_id: RunId,
        call: Box<ToolCallRecord>,
    },
    /// A tool call ended (done, failed, denied, or settled after a restart).
    ToolCallFinished {
        run_id: RunId,
        call: Box<ToolCallRecord>,
    },
    /// A command could not be carried out (unknown run, run not interrupted, ...). Nothing changed.
    CommandRejected {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        run_id: Option<RunId>,
        error: ErrorInfo,
    },
}

impl Event {
    /// The run this event is about, if any.
    pub fn run_id(&self) -> Option<&RunId> {
        match self {
            Event::RunCreated { run } => Some(&run.id),
            Event::RunStatusChanged(e) => Some(&e.run_id),
            Event::ContextResolved { run_id, .. }
            | Event::PlanReady { run_id, .. }
            | Event::ModelDelta { run_id, .. }
            | Event::ProviderUpdated { run_id, .. }
            | Event::DraftReady { run_id, .. }
            | Event::TasksPlanned { run_id, .. }
            | Event::WaveStarted { run_id, .. }
            | Event::WaveFinished { run_id, .. }
            | Event::AssistantTurned { run_id, .. }
            | Event::ToolCallStarted { run_id, .. }
            | Event::ToolCallFinished { run_id, .. } => Some(run_id),
            Event::TaskStatusChanged(e) => Some(&e.run_id),
            Event::CommandRejected { run_id, .. } => run_id.as_ref(),
        }
    }

    /// The run status this event moved a run to, if it is a run lifecycle event.
    pub fn run_status(&self) -> Option<RunStatus> {
        match self {
            Event::RunCreated { run } => Some(run.status),
            Event::RunStatusChanged(e) => Some(e.status),
            Event::ContextResolved { .. }
            | Event::PlanReady { .. }
            | Event::ModelDelta { .. }
            | Event::ProviderUpdated { .. }
            | Event::DraftReady { .. }
            | Event::TasksPlanned { .. }
            | Event::WaveStarted { .. }
            | Event::TaskStatusChanged(_)
            | Event::WaveFinished { .. }
            | Event::AssistantTurned { .. }
            | Event::ToolCallStarted { .. }
            | Event::ToolCallFinished { .. }
            | Event::CommandRejected { .. } => None,
        }
    }
}
