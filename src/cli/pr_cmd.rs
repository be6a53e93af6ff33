//! `changes pr draft|create|show --session ID`: the session's pull request on GitHub.

use super::{Ctx, PrCommand, output};
use crate::app::App;
use crate::app::pull_request::PublishOptions;
use crate::cli::CliError;
use crate::forge::github::{ChecksSummary, PublishAction, PullRequest};
use crate::model::PublishState;

pub fn run(ctx: &Ctx, app: &App, command: PrCommand) -> Result<i32, CliError> {
    match command {
        PrCommand::Draft { session } => {
            let found = app.session(&session)?;
            let draft = app.draft_session_pull_request(&found.id)?;
            if ctx.json {
                output::json(&draft, false)?;
            } else {
                output::text(&format!("{}\n\n{}", draft.title, draft.body.trim_end()));
            }
        }
        PrCommand::Create {
            session,
            draft,
            title,
            body_file,
            remote,
            force_with_lease,
        } => {
            let body = match &body_file {
                Some(path) => Some(std::fs::read_to_string(path).map_err(|e| {
                    CliError::usage(format!(
                        "--body-file {}: cannot read it as UTF-8 text ({e}); pass a readable text file",
                        path.display()
                    ))
                })?),
                None => None,
            };
            let found = app.session(&session)?;
            let published = app.publish_pull_request(
                &found.id,
                &PublishOptions {
                    remote: Some(remote),
                    draft,
                    title,
                    body,
                    force_with_lease,
                },
            )?;
            if ctx.json {
                output::json(&published, false)?;
            } else {
                let push = &published.push;
                let pushed = if push.up_to_date {
                    "already on"
                } else {
                    "pushed to"
                };
                output::text(&format!(
                    "{} {pushed} {} ({})",
                    push.branch,
                    push.remote,
                    push.commit.get(..12).unwrap_or(&push.commit)
                ));
                let action = match published.action {
                    PublishAction::Created => "created",
                    PublishAction::Updated => "updated",
                };
                output::text(&format!("{action} {}", pr_line(&published.pull_request)));
                if !published.redactions.is_empty() {
                    output::text(&format!(
                        "redacted {} secrets from the description (listed at its end)",
                        published.redactions.len()
                    ));
                }
            }
        }
        PrCommand::Show { session } => {
            let found = app.session(&session)?;
            let status = app.pull_request_status(&found.id)?;
            if ctx.json {
                output::json(&status, false)?;
            } else {
                match (&status.state, &status.pull_request) {
                    (PublishState::Published, Some(pr)) => {
                        output::text(&pr_line(pr));
                        if let Some(checks) = &pr.checks {
                            output::text(&checks_line(checks));
                        }
                    }
                    _ => {
                        output::text(&format!(
                            "{} is pushed to {} ({}) without a pull request",
                            status.branch,
                            status.remote,
                            status
                                .pushed_commit
                                .get(..12)
                                .unwrap_or(&status.pushed_commit)
                        ));
                        if let Some(error) = &status.last_error {
                            output::text(&format!(
                                "last attempt: {} ({}); run `kata-cloud changes pr create --session {}` to retry",
                                error.message, error.code, status.session_id
                            ));
                        }
                    }
                }
            }
        }
    }
    Ok(0)
}

/// `pull request #7 (open, draft): TITLE URL`.
fn pr_line(pr: &PullRequest) -> String {
    let draft = if pr.draft { ", draft" } else { "" };
    format!(
        "pull request #{} ({}{draft}): {} {}",
        pr.number,
        pr.state.as_str(),
        pr.title,
        pr.url
    )
}

fn checks_line(checks: &ChecksSummary) -> String {
    let state = serde_json::to_value(checks.state)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    format!(
        "checks: {state} ({} passed, {} failed, {} pending, {} neutral)",
        checks.passed, checks.failed, checks.pending, checks.neutral
    )
}
