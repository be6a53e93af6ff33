//! `models [--provider P]`: the models a provider offers, as its API lists them (an extension).

use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::{Ctx, output};
use crate::cli::CliError;

#[derive(Debug, Serialize)]
struct ModelList {
    provider: String,
    models: Vec<String>,
}

pub fn run(ctx: &Ctx, provider: Option<&str>) -> Result<i32, CliError> {
    // Like every command (docs/CLI.md, Global rules): open and reconcile the store first.
    ctx.app()?;
    let choice = ctx
        .providers
        .choose(provider)
        .map_err(|e| CliError::usage(format!("{e}. {}", e.remediation())))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::failed(format!("cannot start a runtime: {e}")))?;
    let models = runtime
        .block_on(ctx.providers.list_models(choice, &CancellationToken::new()))
        .map_err(|e| {
            CliError::failed(format!(
                "could not list the {choice} models ({}): {e}. {}",
                e.code(),
                e.remediation()
            ))
        })?;
    if ctx.json {
        output::json(
            &ModelList {
                provider: choice.as_str().to_owned(),
                models,
            },
            false,
        )?;
    } else {
        for model in &models {
            output::text(model);
        }
    }
    Ok(0)
}
