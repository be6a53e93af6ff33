//! Unified diffs of a session worktree: the text equal to `git diff` / `git diff --cached` / `git diff BASE`,
//! whole or per file, and a file's diff as structured hunks for the window (line numbers, hunk ids to stage).

use serde::{Deserialize, Serialize};

use super::abbrev::Abbreviator;
use super::binding::BindingOids as _;
use super::binding::WorktreeBinding;
use super::diff_settings::{DiffSettings, RenameMode};
use super::error::GitError;
use super::file_pair::{ChangeStatus, FilePair};
use super::pair_collector::{Comparison, Untracked, collect_pairs};
use super::patch_text::render_all;
use super::repo_path::{display_path, path_bytes};
use super::repository::open_exact;

/// Which two states a diff compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiffScope {
    /// index → working tree (`git diff`).
    Unstaged,
    /// HEAD → index (`git diff --cached`).
    Staged,
    /// The session's base commit → working tree (`git diff <base>`): the whole session's work.
    AgainstBase,
}

/// The `git diff` text of `scope`, for all files or one path (an untracked path is shown as a new file).
/// Bytes, not a string: file contents and names need not be UTF-8.
pub fn diff_text(
    binding: &WorktreeBinding,
    scope: DiffScope,
    path: Option<&str>,
) -> Result<Vec<u8>, GitError> {
    diff_text_in(&open_worktree(binding)?, binding, scope, path)
}

pub(crate) fn diff_text_in(
    repo: &git2::Repository,
    binding: &WorktreeBinding,
    scope: DiffScope,
    path: Option<&str>,
) -> Result<Vec<u8>, GitError> {
    let settings = DiffSettings::read(repo);
    let wanted = path.map(path_bytes).transpose()?;
    let pairs = scope_pairs(repo, binding, scope, &settings, wanted.is_some())?;
    let pairs = match &wanted {
        Some(path) => pairs.into_iter().filter(|p| touches(p, path)).collect(),
        None => pairs,
    };
    let abbrev = Abbreviator::new(repo, settings.abbrev);
    Ok(render_all(&pairs, &abbrev, settings.quote_path))
}

/// One file's diff in `scope` as hunks with line numbers. Refuses with `no_change` when the path has no
/// change there.
pub fn file_diff(
    binding: &WorktreeBinding,
    scope: DiffScope,
    path: &str,
) -> Result<FileDiff, GitError> {
    file_diff_in(&open_worktree(binding)?, binding, scope, path)
}

pub(crate) fn file_diff_in(
    repo: &git2::Repository,
    binding: &WorktreeBinding,
    scope: DiffScope,
    path: &str,
) -> Result<FileDiff, GitError> {
    let settings = DiffSettings::read(repo);
    let wanted = path_bytes(path)?;
    let pairs = scope_pairs(repo, binding, scope, &settings, true)?;
    let pair = pairs
        .iter()
        .find(|p| p.path() == wanted.as_slice())
        .or_else(|| pairs.iter().find(|p| touches(p, &wanted)))
        .ok_or_else(|| GitError::NoChange {
            path: path.to_owned(),
            kind: scope.kind(),
        })?;
    Ok(FileDiff::from_pair(pair, scope))
}

impl DiffScope {
    pub(crate) fn kind(self) -> &'static str {
        match self {
            DiffScope::Unstaged => "unstaged",
            DiffScope::Staged => "staged",
            DiffScope::AgainstBase => "session",
        }
    }
}

pub(crate) fn open_worktree(binding: &WorktreeBinding) -> Result<git2::Repository, GitError> {
    open_exact(&binding.path).map_err(GitError::git(format!(
        "open the worktree {}",
        binding.path.display()
    )))
}

/// The pairs of a scope. `with_untracked` lists untracked files in the unstaged scope (for one file's
/// diff; `git diff` itself never shows them).
pub(crate) fn scope_pairs(
    repo: &git2::Repository,
    binding: &WorktreeBinding,
    scope: DiffScope,
    settings: &DiffSettings,
    with_untracked: bool,
) -> Result<Vec<FilePair>, GitError> {
    match scope {
        DiffScope::Unstaged => collect_pairs(
            repo,
            Comparison::IndexToWorkdir {
                untracked: if with_untracked {
                    Untracked::Files
                } else {
                    Untracked::Hidden
                },
            },
            settings,
            RenameMode::Off,
            0,
        ),
        DiffScope::Staged => collect_pairs(
            repo,
            Comparison::HeadToIndex,
            settings,
            settings.diff_renames,
            settings.diff_rename_limit,
        ),
        DiffScope::AgainstBase => collect_pairs(
            repo,
            Comparison::TreeToWorkdir {
                base: binding.base_oid()?,
            },
            settings,
            settings.diff_renames,
            settings.diff_rename_limit,
        ),
    }
}

/// Whether a pair is `path`'s change: listed under it, or renamed away from it (a copy's source keeps its
/// own entry).
fn touches(pair: &FilePair, path: &[u8]) -> bool {
    pair.path() == path
        || (pair.status == ChangeStatus::Renamed
            && pair.old.as_ref().is_some_and(|s| s.path == path))
}

/// A file's diff for display and hunk staging.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileDiff {
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_path: Option<String>,
    pub status: ChangeStatus,
    pub scope: DiffScope,
    /// Binary files are named, not shown: no hunks.
    pub binary: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub similarity: Option<u32>,
    pub additions: u32,
    pub deletions: u32,
    pub hunks: Vec<DiffHunk>,
}

/// One hunk. `index` and `header` together identify it for staging ([`HunkId`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffHunk {
    pub index: usize,
    /// `@@ -a,b +c,d @@ context`.
    pub header: String,
    pub old_start: u32,
    pub old_lines: u32,
    pub new_start: u32,
    pub new_lines: u32,
    pub lines: Vec<DiffLine>,
}

/// Which hunk of a file's diff an operation means; refused if the diff no longer has that header there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HunkId {
    pub index: usize,
    pub header: String,
}

impl DiffHunk {
    /// The id to pass to `stage_hunk` / `unstage_hunk` for this hunk.
    pub fn id(&self) -> HunkId {
        HunkId {
            index: self.index,
            header: self.header.clone(),
        }
    }
}

/// How a diff line is drawn: unchanged, added or removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    Context,
    Added,
    Removed,
}

/// One line of a hunk with its line numbers on each side (absent on the side it does not exist in).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffLine {
    pub kind: LineKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_line: Option<u32>,
    /// The line without its line ending (lossy UTF-8).
    pub text: String,
    /// The line is the last of its file and has no newline.
    pub no_newline_at_end: bool,
}

impl FileDiff {
    pub(crate) fn from_pair(pair: &FilePair, scope: DiffScope) -> FileDiff {
        let (additions, deletions) = pair.counts();
        let mut hunks = Vec::new();
        for body in &pair.bodies {
            for hunk in &body.hunks {
                let mut lines: Vec<DiffLine> = Vec::with_capacity(hunk.lines.len());
                for line in &hunk.lines {
                    let kind = match line.origin {
                        b'+' => LineKind::Added,
                        b'-' => LineKind::Removed,
                        b' ' => LineKind::Context,
                        _ => {
                            if let Some(last) = lines.last_mut() {
                                last.no_newline_at_end = true;
                            }
                            continue;
                        }
                    };
                    let content = line.content.strip_suffix(b"\n").unwrap_or(&line.content);
                    let content = content.strip_suffix(b"\r").unwrap_or(content);
                    lines.push(DiffLine {
                        kind,
                        old_line: line.old_lineno,
                        new_line: line.new_lineno,
                        text: String::from_utf8_lossy(content).into_owned(),
                        no_newline_at_end: false,
                    });
                }
                hunks.push(DiffHunk {
                    index: hunks.len(),
                    header: String::from_utf8_lossy(&hunk.header).into_owned(),
                    old_start: hunk.old_start,
                    old_lines: hunk.old_lines,
                    new_start: hunk.new_start,
                    new_lines: hunk.new_lines,
                    lines,
                });
            }
        }
        let mode = |m: u32| format!("{m:06o}");
        FileDiff {
            path: display_path(pair.path()),
            old_path: matches!(pair.status, ChangeStatus::Renamed | ChangeStatus::Copied)
                .then(|| pair.old.as_ref().map(|s| display_path(&s.path)))
                .flatten(),
            status: pair.status,
            scope,
            binary: pair.binary(),
            old_mode: pair.old.as_ref().map(|s| mode(s.mode)),
            new_mode: pair.new.as_ref().map(|s| mode(s.mode)),
            similarity: pair.similarity,
            additions,
            deletions,
            hunks,
        }
    }
}
