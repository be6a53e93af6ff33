//! Checking a stored binding against the repository before every run, and the explicit ways to accept a
//! changed branch. Nothing here modifies a worktree or a branch.

use std::path::Path;

use git2::Repository;

use super::binding::BindingOids as _;
use super::binding::WorktreeBinding;
use super::binding_problem::BindingProblem;
use super::error::GitError;
use super::repository::{
    common_dir, head_branch, open_exact, open_user_repo, ref_target, same_path,
};

/// Refuses (code `worktree_binding`) when the session's branch or worktree folder no longer matches the
/// binding; every problem found is listed with its fix.
pub fn check_binding(repo_root: &Path, binding: &WorktreeBinding) -> Result<(), GitError> {
    let repo = open_user_repo(repo_root)?;
    let problems = binding_problems(&repo, binding)?;
    if problems.is_empty() {
        Ok(())
    } else {
        Err(GitError::WorktreeBinding { problems })
    }
}

/// Accepts the session branch's current tip as the recorded head, whoever moved it there. Refuses while the
/// branch is deleted or the folder is missing or not the session's worktree (those need a new session or
/// `recreate_worktree`).
pub fn rebind(repo_root: &Path, binding: &WorktreeBinding) -> Result<WorktreeBinding, GitError> {
    let repo = open_user_repo(repo_root)?;
    let tip = branch_tip_with_sound_folder(&repo, binding)?;
    Ok(binding.with_head(tip))
}

/// Records the session branch's new tip after commits made on top of the recorded head (by our own
/// operations or by an agent running `git commit` inside the worktree). Refuses with `BranchMoved` when the
/// recorded head is not an ancestor of the tip: that history was rewritten by someone else, and only an
/// explicit [`rebind`] accepts it.
pub fn advance_head(
    repo_root: &Path,
    binding: &WorktreeBinding,
) -> Result<WorktreeBinding, GitError> {
    let repo = open_user_repo(repo_root)?;
    let tip = branch_tip_with_sound_folder(&repo, binding)?;
    let recorded = binding.head_oid()?;
    let descends = tip == recorded
        || repo
            .graph_descendant_of(tip, recorded)
            .map_err(GitError::git(
                "compare the session branch with its recorded head",
            ))?;
    if !descends {
        return Err(GitError::WorktreeBinding {
            problems: vec![BindingProblem::BranchMoved {
                branch: binding.branch.clone(),
                recorded: binding.head.clone(),
                actual: tip.to_string(),
            }],
        });
    }
    Ok(binding.with_head(tip))
}

fn branch_tip_with_sound_folder(
    repo: &Repository,
    binding: &WorktreeBinding,
) -> Result<git2::Oid, GitError> {
    let Some(tip) = ref_target(repo, &binding.branch_ref())? else {
        return Err(GitError::WorktreeBinding {
            problems: vec![BindingProblem::BranchDeleted {
                branch: binding.branch.clone(),
            }],
        });
    };
    if let Some(problem) = folder_problem(repo, binding)? {
        return Err(GitError::WorktreeBinding {
            problems: vec![problem],
        });
    }
    Ok(tip)
}

/// Everything wrong with `binding` in `repo`, branch problems first.
pub(crate) fn binding_problems(
    repo: &Repository,
    binding: &WorktreeBinding,
) -> Result<Vec<BindingProblem>, GitError> {
    let recorded = binding.head_oid()?;
    let mut problems = Vec::new();
    match ref_target(repo, &binding.branch_ref())? {
        None => problems.push(BindingProblem::BranchDeleted {
            branch: binding.branch.clone(),
        }),
        Some(actual) if actual != recorded => problems.push(BindingProblem::BranchMoved {
            branch: binding.branch.clone(),
            recorded: binding.head.clone(),
            actual: actual.to_string(),
        }),
        Some(_) => {}
    }
    problems.extend(folder_problem(repo, binding)?);
    Ok(problems)
}

/// What is wrong with the binding's folder, if anything: missing, not a worktree of `repo` (or registered
/// elsewhere, as a copied folder is), or on another branch.
pub(crate) fn folder_problem(
    repo: &Repository,
    binding: &WorktreeBinding,
) -> Result<Option<BindingProblem>, GitError> {
    let path = binding.path.clone();
    let not_a_worktree = |detail: String| {
        Ok(Some(BindingProblem::NotAWorktree {
            path: path.clone(),
            detail,
        }))
    };
    match std::fs::symlink_metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Some(BindingProblem::FolderMissing { path }));
        }
        Err(e) => return Err(GitError::io(&path)(e)),
        Ok(meta) if !meta.is_dir() => return not_a_worktree("it is not a folder".to_owned()),
        Ok(_) => {}
    }
    let worktree_repo = match open_exact(&path) {
        Ok(r) => r,
        Err(e) => return not_a_worktree(format!("git cannot open it: {}", e.message())),
    };
    if common_dir(&worktree_repo) != common_dir(repo) {
        return not_a_worktree(format!(
            "it belongs to the repository at {}",
            worktree_repo.commondir().display()
        ));
    }
    if !worktree_repo.is_worktree() {
        return not_a_worktree("it is the repository's main working tree".to_owned());
    }
    let registration = git2::Worktree::open_from_repository(&worktree_repo)
        .map_err(GitError::git("read the worktree's registration"))?;
    if !same_path(registration.path(), &path) {
        return not_a_worktree(format!(
            "git has this worktree registered at {} (the folder was copied or moved)",
            registration.path().display()
        ));
    }
    let expected = binding.branch_ref();
    let actual = head_branch(&worktree_repo)?;
    if actual.as_deref() != Some(expected.as_str()) {
        return Ok(Some(BindingProblem::WrongBranch {
            path,
            expected: binding.branch.clone(),
            actual: actual.map(|r| r.strip_prefix("refs/heads/").unwrap_or(&r).to_owned()),
        }));
    }
    Ok(None)
}
