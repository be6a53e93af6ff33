//! `context query`: retrieve context without a run.

use super::{ContextCommand, Ctx, output};
use crate::cli::CliError;
use crate::context::ContextRequest;
use crate::model::{ContextErrorCode, ContextProviderKind};
use crate::spaces::{self, SpaceError};

/// The most items one query may ask for.
pub const MAX_LIMIT: usize = 100;

pub fn run(ctx: &Ctx, command: ContextCommand) -> Result<i32, CliError> {
    let ContextCommand::Query {
        space,
        prompt,
        limit,
        provider,
    } = command;
    let limit = match usize::try_from(limit) {
        Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
        _ => {
            return Err(CliError::usage(format!(
                "--limit {limit} is out of range: pass a number from 1 to {MAX_LIMIT}"
            )));
        }
    };
    if crate::context::tokenize::query_terms(&prompt).is_empty() {
        return Err(CliError::usage(
            "--prompt has no words to search for: name functions, files or behaviour",
        ));
    }
    let engine = ctx.engine()?;
    let (root, requested, mcp_command) = match spaces::find(&engine.store, &space)? {
        Some(s) => (
            s.root_path,
            provider.unwrap_or(s.context_provider),
            s.mcp_command,
        ),
        None => {
            if !std::path::Path::new(&space).exists() && !space.contains(['/', '.', '\\']) {
                return Err(SpaceError::UnknownSpace(space).into());
            }
            let root = spaces::canonical_dir(std::path::Path::new(&space))?;
            (
                root,
                provider.unwrap_or(ContextProviderKind::Filesystem),
                None,
            )
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::failed(format!("cannot start a runtime: {e}")))?;
    // A one-shot process: no directory watches, and an index that is up to date is not written back.
    let context = engine.context.clone().without_watches();
    let result = runtime.block_on(context.retrieve(ContextRequest {
        root,
        query: prompt,
        limit,
        requested,
        mcp_command,
    }));
    if ctx.json {
        output::json(&result, false)?;
    } else {
        let mut header = format!(
            "{} from {}",
            crate::model::view::count(result.items.len(), "item"),
            result.provider
        );
        if let Some(f) = result.fallback_from {
            header.push_str(&format!(" (fallback from {f})"));
        }
        output::text(&header);
        if let Some(e) = &result.error {
            output::text(&format!("{}: {} — {}", e.code, e.message, e.remediation));
        }
        for item in &result.items {
            output::text(&format!(
                "[{}] {}:{}-{}  score {:.4}  blake3 {}",
                item.rank,
                item.path,
                item.start_line,
                item.end_line,
                item.score,
                item.content_hash.get(..12).unwrap_or(&item.content_hash)
            ));
        }
    }
    Ok(match &result.error {
        Some(e) if result.items.is_empty() && result.fallback_from.is_none() => {
            if e.code == ContextErrorCode::InvalidQuery {
                2
            } else {
                1
            }
        }
        _ => 0,
    })
}
