//! `changes merge --session ID [--squash] [-m MSG]` and `changes update --session ID [--rebase]`.

use super::{Ctx, output};
use crate::app::App;
use crate::cli::CliError;
use crate::git::{MergeMethod, UpdateMethod};

fn short(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}

pub fn merge(
    ctx: &Ctx,
    app: &App,
    session: &str,
    squash: bool,
    message: Option<&str>,
) -> Result<i32, CliError> {
    let found = app.session(session)?;
    let method = if squash {
        MergeMethod::Squash
    } else {
        MergeMethod::Merge
    };
    let merged = app.merge_session(&found.id, method, message)?;
    if ctx.json {
        output::json(&merged, false)?;
        return Ok(0);
    }
    let outcome = &merged.outcome;
    let how = match (outcome.method, outcome.fast_forward) {
        (MergeMethod::Squash, _) => "squashed",
        (MergeMethod::Merge, true) => "fast-forwarded",
        (MergeMethod::Merge, false) => "merged",
    };
    let branch = found
        .worktree
        .as_ref()
        .map_or("the session branch", |b| b.branch.as_str());
    output::text(&format!(
        "{how} {branch} into {}: {} → {} ({} files)",
        outcome.base_branch,
        short(&outcome.previous_base),
        short(&outcome.new_base),
        outcome.files.len()
    ));
    if let Some(checkout) = &outcome.updated_checkout {
        output::text(&format!("updated your checkout {}", checkout.display()));
    }
    Ok(0)
}

pub fn update(ctx: &Ctx, app: &App, session: &str, rebase: bool) -> Result<i32, CliError> {
    let found = app.session(session)?;
    let method = if rebase {
        UpdateMethod::Rebase
    } else {
        UpdateMethod::Merge
    };
    let updated = app.update_from_base(&found.id, method)?;
    if ctx.json {
        output::json(&updated, false)?;
    } else {
        let how = match updated.method {
            UpdateMethod::Merge => "merged the base into".to_owned(),
            UpdateMethod::Rebase => format!("replayed {} commits of", updated.replayed),
        };
        output::text(&format!(
            "{how} the session branch: {} → {} ({} files)",
            short(&updated.previous_head),
            short(&updated.new_head),
            updated.files.len()
        ));
    }
    Ok(0)
}
