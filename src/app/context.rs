//! Retrieving context without a run.

use std::path::Path;

use super::spaces::{canonical_dir, looks_like_path};
use super::{App, AppError};
use crate::context::ContextRequest;
use crate::model::{ContextProviderKind, ContextResult};

/// The most items one query may ask for.
pub const MAX_LIMIT: usize = 100;

/// Retrieve context for a prompt in a space (an id, a linked directory, or any directory).
#[derive(Clone, Debug)]
pub struct QueryContext {
    pub space: String,
    pub prompt: String,
    /// 1 to [`MAX_LIMIT`]; signed so any number the user typed gets the same range message.
    pub limit: i64,
    /// Overrides the space's context provider.
    pub provider: Option<ContextProviderKind>,
}

impl App {
    /// Answers a query the way a run would retrieve its context (provider precedence, fallback to the
    /// filesystem), without recording anything.
    pub fn query_context(&self, request: QueryContext) -> Result<ContextResult, AppError> {
        let limit = match usize::try_from(request.limit) {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
            _ => {
                return Err(AppError::LimitOutOfRange {
                    limit: request.limit,
                    max: MAX_LIMIT,
                });
            }
        };
        if crate::context::tokenize::query_terms(&request.prompt).is_empty() {
            return Err(AppError::NoQueryTerms);
        }
        let (root, requested, mcp_command) = match self.find_space(&request.space)? {
            Some(s) => (
                s.root_path,
                request.provider.unwrap_or(s.context_provider),
                s.mcp_command,
            ),
            None => {
                if !looks_like_path(&request.space) {
                    return Err(AppError::UnknownSpace(request.space));
                }
                (
                    canonical_dir(Path::new(&request.space))?,
                    request.provider.unwrap_or(ContextProviderKind::Filesystem),
                    None,
                )
            }
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| AppError::OrchestratorStopped(format!("cannot start a runtime: {e}")))?;
        // Nothing follows a query without a run: no directory watches, and an index that is up to
        // date is not written back.
        let context = self.context_engine().clone().without_watches();
        Ok(runtime.block_on(context.retrieve(ContextRequest {
            root,
            query: request.prompt,
            limit,
            requested,
            mcp_command,
        })))
    }
}
