//! `changes status|diff|stage|unstage|discard|commit --session ID`.

use std::io::Write as _;

use super::{ChangesCommand, Ctx, output};
use crate::cli::CliError;
use crate::git::{DiffScope, HunkId};
use crate::model::SessionId;

fn hunk(index: Option<usize>, header: Option<String>) -> Option<HunkId> {
    Some(HunkId {
        index: index?,
        header: header?,
    })
}

pub fn run(ctx: &Ctx, command: ChangesCommand) -> Result<i32, CliError> {
    let app = ctx.app()?;
    match command {
        ChangesCommand::Status { session } => {
            let found = app.session(&session)?;
            let changes = app.changes(&found.id)?;
            if ctx.json {
                output::json(&changes.into_contract(found.id.as_str()), false)?;
            } else {
                output::text(&format!("{} → {}", changes.branch, changes.base));
                for (title, files) in [("staged", &changes.staged), ("unstaged", &changes.unstaged)]
                {
                    if files.is_empty() {
                        continue;
                    }
                    output::text(&format!("{title}:"));
                    for f in files {
                        let counts = if f.binary {
                            "binary".to_owned()
                        } else {
                            format!("+{} -{}", f.additions, f.deletions)
                        };
                        output::text(&format!("  {:<10} {}  {counts}", f.status.as_str(), f.path));
                    }
                }
                if changes.staged.is_empty() && changes.unstaged.is_empty() {
                    output::text("no changes");
                }
            }
        }
        ChangesCommand::Diff {
            session,
            path,
            staged,
            against,
        } => {
            let scope = match (staged, against.as_deref()) {
                (_, Some("base")) => DiffScope::AgainstBase,
                (_, Some(other)) => {
                    return Err(CliError::usage(format!(
                        "--against {other:?} is not supported: pass --against base"
                    )));
                }
                (true, None) => DiffScope::Staged,
                (false, None) => DiffScope::Unstaged,
            };
            let found = app.session(&session)?;
            let bytes = app.diff(&found.id, scope, path.as_deref())?;
            // The diff is printed as git prints it (bytes as they are; --json makes no difference).
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(&bytes);
            let _ = out.flush();
        }
        ChangesCommand::Stage {
            session,
            path,
            hunk: index,
            header,
        } => {
            let found = app.session(&session)?;
            app.stage(&found.id, &path, hunk(index, header).as_ref())?;
            print_status(ctx, &app, &found.id)?;
        }
        ChangesCommand::Unstage {
            session,
            path,
            hunk: index,
            header,
        } => {
            let found = app.session(&session)?;
            app.unstage(&found.id, &path, hunk(index, header).as_ref())?;
            print_status(ctx, &app, &found.id)?;
        }
        ChangesCommand::Discard { session, path } => {
            let found = app.session(&session)?;
            app.discard(&found.id, &path)?;
            print_status(ctx, &app, &found.id)?;
        }
        ChangesCommand::Commit { session, message } => {
            let found = app.session(&session)?;
            let committed = app.commit_changes(&found.id, &message)?;
            if ctx.json {
                output::json(&committed, false)?;
            } else {
                output::text(&format!(
                    "committed {} on {}",
                    committed.commit.get(..12).unwrap_or(&committed.commit),
                    committed.branch
                ));
            }
        }
    }
    Ok(0)
}

/// After a change to the index: the changes as they are now (JSON), or a short confirmation.
fn print_status(ctx: &Ctx, app: &crate::app::App, session: &SessionId) -> Result<(), CliError> {
    if ctx.json {
        let changes = app.changes(session)?;
        output::json(&changes.into_contract(session.as_str()), false)?;
    } else {
        output::text("done");
    }
    Ok(())
}
