//! The commit message drafted for a session's change: a subject line (imperative, at most 72 characters)
//! and a body with the goal, the tasks done and not done, and the changed files. The user edits it before
//! committing; this only gives a good start. Secrets are redacted from it like from a pull request.

use std::fmt;

use super::changed_file::{ChangeTotals, ChangedFile};
use super::headline::{self, SUBJECT_MAX};
use super::redact::redact_text;
use super::spec_digest::{RecordedTask, SpecDigest};

/// Body lines are wrapped at this width, as git tools expect.
pub const BODY_WIDTH: usize = 72;

/// At most this many files are listed; the rest are counted.
const MAX_FILES_LISTED: usize = 30;

/// What a commit message is drafted from.
#[derive(Clone, Copy, Debug)]
pub struct CommitInput<'a> {
    /// The session spec (markdown).
    pub spec: &'a str,
    /// The tasks its runs recorded, if any; ticked boxes in the spec count as done too.
    pub tasks: &'a [RecordedTask],
    pub changes: &'a [ChangedFile],
}

/// A drafted commit message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitMessage {
    pub subject: String,
    /// Without a trailing newline; empty when there is nothing to add to the subject.
    pub body: String,
}

impl fmt::Display for CommitMessage {
    /// The whole message as `git commit -F` takes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.body.is_empty() {
            writeln!(f, "{}", self.subject)
        } else {
            write!(f, "{}\n\n{}\n", self.subject, self.body)
        }
    }
}

/// Drafts the commit message for `input`.
pub fn draft_commit_message(input: &CommitInput<'_>) -> CommitMessage {
    let digest = SpecDigest::new(&redact_text(input.spec).text, input.tasks);
    let subject = headline::subject(&digest, input.changes, SUBJECT_MAX);
    let mut blocks: Vec<String> = Vec::new();

    if let Some(goal) = &digest.goal {
        // A one-sentence goal that became the subject says nothing twice.
        let repeats_subject = headline::first_sentence(goal)
            .is_some_and(|s| s == subject && goal.trim_end_matches('.').trim() == s);
        if !repeats_subject {
            blocks.push(wrap(goal, BODY_WIDTH));
        }
    }

    let done: Vec<String> = digest
        .done_tasks()
        .map(|t| format!("- {} ({})", t.title, t.id))
        .collect();
    if !done.is_empty() {
        blocks.push(format!("Done:\n{}", wrap(&done.join("\n"), BODY_WIDTH)));
    }
    let open: Vec<String> = digest
        .open_tasks()
        .map(|t| format!("- {} ({}, {})", t.title, t.id, t.status_label()))
        .collect();
    if !open.is_empty() {
        blocks.push(format!("Not done:\n{}", wrap(&open.join("\n"), BODY_WIDTH)));
    }

    if !input.changes.is_empty() {
        let mut lines = vec![format!("Changes: {}", ChangeTotals::of(input.changes))];
        for file in input.changes.iter().take(MAX_FILES_LISTED) {
            let counts = file.line_counts();
            let counts = if counts.is_empty() {
                String::new()
            } else {
                format!(" ({counts})")
            };
            lines.push(format!(
                "  {} {}{counts}",
                file.status.letter(),
                file.display_path()
            ));
        }
        if input.changes.len() > MAX_FILES_LISTED {
            lines.push(format!(
                "  … and {} more",
                input.changes.len() - MAX_FILES_LISTED
            ));
        }
        blocks.push(lines.join("\n"));
    }

    CommitMessage {
        subject: redact_text(&subject).text,
        body: redact_text(&blocks.join("\n\n")).text,
    }
}

/// Wraps each line of markdown-ish `text` at `width`: list items keep a hanging indent; code fences, tables
/// and words longer than the width (URLs) are left whole.
fn wrap(text: &str, width: usize) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut in_fence = false;
    for line in text.trim().lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_fence = !in_fence;
            out.push(line.to_owned());
            continue;
        }
        if in_fence || trimmed.starts_with('|') || line.chars().count() <= width {
            out.push(line.trim_end().to_owned());
            continue;
        }
        let indent = line.len() - trimmed.len();
        let marker = list_marker_len(trimmed);
        let hang = " ".repeat(indent + marker);
        let mut current = line.get(..indent + marker).unwrap_or("").to_owned();
        let mut first_word = true;
        for word in trimmed.get(marker..).unwrap_or(trimmed).split_whitespace() {
            let fits = current.chars().count() + 1 + word.chars().count() <= width;
            if first_word || fits {
                if !first_word {
                    current.push(' ');
                }
                current.push_str(word);
            } else {
                out.push(std::mem::take(&mut current));
                current = format!("{hang}{word}");
            }
            first_word = false;
        }
        out.push(current);
    }
    out.join("\n")
}

/// The width of a leading `- `, `* ` or `12. ` marker (0 when none).
fn list_marker_len(line: &str) -> usize {
    if line.starts_with("- ") || line.starts_with("* ") {
        return 2;
    }
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0
        && line
            .get(digits..)
            .is_some_and(|r| r.starts_with(". ") || r.starts_with(") "))
    {
        return digits + 2;
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forge::changed_file::FileStatus;
    use crate::model::{TaskId, TaskKind, TaskStatus};

    const SPEC: &str = "## Goal\nAdd retry to the HTTP client, so that a flaky network does not fail a whole run \
        and the user does not have to start it again.\n\n## Tasks\n\
        - [ ] Implement: add retry to `src/http.rs` (lines 3-9)\n\
        - [ ] Implement: log each retry\n\
        - [ ] Verify: run the tests (depends on t1, t2)\n\n\
        ## Acceptance Criteria\n- retried 3 times\n";

    fn task(id: &str, title: &str, kind: TaskKind, status: TaskStatus) -> RecordedTask {
        RecordedTask {
            id: TaskId::new(id),
            kind,
            title: title.into(),
            status,
            summary: None,
        }
    }

    #[test]
    fn drafts_subject_and_body_from_spec_and_changes() {
        let tasks = [
            task(
                "t1",
                "add retry to `src/http.rs` (lines 3-9)",
                TaskKind::Implement,
                TaskStatus::Completed,
            ),
            task(
                "t2",
                "log each retry",
                TaskKind::Implement,
                TaskStatus::Completed,
            ),
            task("t3", "run the tests", TaskKind::Verify, TaskStatus::Failed),
        ];
        let mut renamed = ChangedFile::new("src/net/retry.rs", FileStatus::Renamed, 2, 1);
        renamed.old_path = Some("src/retry.rs".into());
        let changes = [
            ChangedFile::new("src/http.rs", FileStatus::Modified, 30, 2),
            renamed,
            ChangedFile::new("src/old.rs", FileStatus::Deleted, 0, 3),
        ];
        let message = draft_commit_message(&CommitInput {
            spec: SPEC,
            tasks: &tasks,
            changes: &changes,
        });
        assert_eq!(message.subject, "Add retry to the HTTP client");
        assert_eq!(
            message.to_string(),
            "Add retry to the HTTP client\n\
             \n\
             Add retry to the HTTP client, so that a flaky network does not fail a\n\
             whole run and the user does not have to start it again.\n\
             \n\
             Done:\n\
             - add retry to `src/http.rs` (lines 3-9) (t1)\n\
             - log each retry (t2)\n\
             \n\
             Not done:\n\
             - run the tests (t3, failed)\n\
             \n\
             Changes: 3 files, +32 -6\n\
             \x20 M src/http.rs (+30 -2)\n\
             \x20 R src/retry.rs → src/net/retry.rs (+2 -1)\n\
             \x20 D src/old.rs (-3)\n"
        );
        assert!(message.subject.chars().count() <= SUBJECT_MAX);
        assert!(
            message
                .body
                .lines()
                .all(|l| l.chars().count() <= BODY_WIDTH)
        );
    }

    #[test]
    fn a_short_goal_is_not_repeated_and_secrets_are_redacted() {
        let spec = "## Goal\nFix the login.\n## Tasks\n- [x] use the key sk-proj-Ab3dEf6hIj9kLmN0pQrStUvWxYz12\n";
        let message = draft_commit_message(&CommitInput {
            spec,
            tasks: &[],
            changes: &[],
        });
        assert_eq!(message.subject, "Fix the login");
        assert_eq!(
            message.body,
            "Done:\n- use the key [REDACTED:openai_key] (t1)"
        );
        let bare = draft_commit_message(&CommitInput {
            spec: "",
            tasks: &[],
            changes: &[],
        });
        assert_eq!(bare.to_string(), "Update files\n");
    }

    #[test]
    fn wrapping_keeps_list_indents_and_long_words() {
        let text = "- one two three four five six\n```\nlong code line stays as it is\n```\nhttps://example.com/a/very/long/url";
        assert_eq!(
            wrap(text, 14),
            "- one two\n  three four\n  five six\n```\nlong code line stays as it is\n```\nhttps://example.com/a/very/long/url"
        );
    }
}
