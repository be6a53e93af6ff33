//! The changed files of a unified diff (`git diff` text): path, status and line counts, for the drafts when
//! the caller has the session's diff rather than a status list.

use super::changed_file::{ChangedFile, FileStatus};

/// One [`ChangedFile`] per `diff --git` section of `diff`, in order. Lines inside hunks are counted by their
/// first character; headers are only read before a file's first hunk. A mode change alone stays `modified`.
pub fn changed_files_from_diff(diff: &str) -> Vec<ChangedFile> {
    let mut files: Vec<ChangedFile> = Vec::new();
    let mut in_hunk = false;
    for line in diff.lines() {
        if let Some(rest) = line.strip_prefix("diff --git ") {
            files.push(ChangedFile::new(
                header_new_path(rest),
                FileStatus::Modified,
                0,
                0,
            ));
            in_hunk = false;
            continue;
        }
        let Some(file) = files.last_mut() else {
            continue;
        };
        if in_hunk {
            if line.starts_with('+') {
                file.additions = file.additions.saturating_add(1);
            } else if line.starts_with('-') {
                file.deletions = file.deletions.saturating_add(1);
            }
            continue;
        }
        if line.starts_with("@@") {
            in_hunk = true;
        } else if line.starts_with("new file mode") {
            file.status = FileStatus::Added;
        } else if line.starts_with("deleted file mode") {
            file.status = FileStatus::Deleted;
        } else if let Some(from) = line.strip_prefix("rename from ") {
            file.status = FileStatus::Renamed;
            file.old_path = Some(unquote(from));
        } else if let Some(to) = line.strip_prefix("rename to ") {
            file.path = unquote(to);
        } else if let Some(from) = line.strip_prefix("copy from ") {
            file.status = FileStatus::Copied;
            file.old_path = Some(unquote(from));
        } else if let Some(to) = line.strip_prefix("copy to ") {
            file.path = unquote(to);
        } else if let Some(path) = line.strip_prefix("+++ ") {
            if path != "/dev/null" {
                file.path = strip_side(&unquote(path), "b/");
            }
        } else if let Some(path) = line.strip_prefix("--- ")
            && path != "/dev/null"
            && file.status == FileStatus::Deleted
        {
            file.path = strip_side(&unquote(path), "a/");
        }
    }
    files
}

/// The new path from `a/X b/Y` (exact when both sides are equal, as for every change but a rename).
fn header_new_path(rest: &str) -> String {
    let rest = rest.trim();
    if rest.starts_with('"') {
        // Quoted paths: the second quoted string is the new side.
        let parts: Vec<&str> = rest.split("\" ").collect();
        let last = parts.last().copied().unwrap_or(rest);
        return strip_side(&unquote(last), "b/");
    }
    let half = rest.len() / 2;
    if rest.len() % 2 == 1
        && let (Some(a), Some(b)) = (rest.get(..half), rest.get(half + 1..))
        && a.strip_prefix("a/") == b.strip_prefix("b/")
    {
        return strip_side(b, "b/");
    }
    match rest.rsplit_once(" b/") {
        Some((_, new)) => new.to_owned(),
        None => rest.to_owned(),
    }
}

fn strip_side(path: &str, side: &str) -> String {
    path.strip_prefix(side).unwrap_or(path).to_owned()
}

/// git's C-style quoting undone for the common escapes (`\"`, `\\`, `\t`, `\n`, octal bytes).
fn unquote(text: &str) -> String {
    let text = text.trim_end_matches('\t');
    let Some(inner) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) else {
        return text.to_owned();
    };
    let mut bytes = Vec::with_capacity(inner.len());
    let mut chars = inner.bytes().peekable();
    while let Some(b) = chars.next() {
        if b != b'\\' {
            bytes.push(b);
            continue;
        }
        match chars.next() {
            Some(b'n') => bytes.push(b'\n'),
            Some(b't') => bytes.push(b'\t'),
            Some(d @ b'0'..=b'7') => {
                let mut value = u32::from(d - b'0');
                for _ in 0..2 {
                    match chars.peek() {
                        Some(&n @ b'0'..=b'7') => {
                            value = value * 8 + u32::from(n - b'0');
                            chars.next();
                        }
                        _ => break,
                    }
                }
                bytes.push(u8::try_from(value).unwrap_or(b'?'));
            }
            Some(other) => bytes.push(other),
            None => bytes.push(b'\\'),
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_give_paths_statuses_and_counts() {
        let diff = "diff --git a/src/a.rs b/src/a.rs\nindex 1..2 100644\n--- a/src/a.rs\n+++ b/src/a.rs\n\
            @@ -1,2 +1,3 @@\n a\n-b\n+c\n+d\n@@ -9 +10 @@\n-x\n+y\n\
            diff --git a/.env b/.env\nnew file mode 100644\nindex 0..3\n--- /dev/null\n+++ b/.env\n@@ -0,0 +1 @@\n+K=v\n\
            diff --git a/old b/old\ndeleted file mode 100644\n--- a/old\n+++ /dev/null\n@@ -1 +0,0 @@\n--- a/x\n\
            diff --git a/p q b/r s\nsimilarity index 90%\nrename from p q\nrename to r s\n\
            diff --git \"a/t\\303\\251\" \"b/t\\303\\251\"\nnew file mode 100644\n";
        let files = changed_files_from_diff(diff);
        let shape: Vec<_> = files
            .iter()
            .map(|f| {
                (
                    f.path.as_str(),
                    f.status,
                    f.additions,
                    f.deletions,
                    f.old_path.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            shape,
            vec![
                ("src/a.rs", FileStatus::Modified, 3, 2, None),
                (".env", FileStatus::Added, 1, 0, None),
                ("old", FileStatus::Deleted, 0, 1, None),
                ("r s", FileStatus::Renamed, 0, 0, Some("p q")),
                ("té", FileStatus::Added, 0, 0, None),
            ]
        );
        assert!(changed_files_from_diff("").is_empty());
    }
}
