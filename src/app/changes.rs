//! A session's changes: what its worktree holds against the session branch and the base, staging by file or
//! hunk, discarding, committing. Each operation checks the session's worktree binding first.

use super::{App, AppError};
use crate::git::{self, DiffScope, FileDiff, HunkId, UntrackedFiles, WorktreeChanges};
use crate::model::{Session, SessionId, WorktreeBinding};

/// What a commit made.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Committed {
    pub session_id: SessionId,
    pub commit: String,
    pub branch: String,
    pub message: String,
}

impl App {
    /// The session and its worktree binding, checked against the repository.
    fn checked_binding(&self, session: &SessionId) -> Result<(Session, WorktreeBinding), AppError> {
        let (space, found) = self.space_and_session(session)?;
        let binding = self.binding(&found)?;
        git::check_binding(&space.root_path, &binding)?;
        Ok((found, binding))
    }

    /// The worktree's staged and unstaged files (untracked ones one by one).
    pub fn changes(&self, session: &SessionId) -> Result<WorktreeChanges, AppError> {
        let (_, binding) = self.checked_binding(session)?;
        Ok(git::worktree_changes(&binding, UntrackedFiles::All)?)
    }

    /// A unified diff, whole or for one path: unstaged, staged, or the whole session against its base.
    pub fn diff(
        &self,
        session: &SessionId,
        scope: DiffScope,
        path: Option<&str>,
    ) -> Result<Vec<u8>, AppError> {
        let (_, binding) = self.checked_binding(session)?;
        Ok(git::diff_text(&binding, scope, path)?)
    }

    /// One file's diff as hunks with line numbers (the window's diff view).
    pub fn file_diff(
        &self,
        session: &SessionId,
        scope: DiffScope,
        path: &str,
    ) -> Result<FileDiff, AppError> {
        let (_, binding) = self.checked_binding(session)?;
        Ok(git::file_diff(&binding, scope, path)?)
    }

    /// Stages a file, or one hunk of it.
    pub fn stage(
        &self,
        session: &SessionId,
        path: &str,
        hunk: Option<&HunkId>,
    ) -> Result<(), AppError> {
        let (_, binding) = self.checked_binding(session)?;
        match hunk {
            Some(hunk) => git::stage_hunk(&binding, path, hunk)?,
            None => git::stage_file(&binding, path)?,
        }
        Ok(())
    }

    /// Unstages a file, or one hunk of it.
    pub fn unstage(
        &self,
        session: &SessionId,
        path: &str,
        hunk: Option<&HunkId>,
    ) -> Result<(), AppError> {
        let (_, binding) = self.checked_binding(session)?;
        match hunk {
            Some(hunk) => git::unstage_hunk(&binding, path, hunk)?,
            None => git::unstage_file(&binding, path)?,
        }
        Ok(())
    }

    /// Throws away a file's unstaged change (an untracked file is deleted).
    pub fn discard(&self, session: &SessionId, path: &str) -> Result<(), AppError> {
        let (_, binding) = self.checked_binding(session)?;
        Ok(git::discard_file(&binding, path)?)
    }

    /// Commits what is staged to the session branch and records the branch's new head.
    pub fn commit_changes(
        &self,
        session: &SessionId,
        message: &str,
    ) -> Result<Committed, AppError> {
        let (found, binding) = self.checked_binding(session)?;
        let outcome = git::commit(&binding, message)?;
        let branch = outcome.binding.branch.clone();
        self.store_binding(&found.id, Some(outcome.binding))?;
        Ok(Committed {
            session_id: found.id,
            commit: outcome.commit,
            branch,
            message: message.trim_end().to_owned(),
        })
    }
}
