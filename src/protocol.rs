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

use crate::model::{ContextProviderKind, RunId, SessionId, SpaceId};

pub use crate::model::event::{Event, RunStatusChanged, TaskStatusChanged};

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
    /// The offline provider's script of tool calls for this run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script: Option<std::path::PathBuf>,
    /// How the run answers its agents' permission requests; `None` waits for answers (`ask`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission_policy: Option<crate::model::PermissionPolicy>,
    /// A run for this spec task alone (`s3`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec_task: Option<String>,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{RunStatus, Timestamp};

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
