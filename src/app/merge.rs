//! Bringing a session's work back into the user's branch (`changes merge`), and the user's branch into the
//! session (`changes update`). The git layer computes each result in memory and refuses on conflicts with
//! nothing changed (`docs/GIT.md`); here the session's binding is kept in step with what moved.

use serde::Serialize;

use super::session_work::SessionWork;
use super::{App, AppError};
use crate::forge::{CommitInput, changed_files_from_diff, draft_commit_message};
use crate::git::{
    self, DiffScope, MergeMethod, MergeOutcome, MergeRequest, UpdateMethod, UpdateOutcome,
    WorktreeBinding,
};
use crate::model::{Session, SessionId};

/// What merging a session back did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Merged {
    pub session_id: SessionId,
    #[serde(flatten)]
    pub outcome: MergeOutcome,
    /// The message of the new commit (none for a fast-forward).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// What bringing the base into a session did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Updated {
    pub session_id: SessionId,
    pub method: UpdateMethod,
    pub previous_head: String,
    pub new_head: String,
    pub replayed: usize,
    pub files: Vec<String>,
}

impl App {
    /// Merges the session branch into its base branch (squashed: one commit whose message is drafted from
    /// the spec and the session's whole change unless `message` is given). Refuses on conflicts (files
    /// listed), on uncommitted work in the session's worktree, and on uncommitted changes in the user's
    /// checkout that the merge would touch; nothing is changed then. Afterwards the session's base commit is
    /// the merged base, so its diff against the base shows what is left to merge.
    pub fn merge_session(
        &self,
        session: &SessionId,
        method: MergeMethod,
        message: Option<&str>,
    ) -> Result<Merged, AppError> {
        let (space, found) = self.space_and_session(session)?;
        let binding = self.binding(&found)?;
        // Checked first, so a broken binding is reported as such rather than as a failed diff.
        git::check_binding(&space.root_path, &binding)?;
        let drafted = match (message, method) {
            (Some(given), _) => Some(given.to_owned()),
            (None, MergeMethod::Squash) => Some(self.squash_message(&found, &binding)?),
            (None, MergeMethod::Merge) => None,
        };
        let outcome = git::merge_back(
            &space.root_path,
            &binding,
            &MergeRequest {
                method,
                message: drafted.as_deref(),
            },
        )?;
        let mut moved = binding.clone();
        moved.base_commit.clone_from(&outcome.new_base);
        self.store_binding(&found.id, Some(moved))?;
        let message = if outcome.fast_forward { None } else { drafted };
        Ok(Merged {
            session_id: found.id,
            outcome,
            message,
        })
    }

    /// Brings the base branch's new commits into the session branch (a merge commit, or the session's
    /// commits replayed on the base with `Rebase`) and records the session's new head and base commit.
    pub fn update_from_base(
        &self,
        session: &SessionId,
        method: UpdateMethod,
    ) -> Result<Updated, AppError> {
        let (space, found) = self.space_and_session(session)?;
        let binding = self.binding(&found)?;
        let outcome: UpdateOutcome = git::update_from_base(&space.root_path, &binding, method)?;
        self.store_binding(&found.id, Some(outcome.binding.clone()))?;
        Ok(Updated {
            session_id: found.id,
            method: outcome.method,
            previous_head: outcome.previous_head,
            new_head: outcome.new_head,
            replayed: outcome.replayed,
            files: outcome.files,
        })
    }

    /// The squash commit's message: drafted from the spec and everything the session changed.
    fn squash_message(
        &self,
        session: &Session,
        binding: &WorktreeBinding,
    ) -> Result<String, AppError> {
        let diff = git::diff_text(binding, DiffScope::AgainstBase, None)?;
        let files = changed_files_from_diff(&String::from_utf8_lossy(&diff));
        let SessionWork { spec, tasks, .. } = self.session_work(session)?;
        Ok(draft_commit_message(&CommitInput {
            spec: &spec,
            tasks: &tasks,
            changes: &files,
        })
        .to_string())
    }
}
