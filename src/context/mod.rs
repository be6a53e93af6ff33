//! Context retrieval: which provider answers, fallback when it cannot, and source checks for staleness.
//!
//! Precedence: the run's override > the session's provider > the space's default > filesystem. When the
//! requested provider cannot answer, the filesystem provider does, and the result records `fallback_from`
//! and the typed error. Nothing fails silently.

pub mod chunk;
pub mod filesystem;
pub mod rank;
pub mod source_check;
pub mod tokenize;

use std::path::PathBuf;

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
#[derive(Clone, Debug, Default)]
pub struct ContextEngine {}

impl ContextEngine {
    pub fn new() -> Self {
        Self {}
    }

    /// Retrieves context for `request`, falling back to the filesystem when the requested provider cannot
    /// answer. Errors are recorded in the result, never raised.
    pub async fn retrieve(&self, request: ContextRequest) -> ContextResult {
        let fallback_error = match request.requested {
            ContextProviderKind::Filesystem => None,
            ContextProviderKind::Mcp => Some(ContextError::new(
                ContextProviderKind::Mcp,
                ContextErrorCode::ProviderUnavailable,
                "the MCP context provider is not available in this build",
                "Use --context-provider filesystem, or link the space without --mcp-command.",
                false,
            )),
        };
        let root = request.root.clone();
        let query = request.query.clone();
        let limit = request.limit;
        let answer =
            tokio::task::spawn_blocking(move || filesystem::retrieve(&root, &query, limit)).await;
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
            error: fs_error.or(fallback_error),
        }
    }
}
