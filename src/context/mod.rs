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

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::model::{
    ContextError, ContextErrorCode, ContextProviderKind, ContextResult, Session, Space,
};

pub use source_check::SourceChecker;

/// Default number of items a run retrieves.
pub const DEFAULT_LIMIT: usize = 8;

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
/// Keeps each root's filesystem index in memory once loaded (warm queries only stat the tree) and, with
/// an index directory, persists it there after every change (`<data_dir>/index/<root key>/index.bin`).
#[derive(Clone, Default)]
pub struct ContextEngine {
    index_dir: Option<PathBuf>,
    /// One lock per root, so retrievals in different spaces do not wait for each other.
    open: Arc<Mutex<HashMap<PathBuf, Arc<Mutex<index::Index>>>>>,
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
            open: Arc::default(),
        }
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
            open.entry(root.to_path_buf())
                .or_insert_with(|| {
                    let mut index = match &self.index_dir {
                        Some(dir) => index::Index::load(&index::index_dir(dir, root), root),
                        None => index::Index::new(root),
                    };
                    // Long-lived engines (the window) then walk only after the OS reports a change.
                    index.set_watch(true);
                    Arc::new(Mutex::new(index))
                })
                .clone()
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
