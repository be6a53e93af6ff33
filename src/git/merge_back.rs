//! Merging a session branch back into its base branch in the user's repository, squashed or as a merge.
//! The result is computed in memory first; a conflict refuses with the files listed and changes nothing.
//! Then the base branch moves, and if it is checked out (usually in the user's checkout) the files the
//! merge changes are updated there too, only when none of them holds uncommitted work.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::binding::BindingOids as _;
use super::binding::WorktreeBinding;
use super::binding_check::binding_problems;
use super::branch_move::{BranchMove, checkout_with, move_branch};
use super::diff_view::open_worktree;
use super::dirty::uncommitted_paths;
use super::error::GitError;
use super::identity::signatures;
use super::in_memory_merge::merged_tree;
use super::repository::{open_user_repo, ref_target};

/// How the session's work lands on the base branch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MergeMethod {
    /// One new commit on the base branch with the session's combined change.
    Squash,
    /// A merge commit joining both histories (a fast-forward when the base has not moved).
    Merge,
}

/// A merge-back request.
#[derive(Clone, Debug)]
pub struct MergeRequest<'a> {
    pub method: MergeMethod,
    /// The commit message; a default naming the session branch is used when `None`.
    pub message: Option<&'a str>,
}

/// What merging back did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeOutcome {
    pub method: MergeMethod,
    pub base_branch: String,
    pub previous_base: String,
    pub new_base: String,
    pub fast_forward: bool,
    /// The checkout whose files were updated (the base branch is checked out there), if any.
    pub updated_checkout: Option<PathBuf>,
    /// Paths the merge changed on the base branch.
    pub files: Vec<String>,
}

/// Merges the session branch into its base branch (see the module comment for the guarantees). Refuses
/// when the binding does not match, the session worktree has uncommitted changes, there is nothing to
/// merge, the merge conflicts, or the checkout of the base branch has uncommitted work in files the merge
/// changes.
pub fn merge_back(
    repo_root: &Path,
    binding: &WorktreeBinding,
    request: &MergeRequest<'_>,
) -> Result<MergeOutcome, GitError> {
    let repo = open_user_repo(repo_root)?;
    let problems = binding_problems(&repo, binding)?;
    if !problems.is_empty() {
        return Err(GitError::WorktreeBinding { problems });
    }
    let session_dirty = uncommitted_paths(&open_worktree(binding)?)?;
    if !session_dirty.is_empty() {
        return Err(GitError::DirtyWorktree {
            path: binding.path.clone(),
            files: session_dirty,
            can_force: false,
        });
    }
    let base_ref = binding.base_ref();
    let base_tip = ref_target(&repo, &base_ref)?.ok_or_else(|| GitError::BranchNotFound {
        branch: binding.base_branch.clone(),
    })?;
    let session_tip = binding.head_oid()?;
    let contained = base_tip == session_tip
        || repo
            .graph_descendant_of(base_tip, session_tip)
            .map_err(GitError::git("compare the branches"))?;
    if contained {
        return Err(GitError::NothingToMerge {
            from: binding.branch.clone(),
            into: binding.base_branch.clone(),
        });
    }
    let fast_forward = repo
        .graph_descendant_of(session_tip, base_tip)
        .map_err(GitError::git("compare the branches"))?;
    let base_commit = repo
        .find_commit(base_tip)
        .map_err(GitError::git("read the base branch"))?;
    let session_commit = repo
        .find_commit(session_tip)
        .map_err(GitError::git("read the session branch"))?;
    let tree_id = if fast_forward {
        session_commit.tree_id()
    } else {
        merged_tree(&repo, &base_commit, &session_commit)?.map_err(|files| {
            GitError::MergeConflict {
                from: binding.branch.clone(),
                into: binding.base_branch.clone(),
                files,
            }
        })?
    };
    if request.method == MergeMethod::Squash && tree_id == base_commit.tree_id() {
        // The session's commits add up to no change against the base: a squash would be an empty commit.
        return Err(GitError::NothingToMerge {
            from: binding.branch.clone(),
            into: binding.base_branch.clone(),
        });
    }
    let new_tip = match request.method {
        MergeMethod::Merge if fast_forward => session_tip,
        method => {
            let (author, committer) = signatures(&repo)?;
            let tree = repo
                .find_tree(tree_id)
                .map_err(GitError::git("read the merged tree"))?;
            let default_message = match method {
                MergeMethod::Squash => format!("Squashed session branch '{}'", binding.branch),
                MergeMethod::Merge => format!(
                    "Merge branch '{}' into {}",
                    binding.branch, binding.base_branch
                ),
            };
            let message = request.message.unwrap_or(&default_message);
            let message = git2::message_prettify(message, None)
                .map_err(GitError::git("clean up the message"))?;
            if message.trim().is_empty() {
                return Err(GitError::EmptyMessage);
            }
            let parents = match method {
                MergeMethod::Squash => vec![&base_commit],
                MergeMethod::Merge => vec![&base_commit, &session_commit],
            };
            repo.commit(None, &author, &committer, &message, &tree, &parents)
                .map_err(GitError::git("write the merge commit"))?
        }
    };
    let checkout = checkout_with(&repo, &base_ref)?;
    let log_message =
        format!("kata: merge {} ({:?})", binding.branch, request.method).to_lowercase();
    let files = move_branch(
        &repo,
        &BranchMove {
            reference: &base_ref,
            from: base_tip,
            to: new_tip,
            checkout: checkout.as_deref(),
            log_message: &log_message,
        },
    )?;
    Ok(MergeOutcome {
        method: request.method,
        base_branch: binding.base_branch.clone(),
        previous_base: base_tip.to_string(),
        new_base: new_tip.to_string(),
        fast_forward: fast_forward && request.method == MergeMethod::Merge,
        updated_checkout: checkout,
        files,
    })
}
