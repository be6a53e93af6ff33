//! Executing one run: context → plan and spec draft → delegated tasks in waves → terminal state.
//!
//! Every step persists before it publishes (see `persist.rs`). A resumed run skips what its earlier attempts
//! finished: the context snapshot and the draft are reused, completed tasks are never executed again, and
//! interrupted tasks start over. The stop signal ends the run at any await point: as `cancelled` when a
//! user cancelled it, as `interrupted` (resumable) when the engine shuts down.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::deltas::DeltaBatcher;
use super::persist::{self, SharedPersist};
use crate::context::{ContextEngine, ContextRequest, DEFAULT_LIMIT};
use crate::model::spec::planned_tasks;
use crate::model::{
    ContextErrorCode, ContextSnapshot, Draft, ErrorInfo, IdGenerator, PlannedTask,
    ProviderExecution, ProviderStatus, RunId, RunRecord, RunStatus, SnapshotId, Space, TaskRecord,
    TaskStatus,
};
use crate::protocol::Event;
use crate::provider::{
    Coordinator, CoordinatorInput, ProviderError, ProviderRegistry, TaskInput, Usage,
};
use crate::store::StoreError;

/// Why a live run is being stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// A user asked to cancel it (here or from another process).
    Cancel,
    /// The engine is shutting down (the app is closing): the run stays resumable.
    Shutdown,
}

/// Stops one live run; shared between the command loop and the run's executor.
#[derive(Clone, Debug, Default)]
pub struct StopSignal {
    token: CancellationToken,
    reason: Arc<Mutex<Option<StopReason>>>,
}

impl StopSignal {
    pub fn stop(&self, reason: StopReason) {
        if let Ok(mut r) = self.reason.lock()
            && r.is_none()
        {
            *r = Some(reason);
        }
        self.token.cancel();
    }

    pub fn token(&self) -> &CancellationToken {
        &self.token
    }

    fn reason(&self) -> StopReason {
        self.reason
            .lock()
            .ok()
            .and_then(|r| *r)
            .unwrap_or(StopReason::Cancel)
    }
}

/// What an executor needs from the engine.
pub struct RunDeps {
    pub persist: SharedPersist,
    pub providers: ProviderRegistry,
    pub context: ContextEngine,
    pub ids: Arc<IdGenerator>,
}

/// Why a run stopped before completing.
enum Halt {
    Stopped,
    Failed(ErrorInfo),
    Store(StoreError),
}

impl From<StoreError> for Halt {
    fn from(e: StoreError) -> Self {
        Halt::Store(e)
    }
}

const NOTE_CANCELLED: &str = "cancelled by the user";
const NOTE_SHUTDOWN: &str = "the app exited while the run was live";

/// Executes `run_id` to a terminal (or interrupted) state. Never panics; a store failure while recording
/// the end leaves the run live in the store, and the next start's reconciliation interrupts it.
pub async fn execute(deps: Arc<RunDeps>, run_id: RunId, stop: StopSignal) {
    let outcome = steps(&deps, &run_id, &stop).await;
    let (to, note, error) = match outcome {
        Ok(()) => return,
        Err(Halt::Stopped) => match stop.reason() {
            StopReason::Shutdown => (RunStatus::Interrupted, NOTE_SHUTDOWN, None),
            StopReason::Cancel => (RunStatus::Cancelled, NOTE_CANCELLED, None),
        },
        Err(Halt::Failed(info)) => (RunStatus::Failed, "", Some(info)),
        Err(Halt::Store(e)) => (RunStatus::Failed, "", Some(ErrorInfo::from(&e))),
    };
    let id = run_id.clone();
    let note = (!note.is_empty()).then(|| note.to_owned());
    let ended = deps
        .persist
        .commit(move |tx, now| {
            tx.clear_cancel(&id)?;
            let (_, events) = persist::transition_run(tx, &id, to, now, note, error)?;
            Ok(((), events))
        })
        .await;
    if let Err(e) = ended {
        tracing::error!(run = %run_id, error = %e, "could not record the end of a run; it will be interrupted at the next start");
    }
}

async fn steps(deps: &RunDeps, run_id: &RunId, stop: &StopSignal) -> Result<(), Halt> {
    let id = run_id.clone();
    let (run, space) = deps
        .persist
        .read(move |rx| {
            let run = rx.run(&id)?.ok_or_else(|| StoreError::NotFound {
                kind: "run",
                id: id.to_string(),
            })?;
            let space = rx
                .space(&run.space_id)?
                .ok_or_else(|| StoreError::NotFound {
                    kind: "space",
                    id: run.space_id.to_string(),
                })?;
            Ok((run, space))
        })
        .await?;

    let id = run_id.clone();
    let note = (run.attempt > 1).then(|| format!("attempt {}", run.attempt));
    let run: RunRecord = deps
        .persist
        .commit(move |tx, now| {
            persist::transition_run(tx, &id, RunStatus::Running, now, note, None)
        })
        .await?;

    let snapshot = context_step(deps, &run, &space, stop).await?;
    let coordinator = match deps.providers.coordinator(
        run.options.provider.as_deref(),
        run.options.model.as_deref(),
    ) {
        Ok(coordinator) => coordinator,
        Err(error) => return Err(provider_unusable(deps, &run, error).await),
    };

    let mut execution = run
        .provider_execution
        .clone()
        .unwrap_or_else(|| ProviderExecution {
            provider: coordinator.provider_name().to_owned(),
            model: coordinator.model_name().to_owned(),
            status: ProviderStatus::Running,
            input_tokens: None,
            output_tokens: None,
            latency_ms: None,
            retries: 0,
            error_code: None,
        });
    execution.status = ProviderStatus::Running;

    let ctx = RunCtx {
        deps,
        run: &run,
        space: &space,
        snapshot: &snapshot,
        coordinator,
        stop,
    };
    let (draft, tasks) = draft_step(&ctx, &mut execution).await?;
    waves_step(&ctx, &draft, tasks, &mut execution).await?;

    let id = run_id.clone();
    deps.persist
        .commit(move |tx, now| {
            let (_, mut events) = persist::record_provider(
                tx,
                &id,
                ProviderExecution {
                    status: ProviderStatus::Completed,
                    ..execution
                },
            )?;
            let (_, more) =
                persist::transition_run(tx, &id, RunStatus::Completed, now, None, None)?;
            events.extend(more);
            Ok(((), events))
        })
        .await?;
    Ok(())
}

/// Retrieves context (or reuses the snapshot of an earlier attempt) and records it.
async fn context_step(
    deps: &RunDeps,
    run: &RunRecord,
    space: &Space,
    stop: &StopSignal,
) -> Result<ContextSnapshot, Halt> {
    if let Some(snapshot_id) = run.context.snapshot_id.clone() {
        let found = deps.persist.read(move |rx| rx.snapshot(&snapshot_id)).await;
        match found {
            Ok(Some(snapshot)) => return Ok(snapshot),
            Ok(None) | Err(StoreError::Damaged { .. }) => {
                tracing::warn!(run = %run.id, "the run's context snapshot is gone; retrieving again");
            }
            Err(e) => return Err(Halt::Store(e)),
        }
    }
    let request = ContextRequest {
        root: space.root_path.clone(),
        query: run.prompt.clone(),
        limit: DEFAULT_LIMIT,
        requested: run.context.requested_provider,
        mcp_command: space.mcp_command.clone(),
    };
    let result = tokio::select! {
        () = stop.token().cancelled() => return Err(Halt::Stopped),
        result = deps.context.retrieve(request) => result,
    };
    let snapshot = ContextSnapshot {
        id: SnapshotId::generate(&deps.ids, deps.persist.now()),
        run_id: run.id.clone(),
        query: run.prompt.clone(),
        requested_provider: run.context.requested_provider,
        provider: result.provider,
        fallback_from: result.fallback_from,
        error: result.error.clone(),
        items: result.items,
        created_at: deps.persist.now(),
    };
    let record = snapshot.clone();
    deps.persist
        .commit(move |tx, _| persist::record_context(tx, &record))
        .await?;
    if let Some(error) = &result.error
        && error.code == ContextErrorCode::InvalidRootPath
    {
        return Err(Halt::Failed(ErrorInfo::from(error)));
    }
    Ok(snapshot)
}

fn usage_into(execution: &mut ProviderExecution, usage: Usage) {
    fn add(a: Option<u64>, b: Option<u64>) -> Option<u64> {
        match (a, b) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
        }
    }
    execution.input_tokens = add(execution.input_tokens, usage.input_tokens);
    execution.output_tokens = add(execution.output_tokens, usage.output_tokens);
    execution.latency_ms = Some(execution.latency_ms.unwrap_or(0) + usage.latency_ms);
    execution.retries += usage.retries;
}

/// Records a provider failure on the run's telemetry (with what the failed calls cost) and turns it into
/// the run's halt.
async fn provider_failed(
    deps: &RunDeps,
    run_id: &RunId,
    coordinator: &dyn Coordinator,
    execution: &ProviderExecution,
    error: ProviderError,
) -> Halt {
    if error == ProviderError::Cancelled {
        return Halt::Stopped;
    }
    let mut failed = ProviderExecution {
        status: ProviderStatus::Failed,
        error_code: Some(ErrorInfo::from(&error).code),
        ..execution.clone()
    };
    usage_into(&mut failed, coordinator.take_failed_usage());
    record_failure(deps, run_id, failed, error).await
}

/// Records the failed provider execution, then fails the run with `error`.
async fn record_failure(
    deps: &RunDeps,
    run_id: &RunId,
    failed: ProviderExecution,
    error: ProviderError,
) -> Halt {
    let id = run_id.clone();
    if let Err(e) = deps
        .persist
        .commit(move |tx, _| persist::record_provider(tx, &id, failed))
        .await
    {
        return Halt::Store(e);
    }
    Halt::Failed(ErrorInfo::from(&error))
}

/// The run's provider cannot be built (not configured, unknown name): the run fails with that error, and its
/// `provider_execution` still says which provider and model were asked for, so the failure is attributable.
async fn provider_unusable(deps: &RunDeps, run: &RunRecord, error: ProviderError) -> Halt {
    let requested = run.options.provider.as_deref();
    let (provider, model) = match deps.providers.choose(requested) {
        Ok(choice) => (
            choice.as_str().to_owned(),
            deps.providers.model(choice, run.options.model.as_deref()),
        ),
        Err(_) => (
            requested.unwrap_or("unknown").to_owned(),
            run.options.model.clone().unwrap_or_default(),
        ),
    };
    let failed = ProviderExecution {
        provider,
        model,
        status: ProviderStatus::Failed,
        input_tokens: None,
        output_tokens: None,
        latency_ms: None,
        retries: 0,
        error_code: Some(ErrorInfo::from(&error).code),
    };
    record_failure(deps, &run.id, failed, error).await
}

/// What the steps after context retrieval share: the run, its space, its snapshot, the coordinator and the
/// stop signal.
struct RunCtx<'a> {
    deps: &'a RunDeps,
    run: &'a RunRecord,
    space: &'a Space,
    snapshot: &'a ContextSnapshot,
    coordinator: Arc<dyn Coordinator>,
    stop: &'a StopSignal,
}

/// Drafts the spec (or reuses the draft and tasks of an earlier attempt).
async fn draft_step(
    ctx: &RunCtx<'_>,
    execution: &mut ProviderExecution,
) -> Result<(String, Vec<TaskRecord>), Halt> {
    let RunCtx {
        deps,
        run,
        space,
        snapshot,
        stop,
        ..
    } = *ctx;
    let coordinator = ctx.coordinator.as_ref();
    if let Some(draft) = &run.draft {
        let id = run.id.clone();
        let tasks = deps.persist.read(move |rx| rx.tasks(&id)).await?;
        if !tasks.is_empty() {
            return Ok((draft.content.clone(), tasks));
        }
    }
    let id = run.id.clone();
    let started = execution.clone();
    deps.persist
        .commit(move |tx, _| persist::record_provider(tx, &id, started))
        .await?;

    let input = CoordinatorInput {
        prompt: run.prompt.clone(),
        space_name: space.name.clone(),
        items: snapshot.items.clone(),
        context_provider: snapshot.provider.as_str().to_owned(),
    };
    let deltas = DeltaBatcher::start(deps.persist.clone(), run.id.clone(), None);
    let clock = Instant::now();
    let answer = coordinator.draft(&input, deltas.sink(), stop.token()).await;
    deltas.finish().await?;
    let output = match answer {
        Ok(output) => output,
        Err(e) => return Err(provider_failed(deps, &run.id, coordinator, execution, e).await),
    };
    let mut usage = output.usage;
    if usage.latency_ms == 0 {
        usage.latency_ms = u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX);
    }
    usage_into(execution, usage);
    let planned = match planned_tasks(&output.draft) {
        Ok(planned) => planned,
        Err(e) => {
            let error = ProviderError::Protocol {
                message: format!("the spec draft has no usable task list: {e}"),
            };
            return Err(provider_failed(deps, &run.id, coordinator, execution, error).await);
        }
    };
    let id = run.id.clone();
    let draft_text = output.draft.clone();
    let exec = execution.clone();
    let plan = output.plan;
    let tasks = deps
        .persist
        .commit(move |tx, now| {
            let draft = Draft {
                content: draft_text,
                generated_at: now,
                applied_at: None,
                apply_error: None,
            };
            persist::record_draft(tx, &id, plan, draft, planned, exec, now)
        })
        .await?;
    Ok((output.draft, tasks))
}

fn planned(task: &TaskRecord) -> PlannedTask {
    PlannedTask {
        id: task.id.clone(),
        kind: task.kind,
        title: task.title.clone(),
        wave: task.wave,
        depends_on: task.depends_on.clone(),
    }
}

enum TaskEnd {
    Done(TaskRecord, Usage),
    Failed(TaskRecord, ErrorInfo),
    Stopped,
    Store(StoreError),
}

/// Executes the delegated tasks wave by wave; the tasks of one wave run concurrently and the next wave
/// waits for all of them.
async fn waves_step(
    ctx: &RunCtx<'_>,
    draft: &str,
    tasks: Vec<TaskRecord>,
    execution: &mut ProviderExecution,
) -> Result<(), Halt> {
    let mut summaries: BTreeMap<String, String> = tasks
        .iter()
        .filter(|t| t.status == TaskStatus::Completed)
        .filter_map(|t| t.summary.clone().map(|s| (t.id.to_string(), s)))
        .collect();
    let mut waves: BTreeMap<u32, Vec<TaskRecord>> = BTreeMap::new();
    for task in tasks {
        waves.entry(task.wave).or_default().push(task);
    }
    let all_ids: Vec<(u32, crate::model::TaskId)> = waves
        .iter()
        .flat_map(|(w, ts)| ts.iter().map(move |t| (*w, t.id.clone())))
        .collect();
    for (wave, members) in &waves {
        let pending: Vec<&TaskRecord> = members
            .iter()
            .filter(|t| t.status != TaskStatus::Completed)
            .collect();
        if pending.is_empty() {
            continue;
        }
        let ends = run_wave(ctx, *wave, &pending, draft, &summaries).await?;
        let mut outcome = WaveOutcome {
            completed: members.len() - ends.len(),
            ..WaveOutcome::default()
        };
        for end in ends {
            outcome.take(end, execution, &mut summaries);
        }
        let later: Vec<_> = all_ids
            .iter()
            .filter(|(w, _)| w > wave)
            .map(|(_, t)| t.clone())
            .collect();
        settle_wave(ctx, *wave, members.len(), outcome, execution, later).await?;
    }
    Ok(())
}

/// Starts a wave's pending tasks concurrently and waits for all of them.
async fn run_wave(
    ctx: &RunCtx<'_>,
    wave: u32,
    pending: &[&TaskRecord],
    draft: &str,
    summaries: &BTreeMap<String, String>,
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
                        summaries.get(d.as_str()).cloned().unwrap_or_default(),
                    )
                })
                .collect(),
        };
        set.spawn(run_task(
            ctx.deps.persist.clone(),
            ctx.coordinator.clone(),
            run.id.clone(),
            input,
            TaskAttempt {
                attempt: run.attempt,
                restarted: task.times_started() > 0,
            },
            ctx.stop.token().clone(),
        ));
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
    stopped: bool,
    store_error: Option<StoreError>,
}

impl WaveOutcome {
    fn take(
        &mut self,
        end: TaskEnd,
        execution: &mut ProviderExecution,
        summaries: &mut BTreeMap<String, String>,
    ) {
        match end {
            TaskEnd::Done(task, usage) => {
                usage_into(execution, usage);
                if let Some(s) = task.summary.clone() {
                    summaries.insert(task.id.to_string(), s);
                }
                self.completed += 1;
            }
            TaskEnd::Failed(task, info) => {
                if self.failure.as_ref().is_none_or(|(t, _)| task.id < t.id) {
                    self.failure = Some((task, info));
                }
            }
            TaskEnd::Stopped => self.stopped = true,
            TaskEnd::Store(e) => self.store_error = Some(e),
        }
    }
}

/// Records what the wave cost, then ends it: the run stops (store failure, stop signal), fails (a task
/// failed: later waves are skipped), or the wave is recorded as finished.
async fn settle_wave(
    ctx: &RunCtx<'_>,
    wave: u32,
    total: usize,
    outcome: WaveOutcome,
    execution: &mut ProviderExecution,
    later: Vec<crate::model::TaskId>,
) -> Result<(), Halt> {
    let deps = ctx.deps;
    let run = ctx.run;
    usage_into(execution, ctx.coordinator.take_failed_usage());
    if let Some((_, info)) = &outcome.failure {
        execution.status = ProviderStatus::Failed;
        execution.error_code = Some(info.code);
    }
    let id = run.id.clone();
    let exec = execution.clone();
    deps.persist
        .commit(move |tx, _| persist::record_provider(tx, &id, exec))
        .await?;
    if let Some(e) = outcome.store_error {
        return Err(Halt::Store(e));
    }
    if outcome.stopped {
        return Err(Halt::Stopped);
    }
    if let Some((task, info)) = outcome.failure {
        let id = run.id.clone();
        let attempt = run.attempt;
        let reason = format!("{} failed", task.id);
        deps.persist
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
    deps.persist
        .record(vec![Event::WaveFinished {
            run_id: run.id.clone(),
            wave,
            completed: outcome.completed,
            total,
        }])
        .await?;
    Ok(())
}

/// Which attempt a task runs in, and whether an earlier attempt had started it.
#[derive(Clone, Copy)]
struct TaskAttempt {
    attempt: u32,
    restarted: bool,
}

async fn run_task(
    persist: SharedPersist,
    coordinator: Arc<dyn Coordinator>,
    run_id: RunId,
    input: TaskInput,
    TaskAttempt { attempt, restarted }: TaskAttempt,
    token: CancellationToken,
) -> TaskEnd {
    let task_id = input.task.id.clone();
    let (r, t) = (run_id.clone(), task_id.clone());
    let note = restarted.then(|| "started over: the previous attempt was interrupted".to_owned());
    if let Err(e) = persist
        .commit(move |tx, now| persist::start_task(tx, &r, &t, attempt, note, now))
        .await
    {
        return TaskEnd::Store(e);
    }
    let deltas = DeltaBatcher::start(persist.clone(), run_id.clone(), Some(task_id.clone()));
    let clock = Instant::now();
    let answer = coordinator
        .execute_task(&input, deltas.sink(), &token)
        .await;
    if let Err(e) = deltas.finish().await {
        return TaskEnd::Store(e);
    }
    let outcome = match answer {
        Ok(mut output) => {
            if output.usage.latency_ms == 0 {
                output.usage.latency_ms =
                    u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX);
            }
            Ok(output)
        }
        Err(ProviderError::Cancelled) => return TaskEnd::Stopped,
        Err(e) => Err(ErrorInfo::from(&e)),
    };
    let (r, t) = (run_id, task_id);
    let recorded = match outcome {
        Ok(output) => {
            let usage = output.usage;
            persist
                .commit(move |tx, now| {
                    persist::finish_task(tx, &r, &t, attempt, Ok(output.summary), now)
                })
                .await
                .map(|task| TaskEnd::Done(task, usage))
        }
        Err(info) => {
            let error = info.clone();
            persist
                .commit(move |tx, now| persist::finish_task(tx, &r, &t, attempt, Err(error), now))
                .await
                .map(|task| TaskEnd::Failed(task, info))
        }
    };
    recorded.unwrap_or_else(TaskEnd::Store)
}
