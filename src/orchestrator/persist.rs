//! Persist, then publish: every state change is one durable transaction that also appends its events to
//! the run's log; the events reach clients only after the commit returned.

use std::sync::Arc;

use tokio::sync::broadcast;

use crate::model::{
    ContextSnapshot, ContextView, Draft, EffectReceipt, ErrorInfo, PlannedTask, ProviderExecution,
    ReceiptOutcome, RunId, RunRecord, RunStatus, SharedClock, TaskId, TaskRecord, TaskStatus,
    Timestamp, ToolCallRecord, ToolCallStatus,
};
use crate::protocol::{Event, RunStatusChanged, TaskStatusChanged};
use crate::store::{Rx, Store, StoreError, Tx};

/// The store and the event bus, used together so nothing is published before it is committed.
#[derive(Clone)]
pub struct Persist {
    pub store: Store,
    pub clock: SharedClock,
    events: broadcast::Sender<Event>,
}

impl Persist {
    pub fn new(store: Store, clock: SharedClock, events: broadcast::Sender<Event>) -> Self {
        Self {
            store,
            clock,
            events,
        }
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Runs `f` in one durable transaction on a blocking thread, appends the events it returns to their
    /// runs' logs in the same transaction, then publishes them.
    pub async fn commit<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Tx, Timestamp) -> Result<(R, Vec<Event>), StoreError> + Send + 'static,
    ) -> Result<R, StoreError> {
        let store = self.store.clone();
        let now = self.now();
        let joined = tokio::task::spawn_blocking(move || {
            store.write(|tx| {
                let (value, events) = f(tx, now)?;
                for event in &events {
                    if let Some(run_id) = event.run_id() {
                        tx.append_event(&run_id.clone(), now, event)?;
                    }
                }
                Ok((value, events))
            })
        })
        .await;
        let (value, events) = match joined {
            Ok(result) => result?,
            Err(e) => {
                tracing::error!(error = %e, "the store worker stopped");
                return Err(StoreError::WorkerStopped("store worker"));
            }
        };
        for event in events {
            // No receiver is fine: the CLI may not be listening, the log has it.
            let _ = self.events.send(event);
        }
        Ok(value)
    }

    /// Commits and publishes events that change no record (wave boundaries, streamed text): they still go to
    /// the run's log first.
    pub async fn record(&self, events: Vec<Event>) -> Result<(), StoreError> {
        self.commit(move |_, _| Ok(((), events))).await
    }

    /// Runs a read transaction on a blocking thread.
    pub async fn read<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Rx) -> Result<R, StoreError> + Send + 'static,
    ) -> Result<R, StoreError> {
        let store = self.store.clone();
        match tokio::task::spawn_blocking(move || store.read(f)).await {
            Ok(result) => result,
            Err(e) => {
                tracing::error!(error = %e, "the store worker stopped");
                Err(StoreError::WorkerStopped("store worker"))
            }
        }
    }

    /// Publishes an event that changes no state (a rejected command).
    pub fn publish_only(&self, event: Event) {
        let _ = self.events.send(event);
    }
}

pub fn run_status_event(run: &RunRecord, error: Option<ErrorInfo>) -> Event {
    let last = run.timeline.last();
    Event::RunStatusChanged(RunStatusChanged {
        run_id: run.id.clone(),
        status: run.status,
        at: last.map_or(run.updated_at, |e| e.at),
        attempt: run.attempt,
        note: last.and_then(|e| e.note.clone()),
        error,
    })
}

pub fn task_status_event(task: &TaskRecord, attempt: u32) -> Event {
    Event::TaskStatusChanged(TaskStatusChanged {
        run_id: task.run_id.clone(),
        task_id: task.id.clone(),
        status: task.status,
        at: task.updated_at,
        attempt,
        note: task.timeline.last().and_then(|e| e.note.clone()),
        summary: if task.status == TaskStatus::Completed {
            task.summary.clone()
        } else {
            None
        },
        error: task.error.clone(),
    })
}

/// Moves a run to `to`. When the run ends (or is interrupted), its unfinished tasks end with it: running
/// ones take `to` (failed runs fail them as cancelled), queued ones are skipped or cancelled.
pub fn transition_run(
    tx: &mut Tx,
    run_id: &RunId,
    to: RunStatus,
    at: Timestamp,
    note: Option<String>,
    error: Option<ErrorInfo>,
) -> Result<(RunRecord, Vec<Event>), StoreError> {
    let mut run = tx.existing_run(run_id)?;
    run.transition(to, at, note)?;
    let mut events = Vec::new();
    if !to.is_active() {
        for mut task in tx.tasks(run_id)? {
            if !task.status.is_active() {
                continue;
            }
            let task_to = match (to, task.status) {
                (RunStatus::Interrupted, _) => TaskStatus::Interrupted,
                (RunStatus::Failed, TaskStatus::Queued) => TaskStatus::Skipped,
                _ => TaskStatus::Cancelled,
            };
            task.transition(task_to, at, run.attempt, None)?;
            tx.put_task(&task)?;
            events.push(task_status_event(&task, run.attempt));
        }
    }
    if error.is_some() {
        run.error.clone_from(&error);
    }
    if !to.is_active() && to != RunStatus::Completed {
        super::spec_ticks::release_for_run(tx, &run, at)?;
    }
    tx.put_run(&run)?;
    events.push(run_status_event(&run, error));
    Ok((run, events))
}

/// Records the context snapshot and how context was resolved.
pub fn record_context(
    tx: &mut Tx,
    snapshot: &ContextSnapshot,
) -> Result<((), Vec<Event>), StoreError> {
    let mut run = tx.existing_run(&snapshot.run_id)?;
    tx.put_snapshot(snapshot)?;
    run.context.resolved_provider = Some(snapshot.provider);
    run.context.fallback_from = snapshot.fallback_from;
    run.context.snapshot_id = Some(snapshot.id.clone());
    run.context.error.clone_from(&snapshot.error);
    run.updated_at = snapshot.created_at;
    tx.put_run(&run)?;
    let context = ContextView {
        resolved: run.context.clone(),
        items: snapshot.items.clone(),
    };
    Ok((
        (),
        vec![Event::ContextResolved {
            run_id: run.id.clone(),
            context,
            item_count: snapshot.items.len(),
        }],
    ))
}

/// Records provider telemetry.
pub fn record_provider(
    tx: &mut Tx,
    run_id: &RunId,
    execution: ProviderExecution,
) -> Result<((), Vec<Event>), StoreError> {
    let mut run = tx.existing_run(run_id)?;
    run.provider_execution = Some(execution.clone());
    tx.put_run(&run)?;
    Ok((
        (),
        vec![Event::ProviderUpdated {
            run_id: run_id.clone(),
            execution,
        }],
    ))
}

/// Records the plan, the draft and the delegated tasks (all queued) in one transaction.
pub fn record_draft(
    tx: &mut Tx,
    run_id: &RunId,
    plan: String,
    draft: Draft,
    planned: Vec<PlannedTask>,
    execution: ProviderExecution,
    at: Timestamp,
) -> Result<(Vec<TaskRecord>, Vec<Event>), StoreError> {
    let mut run = tx.existing_run(run_id)?;
    run.plan = Some(plan.clone());
    run.draft = Some(draft.clone());
    run.provider_execution = Some(execution.clone());
    run.updated_at = at;
    tx.put_run(&run)?;
    let tasks: Vec<TaskRecord> = planned
        .into_iter()
        .map(|p| TaskRecord::queued(run_id.clone(), p, run.attempt, at))
        .collect();
    for task in &tasks {
        tx.put_task(task)?;
    }
    let events = vec![
        Event::PlanReady {
            run_id: run_id.clone(),
            plan,
        },
        Event::ProviderUpdated {
            run_id: run_id.clone(),
            execution,
        },
        Event::DraftReady {
            run_id: run_id.clone(),
            draft,
        },
        Event::TasksPlanned {
            run_id: run_id.clone(),
            tasks: tasks.clone(),
        },
    ];
    Ok((tasks, events))
}

/// Starts a task: `running`, with an effect receipt whose intent is recorded before the work begins.
pub fn start_task(
    tx: &mut Tx,
    run_id: &RunId,
    task_id: &TaskId,
    attempt: u32,
    note: Option<String>,
    at: Timestamp,
) -> Result<(TaskRecord, Vec<Event>), StoreError> {
    let mut task = tx.existing_task(run_id, task_id)?;
    task.transition(TaskStatus::Running, at, attempt, note)?;
    task.receipts.push(EffectReceipt {
        effect: format!("{}_output", task.kind),
        attempt,
        started_at: at,
        finished_at: None,
        outcome: ReceiptOutcome::Started,
        digest: None,
        call_id: None,
        detail: None,
    });
    tx.put_task(&task)?;
    super::spec_ticks::tick_for(tx, &task, at)?;
    let event = task_status_event(&task, attempt);
    Ok((task, vec![event]))
}

/// Ends a running task as completed (with its summary) or failed (with its error), closing its receipt.
pub fn finish_task(
    tx: &mut Tx,
    run_id: &RunId,
    task_id: &TaskId,
    attempt: u32,
    outcome: Result<String, ErrorInfo>,
    at: Timestamp,
) -> Result<(TaskRecord, Vec<Event>), StoreError> {
    let mut task = tx.existing_task(run_id, task_id)?;
    let (status, receipt_outcome, digest) = match &outcome {
        Ok(summary) => (
            TaskStatus::Completed,
            ReceiptOutcome::Succeeded,
            Some(blake3::hash(summary.as_bytes()).to_hex().to_string()),
        ),
        Err(_) => (TaskStatus::Failed, ReceiptOutcome::Failed, None),
    };
    task.transition(status, at, attempt, None)?;
    match outcome {
        Ok(summary) => task.summary = Some(summary),
        Err(error) => task.error = Some(error),
    }
    if let Some(receipt) = task
        .receipts
        .iter_mut()
        .rev()
        .find(|r| r.attempt == attempt && r.outcome == ReceiptOutcome::Started)
    {
        receipt.outcome = receipt_outcome;
        receipt.finished_at = Some(at);
        receipt.digest = digest;
    }
    tx.put_task(&task)?;
    super::spec_ticks::tick_for(tx, &task, at)?;
    let event = task_status_event(&task, attempt);
    Ok((task, vec![event]))
}

/// Records one assistant turn of a specialist (for replay on resume).
pub fn record_turn(event: Event) -> Result<((), Vec<Event>), StoreError> {
    Ok(((), vec![event]))
}

/// Records a tool call's start. For an effect this is its intent, and the task gets a `started` receipt in
/// the same transaction; both are committed before the effect happens.
pub fn start_call(
    tx: &mut Tx,
    call: &ToolCallRecord,
    at: Timestamp,
) -> Result<((), Vec<Event>), StoreError> {
    tx.put_tool_call(call)?;
    if let Some(detail) = &call.effect {
        let mut task = tx.existing_task(&call.run_id, &call.task_id)?;
        task.receipts.push(EffectReceipt {
            effect: call.tool.clone(),
            attempt: call.attempt,
            started_at: at,
            finished_at: None,
            outcome: ReceiptOutcome::Started,
            digest: None,
            call_id: Some(call.call_id.clone()),
            detail: Some(detail.clone()),
        });
        tx.put_task(&task)?;
    }
    Ok((
        (),
        vec![Event::ToolCallStarted {
            run_id: call.run_id.clone(),
            call: Box::new(call.clone()),
        }],
    ))
}

/// Records how a tool call ended; an effect's receipt is closed with its outcome in the same transaction.
pub fn finish_call(
    tx: &mut Tx,
    call: &ToolCallRecord,
    at: Timestamp,
) -> Result<((), Vec<Event>), StoreError> {
    tx.put_tool_call(call)?;
    if let Some(detail) = &call.effect {
        let mut task = tx.existing_task(&call.run_id, &call.task_id)?;
        let outcome = match call.status {
            ToolCallStatus::Done => ReceiptOutcome::Succeeded,
            ToolCallStatus::Failed | ToolCallStatus::Denied => ReceiptOutcome::Failed,
            ToolCallStatus::Running | ToolCallStatus::Uncertain => ReceiptOutcome::Started,
        };
        let digest = match detail {
            crate::model::EffectDetail::Command { output_digest, .. } => output_digest.clone(),
            crate::model::EffectDetail::File { after, .. } => after.clone(),
        };
        match task
            .receipts
            .iter_mut()
            .rev()
            .find(|r| r.call_id.as_deref() == Some(call.call_id.as_str()))
        {
            Some(receipt) => {
                receipt.outcome = outcome;
                receipt.finished_at = Some(at);
                receipt.digest = digest;
                receipt.detail = Some(detail.clone());
            }
            None => task.receipts.push(EffectReceipt {
                effect: call.tool.clone(),
                attempt: call.attempt,
                started_at: call.started_at,
                finished_at: Some(at),
                outcome,
                digest,
                call_id: Some(call.call_id.clone()),
                detail: Some(detail.clone()),
            }),
        }
        tx.put_task(&task)?;
    }
    Ok((
        (),
        vec![Event::ToolCallFinished {
            run_id: call.run_id.clone(),
            call: Box::new(call.clone()),
        }],
    ))
}

/// Adds tasks to a run that is executing (a debug round and the verification after it), all queued.
pub fn add_tasks(
    tx: &mut Tx,
    run_id: &RunId,
    planned: Vec<PlannedTask>,
    attempt: u32,
    at: Timestamp,
) -> Result<(Vec<TaskRecord>, Vec<Event>), StoreError> {
    let tasks: Vec<TaskRecord> = planned
        .into_iter()
        .map(|p| TaskRecord::queued(run_id.clone(), p, attempt, at))
        .collect();
    for task in &tasks {
        tx.put_task(task)?;
    }
    let event = Event::TasksPlanned {
        run_id: run_id.clone(),
        tasks: tasks.clone(),
    };
    Ok((tasks, vec![event]))
}

/// Skips queued tasks that can no longer run (a dependency failed).
pub fn skip_tasks(
    tx: &mut Tx,
    run_id: &RunId,
    task_ids: &[TaskId],
    attempt: u32,
    reason: &str,
    at: Timestamp,
) -> Result<((), Vec<Event>), StoreError> {
    let mut events = Vec::new();
    for id in task_ids {
        let mut task = tx.existing_task(run_id, id)?;
        if task.status == TaskStatus::Queued {
            task.transition(TaskStatus::Skipped, at, attempt, Some(reason.to_owned()))?;
            tx.put_task(&task)?;
            events.push(task_status_event(&task, attempt));
        }
    }
    Ok(((), events))
}

/// The shared handle type run executors use.
pub type SharedPersist = Arc<Persist>;
