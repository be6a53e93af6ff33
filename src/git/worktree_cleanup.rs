//! Removing session worktrees without ever losing work: a dirty worktree is refused, or (forced) its work is
//! first committed to the session branch; the branch always stays. Also the `doctor` view of worktrees no
//! session references, and pruning the clean worktrees of given sessions.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::binding::BindingOids as _;
use super::binding::WorktreeBinding;
use super::binding_check::{binding_problems, folder_problem};
use super::binding_problem::BindingProblem;
use super::commit::{commit_index, stage_everything};
use super::dirty::uncommitted_paths;
use super::error::GitError;
use super::repository::{
    find_registered_worktree, head_branch, normalized, open_exact, open_user_repo, same_path,
};
use super::session_worktree::prune_registration;

/// How to remove a session's worktree.
#[derive(Clone, Debug)]
pub struct RemoveOptions<'a> {
    /// Remove even with uncommitted changes, committing them (untracked files included) to the session
    /// branch first.
    pub force: bool,
    /// The message of that commit.
    pub save_message: &'a str,
}

/// What removing a worktree did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Removal {
    /// The commit that saved uncommitted work, when there was any (forced removal).
    pub saved_commit: Option<String>,
    /// The binding with the session branch's new head (store it: the branch moved if work was saved).
    pub binding: WorktreeBinding,
}

/// Removes the session's worktree folder and its registration; the session branch stays. Refuses when the
/// folder is not this session's worktree (it is never deleted then), and when it holds uncommitted work
/// unless `force`, in which case the work is committed to the session branch first (which needs the branch
/// to be where the binding says: nobody else's commits are overwritten).
pub fn remove_session_worktree(
    repo_root: &Path,
    binding: &WorktreeBinding,
    options: &RemoveOptions<'_>,
) -> Result<Removal, GitError> {
    let repo = open_user_repo(repo_root)?;
    let registration = find_registered_worktree(&repo, &binding.path)?;
    match folder_problem(&repo, binding)? {
        Some(BindingProblem::FolderMissing { .. }) => {
            if let Some(stale) = registration {
                prune_registration(&stale)?;
            }
            return Ok(Removal {
                saved_commit: None,
                binding: binding.clone(),
            });
        }
        Some(problem) => {
            return Err(GitError::WorktreeBinding {
                problems: vec![problem],
            });
        }
        None => {}
    }
    let worktree_repo = open_exact(&binding.path).map_err(GitError::git("open the worktree"))?;
    let dirty = uncommitted_paths(&worktree_repo)?;
    let mut result = Removal {
        saved_commit: None,
        binding: binding.clone(),
    };
    if !dirty.is_empty() {
        if !options.force {
            return Err(GitError::DirtyWorktree {
                path: binding.path.clone(),
                files: dirty,
                can_force: true,
            });
        }
        let moved = binding_problems(&repo, binding)?;
        if !moved.is_empty() {
            return Err(GitError::WorktreeBinding { problems: moved });
        }
        stage_everything(&worktree_repo)?;
        let saved = commit_index(&worktree_repo, options.save_message)?;
        result.saved_commit = Some(saved.to_string());
        result.binding = binding.with_head(saved);
    }
    drop(worktree_repo);
    let Some(registration) = registration else {
        return Err(GitError::WorktreeBinding {
            problems: vec![BindingProblem::NotAWorktree {
                path: binding.path.clone(),
                detail: "git has no registration for it".to_owned(),
            }],
        });
    };
    remove_registered(&registration)?;
    Ok(result)
}

/// Unlocks a worktree and deletes its folder and registration.
fn remove_registered(worktree: &git2::Worktree) -> Result<(), GitError> {
    if matches!(
        worktree.is_locked(),
        Ok(git2::WorktreeLockStatus::Locked(_))
    ) {
        worktree
            .unlock()
            .map_err(GitError::git("unlock the worktree"))?;
    }
    let mut options = git2::WorktreePruneOptions::new();
    options.valid(true).locked(true).working_tree(true);
    worktree
        .prune(Some(&mut options))
        .map_err(GitError::git("remove the worktree"))
}

/// A worktree of the repository that no session references (for `doctor`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrphanedWorktree {
    /// Its name under `.git/worktrees/`.
    pub name: String,
    pub path: PathBuf,
    /// The branch checked out in it (short name), when the folder exists and is on a branch.
    pub branch: Option<String>,
    pub locked: bool,
    pub lock_reason: Option<String>,
    pub folder_exists: bool,
}

/// The repository's worktrees whose folders lie under `under` (e.g. `<data_dir>/worktrees/<space>`) and that
/// none of `bindings` references, sorted by path.
pub fn orphaned_worktrees(
    repo_root: &Path,
    under: &Path,
    bindings: &[WorktreeBinding],
) -> Result<Vec<OrphanedWorktree>, GitError> {
    let repo = open_user_repo(repo_root)?;
    let prefix = normalized(under);
    let names = repo
        .worktrees()
        .map_err(GitError::git("list the worktrees"))?;
    let mut out = Vec::new();
    for name in names.iter().flatten().flatten() {
        let Ok(worktree) = repo.find_worktree(name) else {
            continue;
        };
        let path = worktree.path().to_owned();
        if !normalized(&path).starts_with(&prefix)
            || bindings.iter().any(|b| same_path(&b.path, &path))
        {
            continue;
        }
        let folder_exists = path.exists();
        let branch = if folder_exists {
            open_exact(&path)
                .ok()
                .and_then(|r| head_branch(&r).ok().flatten())
                .map(|r| r.strip_prefix("refs/heads/").unwrap_or(&r).to_owned())
        } else {
            None
        };
        let (locked, lock_reason) = match worktree.is_locked() {
            Ok(git2::WorktreeLockStatus::Locked(reason)) => (true, reason),
            _ => (false, None),
        };
        out.push(OrphanedWorktree {
            name: name.to_owned(),
            path,
            branch,
            locked,
            lock_reason,
            folder_exists,
        });
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// What pruning did with each binding's worktree.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PruneReport {
    pub removed: Vec<PathBuf>,
    pub kept: Vec<KeptWorktree>,
}

/// A worktree pruning left in place, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptWorktree {
    pub path: PathBuf,
    /// The error code that kept it (`dirty_worktree`, `worktree_binding`, ...).
    pub code: String,
    pub reason: String,
}

/// Removes the worktrees of `bindings` (e.g. the archived sessions') that are clean; dirty ones and ones
/// whose folder is not the session's worktree are kept and reported. Missing folders only lose their stale
/// registration.
pub fn prune_worktrees(
    repo_root: &Path,
    bindings: &[WorktreeBinding],
) -> Result<PruneReport, GitError> {
    let mut report = PruneReport::default();
    let options = RemoveOptions {
        force: false,
        save_message: "",
    };
    for binding in bindings {
        match remove_session_worktree(repo_root, binding, &options) {
            Ok(_) => report.removed.push(binding.path.clone()),
            Err(e @ (GitError::NotARepository { .. } | GitError::Io { .. })) => return Err(e),
            Err(e) => report.kept.push(KeptWorktree {
                path: binding.path.clone(),
                code: e.code().to_owned(),
                reason: e.to_string(),
            }),
        }
    }
    Ok(report)
}
