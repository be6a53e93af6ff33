//! One changed file between two states of a worktree (HEAD, index, working tree, a base commit), with its
//! hunks as libgit2 computed them: the common form behind status records, diff text and hunk staging.

use serde::{Deserialize, Serialize};

/// What happened to a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeStatus {
    Added,
    Modified,
    Deleted,
    Renamed,
    Copied,
    /// Changed between a regular file, a symlink and a submodule.
    TypeChange,
    /// New in the working tree and not in the index.
    Untracked,
    /// Has unresolved merge conflicts in the index.
    Conflicted,
}

impl ChangeStatus {
    /// The contract's word for it (`added`, `modified`, ...), as it is serialised.
    pub const fn as_str(self) -> &'static str {
        match self {
            ChangeStatus::Added => "added",
            ChangeStatus::Modified => "modified",
            ChangeStatus::Deleted => "deleted",
            ChangeStatus::Renamed => "renamed",
            ChangeStatus::Copied => "copied",
            ChangeStatus::TypeChange => "type_change",
            ChangeStatus::Untracked => "untracked",
            ChangeStatus::Conflicted => "conflicted",
        }
    }

    /// The letter git uses in `--name-status` and porcelain output.
    pub fn letter(self) -> char {
        match self {
            ChangeStatus::Added => 'A',
            ChangeStatus::Modified => 'M',
            ChangeStatus::Deleted => 'D',
            ChangeStatus::Renamed => 'R',
            ChangeStatus::Copied => 'C',
            ChangeStatus::TypeChange => 'T',
            ChangeStatus::Untracked => '?',
            ChangeStatus::Conflicted => 'U',
        }
    }
}

/// One side of a change: where the file was, its mode and its blob.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Side {
    pub path: Vec<u8>,
    pub mode: u32,
    pub oid: git2::Oid,
}

/// A line of a hunk as libgit2 produced it. `origin` is `+`, `-` or ` `, or one of `=`, `>`, `<` for the
/// "no newline at end of file" marker (whose content carries the whole marker text).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RawLine {
    pub origin: u8,
    pub old_lineno: Option<u32>,
    pub new_lineno: Option<u32>,
    pub content: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RawHunk {
    /// `@@ -a,b +c,d @@` plus the function context, without the newline.
    pub header: Vec<u8>,
    pub old_start: u32,
    pub old_lines: u32,
    pub new_start: u32,
    pub new_lines: u32,
    pub lines: Vec<RawLine>,
}

/// The content change of one side pair: either binary or a list of hunks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct PatchBody {
    pub binary: bool,
    pub hunks: Vec<RawHunk>,
}

impl PatchBody {
    pub(crate) fn counts(&self) -> (u32, u32) {
        let mut added = 0;
        let mut removed = 0;
        for line in self.hunks.iter().flat_map(|h| &h.lines) {
            match line.origin {
                b'+' => added += 1,
                b'-' => removed += 1,
                _ => {}
            }
        }
        (added, removed)
    }

    /// Reads a libgit2 patch's hunks. The function context of each header is cut like git cuts it (trailing
    /// whitespace removed).
    pub(crate) fn from_patch(patch: &git2::Patch<'_>) -> Result<PatchBody, git2::Error> {
        let binary = patch.delta().flags().is_binary();
        let mut hunks = Vec::with_capacity(patch.num_hunks());
        for h in 0..patch.num_hunks() {
            let (hunk, count) = patch.hunk(h)?;
            let mut lines = Vec::with_capacity(count);
            for l in 0..count {
                let line = patch.line_in_hunk(h, l)?;
                lines.push(RawLine {
                    origin: u8::try_from(line.origin()).unwrap_or(b' '),
                    old_lineno: line.old_lineno(),
                    new_lineno: line.new_lineno(),
                    content: line.content().to_vec(),
                });
            }
            hunks.push(RawHunk {
                header: hunk_header(hunk.header()),
                old_start: hunk.old_start(),
                old_lines: hunk.old_lines(),
                new_start: hunk.new_start(),
                new_lines: hunk.new_lines(),
                lines,
            });
        }
        Ok(PatchBody { binary, hunks })
    }

    /// The new side's content as the `+` lines spell it (for a body that adds a whole text file).
    pub(crate) fn added_content(&self) -> Vec<u8> {
        self.hunks
            .iter()
            .flat_map(|h| &h.lines)
            .filter(|l| l.origin == b'+')
            .flat_map(|l| l.content.iter().copied())
            .collect()
    }
}

/// `@@ -1,3 +1,4 @@ fn main() {` from libgit2's header: trailing whitespace (and newline) removed from the
/// function context, as git's default function-line finder does.
fn hunk_header(raw: &[u8]) -> Vec<u8> {
    let mut header = raw.to_vec();
    while header
        .last()
        .is_some_and(|b| b.is_ascii_whitespace() || *b == 0x0b)
    {
        header.pop();
    }
    header
}

/// A changed file: its status, both sides, and the content change. A type change holds two bodies (the
/// old file deleted, the new one added), as git prints it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FilePair {
    pub status: ChangeStatus,
    pub old: Option<Side>,
    pub new: Option<Side>,
    /// git's similarity percentage for renames and copies.
    pub similarity: Option<u32>,
    pub bodies: Vec<PatchBody>,
}

impl FilePair {
    /// The path the change is listed under (the new path for renames).
    pub(crate) fn path(&self) -> &[u8] {
        self.new
            .as_ref()
            .or(self.old.as_ref())
            .map_or(&[][..], |s| s.path.as_slice())
    }

    pub(crate) fn binary(&self) -> bool {
        self.bodies.iter().any(|b| b.binary)
    }

    pub(crate) fn counts(&self) -> (u32, u32) {
        self.bodies.iter().fold((0, 0), |(a, d), b| {
            let (ba, bd) = b.counts();
            (a + ba, d + bd)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_loses_trailing_whitespace_only() {
        assert_eq!(
            hunk_header(b"@@ -1,3 +1,4 @@ fn main() {  \t\n"),
            b"@@ -1,3 +1,4 @@ fn main() {"
        );
        assert_eq!(hunk_header(b"@@ -1 +1 @@\n"), b"@@ -1 +1 @@");
    }
}
