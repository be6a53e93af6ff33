//! The small piece of window state that survives a restart: the last space and session, open tabs and
//! pane layout. Stored in the store's app-state table (written by the backend thread, never the UI thread).

use serde::{Deserialize, Serialize};

use crate::model::{RunId, SessionId, SpaceId};

/// Name of the app-state row.
pub const KEY: &str = "window";

/// Tabs of the center pane.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tab {
    Coordinator,
    History,
}

impl Tab {
    pub const fn title(self) -> &'static str {
        match self {
            Tab::Coordinator => "Coordinator",
            Tab::History => "Run history",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct UiState {
    pub space: Option<SpaceId>,
    pub session: Option<SessionId>,
    pub tabs: Vec<Tab>,
    pub active_tab: usize,
    pub sidebar_open: bool,
    pub spec_open: bool,
    /// Width of the left sidebar in whole points (docs/WINDOW.md, Layout: 220–480, default 250).
    pub sidebar_width: f32,
    /// Width of the right spec pane in whole points; `None` until the user resizes it (then it opens at
    /// half of the remaining width).
    pub spec_width: Option<f32>,
    /// Drafts the user dismissed (their cards stay hidden).
    pub dismissed_drafts: Vec<RunId>,
}

impl Default for UiState {
    fn default() -> Self {
        Self {
            space: None,
            session: None,
            tabs: vec![Tab::Coordinator],
            active_tab: 0,
            sidebar_open: true,
            spec_open: true,
            sidebar_width: crate::gui::theme::SIDEBAR_DEFAULT,
            spec_width: None,
            dismissed_drafts: Vec::new(),
        }
    }
}
