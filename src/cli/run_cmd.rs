//! `run` (and the following of a run shared with `runs resume`): start the orchestrator, send the command,
//! print the run's events as they are committed, and end with the run in full.

use std::os::unix::process::CommandExt as _;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::broadcast::error::RecvError;

use super::{Ctx, RunArgs, output};
use crate::app::runs::StartRunRequest;
use crate::app::{App, AppError};
use crate::cli::CliError;
use crate::model::{RunId, RunRecord, RunStatus, RunView, run_reducer};
use crate::protocol::Event;

/// Prompts longer than this reach a `--detach` worker through a file.
const PROMPT_ARG_MAX: usize = 64 * 1024;

/// The most bytes a prompt may have (from a file or stdin).
const PROMPT_MAX: u64 = 4 * 1024 * 1024;

/// The prompt from `--prompt TEXT`, `--prompt -` (stdin) or `--prompt-file FILE`.
fn read_prompt(prompt: Option<&str>, file: Option<&std::path::Path>) -> Result<String, CliError> {
    use std::io::Read as _;
    let (what, text) = match (prompt, file) {
        (Some("-"), _) => {
            let mut text = String::new();
            std::io::stdin()
                .take(PROMPT_MAX + 1)
                .read_to_string(&mut text)
                .map_err(|e| {
                    CliError::usage(format!(
                        "--prompt -: stdin cannot be read as UTF-8 text ({e}); pipe the prompt in, or use --prompt-file"
                    ))
                })?;
            ("--prompt - (stdin)".to_owned(), text)
        }
        (Some(text), _) => return Ok(text.to_owned()),
        (None, Some(path)) => {
            let mut text = String::new();
            std::fs::File::open(path)
                .and_then(|f| f.take(PROMPT_MAX + 1).read_to_string(&mut text))
                .map_err(|e| {
                    CliError::usage(format!(
                        "--prompt-file {}: cannot be read as UTF-8 text ({e}); pass a readable text file",
                        path.display()
                    ))
                })?;
            (format!("--prompt-file {}", path.display()), text)
        }
        (None, None) => {
            return Err(CliError::usage(
                "the prompt is missing: pass --prompt TEXT, --prompt - (stdin) or --prompt-file FILE",
            ));
        }
    };
    if text.len() as u64 > PROMPT_MAX {
        return Err(CliError::usage(format!(
            "{what} is longer than {} MiB; shorten it",
            PROMPT_MAX / (1024 * 1024)
        )));
    }
    Ok(text)
}

/// How long `--detach` waits for the background process to pick the run up.
const DETACH_WAIT: Duration = Duration::from_secs(15);

/// The last line of `run --json`.
#[derive(Serialize)]
struct RunFinished<'a> {
    r#type: &'static str,
    run: &'a RunView,
}

pub fn run(ctx: &Ctx, args: RunArgs) -> Result<i32, CliError> {
    let prompt = read_prompt(args.prompt.as_deref(), args.prompt_file.as_deref())?;
    let app = ctx.app()?;
    let permission_policy = args.permission_policy();
    let prepared = app.prepare_run(StartRunRequest {
        space: args.space,
        session: args.session,
        prompt,
        provider: args.provider,
        model: args.model,
        context_provider: args.context_provider,
        run_id: args.run_id,
        script: args.script,
        permission_policy,
        spec_task: args.spec_task,
    })?;
    let start = &prepared.start;
    if args.detach {
        let mut worker: Vec<String> = vec![
            "run".into(),
            "--space".into(),
            start.space_id.to_string(),
            "--session".into(),
            start.session_id.to_string(),
            "--run-id".into(),
            start.run_id.to_string(),
        ];
        // A long prompt goes through a file: a command line holds at most 128 KiB per argument.
        if start.prompt.len() > PROMPT_ARG_MAX {
            let path = app
                .data_dir()
                .join("logs")
                .join(format!("run-{}.prompt", start.run_id));
            std::fs::create_dir_all(app.data_dir().join("logs"))
                .and_then(|()| std::fs::write(&path, &start.prompt))
                .map_err(|e| {
                    CliError::failed(format!(
                        "cannot hand the prompt to the background process: {}: {e}",
                        path.display()
                    ))
                })?;
            worker.extend(["--prompt-file".into(), path.display().to_string()]);
        } else {
            worker.extend(["--prompt".into(), start.prompt.clone()]);
        }
        if let Some(p) = &start.provider {
            worker.extend(["--provider".into(), p.clone()]);
        }
        if let Some(m) = &start.model {
            worker.extend(["--model".into(), m.clone()]);
        }
        if let Some(c) = start.context_provider {
            worker.extend(["--context-provider".into(), c.as_str().into()]);
        }
        if let Some(script) = &start.script {
            worker.extend(["--script".into(), script.display().to_string()]);
        }
        if let Some(policy) = start.permission_policy {
            worker.push(format!("--{}", policy.as_str()));
        }
        if let Some(task) = &start.spec_task {
            worker.extend(["--spec-task".into(), task.clone()]);
        }
        let worker: Vec<&str> = worker.iter().map(String::as_str).collect();
        return detach(ctx, &app, &worker, &start.run_id, |_| true);
    }
    let run_id = start.run_id.clone();
    follow(ctx, &app, run_id, |app| {
        app.submit_run(&prepared).map(|_| ())
    })
}

/// Starts the run (`begin`, after subscribing so no event is missed) and prints its events until it stops
/// being live, then the run in full.
pub fn follow(
    ctx: &Ctx,
    app: &App,
    run_id: RunId,
    begin: impl FnOnce(&App) -> Result<(), AppError>,
) -> Result<i32, CliError> {
    let mut events = app.subscribe()?;
    let runtime = app.runtime()?;
    begin(app)?;
    let json = ctx.json;
    let followed = run_id.clone();
    let outcome = runtime.block_on(async {
        let mut cancel_sent = false;
        // The run as the events describe it, folded by the same reducer every client uses.
        let mut view: Option<RunView> = None;
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
                        // The store failed: nothing more about this run will be recorded by this process.
                        if let Event::RunNotRecorded { error, .. } = &event {
                            return Err(CliError::store(format!(
                                "run {followed} could not be recorded: {} ({}); it will show as interrupted \
                                 the next time Kata Cloud starts, and can then be resumed",
                                error.message, error.remediation
                            )));
                        }
                        if let Event::RunCreated { run } = &event {
                            view = Some(RunView::new((**run).clone()));
                        }
                        if let Some(view) = view.as_mut() {
                            run_reducer::apply(view, &event);
                        }
                        if json {
                            output::json(&event, true)?;
                        } else if let Some(line) = output::event_text(&event, view.as_ref()) {
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
                        if let Err(e) = app.cancel_run(&followed) {
                            tracing::warn!(error = %e, "could not cancel the run");
                        }
                    }
                }
            }
        }
    });
    app.shutdown();
    let status: RunStatus = outcome?;
    let view = app.show_run(&run_id)?;
    if ctx.json {
        output::json(
            &RunFinished {
                r#type: "run_finished",
                run: &view,
            },
            true,
        )?;
    } else {
        output::text(&output::run_text(&view, app.now()));
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
    app: &App,
    worker_args: &[&str],
    run_id: &RunId,
    picked_up: impl Fn(&RunRecord) -> bool,
) -> Result<i32, CliError> {
    let exe = std::env::current_exe()
        .map_err(|e| CliError::failed(format!("cannot find the kata-cloud executable: {e}")))?;
    let logs = app.data_dir().join("logs");
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
        .arg(app.data_dir())
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
        if let Some(run) = app.store().read(|rx| rx.run(run_id))?
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
    let view = app.show_run(run_id)?;
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
