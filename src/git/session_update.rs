//! Bringing the base branch's new commits into a session branch (`changes update`), by merge or rebase. The
//! result is computed in memory; a conflict refuses with the files listed and changes nothing. The session
//! worktree must be clean; its files follow the branch.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::binding::BindingOids as _;
use super::binding::WorktreeBinding;
use super::binding_check::binding_problems;
use super::branch_move::{BranchMove, move_branch};
use super::diff_view::open_worktree;
use super::dirty::uncommitted_paths;
use super::error::GitError;
use super::identity::signatures;
use super::in_memory_merge::{merged_tree, replay_onto};
use super::repository::{open_user_repo, ref_target};

/// How the base comes into the session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpdateMethod {
    /// A merge commit on the session branch (a fast-forward when the session has no commits of its own).
    Merge,
    /// The session's own commits replayed on the base's tip (history rewritten: a pushed branch then needs
    /// a force-with-lease push).
    Rebase,
}

/// What updating did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateOutcome {
    pub method: UpdateMethod,
    pub previous_head: String,
    pub new_head: String,
    /// Commits replayed (rebase) — 0 for a merge.
    pub replayed: usize,
    /// Paths that changed in the session worktree.
    pub files: Vec<String>,
    /// The binding with the new head and base commit: store it with the session.
    pub binding: WorktreeBinding,
}

/// Brings the base branch into the session branch. Refuses when the binding does not match, the session
/// worktree has uncommitted changes, the base has nothing new, or the result conflicts.
pub fn update_from_base(
    repo_root: &Path,
    binding: &WorktreeBinding,
    method: UpdateMethod,
) -> Result<UpdateOutcome, GitError> {
    let repo = open_user_repo(repo_root)?;
    let problems = binding_problems(&repo, binding)?;
    if !problems.is_empty() {
        return Err(GitError::WorktreeBinding { problems });
    }
    let dirty = uncommitted_paths(&open_worktree(binding)?)?;
    if !dirty.is_empty() {
        return Err(GitError::DirtyWorktree {
            path: binding.path.clone(),
            files: dirty,
            can_force: false,
        });
    }
    let base_tip =
        ref_target(&repo, &binding.base_ref())?.ok_or_else(|| GitError::BranchNotFound {
            branch: binding.base_branch.clone(),
        })?;
    let session_tip = binding.head_oid()?;
    let descends = |a, b| {
        repo.graph_descendant_of(a, b)
            .map_err(GitError::git("compare the branches"))
    };
    if base_tip == session_tip || descends(session_tip, base_tip)? {
        return Err(GitError::NothingToMerge {
            from: binding.base_branch.clone(),
            into: binding.branch.clone(),
        });
    }
    let conflict = |files| GitError::MergeConflict {
        from: binding.base_branch.clone(),
        into: binding.branch.clone(),
        files,
    };
    let (new_tip, replayed) = if descends(base_tip, session_tip)? {
        (base_tip, 0)
    } else {
        match method {
            UpdateMethod::Merge => (
                merge_commit(&repo, binding, session_tip, base_tip)?.map_err(conflict)?,
                0,
            ),
            UpdateMethod::Rebase => {
                let (_, committer) = signatures(&repo)?;
                let done =
                    replay_onto(&repo, session_tip, base_tip, &committer)?.map_err(conflict)?;
                (done.tip, done.replayed)
            }
        }
    };
    let log_message = format!(
        "kata: update {} from {}",
        binding.branch, binding.base_branch
    );
    let files = move_branch(
        &repo,
        &BranchMove {
            reference: &binding.branch_ref(),
            from: session_tip,
            to: new_tip,
            checkout: Some(&binding.path),
            log_message: &log_message,
        },
    )?;
    let mut updated = binding.with_head(new_tip);
    updated.base_commit = base_tip.to_string();
    Ok(UpdateOutcome {
        method,
        previous_head: session_tip.to_string(),
        new_head: new_tip.to_string(),
        replayed,
        files,
        binding: updated,
    })
}

/// A merge commit of the base into the session, or the conflicting paths.
fn merge_commit(
    repo: &git2::Repository,
    binding: &WorktreeBinding,
    session_tip: git2::Oid,
    base_tip: git2::Oid,
) -> Result<Result<git2::Oid, Vec<String>>, GitError> {
    let ours = repo
        .find_commit(session_tip)
        .map_err(GitError::git("read the session branch"))?;
    let theirs = repo
        .find_commit(base_tip)
        .map_err(GitError::git("read the base branch"))?;
    let tree_id = match merged_tree(repo, &ours, &theirs)? {
        Ok(tree) => tree,
        Err(files) => return Ok(Err(files)),
    };
    let tree = repo
        .find_tree(tree_id)
        .map_err(GitError::git("read the merged tree"))?;
    let (author, committer) = signatures(repo)?;
    let message = format!(
        "Merge branch '{}' into {}\n",
        binding.base_branch, binding.branch
    );
    let commit = repo
        .commit(
            None,
            &author,
            &committer,
            &message,
            &tree,
            &[&ours, &theirs],
        )
        .map_err(GitError::git("write the merge commit"))?;
    Ok(Ok(commit))
}
