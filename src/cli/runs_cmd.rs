//! `runs list`, `runs show`, `runs resume`, `runs cancel`.

use std::time::{Duration, Instant};

use super::{Ctx, RunsCommand, output, run_cmd};
use crate::app::runs::ListRuns;
use crate::cli::CliError;
use crate::model::{RunId, RunStatus};

/// How long `runs cancel` waits for another process to stop a run it owns.
const CANCEL_WAIT: Duration = Duration::from_secs(15);

pub fn run(ctx: &Ctx, command: RunsCommand) -> Result<i32, CliError> {
    let app = ctx.app()?;
    match command {
        RunsCommand::List { space, session } => {
            let runs = app.list_runs(&ListRuns { space, session })?;
            if ctx.json {
                output::json(&runs, false)?;
            } else if runs.is_empty() {
                output::text(
                    "no runs yet: start one with `kata-cloud run --space PATH --prompt TEXT`",
                );
            } else {
                let now = app.now();
                for run in &runs {
                    output::text(&output::summary_line(run, now));
                }
            }
            Ok(0)
        }
        RunsCommand::Show { run_id } => {
            let view = app.show_run(&RunId::new(run_id.as_str()))?;
            if ctx.json {
                output::json(&view, false)?;
            } else {
                output::text(&output::run_text(&view, app.now()));
            }
            Ok(0)
        }
        RunsCommand::Resume { run_id, detach } => {
            let id = RunId::new(run_id.as_str());
            let run = app.resumable(&id)?;
            if detach {
                return run_cmd::detach(ctx, &app, &["runs", "resume", &run_id], &id, |r| {
                    r.attempt > run.attempt
                });
            }
            run_cmd::follow(ctx, &app, id.clone(), |app| app.resume_run(&id).map(|_| ()))
        }
        RunsCommand::Cancel { run_id } => {
            let id = RunId::new(run_id.as_str());
            // This process executes no runs: a live run belongs to another process, which picks the
            // request up.
            app.cancel_run(&id)?;
            let started = Instant::now();
            let view = loop {
                let view = app.show_run(&id)?;
                if !view.run.status.is_active() {
                    break view;
                }
                if started.elapsed() > CANCEL_WAIT {
                    return Err(CliError::failed(format!(
                        "run {run_id} is still {} after {}s: the process running it did not respond; \
                         if it hangs, stop that process and the run will show as interrupted",
                        view.run.status,
                        CANCEL_WAIT.as_secs()
                    )));
                }
                std::thread::sleep(Duration::from_millis(100));
            };
            if ctx.json {
                output::json(&view, false)?;
            } else {
                output::text(&format!("run {} {}", view.run.id, view.run.status));
            }
            if view.run.status == RunStatus::Cancelled {
                Ok(0)
            } else {
                // It ended on its own before the request reached it: say so (the Run is on stdout).
                eprintln!(
                    "error: run {run_id} ended {} before the cancel request reached it; nothing was cancelled",
                    view.run.status
                );
                Ok(1)
            }
        }
    }
}
