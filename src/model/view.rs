//! The shapes runs are shown in: `runs show` / `runs list` JSON and the window's run inspector.

use serde::{Deserialize, Serialize};

use super::context::ContextItem;
use super::ids::{RunId, SessionId, SpaceId};
use super::lifecycle::RunStatus;
use super::run::RunRecord;
use super::staleness::Staleness;
use super::task::TaskRecord;
use super::time::Timestamp;

/// A run in full: the record, its context items (from the snapshot), its tasks and derived staleness.
/// Serialises to the contract's `Run` shape: `context.items` sits inside the record's `context` object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunView {
    #[serde(flatten)]
    pub run: RunRecord,
    pub tasks: Vec<TaskRecord>,
    pub stale: Staleness,
}

impl RunView {
    pub fn items(&self) -> &[ContextItem] {
        &self.run.context.items
    }
}

/// One line of run history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSummary {
    pub id: RunId,
    pub space_id: SpaceId,
    pub session_id: SessionId,
    pub prompt: String,
    pub status: RunStatus,
    pub attempt: u32,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interrupted_at: Option<Timestamp>,
    pub stale: Staleness,
}

impl RunSummary {
    pub fn new(run: &RunRecord, stale: Staleness) -> Self {
        Self {
            id: run.id.clone(),
            space_id: run.space_id.clone(),
            session_id: run.session_id.clone(),
            prompt: run.prompt.clone(),
            status: run.status,
            attempt: run.attempt,
            created_at: run.created_at,
            updated_at: run.updated_at,
            completed_at: run.completed_at,
            interrupted_at: run.interrupted_at,
            stale,
        }
    }
}

/// A count with its noun, as every client phrases it: `1 snippet`, `3 snippets`.
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
