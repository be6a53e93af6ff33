//! Making commits on a worktree's current branch from its index, refusing empty ones.

use git2::{Oid, Repository};

use super::error::GitError;
use super::identity::signatures;

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
