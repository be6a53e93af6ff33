//! The window's I/O: every application call (each a store read or write, a staleness check that hashes
//! source files, an autosave) runs on the `kata-gui-io` thread, never on the UI thread; the change feed is
//! followed on its own thread. Both hand their results back as [`Reply`]s over one bounded channel, which
//! the UI drains without blocking at the start of each frame, and wake the UI when they do.

use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, OnceLock};

use crate::app::feed::{FeedWatcher, Update};
use crate::app::runs::{SessionData, SessionStaleness};
use crate::app::{App, AppError};
use crate::model::{Space, SpaceId, SpecRecord};
use crate::store::StoreError;

use super::ui_state::UiState;

/// What the I/O side hands back to the UI.
#[derive(Debug)]
pub enum Reply {
    /// The first read: spaces, the saved window state, the size of the history, the feed's position.
    Startup {
        spaces: Vec<Space>,
        /// Spaces whose folder is gone (checked on the I/O thread).
        missing: Vec<SpaceId>,
        ui: Option<UiState>,
        total_runs: u64,
        /// Where the change feed stood before the read: the window follows it from there.
        cursor: u64,
    },
    /// The store cannot be read at all (damaged): the window says so instead of waiting.
    StoreUnreadable(String),
    /// All spaces, and those whose folder is gone.
    Spaces(Vec<Space>, Vec<SpaceId>),
    /// The result of linking the folder typed on the home screen.
    Linked(Result<Space, String>),
    Session(Box<SessionData>),
    Staleness(SessionStaleness),
    /// The spec changed (draft applied or edit saved here).
    Spec(SpecRecord),
    /// What changed in the store since the last batch (this process's runs and other processes' alike).
    Feed(Vec<Update>),
    /// A request failed; the message says what to do.
    Failed(String),
    /// The Changes tab's answers (status, a diff, an operation's end).
    Changes(super::changes::ChangesReply),
}

/// Jobs waiting for the I/O thread before new ones are refused.
const JOB_CAPACITY: usize = 256;
/// Replies waiting for the UI before the I/O side waits (it never blocks the UI).
const REPLY_CAPACITY: usize = 256;

type Job = Box<dyn FnOnce(&App) -> Option<Reply> + Send>;

/// The UI's end of the I/O thread and the feed.
pub struct Backend {
    app: Arc<App>,
    /// `None` once dropping: closing it ends the I/O thread.
    jobs: Option<SyncSender<Job>>,
    outbox: SyncSender<Reply>,
    replies: Receiver<Reply>,
    repaint: Arc<OnceLock<egui::Context>>,
    thread: Option<std::thread::JoinHandle<()>>,
    feed: Option<FeedWatcher>,
}

impl Backend {
    /// Starts the I/O thread on the application.
    pub fn start(app: Arc<App>) -> std::io::Result<Self> {
        let (jobs, inbox) = mpsc::sync_channel::<Job>(JOB_CAPACITY);
        let (outbox, replies) = mpsc::sync_channel::<Reply>(REPLY_CAPACITY);
        let repaint: Arc<OnceLock<egui::Context>> = Arc::new(OnceLock::new());
        let wake = repaint.clone();
        let worker_app = app.clone();
        let worker_outbox = outbox.clone();
        let thread = std::thread::Builder::new()
            .name("kata-gui-io".into())
            .spawn(move || {
                while let Ok(job) = inbox.recv() {
                    // redb panics on some damaged files instead of returning an error: the window says the
                    // store is unreadable and keeps running, rather than waiting forever for a reply.
                    let reply =
                        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&worker_app)))
                            .unwrap_or_else(|_| Some(unreadable(&worker_app)));
                    if let Some(reply) = reply {
                        if worker_outbox.send(reply).is_err() {
                            break;
                        }
                        if let Some(ctx) = wake.get() {
                            ctx.request_repaint();
                        }
                    }
                }
            })?;
        Ok(Self {
            app,
            jobs: Some(jobs),
            outbox,
            replies,
            repaint,
            thread: Some(thread),
            feed: None,
        })
    }

    /// Lets the I/O side wake the UI when a reply is ready.
    pub fn set_repaint(&self, ctx: &egui::Context) {
        let _ = self.repaint.set(ctx.clone());
    }

    /// Follows the change feed from `cursor` (what the window has read already), replacing any earlier
    /// follower.
    pub fn follow_feed(&mut self, cursor: u64) {
        self.feed = None;
        let outbox = self.outbox.clone();
        let wake = self.repaint.clone();
        match FeedWatcher::start(self.app.clone(), cursor, move |updates| {
            if outbox.send(Reply::Feed(updates)).is_ok()
                && let Some(ctx) = wake.get()
            {
                ctx.request_repaint();
            }
        }) {
            Ok(feed) => self.feed = Some(feed),
            Err(e) => tracing::error!(error = %e, "cannot follow the change feed"),
        }
    }

    /// Queues `job` for the I/O thread; says whether it was queued (a full queue drops it with a warning,
    /// never blocking the UI).
    pub fn call(&self, job: impl FnOnce(&App) -> Option<Reply> + Send + 'static) -> bool {
        let Some(jobs) = &self.jobs else {
            return false;
        };
        match jobs.try_send(Box::new(job)) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) => {
                tracing::warn!("the window's I/O queue is full; request dropped");
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
    /// Stops the feed and waits for the I/O thread, so the store is closed when the window is gone (a
    /// reopened store in the same process would otherwise find it still open).
    fn drop(&mut self) {
        self.jobs = None;
        if let Some(feed) = &self.feed {
            feed.request_stop();
            // Unblock a follower waiting to hand over a batch.
            while !feed.is_finished() {
                while self.replies.try_recv().is_ok() {}
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
        }
        self.feed = None;
        if let Some(thread) = self.thread.take() {
            while !thread.is_finished() {
                while self.replies.try_recv().is_ok() {}
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
            let _ = thread.join();
        }
    }
}

/// The reply for a job that panicked inside redb: the store file is damaged.
fn unreadable(app: &App) -> Reply {
    let reason =
        crate::diagnostics::take_store_panic().unwrap_or_else(|| "an internal error".to_owned());
    let e = StoreError::damaged_file(app.data_dir(), &reason);
    Reply::StoreUnreadable(format!(
        "{e}. Close the window first. {}",
        crate::model::ErrorInfo::from(&e).remediation
    ))
}

/// A failed request, worded for the window: what failed and what to do.
pub fn failed(what: &str, e: &AppError) -> Reply {
    Reply::Failed(super::wording::failure(what, e))
}
