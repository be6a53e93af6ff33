//! Where a worktree's status can change: its folder (every file) and its private git directory (the index
//! and HEAD live there, not in the folder), so a watcher that follows both sees edits, staging and commits
//! made by any process.

use std::path::{Path, PathBuf};

/// A folder to watch, and whether its subfolders count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchedDir {
    pub path: PathBuf,
    pub recursive: bool,
}

/// The folders to watch for a worktree at `worktree`: the worktree itself (recursive), and its git
/// directory (only its own entries: the index, HEAD). A folder that is not a repository yields only itself.
pub fn status_watch_dirs(worktree: &Path) -> Vec<WatchedDir> {
    let mut dirs = vec![WatchedDir {
        path: worktree.to_path_buf(),
        recursive: true,
    }];
    if let Ok(repo) = git2::Repository::open(worktree) {
        let git_dir = repo.path().to_path_buf();
        // A plain repository's git directory is inside the folder, already watched.
        if !git_dir.starts_with(worktree) {
            dirs.push(WatchedDir {
                path: git_dir,
                recursive: false,
            });
        }
    }
    dirs
}
