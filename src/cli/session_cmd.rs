//! `session new|list|rename|archive|unarchive`.

use super::{Ctx, SessionCommand, output};
use crate::app::App;
use crate::cli::CliError;
use crate::model::Session;

/// A session by id, or by name within `--space`.
fn find(app: &App, session: &str, space: Option<&str>) -> Result<Session, CliError> {
    match space {
        Some(space) => {
            let space = app.space(space)?;
            Ok(app
                .find_session(&space, session)?
                .filter(|s| s.space_id == space.id)
                .ok_or(crate::app::AppError::UnknownSessionInSpace(
                    session.to_owned(),
                ))?)
        }
        None => Ok(app.session(session)?),
    }
}

fn line(session: &Session) -> String {
    let archived = if session.is_archived() {
        "  (archived)"
    } else {
        ""
    };
    let branch = session
        .worktree
        .as_ref()
        .map_or_else(String::new, |w| format!("  {}", w.branch));
    format!(
        "{}  {}{branch}  last used {}{archived}",
        session.id, session.label, session.last_used_at
    )
}

pub fn run(ctx: &Ctx, command: SessionCommand) -> Result<i32, CliError> {
    let app = ctx.app()?;
    let session = match command {
        SessionCommand::List { space, all } => {
            let space = app.space(&space)?;
            let sessions = app.list_sessions(&space.id, all)?;
            if ctx.json {
                output::json(&sessions, false)?;
            } else if sessions.is_empty() {
                output::text(&format!(
                    "no sessions in {} yet: start one with `kata-cloud session new --space {}`",
                    space.name, space.id
                ));
            } else {
                for session in &sessions {
                    output::text(&line(session));
                }
            }
            return Ok(0);
        }
        SessionCommand::New { space, name } => {
            // Like `run`, a directory is linked on first use.
            let space = app.find_or_link_space(&space)?;
            app.new_session(&space, name.as_deref())?
        }
        SessionCommand::Rename {
            session,
            name,
            space,
        } => {
            let found = find(&app, &session, space.as_deref())?;
            app.rename_session(&found.id, &name)?
        }
        SessionCommand::Archive {
            session,
            space,
            force,
        } => {
            let found = find(&app, &session, space.as_deref())?;
            app.archive_session_with(&found.id, force)?
        }
        SessionCommand::Unarchive { session, space } => {
            let found = find(&app, &session, space.as_deref())?;
            app.unarchive_session_with(&found.id)?
        }
        SessionCommand::Rebind { session, space } => {
            let found = find(&app, &session, space.as_deref())?;
            app.rebind_session(&found.id)?
        }
        SessionCommand::Recreate { session, space } => {
            let found = find(&app, &session, space.as_deref())?;
            app.recreate_worktree(&found.id)?
        }
        SessionCommand::Prune { space } => {
            let space = app.space(&space)?;
            let report = app.prune_sessions(&space)?;
            if ctx.json {
                output::json(&report, false)?;
            } else {
                for path in &report.removed {
                    output::text(&format!("removed {}", path.display()));
                }
                for kept in &report.kept {
                    output::text(&format!(
                        "kept {} ({}: {})",
                        kept.path.display(),
                        kept.code,
                        kept.reason
                    ));
                }
                if report.removed.is_empty() && report.kept.is_empty() {
                    output::text("no archived session has a worktree to remove");
                }
            }
            return Ok(0);
        }
    };
    if ctx.json {
        output::json(&session, false)?;
    } else {
        output::text(&line(&session));
    }
    Ok(0)
}
