//! `context query`: retrieve context without a run.

use super::{ContextCommand, Ctx, output};
use crate::app::context::QueryContext;
use crate::cli::CliError;
use crate::model::ContextErrorCode;

pub fn run(ctx: &Ctx, command: ContextCommand) -> Result<i32, CliError> {
    let ContextCommand::Query {
        space,
        prompt,
        limit,
        provider,
    } = command;
    let app = ctx.app()?;
    let result = app.query_context(QueryContext {
        space,
        prompt,
        limit,
        provider,
    })?;
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
