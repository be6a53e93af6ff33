//! Creating a session's worktree (and recreating a missing folder on the existing branch). The user's
//! checkout, its index and its uncommitted work are never touched: only a new branch ref, the worktree's
//! registration under `.git/worktrees/` and the new folder are written, and a failure removes all three.

use std::path::{Path, PathBuf};

use git2::{Oid, Repository};

use super::binding::WorktreeBinding;
use super::binding_check::binding_problems;
use super::binding_problem::BindingProblem;
use super::error::GitError;
use super::repository::{find_registered_worktree, open_user_repo, ref_target};

/// What a new session worktree is made from.
#[derive(Clone, Debug)]
pub struct NewWorktree<'a> {
    /// The space's folder: the user's checkout (or a folder inside it).
    pub repo_root: &'a Path,
    /// Absolute path of the new worktree folder: `<data_dir>/worktrees/<space>/<session-slug>`. Must not exist
    /// or be an empty folder.
    pub path: &'a Path,
    /// The session's slug: the branch is `kata/<slug>`.
    pub slug: &'a str,
    /// The user's branch to start from (short name, e.g. `main`).
    pub base_branch: &'a str,
    /// Why the worktree is locked, shown by `git worktree list`.
    pub lock_reason: &'a str,
}

/// The prefix of every session branch.
pub const SESSION_BRANCH_PREFIX: &str = "kata/";

/// Creates branch `kata/<slug>` at the base branch's current commit and a locked worktree for it at `path`,
/// and returns the binding to store with the session. Refuses (never reuses) an existing branch or a
/// non-empty folder.
pub fn create_session_worktree(new: &NewWorktree<'_>) -> Result<WorktreeBinding, GitError> {
    validate_slug(new.slug)?;
    validate_path(new.path)?;
    let repo = open_user_repo(new.repo_root)?;
    let base_ref = format!("refs/heads/{}", new.base_branch);
    let base_commit = ref_target(&repo, &base_ref)?.ok_or_else(|| GitError::BranchNotFound {
        branch: new.base_branch.to_owned(),
    })?;
    let branch = format!("{SESSION_BRANCH_PREFIX}{}", new.slug);
    if ref_target(&repo, &format!("refs/heads/{branch}"))?.is_some() {
        return Err(GitError::BranchExists { branch });
    }
    prepare_folder(new.path)?;
    let commit = repo
        .find_commit(base_commit)
        .map_err(GitError::git(format!("read {}", new.base_branch)))?;
    repo.branch(&branch, &commit, false)
        .map_err(GitError::git(format!("create branch {branch}")))?;
    let name = registration_name(&repo, new.slug);
    if let Err(e) = add_locked_worktree(&repo, &name, new.path, &branch, new.lock_reason) {
        delete_branch_if_at(&repo, &branch, base_commit);
        return Err(e);
    }
    Ok(WorktreeBinding {
        path: new.path.to_owned(),
        branch,
        base_branch: new.base_branch.to_owned(),
        base_commit: base_commit.to_string(),
        head: base_commit.to_string(),
    })
}

/// Recreates a missing worktree folder on the session's existing branch, locked again. Only for the
/// `FolderMissing` problem: the branch must exist and still be at the recorded head (rebind first if it
/// moved), and the folder must be absent.
pub fn recreate_worktree(
    repo_root: &Path,
    binding: &WorktreeBinding,
    lock_reason: &str,
) -> Result<WorktreeBinding, GitError> {
    validate_path(&binding.path)?;
    let repo = open_user_repo(repo_root)?;
    let problems = binding_problems(&repo, binding)?;
    let folder_missing = problems
        .iter()
        .any(|p| matches!(p, BindingProblem::FolderMissing { .. }));
    let others = problems
        .iter()
        .filter(|p| !matches!(p, BindingProblem::FolderMissing { .. }))
        .cloned()
        .collect::<Vec<_>>();
    if !others.is_empty() {
        return Err(GitError::WorktreeBinding { problems: others });
    }
    if !folder_missing {
        return Err(GitError::PathOccupied {
            path: binding.path.clone(),
        });
    }
    // The stale registration (locked by us, so `git worktree prune` kept it) is dropped first.
    let slug = binding
        .branch
        .strip_prefix(SESSION_BRANCH_PREFIX)
        .unwrap_or(&binding.branch)
        .replace('/', "-");
    let name = match find_registered_worktree(&repo, &binding.path)? {
        Some(stale) => {
            let name = stale.name().ok().flatten().unwrap_or(&slug).to_owned();
            prune_registration(&stale)?;
            name
        }
        None => registration_name(&repo, &slug),
    };
    prepare_folder(&binding.path)?;
    add_locked_worktree(&repo, &name, &binding.path, &binding.branch, lock_reason)?;
    Ok(binding.clone())
}

/// Removes a registration whose folder is gone, even if locked.
pub(crate) fn prune_registration(worktree: &git2::Worktree) -> Result<(), GitError> {
    let mut options = git2::WorktreePruneOptions::new();
    options.locked(true).valid(true).working_tree(false);
    worktree
        .prune(Some(&mut options))
        .map_err(GitError::git("remove the stale worktree registration"))
}

/// Adds the worktree for an existing branch and locks it; on any failure removes what it made.
fn add_locked_worktree(
    repo: &Repository,
    name: &str,
    path: &Path,
    branch: &str,
    lock_reason: &str,
) -> Result<(), GitError> {
    let admin_dir = repo.commondir().join("worktrees").join(name);
    let result = (|| {
        let reference = repo
            .find_reference(&format!("refs/heads/{branch}"))
            .map_err(GitError::git(format!("read branch {branch}")))?;
        let mut options = git2::WorktreeAddOptions::new();
        options.reference(Some(&reference));
        let worktree = repo
            .worktree(name, path, Some(&options))
            .map_err(GitError::git(format!(
                "add a worktree at {}",
                path.display()
            )))?;
        worktree
            .lock(Some(lock_reason))
            .map_err(GitError::git("lock the worktree"))
    })();
    if result.is_err() {
        // Best effort: each may not exist yet, depending on where the add failed. The folder is removed only
        // when it is empty or points at the registration made here, never when someone else created it.
        if folder_is_ours(path, &admin_dir) {
            let _ = std::fs::remove_dir_all(path);
        }
        let _ = std::fs::remove_dir_all(&admin_dir);
    }
    result
}

fn folder_is_ours(path: &Path, admin_dir: &Path) -> bool {
    if std::fs::read_dir(path).is_ok_and(|mut entries| entries.next().is_none()) {
        return true;
    }
    std::fs::read_to_string(path.join(".git")).is_ok_and(|text| {
        text.trim()
            .strip_prefix("gitdir: ")
            .is_some_and(|dir| super::repository::same_path(Path::new(dir), admin_dir))
    })
}

fn delete_branch_if_at(repo: &Repository, branch: &str, at: Oid) {
    if let Ok(mut reference) = repo.find_reference(&format!("refs/heads/{branch}"))
        && reference.target() == Some(at)
    {
        let _ = reference.delete();
    }
}

/// A free name under `.git/worktrees/`: the slug, or the slug with a number (as `git worktree add` does).
fn registration_name(repo: &Repository, slug: &str) -> String {
    let root = repo.commondir().join("worktrees");
    let mut name = slug.to_owned();
    let mut n = 1;
    while root.join(&name).exists() {
        n += 1;
        name = format!("{slug}{n}");
    }
    name
}

/// Makes sure `path` can be created by libgit2: its parent exists, and an empty folder at `path` is removed
/// (anything else there is refused).
fn prepare_folder(path: &Path) -> Result<(), GitError> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => {
            let mut entries = std::fs::read_dir(path).map_err(GitError::io(path))?;
            if entries.next().is_some() {
                return Err(GitError::PathOccupied {
                    path: path.to_owned(),
                });
            }
            std::fs::remove_dir(path).map_err(GitError::io(path))?;
        }
        Ok(_) => {
            return Err(GitError::PathOccupied {
                path: path.to_owned(),
            });
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(GitError::io(path)(e)),
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(GitError::io(parent))?;
    }
    Ok(())
}

fn validate_path(path: &Path) -> Result<(), GitError> {
    if !path.is_absolute() {
        return Err(GitError::InvalidInput {
            what: "worktree path",
            message: format!("{} is not absolute", path.display()),
        });
    }
    Ok(())
}

/// A slug makes both a branch name and a folder name: ASCII letters, digits, `-`, `_` and `.`, not starting
/// with `.` or `-`, at most 100 characters.
pub fn validate_slug(slug: &str) -> Result<(), GitError> {
    let problem = if slug.is_empty() {
        Some("it is empty")
    } else if slug.len() > 100 {
        Some("it is longer than 100 characters")
    } else if !slug
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        Some("use only letters, digits, '-', '_' and '.'")
    } else if slug.starts_with(['.', '-']) || slug.ends_with('.') || slug.ends_with(".lock") {
        Some("it may not start with '.' or '-' or end with '.' or '.lock'")
    } else if slug.contains("..") {
        Some("it may not contain '..'")
    } else {
        None
    };
    if let Some(problem) = problem {
        return Err(GitError::InvalidInput {
            what: "session slug",
            message: format!("{slug:?}: {problem}"),
        });
    }
    let branch = format!("refs/heads/{SESSION_BRANCH_PREFIX}{slug}");
    if !git2::Reference::is_valid_name(&branch) {
        return Err(GitError::InvalidInput {
            what: "session slug",
            message: format!("{slug:?} does not make a valid branch name"),
        });
    }
    Ok(())
}

/// The default lock reason for a session's worktree.
pub fn default_lock_reason(branch: &str) -> String {
    format!("in use by a Kata Cloud session ({branch}); archive the session to release it")
}

/// Where a session's worktree lives under the data directory.
pub fn session_worktree_path(data_dir: &Path, space: &str, slug: &str) -> PathBuf {
    data_dir.join("worktrees").join(space).join(slug)
}
