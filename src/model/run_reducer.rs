//! The one reducer: how a run's events change a viewed run. The window folds live events (its own and, via
//! the change feed, other processes') into its run views with it; the CLI folds the run it follows; the
//! engine's tests replay stored event logs through it and compare with the stored records. Records and
//! viewed runs change through the same record methods (`record_status`), so they cannot drift apart.

use super::event::Event;
use super::permission::PermissionView;
use super::task::TaskRecord;
use super::tool_call::ToolCallRecord;
use super::view::RunView;

/// What folding one event changed, so a client knows what else to refresh.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reduced {
    /// The event was about this run and changed its view.
    pub changed: bool,
    /// The run reached a terminal or interrupted state.
    pub ended: bool,
    /// A draft arrived (staleness of the session's drafts changes).
    pub drafted: bool,
}

/// Applies `event` to `view` if it is about that run. Streamed text (`model_delta`) and wave boundaries
/// change no view: clients that show them keep them beside the view.
pub fn apply(view: &mut RunView, event: &Event) -> Reduced {
    if event.run_id() != Some(&view.run.id) {
        return Reduced::default();
    }
    let mut reduced = Reduced {
        changed: true,
        ..Reduced::default()
    };
    let run = &mut view.run;
    match event {
        Event::RunCreated { run: created } => {
            if run.timeline.is_empty() {
                *run = (**created).clone();
            }
        }
        Event::RunStatusChanged(e) => {
            run.record_status(e.status, e.at, e.note.clone(), e.attempt);
            if let Some(error) = &e.error {
                run.error = Some(error.clone());
            }
            reduced.ended = !e.status.is_active();
            // Requests nobody answered die with their attempt; a resumed run asks again (the same rule
            // the store's reader derives).
            for p in view.permissions.iter_mut().filter(|p| p.answer.is_none()) {
                if reduced.ended || p.request.attempt < e.attempt {
                    p.expired = true;
                }
            }
        }
        Event::ContextResolved { context, .. } => {
            run.context = context.resolved.clone();
            // A stored event refers to the snapshot's items; keep those already known.
            if !context.items.is_empty() || view.items.is_empty() {
                view.items.clone_from(&context.items);
            }
        }
        Event::PlanReady { plan, .. } => run.plan = Some(plan.clone()),
        Event::ProviderUpdated { execution, .. } => {
            run.provider_execution = Some(execution.clone());
        }
        Event::DraftReady { draft, .. } => {
            run.draft = Some(draft.clone());
            reduced.drafted = true;
        }
        Event::TasksPlanned { tasks, .. } => {
            for task in tasks {
                upsert_task(&mut view.tasks, task.clone());
            }
        }
        Event::TaskStatusChanged(e) => {
            if let Some(task) = view.tasks.iter_mut().find(|t| t.id == e.task_id) {
                task.record_status(e.status, e.at, e.attempt, e.note.clone());
                if e.summary.is_some() {
                    task.summary.clone_from(&e.summary);
                }
                if e.error.is_some() {
                    task.error.clone_from(&e.error);
                }
            }
        }
        Event::ToolCallStarted { call, .. } | Event::ToolCallFinished { call, .. } => {
            upsert_call(&mut view.tool_calls, (**call).clone());
        }
        Event::PermissionRequested { request, .. } => {
            match view
                .permissions
                .iter_mut()
                .find(|p| p.request.request_id == request.request_id)
            {
                Some(existing) => existing.request = (**request).clone(),
                None => view.permissions.push(PermissionView {
                    request: (**request).clone(),
                    answer: None,
                    expired: false,
                }),
            }
        }
        Event::PermissionDecided { answer, .. } => {
            if let Some(p) = view
                .permissions
                .iter_mut()
                .find(|p| p.request.request_id == answer.request_id)
            {
                p.answer = Some((**answer).clone());
                p.expired = false;
            }
        }
        Event::ModelDelta { .. }
        | Event::AssistantTurned { .. }
        | Event::WaveStarted { .. }
        | Event::WaveFinished { .. }
        | Event::RunNotRecorded { .. }
        | Event::CommandRejected { .. } => reduced.changed = false,
    }
    reduced
}

/// Inserts a tool call or replaces the record with its key, keeping task and call order.
fn upsert_call(calls: &mut Vec<ToolCallRecord>, call: ToolCallRecord) {
    match calls
        .iter_mut()
        .find(|c| c.task_id == call.task_id && c.seq == call.seq)
    {
        Some(existing) => *existing = call,
        None => {
            calls.push(call);
            calls.sort_by_key(ToolCallRecord::key);
        }
    }
}

/// Inserts a task or replaces the one with its id, keeping plan order.
fn upsert_task(tasks: &mut Vec<TaskRecord>, task: TaskRecord) {
    match tasks.iter_mut().find(|t| t.id == task.id) {
        Some(existing) => *existing = task,
        None => {
            tasks.push(task);
            super::task::sort_tasks(tasks);
        }
    }
}
