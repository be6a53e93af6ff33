//! Which files of a working tree hold uncommitted work (staged, unstaged or untracked; ignored files do
//! not count), the question every destructive or branch-moving operation asks first.

use git2::{Repository, StatusOptions};

use super::error::GitError;
use super::repo_path::display_path;

/// Paths with uncommitted work in `repo`'s working tree, sorted; limited to `paths` when given (exact
/// paths, no patterns).
pub(crate) fn uncommitted_paths(
    repo: &Repository,
    paths: Option<&[Vec<u8>]>,
) -> Result<Vec<String>, GitError> {
    let mut options = StatusOptions::new();
    options
        .include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false)
        .exclude_submodules(false)
        .renames_head_to_index(false);
    if let Some(paths) = paths {
        if paths.is_empty() {
            return Ok(Vec::new());
        }
        options.disable_pathspec_match(true);
        for path in paths {
            options.pathspec(path.as_slice());
        }
    }
    let statuses = repo
        .statuses(Some(&mut options))
        .map_err(GitError::git("read the worktree status"))?;
    let mut out = statuses
        .iter()
        .filter(|entry| !entry.status().is_ignored() && entry.status() != git2::Status::CURRENT)
        .map(|entry| display_path(entry.path_bytes()))
        .collect::<Vec<_>>();
    out.sort();
    out.dedup();
    Ok(out)
}
