//! The Changes view's data: a session worktree's staged and unstaged (and untracked) files with status,
//! modes and line counts, equal to `git status --porcelain=v2` on the same worktree.

use git2::Repository;
use serde::{Deserialize, Serialize};

use super::binding::WorktreeBinding;
use super::diff_settings::{DiffSettings, RenameMode};
use super::error::GitError;
use super::file_pair::{ChangeStatus, FilePair};
use super::pair_collector::{Comparison, Untracked, collect_pairs};
use super::repo_path::display_path;
use super::repository::open_exact;

/// How untracked files are listed (`git status --untracked-files`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UntrackedFiles {
    /// Every untracked file, also inside untracked directories (`all`): what the Changes view lists.
    #[default]
    All,
    /// An untracked directory as one `dir/` entry (`normal`, git's default).
    Normal,
    /// None (`no`).
    No,
}

/// One changed file in one list (staged or unstaged). Serialises with the contract's
/// `{path, status, staged, additions, deletions}` plus details.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileChange {
    /// The path (the new one for renames and copies), in the text form `path_bytes` accepts back.
    pub path: String,
    /// The path it was renamed or copied from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_path: Option<String>,
    pub status: ChangeStatus,
    pub staged: bool,
    pub additions: u32,
    pub deletions: u32,
    pub binary: bool,
    /// Octal modes (`100644`, `100755`, `120000`, `160000`), absent on the side where the file does not exist.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_mode: Option<String>,
    pub mode_changed: bool,
    /// Blob ids of both sides (the working-tree side is not stored, so it is absent for unstaged changes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_oid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_oid: Option<String>,
    /// git's similarity percentage for renames and copies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub similarity: Option<u32>,
}

/// A session worktree's changes: the staged list (HEAD → index) and the unstaged list (index → working tree,
/// untracked files included). A file staged and also modified afterwards is in both.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorktreeChanges {
    pub branch: String,
    /// The base branch.
    pub base: String,
    pub base_commit: String,
    /// The worktree's HEAD commit (absent before the first commit of an orphan branch).
    pub head: Option<String>,
    pub staged: Vec<FileChange>,
    pub unstaged: Vec<FileChange>,
}

/// The contract's `Changes` shape: every file once per list it is in, with `staged` saying which.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changes {
    pub session_id: String,
    pub branch: String,
    pub base: String,
    pub base_commit: String,
    pub files: Vec<FileChange>,
}

impl WorktreeChanges {
    /// The contract's shape for `changes status --json`: both lists in one, each file marked `staged` or not.
    pub fn into_contract(self, session_id: impl Into<String>) -> Changes {
        Changes {
            session_id: session_id.into(),
            branch: self.branch,
            base: self.base,
            base_commit: self.base_commit,
            files: self.staged.into_iter().chain(self.unstaged).collect(),
        }
    }

    /// Nothing staged, changed or untracked.
    pub fn is_clean(&self) -> bool {
        self.staged.is_empty() && self.unstaged.is_empty()
    }
}

/// Reads the session worktree's changes. Nothing is written (the index is not refreshed). Opens the worktree
/// for this one call; [`ChangesReader`](super::ChangesReader) keeps it open for repeated reads.
pub fn worktree_changes(
    binding: &WorktreeBinding,
    untracked: UntrackedFiles,
) -> Result<WorktreeChanges, GitError> {
    let repo = open_exact(&binding.path).map_err(GitError::git(format!(
        "open the worktree {}",
        binding.path.display()
    )))?;
    changes_in(&repo, binding, untracked)
}

pub(crate) fn changes_in(
    repo: &Repository,
    binding: &WorktreeBinding,
    untracked: UntrackedFiles,
) -> Result<WorktreeChanges, GitError> {
    let settings = DiffSettings::read(repo);
    let staged = collect_pairs(
        repo,
        Comparison::HeadToIndex,
        &settings,
        settings.status_renames,
        settings.status_rename_limit,
    )?;
    let untracked = match untracked {
        UntrackedFiles::All => Untracked::Files,
        UntrackedFiles::Normal => Untracked::Directories,
        UntrackedFiles::No => Untracked::Hidden,
    };
    let unstaged = collect_pairs(
        repo,
        Comparison::IndexToWorkdir { untracked },
        &settings,
        RenameMode::Off,
        0,
    )?;
    let head = repo
        .head()
        .ok()
        .and_then(|h| h.target())
        .map(|oid| oid.to_string());
    Ok(WorktreeChanges {
        branch: binding.branch.clone(),
        base: binding.base_branch.clone(),
        base_commit: binding.base_commit.clone(),
        head,
        staged: staged.iter().map(|p| file_change(p, true)).collect(),
        unstaged: unstaged.iter().map(|p| file_change(p, false)).collect(),
    })
}

pub(crate) fn file_change(pair: &FilePair, staged: bool) -> FileChange {
    let (additions, deletions) = pair.counts();
    let mode = |m: u32| format!("{m:06o}");
    let oid = |o: git2::Oid| (!o.is_zero()).then(|| o.to_string());
    let old_mode = pair.old.as_ref().map(|s| mode(s.mode));
    let new_mode = pair.new.as_ref().map(|s| mode(s.mode));
    FileChange {
        path: display_path(pair.path()),
        old_path: matches!(pair.status, ChangeStatus::Renamed | ChangeStatus::Copied)
            .then(|| pair.old.as_ref().map(|s| display_path(&s.path)))
            .flatten(),
        status: pair.status,
        staged,
        additions,
        deletions,
        binary: pair.binary(),
        mode_changed: old_mode.is_some() && new_mode.is_some() && old_mode != new_mode,
        old_mode,
        new_mode,
        old_oid: pair.old.as_ref().and_then(|s| oid(s.oid)),
        new_oid: if staged {
            pair.new.as_ref().and_then(|s| oid(s.oid))
        } else {
            None
        },
        similarity: pair.similarity,
    }
}
