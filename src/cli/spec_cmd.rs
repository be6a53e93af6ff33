//! `spec show`, `spec apply`, `spec history`, `spec toggle`, `spec edit`, `spec diff`.

use std::path::Path;

use super::{Ctx, SpecCommand, output};
use crate::app::App;
use crate::cli::CliError;
use crate::model::{RunId, SpecRecord};

pub fn run(ctx: &Ctx, command: SpecCommand) -> Result<i32, CliError> {
    let app = ctx.app()?;
    let spec = match command {
        SpecCommand::Show {
            session,
            revision: None,
        } => app.show_spec(&session)?,
        SpecCommand::Show {
            session,
            revision: Some(n),
        } => app.show_spec_revision(&session, n)?,
        SpecCommand::Apply { run_id, force } => {
            app.apply_draft(&RunId::new(run_id.as_str()), force)?
        }
        SpecCommand::History { session } => {
            history(ctx, &app, &session)?;
            return Ok(0);
        }
        SpecCommand::Toggle {
            task_id,
            session,
            mark,
        } => app.toggle_spec_task(&session, &task_id, mark)?,
        SpecCommand::Edit {
            session,
            file,
            base,
        } => edit(&app, &session, file.as_deref(), base)?,
        SpecCommand::Diff { from, to, session } => {
            let diff = app.spec_diff(&session, from, to)?;
            if ctx.json {
                output::json(
                    &serde_json::json!({ "from": from, "to": to, "diff": diff }),
                    false,
                )?;
            } else {
                print!("{diff}");
            }
            return Ok(0);
        }
    };
    if ctx.json {
        output::json(&spec, false)?;
    } else if spec.content.is_empty() {
        output::text("the spec is empty: apply a run's draft with `kata-cloud spec apply RUN_ID`");
    } else {
        output::text(&spec.content);
    }
    Ok(0)
}

fn history(ctx: &Ctx, app: &App, session: &str) -> Result<(), CliError> {
    let revisions = app.spec_history(session)?;
    if ctx.json {
        output::json(&revisions, false)?;
    } else if revisions.is_empty() {
        output::text("the spec has no revisions yet");
    } else {
        for spec in &revisions {
            let from = match (&spec.tick, &spec.applied_from_run) {
                (Some(tick), _) => format!(
                    "run {} task {}: {} {}",
                    tick.run_id,
                    tick.task_id,
                    tick.spec_task,
                    tick.mark.as_str()
                ),
                (None, Some(run)) => format!("applied from run {run}"),
                (None, None) => "edited by hand".to_owned(),
            };
            output::text(&format!(
                "revision {}  {}  {from}",
                spec.revision, spec.updated_at
            ));
        }
    }
    Ok(())
}

/// Saves a hand edit: the file's contents, or what the user wrote in `$EDITOR` (`$VISUAL` first) from the
/// current spec. An editor that exits with an error, or leaves the text as it was, saves nothing.
fn edit(
    app: &App,
    session: &str,
    file: Option<&Path>,
    base: Option<u64>,
) -> Result<SpecRecord, CliError> {
    let current = app.show_spec(session)?;
    let (content, base) = match file {
        Some(path) => {
            let content = std::fs::read_to_string(path).map_err(|e| {
                CliError::usage(format!(
                    "--file {}: cannot be read ({e}); pass a UTF-8 text file",
                    path.display()
                ))
            })?;
            (content, base.unwrap_or(current.revision))
        }
        None => (in_editor(&current.content)?, current.revision),
    };
    if content == current.content {
        return Ok(current);
    }
    Ok(app.save_spec_edit(&current.session_id, content, Some(base))?)
}

fn in_editor(text: &str) -> Result<String, CliError> {
    let editor = std::env::var("VISUAL")
        .ok()
        .or_else(|| std::env::var("EDITOR").ok())
        .filter(|e| !e.trim().is_empty())
        .ok_or_else(|| {
            CliError::usage("no editor: set $EDITOR (e.g. EDITOR=vi), or pass --file FILE")
        })?;
    let words = shlex::split(&editor)
        .filter(|w| !w.is_empty())
        .ok_or_else(|| {
            CliError::usage(format!(
                "$EDITOR {editor:?} cannot be split into words; quote it like a shell command"
            ))
        })?;
    let dir = tempfile_dir()?;
    let path = dir.join("spec.md");
    std::fs::write(&path, text)?;
    let (program, args) = words.split_first().ok_or_else(|| {
        CliError::usage("$EDITOR is empty: set it to an editor command, or pass --file FILE")
    })?;
    let status = std::process::Command::new(program)
        .args(args)
        .arg(&path)
        .status()
        .map_err(|e| {
            CliError::usage(format!(
                "$EDITOR {program:?} cannot be started ({e}); set $EDITOR to an installed editor"
            ))
        })?;
    let written = std::fs::read_to_string(&path);
    let _ = std::fs::remove_dir_all(&dir);
    if !status.success() {
        return Err(CliError::failed(format!(
            "the editor exited with {status}; the spec was not changed"
        )));
    }
    Ok(written?)
}

/// A private directory for the file the editor opens.
fn tempfile_dir() -> Result<std::path::PathBuf, CliError> {
    let dir = std::env::temp_dir().join(format!(
        "kata-spec-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
