//! The orchestrator's command loop: receives [`Command`]s, owns the live runs of this engine, watches for
//! cancel requests from other processes, and stops everything on shutdown.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::persist::{self, SharedPersist};
use super::run_loop::{RunDeps, StopReason, StopSignal, execute};
use crate::context::requested_provider;
use crate::model::{
    ErrorCode, ErrorInfo, NewRun, OwnerId, RunId, RunOptions, RunRecord, RunStatus, TaskStatus,
};
use crate::protocol::{Command, Event, StartRun};
use crate::store::StoreError;

/// How often live runs are checked for cancel requests written by other processes.
pub const CANCEL_POLL: Duration = Duration::from_millis(250);
/// How long shutdown waits for live runs to record that they were interrupted.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

pub struct CommandLoop {
    pub deps: Arc<RunDeps>,
    pub owner: OwnerId,
    live: HashMap<RunId, StopSignal>,
    runs: JoinSet<RunId>,
}

fn rejected(message: String, remediation: &str) -> ErrorInfo {
    ErrorInfo::new(ErrorCode::InvalidRequest, message, remediation, false)
}

/// A command that failed on the store.
fn store_rejection(e: &StoreError) -> ErrorInfo {
    ErrorInfo::from(e)
}

impl CommandLoop {
    pub fn new(deps: Arc<RunDeps>, owner: OwnerId) -> Self {
        Self {
            deps,
            owner,
            live: HashMap::new(),
            runs: JoinSet::new(),
        }
    }

    fn persist(&self) -> &SharedPersist {
        &self.deps.persist
    }

    pub async fn run(mut self, mut commands: mpsc::Receiver<Command>) {
        let mut poll = tokio::time::interval(CANCEL_POLL);
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                command = commands.recv() => match command {
                    Some(Command::Shutdown) | None => break,
                    Some(command) => self.handle(command).await,
                },
                Some(done) = self.runs.join_next(), if !self.runs.is_empty() => {
                    if let Ok(run_id) = done {
                        self.live.remove(&run_id);
                    }
                },
                _ = poll.tick(), if !self.live.is_empty() => self.poll_cancel_requests().await,
            }
        }
        self.shutdown().await;
    }

    async fn handle(&mut self, command: Command) {
        match command {
            Command::StartRun(start) => self.start_run(start).await,
            Command::ResumeRun { run_id } => self.resume_run(run_id).await,
            Command::CancelRun { run_id } => self.cancel_run(run_id).await,
            Command::Shutdown => {}
        }
    }

    fn reject(&self, run_id: Option<RunId>, error: ErrorInfo) {
        tracing::info!(run = ?run_id, code = %error.code, message = %error.message, "command rejected");
        self.persist()
            .publish_only(Event::CommandRejected { run_id, error });
    }

    fn spawn(&mut self, run_id: RunId) {
        let stop = StopSignal::default();
        self.live.insert(run_id.clone(), stop.clone());
        let deps = self.deps.clone();
        self.runs.spawn(async move {
            execute(deps, run_id.clone(), stop).await;
            run_id
        });
    }

    async fn start_run(&mut self, start: StartRun) {
        let run_id = start.run_id.clone();
        if start.prompt.trim().is_empty() {
            return self.reject(
                Some(run_id),
                rejected(
                    "the prompt is empty".into(),
                    "Describe the change you want.",
                ),
            );
        }
        if let Err(e) = self.deps.providers.choose(start.provider.as_deref()) {
            return self.reject(Some(run_id), ErrorInfo::from(&e));
        }
        let (space_id, session_id) = (start.space_id.clone(), start.session_id.clone());
        let found = self
            .persist()
            .read(move |rx| Ok((rx.space(&space_id)?, rx.session(&session_id)?)))
            .await;
        let (space, session) = match found {
            Ok((Some(space), Some(session))) if session.space_id == space.id => (space, session),
            Ok((None, _)) => {
                return self.reject(
                    Some(run_id),
                    rejected(
                        format!("space {:?} does not exist", start.space_id.as_str()),
                        "Choose a linked space.",
                    ),
                );
            }
            Ok(_) => {
                return self.reject(
                    Some(run_id),
                    rejected(
                        format!(
                            "session {:?} does not belong to space {:?}",
                            start.session_id.as_str(),
                            start.space_id.as_str()
                        ),
                        "Use a session of that space.",
                    ),
                );
            }
            Err(e) => return self.reject(Some(run_id), store_rejection(&e)),
        };
        let new = NewRun {
            id: run_id.clone(),
            space_id: space.id.clone(),
            session_id: session.id.clone(),
            prompt: start.prompt.clone(),
            requested_context: requested_provider(start.context_provider, Some(&session), &space),
            options: RunOptions {
                provider: start.provider.clone(),
                model: start.model.clone(),
                context_provider: start.context_provider,
                script: start.script.clone(),
                permission_policy: start.permission_policy,
                spec_task: start.spec_task.clone(),
            },
            owner: self.owner.clone(),
        };
        let created = self
            .persist()
            .commit(move |tx, now| {
                if tx.run(&new.id)?.is_some() {
                    return Err(StoreError::AlreadyExists {
                        kind: "run",
                        id: new.id.to_string(),
                    });
                }
                let run = RunRecord::queued(new, now);
                tx.put_run(&run)?;
                if let Some(mut session) = tx.session(&run.session_id)? {
                    session.last_used_at = now;
                    session.updated_at = now;
                    tx.put_session(&session)?;
                }
                Ok(((), vec![Event::RunCreated { run: Box::new(run) }]))
            })
            .await;
        match created {
            Ok(()) => self.spawn(run_id),
            Err(e) => self.reject(Some(run_id), store_rejection(&e)),
        }
    }

    async fn resume_run(&mut self, run_id: RunId) {
        if self.live.contains_key(&run_id) {
            return self.reject(
                Some(run_id.clone()),
                rejected(
                    format!("run {run_id} is already running"),
                    "Wait for it to finish, or cancel it.",
                ),
            );
        }
        let owner = self.owner.clone();
        let id = run_id.clone();
        let resumed = self
            .persist()
            .commit(move |tx, now| {
                let mut run = tx.existing_run(&id)?;
                if run.status != RunStatus::Interrupted {
                    return Ok((Err(run.status), Vec::new()));
                }
                let next = run.attempt + 1;
                run.transition(
                    RunStatus::Queued,
                    now,
                    Some(format!("resumed as attempt {next}")),
                )?;
                run.owner = Some(owner);
                let mut events = Vec::new();
                for mut task in tx.tasks(&id)? {
                    if task.status == TaskStatus::Interrupted {
                        task.transition(
                            TaskStatus::Queued,
                            now,
                            run.attempt,
                            Some("queued again by resume".into()),
                        )?;
                        tx.put_task(&task)?;
                        events.push(persist::task_status_event(&task, run.attempt));
                    }
                }
                tx.put_run(&run)?;
                events.insert(0, persist::run_status_event(&run, None));
                Ok((Ok(()), events))
            })
            .await;
        match resumed {
            Ok(Ok(())) => self.spawn(run_id),
            Ok(Err(status)) => self.reject(
                Some(run_id.clone()),
                rejected(
                    format!("run {run_id} is {status}; only interrupted runs can be resumed"),
                    "Start a new run instead, or pick an interrupted run.",
                ),
            ),
            Err(e) => self.reject(Some(run_id), store_rejection(&e)),
        }
    }

    async fn cancel_run(&mut self, run_id: RunId) {
        if let Some(stop) = self.live.get(&run_id) {
            stop.stop(StopReason::Cancel);
            return;
        }
        // Owned by another engine: leave a request it will pick up.
        let id = run_id.clone();
        let requested = self
            .persist()
            .commit(move |tx, now| {
                let run = tx.existing_run(&id)?;
                if !run.status.is_active() {
                    return Ok((Err(run.status), Vec::new()));
                }
                tx.request_cancel(&id, now)?;
                Ok((Ok(()), Vec::new()))
            })
            .await;
        match requested {
            Ok(Ok(())) => {}
            Ok(Err(status)) => self.reject(
                Some(run_id.clone()),
                rejected(
                    format!(
                        "run {run_id} is {status}; only queued or running runs can be cancelled"
                    ),
                    "Nothing to do.",
                ),
            ),
            Err(e) => self.reject(Some(run_id), store_rejection(&e)),
        }
    }

    async fn poll_cancel_requests(&mut self) {
        let ids: Vec<RunId> = self.live.keys().cloned().collect();
        let requested = self
            .persist()
            .read(move |rx| {
                let mut out = Vec::new();
                for id in ids {
                    if rx.cancel_requested(&id)? {
                        out.push(id);
                    }
                }
                Ok(out)
            })
            .await;
        if let Ok(ids) = requested {
            for id in ids {
                if let Some(stop) = self.live.get(&id) {
                    tracing::info!(run = %id, "cancel requested by another process");
                    stop.stop(StopReason::Cancel);
                }
            }
        }
    }

    /// Interrupts every live run (they stay resumable) and waits for them to record it.
    async fn shutdown(&mut self) {
        for stop in self.live.values() {
            stop.stop(StopReason::Shutdown);
        }
        let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
            while self.runs.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::warn!(
                "live runs did not stop in time; they will be interrupted at the next start"
            );
            self.runs.abort_all();
        }
        self.live.clear();
    }
}
