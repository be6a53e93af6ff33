//! The application: owns the engine, the orchestrator handle, the I/O thread and the model. `logic` drains
//! events and replies (bounded, never blocking) and sends commands with `try_send`; `draw` only reads the
//! model and records what the user asked for.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use egui_commonmark::CommonMarkCache;
use tokio::sync::broadcast::error::TryRecvError;
use tokio::sync::{broadcast, mpsc};

use crate::model::{RunId, SpaceId};
use crate::orchestrator::{Engine, Orchestrator};
use crate::protocol::{Command, Event, StartRun};

use super::backend::{Backend, Reply, Request};
use super::model::{AppModel, FollowUp};
use super::ui_state::{Tab, UiState};
use super::views;

/// Most events applied in one frame; the rest wait for the next frame.
const EVENTS_PER_FRAME: usize = 512;
/// Most I/O replies applied in one frame.
const REPLIES_PER_FRAME: usize = 16;
/// How often staleness is re-derived while a session is open (seconds).
const STALENESS_EVERY: f64 = 2.0;
/// How long the spec editor waits after the last keystroke before saving (seconds).
const AUTOSAVE_AFTER: f64 = 0.8;

/// How the window behaves (tests and the smoke check change these).
#[derive(Clone, Debug)]
pub struct AppConfig {
    /// Pulse the dots of live runs (off in snapshot tests so pictures are stable).
    pub animate: bool,
    /// Number new runs `<prefix>1`, `<prefix>2`, ... instead of time-based ids (stable test pictures).
    pub run_id_prefix: Option<String>,
    /// Close after this many frames.
    pub exit_after_frames: Option<u64>,
    /// Write a PNG of the last frame here before closing.
    pub screenshot: Option<PathBuf>,
}

impl Default for AppConfig {
    fn default() -> Self {
        Self {
            animate: true,
            run_id_prefix: None,
            exit_after_frames: None,
            screenshot: None,
        }
    }
}

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
    pub confirm_apply: Option<RunId>,
    pub markdown: CommonMarkCache,
    /// Measured heights of thread rows, for the virtualised thread.
    pub heights: std::collections::HashMap<super::model::ThreadItem, f32>,
    pub stick_to_bottom: bool,
    /// Scroll the thread to its end on the next frame (after sending: the new run is where the user looks,
    /// even if they had scrolled up; `stick_to_bottom` alone only keeps an end that was already shown).
    pub scroll_to_end: bool,
    /// A thread row to bring to the top of the view on the next frame.
    pub scroll_to: Option<super::model::ThreadItem>,
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
            confirm_apply: None,
            markdown: CommonMarkCache::default(),
            heights: std::collections::HashMap::new(),
            stick_to_bottom: true,
            scroll_to_end: false,
            scroll_to: None,
        }
    }
}

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

/// The window.
pub struct KataApp {
    pub engine: Engine,
    orchestrator: Option<Orchestrator>,
    events: broadcast::Receiver<Event>,
    commands: mpsc::Sender<Command>,
    backend: Backend,
    pub model: AppModel,
    pub layout: UiState,
    saved_layout: UiState,
    pub view: ViewState,
    pub config: AppConfig,
    /// Every command sent to the orchestrator, in order (tests assert on it).
    pub sent: Vec<Command>,
    pub actions: Vec<Action>,
    next_run: u64,
    frames: u64,
    last_stale_check: f64,
    woken: bool,
    restored: bool,
    screenshot_done: Arc<AtomicBool>,
    screenshot_requested: bool,
    /// The exit code of `kata-cloud gui` (set when the smoke flags are used).
    pub exit_code: Arc<AtomicI32>,
}

impl KataApp {
    /// Starts the orchestrator and the I/O thread on an opened engine.
    pub fn new(engine: Engine, config: AppConfig) -> std::io::Result<Self> {
        let orchestrator = engine.start()?;
        let backend = Backend::start(
            engine.store.clone(),
            engine.clock.clone(),
            engine.ids.clone(),
        )?;
        backend.send(Request::Startup);
        let events = orchestrator.subscribe();
        let commands = orchestrator.commands();
        let now = engine.clock.now();
        Ok(Self {
            engine,
            orchestrator: Some(orchestrator),
            events,
            commands,
            backend,
            model: AppModel::new(now),
            layout: UiState::default(),
            saved_layout: UiState::default(),
            view: ViewState::default(),
            config,
            sent: Vec::new(),
            actions: Vec::new(),
            next_run: 0,
            frames: 0,
            last_stale_check: 0.0,
            woken: false,
            restored: false,
            screenshot_done: Arc::new(AtomicBool::new(false)),
            screenshot_requested: false,
            exit_code: Arc::new(AtomicI32::new(0)),
        })
    }

    /// Everything that is not drawing: events, replies, actions, timers. Never blocks.
    pub fn logic(&mut self, ctx: &egui::Context) {
        if !self.woken {
            self.woken = true;
            theme_install(ctx);
            self.backend.set_repaint(ctx);
            self.wake_on_events(ctx);
        }
        self.model.now = self.engine.clock.now();
        let more_events = self.drain_events();
        let more_replies = self.drain_replies();
        if more_events || more_replies {
            // The per-frame cap was hit: come back for the rest next frame.
            ctx.request_repaint();
        }
        for action in std::mem::take(&mut self.actions) {
            self.act(action);
        }
        let time = ctx.input(|i| i.time);
        self.timers(time);
        // A save the full I/O queue refused is tried again next frame (saved_layout stays behind).
        if self.layout != self.saved_layout
            && self.restored
            && self.backend.try_send(Request::SaveUi(self.layout.clone()))
        {
            self.saved_layout = self.layout.clone();
        }
        if self.model.any_live() && self.config.animate {
            ctx.request_repaint_after(std::time::Duration::from_millis(60));
        }
        if self.model.session.is_some() {
            // Keep the staleness timer running while the window is idle (files change on disk).
            ctx.request_repaint_after(std::time::Duration::from_secs_f64(STALENESS_EVERY));
        }
        self.smoke(ctx);
    }

    /// Draws one frame from the model.
    pub fn draw(&mut self, ui: &mut egui::Ui) {
        views::shell::show(self, ui);
    }

    /// Wakes the UI whenever the orchestrator publishes (events themselves are drained in `logic`).
    fn wake_on_events(&self, ctx: &egui::Context) {
        let Some(orchestrator) = &self.orchestrator else {
            return;
        };
        let Some(handle) = orchestrator.handle() else {
            return;
        };
        let mut events = orchestrator.subscribe();
        let ctx = ctx.clone();
        handle.spawn(async move {
            // Lagged still means there is something new to draw; Closed ends the loop.
            while let Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) = events.recv().await {
                ctx.request_repaint();
            }
        });
    }

    /// Applies up to `EVENTS_PER_FRAME` events; returns whether more may be waiting.
    fn drain_events(&mut self) -> bool {
        for _ in 0..EVENTS_PER_FRAME {
            match self.events.try_recv() {
                Ok(event) => {
                    for follow in self.model.apply(&event) {
                        self.follow_up(follow);
                    }
                }
                Err(TryRecvError::Lagged(n)) => {
                    tracing::warn!(missed = n, "window fell behind the orchestrator; reloading");
                    self.follow_up(FollowUp::ReloadSession);
                }
                Err(TryRecvError::Empty | TryRecvError::Closed) => return false,
            }
        }
        true
    }

    fn follow_up(&mut self, follow: FollowUp) {
        match follow {
            FollowUp::RefreshRun(run) => self.backend.send(Request::RefreshRun { run }),
            FollowUp::CheckStaleness => {
                if let Some(s) = &self.model.session {
                    self.backend.send(Request::CheckStaleness {
                        session: s.session.id.clone(),
                        root: s.space.root_path.clone(),
                    });
                }
            }
            FollowUp::ReloadSession => {
                if let Some(s) = &self.model.session {
                    self.backend.send(Request::OpenSpace {
                        space: s.space.id.clone(),
                        session: Some(s.session.id.clone()),
                    });
                }
            }
        }
    }

    /// Applies up to `REPLIES_PER_FRAME` I/O replies; returns whether more may be waiting.
    fn drain_replies(&mut self) -> bool {
        for _ in 0..REPLIES_PER_FRAME {
            let Some(reply) = self.backend.try_recv() else {
                return false;
            };
            self.reply(reply);
        }
        true
    }

    fn reply(&mut self, reply: Reply) {
        match reply {
            Reply::Startup {
                spaces,
                missing,
                ui,
                total_runs,
            } => {
                self.model.spaces = spaces;
                self.model.missing_folders = missing.into_iter().collect();
                self.model.total_runs = total_runs;
                self.model.started = true;
                let ui = ui.unwrap_or_default();
                self.saved_layout = ui.clone();
                self.layout = ui;
                self.restored = true;
                if let Some(space) = self.layout.space.clone()
                    && self.model.spaces.iter().any(|s| s.id == space)
                {
                    self.backend.send(Request::OpenSpace {
                        space,
                        session: self.layout.session.clone(),
                    });
                }
                self.model.bump();
            }
            Reply::Spaces(spaces, missing) => {
                self.model.spaces = spaces;
                self.model.missing_folders = missing.into_iter().collect();
                self.model.bump();
            }
            Reply::Linked(Ok(space)) => {
                self.view.linking = false;
                self.view.home_error = None;
                self.view.home_path.clear();
                let prompt = std::mem::take(&mut self.view.home_prompt);
                if !prompt.trim().is_empty() {
                    self.view.pending_prompt = Some(prompt.trim().to_owned());
                }
                self.backend.send(Request::Spaces);
                self.backend.send(Request::OpenSpace {
                    space: space.id,
                    session: None,
                });
            }
            Reply::Linked(Err(message)) => {
                self.view.linking = false;
                self.view.home_error = Some(message);
                self.model.bump();
            }
            Reply::Session(data) => {
                self.layout.space = Some(data.space.id.clone());
                self.layout.session = Some(data.session.id.clone());
                self.view.spec_buffer = data
                    .spec
                    .as_ref()
                    .map(|s| s.content.clone())
                    .unwrap_or_default();
                self.view.heights.clear();
                self.view.stick_to_bottom = true;
                self.model.set_session(*data);
                self.view.screen = Screen::Session;
                if let Some(prompt) = self.view.pending_prompt.take() {
                    self.actions.push(Action::Send(prompt));
                }
            }
            Reply::Run(view) => self.model.merge_run(*view),
            Reply::Staleness {
                session,
                runs,
                spec,
                root_missing,
            } => {
                let current = self.model.session_id() == Some(&session);
                if current && self.view.spec_dirty_at.is_none() {
                    self.view.spec_buffer =
                        spec.as_ref().map(|s| s.content.clone()).unwrap_or_default();
                }
                self.model.set_staleness(&session, runs, spec, root_missing);
            }
            Reply::Spec(spec) => {
                if self.view.spec_dirty_at.is_none()
                    && self.model.session_id() == Some(&spec.session_id)
                {
                    self.view.spec_buffer = spec.content.clone();
                }
                self.model.set_spec(spec);
                self.follow_up(FollowUp::CheckStaleness);
            }
            Reply::Failed(message) => self.model.notice(message, true),
            Reply::StoreUnreadable(message) => {
                self.model.store_error = Some(message.clone());
                self.model.notice(message, true);
            }
        }
    }

    fn timers(&mut self, time: f64) {
        if self.model.session.is_some() && time - self.last_stale_check >= STALENESS_EVERY {
            self.last_stale_check = time;
            self.follow_up(FollowUp::CheckStaleness);
            // Runs executing in another process (a `run --detach` worker) publish no events here:
            // read them again so their state does not freeze.
            let elsewhere: Vec<RunId> = self
                .model
                .session
                .as_ref()
                .map(|s| {
                    s.runs
                        .iter()
                        .filter(|r| {
                            r.view.run.status.is_active() && !self.model.owned.contains(r.id())
                        })
                        .map(|r| r.id().clone())
                        .collect()
                })
                .unwrap_or_default();
            for run in elsewhere {
                self.backend.send(Request::RefreshRun { run });
            }
        }
        if let Some(at) = self.view.spec_dirty_at
            && time - at >= AUTOSAVE_AFTER
            && let Some(session) = self.model.session_id().cloned()
        {
            self.view.spec_dirty_at = None;
            self.backend.send(Request::SaveSpec {
                session,
                content: self.view.spec_buffer.clone(),
            });
        }
    }

    fn new_run_id(&mut self) -> RunId {
        self.next_run += 1;
        match &self.config.run_id_prefix {
            Some(prefix) => RunId::new(format!("{prefix}{}", self.next_run)),
            None => RunId::generate(&self.engine.ids, self.engine.clock.now()),
        }
    }

    fn send_command(&mut self, command: Command) {
        match self.commands.try_send(command.clone()) {
            Ok(()) => self.sent.push(command),
            Err(mpsc::error::TrySendError::Full(_)) => self
                .model
                .notice("The orchestrator is busy; try again in a moment", true),
            Err(mpsc::error::TrySendError::Closed(_)) => self
                .model
                .notice("The orchestrator has stopped; restart the app", true),
        }
    }

    fn act(&mut self, action: Action) {
        match action {
            Action::GoHome => {
                self.view.screen = Screen::Home;
                // Re-list on the I/O thread: a folder may have gone (or come back) since.
                self.backend.send(Request::Spaces);
                self.model.bump();
            }
            Action::LinkSpace(path) => {
                self.view.linking = true;
                self.backend.send(Request::LinkSpace { path });
            }
            Action::OpenSpace(space) => {
                let session = self
                    .model
                    .session
                    .as_ref()
                    .filter(|s| s.space.id == space)
                    .map(|s| s.session.id.clone());
                self.backend.send(Request::OpenSpace { space, session });
            }
            Action::NewSession => {
                if let Some(s) = &self.model.session {
                    self.backend.send(Request::NewSession {
                        space: s.space.id.clone(),
                    });
                }
            }
            Action::Send(prompt) => {
                let Some(session) = &self.model.session else {
                    return;
                };
                let (space_id, session_id) = (session.space.id.clone(), session.session.id.clone());
                let run_id = self.new_run_id();
                let model = Some(self.view.model_name.trim().to_owned()).filter(|m| !m.is_empty());
                self.model.owned.insert(run_id.clone());
                self.send_command(Command::StartRun(StartRun {
                    run_id,
                    space_id,
                    session_id,
                    prompt,
                    provider: Some(self.view.provider.clone()),
                    model,
                    context_provider: None,
                }));
                // Scrolled up, the thread is brought down to the new run; at the end it stays there.
                self.view.scroll_to_end = !self.view.stick_to_bottom;
                self.view.stick_to_bottom = true;
            }
            Action::Stop(run_id) => self.send_command(Command::CancelRun { run_id }),
            Action::Resume(run_id) => {
                self.model.owned.insert(run_id.clone());
                self.send_command(Command::ResumeRun { run_id });
            }
            Action::Retry(run_id) => {
                // A new run with the failed run's prompt and its own choices (provider, model, context
                // provider), so Retry means "the same again"; the composer's picker is for a different choice.
                let Some(session) = &self.model.session else {
                    return;
                };
                let Some(failed) = session.run(&run_id).map(|r| r.view.run.clone()) else {
                    return;
                };
                let (space_id, session_id) = (session.space.id.clone(), session.session.id.clone());
                let new_id = self.new_run_id();
                self.model.owned.insert(new_id.clone());
                self.send_command(Command::StartRun(StartRun {
                    run_id: new_id,
                    space_id,
                    session_id,
                    prompt: failed.prompt,
                    provider: failed.options.provider,
                    model: failed.options.model,
                    context_provider: failed.options.context_provider,
                }));
                // Scrolled up, the thread is brought down to the new run; at the end it stays there.
                self.view.scroll_to_end = !self.view.stick_to_bottom;
                self.view.stick_to_bottom = true;
            }
            Action::ApplyDraft { run, force } => {
                self.view.confirm_apply = None;
                self.backend.send(Request::ApplyDraft { run, force });
            }
            Action::DismissDraft(run) => {
                if !self.layout.dismissed_drafts.contains(&run) {
                    self.layout.dismissed_drafts.push(run);
                }
                self.model.bump();
            }
            Action::ToggleSidebar => self.layout.sidebar_open = !self.layout.sidebar_open,
            Action::ToggleSpec => self.layout.spec_open = !self.layout.spec_open,
            Action::SelectTab(i) => {
                if i < self.layout.tabs.len() {
                    self.layout.active_tab = i;
                }
            }
            Action::Toggle(what) => self.model.toggle(what),
            Action::OpenHistory => match self.layout.tabs.iter().position(|t| *t == Tab::History) {
                Some(i) => self.layout.active_tab = i,
                None => {
                    self.layout.tabs.push(Tab::History);
                    self.layout.active_tab = self.layout.tabs.len() - 1;
                }
            },
        }
    }

    /// `--exit-after-frames` / `--screenshot`: count frames, take the picture, close.
    fn smoke(&mut self, ctx: &egui::Context) {
        let Some(limit) = self.config.exit_after_frames else {
            return;
        };
        self.frames += 1;
        if self.frames < limit {
            ctx.request_repaint();
            return;
        }
        match self.config.screenshot.clone() {
            None => ctx.send_viewport_cmd(egui::ViewportCommand::Close),
            Some(_) if self.screenshot_done.load(Ordering::SeqCst) => {
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            }
            Some(path) => {
                if !self.screenshot_requested {
                    self.screenshot_requested = true;
                    let done = self.screenshot_done.clone();
                    let code = self.exit_code.clone();
                    let wake = ctx.clone();
                    code.store(1, Ordering::SeqCst);
                    ctx.send_viewport_cmd(egui::ViewportCommand::Screenshot(
                        egui::ScreenshotCallback::new(move |image| {
                            match super::screenshot::write_png(&path, &image) {
                                Ok(()) => code.store(0, Ordering::SeqCst),
                                Err(e) => eprintln!("error: cannot write the screenshot: {e}"),
                            }
                            done.store(true, Ordering::SeqCst);
                            wake.request_repaint();
                        }),
                    ));
                }
                if self.frames > limit + 600 {
                    eprintln!("error: no screenshot arrived within 600 frames; closing");
                    ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                }
                ctx.request_repaint();
            }
        }
    }
}

fn theme_install(ctx: &egui::Context) {
    super::theme::install(ctx);
}

impl eframe::App for KataApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        KataApp::logic(self, ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.draw(ui);
    }

    fn clear_color(&self, _visuals: &egui::Visuals) -> [f32; 4] {
        super::theme::CHROME.to_normalized_gamma_f32()
    }
}

impl Drop for KataApp {
    fn drop(&mut self) {
        if let Some(mut orchestrator) = self.orchestrator.take() {
            orchestrator.shutdown();
        }
    }
}
