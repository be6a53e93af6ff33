//! What the window shows that is not persisted: which screen, what is typed, what is open. Drawing code
//! edits it directly (text fields, toggles); everything that reaches the application goes through an
//! [`crate::gui::action::Action`].

use egui_commonmark::CommonMarkCache;

use crate::model::RunId;

/// Which screen the center shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screen {
    Home,
    Session,
}

/// Sections of the left sidebar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SidebarSection {
    Agents,
    Context,
    Changes,
}

/// Transient view state (not persisted).
pub struct ViewState {
    pub screen: Screen,
    pub home_path: String,
    /// Optional first prompt typed on Home; sent once the new space's session is open.
    pub home_prompt: String,
    pub pending_prompt: Option<String>,
    pub home_error: Option<String>,
    pub linking: bool,
    pub composer: String,
    pub provider: String,
    pub model_name: String,
    pub section: SidebarSection,
    pub spec_editing: bool,
    pub spec_buffer: String,
    pub spec_dirty_at: Option<f64>,
    /// The spec revision the editor's text comes from: a save merges what runs ticked since.
    pub spec_base: Option<u64>,
    pub confirm_apply: Option<RunId>,
    /// The session switcher in the sidebar is open.
    pub sessions_open: bool,
    /// The name typed for a new session.
    pub new_session_name: String,
    /// A session whose Archive button was pressed: its row asks to confirm.
    pub confirm_archive: Option<crate::model::SessionId>,
    pub markdown: CommonMarkCache,
    /// Measured heights of thread rows, for the virtualised thread.
    pub heights: std::collections::HashMap<super::model::ThreadItem, f32>,
    pub stick_to_bottom: bool,
    /// Scroll the thread to its end on the next frame (after sending: the new run is where the user looks,
    /// even if they had scrolled up; `stick_to_bottom` alone only keeps an end that was already shown).
    pub scroll_to_end: bool,
    /// A thread row to bring to the top of the view on the next frame.
    pub scroll_to: Option<super::model::ThreadItem>,
    /// The permission request whose "No" feedback box is open, and what is typed in it.
    pub permission_feedback: Option<(String, String)>,
    /// Waiting permission requests last put in the window title (it changes only when this does).
    pub titled_waiting: usize,
    /// The Changes tab: the worktree's status, the open diff, the commit message.
    pub changes: super::changes::ChangesState,
}

impl Default for ViewState {
    fn default() -> Self {
        Self {
            screen: Screen::Home,
            home_path: String::new(),
            home_prompt: String::new(),
            pending_prompt: None,
            home_error: None,
            linking: false,
            composer: String::new(),
            provider: "offline".to_owned(),
            model_name: String::new(),
            section: SidebarSection::Agents,
            spec_editing: false,
            spec_buffer: String::new(),
            spec_dirty_at: None,
            spec_base: None,
            confirm_apply: None,
            sessions_open: false,
            new_session_name: String::new(),
            confirm_archive: None,
            markdown: CommonMarkCache::default(),
            heights: std::collections::HashMap::new(),
            stick_to_bottom: true,
            scroll_to_end: false,
            scroll_to: None,
            permission_feedback: None,
            titled_waiting: 0,
            changes: super::changes::ChangesState::default(),
        }
    }
}
