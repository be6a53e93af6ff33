//! Moving a branch from one commit to another as the last step of a merge or update. When the branch is
//! checked out somewhere (the user's checkout, or the session worktree), that checkout's files and index
//! are brought along for exactly the paths that differ between the two commits, and only when none of
//! those paths holds uncommitted work. The branch moves only if it still points at the old commit; if it
//! does not, the checkout is put back.

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use git2::{Oid, Repository};

use super::dirty::{paths_overlap, uncommitted_path_bytes};
use super::error::GitError;
use super::repo_path::display_path;
use super::repository::open_exact;

/// One branch move.
pub(crate) struct BranchMove<'a> {
    /// Full reference name, e.g. `refs/heads/main`.
    pub reference: &'a str,
    pub from: Oid,
    pub to: Oid,
    /// The working tree that has the branch checked out, if any.
    pub checkout: Option<&'a Path>,
    pub log_message: &'a str,
}

/// Moves the branch; returns the paths that changed between the two commits (display form).
pub(crate) fn move_branch(repo: &Repository, mv: &BranchMove<'_>) -> Result<Vec<String>, GitError> {
    let old_tree = tree_of(repo, mv.from)?;
    let new_tree = tree_of(repo, mv.to)?;
    let touched = changed_paths(repo, &old_tree, &new_tree)?;
    let Some(checkout_path) = mv.checkout else {
        compare_and_swap(repo, mv)?;
        return Ok(touched.iter().map(|p| display_path(p)).collect());
    };
    let checkout = open_exact(checkout_path).map_err(GitError::git(format!(
        "open the checkout {}",
        checkout_path.display()
    )))?;
    refuse_busy(&checkout, checkout_path)?;
    refuse_dirty_overlap(&checkout, checkout_path, &touched)?;
    let new_tree_in_checkout = checkout
        .find_tree(new_tree.id())
        .map_err(GitError::git("read the new tree"))?;
    match checkout_paths(&checkout, &new_tree_in_checkout, &touched, false) {
        Ok(()) => {}
        // Safe checkout finds conflicts before writing anything: there is nothing to put back.
        Err(CheckoutFailure::Conflicts(files)) => {
            return Err(GitError::DirtyCheckout {
                path: checkout_path.to_owned(),
                files,
            });
        }
        Err(CheckoutFailure::Git(e)) => {
            restore(&checkout, old_tree.id(), &touched);
            return Err(e);
        }
    }
    if let Err(e) = compare_and_swap(repo, mv) {
        restore(&checkout, old_tree.id(), &touched);
        return Err(e);
    }
    Ok(touched.iter().map(|p| display_path(p)).collect())
}

fn tree_of(repo: &Repository, commit: Oid) -> Result<git2::Tree<'_>, GitError> {
    repo.find_commit(commit)
        .and_then(|c| c.tree())
        .map_err(GitError::git(format!("read the tree of {commit}")))
}

/// Every path that differs between two trees (both sides of each change), sorted.
fn changed_paths(
    repo: &Repository,
    old: &git2::Tree<'_>,
    new: &git2::Tree<'_>,
) -> Result<Vec<Vec<u8>>, GitError> {
    let diff = repo
        .diff_tree_to_tree(Some(old), Some(new), None)
        .map_err(GitError::git("compare the two commits"))?;
    let mut paths = Vec::new();
    for delta in diff.deltas() {
        for file in [delta.old_file(), delta.new_file()] {
            if let Some(path) = file.path_bytes() {
                paths.push(path.to_vec());
            }
        }
    }
    paths.sort();
    paths.dedup();
    Ok(paths)
}

fn refuse_busy(checkout: &Repository, path: &Path) -> Result<(), GitError> {
    let state = checkout.state();
    if state == git2::RepositoryState::Clean {
        return Ok(());
    }
    Err(GitError::CheckoutBusy {
        path: path.to_owned(),
        state: format!("{state:?}").to_lowercase(),
    })
}

fn refuse_dirty_overlap(
    checkout: &Repository,
    path: &Path,
    touched: &[Vec<u8>],
) -> Result<(), GitError> {
    let dirty = uncommitted_path_bytes(checkout)?;
    let overlapping = dirty
        .iter()
        .filter(|d| touched.iter().any(|t| paths_overlap(d, t)))
        .map(|d| display_path(d))
        .collect::<Vec<_>>();
    if overlapping.is_empty() {
        Ok(())
    } else {
        Err(GitError::DirtyCheckout {
            path: path.to_owned(),
            files: overlapping,
        })
    }
}

enum CheckoutFailure {
    Conflicts(Vec<String>),
    Git(GitError),
}

/// Checks out `tree` for `paths` only. Safe mode (nothing modified is overwritten) unless `force`, which is
/// used only to put back files this module itself just wrote.
fn checkout_paths(
    checkout: &Repository,
    tree: &git2::Tree<'_>,
    paths: &[Vec<u8>],
    force: bool,
) -> Result<(), CheckoutFailure> {
    if paths.is_empty() {
        return Ok(());
    }
    let conflicts = RefCell::new(Vec::new());
    let result = {
        let mut builder = git2::build::CheckoutBuilder::new();
        if force {
            builder.force();
        } else {
            builder.safe();
        }
        builder
            .disable_pathspec_match(true)
            .notify_on(git2::CheckoutNotificationType::CONFLICT)
            .notify(|_, path, _, _, _| {
                if let Some(path) = path {
                    conflicts.borrow_mut().push(path.display().to_string());
                }
                true
            });
        for path in paths {
            builder.path(path.as_slice());
        }
        checkout.checkout_tree(tree.as_object(), Some(&mut builder))
    };
    match result {
        Ok(()) => Ok(()),
        Err(e) if e.code() == git2::ErrorCode::Conflict => {
            let mut files = conflicts.into_inner();
            files.sort();
            files.dedup();
            Err(CheckoutFailure::Conflicts(files))
        }
        Err(e) => Err(CheckoutFailure::Git(GitError::git("update the checkout")(
            e,
        ))),
    }
}

/// Best effort: puts the touched paths back to the old tree after a failed move. They held no uncommitted
/// work before (checked), so the old tree is exactly what was there.
fn restore(checkout: &Repository, old_tree: Oid, paths: &[Vec<u8>]) {
    if let Ok(tree) = checkout.find_tree(old_tree) {
        let _ = checkout_paths(checkout, &tree, paths, true);
    }
}

/// Moves the reference only if it still points at `from`.
fn compare_and_swap(repo: &Repository, mv: &BranchMove<'_>) -> Result<(), GitError> {
    match repo.reference_matching(mv.reference, mv.to, true, mv.from, mv.log_message) {
        Ok(_) => Ok(()),
        Err(e) => {
            let actual = repo.refname_to_id(mv.reference).ok();
            if actual != Some(mv.from) {
                Err(GitError::RefMoved {
                    reference: mv.reference.to_owned(),
                    expected: mv.from.to_string(),
                    actual: actual
                        .map_or_else(|| "nothing (deleted)".to_owned(), |a| a.to_string()),
                })
            } else {
                Err(GitError::git(format!("move {}", mv.reference))(e))
            }
        }
    }
}

/// The working tree that has `reference` checked out, if any.
pub(crate) fn checkout_with(
    repo: &Repository,
    reference: &str,
) -> Result<Option<PathBuf>, GitError> {
    Ok(super::repository::checkout_of(repo, reference)?.map(|c| c.path))
}
