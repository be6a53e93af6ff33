//! Startup reconciliation: before anything reads state, every queued or running run (and task) whose owning
//! engine is gone becomes `interrupted`, with `interrupted_at`, in one durable transaction. Nothing loaded
//! from disk is ever shown as live unless a living engine owns it.

use std::path::Path;

use super::ownership::owner_alive;
use super::{Store, StoreError};
use crate::model::{OwnerId, RunId, RunStatus, TaskStatus, Timestamp};
use crate::protocol::{Event, RunStatusChanged, TaskStatusChanged};

/// The note recorded on runs and tasks interrupted at startup.
pub const INTERRUPTED_NOTE: &str = "the engine running it stopped (the app or command exited)";

/// What reconciliation changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reconciled {
    pub runs: Vec<RunId>,
    pub tasks: usize,
    /// Live runs left alone because another running engine owns them.
    pub owned_elsewhere: Vec<RunId>,
}

/// Interrupts every live run whose owner is not `me` and no longer holds its lease.
pub fn reconcile(
    store: &Store,
    data_dir: &Path,
    me: &OwnerId,
    now: Timestamp,
) -> Result<Reconciled, StoreError> {
    let active = store.read(|rx| rx.active_runs())?;
    let mut orphaned = Vec::new();
    let mut owned_elsewhere = Vec::new();
    for (run_id, owner) in active {
        if &owner == me {
            continue;
        }
        if owner_alive(data_dir, &owner) {
            owned_elsewhere.push(run_id);
        } else {
            orphaned.push(run_id);
        }
    }
    if orphaned.is_empty() {
        return Ok(Reconciled {
            owned_elsewhere,
            ..Reconciled::default()
        });
    }
    let (runs, tasks) = store.write(|tx| {
        let mut runs = Vec::new();
        let mut task_count = 0;
        for run_id in &orphaned {
            let mut run = match tx.run(run_id) {
                Ok(Some(run)) => run,
                // Gone or damaged (and reported for quarantine): it is no longer live either way.
                Ok(None) | Err(StoreError::Damaged { .. }) => {
                    tx.raw()
                        .open_table(super::tables::ACTIVE_RUNS)?
                        .remove(run_id.as_str())?;
                    continue;
                }
                Err(e) => return Err(e),
            };
            if !run.status.is_active() {
                tx.put_run(&run)?;
                continue;
            }
            for mut task in tx.tasks(run_id)? {
                if task.status.is_active() {
                    task.transition(
                        TaskStatus::Interrupted,
                        now,
                        run.attempt,
                        Some(INTERRUPTED_NOTE.into()),
                    )?;
                    tx.put_task(&task)?;
                    tx.append_event(
                        run_id,
                        now,
                        &Event::TaskStatusChanged(TaskStatusChanged {
                            run_id: run_id.clone(),
                            task_id: task.id.clone(),
                            status: TaskStatus::Interrupted,
                            at: now,
                            attempt: run.attempt,
                            note: Some(INTERRUPTED_NOTE.into()),
                            summary: None,
                            error: None,
                        }),
                    )?;
                    task_count += 1;
                }
            }
            run.transition(RunStatus::Interrupted, now, Some(INTERRUPTED_NOTE.into()))?;
            tx.put_run(&run)?;
            tx.append_event(
                run_id,
                now,
                &Event::RunStatusChanged(RunStatusChanged {
                    run_id: run_id.clone(),
                    status: RunStatus::Interrupted,
                    at: now,
                    attempt: run.attempt,
                    note: Some(INTERRUPTED_NOTE.into()),
                    error: None,
                }),
            )?;
            runs.push(run_id.clone());
        }
        Ok((runs, task_count))
    })?;
    if !runs.is_empty() {
        tracing::info!(
            runs = runs.len(),
            tasks,
            "interrupted runs left behind by a stopped engine"
        );
    }
    Ok(Reconciled {
        runs,
        tasks,
        owned_elsewhere,
    })
}
