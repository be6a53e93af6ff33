//! Opening the user's repository and a session worktree, and finding the checkouts (worktrees) a branch is
//! checked out in. Shared by the worktree, merge and update operations.

use std::path::{Path, PathBuf};

use git2::{Oid, Repository};

use super::error::GitError;

/// The repository containing `repo_root` (the space's folder): the user's repository.
pub(crate) fn open_user_repo(repo_root: &Path) -> Result<Repository, GitError> {
    Repository::discover(repo_root).map_err(|e| {
        if e.code() == git2::ErrorCode::NotFound {
            GitError::NotARepository {
                path: repo_root.to_owned(),
            }
        } else {
            GitError::git(format!("open the repository at {}", repo_root.display()))(e)
        }
    })
}

/// The repository whose working tree is exactly `path` (no search upwards: a folder inside some other
/// repository must not be mistaken for a worktree).
pub(crate) fn open_exact(path: &Path) -> Result<Repository, git2::Error> {
    Repository::open_ext(
        path,
        git2::RepositoryOpenFlags::NO_SEARCH,
        std::iter::empty::<&std::ffi::OsStr>(),
    )
}

/// `path` with symlinks resolved when it exists, so two spellings of one folder compare equal.
pub(crate) fn normalized(path: &Path) -> PathBuf {
    let trimmed = path.components().collect::<PathBuf>();
    std::fs::canonicalize(&trimmed).unwrap_or(trimmed)
}

pub(crate) fn same_path(a: &Path, b: &Path) -> bool {
    normalized(a) == normalized(b)
}

/// The shared `.git` directory of a repository or any of its worktrees.
pub(crate) fn common_dir(repo: &Repository) -> PathBuf {
    normalized(repo.commondir())
}

/// The commit a reference points at, or `None` when the reference does not exist.
pub(crate) fn ref_target(repo: &Repository, name: &str) -> Result<Option<Oid>, GitError> {
    match repo.find_reference(name) {
        Ok(reference) => {
            let commit = reference
                .peel_to_commit()
                .map_err(GitError::git(format!("read {name}")))?;
            Ok(Some(commit.id()))
        }
        Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
        Err(e) => Err(GitError::git(format!("read {name}"))(e)),
    }
}

/// The branch a repository's HEAD points at (full reference name), or `None` when detached.
pub(crate) fn head_branch(repo: &Repository) -> Result<Option<String>, GitError> {
    let head = repo
        .find_reference("HEAD")
        .map_err(GitError::git("read HEAD"))?;
    Ok(head.symbolic_target().ok().flatten().map(str::to_owned))
}

/// A checkout of the repository: the main working tree or a linked worktree.
pub(crate) struct Checkout {
    pub path: PathBuf,
    pub branch: Option<String>,
}

/// Every working tree of the repository with the branch it has checked out: the main one first (when the
/// repository is not bare), then the linked worktrees whose folders exist.
pub(crate) fn checkouts(repo: &Repository) -> Result<Vec<Checkout>, GitError> {
    let mut out = Vec::new();
    let main =
        Repository::open(repo.commondir()).map_err(GitError::git("open the main repository"))?;
    if let Some(workdir) = main.workdir() {
        out.push(Checkout {
            path: normalized(workdir),
            branch: head_branch(&main)?,
        });
    }
    let names = main
        .worktrees()
        .map_err(GitError::git("list the worktrees"))?;
    for name in names.iter().flatten().flatten() {
        let Ok(worktree) = main.find_worktree(name) else {
            continue;
        };
        if !worktree.path().exists() {
            continue;
        }
        let Ok(linked) = Repository::open_from_worktree(&worktree) else {
            continue;
        };
        out.push(Checkout {
            path: normalized(worktree.path()),
            branch: head_branch(&linked)?,
        });
    }
    Ok(out)
}

/// The checkout that has `branch_ref` checked out, if any (git allows at most one).
pub(crate) fn checkout_of(
    repo: &Repository,
    branch_ref: &str,
) -> Result<Option<Checkout>, GitError> {
    Ok(checkouts(repo)?
        .into_iter()
        .find(|c| c.branch.as_deref() == Some(branch_ref)))
}

/// A linked worktree's registration (its name under `.git/worktrees/`) whose recorded folder is `path`.
pub(crate) fn find_registered_worktree(
    repo: &Repository,
    path: &Path,
) -> Result<Option<git2::Worktree>, GitError> {
    let names = repo
        .worktrees()
        .map_err(GitError::git("list the worktrees"))?;
    for name in names.iter().flatten().flatten() {
        if let Ok(worktree) = repo.find_worktree(name)
            && same_path(worktree.path(), path)
        {
            return Ok(Some(worktree));
        }
    }
    Ok(None)
}
