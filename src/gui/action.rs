//! What the user asked for during a frame. Views push actions; the app carries them out in the next
//! `logic` (views never call the application themselves).

use crate::model::{RunId, SpaceId};

/// What the user asked for during a frame; carried out in the next `logic`.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    GoHome,
    LinkSpace(String),
    OpenSpace(SpaceId),
    /// Creates a session in the open space (named `Session N` when the name is blank) and opens it.
    NewSession(String),
    /// Switches to another session of the open space.
    OpenSession(crate::model::SessionId),
    /// Archives a session (after the user confirmed): its history stays; it leaves the switcher.
    ArchiveSession(crate::model::SessionId),
    Send(String),
    Stop(RunId),
    Resume(RunId),
    Retry(RunId),
    ApplyDraft {
        run: RunId,
        force: bool,
    },
    DismissDraft(RunId),
    /// Answers a waiting permission request (the card's 1/2/3, or No with feedback).
    AnswerPermission {
        run: RunId,
        request: String,
        decision: crate::model::PermissionDecision,
        feedback: Option<String>,
    },
    /// Marks a spec task line done, or open again when it is done.
    ToggleSpecTask(String),
    /// Starts a run for one spec task alone (the task card's ▶).
    RunSpecTask {
        task: String,
        title: String,
    },
    ToggleSidebar,
    ToggleSpec,
    SelectTab(usize),
    /// Opens (or focuses) the run history tab.
    OpenHistory,
    /// Expands or collapses a run inspector or a step row.
    Toggle(super::model::Expand),
    /// Something the Changes tab asked (open a diff, stage, commit, ...).
    Changes(super::changes::ChangesAction),
}
