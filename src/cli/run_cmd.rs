//! `run` (and the following of a run shared with `runs resume`): start the orchestrator, send the command,
//! print the run's events as they are committed, and end with the run in full.

use std::os::unix::process::CommandExt as _;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::broadcast::error::RecvError;

use super::resolve::unknown_run;
use super::{Ctx, RunArgs, output};
use crate::cli::CliError;
use crate::context::SourceChecker;
use crate::history;
use crate::model::{RunId, RunRecord, RunStatus, RunView};
use crate::orchestrator::Engine;
use crate::protocol::{Command, Event, StartRun};
use crate::spaces;

/// How long `--detach` waits for the background process to pick the run up.
const DETACH_WAIT: Duration = Duration::from_secs(15);

/// The last line of `run --json`.
#[derive(Serialize)]
struct RunFinished<'a> {
    r#type: &'static str,
    run: &'a RunView,
}

fn valid_run_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

pub fn run(ctx: &Ctx, args: RunArgs) -> Result<i32, CliError> {
    if args.prompt.trim().is_empty() {
        return Err(CliError::usage(
            "--prompt is empty: describe the change you want",
        ));
    }
    if args.model.as_deref().is_some_and(|m| m.trim().is_empty()) {
        return Err(CliError::usage(
            "--model is empty: pass a model name or omit --model",
        ));
    }
    let engine = ctx.engine()?;
    engine
        .providers
        .choose(args.provider.as_deref())
        .map_err(|e| CliError::usage(format!("--provider: {e}. {}", e.remediation())))?;
    let (space, _) = spaces::find_or_link(
        &engine.store,
        engine.clock.as_ref(),
        &engine.ids,
        &args.space,
    )?;
    let session = spaces::session_for(
        &engine.store,
        engine.clock.as_ref(),
        &engine.ids,
        &space,
        args.session.as_deref(),
    )?;
    let run_id = match &args.run_id {
        Some(id)
            if engine
                .store
                .read(|rx| rx.run(&RunId::new(id.as_str())))?
                .is_some() =>
        {
            return Err(CliError::usage(format!(
                "--run-id {id:?} is an existing run: omit --run-id to start a new one, or use `kata-cloud runs resume`"
            )));
        }
        Some(id) if valid_run_id(id) => RunId::new(id.as_str()),
        Some(id) => {
            return Err(CliError::usage(format!(
                "--run-id {id:?} is not a valid id: use letters, digits, '-' and '_'"
            )));
        }
        None => RunId::generate(&engine.ids, engine.clock.now()),
    };
    if args.detach {
        let mut worker: Vec<String> = vec![
            "run".into(),
            "--space".into(),
            space.id.to_string(),
            "--session".into(),
            session.id.to_string(),
            "--prompt".into(),
            args.prompt.clone(),
            "--run-id".into(),
            run_id.to_string(),
        ];
        if let Some(p) = &args.provider {
            worker.extend(["--provider".into(), p.clone()]);
        }
        if let Some(m) = &args.model {
            worker.extend(["--model".into(), m.clone()]);
        }
        if let Some(c) = args.context_provider {
            worker.extend(["--context-provider".into(), c.as_str().into()]);
        }
        let worker: Vec<&str> = worker.iter().map(String::as_str).collect();
        return detach(ctx, &engine, &worker, &run_id, |_| true);
    }
    let command = Command::StartRun(StartRun {
        run_id: run_id.clone(),
        space_id: space.id,
        session_id: session.id,
        prompt: args.prompt,
        provider: args.provider,
        model: args.model,
        context_provider: args.context_provider,
    });
    follow(ctx, &engine, run_id, command)
}

/// Sends `command` to a fresh orchestrator and prints the run's events until it stops being live.
pub fn follow(
    ctx: &Ctx,
    engine: &Engine,
    run_id: RunId,
    command: Command,
) -> Result<i32, CliError> {
    let mut orchestrator = engine
        .start()
        .map_err(|e| CliError::failed(format!("cannot start the orchestrator: {e}")))?;
    let mut events = orchestrator.subscribe();
    let commands = orchestrator.commands();
    let json = ctx.json;
    let followed = run_id.clone();
    let outcome = orchestrator.block_on(async move {
        commands
            .send(command)
            .await
            .map_err(|_| CliError::failed("the orchestrator stopped before the run started"))?;
        let mut cancel_sent = false;
        loop {
            tokio::select! {
                received = events.recv() => match received {
                    Ok(event) => {
                        if event.run_id() != Some(&followed) {
                            continue;
                        }
                        // Our start/resume was refused: an input error (stderr, exit 2), not part of a run's stream.
                        if let Event::CommandRejected { error, .. } = &event {
                            return Err(CliError::usage(format!("{} ({})", error.message, error.remediation)));
                        }
                        if json {
                            output::json(&event, true)?;
                        } else if let Some(line) = output::event_text(&event) {
                            output::text(&line);
                        }
                        if let Some(status) = event.run_status()
                            && !status.is_active()
                        {
                            return Ok(status);
                        }
                    }
                    Err(RecvError::Lagged(n)) => {
                        tracing::warn!(missed = n, "fell behind the run's events; the final state is read from the store");
                    }
                    Err(RecvError::Closed) => {
                        return Err(CliError::failed("the orchestrator stopped while the run was live"));
                    }
                },
                signal = tokio::signal::ctrl_c(), if !cancel_sent => {
                    if signal.is_ok() {
                        cancel_sent = true;
                        eprintln!("cancelling run {followed}…");
                        let _ = commands.send(Command::CancelRun { run_id: followed.clone() }).await;
                    }
                }
            }
        }
    });
    orchestrator.shutdown();
    let status: RunStatus = match outcome {
        Some(result) => result?,
        None => return Err(CliError::failed("the orchestrator runtime is gone")),
    };
    let view = history::run_view(&engine.store, &SourceChecker::new(), &run_id)?
        .ok_or_else(|| unknown_run(run_id.as_str()))?;
    if ctx.json {
        output::json(
            &RunFinished {
                r#type: "run_finished",
                run: &view,
            },
            true,
        )?;
    } else {
        output::text(&output::run_text(&view, engine.clock.now()));
    }
    let code = output::run_exit(status);
    // (A damaged store file is reported instead, by `run_headless`.)
    if code != 0 && !crate::diagnostics::store_panicked() {
        // The run is on stdout; stderr gets the one line scripts look for.
        let reason = view.run.error.as_ref().map_or_else(String::new, |e| {
            format!(": {} — {} ({})", e.code, e.message, e.remediation)
        });
        eprintln!(
            "error: run {} ended {}{}",
            view.run.id,
            view.run.status,
            output::terminal_safe(&reason.replace('\n', " "))
        );
    }
    Ok(code)
}

/// Hands the run to a background `kata-cloud` process and returns once that process has picked it up.
pub fn detach(
    ctx: &Ctx,
    engine: &Engine,
    worker_args: &[&str],
    run_id: &RunId,
    picked_up: impl Fn(&RunRecord) -> bool,
) -> Result<i32, CliError> {
    let exe = std::env::current_exe()
        .map_err(|e| CliError::failed(format!("cannot find the kata-cloud executable: {e}")))?;
    let logs = engine.data_dir().join("logs");
    let log_path = logs.join(format!("run-{run_id}.log"));
    let log = std::fs::create_dir_all(&logs)
        // Appended to: resuming a run in the background keeps the log of its first attempt.
        .and_then(|()| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&log_path)
        })
        .map_err(|e| {
            CliError::failed(format!(
                "cannot create the background run's log {}: {e}; make the data directory writable, \
                 or pass another --data-dir",
                log_path.display()
            ))
        })?;
    let mut child = std::process::Command::new(exe)
        .arg("--data-dir")
        .arg(engine.data_dir())
        .arg("--json")
        .args(worker_args)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        // Its own process group: Ctrl-C in this terminal does not reach it.
        .process_group(0)
        .spawn()
        .map_err(|e| CliError::failed(format!("cannot start the background process: {e}")))?;
    let started = Instant::now();
    loop {
        if let Some(run) = engine.store.read(|rx| rx.run(run_id))?
            && picked_up(&run)
        {
            break;
        }
        if let Ok(Some(status)) = child.try_wait() {
            let tail = std::fs::read_to_string(&log_path).unwrap_or_default();
            let last = tail
                .lines()
                .last()
                .unwrap_or("")
                .trim_start_matches("error: ")
                .to_owned();
            return Err(CliError::failed(format!(
                "the background process exited ({status}) before starting the run: {last}"
            )));
        }
        if started.elapsed() > DETACH_WAIT {
            return Err(CliError::failed(format!(
                "the background process did not pick the run up within {}s; see {}",
                DETACH_WAIT.as_secs(),
                log_path.display()
            )));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let view = history::run_view(&engine.store, &SourceChecker::new(), run_id)?
        .ok_or_else(|| unknown_run(run_id.as_str()))?;
    if ctx.json {
        output::json(&view, false)?;
    } else {
        output::text(&format!(
            "run {run_id} continues in the background (log: {}); follow it with `kata-cloud runs show {run_id}`",
            log_path.display()
        ));
    }
    Ok(0)
}
