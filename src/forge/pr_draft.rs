//! The pull request drafted for a session's change: a title and a markdown body with the goal, the tasks
//! and their status, the acceptance criteria, the verification results, the changed files, the provenance
//! (runs, and the context items the work was based on) and, when given, the diff. Secrets are redacted from
//! the body and the diff, and the body ends with a note saying what was redacted (kind and file, never the
//! value). The layout is documented in `docs/PULL_REQUESTS.md`.

use serde::{Deserialize, Serialize};

use super::changed_file::{ChangeTotals, ChangedFile};
use super::headline::{self, SUBJECT_MAX};
use super::redact::{self, Redaction};
use super::spec_digest::{RecordedTask, SpecDigest};
use crate::model::{ContextItem, RunId, TaskKind, TaskStatus};

/// GitHub refuses bodies over 65,536 characters; this leaves room for edits.
pub const BODY_MAX: usize = 60_000;

/// Lists longer than this are cut, with the rest counted.
const MAX_FILES_LISTED: usize = 100;
const MAX_CONTEXT_LISTED: usize = 50;
const MAX_NOTE_LINES: usize = 30;

/// How long a content hash is shown: enough to tell versions apart by eye.
const SHORT_HASH: usize = 8;

/// Whether a verification passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerificationOutcome {
    Passed,
    Failed,
    NotRun,
}

impl VerificationOutcome {
    pub const fn as_str(self) -> &'static str {
        match self {
            VerificationOutcome::Passed => "passed",
            VerificationOutcome::Failed => "failed",
            VerificationOutcome::NotRun => "not run",
        }
    }
}

/// One verification: what was checked, how it came out, and what it reported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationResult {
    pub name: String,
    pub outcome: VerificationOutcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl VerificationResult {
    /// The verify tasks among `tasks` as results: completed → passed, failed → failed, anything else → not
    /// run; the detail is the first line of the verifier's summary.
    pub fn from_tasks(tasks: &[RecordedTask]) -> Vec<Self> {
        tasks
            .iter()
            .filter(|t| t.kind == TaskKind::Verify)
            .map(|t| VerificationResult {
                name: t.title.clone(),
                outcome: match t.status {
                    TaskStatus::Completed => VerificationOutcome::Passed,
                    TaskStatus::Failed => VerificationOutcome::Failed,
                    _ => VerificationOutcome::NotRun,
                },
                detail: t
                    .summary
                    .as_deref()
                    .and_then(|s| s.lines().map(str::trim).find(|l| !l.is_empty()))
                    .map(str::to_owned),
            })
            .collect()
    }
}

/// A context item the work was based on, as provenance: where, and which version of the file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContextRef {
    pub path: String,
    pub start_line: u32,
    pub end_line: u32,
    /// blake3 hex of the whole file when it was read.
    pub content_hash: String,
}

impl From<&ContextItem> for ContextRef {
    fn from(item: &ContextItem) -> Self {
        Self {
            path: item.path.clone(),
            start_line: item.start_line,
            end_line: item.end_line,
            content_hash: item.content_hash.clone(),
        }
    }
}

impl ContextRef {
    /// `path:10-42` (or `path:7` for one line).
    pub fn location(&self) -> String {
        if self.start_line == self.end_line {
            format!("{}:{}", self.path, self.start_line)
        } else {
            format!("{}:{}-{}", self.path, self.start_line, self.end_line)
        }
    }

    pub fn short_hash(&self) -> &str {
        self.content_hash
            .get(..SHORT_HASH)
            .unwrap_or(&self.content_hash)
    }
}

/// Where the change came from: the runs that made it and the context they read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    pub runs: Vec<RunId>,
    pub context: Vec<ContextRef>,
}

/// Everything a pull request is drafted from; the caller fills it from the store and the git layer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PrDraftInput {
    /// The session spec (markdown).
    pub spec: String,
    pub tasks: Vec<RecordedTask>,
    pub verification: Vec<VerificationResult>,
    pub changes: Vec<ChangedFile>,
    pub provenance: Provenance,
    /// A unified diff to quote in a collapsed section, if wanted.
    pub diff: Option<String>,
}

/// A drafted pull request, ready to edit and send.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrDraft {
    pub title: String,
    pub body: String,
    /// What was redacted from the title, the body and the diff (also listed at the end of the body).
    pub redactions: Vec<Redaction>,
}

/// Drafts the pull request for `input`.
pub fn draft_pull_request(input: &PrDraftInput) -> PrDraft {
    // Redacted first, so the title is cut to length around markers, not secrets.
    let spec = redact::redact_text(&input.spec);
    let digest = SpecDigest::new(&spec.text, &input.tasks);
    let title = redact::redact_text(&headline::subject(&digest, &input.changes, SUBJECT_MAX));
    let description = redact::redact_text(&description(&digest, input));
    let diff = input.diff.as_deref().map(redact::redact_diff);

    // Markers match no rule, so nothing found in the spec is counted again in the title or description.
    let mut redactions = spec.redactions;
    redactions.extend(title.redactions);
    redactions.extend(description.redactions);
    if let Some(diff) = &diff {
        redactions.extend(diff.redactions.iter().cloned());
    }
    let note = redaction_note(&redactions);

    let mut body = description.text;
    if let Some(diff) = &diff {
        let budget = BODY_MAX.saturating_sub(body.len() + note.len() + 200);
        body.push_str(&diff_section(&diff.text, budget));
    }
    if body.len() + note.len() > BODY_MAX {
        body = cut_at_line(&body, BODY_MAX.saturating_sub(note.len() + 100));
        body.push_str("\n\n_(cut to fit GitHub's size limit)_\n");
    }
    body.push_str(&note);
    PrDraft {
        title: title.text,
        body,
        redactions,
    }
}

/// The body before the diff: goal, tasks, acceptance criteria, verification, changes, provenance.
fn description(digest: &SpecDigest, input: &PrDraftInput) -> String {
    let mut out = String::new();
    let mut section = |heading: &str, text: &str| {
        out.push_str(&format!("## {heading}\n\n{}\n\n", text.trim_end()));
    };
    if let Some(goal) = &digest.goal {
        section("Goal", goal);
    }
    if !digest.tasks.is_empty() {
        let lines: Vec<String> = digest
            .tasks
            .iter()
            .map(|t| {
                let tick = if t.done() { "x" } else { " " };
                format!("- [{tick}] **{}** {} — {}", t.id, t.title, t.status_label())
            })
            .collect();
        section("Tasks", &lines.join("\n"));
    }
    if let Some(acceptance) = &digest.acceptance {
        section("Acceptance criteria", acceptance);
    }
    if let Some(verification) = verification(digest, &input.verification) {
        section("Verification", &verification);
    }
    if !input.changes.is_empty() {
        section("Changes", &changes_table(&input.changes));
    }
    if let Some(provenance) = provenance(&input.provenance) {
        section("Provenance", &provenance);
    }
    out
}

fn verification(digest: &SpecDigest, results: &[VerificationResult]) -> Option<String> {
    if results.is_empty() {
        let plan = digest.verification_plan.as_deref()?;
        return Some(format!("Not run yet. The plan:\n\n{plan}"));
    }
    let lines: Vec<String> = results
        .iter()
        .map(|r| {
            let detail = r
                .detail
                .as_deref()
                .map(|d| format!(": {d}"))
                .unwrap_or_default();
            format!("- **{}** {}{detail}", r.outcome.as_str(), r.name)
        })
        .collect();
    Some(lines.join("\n"))
}

fn changes_table(changes: &[ChangedFile]) -> String {
    let mut lines = vec![
        ChangeTotals::of(changes).to_string(),
        String::new(),
        "| File | Status | Lines |".to_owned(),
        "|---|---|---|".to_owned(),
    ];
    for file in changes.iter().take(MAX_FILES_LISTED) {
        lines.push(format!(
            "| `{}` | {} | {} |",
            file.display_path().replace('|', "\\|"),
            file.status,
            file.line_counts()
        ));
    }
    if changes.len() > MAX_FILES_LISTED {
        lines.push(format!(
            "\n… and {} more files",
            changes.len() - MAX_FILES_LISTED
        ));
    }
    lines.join("\n")
}

fn provenance(provenance: &Provenance) -> Option<String> {
    let mut lines = Vec::new();
    if !provenance.runs.is_empty() {
        let runs: Vec<String> = provenance.runs.iter().map(|r| format!("`{r}`")).collect();
        lines.push(format!("- Runs: {}", runs.join(", ")));
    }
    let mut seen: Vec<&ContextRef> = Vec::new();
    for item in &provenance.context {
        if !seen.contains(&item) {
            seen.push(item);
        }
    }
    if !seen.is_empty() {
        lines.push("- Context:".to_owned());
        for item in seen.iter().take(MAX_CONTEXT_LISTED) {
            lines.push(format!(
                "  - `{}` (`{}`)",
                item.location(),
                item.short_hash()
            ));
        }
        if seen.len() > MAX_CONTEXT_LISTED {
            lines.push(format!(
                "  - … and {} more",
                seen.len() - MAX_CONTEXT_LISTED
            ));
        }
    }
    (!lines.is_empty()).then(|| lines.join("\n"))
}

/// The diff in a collapsed section, fenced with more backticks than it contains, cut at a line to fit
/// `budget` bytes.
fn diff_section(diff: &str, budget: usize) -> String {
    let longest_run = diff.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest_run.max(2) + 1);
    let shown = if diff.len() > budget {
        let cut = cut_at_line(diff, budget);
        let left = diff.lines().count() - cut.lines().count();
        format!("{cut}… {left} more lines not shown\n")
    } else {
        diff.to_owned()
    };
    let newline = if shown.ends_with('\n') { "" } else { "\n" };
    format!(
        "<details>\n<summary>Diff</summary>\n\n{fence}diff\n{shown}{newline}{fence}\n\n</details>\n\n"
    )
}

/// The longest prefix of `text` that ends at a line end and is at most `max` bytes.
fn cut_at_line(text: &str, max: usize) -> String {
    let mut end = 0;
    for (at, _) in text.match_indices('\n') {
        if at + 1 > max {
            break;
        }
        end = at + 1;
    }
    text.get(..end).unwrap_or("").to_owned()
}

/// The closing note: what was redacted, grouped by kind and file. Empty when nothing was.
fn redaction_note(redactions: &[Redaction]) -> String {
    if redactions.is_empty() {
        return String::new();
    }
    let groups = redact::group(redactions);
    let noun = if redactions.len() == 1 {
        "secret was"
    } else {
        "secrets were"
    };
    let mut out = format!(
        "---\n\n**Redacted:** {} {noun} replaced with `[REDACTED:…]` before publishing (values not shown):\n\n",
        redactions.len()
    );
    for group in groups.iter().take(MAX_NOTE_LINES) {
        let place = match &group.file {
            Some(file) => format!("in `{file}`"),
            None => "in the description".to_owned(),
        };
        let times = if group.count > 1 {
            format!(" (×{})", group.count)
        } else {
            String::new()
        };
        out.push_str(&format!("- {} {place}{times}\n", group.kind.label()));
    }
    if groups.len() > MAX_NOTE_LINES {
        out.push_str(&format!("- … and {} more\n", groups.len() - MAX_NOTE_LINES));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_refs_read_as_path_lines_and_short_hash() {
        let r = ContextRef {
            path: "src/a.rs".into(),
            start_line: 3,
            end_line: 9,
            content_hash: "0123456789abcdef".into(),
        };
        assert_eq!(
            (r.location().as_str(), r.short_hash()),
            ("src/a.rs:3-9", "01234567")
        );
        let one = ContextRef {
            end_line: 3,
            content_hash: "ab".into(),
            ..r
        };
        assert_eq!(
            (one.location().as_str(), one.short_hash()),
            ("src/a.rs:3", "ab")
        );
    }

    #[test]
    fn a_long_diff_is_cut_at_a_line_and_fenced_safely() {
        let diff = "+```rust\n".repeat(1000);
        let section = diff_section(&diff, 100);
        assert!(section.contains("````diff\n+```rust\n"));
        assert!(
            section.contains("… 989 more lines not shown\n````\n"),
            "{section}"
        );
        assert_eq!(cut_at_line("ab\ncd\n", 4), "ab\n");
        assert_eq!(cut_at_line("abcdef", 4), "");
    }

    #[test]
    fn the_body_stays_under_the_limit() {
        let input = PrDraftInput {
            spec: format!("## Goal\n{}\n", "word ".repeat(20_000)),
            diff: Some(format!(
                "--- a/x\n+++ b/x\n@@ -1 +1,5000 @@\n{}",
                "+line\n".repeat(5000)
            )),
            ..PrDraftInput::default()
        };
        let draft = draft_pull_request(&input);
        assert!(draft.body.len() <= BODY_MAX, "{}", draft.body.len());
        assert!(draft.body.contains("cut to fit"));
    }

    #[test]
    fn verify_tasks_become_results() {
        let task = |status, summary: Option<&str>| RecordedTask {
            id: crate::model::TaskId::new("t2"),
            kind: TaskKind::Verify,
            title: "run the tests".into(),
            status,
            summary: summary.map(str::to_owned),
        };
        let results = VerificationResult::from_tasks(&[
            task(TaskStatus::Completed, Some("\n12 passed\nmore")),
            task(TaskStatus::Failed, None),
            task(TaskStatus::Cancelled, None),
        ]);
        let shape: Vec<_> = results
            .iter()
            .map(|r| (r.outcome, r.detail.as_deref()))
            .collect();
        assert_eq!(
            shape,
            vec![
                (VerificationOutcome::Passed, Some("12 passed")),
                (VerificationOutcome::Failed, None),
                (VerificationOutcome::NotRun, None),
            ]
        );
    }
}
