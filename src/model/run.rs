//! The run record: one coordinator run from prompt to terminal state.

use serde::{Deserialize, Serialize};

use super::context::{ContextError, ContextItem};
use super::error_info::{ErrorCode, ErrorInfo};
use super::ids::{OwnerId, RunId, SessionId, SnapshotId, SpaceId};
use super::lifecycle::{RunStatus, TransitionError};
use super::space::ContextProviderKind;
use super::time::Timestamp;

/// One step in a lifecycle, in the order it happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry<S> {
    pub status: S,
    pub at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Which attempt of the run this step belongs to (1 for the first, +1 per resume).
    #[serde(default = "first_attempt")]
    pub attempt: u32,
}

const fn first_attempt() -> u32 {
    1
}

/// What the run was asked to use; kept so a resume runs with the same choices.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_provider: Option<ContextProviderKind>,
    /// The offline provider's script of tool calls, when the run was started with one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script: Option<std::path::PathBuf>,
    /// How the run answers its agents' permission requests (`run --yes|--deny|--ask`); `None` is `ask`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission_policy: Option<super::permission::PermissionPolicy>,
    /// The run carries out this spec task alone (`s3`): started from the task's ▶ or `run --spec-task`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec_task: Option<String>,
}

/// How context was resolved for the run, as stored. The items themselves live in the snapshot.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunContext {
    pub requested_provider: ContextProviderKind,
    /// `None` until retrieval has happened.
    pub resolved_provider: Option<ContextProviderKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback_from: Option<ContextProviderKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_id: Option<SnapshotId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ContextError>,
}

/// How context was resolved, with the snapshot's items: what clients show (`runs show`, the inspector, the
/// `context_resolved` event). The items are stored once, in the snapshot; this is never stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContextView {
    #[serde(flatten)]
    pub resolved: RunContext,
    #[serde(default)]
    pub items: Vec<ContextItem>,
}

/// State of the model call behind the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderStatus {
    Running,
    Completed,
    Failed,
    Cancelled,
    Interrupted,
}

/// Telemetry and outcome of the provider calls of a run (summed over its steps).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderExecution {
    pub provider: String,
    pub model: String,
    pub status: ProviderStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    #[serde(default)]
    pub retries: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<ErrorCode>,
    /// Tool calls the run's specialists made (checks included).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub tool_calls: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// The spec draft a run produced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub content: String,
    pub generated_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apply_error: Option<String>,
}

/// A project instruction file (`AGENTS.md`, `CLAUDE.md`) a run's specialists were given: part of the
/// run's provenance, like its context items.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstructionSource {
    /// Relative to the workspace root, `/`-separated.
    pub path: String,
    /// blake3 of the file's bytes when it was read.
    pub content_hash: String,
}

/// What a new run is made of.
#[derive(Clone, Debug)]
pub struct NewRun {
    pub id: RunId,
    pub space_id: SpaceId,
    pub session_id: SessionId,
    pub prompt: String,
    pub requested_context: ContextProviderKind,
    pub options: RunOptions,
    pub owner: OwnerId,
}

/// A persisted run. Tasks, the context snapshot and the event log are stored in their own tables.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub id: RunId,
    pub space_id: SpaceId,
    pub session_id: SessionId,
    pub prompt: String,
    pub status: RunStatus,
    pub attempt: u32,
    pub timeline: Vec<TimelineEntry<RunStatus>>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interrupted_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_execution: Option<ProviderExecution>,
    pub context: RunContext,
    /// The coordinator's plan (markdown), once planned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draft: Option<Draft>,
    #[serde(default)]
    pub options: RunOptions,
    /// The engine instance executing the run while it is queued or running; cleared otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<OwnerId>,
    /// The project instruction files its specialists were given, in the order they were read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instructions: Vec<InstructionSource>,
}

impl RunRecord {
    /// A new queued run (attempt 1) with its first timeline entry.
    pub fn queued(new: NewRun, at: Timestamp) -> Self {
        Self {
            id: new.id,
            space_id: new.space_id,
            session_id: new.session_id,
            prompt: new.prompt,
            status: RunStatus::Queued,
            attempt: 1,
            timeline: vec![TimelineEntry {
                status: RunStatus::Queued,
                at,
                note: None,
                attempt: 1,
            }],
            created_at: at,
            updated_at: at,
            completed_at: None,
            interrupted_at: None,
            error: None,
            provider_execution: None,
            context: RunContext {
                requested_provider: new.requested_context,
                resolved_provider: None,
                fallback_from: None,
                snapshot_id: None,
                error: None,
            },
            plan: None,
            draft: None,
            options: new.options,
            owner: Some(new.owner),
            instructions: Vec::new(),
        }
    }

    /// Applies a lifecycle transition: checks it, appends to the timeline and stamps the matching fields.
    /// Resuming (`interrupted -> queued`) starts the next attempt.
    pub fn transition(
        &mut self,
        to: RunStatus,
        at: Timestamp,
        note: Option<String>,
    ) -> Result<(), TransitionError> {
        self.status.transition(to)?;
        let attempt = if self.status == RunStatus::Interrupted && to == RunStatus::Queued {
            self.attempt + 1
        } else {
            self.attempt
        };
        self.record_status(to, at, note, attempt);
        Ok(())
    }

    /// Records a status the run entered, as a transition did or as its `run_status_changed` event says
    /// (the run reducer replays events through this, so records and viewed runs cannot drift apart).
    pub fn record_status(
        &mut self,
        to: RunStatus,
        at: Timestamp,
        note: Option<String>,
        attempt: u32,
    ) {
        if self.status == RunStatus::Interrupted && to == RunStatus::Queued {
            self.error = None;
        }
        self.attempt = attempt;
        self.status = to;
        self.updated_at = at;
        match to {
            RunStatus::Interrupted => self.interrupted_at = Some(at),
            RunStatus::Completed | RunStatus::Failed | RunStatus::Cancelled => {
                self.completed_at = Some(at)
            }
            RunStatus::Queued | RunStatus::Running | RunStatus::WaitingPermission => {}
        }
        if !to.is_active() {
            self.owner = None;
            // The provider call cannot outlive the run.
            if let Some(exec) = self.provider_execution.as_mut()
                && exec.status == ProviderStatus::Running
            {
                exec.status = match to {
                    RunStatus::Completed => ProviderStatus::Completed,
                    RunStatus::Failed => ProviderStatus::Failed,
                    RunStatus::Interrupted => ProviderStatus::Interrupted,
                    RunStatus::Cancelled
                    | RunStatus::Queued
                    | RunStatus::Running
                    | RunStatus::WaitingPermission => ProviderStatus::Cancelled,
                };
            }
        }
        self.timeline.push(TimelineEntry {
            status: to,
            at,
            note,
            attempt,
        });
    }

    /// Wall time from creation to the terminal state (or to `now` while live).
    pub fn duration_ms(&self, now: Timestamp) -> i64 {
        let end = self.completed_at.or(self.interrupted_at).unwrap_or(now);
        end.millis_since(self.created_at).max(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ids::IdGenerator;

    fn run() -> RunRecord {
        let ids = IdGenerator::new();
        let t = Timestamp::from_unix_millis(1_000);
        RunRecord::queued(
            NewRun {
                id: RunId::generate(&ids, t),
                space_id: SpaceId::generate(&ids, t),
                session_id: SessionId::generate(&ids, t),
                prompt: "add retry".into(),
                requested_context: ContextProviderKind::Filesystem,
                options: RunOptions::default(),
                owner: OwnerId::generate(&ids, t),
            },
            t,
        )
    }

    #[test]
    fn resume_starts_a_new_attempt_and_keeps_history() {
        let mut r = run();
        r.transition(RunStatus::Running, Timestamp::from_unix_millis(2_000), None)
            .unwrap();
        r.transition(
            RunStatus::Interrupted,
            Timestamp::from_unix_millis(3_000),
            None,
        )
        .unwrap();
        assert_eq!(r.owner, None);
        assert_eq!(r.interrupted_at, Some(Timestamp::from_unix_millis(3_000)));
        r.transition(
            RunStatus::Queued,
            Timestamp::from_unix_millis(4_000),
            Some("resume".into()),
        )
        .unwrap();
        assert_eq!(r.attempt, 2);
        let statuses: Vec<_> = r.timeline.iter().map(|e| (e.status, e.attempt)).collect();
        assert_eq!(
            statuses,
            vec![
                (RunStatus::Queued, 1),
                (RunStatus::Running, 1),
                (RunStatus::Interrupted, 1),
                (RunStatus::Queued, 2)
            ]
        );
    }

    #[test]
    fn rejected_transition_changes_nothing() {
        let mut r = run();
        let before = r.clone();
        let err = r.transition(RunStatus::Completed, Timestamp::from_unix_millis(5), None);
        assert_eq!(
            err,
            Err(TransitionError::Run {
                from: RunStatus::Queued,
                to: RunStatus::Completed
            })
        );
        assert_eq!(r, before);
    }
}
