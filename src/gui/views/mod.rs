//! Drawing code. Each view gets the [`Frame`] — what it draws and where it records what the user asked
//! for — and never the application: it reads the model, edits view state (text being typed, toggles) and
//! pushes [`Action`]s; no I/O and nothing that blocks.

pub mod changes;
pub mod diff_pane;
pub mod home;
pub mod inspector;
pub mod permission_card;
pub mod shell;
pub mod sidebar;
pub mod spec_pane;
pub mod thread;
pub mod thread_rows;
pub mod tool_rows;
pub mod widgets;

use super::action::Action;
use super::model::AppModel;
use super::ui_state::UiState;
use super::view_state::ViewState;

/// What one frame draws from, and where it records what the user asked for.
pub struct ViewCtx<'a> {
    /// The model (mutable only for its cached derived views).
    pub model: &'a mut AppModel,
    pub view: &'a mut ViewState,
    /// The persisted layout: panes, tabs, widths.
    pub layout: &'a mut UiState,
    /// Whether live things pulse (off in snapshot tests).
    pub animate: bool,
    pub actions: &'a mut Vec<Action>,
}
