//! The commit message drafted for a session's change: from the spec's goal, the tasks done and the files
//! about to be committed (the staged ones; when nothing is staged yet, the uncommitted ones). The window
//! shows it for editing; `changes commit` without a message commits with it.

use serde::Serialize;

use super::changes::Committed;
use super::session_work::changed_file;
use super::{App, AppError};
use crate::forge::{ChangedFile, CommitInput, draft_commit_message};
use crate::git::{self, UntrackedFiles};
use crate::model::SessionId;

/// A drafted commit message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CommitDraft {
    pub session_id: SessionId,
    pub subject: String,
    /// Empty when the subject says it all.
    pub body: String,
    /// Subject, blank line, body: what is committed.
    pub message: String,
    /// Which files it describes: `staged`, or `uncommitted` when nothing is staged.
    pub describes: &'static str,
    pub files: Vec<ChangedFile>,
}

impl App {
    /// Drafts the commit message for what the session's worktree would commit.
    pub fn draft_commit(&self, session: &SessionId) -> Result<CommitDraft, AppError> {
        let (found, binding) = self.checked_binding(session)?;
        let changes = git::worktree_changes(&binding, UntrackedFiles::All)?;
        let (describes, list) = if changes.staged.is_empty() {
            ("uncommitted", &changes.unstaged)
        } else {
            ("staged", &changes.staged)
        };
        let files: Vec<ChangedFile> = list.iter().map(changed_file).collect();
        let work = self.session_work(&found)?;
        let drafted = draft_commit_message(&CommitInput {
            spec: &work.spec,
            tasks: &work.tasks,
            changes: &files,
        });
        Ok(CommitDraft {
            session_id: found.id,
            message: drafted.to_string(),
            subject: drafted.subject,
            body: drafted.body,
            describes,
            files,
        })
    }

    /// Commits what is staged with the drafted message (`message` overrides it).
    pub fn commit_with_draft(
        &self,
        session: &SessionId,
        message: Option<&str>,
    ) -> Result<Committed, AppError> {
        match message {
            Some(message) => self.commit_changes(session, message),
            None => {
                let draft = self.draft_commit(session)?;
                self.commit_changes(session, &draft.message)
            }
        }
    }
}
