//! The real window (`KataApp`) on a store, driven headlessly by egui_kittest: built like the binary builds
//! it, clicked by label, stepped until a condition holds.

use std::path::Path;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use kata_cloud::gui::{AppConfig, KataApp};
use kata_cloud::model::{RunId, RunStatus};
use kata_cloud::orchestrator::Engine;

/// The window's size in tests (its default size).
pub const WINDOW_SIZE: egui::Vec2 = egui::vec2(1280.0, 800.0);

/// How long [`step_until`] waits before failing the test.
const STEP_TIMEOUT: Duration = Duration::from_secs(60);

/// The window as tests see it: no animation, runs it starts numbered `r1`, `r2`, ... (stable pictures).
pub fn test_config() -> AppConfig {
    AppConfig {
        animate: false,
        run_id_prefix: Some("r".into()),
        ..AppConfig::default()
    }
}

/// The real window on `engine`'s store, [`WINDOW_SIZE`], [`test_config`].
pub fn window(engine: Engine) -> Harness<'static, KataApp> {
    window_with(engine, WINDOW_SIZE, test_config())
}

/// The real window on `engine`'s store with another size or configuration.
pub fn window_with(
    engine: Engine,
    size: egui::Vec2,
    config: AppConfig,
) -> Harness<'static, KataApp> {
    Harness::builder()
        .with_size(size)
        .build_eframe(move |_cc| KataApp::new(engine, config).unwrap())
}

/// Steps frames (letting the orchestrator, the I/O thread and the change feed work) until `done` holds,
/// then three more so what it waited for is drawn; fails the test after a minute, naming `what`.
pub fn step_until(
    h: &mut Harness<'_, KataApp>,
    what: &str,
    done: impl Fn(&mut Harness<'_, KataApp>) -> bool,
) {
    let deadline = Instant::now() + STEP_TIMEOUT;
    loop {
        h.step();
        if done(h) {
            h.run_steps(3);
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The status the window shows for run `id` of the open session.
pub fn run_status(app: &KataApp, id: &str) -> Option<RunStatus> {
    app.model
        .session
        .as_ref()?
        .run(&RunId::new(id))
        .map(|r| r.view.run.status)
}

/// Creates a space from Home for `repo`, as a user types and clicks, and waits until its session is open.
pub fn open_space(h: &mut Harness<'_, KataApp>, repo: &Path) {
    h.state_mut().view.home_path = repo.display().to_string();
    h.step();
    h.get_by_label("Create space").click();
    step_until(h, "the space to open", |h| {
        h.state().model.session.is_some()
    });
}

/// Types `prompt` into the composer, clicks Send and waits until the window sent it.
pub fn send(h: &mut Harness<'_, KataApp>, prompt: &str) {
    h.state_mut().view.composer = prompt.to_owned();
    h.step();
    h.get_by_label("Send").click();
    step_until(h, "the prompt to be sent", |h| !h.state().sent.is_empty());
}

/// Takes a snapshot (`tests/snapshots/NAME.png`) without the pointer in the picture.
pub fn snapshot(h: &mut Harness<'_, KataApp>, name: &str) {
    h.remove_cursor();
    h.run_steps(3);
    h.snapshot(name);
}

/// The provenance line of run `id`'s header, as the thread draws it.
pub fn provenance_of(h: &Harness<'_, KataApp>, id: &str) -> String {
    let app = h.state();
    let entry = app
        .model
        .session
        .as_ref()
        .unwrap()
        .run(&RunId::new(id))
        .unwrap();
    kata_cloud::gui::views::thread_rows::provenance(entry, app.model.now)
}
