//! The orchestrator's Command/Event protocol: the contract between the engine and its clients (the window,
//! the headless CLI, tests).
//!
//! * Clients send [`Command`]s through one bounded channel. Commands carry every id they need (the caller
//!   allocates a new run's id), so a client can follow its run's events without a reply channel.
//! * The engine publishes [`Event`]s on a broadcast channel **after** the state change they describe is
//!   committed to the store (persist, then publish). Every event about a run is also appended to that run's
//!   event log in the same transaction, so the log replays exactly what clients saw.
//! * Events are deltas. A client that lags (its receiver reports `Lagged`) reloads from the store.
//!
//! Both enums serialise with a `type` tag in snake_case; `run --json` prints events as JSON Lines.

use serde::{Deserialize, Serialize};

use crate::model::{
    ContextProviderKind, Draft, ErrorInfo, ProviderExecution, RunContext, RunId, RunRecord,
    RunStatus, SessionId, SpaceId, TaskId, TaskRecord, TaskStatus, Timestamp,
};

/// Everything needed to start a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartRun {
    /// Allocated by the caller so it can follow the run's events from the first one.
    pub run_id: RunId,
    pub space_id: SpaceId,
    pub session_id: SessionId,
    pub prompt: String,
    /// `offline`, `anthropic`, `openai` or `openai-compatible`; `None` picks the configured default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Overrides the session's and space's context provider for this run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_provider: Option<ContextProviderKind>,
}

/// Requests to the orchestrator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Command {
    /// Create a run (queued) and execute it.
    StartRun(StartRun),
    /// Continue an interrupted run as its next attempt; completed tasks are not executed again.
    ResumeRun { run_id: RunId },
    /// Cancel a live run at whatever step it is in.
    CancelRun { run_id: RunId },
    /// Stop accepting commands; live runs are cancelled.
    Shutdown,
}

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
    /// Context retrieval finished; the snapshot is stored.
    ContextResolved {
        run_id: RunId,
        context: RunContext,
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
            | Event::WaveFinished { run_id, .. } => Some(run_id),
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
            | Event::CommandRejected { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_and_events_are_type_tagged() {
        let cmd = Command::CancelRun {
            run_id: RunId::new("r1"),
        };
        assert_eq!(
            serde_json::to_value(&cmd).unwrap(),
            serde_json::json!({"type": "cancel_run", "run_id": "r1"})
        );
        let ev = Event::RunStatusChanged(RunStatusChanged {
            run_id: RunId::new("r1"),
            status: RunStatus::Running,
            at: Timestamp::from_unix_millis(0),
            attempt: 1,
            note: None,
            error: None,
        });
        let json = serde_json::to_value(&ev).unwrap();
        assert_eq!(json["type"], "run_status_changed");
        assert_eq!(json["status"], "running");
        assert_eq!(serde_json::from_value::<Event>(json).unwrap(), ev);
    }
}
