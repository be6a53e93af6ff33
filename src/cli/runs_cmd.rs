//! `runs list`, `runs show`, `runs resume`, `runs cancel`.

use std::time::{Duration, Instant};

use super::resolve::{run_lookup, unknown_run};
use super::{Ctx, RunsCommand, output, run_cmd};
use crate::cli::CliError;
use crate::context::SourceChecker;
use crate::history::{self, RunFilter};
use crate::model::{RunId, RunStatus, SessionId};
use crate::protocol::Command;
use crate::spaces::{self, SpaceError};

/// How long `runs cancel` waits for another process to stop a run it owns.
const CANCEL_WAIT: Duration = Duration::from_secs(15);

pub fn run(ctx: &Ctx, command: RunsCommand) -> Result<i32, CliError> {
    let engine = ctx.engine()?;
    let checker = SourceChecker::new();
    match command {
        RunsCommand::List { space, session } => {
            let mut filter = RunFilter::default();
            if let Some(space) = space {
                let found = spaces::find(&engine.store, &space)?
                    .ok_or_else(|| SpaceError::UnknownSpace(space.clone()))?;
                filter.space = Some(found.id);
            }
            if let Some(session) = session {
                let id = SessionId::new(session.as_str());
                if engine.store.read(|rx| rx.session(&id))?.is_none() {
                    return Err(CliError::usage(format!(
                        "no session {session:?}{}: `kata-cloud --json runs list` shows the session_id of each run",
                        crate::model::ids::wrong_kind_hint(&session, "a session")
                    )));
                }
                filter.session = Some(id);
            }
            let runs = history::run_summaries(&engine.store, &checker, &filter)?;
            if ctx.json {
                output::json(&runs, false)?;
            } else if runs.is_empty() {
                output::text(
                    "no runs yet: start one with `kata-cloud run --space PATH --prompt TEXT`",
                );
            } else {
                let now = engine.clock.now();
                for run in &runs {
                    output::text(&output::summary_line(run, now));
                }
            }
            Ok(0)
        }
        RunsCommand::Show { run_id } => {
            let view = history::run_view(&engine.store, &checker, &RunId::new(run_id.as_str()))?
                .ok_or_else(|| unknown_run(&run_id))?;
            if ctx.json {
                output::json(&view, false)?;
            } else {
                output::text(&output::run_text(&view, engine.clock.now()));
            }
            Ok(0)
        }
        RunsCommand::Resume { run_id, detach } => {
            let id = RunId::new(run_id.as_str());
            let run = engine
                .store
                .read(|rx| rx.run(&id))?
                .ok_or_else(|| unknown_run(&run_id))?;
            if run.status != RunStatus::Interrupted {
                return Err(CliError::usage(format!(
                    "run {run_id} is {}; only interrupted runs can be resumed",
                    run.status
                )));
            }
            if detach {
                return run_cmd::detach(ctx, &engine, &["runs", "resume", &run_id], &id, |r| {
                    r.attempt > run.attempt
                });
            }
            run_cmd::follow(ctx, &engine, id.clone(), Command::ResumeRun { run_id: id })
        }
        RunsCommand::Cancel { run_id } => {
            let id = RunId::new(run_id.as_str());
            let run = engine
                .store
                .read(|rx| rx.run(&id))?
                .ok_or_else(|| unknown_run(&run_id))?;
            if !run.status.is_active() {
                return Err(CliError::usage(format!(
                    "run {run_id} is {}; only queued or running runs can be cancelled",
                    run.status
                )));
            }
            // Reconciliation left it live, so another running engine owns it: ask that engine to stop it.
            engine
                .store
                .write(|tx| tx.request_cancel(&id, engine.clock.now()))
                .map_err(|e| run_lookup(&run_id, e))?;
            let started = Instant::now();
            let view = loop {
                let view = history::run_view(&engine.store, &checker, &id)?
                    .ok_or_else(|| unknown_run(&run_id))?;
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
