//! The delegated tasks, wave by wave: the tasks of a wave run concurrently, the next wave waits for all of
//! them. A task is done by a specialist: with a tool-calling model, in its tool loop in the session's
//! workspace (`agent/`); with the offline provider and no script, as a deterministic report. A verify task
//! ends with the check command, and its exit status decides: when it fails and rounds remain, a debug task
//! (given the check's output) and a new verify task are added as the next two waves.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::agent::check::CheckCommand;
use super::agent::instructions::Instruction;
use super::agent::{self, AgentCtx, AgentEnd, Brief};
use super::deltas::DeltaBatcher;
use super::persist::{self, SharedPersist};
use super::run_loop::{Halt, RunCtx, usage_into};
use crate::model::tool::{ToolArguments, ToolCall};
use crate::model::{
    ErrorCode, ErrorInfo, Event, InstructionSource, PlannedTask, ProviderExecution, ProviderStatus,
    RunId, TaskId, TaskKind, TaskRecord, TaskStatus, ToolCallStatus,
};
use crate::provider::{
    AgentLimits, ChatModel, Coordinator, ProviderError, SecretScrubber, TaskInput, Usage,
};
use crate::store::StoreError;
use crate::tools::Toolbox;

/// What specialists with tools work with in this run.
#[derive(Clone)]
pub struct AgentSetup {
    pub model: Arc<dyn ChatModel>,
    pub toolbox: Toolbox,
    pub limits: AgentLimits,
    pub scrubber: SecretScrubber,
    /// The check a verify task ends with, when one is known.
    pub check: Option<CheckCommand>,
    /// `AGENTS.md` / `CLAUDE.md` of the workspace root.
    pub instructions: Vec<Instruction>,
    /// The approval mode and the run's policy.
    pub permissions: agent::permission::PermissionSettings,
}

pub enum TaskEnd {
    Done(TaskRecord, Usage),
    Failed(TaskRecord, ErrorInfo),
    Stopped,
    Store(StoreError),
}

fn planned(task: &TaskRecord) -> PlannedTask {
    PlannedTask {
        id: task.id.clone(),
        kind: task.kind,
        title: task.title.clone(),
        wave: task.wave,
        depends_on: task.depends_on.clone(),
        round: task.round,
        spec_task: task.spec_task.clone(),
    }
}

/// Executes the delegated tasks wave by wave until none is queued.
pub(super) async fn waves_step(
    ctx: &RunCtx<'_>,
    draft: &str,
    mut tasks: Vec<TaskRecord>,
    execution: &mut ProviderExecution,
) -> Result<(), Halt> {
    let mut reports: BTreeMap<String, String> = tasks
        .iter()
        .filter(|t| t.status == TaskStatus::Completed)
        .filter_map(|t| t.summary.clone().map(|s| (t.id.to_string(), s)))
        .collect();
    while let Some(wave) = tasks
        .iter()
        .filter(|t| t.status == TaskStatus::Queued)
        .map(|t| t.wave)
        .min()
    {
        let members: Vec<TaskRecord> = tasks.iter().filter(|t| t.wave == wave).cloned().collect();
        let pending: Vec<&TaskRecord> = members
            .iter()
            .filter(|t| t.status == TaskStatus::Queued)
            .collect();
        let ends = run_wave(ctx, wave, &pending, draft, &reports).await?;
        let mut outcome = WaveOutcome {
            completed: members
                .iter()
                .filter(|t| t.status == TaskStatus::Completed)
                .count(),
            ..WaveOutcome::default()
        };
        for end in ends {
            if let TaskEnd::Done(t, _) | TaskEnd::Failed(t, _) = &end
                && let Some(slot) = tasks.iter_mut().find(|x| x.id == t.id)
            {
                *slot = t.clone();
            }
            outcome.take(end, execution, &mut reports);
        }
        if let Some(next) = next_round(ctx, &outcome, &tasks).await? {
            // The failed check's output goes to the debug task as its dependency's report.
            if let Some((verify, info)) = &outcome.failure {
                reports.insert(verify.id.to_string(), check_report(ctx, verify, info).await);
            }
            record_cost(ctx, execution, &outcome).await?;
            finished(ctx, wave, members.len(), outcome.completed).await?;
            tasks.extend(next);
            continue;
        }
        let later: Vec<TaskId> = tasks
            .iter()
            .filter(|t| t.wave > wave && t.status == TaskStatus::Queued)
            .map(|t| t.id.clone())
            .collect();
        settle_wave(ctx, wave, members.len(), outcome, execution, later).await?;
    }
    Ok(())
}

/// After a wave whose only failure is a verify task's check, with rounds left: the debug task and the
/// verify task of the next round, added to the run (both queued).
async fn next_round(
    ctx: &RunCtx<'_>,
    outcome: &WaveOutcome,
    tasks: &[TaskRecord],
) -> Result<Option<Vec<TaskRecord>>, Halt> {
    let (Some((verify, info)), Some(setup)) = (&outcome.failure, &ctx.agent) else {
        return Ok(None);
    };
    if outcome.stopped
        || outcome.store_error.is_some()
        || outcome.failures > 1
        || info.code != ErrorCode::CheckFailed
        || verify.round > setup.limits.verify_rounds
    {
        return Ok(None);
    }
    let Some(check) = &setup.check else {
        return Ok(None);
    };
    let next_id = tasks
        .iter()
        .filter_map(|t| t.id.as_str().strip_prefix('t')?.parse::<usize>().ok())
        .max()
        .unwrap_or(0)
        + 1;
    let round = verify.round + 1;
    let debug = PlannedTask {
        id: TaskId::numbered(next_id),
        kind: TaskKind::Debug,
        title: format!("make the check `{}` pass (round {round})", check.command),
        wave: verify.wave + 1,
        depends_on: vec![verify.id.clone()],
        round,
        spec_task: None,
    };
    let again = PlannedTask {
        id: TaskId::numbered(next_id + 1),
        kind: TaskKind::Verify,
        title: format!("run the check `{}` again (round {round})", check.command),
        wave: verify.wave + 2,
        depends_on: vec![debug.id.clone()],
        round,
        // The check again is the same spec line's verification: passing it ticks that line.
        spec_task: verify.spec_task.clone(),
    };
    let id = ctx.run.id.clone();
    let attempt = ctx.run.attempt;
    let added = ctx
        .deps
        .persist
        .commit(move |tx, now| persist::add_tasks(tx, &id, vec![debug, again], attempt, now))
        .await?;
    Ok(Some(added))
}

/// What the debug task is told about the failed check: the failure, and the check's output.
async fn check_report(ctx: &RunCtx<'_>, verify: &TaskRecord, info: &ErrorInfo) -> String {
    let (run, task) = (ctx.run.id.clone(), verify.id.clone());
    let calls = ctx.deps.persist.read(move |rx| rx.tool_calls(&run)).await;
    let output = calls
        .ok()
        .and_then(|calls| {
            calls
                .into_iter()
                .rev()
                .find(|c| c.task_id == task && c.call_id.starts_with("check-"))
        })
        .and_then(|c| c.output)
        .unwrap_or_default();
    format!("{}\n\nThe check's output:\n{output}", info.message)
}

/// Starts a wave's pending tasks concurrently and waits for all of them.
async fn run_wave(
    ctx: &RunCtx<'_>,
    wave: u32,
    pending: &[&TaskRecord],
    draft: &str,
    reports: &BTreeMap<String, String>,
) -> Result<Vec<TaskEnd>, Halt> {
    let run = ctx.run;
    let task_ids = pending.iter().map(|t| t.id.clone()).collect();
    ctx.deps
        .persist
        .record(vec![Event::WaveStarted {
            run_id: run.id.clone(),
            wave,
            task_ids,
        }])
        .await?;
    let mut set = JoinSet::new();
    for task in pending {
        let input = TaskInput {
            prompt: run.prompt.clone(),
            root: ctx.space.root_path.clone(),
            draft: draft.to_owned(),
            task: planned(task),
            items: ctx.snapshot.items.clone(),
            dependency_summaries: task
                .depends_on
                .iter()
                .map(|d| {
                    (
                        d.clone(),
                        reports.get(d.as_str()).cloned().unwrap_or_default(),
                    )
                })
                .collect(),
        };
        let job = TaskJob {
            persist: ctx.deps.persist.clone(),
            coordinator: ctx.coordinator.clone(),
            agent: ctx.agent.clone(),
            run_id: run.id.clone(),
            task: (*task).clone(),
            attempt: run.attempt,
            token: ctx.stop.token().clone(),
        };
        set.spawn(job.run(input));
    }
    let mut ends = Vec::new();
    while let Some(joined) = set.join_next().await {
        ends.push(match joined {
            Ok(end) => end,
            Err(e) => {
                tracing::error!(error = %e, "a task's worker stopped");
                TaskEnd::Store(StoreError::WorkerStopped("task worker"))
            }
        });
    }
    Ok(ends)
}

/// How a wave's tasks ended, taken together.
#[derive(Default)]
struct WaveOutcome {
    completed: usize,
    /// The failed task with the lowest id, and its error.
    failure: Option<(TaskRecord, ErrorInfo)>,
    failures: usize,
    stopped: bool,
    store_error: Option<StoreError>,
}

impl WaveOutcome {
    fn take(
        &mut self,
        end: TaskEnd,
        execution: &mut ProviderExecution,
        reports: &mut BTreeMap<String, String>,
    ) {
        match end {
            TaskEnd::Done(task, usage) => {
                usage_into(execution, usage);
                if let Some(s) = task.summary.clone() {
                    reports.insert(task.id.to_string(), s);
                }
                self.completed += 1;
            }
            TaskEnd::Failed(task, info) => {
                self.failures += 1;
                if self.failure.as_ref().is_none_or(|(t, _)| task.id < t.id) {
                    self.failure = Some((task, info));
                }
            }
            TaskEnd::Stopped => self.stopped = true,
            TaskEnd::Store(e) => self.store_error = Some(e),
        }
    }
}

/// Records what the wave's failed calls cost on the run's telemetry.
async fn record_cost(
    ctx: &RunCtx<'_>,
    execution: &mut ProviderExecution,
    outcome: &WaveOutcome,
) -> Result<(), Halt> {
    usage_into(execution, ctx.coordinator.take_failed_usage());
    if let Some(setup) = &ctx.agent {
        usage_into(execution, setup.model.take_failed_usage());
    }
    if outcome.failure.is_some() && ctx.agent.is_none() {
        execution.status = ProviderStatus::Failed;
    }
    if ctx.agent.is_some() {
        let run = ctx.run.id.clone();
        let calls = ctx.deps.persist.read(move |rx| rx.tool_calls(&run)).await?;
        execution.tool_calls = u32::try_from(calls.len()).unwrap_or(u32::MAX);
    }
    let id = ctx.run.id.clone();
    let exec = execution.clone();
    ctx.deps
        .persist
        .commit(move |tx, _| persist::record_provider(tx, &id, exec))
        .await?;
    Ok(())
}

async fn finished(ctx: &RunCtx<'_>, wave: u32, total: usize, completed: usize) -> Result<(), Halt> {
    ctx.deps
        .persist
        .record(vec![Event::WaveFinished {
            run_id: ctx.run.id.clone(),
            wave,
            completed,
            total,
        }])
        .await?;
    Ok(())
}

/// Records what the wave cost, then ends it: the run stops (store failure, stop signal), fails (a task
/// failed: later waves are skipped), or the wave is recorded as finished.
async fn settle_wave(
    ctx: &RunCtx<'_>,
    wave: u32,
    total: usize,
    outcome: WaveOutcome,
    execution: &mut ProviderExecution,
    later: Vec<TaskId>,
) -> Result<(), Halt> {
    if let Some((_, info)) = &outcome.failure {
        execution.status = ProviderStatus::Failed;
        execution.error_code = Some(info.code);
    }
    record_cost(ctx, execution, &outcome).await?;
    if let Some(e) = outcome.store_error {
        return Err(Halt::Store(e));
    }
    if outcome.stopped {
        return Err(Halt::Stopped);
    }
    if let Some((task, info)) = outcome.failure {
        let id = ctx.run.id.clone();
        let attempt = ctx.run.attempt;
        let reason = format!("{} failed", task.id);
        ctx.deps
            .persist
            .commit(move |tx, now| persist::skip_tasks(tx, &id, &later, attempt, &reason, now))
            .await?;
        return Err(Halt::Failed(ErrorInfo {
            message: format!(
                "task {} ({}) failed: {}",
                task.id, task.specialist, info.message
            ),
            ..info
        }));
    }
    finished(ctx, wave, total, outcome.completed).await
}

/// One task, ready to run on its own tokio task.
struct TaskJob {
    persist: SharedPersist,
    coordinator: Arc<dyn Coordinator>,
    agent: Option<AgentSetup>,
    run_id: RunId,
    task: TaskRecord,
    attempt: u32,
    token: CancellationToken,
}

/// What a task's work gave: its report or its failure, and what it cost.
type WorkOutcome = Result<(String, Usage), (ErrorInfo, Usage)>;

impl TaskJob {
    async fn run(self, input: TaskInput) -> TaskEnd {
        let (r, t, attempt) = (self.run_id.clone(), self.task.id.clone(), self.attempt);
        let note = (self.task.times_started() > 0)
            .then(|| "started over: the previous attempt was interrupted".to_owned());
        if let Err(e) = self
            .persist
            .commit(move |tx, now| persist::start_task(tx, &r, &t, attempt, note, now))
            .await
        {
            return TaskEnd::Store(e);
        }
        let outcome = match &self.agent {
            Some(setup) => match self.with_tools(setup, &input).await {
                Ok(outcome) => outcome,
                Err(end) => return end,
            },
            None => match self.report(&input).await {
                Ok(outcome) => outcome,
                Err(end) => return end,
            },
        };
        let (r, t) = (self.run_id, self.task.id);
        let recorded = match outcome {
            Ok((summary, usage)) => self
                .persist
                .commit(move |tx, now| persist::finish_task(tx, &r, &t, attempt, Ok(summary), now))
                .await
                .map(|task| TaskEnd::Done(task, usage)),
            Err((info, _)) => {
                let error = info.clone();
                self.persist
                    .commit(move |tx, now| {
                        persist::finish_task(tx, &r, &t, attempt, Err(error), now)
                    })
                    .await
                    .map(|task| TaskEnd::Failed(task, info))
            }
        };
        recorded.unwrap_or_else(TaskEnd::Store)
    }

    /// The task as a report from the coordinator (no tools): the offline provider without a script.
    async fn report(&self, input: &TaskInput) -> Result<WorkOutcome, TaskEnd> {
        let deltas = DeltaBatcher::start(
            self.persist.clone(),
            self.run_id.clone(),
            Some(self.task.id.clone()),
        );
        let clock = Instant::now();
        let answer = self
            .coordinator
            .execute_task(input, deltas.sink(), &self.token)
            .await;
        if let Err(e) = deltas.finish().await {
            return Err(TaskEnd::Store(e));
        }
        match answer {
            Ok(mut output) => {
                if output.usage.latency_ms == 0 {
                    output.usage.latency_ms =
                        u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX);
                }
                Ok(Ok((output.summary, output.usage)))
            }
            Err(ProviderError::Cancelled) => Err(TaskEnd::Stopped),
            Err(e) => Ok(Err((ErrorInfo::from(&e), Usage::default()))),
        }
    }

    /// The task in its tool loop; a verify task then runs the check command, whose exit status decides.
    async fn with_tools(
        &self,
        setup: &AgentSetup,
        input: &TaskInput,
    ) -> Result<WorkOutcome, TaskEnd> {
        let ctx = AgentCtx {
            persist: self.persist.clone(),
            model: setup.model.clone(),
            toolbox: setup.toolbox.clone(),
            run_id: self.run_id.clone(),
            task: self.task.clone(),
            attempt: self.attempt,
            limits: setup.limits,
            scrubber: setup.scrubber.clone(),
            token: self.token.clone(),
            instructions_found: Mutex::new(Vec::new()),
            permissions: setup.permissions.clone(),
        };
        let writable = setup.toolbox.workspace.writable();
        let brief = Brief {
            system: agent::prompt::system(self.task.kind, writable, &setup.instructions),
            message: crate::provider::chat_coordinator::task_message(input),
            instructions: setup
                .instructions
                .iter()
                .map(|i| i.source.clone())
                .collect(),
        };
        let clock = Instant::now();
        let end = agent::work(&ctx, &brief).await;
        let mut found: Vec<InstructionSource> = brief.instructions.clone();
        if let Ok(more) = ctx.instructions_found.lock() {
            found.extend(more.iter().cloned());
        }
        if let Err(e) = record_instructions(&self.persist, &self.run_id, found).await {
            return Err(TaskEnd::Store(e));
        }
        let latency = u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX);
        let with_latency = |mut usage: Usage| {
            usage.latency_ms = latency;
            usage
        };
        match end {
            AgentEnd::Stopped => Err(TaskEnd::Stopped),
            AgentEnd::Store(e) => Err(TaskEnd::Store(e)),
            AgentEnd::Failed { error, usage, .. } => Ok(Err((error, with_latency(usage)))),
            AgentEnd::Done { summary, usage, .. } => {
                if self.task.kind != TaskKind::Verify {
                    return Ok(Ok((summary, with_latency(usage))));
                }
                self.check(&ctx, setup, summary, with_latency(usage)).await
            }
        }
    }

    /// Runs the check command as a recorded call; its exit status is the verify task's outcome. A check
    /// interrupted by a crash is recorded as uncertain and run again under a new call id, visibly.
    async fn check(
        &self,
        ctx: &AgentCtx,
        setup: &AgentSetup,
        summary: String,
        usage: Usage,
    ) -> Result<WorkOutcome, TaskEnd> {
        if !setup.toolbox.workspace.writable() {
            return Ok(Ok((
                format!(
                    "{summary}\n\nThe workspace is read-only (the session has no worktree), so no check \
                     command was run."
                ),
                usage,
            )));
        }
        let Some(check) = &setup.check else {
            return Ok(Ok((
                format!(
                    "{summary}\n\nNo check command is known: set one for the space, add `Check command: \
                     `CMD`` to the spec's Verification Plan, or keep a project file (Cargo.toml, \
                     package.json, pyproject.toml, go.mod)."
                ),
                usage,
            )));
        };
        let history = agent::history::load(&self.persist, &self.run_id, &self.task.id)
            .await
            .map_err(TaskEnd::Store)?;
        let mut state = agent::calls::CallState {
            seq: history.last_seq(),
            made: 0,
            seen_instructions: Default::default(),
            engine_check: true,
        };
        let timeout = setup.limits.check_timeout.as_secs();
        for n in 1..=3u32 {
            let id = if n == 1 {
                format!("check-{}", self.task.id)
            } else {
                format!("check-{}-{n}", self.task.id)
            };
            let call = ToolCall {
                id: id.clone(),
                name: "run_command".into(),
                arguments: ToolArguments::Json {
                    value: serde_json::json!({"command": check.command, "timeout_secs": timeout}),
                },
            };
            let existing = history.calls.get(&id);
            let result = match agent::calls::answer(ctx, &mut state, existing, &call).await {
                Ok(result) => result,
                Err(agent::calls::CallHalt::Stopped) => return Err(TaskEnd::Stopped),
                Err(agent::calls::CallHalt::Store(e)) => return Err(TaskEnd::Store(e)),
            };
            let recorded = agent::history::load(&self.persist, &self.run_id, &self.task.id)
                .await
                .map_err(TaskEnd::Store)?;
            let status = recorded.calls.get(&id).map(|c| c.status);
            match status {
                Some(ToolCallStatus::Uncertain) => continue,
                Some(ToolCallStatus::Done) => {
                    return Ok(Ok((
                        format!(
                            "{summary}\n\nCheck `{}` ({}) passed.",
                            check.command, check.source
                        ),
                        usage,
                    )));
                }
                _ => {
                    let last = result.content.lines().nth(1).unwrap_or("failed").to_owned();
                    return Ok(Err((
                        ErrorInfo::new(
                            ErrorCode::CheckFailed,
                            format!("the check `{}` failed: {last}", check.command),
                            "Look at the check's output in the run; a debug round follows while rounds remain.",
                            false,
                        ),
                        usage,
                    )));
                }
            }
        }
        Ok(Err((
            ErrorInfo::new(
                ErrorCode::CheckFailed,
                format!("the check `{}` could not be run to an end", check.command),
                "Run the check by hand in the session's worktree.",
                false,
            ),
            usage,
        )))
    }
}

/// Adds instruction files the run's specialists were given to its provenance (each once).
async fn record_instructions(
    persist: &SharedPersist,
    run_id: &RunId,
    found: Vec<InstructionSource>,
) -> Result<(), StoreError> {
    if found.is_empty() {
        return Ok(());
    }
    let id = run_id.clone();
    persist
        .commit(move |tx, _| {
            let mut run = tx.existing_run(&id)?;
            let before = run.instructions.len();
            for source in found {
                if !run.instructions.iter().any(|s| s.path == source.path) {
                    run.instructions.push(source);
                }
            }
            if run.instructions.len() != before {
                tx.put_run(&run)?;
            }
            Ok(((), Vec::new()))
        })
        .await
}
