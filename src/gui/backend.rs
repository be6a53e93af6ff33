//! The window's I/O thread: every store read and write, every staleness check (which hashes source files)
//! and every save happens here, never on the UI thread. Requests go in over a channel; replies come back
//! over another, and the UI drains them without blocking at the start of each frame.

use std::path::Path;
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, OnceLock};

use crate::context::SourceChecker;
use crate::history::{self, RunFilter};
use crate::model::{
    IdGenerator, RunId, RunView, SessionId, SharedClock, Space, SpaceId, SpecRecord, Staleness,
};
use crate::spaces::{self, LinkOptions};
use crate::store::{Rx, Store, StoreError};

use super::ui_state::{self, UiState};

/// What the UI asks of the I/O thread.
#[derive(Debug)]
pub enum Request {
    /// Spaces, the saved window state and the size of the history (first frame).
    Startup,
    Spaces,
    LinkSpace {
        path: String,
    },
    /// Loads a space's session (the given one, else the latest, created if the space has none).
    OpenSpace {
        space: SpaceId,
        session: Option<SessionId>,
    },
    NewSession {
        space: SpaceId,
    },
    /// Reloads one run in full (context items, tasks, staleness).
    RefreshRun {
        run: RunId,
    },
    /// Re-derives staleness of the session's runs and reloads its spec.
    CheckStaleness {
        session: SessionId,
        /// The space's folder, checked for existence on this thread (never on the UI thread).
        root: std::path::PathBuf,
    },
    ApplyDraft {
        run: RunId,
        force: bool,
    },
    SaveSpec {
        session: SessionId,
        content: String,
    },
    SaveUi(UiState),
}

/// A session with everything the thread and the panes draw from.
#[derive(Debug)]
pub struct SessionData {
    pub space: Space,
    pub sessions: Vec<crate::model::Session>,
    pub session: crate::model::Session,
    /// Oldest first.
    pub runs: Vec<RunView>,
    pub spec: Option<SpecRecord>,
    /// The space's folder is gone (deleted or moved since it was linked).
    pub root_missing: bool,
}

/// What the I/O thread answers.
#[derive(Debug)]
pub enum Reply {
    Startup {
        spaces: Vec<Space>,
        /// Spaces whose folder is gone (checked here, off the UI thread).
        missing: Vec<SpaceId>,
        ui: Option<UiState>,
        total_runs: usize,
    },
    /// The store cannot be read at all (damaged): the window says so instead of waiting.
    StoreUnreadable(String),
    /// All spaces, and those whose folder is gone.
    Spaces(Vec<Space>, Vec<SpaceId>),
    /// The result of linking the folder typed on the home screen.
    Linked(Result<Space, String>),
    Session(Box<SessionData>),
    Run(Box<RunView>),
    Staleness {
        session: SessionId,
        runs: Vec<(RunId, Staleness)>,
        spec: Option<SpecRecord>,
        root_missing: bool,
    },
    /// The spec changed (draft applied or edit saved).
    Spec(SpecRecord),
    /// A request failed; the message says what to do.
    Failed(String),
}

/// Requests waiting for the I/O thread before new ones are refused.
const REQUEST_CAPACITY: usize = 256;
/// Replies waiting for the UI before the I/O thread waits (it never blocks the UI).
const REPLY_CAPACITY: usize = 256;

/// The UI's end of the I/O thread.
pub struct Backend {
    /// `None` once dropping: closing it ends the I/O thread.
    requests: Option<SyncSender<Request>>,
    replies: Receiver<Reply>,
    repaint: Arc<OnceLock<egui::Context>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Backend {
    /// Starts the I/O thread on the engine's store.
    pub fn start(store: Store, clock: SharedClock, ids: Arc<IdGenerator>) -> std::io::Result<Self> {
        let (requests, inbox) = mpsc::sync_channel::<Request>(REQUEST_CAPACITY);
        let (outbox, replies) = mpsc::sync_channel::<Reply>(REPLY_CAPACITY);
        let repaint: Arc<OnceLock<egui::Context>> = Arc::new(OnceLock::new());
        let wake = repaint.clone();
        let thread = std::thread::Builder::new()
            .name("kata-gui-io".into())
            .spawn(move || {
                let worker = Worker {
                    store,
                    clock,
                    ids,
                    checker: SourceChecker::new(),
                };
                while let Ok(request) = inbox.recv() {
                    // redb panics on some damaged files instead of returning an error: the window says the
                    // store is unreadable and keeps running, rather than waiting forever for a reply.
                    let reply = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        worker.handle(request)
                    }))
                    .unwrap_or_else(|_| {
                        let reason = crate::diagnostics::take_store_panic()
                            .unwrap_or_else(|| "an internal error".to_owned());
                        let e = StoreError::damaged_file(worker.store.data_dir(), &reason);
                        Some(Reply::StoreUnreadable(format!(
                            "{e}. Close the window first. {}",
                            e.remediation()
                        )))
                    });
                    if let Some(reply) = reply {
                        if outbox.send(reply).is_err() {
                            break;
                        }
                        if let Some(ctx) = wake.get() {
                            ctx.request_repaint();
                        }
                    }
                }
            })?;
        Ok(Self {
            requests: Some(requests),
            replies,
            repaint,
            thread: Some(thread),
        })
    }

    /// Lets the I/O thread wake the UI when a reply is ready.
    pub fn set_repaint(&self, ctx: &egui::Context) {
        let _ = self.repaint.set(ctx.clone());
    }

    /// Queues a request (never blocks; a full queue drops it with a warning).
    pub fn send(&self, request: Request) {
        self.try_send(request);
    }

    /// Like `send`, and says whether the request was queued, so a caller that must not lose it (the
    /// layout save) can try again next frame.
    pub fn try_send(&self, request: Request) -> bool {
        let Some(requests) = &self.requests else {
            return false;
        };
        match requests.try_send(request) {
            Ok(()) => true,
            Err(TrySendError::Full(request)) => {
                tracing::warn!(?request, "the window's I/O queue is full; request dropped");
                false
            }
            Err(TrySendError::Disconnected(_)) => {
                tracing::warn!("the window's I/O thread is gone; request dropped");
                false
            }
        }
    }

    /// The next ready reply, if any (never blocks).
    pub fn try_recv(&self) -> Option<Reply> {
        self.replies.try_recv().ok()
    }
}

impl Drop for Backend {
    /// Waits for the I/O thread so the store is closed when the window is gone (a reopened store in the same
    /// process would otherwise find it still open).
    fn drop(&mut self) {
        self.requests = None;
        // Unblock a worker waiting to hand over a reply.
        while self.replies.try_recv().is_ok() {}
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

struct Worker {
    store: Store,
    clock: SharedClock,
    ids: Arc<IdGenerator>,
    checker: SourceChecker,
}

fn failed(what: &str, e: impl std::fmt::Display) -> Reply {
    Reply::Failed(format!("{what}: {e}"))
}

impl Worker {
    fn handle(&self, request: Request) -> Option<Reply> {
        Some(match request {
            Request::Startup => match self.startup() {
                Ok(reply) => reply,
                Err(e) => Reply::StoreUnreadable(format!(
                    "cannot read the store ({e}). Close the window, then run `kata-cloud doctor`. {}",
                    e.remediation()
                )),
            },
            Request::Spaces => match self.store.read(|rx| rx.spaces()) {
                Ok(spaces) => {
                    let missing = missing_folders(&spaces);
                    Reply::Spaces(sorted(spaces), missing)
                }
                Err(e) => failed("cannot list spaces", e),
            },
            Request::LinkSpace { path } => Reply::Linked(self.link(&path)),
            Request::OpenSpace { space, session } => {
                match self.open(&space, session.as_ref(), false) {
                    Ok(data) => Reply::Session(Box::new(data)),
                    Err(e) => failed("cannot open the space", e),
                }
            }
            Request::NewSession { space } => match self.open(&space, None, true) {
                Ok(data) => Reply::Session(Box::new(data)),
                Err(e) => failed("cannot create a session", e),
            },
            Request::RefreshRun { run } => {
                match history::run_view(&self.store, &self.checker, &run) {
                    Ok(Some(view)) => Reply::Run(Box::new(view)),
                    Ok(None) => failed("cannot reload the run", format!("no run {run}")),
                    Err(e) => failed("cannot reload the run", e),
                }
            }
            Request::CheckStaleness { session, root } => match self.staleness(&session, &root) {
                Ok(reply) => reply,
                Err(e) => failed("cannot check staleness", e),
            },
            Request::ApplyDraft { run, force } => match self.apply(&run, force) {
                Ok(spec) => Reply::Spec(spec),
                Err(message) => Reply::Failed(message),
            },
            Request::SaveSpec { session, content } => match self.save_spec(session, content) {
                Ok(spec) => Reply::Spec(spec),
                Err(e) => failed("cannot save the spec", e),
            },
            Request::SaveUi(state) => {
                return match self
                    .store
                    .write(|tx| tx.put_app_state(ui_state::KEY, &state))
                {
                    Ok(()) => None,
                    Err(e) => Some(failed("cannot save the window layout", e)),
                };
            }
        })
    }

    fn startup(&self) -> Result<Reply, StoreError> {
        self.store.read(|rx| {
            let ui = match rx.app_state::<UiState>(ui_state::KEY) {
                Ok(ui) => ui,
                Err(e) => {
                    tracing::warn!("saved window layout unreadable, starting fresh: {e}");
                    None
                }
            };
            let spaces = sorted(rx.spaces()?);
            Ok(Reply::Startup {
                missing: missing_folders(&spaces),
                spaces,
                ui,
                total_runs: rx.runs()?.len(),
            })
        })
    }

    fn link(&self, path: &str) -> Result<Space, String> {
        let trimmed = path.trim();
        if trimmed.is_empty() {
            return Err("Enter the folder of a repository, e.g. ~/code/my-app".to_owned());
        }
        let expanded = match (trimmed.strip_prefix("~/"), std::env::var_os("HOME")) {
            (Some(rest), Some(home)) => Path::new(&home).join(rest),
            _ => Path::new(trimmed).to_path_buf(),
        };
        spaces::link(
            &self.store,
            self.clock.as_ref(),
            &self.ids,
            &expanded,
            LinkOptions::default(),
        )
        .map(|(space, _)| space)
        .map_err(|e| e.to_string().replace("--name", "a name"))
    }

    fn open(
        &self,
        space_id: &SpaceId,
        session: Option<&SessionId>,
        fresh: bool,
    ) -> Result<SessionData, spaces::SpaceError> {
        let space = self
            .store
            .read(|rx| rx.space(space_id))?
            .ok_or_else(|| spaces::SpaceError::UnknownSpace(space_id.to_string()))?;
        let session = if fresh {
            spaces::new_session(&self.store, self.clock.as_ref(), &self.ids, &space)?
        } else {
            let wanted = session.map(SessionId::as_str);
            match spaces::session_for(&self.store, self.clock.as_ref(), &self.ids, &space, wanted) {
                Ok(s) => s,
                Err(
                    spaces::SpaceError::UnknownSession(_)
                    | spaces::SpaceError::SessionOfOtherSpace { .. },
                ) => {
                    spaces::session_for(&self.store, self.clock.as_ref(), &self.ids, &space, None)?
                }
                Err(e) => return Err(e),
            }
        };
        let stale: std::collections::HashMap<RunId, Staleness> = history::run_summaries(
            &self.store,
            &self.checker,
            &RunFilter {
                space: None,
                session: Some(session.id.clone()),
            },
        )?
        .into_iter()
        .map(|s| (s.id, s.stale))
        .collect();
        let (sessions, runs, spec) = self.store.read(|rx| {
            let mut runs = Vec::new();
            for mut run in rx.session_runs(&session.id)? {
                fill_items(rx, &mut run);
                let tasks = rx.tasks(&run.id)?;
                let stale = stale.get(&run.id).cloned().unwrap_or_default();
                runs.push(RunView { run, tasks, stale });
            }
            Ok((rx.sessions(&space.id)?, runs, rx.spec(&session.id)?))
        })?;
        let root_missing = !space.root_path.is_dir();
        Ok(SessionData {
            space,
            sessions,
            session,
            runs,
            spec,
            root_missing,
        })
    }

    fn staleness(&self, session: &SessionId, root: &std::path::Path) -> Result<Reply, StoreError> {
        let runs = history::run_summaries(
            &self.store,
            &self.checker,
            &RunFilter {
                space: None,
                session: Some(session.clone()),
            },
        )?
        .into_iter()
        .map(|s| (s.id, s.stale))
        .collect();
        let spec = self.store.read(|rx| rx.spec(session))?;
        Ok(Reply::Staleness {
            session: session.clone(),
            runs,
            spec,
            root_missing: !root.is_dir(),
        })
    }

    fn apply(&self, id: &RunId, force: bool) -> Result<SpecRecord, String> {
        let view = history::run_view(&self.store, &self.checker, id)
            .map_err(|e| format!("cannot read run {id}: {e}"))?
            .ok_or_else(|| format!("run {id} no longer exists"))?;
        if view.run.draft.is_none() {
            return Err(format!("run {id} has no draft to apply"));
        }
        if view.stale.is_stale && !force {
            return Err(format!(
                "the draft of run {} is stale; use Apply anyway to apply it",
                id.short()
            ));
        }
        crate::specs::apply_draft(&self.store, id, self.clock.now())
            .map_err(|e| format!("cannot apply the draft of run {id}: {e}"))
    }

    fn save_spec(&self, session: SessionId, content: String) -> Result<SpecRecord, StoreError> {
        crate::specs::save_edit(&self.store, session, content, self.clock.now())
    }
}

/// Fills a run's context items from its snapshot (a damaged snapshot leaves them empty).
fn fill_items(rx: &Rx, run: &mut crate::model::RunRecord) {
    if let Some(id) = &run.context.snapshot_id
        && let Ok(Some(snapshot)) = rx.snapshot(id)
    {
        run.context.items = snapshot.items;
    }
}

/// The spaces whose linked folder is no longer a directory.
fn missing_folders(spaces: &[Space]) -> Vec<SpaceId> {
    spaces
        .iter()
        .filter(|s| !s.root_path.is_dir())
        .map(|s| s.id.clone())
        .collect()
}

fn sorted(mut spaces: Vec<Space>) -> Vec<Space> {
    spaces.sort_by(|a, b| b.updated_at.cmp(&a.updated_at).then(a.name.cmp(&b.name)));
    spaces
}
