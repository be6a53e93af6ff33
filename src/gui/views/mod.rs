//! Drawing code. Reads the model, pushes `Action`s; no I/O and nothing that blocks.

pub mod home;
pub mod inspector;
pub mod shell;
pub mod sidebar;
pub mod spec_pane;
pub mod thread;
pub mod thread_rows;
pub mod widgets;
