//! The change feed's entries: one per committed state change, in commit order across every process that
//! shares the store. Clients read them from a cursor to see what others changed without re-reading tables.

use serde::{Deserialize, Serialize};

use super::ids::{RunId, SessionId, SpaceId};
use super::time::Timestamp;

/// What changed. Each names the record to read (the feed never copies records).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Change {
    /// An event was appended to a run's log (the run was created or changed).
    RunEvent { run_id: RunId, seq: u64 },
    /// A space was linked or changed.
    Space { space_id: SpaceId },
    /// A space was removed from the list (its runs stay in the history).
    SpaceRemoved { space_id: SpaceId },
    /// A session was created or changed (renamed, archived, its worktree bound).
    Session {
        space_id: SpaceId,
        session_id: SessionId,
    },
    /// A session's spec has a new revision.
    Spec {
        session_id: SessionId,
        revision: u64,
    },
}

/// One entry of the feed: its store-wide sequence number, when it was committed, and what changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeRecord {
    pub seq: u64,
    pub at: Timestamp,
    pub change: Change,
}
