//! Staging and unstaging single hunks. A hunk is named by its index in the file's diff and its header; the
//! diff is recomputed exactly as it was shown, and the operation is refused if that hunk is not there any
//! more. The new index content is built from the diff's own lines (applying the chosen hunks to the old
//! side), checked line by line against the old content, and written as a blob.

use git2::{IndexEntry, IndexTime, Repository};

use super::binding::WorktreeBinding;
use super::diff_settings::DiffSettings;
use super::diff_view::{DiffScope, HunkId, open_worktree, scope_pairs};
use super::error::GitError;
use super::file_pair::{ChangeStatus, FilePair, RawHunk};
use super::pair_collector::blob_bytes;
use super::repo_path::{path_bytes, relative_path};

/// Stages one hunk of the file's unstaged diff (index → working tree).
pub fn stage_hunk(binding: &WorktreeBinding, path: &str, hunk: &HunkId) -> Result<(), GitError> {
    let repo = open_worktree(binding)?;
    let bytes = path_bytes(path)?;
    let pair = modified_pair(&repo, binding, DiffScope::Unstaged, path, &bytes)?;
    let hunks = checked_hunks(&pair, path, hunk)?;
    let old = index_content(&repo, &pair, path)?;
    let new = apply_subset(&old, hunks, |i| i == hunk.index).ok_or_else(|| stale(path, hunk))?;
    write_entry(&repo, &bytes, &new)
}

/// Unstages one hunk of the file's staged diff (HEAD → index): the index keeps every other staged hunk.
pub fn unstage_hunk(binding: &WorktreeBinding, path: &str, hunk: &HunkId) -> Result<(), GitError> {
    let repo = open_worktree(binding)?;
    let bytes = path_bytes(path)?;
    let pair = modified_pair(&repo, binding, DiffScope::Staged, path, &bytes)?;
    let hunks = checked_hunks(&pair, path, hunk)?;
    let old = index_content(&repo, &pair, path)?;
    let new = apply_subset(&old, hunks, |i| i != hunk.index).ok_or_else(|| stale(path, hunk))?;
    write_entry(&repo, &bytes, &new)
}

/// The file's change in `scope`, which must be a content change of a text file (no rename, mode change,
/// addition or deletion, which are staged as whole files).
fn modified_pair(
    repo: &Repository,
    binding: &WorktreeBinding,
    scope: DiffScope,
    path: &str,
    bytes: &[u8],
) -> Result<FilePair, GitError> {
    let settings = DiffSettings::read(repo);
    let pair = scope_pairs(repo, binding, scope, &settings, false)?
        .into_iter()
        .find(|p| {
            p.path() == bytes
                || (p.status == ChangeStatus::Renamed
                    && p.old.as_ref().is_some_and(|s| s.path == bytes))
        })
        .ok_or_else(|| GitError::NoChange {
            path: path.to_owned(),
            kind: scope.kind(),
        })?;
    let unsupported = |reason: &str| {
        Err(GitError::HunkUnsupported {
            path: path.to_owned(),
            reason: reason.to_owned(),
        })
    };
    match pair.status {
        ChangeStatus::Modified => {}
        ChangeStatus::Renamed | ChangeStatus::Copied => {
            return unsupported("a renamed file is staged as a whole");
        }
        ChangeStatus::Added | ChangeStatus::Untracked => {
            return unsupported("a new file is staged as a whole");
        }
        ChangeStatus::Deleted => return unsupported("a deletion is staged as a whole"),
        ChangeStatus::TypeChange => {
            return unsupported("a change of file type is staged as a whole");
        }
        ChangeStatus::Conflicted => return unsupported("the file has merge conflicts"),
    }
    if pair.binary() {
        return unsupported("binary files have no hunks");
    }
    if pair.old.as_ref().map(|s| s.mode) != pair.new.as_ref().map(|s| s.mode) {
        return unsupported("its mode changed too, so it is staged as a whole");
    }
    Ok(pair)
}

fn checked_hunks<'p>(
    pair: &'p FilePair,
    path: &str,
    hunk: &HunkId,
) -> Result<&'p [RawHunk], GitError> {
    let hunks = pair.bodies.first().map_or(&[][..], |b| b.hunks.as_slice());
    match hunks.get(hunk.index) {
        Some(found) if String::from_utf8_lossy(&found.header) == hunk.header => Ok(hunks),
        _ => Err(stale(path, hunk)),
    }
}

fn stale(path: &str, hunk: &HunkId) -> GitError {
    GitError::HunkStale {
        path: path.to_owned(),
        index: hunk.index,
        expected_header: hunk.header.clone(),
    }
}

/// The old side's content (always the index or HEAD version, so it is in the object database).
fn index_content(repo: &Repository, pair: &FilePair, path: &str) -> Result<Vec<u8>, GitError> {
    let oid = pair.old.as_ref().map_or(git2::Oid::ZERO_SHA1, |s| s.oid);
    blob_bytes(repo, oid)?.ok_or_else(|| GitError::NoChange {
        path: path.to_owned(),
        kind: "staged",
    })
}

/// Applies the hunks for which `take` is true to `old` (the content the hunks were computed from). `None`
/// when a hunk's context or removed lines do not match `old` (the diff is stale).
pub(crate) fn apply_subset(
    old: &[u8],
    hunks: &[RawHunk],
    take: impl Fn(usize) -> bool,
) -> Option<Vec<u8>> {
    let old_lines = split_lines(old);
    let mut out = Vec::with_capacity(old.len());
    let mut next = 0usize; // index of the next old line not yet copied
    for (i, hunk) in hunks.iter().enumerate() {
        // A hunk removing nothing from an empty range starts after line `old_start`.
        let start = if hunk.old_lines == 0 {
            hunk.old_start as usize
        } else {
            (hunk.old_start as usize).checked_sub(1)?
        };
        if start < next {
            return None;
        }
        for line in old_lines.get(next..start)? {
            out.extend_from_slice(line);
        }
        next = start;
        let apply = take(i);
        for line in &hunk.lines {
            match line.origin {
                b' ' | b'-' => {
                    if old_lines.get(next).copied() != Some(line.content.as_slice()) {
                        return None;
                    }
                    next += 1;
                    if line.origin == b' ' || !apply {
                        out.extend_from_slice(&line.content);
                    }
                }
                b'+' if apply => out.extend_from_slice(&line.content),
                _ => {}
            }
        }
    }
    for line in old_lines.get(next..)? {
        out.extend_from_slice(line);
    }
    Some(out)
}

/// Lines with their endings; the last one may lack a newline.
fn split_lines(data: &[u8]) -> Vec<&[u8]> {
    data.split_inclusive(|&b| b == b'\n').collect()
}

/// Points the path's index entry at a new blob with `content`, keeping its mode and clearing its stat data
/// (so the next status compares it with the working tree by content).
fn write_entry(repo: &Repository, path: &[u8], content: &[u8]) -> Result<(), GitError> {
    let mut index = repo.index().map_err(GitError::git("read the index"))?;
    let relative = relative_path(path);
    let existing = index
        .get_path(&relative, 0)
        .ok_or_else(|| GitError::NoChange {
            path: String::from_utf8_lossy(path).into_owned(),
            kind: "staged",
        })?;
    let id = repo
        .blob(content)
        .map_err(GitError::git("write the staged content"))?;
    index
        .add(&IndexEntry {
            ctime: IndexTime::new(0, 0),
            mtime: IndexTime::new(0, 0),
            dev: 0,
            ino: 0,
            uid: 0,
            gid: 0,
            file_size: u32::try_from(content.len()).unwrap_or(u32::MAX),
            id,
            flags: 0,
            flags_extended: 0,
            ..existing
        })
        .map_err(GitError::git("update the index entry"))?;
    index.write().map_err(GitError::git("write the index"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::file_pair::RawLine;

    fn line(origin: u8, text: &str) -> RawLine {
        RawLine {
            origin,
            old_lineno: None,
            new_lineno: None,
            content: text.as_bytes().to_vec(),
        }
    }

    fn hunk(old_start: u32, old_lines: u32, lines: Vec<RawLine>) -> RawHunk {
        RawHunk {
            header: Vec::new(),
            old_start,
            old_lines,
            new_start: 0,
            new_lines: 0,
            lines,
        }
    }

    #[test]
    fn applies_only_the_chosen_hunks_and_refuses_a_stale_diff() {
        let old = b"a\nb\nc\nd\ne\nf\n";
        let hunks = vec![
            hunk(
                1,
                2,
                vec![line(b'-', "a\n"), line(b'+', "A\n"), line(b' ', "b\n")],
            ),
            hunk(
                5,
                2,
                vec![line(b' ', "e\n"), line(b'-', "f\n"), line(b'+', "F\n")],
            ),
            // An insertion after the last line.
            hunk(6, 0, vec![line(b'+', "g\n")]),
        ];
        assert_eq!(
            apply_subset(old, &hunks, |i| i == 0).unwrap(),
            b"A\nb\nc\nd\ne\nf\n"
        );
        assert_eq!(
            apply_subset(old, &hunks, |i| i == 1).unwrap(),
            b"a\nb\nc\nd\ne\nF\n"
        );
        assert_eq!(
            apply_subset(old, &hunks, |i| i == 2).unwrap(),
            b"a\nb\nc\nd\ne\nf\ng\n"
        );
        assert_eq!(
            apply_subset(old, &hunks, |_| true).unwrap(),
            b"A\nb\nc\nd\ne\nF\ng\n"
        );
        assert_eq!(apply_subset(old, &hunks, |_| false).unwrap(), old);
        assert_eq!(
            apply_subset(b"x\nb\nc\nd\ne\nf\n", &hunks, |i| i == 0),
            None
        );
    }
}
