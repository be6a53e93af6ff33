//! Runs: start (after resolving the space and session), resume, cancel, list, show; and a session with
//! everything its thread shows.

use super::history::{self, RunFilter};
use super::sessions::SessionSummary;
use super::{App, AppError};
use std::path::PathBuf;

use crate::model::{
    ContextProviderKind, RunId, RunRecord, RunStatus, RunSummary, RunView, Session, SessionId,
    Space, SpaceId, SpecRecord, Staleness,
};
use crate::protocol::{Command, StartRun};
use crate::store::StoreError;

/// Start a run. The space is an id or a directory (linked on first use); the session an id or a name of
/// that space (default: its most recently used one, created if it has none).
#[derive(Clone, Debug, Default)]
pub struct StartRunRequest {
    pub space: String,
    pub session: Option<String>,
    pub prompt: String,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub context_provider: Option<ContextProviderKind>,
    /// Use this id for the new run (a detached worker is told the id its parent follows).
    pub run_id: Option<String>,
    /// The offline provider follows this script of tool calls (kept with the run for resumes).
    pub script: Option<PathBuf>,
    /// How the run answers its agents' permission requests (`None`: they wait for an answer).
    pub permission_policy: Option<crate::model::PermissionPolicy>,
    /// A run for this spec task alone (`s3`); it must be a task of the session's spec.
    pub spec_task: Option<String>,
}

/// A run checked and resolved, ready to hand to an orchestrator (this process's, or a worker's).
#[derive(Clone, Debug)]
pub struct PreparedRun {
    pub space: Space,
    pub session: Session,
    pub start: StartRun,
}

/// Which runs to list: by space (id or path) and/or session id.
#[derive(Clone, Debug, Default)]
pub struct ListRuns {
    pub space: Option<String>,
    pub session: Option<String>,
}

/// How a cancel request was delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CancelDelivery {
    /// The run executes in this process: it was told to stop.
    Here,
    /// Another process executes it: a request was stored for it to pick up.
    Requested,
}

/// A session with everything the window's thread and panes draw from.
#[derive(Debug)]
pub struct SessionData {
    pub space: Space,
    /// The space's sessions that are not archived, most recently used first, with their run counts.
    pub sessions: Vec<SessionSummary>,
    pub session: Session,
    /// Oldest first, each with the sequence number of the newest event of its log that the view
    /// includes (events the change feed delivers up to it are already in).
    pub runs: Vec<(RunView, Option<u64>)>,
    pub spec: Option<SpecRecord>,
    /// The space's folder is gone (deleted or moved since it was linked).
    pub root_missing: bool,
}

/// The staleness of a session's runs and its spec, re-derived.
#[derive(Debug)]
pub struct SessionStaleness {
    pub session: SessionId,
    pub runs: Vec<(RunId, Staleness)>,
    pub spec: Option<SpecRecord>,
    pub root_missing: bool,
}

fn valid_run_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl App {
    /// Checks a run request and resolves its space (linking a directory on first use), session and id.
    pub fn prepare_run(&self, request: StartRunRequest) -> Result<PreparedRun, AppError> {
        if request.prompt.trim().is_empty() {
            return Err(AppError::EmptyPrompt);
        }
        if request
            .model
            .as_deref()
            .is_some_and(|m| m.trim().is_empty())
        {
            return Err(AppError::EmptyModel);
        }
        self.providers()
            .choose(request.provider.as_deref())
            .map_err(AppError::Provider)?;
        // A script that cannot be read or parsed is refused before anything runs; kept absolute so a
        // resume from another directory finds it.
        let script = match &request.script {
            Some(path) => {
                let absolute = std::path::absolute(path).unwrap_or_else(|_| path.clone());
                crate::provider::offline::OfflineScript::load(&absolute)
                    .map_err(|e| AppError::Provider(e.into()))?;
                Some(absolute)
            }
            None => None,
        };
        let space = self.find_or_link_space(&request.space)?;
        let session = self.session_for(&space, request.session.as_deref())?;
        if let Some(task) = &request.spec_task {
            let spec = self.store().read(|rx| rx.spec(&session.id))?;
            let known = spec.is_some_and(|s| {
                crate::model::spec_task::spec_tasks(&s.content)
                    .iter()
                    .any(|t| t.id.as_deref() == Some(task.as_str()))
            });
            if !known {
                return Err(AppError::UnknownSpecTask {
                    session: session.id.to_string(),
                    task: task.clone(),
                });
            }
        }
        // Specialists with tools work in the session's worktree, made on the first such run; every run
        // checks the binding first.
        let tools = self
            .providers()
            .uses_tools(request.provider.as_deref(), script.as_deref())
            .map_err(AppError::Provider)?;
        if tools {
            self.ensure_worktree(&space, &session)?;
        } else {
            self.check_worktree(&space, &session)?;
        }
        let run_id = match &request.run_id {
            Some(id)
                if self
                    .store()
                    .read(|rx| rx.run(&RunId::new(id.as_str())))?
                    .is_some() =>
            {
                return Err(AppError::RunIdTaken(id.clone()));
            }
            Some(id) if valid_run_id(id) => RunId::new(id.as_str()),
            Some(id) => return Err(AppError::InvalidRunId(id.clone())),
            None => RunId::generate(self.ids(), self.now()),
        };
        Ok(PreparedRun {
            start: StartRun {
                run_id,
                space_id: space.id.clone(),
                session_id: session.id.clone(),
                prompt: request.prompt,
                provider: request.provider,
                model: request.model,
                context_provider: request.context_provider,
                script,
                permission_policy: request.permission_policy,
                spec_task: request.spec_task,
            },
            space,
            session,
        })
    }

    /// Hands a prepared run to this process's orchestrator. Its events follow on [`App::subscribe`].
    pub fn submit_run(&self, prepared: &PreparedRun) -> Result<RunId, AppError> {
        self.send(Command::StartRun(prepared.start.clone()))?;
        Ok(prepared.start.run_id.clone())
    }

    /// Prepares and submits a run.
    pub fn start_run(&self, request: StartRunRequest) -> Result<RunId, AppError> {
        let prepared = self.prepare_run(request)?;
        self.submit_run(&prepared)
    }

    /// The run, or [`AppError::UnknownRun`].
    pub fn run_record(&self, id: &RunId) -> Result<RunRecord, AppError> {
        self.store()
            .read(|rx| rx.run(id))?
            .ok_or_else(|| AppError::UnknownRun(id.to_string()))
    }

    /// The run if it can be resumed: it is interrupted and its session's worktree is still the one it
    /// worked in.
    pub fn resumable(&self, id: &RunId) -> Result<RunRecord, AppError> {
        let run = self.run_record(id)?;
        if run.status != RunStatus::Interrupted {
            return Err(AppError::NotInterrupted {
                run: id.to_string(),
                status: run.status,
            });
        }
        let (space, session) = self.space_and_session(&run.session_id)?;
        self.check_worktree(&space, &session)?;
        Ok(run)
    }

    /// Resumes an interrupted run in this process (completed tasks are not run again).
    pub fn resume_run(&self, id: &RunId) -> Result<RunRecord, AppError> {
        let run = self.resumable(id)?;
        self.send(Command::ResumeRun { run_id: id.clone() })?;
        Ok(run)
    }

    /// Cancels a live run: told directly when this process executes it, through a stored request that its
    /// process picks up otherwise.
    pub fn cancel_run(&self, id: &RunId) -> Result<CancelDelivery, AppError> {
        let run = self.run_record(id)?;
        if !run.status.is_active() {
            return Err(AppError::NotLive {
                run: id.to_string(),
                status: run.status,
            });
        }
        if run.owner.as_ref() == Some(self.owner()) {
            self.send(Command::CancelRun { run_id: id.clone() })?;
            return Ok(CancelDelivery::Here);
        }
        let now = self.now();
        self.store()
            .write(|tx| tx.request_cancel(id, now))
            .map_err(|e| match e {
                StoreError::NotFound { .. } => AppError::UnknownRun(id.to_string()),
                other => AppError::Store(other),
            })?;
        Ok(CancelDelivery::Requested)
    }

    /// Run history, newest first.
    pub fn list_runs(&self, request: &ListRuns) -> Result<Vec<RunSummary>, AppError> {
        let mut filter = RunFilter::default();
        if let Some(space) = &request.space {
            filter.space = Some(self.space(space)?.id);
        }
        if let Some(session) = &request.session {
            filter.session = Some(self.session(session)?.id);
        }
        Ok(history::run_summaries(
            self.store(),
            self.checker(),
            &filter,
        )?)
    }

    /// One run in full, with derived staleness.
    pub fn show_run(&self, id: &RunId) -> Result<RunView, AppError> {
        history::run_view(self.store(), self.checker(), id)?
            .ok_or_else(|| AppError::UnknownRun(id.to_string()))
    }

    /// A space's session (the given one, else the most recently used one, created if there is none) with
    /// its runs in full and its spec.
    pub fn open_session(
        &self,
        space: &SpaceId,
        session: Option<&SessionId>,
    ) -> Result<SessionData, AppError> {
        let space = self
            .store()
            .read(|rx| rx.space(space))?
            .ok_or_else(|| AppError::UnknownSpace(space.to_string()))?;
        let chosen = match session {
            Some(id) => self
                .store()
                .read(|rx| rx.session(id))?
                .filter(|s| s.space_id == space.id),
            None => None,
        };
        let session = match chosen {
            Some(session) => session,
            None => self.session_for(&space, None)?,
        };
        self.session_data(space, session)
    }

    /// A new session in the space, opened.
    pub fn open_new_session(
        &self,
        space: &SpaceId,
        name: Option<&str>,
    ) -> Result<SessionData, AppError> {
        let space = self
            .store()
            .read(|rx| rx.space(space))?
            .ok_or_else(|| AppError::UnknownSpace(space.to_string()))?;
        let session = self.new_session(&space, name)?;
        self.session_data(space, session)
    }

    fn session_data(&self, space: Space, session: Session) -> Result<SessionData, AppError> {
        let runs = history::session_views(self.store(), self.checker(), &session.id)?;
        let sessions = self.session_summaries(&space.id, false)?;
        let spec = self.store().read(|rx| rx.spec(&session.id))?;
        let root_missing = !space.root_path.is_dir();
        Ok(SessionData {
            space,
            sessions,
            session,
            runs,
            spec,
            root_missing,
        })
    }

    /// Re-derives the staleness of a session's runs (source files, spec edits, newer drafts) and reads its
    /// spec; `root` is the space's folder, checked for existence here (off any UI thread).
    pub fn session_staleness(
        &self,
        session: &SessionId,
        root: &std::path::Path,
    ) -> Result<SessionStaleness, AppError> {
        let runs = history::run_summaries(
            self.store(),
            self.checker(),
            &RunFilter {
                space: None,
                session: Some(session.clone()),
            },
        )?
        .into_iter()
        .map(|s| (s.id, s.stale))
        .collect();
        let spec = self.store().read(|rx| rx.spec(session))?;
        Ok(SessionStaleness {
            session: session.clone(),
            runs,
            spec,
            root_missing: !root.is_dir(),
        })
    }
}
