//! The desktop window. (Built out in the window issue; until then it reports that it is not built.)

use crate::cli::{Ctx, GuiArgs};

/// Opens the window; returns the exit code.
pub fn run(_ctx: &Ctx, _args: &GuiArgs) -> i32 {
    eprintln!(
        "error: the desktop window is not part of this build yet; use the headless commands (`kata-cloud --help`)"
    );
    2
}
