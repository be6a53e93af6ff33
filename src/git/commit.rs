//! Making commits on a worktree's current branch from its index, refusing empty ones.

use git2::{Oid, Repository};

use super::binding::BindingOids as _;
use super::binding::WorktreeBinding;
use super::binding_problem::BindingProblem;
use super::diff_view::open_worktree;
use super::error::GitError;
use super::identity::signatures;
use super::repository::head_branch;

/// Commits the index of `repo` (a session worktree) to the branch its HEAD points at. Refuses an empty
/// message and a commit that would record no change. Author and committer come from the git
/// configuration. The branch only moves if it still points at the commit the index was compared with.
pub(crate) fn commit_index(repo: &Repository, message: &str) -> Result<Oid, GitError> {
    let message = git2::message_prettify(message, None)
        .map_err(GitError::git("clean up the commit message"))?;
    if message.trim().is_empty() {
        return Err(GitError::EmptyMessage);
    }
    let mut index = repo.index().map_err(GitError::git("read the index"))?;
    if index.has_conflicts() {
        return Err(GitError::CheckoutBusy {
            path: repo.workdir().unwrap_or(repo.path()).to_owned(),
            state: "merge with unresolved conflicts".to_owned(),
        });
    }
    let tree_id = index
        .write_tree()
        .map_err(GitError::git("write the index as a tree"))?;
    let parent = match repo.head() {
        Ok(head) => Some(
            head.peel_to_commit()
                .map_err(GitError::git("read the branch's last commit"))?,
        ),
        Err(e) if e.code() == git2::ErrorCode::UnbornBranch => None,
        Err(e) => return Err(GitError::git("read HEAD")(e)),
    };
    let unchanged = match &parent {
        Some(parent) => parent.tree_id() == tree_id,
        None => index.is_empty(),
    };
    if unchanged {
        return Err(GitError::EmptyCommit);
    }
    let (author, committer) = signatures(repo)?;
    let tree = repo
        .find_tree(tree_id)
        .map_err(GitError::git("read the new tree"))?;
    let parents = parent.iter().collect::<Vec<_>>();
    repo.commit(Some("HEAD"), &author, &committer, &message, &tree, &parents)
        .map_err(GitError::git("create the commit"))
}

/// Stages every change in the worktree, untracked (not ignored) files included, like `git add -A`.
pub(crate) fn stage_everything(repo: &Repository) -> Result<(), GitError> {
    let mut index = repo.index().map_err(GitError::git("read the index"))?;
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .map_err(GitError::git("stage all files"))?;
    index
        .update_all(["*"], None)
        .map_err(GitError::git("stage deletions"))?;
    index.write().map_err(GitError::git("write the index"))
}

/// What committing in a session worktree made.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CommitOutcome {
    pub commit: String,
    /// The binding with the new head recorded: store it with the session.
    pub binding: WorktreeBinding,
}

/// Commits the session worktree's staged changes with `message` (author and committer from the git
/// configuration). Refuses an empty message, a commit with nothing staged, and a worktree whose branch is
/// not where the binding says (someone else's commits are not built on silently).
pub fn commit(binding: &WorktreeBinding, message: &str) -> Result<CommitOutcome, GitError> {
    let repo = open_worktree(binding)?;
    let on_branch = head_branch(&repo)?;
    if on_branch.as_deref() != Some(binding.branch_ref().as_str()) {
        return Err(GitError::WorktreeBinding {
            problems: vec![BindingProblem::WrongBranch {
                path: binding.path.clone(),
                expected: binding.branch.clone(),
                actual: on_branch.map(|r| r.trim_start_matches("refs/heads/").to_owned()),
            }],
        });
    }
    let tip = repo.head().ok().and_then(|h| h.target());
    if tip != Some(binding.head_oid()?) {
        return Err(GitError::WorktreeBinding {
            problems: vec![BindingProblem::BranchMoved {
                branch: binding.branch.clone(),
                recorded: binding.head.clone(),
                actual: tip.map_or_else(|| "nothing".to_owned(), |t| t.to_string()),
            }],
        });
    }
    let oid = commit_index(&repo, message)?;
    Ok(CommitOutcome {
        commit: oid.to_string(),
        binding: binding.with_head(oid),
    })
}
