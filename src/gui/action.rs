//! What the user asked for during a frame. Views push actions; the app carries them out in the next
//! `logic` (views never call the application themselves).

use crate::model::{RunId, SpaceId};

/// What the user asked for during a frame; carried out in the next `logic`.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    GoHome,
    LinkSpace(String),
    OpenSpace(SpaceId),
    NewSession,
    Send(String),
    Stop(RunId),
    Resume(RunId),
    Retry(RunId),
    ApplyDraft {
        run: RunId,
        force: bool,
    },
    DismissDraft(RunId),
    ToggleSidebar,
    ToggleSpec,
    SelectTab(usize),
    /// Opens (or focuses) the run history tab.
    OpenHistory,
    /// Expands or collapses a run inspector or a step row.
    Toggle(super::model::Expand),
}
