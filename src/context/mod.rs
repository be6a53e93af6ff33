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
pub mod source_check;
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
#[derive(Clone)]
pub struct ContextEngine {
    index_dir: Option<PathBuf>,
    open: Arc<Mutex<OpenIndexes>>,
}

impl Default for ContextEngine {
    fn default() -> Self {
        Self {
            index_dir: None,
            open: Arc::new(Mutex::new(OpenIndexes::new(MAX_OPEN_ROOTS))),
        }
    }
}

/// The open indexes, least recently used first. One lock per root, so retrievals in different spaces do
/// not wait for each other; a retrieval holding an evicted root's index finishes with it, then it drops.
struct OpenIndexes {
    capacity: usize,
    entries: Vec<(PathBuf, Arc<Mutex<index::Index>>)>,
}

impl OpenIndexes {
    fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            entries: Vec::new(),
        }
    }

    /// The index of `root`, made most recently used; `open` makes it when it is not held, evicting the
    /// least recently used one when full.
    fn get_or_open(
        &mut self,
        root: &Path,
        open: impl FnOnce() -> index::Index,
    ) -> Arc<Mutex<index::Index>> {
        let entry = match self.entries.iter().position(|(r, _)| r == root) {
            Some(i) => self.entries.remove(i),
            None => {
                if self.entries.len() >= self.capacity {
                    let (evicted, _) = self.entries.remove(0);
                    tracing::debug!(root = %evicted.display(), "context index evicted (least recently used)");
                }
                (root.to_path_buf(), Arc::new(Mutex::new(open())))
            }
        };
        let shared = entry.1.clone();
        self.entries.push(entry);
        shared
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
            index_dir: Some(dir),
            ..Self::default()
        }
    }

    /// This engine holding at most `max` roots' indexes open (at least one).
    pub fn with_max_open_roots(mut self, max: usize) -> Self {
        self.open = Arc::new(Mutex::new(OpenIndexes::new(max)));
        self
    }

    /// The roots whose indexes are held open, least recently used first.
    pub fn open_roots(&self) -> Vec<PathBuf> {
        let open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.entries.iter().map(|(r, _)| r.clone()).collect()
    }

    /// Filesystem retrieval through the root's index: load it if needed, refresh it, rank, save it if it
    /// changed. A failure to save is logged, never returned: the index is a cache.
    pub fn filesystem_items(
        &self,
        root: &Path,
        query: &str,
        limit: usize,
    ) -> Result<Vec<crate::model::ContextItem>, filesystem::WalkError> {
        filesystem::check_query(query)?;
        filesystem::check_root(root)?;
        let shared = {
            let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
            open.get_or_open(root, || {
                let mut index = match &self.index_dir {
                    Some(dir) => index::Index::load(&index::index_dir(dir, root), root),
                    None => index::Index::new(root),
                };
                // Long-lived engines (the window) then walk only after the OS reports a change.
                index.set_watch(true);
                index
            })
        };
        let mut index = shared.lock().unwrap_or_else(|e| e.into_inner());
        let stats = index.refresh()?;
        tracing::debug!(?stats, root = %root.display(), "context index refreshed");
        let items = index.search(query, limit);
        if let Some(dir) = &self.index_dir
            && let Err(e) = index.save(&index::index_dir(dir, root))
        {
            tracing::warn!(error = %e, "cannot save the context index; it will be rebuilt next time");
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
                        Ok(items) => {
                            return ContextResult {
                                provider: ContextProviderKind::Mcp,
                                fallback_from: None,
                                items,
                                error: None,
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
        let open = engine.open.lock().unwrap();
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
}
