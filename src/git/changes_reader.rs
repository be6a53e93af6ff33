//! A session worktree kept open for repeated reads. The Changes view refreshes on every file event; keeping
//! the repository open lets libgit2 reuse its parsed index (re-read only when the file changes) and its
//! object cache, which makes a warm status several times cheaper than opening the worktree each time.

use super::binding::WorktreeBinding;
use super::changes::{UntrackedFiles, WorktreeChanges, changes_in};
use super::diff_view::{DiffScope, FileDiff, diff_text_in, file_diff_in, open_worktree};
use super::error::GitError;

/// Reads one session worktree's changes and diffs (the same answers as [`super::worktree_changes`],
/// [`super::diff_text`] and [`super::file_diff`]). Not `Sync`: keep it on one thread (the I/O thread).
pub struct ChangesReader {
    repo: git2::Repository,
}

impl ChangesReader {
    /// Opens the worktree at `binding.path`.
    pub fn open(binding: &WorktreeBinding) -> Result<ChangesReader, GitError> {
        Ok(ChangesReader {
            repo: open_worktree(binding)?,
        })
    }

    /// The staged and unstaged lists (see [`super::worktree_changes`]).
    pub fn changes(
        &self,
        binding: &WorktreeBinding,
        untracked: UntrackedFiles,
    ) -> Result<WorktreeChanges, GitError> {
        changes_in(&self.repo, binding, untracked)
    }

    /// The `git diff` text of a scope (see [`super::diff_text`]).
    pub fn diff_text(
        &self,
        binding: &WorktreeBinding,
        scope: DiffScope,
        path: Option<&str>,
    ) -> Result<Vec<u8>, GitError> {
        diff_text_in(&self.repo, binding, scope, path)
    }

    /// One file's hunks (see [`super::file_diff`]).
    pub fn file_diff(
        &self,
        binding: &WorktreeBinding,
        scope: DiffScope,
        path: &str,
    ) -> Result<FileDiff, GitError> {
        file_diff_in(&self.repo, binding, scope, path)
    }
}
