//! A changed file as the drafts describe it: path, status and line counts. The git layer's status/diff
//! output is mapped into this by the caller, so the drafts stay pure and testable.

use std::fmt;

use serde::{Deserialize, Serialize};

/// How a file changed relative to the base.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileStatus {
    Added,
    Modified,
    Deleted,
    Renamed,
    Copied,
    TypeChanged,
    Untracked,
}

impl FileStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            FileStatus::Added => "added",
            FileStatus::Modified => "modified",
            FileStatus::Deleted => "deleted",
            FileStatus::Renamed => "renamed",
            FileStatus::Copied => "copied",
            FileStatus::TypeChanged => "type_changed",
            FileStatus::Untracked => "untracked",
        }
    }

    /// The one-letter code `git status --short` uses, for compact lists.
    pub const fn letter(self) -> char {
        match self {
            FileStatus::Added => 'A',
            FileStatus::Modified => 'M',
            FileStatus::Deleted => 'D',
            FileStatus::Renamed => 'R',
            FileStatus::Copied => 'C',
            FileStatus::TypeChanged => 'T',
            FileStatus::Untracked => '?',
        }
    }
}

impl fmt::Display for FileStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One changed file. `path` is relative to the repository root and `/`-separated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangedFile {
    pub path: String,
    pub status: FileStatus,
    pub additions: u32,
    pub deletions: u32,
    /// The path before a rename or copy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_path: Option<String>,
}

impl ChangedFile {
    pub fn new(
        path: impl Into<String>,
        status: FileStatus,
        additions: u32,
        deletions: u32,
    ) -> Self {
        Self {
            path: path.into(),
            status,
            additions,
            deletions,
            old_path: None,
        }
    }

    /// `old → new` for renames and copies, else the path.
    pub fn display_path(&self) -> String {
        match &self.old_path {
            Some(old) if old != &self.path => format!("{old} → {}", self.path),
            _ => self.path.clone(),
        }
    }

    /// `+12 -3`, leaving out a zero side (`+12`, `-3`), or nothing for a change without line counts.
    pub fn line_counts(&self) -> String {
        match (self.additions, self.deletions) {
            (0, 0) => String::new(),
            (a, 0) => format!("+{a}"),
            (0, d) => format!("-{d}"),
            (a, d) => format!("+{a} -{d}"),
        }
    }
}

/// Files, additions and deletions over a whole change.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChangeTotals {
    pub files: usize,
    pub additions: u64,
    pub deletions: u64,
}

impl ChangeTotals {
    pub fn of(files: &[ChangedFile]) -> Self {
        files.iter().fold(Self::default(), |mut t, f| {
            t.files += 1;
            t.additions += u64::from(f.additions);
            t.deletions += u64::from(f.deletions);
            t
        })
    }
}

impl fmt::Display for ChangeTotals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let noun = if self.files == 1 { "file" } else { "files" };
        write!(
            f,
            "{} {noun}, +{} -{}",
            self.files, self.additions, self.deletions
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_paths_read_naturally() {
        let mut renamed = ChangedFile::new("src/b.rs", FileStatus::Renamed, 0, 0);
        renamed.old_path = Some("src/a.rs".into());
        assert_eq!(renamed.display_path(), "src/a.rs → src/b.rs");
        assert_eq!(renamed.line_counts(), "");
        assert_eq!(
            ChangedFile::new("x", FileStatus::Modified, 3, 1).line_counts(),
            "+3 -1"
        );
        let files = [
            ChangedFile::new("x", FileStatus::Added, 3, 0),
            ChangedFile::new("y", FileStatus::Deleted, 0, 7),
        ];
        assert_eq!(ChangeTotals::of(&files).to_string(), "2 files, +3 -7");
        assert_eq!(
            serde_json::to_value(&files[0]).unwrap(),
            serde_json::json!({"path": "x", "status": "added", "additions": 3, "deletions": 0})
        );
    }
}
