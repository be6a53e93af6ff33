//! The change feed, read by clients: what changed since a cursor, resolved into the records to show.
//!
//! Every write that changes what clients show appends a row to the store's feed in its own transaction
//! (`store::changes`). A reader keeps a cursor (the last sequence number it applied) and asks for what came
//! after it. [`FeedWatcher`] does that on a named thread and hands the updates to a callback: it wakes at
//! once for commits in this process (the store's change signal), within a few milliseconds for commits of
//! other processes sharing the store (a watch on the store file), and every [`FEED_POLL`] at the latest
//! (the fallback when file watching is unavailable). It also interrupts runs whose process died while
//! this one watches (their owner's lease is free), so nothing stays "running" that is not.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::{App, AppError};
use crate::model::{
    Change, Event, RunId, Session, SessionId, Space, SpaceId, SpecRecord, Timestamp,
};
use crate::store::{STORE_FILE, StoreError};

/// The longest a watcher sleeps without looking at the feed.
pub const FEED_POLL: Duration = Duration::from_millis(750);
/// How often a watcher looks for runs whose process died.
pub const ORPHAN_CHECK: Duration = Duration::from_secs(2);
/// Most changes resolved in one read.
const PAGE: usize = 512;

/// A change, resolved into what clients apply.
#[derive(Clone, Debug, PartialEq)]
pub enum Update {
    /// A space was linked or changed.
    Space(Space),
    SpaceRemoved(SpaceId),
    /// A session was created or changed.
    Session(Session),
    /// A session's spec has a new revision.
    Spec(SpecRecord),
    /// An event of a run's log, as the orchestrator that committed it published it.
    RunEvent {
        run_id: RunId,
        seq: u64,
        at: Timestamp,
        event: Event,
    },
    /// Changes were missed (the reader fell behind the retained feed, or a record could not be read):
    /// reload what is shown.
    Reload,
}

impl Update {
    /// The session an update belongs to, when it belongs to one.
    pub fn session(&self) -> Option<&SessionId> {
        match self {
            Update::Session(s) => Some(&s.id),
            Update::Spec(s) => Some(&s.session_id),
            Update::Space(_)
            | Update::SpaceRemoved(_)
            | Update::RunEvent { .. }
            | Update::Reload => None,
        }
    }
}

impl App {
    /// The feed's newest sequence number: a new reader starts there (it reads everything older from the
    /// tables themselves).
    pub fn feed_cursor(&self) -> Result<u64, AppError> {
        Ok(self.store().read(|rx| rx.last_change())?)
    }

    /// The changes after `cursor`, resolved, oldest first; `cursor` moves past them.
    pub fn read_feed(&self, cursor: &mut u64) -> Result<Vec<Update>, AppError> {
        let start = *cursor;
        let page = self.store().read(|rx| rx.changes_after(start, PAGE))?;
        let mut updates = Vec::with_capacity(page.changes.len());
        if page.gap {
            updates.push(Update::Reload);
        }
        let resolved = self.store().read(|rx| {
            let mut out = Vec::with_capacity(page.changes.len());
            for record in &page.changes {
                let update = match &record.change {
                    Change::RunEvent { run_id, seq } => match rx.event(run_id, *seq)? {
                        Some(e) => Some(Update::RunEvent {
                            run_id: run_id.clone(),
                            seq: e.seq,
                            at: e.at,
                            event: e.event,
                        }),
                        None => Some(Update::Reload),
                    },
                    Change::Space { space_id } => match rx.space(space_id) {
                        Ok(Some(space)) => Some(Update::Space(space)),
                        Ok(None) => Some(Update::SpaceRemoved(space_id.clone())),
                        Err(StoreError::Damaged { .. }) => Some(Update::Reload),
                        Err(e) => return Err(e),
                    },
                    Change::SpaceRemoved { space_id } => {
                        Some(Update::SpaceRemoved(space_id.clone()))
                    }
                    Change::Session { session_id, .. } => match rx.session(session_id) {
                        Ok(found) => found.map(Update::Session),
                        Err(StoreError::Damaged { .. }) => Some(Update::Reload),
                        Err(e) => return Err(e),
                    },
                    Change::Spec {
                        session_id,
                        revision,
                    } => match rx.spec(session_id) {
                        // Only the newest revision matters to a reader; older ones were superseded.
                        Ok(Some(spec)) if spec.revision == *revision => Some(Update::Spec(spec)),
                        Ok(_) => None,
                        Err(StoreError::Damaged { .. }) => Some(Update::Reload),
                        Err(e) => return Err(e),
                    },
                };
                out.extend(update);
            }
            Ok(out)
        })?;
        updates.extend(resolved);
        *cursor = page.changes.last().map_or(page.last.max(start), |c| c.seq);
        Ok(updates)
    }

    /// Interrupts live runs whose process died (their owner's lease is free), durably, with their events
    /// on the feed. Runs this process executes and runs of living processes are left alone.
    pub fn interrupt_orphans(&self) -> Result<usize, AppError> {
        let done =
            crate::store::reconcile(self.store(), self.data_dir(), self.owner(), self.now())?;
        Ok(done.runs.len())
    }
}

/// Follows the feed on a named thread until dropped, handing each batch of updates to a callback.
pub struct FeedWatcher {
    stop: Arc<AtomicBool>,
    signal: Arc<crate::store::ChangeSignal>,
    thread: Option<std::thread::JoinHandle<()>>,
    // Kept alive for as long as the watcher runs; dropping it ends the file watch.
    _file_watch: Option<notify::RecommendedWatcher>,
}

impl FeedWatcher {
    /// Starts following from `cursor`. `deliver` gets every non-empty batch, in order; an error reading the
    /// feed is delivered as a `Reload` after being logged, and the watcher keeps going.
    pub fn start(
        app: Arc<App>,
        mut cursor: u64,
        mut deliver: impl FnMut(Vec<Update>) + Send + 'static,
    ) -> std::io::Result<FeedWatcher> {
        let signal = app.store().change_signal().clone();
        let app_signal = signal.clone();
        let file_watch = watch_store_file(app.data_dir(), signal.clone());
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let thread = std::thread::Builder::new()
            .name("kata-feed".into())
            .spawn(move || {
                let mut seen = signal.generation();
                let mut last_orphan_check = Instant::now();
                while !stopping.load(Ordering::SeqCst) {
                    match app.read_feed(&mut cursor) {
                        Ok(updates) if !updates.is_empty() => deliver(updates),
                        Ok(_) => {}
                        Err(e) => {
                            tracing::warn!(error = %e, "cannot read the change feed; reloading");
                            deliver(vec![Update::Reload]);
                        }
                    }
                    if last_orphan_check.elapsed() >= ORPHAN_CHECK {
                        last_orphan_check = Instant::now();
                        if let Err(e) = app.interrupt_orphans() {
                            tracing::warn!(error = %e, "cannot check for runs whose process died");
                        }
                    }
                    if stopping.load(Ordering::SeqCst) {
                        break;
                    }
                    seen = signal.wait_past(seen, FEED_POLL);
                }
            })?;
        Ok(FeedWatcher {
            stop,
            signal: app_signal,
            thread: Some(thread),
            _file_watch: file_watch,
        })
    }
}

impl FeedWatcher {
    /// Asks the thread to stop after its current batch (dropping the watcher also waits for it).
    pub fn request_stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        self.signal.bump();
    }

    /// Whether the thread has ended.
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(|t| t.is_finished())
    }
}

impl Drop for FeedWatcher {
    fn drop(&mut self) {
        self.request_stop();
        if let Some(thread) = self.thread.take() {
            // The thread sleeps at most FEED_POLL.
            let _ = thread.join();
        }
    }
}

/// Bumps `signal` whenever the store file is written (by any process). `None` when the platform cannot
/// watch it: the poll still delivers every change.
fn watch_store_file(
    data_dir: &Path,
    signal: Arc<crate::store::ChangeSignal>,
) -> Option<notify::RecommendedWatcher> {
    use notify::Watcher as _;
    use notify::event::EventKind;
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event
            && matches!(event.kind, EventKind::Modify(_) | EventKind::Create(_))
        {
            signal.bump();
        }
    })
    .ok()?;
    let file = data_dir.join(STORE_FILE);
    match watcher.watch(&file, notify::RecursiveMode::NonRecursive) {
        Ok(()) => Some(watcher),
        Err(e) => {
            tracing::debug!(error = %e, "cannot watch the store file; the feed polls instead");
            None
        }
    }
}
