//! The Changes tab's state and its I/O: the open session's worktree status, the file whose diff is open (as
//! rows for the virtualised diff view), and the operations the user asks for (stage, unstage, discard,
//! commit), each an application call on the I/O thread. The worktree is watched (its folder and its git
//! directory) so edits, staging and commits by any process show up; nothing is polled, so an idle window
//! reads nothing.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use notify::{EventKind, RecursiveMode, Watcher};

use crate::app::App;
use crate::app::changes::Committed;
use crate::git::{DiffScope, FileChange, FileDiff, HunkId, LineKind, WorktreeChanges};
use crate::model::{SessionId, WorktreeBinding};

use super::backend::{Backend, Reply};

/// Quiet time after a file event before the status is read again (a burst of writes is read once).
const SETTLE_SECONDS: f64 = 0.25;

/// What the user asked of the Changes tab during a frame.
#[derive(Clone, Debug, PartialEq)]
pub enum ChangesAction {
    /// Opens a file's diff (unstaged, staged, or against the session's base) in the right pane.
    Open {
        scope: DiffScope,
        path: String,
    },
    CloseDiff,
    Stage {
        path: String,
        hunk: Option<HunkId>,
    },
    Unstage {
        path: String,
        hunk: Option<HunkId>,
    },
    /// Throws away a file's unstaged change (asked only after the user confirmed).
    Discard(String),
    Commit(String),
    Refresh,
    /// Fills the commit box with the message drafted from the spec and the change.
    DraftMessage,
    /// Squash-merges the session branch into its base (after the user confirmed).
    Merge,
    /// Drafts the pull request (title, body, redaction note) for editing.
    DraftPullRequest,
    /// Pushes the session branch and creates (or updates) the pull request with the edited draft.
    PublishPullRequest,
    ClosePullRequestDraft,
}

/// The pull request draft being edited.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PrEditor {
    pub title: String,
    pub body: String,
    /// What was redacted: `kind in file`, never the value.
    pub redactions: Vec<String>,
    /// Open it as a draft pull request.
    pub draft: bool,
    pub head: String,
    pub base: String,
}

/// The pull request as last published from this window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublishedPr {
    pub number: u64,
    pub url: String,
    pub state: String,
}

/// What the I/O thread hands back for the Changes tab; each names the session it is about, so an answer for
/// a session the window left is dropped.
#[derive(Debug)]
pub enum ChangesReply {
    Status(SessionId, Result<WorktreeChanges, String>),
    Diff {
        session: SessionId,
        scope: DiffScope,
        path: String,
        result: Result<FileDiff, String>,
    },
    /// A stage, unstage or discard ended (the status is read again either way).
    Changed(SessionId, Result<(), String>),
    Committed(SessionId, Result<Committed, String>),
    Watching(SessionId, Result<WorktreeWatch, String>),
    Drafted(SessionId, Result<String, String>),
    /// A merge ended: the notice to show.
    Merged(SessionId, Result<String, String>),
    PrDrafted(SessionId, Result<PrEditor, String>),
    PrPublished(SessionId, Result<PublishedPr, String>),
}

/// A live watch on a worktree: dropping it stops it.
pub struct WorktreeWatch {
    _watcher: notify::RecommendedWatcher,
}

impl std::fmt::Debug for WorktreeWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WorktreeWatch")
    }
}

/// One row of the diff view: every row has the same height, so the view lays out only the visible ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiffRow {
    /// A hunk's `@@` line, with its stage or unstage button (index into `FileDiff::hunks`).
    Hunk(usize),
    /// A line of a hunk.
    Line { hunk: usize, line: usize },
    /// `\ No newline at end of file` after the line before it.
    NoNewline,
}

/// The flat rows of a file's diff.
pub fn diff_rows(diff: &FileDiff) -> Vec<DiffRow> {
    let mut rows =
        Vec::with_capacity(diff.hunks.iter().map(|h| h.lines.len() + 1).sum::<usize>() + 1);
    for (h, hunk) in diff.hunks.iter().enumerate() {
        rows.push(DiffRow::Hunk(h));
        for (l, line) in hunk.lines.iter().enumerate() {
            rows.push(DiffRow::Line { hunk: h, line: l });
            if line.no_newline_at_end {
                rows.push(DiffRow::NoNewline);
            }
        }
    }
    rows
}

/// The file whose diff is open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenFile {
    pub scope: DiffScope,
    pub path: String,
}

/// The Changes tab of the open session.
#[derive(Debug, Default)]
pub struct ChangesState {
    /// The session (and its worktree) this state is about; `None` until a session with a worktree is open.
    pub session: Option<SessionId>,
    pub worktree: Option<WorktreeBinding>,
    pub changes: Option<WorktreeChanges>,
    /// Why the status cannot be read (binding broken, worktree gone), said in the tab.
    pub error: Option<String>,
    pub open: Option<OpenFile>,
    pub diff: Option<FileDiff>,
    pub rows: Vec<DiffRow>,
    /// The longest line of the open diff, in characters (the view's scrollable width).
    pub widest: usize,
    pub diff_error: Option<String>,
    /// A file whose Discard was pressed: its row asks to confirm.
    pub confirm_discard: Option<String>,
    pub message: String,
    /// Merge was pressed: the button asks to confirm.
    pub confirm_merge: bool,
    pub pr_editor: Option<PrEditor>,
    pub published: Option<PublishedPr>,
    files: usize,
    /// Operations sent and not answered yet (buttons wait meanwhile).
    pub pending: usize,
    /// Set by the watcher when something changed on disk.
    dirty: Arc<AtomicBool>,
    reading: bool,
    last_read: f64,
    watch: Option<WorktreeWatch>,
    repaint: Option<egui::Context>,
}

impl ChangesState {
    /// Files in either list, once each (the `Changes <n>` tab label; counted when the status arrives).
    pub fn file_count(&self) -> usize {
        self.files
    }

    fn count_files(&self) -> usize {
        let Some(c) = &self.changes else {
            return 0;
        };
        let mut paths: Vec<&str> = c
            .staged
            .iter()
            .chain(&c.unstaged)
            .map(|f| f.path.as_str())
            .collect();
        paths.sort_unstable();
        paths.dedup();
        paths.len()
    }

    /// The list entry of the open file, if it is still in its list.
    pub fn open_entry(&self) -> Option<&FileChange> {
        let open = self.open.as_ref()?;
        let c = self.changes.as_ref()?;
        let list = match open.scope {
            DiffScope::Staged => &c.staged,
            DiffScope::Unstaged => &c.unstaged,
            DiffScope::AgainstBase => return None,
        };
        list.iter().find(|f| f.path == open.path)
    }

    /// Total added and removed lines of the open diff (the pane's header).
    pub fn open_counts(&self) -> (usize, usize) {
        self.diff.as_ref().map_or((0, 0), |d| {
            d.hunks
                .iter()
                .flat_map(|h| &h.lines)
                .fold((0, 0), |(a, r), l| match l.kind {
                    LineKind::Added => (a + 1, r),
                    LineKind::Removed => (a, r + 1),
                    LineKind::Context => (a, r),
                })
        })
    }
}

/// Follows the open session: a new session or worktree resets the state, starts a watch and reads the
/// status; a file event (after a short settle) reads it again. Called at the start of every frame.
pub fn tick(
    state: &mut ChangesState,
    session: Option<(&SessionId, Option<&WorktreeBinding>)>,
    backend: &Backend,
    ctx: &egui::Context,
    time: f64,
) {
    if state.repaint.is_none() {
        state.repaint = Some(ctx.clone());
    }
    let wanted = session.and_then(|(id, b)| b.map(|b| (id, b)));
    let same = match (&wanted, &state.session, &state.worktree) {
        (Some((id, b)), Some(s), Some(w)) => *id == s && b.path == w.path,
        (None, None, _) => true,
        _ => false,
    };
    if !same {
        *state = ChangesState {
            repaint: state.repaint.take(),
            ..ChangesState::default()
        };
        if let Some((id, binding)) = wanted {
            state.session = Some(id.clone());
            state.worktree = Some(binding.clone());
            start_watch(state, backend);
            state.dirty.store(true, Ordering::SeqCst);
        }
    } else if let (Some((_, binding)), Some(w)) = (&wanted, &state.worktree)
        && *binding != w
    {
        // Same worktree, new head or base (a commit): read again.
        state.worktree = Some((*binding).clone());
        state.dirty.store(true, Ordering::SeqCst);
    }
    if state.session.is_none() || !state.dirty.load(Ordering::SeqCst) || state.reading {
        return;
    }
    let wait = state.last_read + SETTLE_SECONDS - time;
    if wait > 0.0 {
        ctx.request_repaint_after(std::time::Duration::from_secs_f64(wait));
        return;
    }
    state.dirty.store(false, Ordering::SeqCst);
    state.last_read = time;
    read_status(state, backend);
}

/// Carries out what the user asked (views push [`ChangesAction`]s; the window calls this in `logic`).
pub fn act(state: &mut ChangesState, backend: &Backend, action: ChangesAction) {
    let Some(session) = state.session.clone() else {
        return;
    };
    match action {
        ChangesAction::Open { scope, path } => {
            state.open = Some(OpenFile {
                scope,
                path: path.clone(),
            });
            state.diff = None;
            state.rows.clear();
            state.diff_error = None;
            read_diff(state, backend, scope, path);
        }
        ChangesAction::CloseDiff => {
            state.open = None;
            state.diff = None;
            state.rows.clear();
            state.diff_error = None;
        }
        ChangesAction::Refresh => state.dirty.store(true, Ordering::SeqCst),
        ChangesAction::Stage { path, hunk } => operation(state, backend, move |app| {
            app.stage(&session, &path, hunk.as_ref())
        }),
        ChangesAction::Unstage { path, hunk } => operation(state, backend, move |app| {
            app.unstage(&session, &path, hunk.as_ref())
        }),
        ChangesAction::Discard(path) => {
            state.confirm_discard = None;
            operation(state, backend, move |app| app.discard(&session, &path));
        }
        ChangesAction::DraftMessage => {
            state.pending += 1;
            backend.call(move |app| {
                let result = app
                    .draft_commit(&session)
                    .map(|d| d.message)
                    .map_err(|e| super::wording::failure("cannot draft a message", &e));
                Some(Reply::Changes(ChangesReply::Drafted(session, result)))
            });
        }
        ChangesAction::Merge => {
            state.confirm_merge = false;
            state.pending += 1;
            backend.call(move |app| {
                let result = app
                    .merge_session(&session, crate::git::MergeMethod::Squash, None)
                    .map(|m| {
                        let short: String = m.outcome.new_base.chars().take(7).collect();
                        format!("Merged into {} as {short}", m.outcome.base_branch)
                    })
                    .map_err(|e| super::wording::failure("cannot merge", &e));
                Some(Reply::Changes(ChangesReply::Merged(session, result)))
            });
        }
        ChangesAction::DraftPullRequest => {
            state.pending += 1;
            backend.call(move |app| {
                let result = app
                    .draft_session_pull_request(&session)
                    .map(|d| PrEditor {
                        redactions: d
                            .redactions
                            .iter()
                            .map(|r| match &r.file {
                                Some(file) => format!("{} in {file}", r.kind.label()),
                                None => r.kind.label().to_owned(),
                            })
                            .collect(),
                        title: d.title,
                        body: d.body,
                        draft: false,
                        head: d.head,
                        base: d.base,
                    })
                    .map_err(|e| super::wording::failure("cannot draft the pull request", &e));
                Some(Reply::Changes(ChangesReply::PrDrafted(session, result)))
            });
        }
        ChangesAction::ClosePullRequestDraft => state.pr_editor = None,
        ChangesAction::PublishPullRequest => {
            let Some(editor) = state.pr_editor.clone() else {
                return;
            };
            state.pending += 1;
            backend.call(move |app| {
                let options = crate::app::pull_request::PublishOptions {
                    draft: editor.draft,
                    title: Some(editor.title),
                    body: Some(editor.body),
                    ..Default::default()
                };
                let result = app
                    .publish_pull_request(&session, &options)
                    .map(|p| PublishedPr {
                        number: p.pull_request.number,
                        url: p.pull_request.url,
                        state: if p.pull_request.draft {
                            "draft".to_owned()
                        } else {
                            p.pull_request.state.as_str().to_owned()
                        },
                    })
                    .map_err(|e| super::wording::failure("cannot publish the pull request", &e));
                Some(Reply::Changes(ChangesReply::PrPublished(session, result)))
            });
        }
        ChangesAction::Commit(message) => {
            state.pending += 1;
            backend.call(move |app| {
                let result = app
                    .commit_changes(&session, &message)
                    .map_err(|e| super::wording::failure("cannot commit", &e));
                Some(Reply::Changes(ChangesReply::Committed(session, result)))
            });
        }
    }
}

/// Folds an I/O answer in; returns a notice for the status bar, if there is one (and whether it is an error).
pub fn reply(
    state: &mut ChangesState,
    backend: &Backend,
    reply: ChangesReply,
) -> Option<(String, bool)> {
    let about = match &reply {
        ChangesReply::Status(s, _)
        | ChangesReply::Diff { session: s, .. }
        | ChangesReply::Changed(s, _)
        | ChangesReply::Committed(s, _)
        | ChangesReply::Watching(s, _)
        | ChangesReply::Drafted(s, _)
        | ChangesReply::Merged(s, _)
        | ChangesReply::PrDrafted(s, _)
        | ChangesReply::PrPublished(s, _) => s,
    };
    if state.session.as_ref() != Some(about) {
        return None;
    }
    match reply {
        ChangesReply::Status(_, result) => {
            state.reading = false;
            match result {
                Ok(changes) => {
                    state.error = None;
                    state.changes = Some(changes);
                    state.files = state.count_files();
                    follow_open_file(state, backend);
                }
                Err(e) => state.error = Some(e),
            }
            None
        }
        ChangesReply::Diff {
            scope,
            path,
            result,
            ..
        } => {
            let wanted = state
                .open
                .as_ref()
                .is_some_and(|o| o.scope == scope && o.path == path);
            if wanted {
                match result {
                    Ok(diff) => {
                        state.rows = diff_rows(&diff);
                        state.widest = diff
                            .hunks
                            .iter()
                            .flat_map(|h| h.lines.iter().map(|l| l.text.chars().count()))
                            .chain(diff.hunks.iter().map(|h| h.header.chars().count()))
                            .max()
                            .unwrap_or(0);
                        state.diff = Some(diff);
                        state.diff_error = None;
                    }
                    Err(e) => state.diff_error = Some(e),
                }
            }
            None
        }
        ChangesReply::Changed(_, result) => {
            state.pending = state.pending.saturating_sub(1);
            state.dirty.store(true, Ordering::SeqCst);
            result.err().map(|e| (e, true))
        }
        ChangesReply::Committed(_, result) => {
            state.pending = state.pending.saturating_sub(1);
            state.dirty.store(true, Ordering::SeqCst);
            match result {
                Ok(done) => {
                    state.message.clear();
                    let short: String = done.commit.chars().take(7).collect();
                    Some((format!("Committed {short} to {}", done.branch), false))
                }
                Err(e) => Some((e, true)),
            }
        }
        ChangesReply::Drafted(_, result) => {
            state.pending = state.pending.saturating_sub(1);
            match result {
                Ok(message) => {
                    state.message = message;
                    None
                }
                Err(e) => Some((e, true)),
            }
        }
        ChangesReply::Merged(_, result) => {
            state.pending = state.pending.saturating_sub(1);
            state.dirty.store(true, Ordering::SeqCst);
            Some(match result {
                Ok(done) => (done, false),
                Err(e) => (e, true),
            })
        }
        ChangesReply::PrDrafted(_, result) => {
            state.pending = state.pending.saturating_sub(1);
            match result {
                Ok(editor) => {
                    state.pr_editor = Some(editor);
                    None
                }
                Err(e) => Some((e, true)),
            }
        }
        ChangesReply::PrPublished(_, result) => {
            state.pending = state.pending.saturating_sub(1);
            match result {
                Ok(published) => {
                    let notice =
                        format!("Pull request #{} is {}", published.number, published.state);
                    state.pr_editor = None;
                    state.published = Some(published);
                    Some((notice, false))
                }
                Err(e) => Some((e, true)),
            }
        }
        ChangesReply::Watching(_, result) => match result {
            Ok(watch) => {
                state.watch = Some(watch);
                None
            }
            // Without a watch the tab still refreshes after every operation and on Refresh.
            Err(e) => Some((e, true)),
        },
    }
}

/// After a status read: the open file's diff is read again, from the other list when it moved there
/// (staged whole, unstaged whole), or closed when it is in neither.
fn follow_open_file(state: &mut ChangesState, backend: &Backend) {
    let Some(open) = state.open.clone() else {
        return;
    };
    if open.scope == DiffScope::AgainstBase {
        read_diff(state, backend, open.scope, open.path);
        return;
    }
    let Some(changes) = &state.changes else {
        return;
    };
    let in_list = |list: &[FileChange]| list.iter().any(|f| f.path == open.path);
    let (here, other, other_scope) = match open.scope {
        DiffScope::Staged => (
            in_list(&changes.staged),
            in_list(&changes.unstaged),
            DiffScope::Unstaged,
        ),
        _ => (
            in_list(&changes.unstaged),
            in_list(&changes.staged),
            DiffScope::Staged,
        ),
    };
    let scope = match (here, other) {
        (true, _) => open.scope,
        (false, true) => other_scope,
        (false, false) => {
            state.open = None;
            state.diff = None;
            state.rows.clear();
            return;
        }
    };
    state.open = Some(OpenFile {
        scope,
        path: open.path.clone(),
    });
    read_diff(state, backend, scope, open.path);
}

fn read_status(state: &mut ChangesState, backend: &Backend) {
    let Some(session) = state.session.clone() else {
        return;
    };
    state.reading = backend.call(move |app| {
        let result = app
            .changes(&session)
            .map_err(|e| super::wording::failure("cannot read the changes", &e));
        Some(Reply::Changes(ChangesReply::Status(session, result)))
    });
}

fn read_diff(state: &ChangesState, backend: &Backend, scope: DiffScope, path: String) {
    let Some(session) = state.session.clone() else {
        return;
    };
    backend.call(move |app| {
        let result = app
            .file_diff(&session, scope, &path)
            .map_err(|e| super::wording::failure("cannot read the diff", &e));
        Some(Reply::Changes(ChangesReply::Diff {
            session,
            scope,
            path,
            result,
        }))
    });
}

/// Runs a stage, unstage or discard on the I/O thread; the status is read again when it ends.
fn operation(
    state: &mut ChangesState,
    backend: &Backend,
    op: impl FnOnce(&App) -> Result<(), crate::app::AppError> + Send + 'static,
) {
    let Some(session) = state.session.clone() else {
        return;
    };
    state.pending += 1;
    backend.call(move |app| {
        let result = op(app).map_err(|e| super::wording::failure("cannot change the worktree", &e));
        Some(Reply::Changes(ChangesReply::Changed(session, result)))
    });
}

/// Starts watching the worktree on the I/O thread (a recursive watch walks every folder: not on the UI
/// thread). Events that only read (access) are ignored, so the window's own reads never wake it.
fn start_watch(state: &ChangesState, backend: &Backend) {
    let (Some(session), Some(binding)) = (state.session.clone(), state.worktree.clone()) else {
        return;
    };
    let dirty = state.dirty.clone();
    let repaint = state.repaint.clone();
    backend.call(move |_app| {
        let result = watch(&binding.path, dirty, repaint);
        Some(Reply::Changes(ChangesReply::Watching(session, result)))
    });
}

fn watch(
    worktree: &std::path::Path,
    dirty: Arc<AtomicBool>,
    repaint: Option<egui::Context>,
) -> Result<WorktreeWatch, String> {
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else {
            return;
        };
        if matches!(event.kind, EventKind::Access(_)) {
            return;
        }
        dirty.store(true, Ordering::SeqCst);
        if let Some(ctx) = &repaint {
            ctx.request_repaint();
        }
    })
    .map_err(|e| format!("cannot watch the worktree {}: {e}", worktree.display()))?;
    for dir in crate::git::status_watch_dirs(worktree) {
        let mode = if dir.recursive {
            RecursiveMode::Recursive
        } else {
            RecursiveMode::NonRecursive
        };
        let path: PathBuf = dir.path;
        watcher.watch(&path, mode).map_err(|e| {
            format!(
                "cannot watch {} for changes: {e}; the Changes tab refreshes after your own actions only",
                path.display()
            )
        })?;
    }
    Ok(WorktreeWatch { _watcher: watcher })
}
