//! Staging, unstaging and discarding one file of a session worktree, each refusing a path that has no such
//! change (so a stale list in the window cannot act on the wrong thing).

use git2::{IndexEntry, IndexTime, Repository, Status};

use super::binding::WorktreeBinding;
use super::diff_settings::DiffSettings;
use super::diff_view::{DiffScope, open_worktree, scope_pairs};
use super::error::GitError;
use super::file_pair::ChangeStatus;
use super::repo_path::{fs_path, path_bytes, relative_path};

/// Stages the file's working-tree state (content, mode, deletion), like `git add -- PATH`.
pub fn stage_file(binding: &WorktreeBinding, path: &str) -> Result<(), GitError> {
    let repo = open_worktree(binding)?;
    let bytes = path_bytes(path)?;
    refuse_directory(path, &bytes)?;
    let status = file_status(&repo, &bytes)?;
    if !status.intersects(
        Status::WT_NEW
            | Status::WT_MODIFIED
            | Status::WT_DELETED
            | Status::WT_TYPECHANGE
            | Status::CONFLICTED,
    ) {
        return Err(GitError::NoChange {
            path: path.to_owned(),
            kind: "unstaged",
        });
    }
    let mut index = repo.index().map_err(GitError::git("read the index"))?;
    let relative = relative_path(&bytes);
    if status.contains(Status::WT_DELETED) {
        index
            .remove_path(&relative)
            .map_err(GitError::git(format!("stage the deletion of {path}")))?;
    } else {
        index
            .add_path(&relative)
            .map_err(GitError::git(format!("stage {path}")))?;
    }
    index.write().map_err(GitError::git("write the index"))
}

/// Puts the file's index entry back to HEAD's version (or removes it when HEAD has none), like
/// `git restore --staged -- PATH`; a staged rename is unstaged on both of its paths.
pub fn unstage_file(binding: &WorktreeBinding, path: &str) -> Result<(), GitError> {
    let repo = open_worktree(binding)?;
    let bytes = path_bytes(path)?;
    let settings = DiffSettings::read(&repo);
    let staged = scope_pairs(&repo, binding, DiffScope::Staged, &settings, false)?;
    let pair = staged
        .iter()
        .find(|p| {
            p.path() == bytes.as_slice()
                || (p.status == ChangeStatus::Renamed
                    && p.old.as_ref().is_some_and(|s| s.path == bytes))
        })
        .ok_or_else(|| GitError::NoChange {
            path: path.to_owned(),
            kind: "staged",
        })?;
    let mut paths = vec![pair.path().to_vec()];
    if pair.status == ChangeStatus::Renamed
        && let Some(old) = &pair.old
    {
        paths.push(old.path.clone());
    }
    let head_tree = match repo.head() {
        Ok(head) => Some(
            head.peel_to_tree()
                .map_err(GitError::git("read HEAD's tree"))?,
        ),
        Err(_) => None,
    };
    let mut index = repo.index().map_err(GitError::git("read the index"))?;
    for p in &paths {
        reset_entry(&repo, &mut index, head_tree.as_ref(), p)?;
    }
    index.write().map_err(GitError::git("write the index"))
}

/// Sets one index entry to the tree's version of `path`, or removes it when the tree has none. The entry
/// gets no stat data, so the next status compares its content with the working tree.
fn reset_entry(
    repo: &Repository,
    index: &mut git2::Index,
    tree: Option<&git2::Tree<'_>>,
    path: &[u8],
) -> Result<(), GitError> {
    let relative = relative_path(path);
    let in_tree = tree.and_then(|t| t.get_path(&relative).ok());
    let _ = index.conflict_remove(&relative);
    match in_tree {
        Some(entry) => {
            let blob_size = repo
                .find_blob(entry.id())
                .map(|b| u32::try_from(b.size()).unwrap_or(u32::MAX))
                .unwrap_or(0);
            index
                .add(&IndexEntry {
                    ctime: IndexTime::new(0, 0),
                    mtime: IndexTime::new(0, 0),
                    dev: 0,
                    ino: 0,
                    mode: u32::try_from(entry.filemode()).unwrap_or(0o100644),
                    uid: 0,
                    gid: 0,
                    file_size: blob_size,
                    id: entry.id(),
                    flags: 0,
                    flags_extended: 0,
                    path: path.to_vec(),
                })
                .map_err(GitError::git("reset the index entry"))?;
        }
        None => {
            if index.get_path(&relative, 0).is_some() {
                index
                    .remove_path(&relative)
                    .map_err(GitError::git("remove the index entry"))?;
            }
        }
    }
    Ok(())
}

/// Throws away the file's unstaged change: restores the index version to the working tree (content, mode,
/// a deleted file), or deletes the file when it is untracked. Staged changes are kept.
pub fn discard_file(binding: &WorktreeBinding, path: &str) -> Result<(), GitError> {
    let repo = open_worktree(binding)?;
    let bytes = path_bytes(path)?;
    refuse_directory(path, &bytes)?;
    let status = file_status(&repo, &bytes)?;
    let full = fs_path(&binding.path, &bytes);
    if status.contains(Status::WT_NEW) {
        return std::fs::remove_file(&full).map_err(GitError::io(&full));
    }
    if !status.intersects(Status::WT_MODIFIED | Status::WT_DELETED | Status::WT_TYPECHANGE) {
        return Err(GitError::NoChange {
            path: path.to_owned(),
            kind: "unstaged",
        });
    }
    if status.contains(Status::WT_TYPECHANGE)
        && std::fs::symlink_metadata(&full).is_ok_and(|m| m.is_dir())
    {
        return Err(GitError::InvalidInput {
            what: "path",
            message: format!("{path} is now a directory; discard the files in it first"),
        });
    }
    let mut index = repo.index().map_err(GitError::git("read the index"))?;
    let mut checkout = git2::build::CheckoutBuilder::new();
    checkout
        .force()
        .disable_pathspec_match(true)
        .update_index(false)
        .path(bytes.as_slice());
    repo.checkout_index(Some(&mut index), Some(&mut checkout))
        .map_err(GitError::git(format!("restore {path} from the index")))
}

/// An untracked directory (`dir/`, as listed with untracked directories collapsed) is acted on file by file.
fn refuse_directory(path: &str, bytes: &[u8]) -> Result<(), GitError> {
    if bytes.ends_with(b"/") {
        return Err(GitError::InvalidInput {
            what: "path",
            message: format!("{path} is a directory; act on the files in it one by one"),
        });
    }
    Ok(())
}

/// git's status flags for one exact path (`IGNORED` files count as no change).
fn file_status(repo: &Repository, path: &[u8]) -> Result<Status, GitError> {
    let mut options = git2::StatusOptions::new();
    options
        .include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false)
        .disable_pathspec_match(true)
        .pathspec(path);
    let statuses = repo
        .statuses(Some(&mut options))
        .map_err(GitError::git("read the file's status"))?;
    Ok(statuses
        .iter()
        .filter(|e| e.path_bytes() == path)
        .fold(Status::CURRENT, |acc, e| acc | e.status()))
}
