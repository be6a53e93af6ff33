//! The window: owns the application (shared with its I/O side), the I/O side itself and the model. `logic`
//! drains replies — the change feed's updates among them — (bounded, never blocking) and turns the user's
//! actions into application calls on the I/O thread; `draw` only reads the model and records what the user
//! asked for.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use crate::app::App;
use crate::app::runs::StartRunRequest;
use crate::app::spaces::{AddSpace, missing_folders};
use crate::model::{RunId, SessionId, SpaceId};
use crate::orchestrator::Engine;
use crate::protocol::{Command, StartRun};

pub use super::action::Action;
use super::backend::{Backend, Reply, failed};
use super::model::{AppModel, FollowUp, sort_spaces};
use super::ui_state::{self, Tab, UiState};
pub use super::view_state::{Screen, SidebarSection, ViewState};
use super::views;

/// Most I/O replies (a feed batch counts as one) applied in one frame.
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

/// The window.
pub struct KataApp {
    pub app: Arc<App>,
    backend: Backend,
    pub model: AppModel,
    pub layout: UiState,
    saved_layout: UiState,
    pub view: ViewState,
    pub config: AppConfig,
    /// Every run command asked of the application, in order, as the orchestrator receives it (tests
    /// assert on it).
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
    /// Starts the I/O side on an opened engine (the orchestrator starts with the first run).
    pub fn new(engine: Engine, config: AppConfig) -> std::io::Result<Self> {
        let app = Arc::new(App::new(engine));
        let backend = Backend::start(app.clone())?;
        backend.call(startup);
        let now = app.now();
        Ok(Self {
            app,
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
        }
        self.model.now = self.app.now();
        if self.drain_replies() {
            // The per-frame cap was hit: come back for the rest next frame.
            ctx.request_repaint();
        }
        for action in std::mem::take(&mut self.actions) {
            self.act(action);
        }
        let time = ctx.input(|i| i.time);
        self.timers(time);
        let session = self
            .model
            .session
            .as_ref()
            .map(|s| (&s.session.id, s.session.worktree.as_ref()));
        super::changes::tick(&mut self.view.changes, session, &self.backend, ctx, time);
        // A save the full I/O queue refused is tried again next frame (saved_layout stays behind).
        if self.layout != self.saved_layout && self.restored {
            let layout = self.layout.clone();
            if self.backend.call(move |app| {
                app.save_state(ui_state::KEY, &layout)
                    .err()
                    .map(|e| failed("cannot save the window layout", &e))
            }) {
                self.saved_layout = self.layout.clone();
            }
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

    /// Draws one frame from the model; what the user asked for is carried out in the next `logic`.
    pub fn draw(&mut self, ui: &mut egui::Ui) {
        let mut frame = views::ViewCtx {
            model: &mut self.model,
            view: &mut self.view,
            layout: &mut self.layout,
            animate: self.config.animate,
            actions: &mut self.actions,
        };
        views::shell::show(&mut frame, ui);
    }

    fn follow_up(&mut self, follow: FollowUp) {
        match follow {
            FollowUp::CheckStaleness => {
                if let Some(s) = &self.model.session {
                    let (session, root) = (s.session.id.clone(), s.space.root_path.clone());
                    self.backend.call(move |app| {
                        Some(match app.session_staleness(&session, &root) {
                            Ok(staleness) => Reply::Staleness(staleness),
                            Err(e) => failed("cannot check staleness", &e),
                        })
                    });
                }
            }
            FollowUp::Reload => {
                self.backend.call(list_spaces);
                if let Some(s) = &self.model.session {
                    self.open(s.space.id.clone(), Some(s.session.id.clone()));
                }
            }
        }
    }

    /// Opens a space's session (the given one, else its latest) on the I/O thread.
    fn open(&self, space: SpaceId, session: Option<SessionId>) {
        self.backend.call(move |app| {
            Some(match app.open_session(&space, session.as_ref()) {
                Ok(data) => Reply::Session(Box::new(data)),
                Err(e) => failed("cannot open the space", &e),
            })
        });
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
                cursor,
            } => {
                self.backend.follow_feed(cursor);
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
                    self.open(space, self.layout.session.clone());
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
                self.backend.call(list_spaces);
                self.open(space.id, None);
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
                self.view.spec_base = data.spec.as_ref().map(|s| s.revision);
                self.view.heights.clear();
                self.view.stick_to_bottom = true;
                self.model.set_session(*data);
                self.view.screen = Screen::Session;
                if let Some(prompt) = self.view.pending_prompt.take() {
                    self.actions.push(Action::Send(prompt));
                }
            }
            Reply::Staleness(s) => {
                let current = self.model.session_id() == Some(&s.session);
                if current && self.view.spec_dirty_at.is_none() {
                    self.view.spec_buffer = s
                        .spec
                        .as_ref()
                        .map(|spec| spec.content.clone())
                        .unwrap_or_default();
                    self.view.spec_base = s.spec.as_ref().map(|spec| spec.revision);
                }
                self.model
                    .set_staleness(&s.session, s.runs, s.spec, s.root_missing);
            }
            Reply::Feed(updates) => {
                let spec_before = self.model.session.as_ref().and_then(|s| s.spec.clone());
                for follow in self.model.apply_updates(updates) {
                    self.follow_up(follow);
                }
                // A spec revision from elsewhere (another process, or this one) shows in the pane unless
                // the user is typing in it.
                let spec_after = self.model.session.as_ref().and_then(|s| s.spec.clone());
                if spec_after != spec_before && self.view.spec_dirty_at.is_none() {
                    self.view.spec_base = spec_after.as_ref().map(|s| s.revision);
                    self.view.spec_buffer = spec_after.map(|s| s.content).unwrap_or_default();
                    self.follow_up(FollowUp::CheckStaleness);
                }
            }
            Reply::Spec(spec) => {
                if self.view.spec_dirty_at.is_none()
                    && self.model.session_id() == Some(&spec.session_id)
                {
                    self.view.spec_buffer = spec.content.clone();
                    self.view.spec_base = Some(spec.revision);
                }
                self.model.set_spec(spec);
                self.follow_up(FollowUp::CheckStaleness);
            }
            Reply::Failed(message) => self.model.notice(message, true),
            Reply::Changes(reply) => {
                if let Some((message, error)) =
                    super::changes::reply(&mut self.view.changes, &self.backend, reply)
                {
                    self.model.notice(message, error);
                }
                self.model.bump();
            }
            Reply::StoreUnreadable(message) => {
                self.model.store_error = Some(message.clone());
                self.model.notice(message, true);
            }
        }
    }

    fn timers(&mut self, time: f64) {
        if self.model.session.is_some() && time - self.last_stale_check >= STALENESS_EVERY {
            // Source files change on disk without a store change: look again now and then.
            self.last_stale_check = time;
            self.follow_up(FollowUp::CheckStaleness);
        }
        if let Some(at) = self.view.spec_dirty_at
            && time - at >= AUTOSAVE_AFTER
            && let Some(session) = self.model.session_id().cloned()
        {
            self.view.spec_dirty_at = None;
            let content = self.view.spec_buffer.clone();
            let base = self.view.spec_base;
            self.backend.call(move |app| {
                Some(match app.save_spec_edit(&session, content, base) {
                    Ok(spec) => Reply::Spec(spec),
                    Err(e) => failed("cannot save the spec", &e),
                })
            });
        }
    }

    fn new_run_id(&mut self) -> RunId {
        self.next_run += 1;
        match &self.config.run_id_prefix {
            Some(prefix) => RunId::new(format!("{prefix}{}", self.next_run)),
            None => RunId::generate(self.app.ids(), self.app.now()),
        }
    }

    /// Starts a run on the I/O thread (the application checks it and hands it to the orchestrator).
    fn start_run(&mut self, start: StartRun) {
        let request = StartRunRequest {
            space: start.space_id.to_string(),
            session: Some(start.session_id.to_string()),
            prompt: start.prompt.clone(),
            provider: start.provider.clone(),
            model: start.model.clone(),
            context_provider: start.context_provider,
            run_id: Some(start.run_id.to_string()),
            script: start.script.clone(),
            permission_policy: start.permission_policy,
            spec_task: start.spec_task.clone(),
        };
        self.sent.push(Command::StartRun(start));
        self.backend.call(move |app| {
            app.start_run(request)
                .err()
                .map(|e| failed("cannot start the run", &e))
        });
        // Scrolled up, the thread is brought down to the new run; at the end it stays there.
        self.view.scroll_to_end = !self.view.stick_to_bottom;
        self.view.stick_to_bottom = true;
    }

    fn act(&mut self, action: Action) {
        match action {
            Action::GoHome => {
                self.view.screen = Screen::Home;
                // Re-list on the I/O thread: a folder may have gone (or come back) since.
                self.backend.call(list_spaces);
                self.model.bump();
            }
            Action::LinkSpace(path) => {
                self.view.linking = true;
                self.backend
                    .call(move |app| Some(Reply::Linked(link(app, &path))));
            }
            Action::OpenSpace(space) => {
                let session = self
                    .model
                    .session
                    .as_ref()
                    .filter(|s| s.space.id == space)
                    .map(|s| s.session.id.clone());
                self.open(space, session);
            }
            Action::NewSession(name) => {
                if let Some(s) = &self.model.session {
                    let space = s.space.id.clone();
                    self.view.new_session_name.clear();
                    self.view.sessions_open = false;
                    self.backend.call(move |app| {
                        let name = Some(name.trim()).filter(|n| !n.is_empty());
                        Some(match app.open_new_session(&space, name) {
                            Ok(data) => Reply::Session(Box::new(data)),
                            Err(e) => failed("cannot create a session", &e),
                        })
                    });
                }
            }
            Action::OpenSession(session) => {
                if let Some(s) = &self.model.session {
                    let space = s.space.id.clone();
                    self.view.sessions_open = false;
                    self.backend.call(move |app| {
                        let opened = app
                            .touch_session(&session)
                            .and_then(|_| app.open_session(&space, Some(&session)));
                        Some(match opened {
                            Ok(data) => Reply::Session(Box::new(data)),
                            Err(e) => failed("cannot open the session", &e),
                        })
                    });
                }
            }
            Action::ArchiveSession(session) => {
                self.view.confirm_archive = None;
                let current = self
                    .model
                    .session
                    .as_ref()
                    .map(|s| (s.space.id.clone(), s.session.id.clone()));
                self.backend.call(move |app| {
                    if let Err(e) = app.archive_session(&session) {
                        return Some(failed("cannot archive the session", &e));
                    }
                    // Archiving the open session moves the window to the space's latest other one.
                    let (space, open) = current?;
                    (open == session).then(|| match app.open_session(&space, None) {
                        Ok(data) => Reply::Session(Box::new(data)),
                        Err(e) => failed("cannot open the next session", &e),
                    })
                });
            }
            Action::Send(prompt) => self.send(prompt),
            Action::AnswerPermission {
                run,
                request,
                decision,
                feedback,
            } => {
                self.backend.call(move |app| {
                    app.answer_permission(crate::app::permissions::AnswerPermission {
                        run: run.to_string(),
                        request,
                        decision,
                        feedback,
                        by: crate::model::Decider::Window,
                    })
                    .err()
                    .map(|e| failed("cannot answer the request", &e))
                });
            }
            Action::Stop(run_id) => self.stop(run_id),
            Action::Resume(run_id) => self.resume(run_id),
            Action::Retry(run_id) => self.retry(run_id),
            Action::ApplyDraft { run, force } => {
                self.view.confirm_apply = None;
                self.backend.call(move |app| {
                    Some(match app.apply_draft(&run, force) {
                        Ok(spec) => Reply::Spec(spec),
                        Err(e) => Reply::Failed(super::wording::message(&e)),
                    })
                });
            }
            Action::RunSpecTask { task, title } => self.run_spec_task(task, title),
            Action::ToggleSpecTask(task) => {
                if let Some(session) = self.model.session_id().cloned() {
                    self.backend.call(move |app| {
                        Some(match app.toggle_spec_task(session.as_str(), &task, None) {
                            Ok(spec) => Reply::Spec(spec),
                            Err(e) => failed("cannot change the task", &e),
                        })
                    });
                }
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
            Action::Changes(action) => {
                // A diff opens in the right pane, which is shown for it.
                if matches!(action, super::changes::ChangesAction::Open { .. }) {
                    self.layout.spec_open = true;
                }
                super::changes::act(&mut self.view.changes, &self.backend, action);
                self.model.bump();
            }
            Action::OpenHistory => match self.layout.tabs.iter().position(|t| *t == Tab::History) {
                Some(i) => self.layout.active_tab = i,
                None => {
                    self.layout.tabs.push(Tab::History);
                    self.layout.active_tab = self.layout.tabs.len() - 1;
                }
            },
        }
    }

    /// Starts a run of `prompt` in the open session with the composer's provider and model.
    fn send(&mut self, prompt: String) {
        let Some(session) = &self.model.session else {
            return;
        };
        let (space_id, session_id) = (session.space.id.clone(), session.session.id.clone());
        let run_id = self.new_run_id();
        let model = Some(self.view.model_name.trim().to_owned()).filter(|m| !m.is_empty());
        self.start_run(StartRun {
            run_id,
            space_id,
            session_id,
            prompt,
            provider: Some(self.view.provider.clone()),
            model,
            context_provider: None,
            script: None,
            permission_policy: None,
            spec_task: None,
        });
    }

    /// Starts a run for one spec task alone (its ▶), with the composer's provider and model.
    fn run_spec_task(&mut self, task: String, title: String) {
        let Some(session) = &self.model.session else {
            return;
        };
        let (space_id, session_id) = (session.space.id.clone(), session.session.id.clone());
        let run_id = self.new_run_id();
        let model = Some(self.view.model_name.trim().to_owned()).filter(|m| !m.is_empty());
        self.start_run(StartRun {
            run_id,
            space_id,
            session_id,
            prompt: title,
            provider: Some(self.view.provider.clone()),
            model,
            context_provider: None,
            script: None,
            permission_policy: None,
            spec_task: Some(task),
        });
    }

    /// Asks the run's process to stop it.
    fn stop(&mut self, run_id: RunId) {
        self.sent.push(Command::CancelRun {
            run_id: run_id.clone(),
        });
        self.backend.call(move |app| {
            app.cancel_run(&run_id)
                .err()
                .map(|e| failed("cannot stop the run", &e))
        });
    }

    /// Resumes an interrupted run in this process.
    fn resume(&mut self, run_id: RunId) {
        self.sent.push(Command::ResumeRun {
            run_id: run_id.clone(),
        });
        self.backend.call(move |app| {
            app.resume_run(&run_id)
                .err()
                .map(|e| failed("cannot resume the run", &e))
        });
    }

    /// Starts a new run with a failed run's prompt and its own choices (provider, model, context
    /// provider), so Retry means "the same again"; the composer's picker is for a different choice.
    fn retry(&mut self, run_id: RunId) {
        let Some(session) = &self.model.session else {
            return;
        };
        let Some(failed) = session.run(&run_id).map(|r| r.view.run.clone()) else {
            return;
        };
        let (space_id, session_id) = (session.space.id.clone(), session.session.id.clone());
        let new_id = self.new_run_id();
        self.start_run(StartRun {
            run_id: new_id,
            space_id,
            session_id,
            prompt: failed.prompt,
            provider: failed.options.provider,
            model: failed.options.model,
            context_provider: failed.options.context_provider,
            script: failed.options.script,
            permission_policy: failed.options.permission_policy,
            spec_task: failed.options.spec_task,
        });
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
        // Live runs become interrupted (resumable) before the window is gone.
        self.app.shutdown();
    }
}

/// The first read: the feed's position first (so nothing committed after the read is missed), then the
/// spaces, the saved layout and the size of the history.
fn startup(app: &App) -> Option<Reply> {
    let read = || -> Result<Reply, crate::app::AppError> {
        let cursor = app.feed_cursor()?;
        let ui = match app.load_state::<UiState>(ui_state::KEY) {
            Ok(ui) => ui,
            Err(e) => {
                tracing::warn!("saved window layout unreadable, starting fresh: {e}");
                None
            }
        };
        let mut spaces = app.list_spaces()?;
        sort_spaces(&mut spaces);
        Ok(Reply::Startup {
            missing: missing_folders(&spaces),
            spaces,
            ui,
            total_runs: app.store().read(|rx| rx.run_count())?,
            cursor,
        })
    };
    Some(read().unwrap_or_else(|e| {
        Reply::StoreUnreadable(format!(
            "cannot read the store ({e}). Close the window, then run `kata-cloud doctor`. {}",
            crate::model::ErrorInfo::from(&e).remediation
        ))
    }))
}

/// All spaces (most recently changed first) and those whose folder is gone.
fn list_spaces(app: &App) -> Option<Reply> {
    Some(match app.list_spaces() {
        Ok(mut spaces) => {
            sort_spaces(&mut spaces);
            let missing = missing_folders(&spaces);
            Reply::Spaces(spaces, missing)
        }
        Err(e) => failed("cannot list spaces", &e),
    })
}

/// Links the folder typed on Home (`~/` is the home directory).
fn link(app: &App, path: &str) -> Result<crate::model::Space, String> {
    let trimmed = path.trim();
    if trimmed.is_empty() {
        return Err("Enter the folder of a repository, e.g. ~/code/my-app".to_owned());
    }
    let expanded = match (trimmed.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => std::path::Path::new(&home).join(rest),
        _ => std::path::Path::new(trimmed).to_path_buf(),
    };
    app.add_space(AddSpace {
        path: expanded,
        ..AddSpace::default()
    })
    .map(|added| added.space)
    .map_err(|e| super::wording::message(&e))
}
