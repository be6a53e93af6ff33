//! The desktop window: the engine in-process (no IPC), drawn with egui from an in-memory model.
//!
//! * `app` — the application: drains orchestrator events and I/O replies each frame, sends commands.
//! * `model` — what is drawn: spaces, the open session and its runs, derived views cached by revision.
//! * `backend` — the I/O thread: every store read/write and staleness check happens there.
//! * `changes` — the Changes tab's state and I/O (worktree status, diffs, staging, commit, the watch).
//! * `views/` — drawing only: shell (title bar, status bar, panes), home, thread, sidebar, spec pane.
//! * `tool_calls` — which thread rows a task's tool calls make (the rows are drawn in `views/tool_rows`).
//! * `theme` — colour and size tokens; `ui_state` — layout that survives restarts; `screenshot` — PNGs.

pub mod action;
pub mod app;
pub mod backend;
pub mod changes;
pub mod model;
pub mod screenshot;
pub mod theme;
pub mod tool_calls;
pub mod ui_state;
pub mod view_state;
pub mod views;
pub mod wording;

use std::path::PathBuf;

use crate::orchestrator::{Engine, EngineConfig};
use crate::store::StoreError;

pub use app::{AppConfig, KataApp};

/// How the window is opened (the smoke check sets these).
#[derive(Clone, Debug, Default)]
pub struct WindowOptions {
    /// Close after this many frames.
    pub exit_after_frames: Option<u64>,
    /// Save a PNG of the last frame here before closing.
    pub screenshot: Option<PathBuf>,
}

/// Log targets of the windowing and GPU stacks: only their errors are logged by default (they warn about
/// things a user cannot act on, such as a software rasteriser).
pub const QUIET_LOG_TARGETS: &[&str] = &[
    "winit",
    "wgpu_core",
    "wgpu_hal",
    "egui_wgpu",
    "eframe",
    "naga",
];

/// Frames rendered before a `--screenshot` is taken when `--exit-after-frames` is not given.
const SCREENSHOT_FRAMES: u64 = 10;

/// The window's first size: 1280 × 800, or `KATA_WINDOW_SIZE=<w>x<h>` (the smoke check looks at a narrow
/// window with it); never below the minimum size.
fn initial_size() -> [f32; 2] {
    let asked = std::env::var("KATA_WINDOW_SIZE").ok().and_then(|s| {
        let (w, h) = s.trim().split_once('x')?;
        Some([w.trim().parse::<f32>().ok()?, h.trim().parse::<f32>().ok()?])
    });
    match asked {
        Some([w, h]) => [w.max(900.0), h.max(560.0)],
        None => [1280.0, 800.0],
    }
}

/// Opens the window; returns the exit code, or why the store cannot be opened (the caller reports it).
pub fn run(config: EngineConfig, args: &WindowOptions) -> Result<i32, StoreError> {
    // A redb panic on a damaged file is reported in the window (see `backend`), not as a crash line.
    crate::diagnostics::catch_store_panics();
    let engine = Engine::open(config)?;
    let exit_after_frames = args
        .exit_after_frames
        .or(args.screenshot.as_ref().map(|_| SCREENSHOT_FRAMES));
    if exit_after_frames == Some(0) {
        eprintln!("error: --exit-after-frames must be at least 1");
        return Ok(2);
    }
    let config = AppConfig {
        exit_after_frames,
        screenshot: args.screenshot.clone(),
        ..AppConfig::default()
    };
    let app = match KataApp::new(engine, config) {
        Ok(app) => app,
        Err(e) => {
            eprintln!("error: cannot start the window's I/O thread: {e}");
            return Ok(1);
        }
    };
    let exit_code = app.exit_code.clone();
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Kata Cloud")
            .with_app_id("kata-cloud")
            .with_inner_size(initial_size())
            .with_min_inner_size([900.0, 560.0]),
        ..Default::default()
    };
    let result = eframe::run_native(
        "Kata Cloud",
        options,
        Box::new(move |cc| {
            theme::install(&cc.egui_ctx);
            Ok(Box::new(app))
        }),
    );
    Ok(match result {
        Ok(()) => exit_code.load(std::sync::atomic::Ordering::SeqCst),
        Err(e) => {
            eprintln!(
                "error: cannot open the window ({e}); check DISPLAY/WAYLAND_DISPLAY, or use the headless commands (`kata-cloud --help`)"
            );
            1
        }
    })
}
