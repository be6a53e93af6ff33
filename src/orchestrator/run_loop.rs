//! Executing one run: context → plan and spec draft → delegated tasks in waves → terminal state.
//!
//! Every step persists before it publishes (see `persist.rs`). A resumed run skips what its earlier attempts
//! finished: the context snapshot and the draft are reused, completed tasks are never executed again, and
//! interrupted tasks start over. The stop signal ends the run at any await point: as `cancelled` when a
//! user cancelled it, as `interrupted` (resumable) when the engine shuts down.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio_util::sync::CancellationToken;

use super::agent;
use super::deltas::DeltaBatcher;
use super::persist::{self, SharedPersist};
use super::session_turns;
use super::waves::{AgentSetup, waves_step};
use crate::context::{ContextEngine, ContextRequest, DEFAULT_LIMIT};
use crate::model::spec::{planned_tasks, tasks_to_run};
use crate::model::spec_task::{spec_tasks, with_task_ids};
use crate::model::{
    ApprovalMode, ContextErrorCode, ContextSnapshot, Draft, ErrorInfo, IdGenerator, PlannedTask,
    ProviderExecution, ProviderStatus, RunId, RunRecord, RunStatus, SnapshotId, Space, TaskRecord,
};
use crate::provider::{Coordinator, CoordinatorInput, ProviderError, ProviderRegistry, Usage};
use crate::store::StoreError;
use crate::tools::{Toolbox, Workspace};

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
pub(super) enum Halt {
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
        // Nothing durable can be said: tell the clients following the run, so none waits forever.
        deps.persist
            .publish_only(crate::protocol::Event::RunNotRecorded {
                run_id,
                error: ErrorInfo::from(&e),
            });
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
            tool_calls: 0,
        });
    execution.status = ProviderStatus::Running;

    let agent = match agent_setup(deps, &run, &space).await {
        Ok(agent) => agent,
        Err(AgentSetupError::Provider(error)) => {
            return Err(provider_unusable(deps, &run, error).await);
        }
        Err(AgentSetupError::Store(e)) => return Err(Halt::Store(e)),
        Err(AgentSetupError::Binding(info)) => return Err(Halt::Failed(info)),
    };
    let ctx = RunCtx {
        deps,
        run: &run,
        space: &space,
        snapshot: &snapshot,
        coordinator,
        stop,
        agent,
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

enum AgentSetupError {
    Provider(ProviderError),
    Store(StoreError),
    /// The session's worktree is not the one it recorded.
    Binding(ErrorInfo),
}

/// The specialists' tools for this run: a tool-calling model (every model provider; offline with a
/// script), the session's workspace — its worktree, writable; without one, the space's folder, read-only —
/// the check command, and the project's instructions.
async fn agent_setup(
    deps: &RunDeps,
    run: &RunRecord,
    space: &Space,
) -> Result<Option<AgentSetup>, AgentSetupError> {
    let model = deps
        .providers
        .tool_model(
            run.options.provider.as_deref(),
            run.options.model.as_deref(),
            run.options.script.as_deref(),
        )
        .map_err(AgentSetupError::Provider)?;
    let Some(model) = model else {
        return Ok(None);
    };
    let session_id = run.session_id.clone();
    let session = deps
        .persist
        .read(move |rx| rx.session(&session_id))
        .await
        .map_err(AgentSetupError::Store)?;
    let mode = session
        .as_ref()
        .map_or(space.approval_mode.unwrap_or_default(), |s| {
            s.approval_mode(space)
        });
    let permissions = agent::permission::PermissionSettings {
        session_id: run.session_id.clone(),
        mode,
        policy: run.options.permission_policy.unwrap_or_default(),
    };
    let (root, writable) = match session.and_then(|s| s.worktree) {
        Some(binding) => {
            // Checked again here: a run may come from any process, and the folder may have changed since.
            if let Err(e) = crate::git::check_binding(&space.root_path, &binding) {
                return Err(AgentSetupError::Binding(ErrorInfo::from(&e)));
            }
            // Read-only mode: the worktree, but no writes and no commands.
            (binding.path, mode != ApprovalMode::ReadOnly)
        }
        None => (space.root_path.clone(), false),
    };
    let workspace = match Workspace::new(&root, writable) {
        Ok(workspace) => workspace,
        Err(e) => {
            return Err(AgentSetupError::Provider(ProviderError::NotConfigured {
                message: format!("the workspace {} cannot be opened: {e}", root.display()),
                remediation: "Check that the session's folder exists.".into(),
            }));
        }
    };
    let toolbox = Toolbox::new(workspace, deps.context.clone());
    let spec = run.draft.as_ref().map_or("", |d| d.content.as_str());
    let check = agent::check::check_command(space.check_command.as_deref(), spec, &root);
    let instructions = agent::root_instructions(&toolbox);
    Ok(Some(AgentSetup {
        model,
        toolbox,
        limits: deps.providers.settings().agent,
        scrubber: deps.providers.scrubber(),
        check,
        instructions,
        permissions,
    }))
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
    // A session with a worktree is grounded in its worktree: that is where its specialists work.
    let session_id = run.session_id.clone();
    let worktree = deps
        .persist
        .read(move |rx| rx.session(&session_id))
        .await?
        .and_then(|s| s.worktree)
        .map(|b| b.path)
        .filter(|p| p.is_dir());
    let root = worktree.clone().unwrap_or_else(|| space.root_path.clone());
    let request = ContextRequest {
        root,
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
        root: worktree,
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

pub(super) fn usage_into(execution: &mut ProviderExecution, usage: Usage) {
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
        tool_calls: 0,
    };
    record_failure(deps, &run.id, failed, error).await
}

/// What the steps after context retrieval share: the run, its space, its snapshot, the coordinator and the
/// stop signal.
pub(super) struct RunCtx<'a> {
    pub deps: &'a RunDeps,
    pub run: &'a RunRecord,
    pub space: &'a Space,
    pub snapshot: &'a ContextSnapshot,
    pub coordinator: Arc<dyn Coordinator>,
    pub stop: &'a StopSignal,
    /// Specialists with tools (a tool-calling provider); `None`: tasks are reports.
    pub agent: Option<AgentSetup>,
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

    let session = session_view(deps, run).await?;
    let input = CoordinatorInput {
        prompt: run.prompt.clone(),
        space_name: space.name.clone(),
        items: snapshot.items.clone(),
        context_provider: snapshot.provider.as_str().to_owned(),
        turns: session.turns,
        turns_left_out: session.turns_left_out,
        spec: session.spec,
        focus_task: run.options.spec_task.clone(),
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
    // Task lines get their stable ids here, numbered after every id the session used.
    let draft_text = with_task_ids(&output.draft, session.used_ids.iter().map(String::as_str));
    let planned = match input.focus_task.as_deref() {
        Some(task) => focus(&draft_text, task),
        None => tasks_to_run(&draft_text)
            .map_err(|e| format!("the spec draft has no usable task list: {e}")),
    };
    let planned = match planned {
        Ok(planned) => planned,
        Err(message) => {
            let error = ProviderError::Protocol { message };
            return Err(provider_failed(deps, &run.id, coordinator, execution, error).await);
        }
    };
    let id = run.id.clone();
    let draft_for_tasks = draft_text.clone();
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
    Ok((draft_for_tasks, tasks))
}

/// A run for one spec task plans that task alone, in wave 1, whatever its mark.
fn focus(draft: &str, task: &str) -> Result<Vec<PlannedTask>, String> {
    let line = spec_tasks(draft)
        .into_iter()
        .find(|t| t.id.as_deref() == Some(task))
        .ok_or_else(|| format!("the spec draft has no task {task}"))?;
    let alone = format!("## Tasks\n- [ ] {} <!-- {task} -->\n", line.text);
    let mut one = planned_tasks(&alone).map_err(|e| format!("task {task}: {e}"))?;
    for t in &mut one {
        t.depends_on.clear();
        t.wave = 1;
    }
    Ok(one)
}

/// What the coordinator sees of the run's session.
struct SessionView {
    turns: Vec<crate::provider::EarlierTurn>,
    turns_left_out: usize,
    spec: String,
    used_ids: Vec<String>,
}

/// The session's earlier runs (created before this one), their tasks, and its spec.
async fn session_view(deps: &RunDeps, run: &RunRecord) -> Result<SessionView, Halt> {
    let (session, this, created) = (run.session_id.clone(), run.id.clone(), run.created_at);
    let (mut earlier, spec) = deps
        .persist
        .read(move |rx| {
            let mut earlier = Vec::new();
            for other in rx.session_runs(&session)? {
                if other.id != this && other.created_at <= created {
                    let tasks = rx.tasks(&other.id)?;
                    earlier.push((other, tasks));
                }
            }
            Ok((earlier, rx.spec(&session)?))
        })
        .await?;
    earlier.sort_by(|(a, _), (b, _)| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    let (turns, turns_left_out) = session_turns::earlier_turns(&earlier);
    let spec = session_turns::base_spec(spec.as_ref(), &earlier);
    let used_ids = session_turns::used_ids(&spec, &earlier);
    Ok(SessionView {
        turns,
        turns_left_out,
        spec,
        used_ids,
    })
}
