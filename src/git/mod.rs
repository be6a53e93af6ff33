//! Git: what a space's repository is, and the session worktrees built on it: creating, checking and
//! removing them (`docs/GIT.md` has the layout, the binding rules and what each operation guarantees).

mod abbrev;
mod binding;
mod binding_check;
mod binding_problem;
mod branch_move;
mod changes;
mod changes_reader;
mod commit;
mod diff_settings;
mod diff_view;
mod dirty;
mod error;
mod file_pair;
mod git_command;
mod hunk_staging;
mod identity;
mod in_memory_merge;
mod merge_back;
mod pair_collector;
mod patch_text;
mod push;
mod quote;
mod rename_detection;
mod repo_path;
mod repository;
mod session_update;
mod session_worktree;
mod similarity;
mod staging;
mod status_watch;
mod worktree_cleanup;

use std::path::Path;

use crate::model::RepoInfo;

pub use binding::{BindingOids, WorktreeBinding};
pub use binding_check::{advance_head, check_binding, rebind};
pub use binding_problem::BindingProblem;
pub use changes::{Changes, FileChange, UntrackedFiles, WorktreeChanges, worktree_changes};
pub use changes_reader::ChangesReader;
pub use commit::{CommitOutcome, commit};
pub use diff_view::{
    DiffHunk, DiffLine, DiffScope, FileDiff, HunkId, LineKind, diff_text, file_diff,
};
pub use error::GitError;
pub use file_pair::ChangeStatus;
pub use hunk_staging::{stage_hunk, unstage_hunk};
pub use merge_back::{MergeMethod, MergeOutcome, MergeRequest, merge_back};
pub use push::{PushOutcome, PushRequest, push_session_branch};
pub use repo_path::{display_path, path_bytes};
pub use session_update::{UpdateMethod, UpdateOutcome, update_from_base};
pub use session_worktree::{
    NewWorktree, SESSION_BRANCH_PREFIX, create_session_worktree, default_lock_reason,
    recreate_worktree, session_worktree_path, validate_slug,
};
pub use staging::{discard_file, stage_file, unstage_file};
pub use status_watch::{WatchedDir, status_watch_dirs};
pub use worktree_cleanup::{
    KeptWorktree, OrphanedWorktree, PruneReport, Removal, RemoveOptions, orphaned_worktrees,
    prune_worktrees, remove_session_worktree,
};

/// The repository containing `root`, if any: its `origin` URL and current branch.
pub fn repo_info(root: &Path) -> Option<RepoInfo> {
    let repo = git2::Repository::discover(root).ok()?;
    let origin = repo
        .find_remote("origin")
        .ok()
        .and_then(|r| r.url().ok().map(str::to_owned));
    let default_branch = repo
        .head()
        .ok()
        .and_then(|h| h.shorthand().ok().map(str::to_owned))
        .or_else(|| {
            // A fresh repository has an unborn HEAD: read the branch it points at.
            let head = repo.find_reference("HEAD").ok()?;
            let target = head.symbolic_target().ok()??;
            target.strip_prefix("refs/heads/").map(str::to_owned)
        });
    Some(RepoInfo {
        origin,
        default_branch,
    })
}
