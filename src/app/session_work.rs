//! What a session's runs did, as the commit message and pull request drafts take it: the spec (the session's,
//! else the newest run's draft), the tasks the runs recorded, the verification results, and the provenance
//! (run ids and the context items the runs read).

use super::runs::ListRuns;
use super::{App, AppError};
use crate::forge::pr_draft::{ContextRef, Provenance, VerificationResult};
use crate::forge::{ChangedFile, FileStatus, RecordedTask};
use crate::git::{ChangeStatus, FileChange};
use crate::model::{RunView, Session};

/// A session's work, gathered from the store.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SessionWork {
    /// The session spec (markdown); the newest run's draft when no spec was applied or written.
    pub spec: String,
    /// Every run's tasks, newest run first (a spec task takes the status of its newest run).
    pub tasks: Vec<RecordedTask>,
    /// The verify tasks of the newest run that had any.
    pub verification: Vec<VerificationResult>,
    pub provenance: Provenance,
}

impl App {
    /// The session's spec, tasks, verification and provenance.
    pub fn session_work(&self, session: &Session) -> Result<SessionWork, AppError> {
        let summaries = self.list_runs(&ListRuns {
            space: None,
            session: Some(session.id.to_string()),
        })?;
        // Newest first, as listed.
        let views: Vec<RunView> = summaries
            .iter()
            .map(|s| self.show_run(&s.id))
            .collect::<Result<_, _>>()?;
        let applied = self
            .store()
            .read(|rx| rx.spec(&session.id))?
            .map(|s| s.content)
            .filter(|c| !c.trim().is_empty());
        let spec = applied
            .or_else(|| {
                views
                    .iter()
                    .find_map(|v| v.run.draft.as_ref().map(|d| d.content.clone()))
            })
            .unwrap_or_default();
        let tasks: Vec<RecordedTask> = views
            .iter()
            .flat_map(|v| v.tasks.iter().map(RecordedTask::from))
            .collect();
        let verification = views
            .iter()
            .map(|v| {
                let recorded: Vec<RecordedTask> = v.tasks.iter().map(RecordedTask::from).collect();
                VerificationResult::from_tasks(&recorded)
            })
            .find(|results| !results.is_empty())
            .unwrap_or_default();
        let provenance = Provenance {
            runs: views.iter().rev().map(|v| v.run.id.clone()).collect(),
            context: views
                .iter()
                .rev()
                .flat_map(|v| v.items.iter().map(ContextRef::from))
                .collect(),
        };
        Ok(SessionWork {
            spec,
            tasks,
            verification,
            provenance,
        })
    }
}

/// A status-list entry as the drafts describe it.
pub fn changed_file(change: &FileChange) -> ChangedFile {
    let status = match change.status {
        ChangeStatus::Added => FileStatus::Added,
        ChangeStatus::Modified | ChangeStatus::Conflicted => FileStatus::Modified,
        ChangeStatus::Deleted => FileStatus::Deleted,
        ChangeStatus::Renamed => FileStatus::Renamed,
        ChangeStatus::Copied => FileStatus::Copied,
        ChangeStatus::TypeChange => FileStatus::TypeChanged,
        ChangeStatus::Untracked => FileStatus::Untracked,
    };
    let mut file = ChangedFile::new(
        change.path.clone(),
        status,
        change.additions,
        change.deletions,
    );
    file.old_path = change.old_path.clone();
    file
}
