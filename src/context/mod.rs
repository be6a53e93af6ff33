//! Context retrieval: which provider answers, fallback when it cannot, and source checks for staleness.
//!
//! Precedence: the run's override > the session's provider > the space's default > filesystem. When the
//! requested provider cannot answer, the filesystem provider does, and the result records `fallback_from`
//! and the typed error. Nothing fails silently.

pub mod chunk;
pub mod filesystem;
pub mod index;
pub mod mcp;
pub mod rank;
pub mod role;
pub mod source_check;
pub mod special_fs;
pub mod symbols;
pub mod tokenize;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::model::{
    ContextError, ContextErrorCode, ContextProviderKind, ContextResult, Session, Space,
};

pub use source_check::SourceChecker;

/// Default number of items a run retrieves.
pub const DEFAULT_LIMIT: usize = 8;

/// How many roots' indexes an engine keeps open (in memory, with their directory watches) at most. A
/// window used across many spaces would otherwise hold every index it ever opened; the least recently
/// used one is dropped (its watches with it) and is loaded from disk again when next queried.
pub const MAX_OPEN_ROOTS: usize = 8;

/// The provider a run asks for: run override, then session, then space.
pub fn requested_provider(
    run_override: Option<ContextProviderKind>,
    session: Option<&Session>,
    space: &Space,
) -> ContextProviderKind {
    run_override
        .or_else(|| session.and_then(|s| s.context_provider))
        .unwrap_or(space.context_provider)
}

/// One retrieval.
#[derive(Clone, Debug)]
pub struct ContextRequest {
    pub root: PathBuf,
    pub query: String,
    pub limit: usize,
    pub requested: ContextProviderKind,
    /// The space's MCP server command, for `mcp`.
    pub mcp_command: Option<String>,
}

/// Answers context requests. Cheap to clone; shared by the orchestrator and the `context` command.
///
/// Keeps the filesystem indexes of the [`MAX_OPEN_ROOTS`] most recently queried roots in memory (warm
/// queries only stat the tree, or nothing while their watches report no change) and, with an index
/// directory, persists each there after every change (`<data_dir>/index/<root key>/index.bin`), so an
/// evicted index costs a load, not a rebuild.
///
/// Saving rewrites the whole index file (about 100 ms at 20,000 files), so it happens on a background
/// thread after the query has its answer, not on the query path. The saved file is only a cache (every
/// answer is re-read and hashed), so a save that has not happened yet can cost a later process re-reads,
/// never a wrong answer. [`ContextEngine::flush`] waits for the saves and writes whatever is still
/// unsaved; it runs when the last clone of an engine is dropped, so a one-shot CLI process leaves its
/// index saved (never a half-written temporary file).
#[derive(Clone)]
pub struct ContextEngine {
    index_dir: Option<PathBuf>,
    shared: Arc<Shared>,
    /// Whether indexes this clone opens watch their tree (long-lived processes) or check stamps on
    /// every query (one-shot processes, which would pay for watches they never use).
    watch: bool,
}

impl Default for ContextEngine {
    fn default() -> Self {
        Self {
            index_dir: None,
            shared: Arc::new(Shared::new(MAX_OPEN_ROOTS, None)),
            watch: true,
        }
    }
}

/// State shared by the clones of one engine.
struct Shared {
    /// Where indexes are saved (`None`: memory only); the same as the engine's.
    index_dir: Option<PathBuf>,
    open: Mutex<OpenIndexes>,
    /// Background saves still running or not yet joined, with their root.
    saves: Mutex<Vec<(PathBuf, std::thread::JoinHandle<()>)>>,
}

type SharedIndex = Arc<Mutex<index::Index>>;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn save_logged(index: &mut index::Index, dir: &Path) {
    if let Err(e) = index.save(dir) {
        tracing::warn!(error = %e, "cannot save the context index; it will be rebuilt next time");
    }
}

impl Shared {
    fn new(capacity: usize, index_dir: Option<PathBuf>) -> Self {
        Self {
            index_dir,
            open: Mutex::new(OpenIndexes::new(capacity)),
            saves: Mutex::new(Vec::new()),
        }
    }

    /// Saves `index` of `root` on a background thread, unless a save of that root is still running
    /// (what it did not capture stays dirty: the next query or [`Shared::flush`] saves it).
    fn save_in_background(&self, root: &Path, index: SharedIndex) {
        let Some(base) = &self.index_dir else { return };
        let dir = index::index_dir(base, root);
        let mut saves = lock(&self.saves);
        let (finished, running): (Vec<_>, Vec<_>) = std::mem::take(&mut *saves)
            .into_iter()
            .partition(|(_, h)| h.is_finished());
        *saves = running;
        for (_, handle) in finished {
            let _ = handle.join();
        }
        if saves.iter().any(|(r, _)| r == root) {
            return;
        }
        let spawned = std::thread::Builder::new()
            .name("kata-index-save".into())
            .spawn({
                let dir = dir.clone();
                let index = index.clone();
                move || save_logged(&mut lock(&index), &dir)
            });
        match spawned {
            Ok(handle) => saves.push((root.to_path_buf(), handle)),
            Err(e) => {
                tracing::debug!(error = %e, "no thread for a background save; saving now");
                drop(saves);
                save_logged(&mut lock(&index), &dir);
            }
        }
    }

    /// Waits for the background saves, then saves every open index that is still unsaved.
    fn flush(&self) {
        let pending = std::mem::take(&mut *lock(&self.saves));
        for (_, handle) in pending {
            let _ = handle.join();
        }
        let Some(base) = &self.index_dir else { return };
        let open: Vec<(PathBuf, SharedIndex)> = lock(&self.open).entries.clone();
        for (root, index) in open {
            let mut index = lock(&index);
            if index.is_dirty() {
                save_logged(&mut index, &index::index_dir(base, &root));
            }
        }
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.flush();
    }
}

/// The open indexes, least recently used first. One lock per root, so retrievals in different spaces do
/// not wait for each other; a retrieval holding an evicted root's index finishes with it, then it drops.
struct OpenIndexes {
    capacity: usize,
    entries: Vec<(PathBuf, SharedIndex)>,
}

impl OpenIndexes {
    fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            entries: Vec::new(),
        }
    }

    /// The index of `root`, made most recently used; `open` makes it when it is not held, evicting the
    /// least recently used one when full (returned second, for a last save).
    fn get_or_open(
        &mut self,
        root: &Path,
        open: impl FnOnce() -> index::Index,
    ) -> (SharedIndex, Option<(PathBuf, SharedIndex)>) {
        let mut evicted = None;
        let entry = match self.entries.iter().position(|(r, _)| r == root) {
            Some(i) => self.entries.remove(i),
            None => {
                if self.entries.len() >= self.capacity {
                    let lru = self.entries.remove(0);
                    tracing::debug!(root = %lru.0.display(), "context index evicted (least recently used)");
                    evicted = Some(lru);
                }
                (root.to_path_buf(), Arc::new(Mutex::new(open())))
            }
        };
        let shared = entry.1.clone();
        self.entries.push(entry);
        (shared, evicted)
    }
}

impl OpenIndexes {
    /// Holds `index` as the index of `root` (most recently used), replacing any; returns an evicted one.
    fn put(&mut self, root: &Path, index: SharedIndex) -> Option<(PathBuf, SharedIndex)> {
        self.entries.retain(|(r, _)| r != root);
        let evicted = (self.entries.len() >= self.capacity).then(|| self.entries.remove(0));
        self.entries.push((root.to_path_buf(), index));
        evicted
    }
}

impl std::fmt::Debug for ContextEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContextEngine")
            .field("index_dir", &self.index_dir)
            .finish_non_exhaustive()
    }
}

impl ContextEngine {
    /// An engine whose indexes live in memory only.
    pub fn new() -> Self {
        Self::default()
    }

    /// An engine that persists its indexes under `dir` (normally `<data_dir>/index`).
    pub fn with_index_dir(dir: PathBuf) -> Self {
        Self {
            shared: Arc::new(Shared::new(MAX_OPEN_ROOTS, Some(dir.clone()))),
            index_dir: Some(dir),
            watch: true,
        }
    }

    /// This engine for a one-shot process: the indexes it opens set up no directory watches (a query
    /// checks the recorded stamps instead) and an unchanged index is not written back.
    pub fn without_watches(mut self) -> Self {
        self.watch = false;
        self
    }

    /// Builds the index of `root` (normally a new git worktree of the same repository) from the index of
    /// `from`: files with the same path, size and blake3 keep `from`'s postings instead of being
    /// tokenized again, so a new worktree is ready for its first query in a fraction of a cold build.
    /// The result is held open (replacing any index of `root`) and saved in the background.
    pub fn seed_index(
        &self,
        root: &Path,
        from: &Path,
    ) -> Result<index::SeedStats, filesystem::WalkError> {
        filesystem::check_root(from)?;
        let (source, evicted) = self.open_index(from);
        if let Some((r, i)) = evicted {
            self.shared.save_in_background(&r, i);
        }
        let (seeded, stats) = {
            let mut source = lock(&source);
            // Only the source's hashes are trusted, never its stamps: a stale source just reuses less.
            index::Index::seeded(root, &source).map(|(mut seeded, stats)| {
                seeded.set_watch(self.watch);
                source.set_watch(self.watch);
                (seeded, stats)
            })?
        };
        let shared = Arc::new(Mutex::new(seeded));
        let evicted = lock(&self.shared.open).put(root, shared.clone());
        if let Some((r, i)) = evicted {
            self.shared.save_in_background(&r, i);
        }
        self.shared.save_in_background(root, shared);
        Ok(stats)
    }

    /// The open index of `root`, loading it (or starting an empty one) when it is not open.
    fn open_index(&self, root: &Path) -> (SharedIndex, Option<(PathBuf, SharedIndex)>) {
        let mut open = lock(&self.shared.open);
        open.get_or_open(root, || {
            let mut index = match &self.index_dir {
                Some(dir) => index::Index::load(&index::index_dir(dir, root), root),
                None => index::Index::new(root),
            };
            // Long-lived engines (the window) then walk only after the OS reports a change.
            index.set_watch(self.watch);
            index
        })
    }

    /// This engine holding at most `max` roots' indexes open (at least one). For a new engine: its
    /// clones made before share the old set.
    pub fn with_max_open_roots(mut self, max: usize) -> Self {
        self.shared = Arc::new(Shared::new(max, self.index_dir.clone()));
        self
    }

    /// The roots whose indexes are held open, least recently used first.
    pub fn open_roots(&self) -> Vec<PathBuf> {
        lock(&self.shared.open)
            .entries
            .iter()
            .map(|(r, _)| r.clone())
            .collect()
    }

    /// Waits for background index saves and saves every open index that changed since. Also runs when
    /// the last clone of the engine is dropped.
    pub fn flush(&self) {
        self.shared.flush();
    }

    /// Filesystem retrieval through the root's index: load it if needed, refresh it, rank; if it changed,
    /// save it in the background. A failure to save is logged, never returned: the index is a cache.
    pub fn filesystem_items(
        &self,
        root: &Path,
        query: &str,
        limit: usize,
    ) -> Result<Vec<crate::model::ContextItem>, filesystem::WalkError> {
        filesystem::check_query(query)?;
        filesystem::check_root(root)?;
        let (shared, evicted) = self.open_index(root);
        if let Some((evicted_root, evicted)) = evicted {
            // Normally saved already; this catches changes a skipped or failed save left behind.
            self.shared.save_in_background(&evicted_root, evicted);
        }
        let mut index = lock(&shared);
        let stats = index.refresh()?;
        tracing::debug!(?stats, root = %root.display(), "context index refreshed");
        let items = index.search(query, limit);
        let dirty = index.is_dirty();
        drop(index);
        if dirty {
            self.shared.save_in_background(root, shared);
        }
        Ok(items)
    }

    /// Retrieves context for `request`, falling back to the filesystem when the requested provider cannot
    /// answer. Errors are recorded in the result, never raised.
    pub async fn retrieve(&self, request: ContextRequest) -> ContextResult {
        self.retrieve_with(request, mcp::Timeouts::default()).await
    }

    /// [`Self::retrieve`] with explicit MCP timeouts.
    pub async fn retrieve_with(
        &self,
        request: ContextRequest,
        timeouts: mcp::Timeouts,
    ) -> ContextResult {
        let fallback_error = match request.requested {
            ContextProviderKind::Filesystem => None,
            ContextProviderKind::Mcp => match &request.mcp_command {
                None => Some(ContextError::new(
                    ContextProviderKind::Mcp,
                    ContextErrorCode::ProviderUnavailable,
                    "no MCP server command is configured for this space",
                    "Link the space with --mcp-command \"CMD ARGS\", or use --context-provider filesystem.",
                    false,
                )),
                Some(command) => {
                    match mcp::retrieve(
                        command,
                        &request.root,
                        &request.query,
                        request.limit,
                        timeouts,
                    )
                    .await
                    {
                        Ok(answer) => {
                            let error = (answer.rejected > 0).then(|| {
                                tracing::warn!(rejected = answer.rejected, "MCP answers outside the space dropped");
                                ContextError::new(
                                    ContextProviderKind::Mcp,
                                    ContextErrorCode::PathOutsideSpace,
                                    format!(
                                        "{} MCP answer(s) pointed outside the space and were dropped",
                                        answer.rejected
                                    ),
                                    "Check the MCP server: it should answer with paths inside the space's root.",
                                    false,
                                )
                            });
                            return ContextResult {
                                provider: ContextProviderKind::Mcp,
                                fallback_from: None,
                                items: answer.items,
                                error,
                            };
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "MCP context failed; falling back to the filesystem");
                            Some(e)
                        }
                    }
                }
            },
        };
        let engine = self.clone();
        let root = request.root.clone();
        let query = request.query.clone();
        let limit = request.limit;
        let answer =
            tokio::task::spawn_blocking(move || engine.filesystem_items(&root, &query, limit))
                .await;
        let (items, fs_error) = match answer {
            Ok(Ok(items)) => (items, None),
            Ok(Err(e)) => (
                Vec::new(),
                Some(ContextError::new(
                    ContextProviderKind::Filesystem,
                    e.code,
                    e.message,
                    e.remediation,
                    matches!(e.code, ContextErrorCode::IoFailure),
                )),
            ),
            Err(join) => (
                Vec::new(),
                Some(ContextError::new(
                    ContextProviderKind::Filesystem,
                    ContextErrorCode::IoFailure,
                    format!("the filesystem walk stopped unexpectedly: {join}"),
                    "Retry; if it persists, run `kata-cloud doctor`.",
                    true,
                )),
            ),
        };
        ContextResult {
            provider: ContextProviderKind::Filesystem,
            fallback_from: fallback_error.as_ref().map(|e| e.provider),
            items,
            // A filesystem failure (e.g. the root is gone) decides whether the run can go on; otherwise
            // the requested provider's failure is what the user must fix.
            error: fs_error.or(fallback_error),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Weak};

    use super::ContextEngine;

    fn index_of(
        engine: &ContextEngine,
        root: &std::path::Path,
    ) -> Weak<std::sync::Mutex<super::index::Index>> {
        let open = engine.shared.open.lock().unwrap();
        let (_, shared) = open.entries.iter().find(|(r, _)| r == root).unwrap();
        Arc::downgrade(shared)
    }

    #[test]
    fn the_least_recently_used_index_is_evicted_with_its_watches() {
        let tmp = tempfile::tempdir().unwrap();
        let roots: Vec<_> = ["a", "b", "c"]
            .iter()
            .map(|name| {
                std::fs::create_dir_all(tmp.path().join(name)).unwrap();
                let root = tmp.path().join(name).canonicalize().unwrap();
                std::fs::write(root.join("lib.rs"), format!("fn retry_{name}() {{}}\n")).unwrap();
                root
            })
            .collect();
        let [a, b, c] = [&roots[0], &roots[1], &roots[2]];
        let engine = ContextEngine::with_index_dir(tmp.path().join("index")).with_max_open_roots(2);
        let first_a = engine.filesystem_items(a, "retry a", 4).unwrap();
        assert_eq!(first_a.len(), 1);
        let a_index = index_of(&engine, a);
        engine.filesystem_items(b, "retry b", 4).unwrap();
        assert_eq!(engine.open_roots(), vec![a.clone(), b.clone()]);

        // A third root evicts the least recently used: the index and its watcher are dropped.
        engine.filesystem_items(c, "retry c", 4).unwrap();
        assert_eq!(engine.open_roots(), vec![b.clone(), c.clone()]);
        engine.flush(); // a background save may still hold it
        assert!(a_index.upgrade().is_none(), "the evicted index is freed");

        // Using a root makes it the most recently used; an evicted one comes back from disk, same answer.
        engine.filesystem_items(b, "retry b", 4).unwrap();
        assert_eq!(engine.open_roots(), vec![c.clone(), b.clone()]);
        assert_eq!(engine.filesystem_items(a, "retry a", 4).unwrap(), first_a);
        assert_eq!(engine.open_roots(), vec![b.clone(), a.clone()]);

        // Clones share the same bounded set.
        let clone = engine.clone();
        clone.filesystem_items(c, "retry c", 4).unwrap();
        assert_eq!(engine.open_roots(), vec![a.clone(), c.clone()]);
    }

    fn saved_file_count(data: &std::path::Path, root: &std::path::Path) -> Option<usize> {
        let dir = super::index::index_dir(data, root);
        dir.join(super::index::INDEX_FILE)
            .exists()
            .then(|| super::index::Index::load(&dir, root).file_count())
    }

    #[test]
    fn changes_are_saved_off_the_query_path_and_flushed_when_the_engine_goes() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("repo");
        std::fs::create_dir_all(&root).unwrap();
        let root = root.canonicalize().unwrap();
        std::fs::write(root.join("a.rs"), "fn retry_policy() {}\n").unwrap();
        let data = tmp.path().join("index");
        let engine = ContextEngine::with_index_dir(data.clone());
        let clone = engine.clone();
        assert_eq!(engine.filesystem_items(&root, "retry", 4).unwrap().len(), 1);
        engine.flush();
        assert_eq!(saved_file_count(&data, &root), Some(1));

        // A new file: the next query sees it at once; the saved index has it once the save ran.
        std::fs::write(root.join("b.rs"), "fn retry_later() {}\n").unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let items = loop {
            // The watch reports the new file asynchronously.
            let items = clone.filesystem_items(&root, "retry", 4).unwrap();
            if items.len() == 2 || std::time::Instant::now() > deadline {
                break items;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        assert_eq!(items.len(), 2, "{items:?}");
        assert_eq!(items[1].path, "b.rs");
        drop(clone);
        drop(engine); // the last clone: waits for the save, writes what is unsaved
        assert_eq!(saved_file_count(&data, &root), Some(2));
        let leftovers: Vec<_> = std::fs::read_dir(super::index::index_dir(&data, &root))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|n| n != super::index::INDEX_FILE)
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
}
