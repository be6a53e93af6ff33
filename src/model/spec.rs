//! The living spec: its markdown sections, the task list inside it, and the per-session spec record.
//!
//! A spec is markdown with six sections (any heading level, case-insensitive): Goal, Tasks, Acceptance
//! Criteria, Non-goals, Assumptions, Verification Plan. Delegated tasks are the checkbox items of the Tasks
//! section, in order (`t1`, `t2`, ...):
//!
//! ```text
//! - [ ] Implement: add retry to `src/http.rs` (lines 10-42)
//! - [ ] Verify: run the tests of the http client (depends on t1)
//! ```
//!
//! * Kind: an optional leading label `Implement:`, `Verify:` or `Debug:` (bold or plain); otherwise inferred
//!   from the words (test/verify/check/validate → verify, debug/investigate → debug, else implement).
//! * Dependencies: `(depends on 1, t2)`, `(after t1)` or `depends_on: 1`; only earlier tasks can be named.
//! * Waves: with any dependency stated, a task's wave is one more than its latest dependency's. With none at
//!   all, every non-verify task is wave 1 and each verify task is wave 2, depending on all of them.

use serde::{Deserialize, Serialize};

use super::ids::{RunId, SessionId, TaskId};
use super::spec_task::{TaskMark, spec_tasks};
use super::task::{PlannedTask, TaskKind};
use super::time::Timestamp;

/// The six sections every spec draft must have, in their canonical order and spelling.
pub const SECTIONS: [&str; 6] = [
    "Goal",
    "Tasks",
    "Acceptance Criteria",
    "Non-goals",
    "Assumptions",
    "Verification Plan",
];

/// A session's spec as it stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecRecord {
    pub session_id: SessionId,
    pub content: String,
    pub revision: u64,
    /// Set when this revision is a run's draft applied as is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied_from_run: Option<RunId>,
    pub updated_at: Timestamp,
    /// Set when this revision is a run's tick of one task line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tick: Option<SpecTick>,
    /// When the content last changed other than by a tick (a hand edit, an applied draft); ticks keep it,
    /// so a run's own progress never makes drafts look edited-over. `None` in records older than ticks:
    /// then `updated_at` is that time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<Timestamp>,
}

impl SpecRecord {
    /// When the content last changed other than by a run's tick.
    pub fn edited_at(&self) -> Timestamp {
        self.edited_at.unwrap_or(self.updated_at)
    }
}

/// What a revision written by a run records: which run, which of its tasks, which spec line, which mark.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecTick {
    pub run_id: RunId,
    pub task_id: TaskId,
    pub spec_task: String,
    pub mark: TaskMark,
}

/// One markdown section of a spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section<'a> {
    /// The heading as written.
    pub heading: &'a str,
    /// Index into [`SECTIONS`] when the heading is one of the six.
    pub canonical: Option<usize>,
    /// The text under the heading up to the next heading of the same or a higher level.
    pub body: &'a str,
}

fn heading(line: &str) -> Option<(usize, &str)> {
    let trimmed = line.trim_end();
    let level = trimmed.bytes().take_while(|b| *b == b'#').count();
    if level == 0 || level > 6 {
        return None;
    }
    let rest = trimmed.get(level..)?;
    if !rest.starts_with(' ') {
        return None;
    }
    Some((level, rest.trim().trim_end_matches('#').trim()))
}

/// A heading line's level and, when it is one of the six sections, that section's canonical name.
pub(crate) fn canonical_section_of(line: &str) -> Option<(usize, Option<&'static str>)> {
    let (level, title) = heading(line)?;
    Some((
        level,
        canonical_section(title).and_then(|i| SECTIONS.get(i).copied()),
    ))
}

fn canonical_section(title: &str) -> Option<usize> {
    let norm: String = title
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    SECTIONS.iter().position(|s| {
        let want: String = s
            .chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect();
        norm == want
    })
}

/// Splits markdown into sections at headings (fenced code blocks are not scanned for headings).
pub fn sections(markdown: &str) -> Vec<Section<'_>> {
    let mut heads: Vec<(usize, usize, &str, usize)> = Vec::new(); // (level, start of heading, title, body start)
    let mut offset = 0;
    let mut in_fence = false;
    for line in markdown.split_inclusive('\n') {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            in_fence = !in_fence;
        } else if !in_fence && let Some((level, title)) = heading(line) {
            heads.push((level, offset, title, offset + line.len()));
        }
        offset += line.len();
    }
    let mut out = Vec::with_capacity(heads.len());
    for (i, (level, _, title, body_start)) in heads.iter().enumerate() {
        let end = heads
            .iter()
            .skip(i + 1)
            .find(|(l, ..)| l <= level)
            .map_or(markdown.len(), |(_, start, ..)| *start);
        let body = markdown
            .get(*body_start..end.max(*body_start))
            .unwrap_or("");
        out.push(Section {
            heading: title,
            canonical: canonical_section(title),
            body,
        });
    }
    out
}

/// The body of one of the six sections, if present.
pub fn section_body<'a>(markdown: &'a str, canonical: &str) -> Option<&'a str> {
    let want = canonical_section(canonical)?;
    sections(markdown)
        .into_iter()
        .find(|s| s.canonical == Some(want))
        .map(|s| s.body)
}

/// The markdown with `lines` added at the end of one of the six sections (after its last non-blank line),
/// every other byte unchanged; `None` when the section is missing.
pub fn append_to_section(markdown: &str, canonical: &str, lines: &[String]) -> Option<String> {
    let all: Vec<&str> = markdown.split_inclusive('\n').collect();
    let mut in_fence = false;
    let mut open: Option<(usize, usize)> = None; // (heading line, level)
    let mut last_body: Option<usize> = None;
    let mut end = all.len();
    for (n, line) in all.iter().enumerate() {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            in_fence = !in_fence;
        } else if !in_fence && let Some((level, name)) = canonical_section_of(line) {
            match open {
                Some((_, open_level)) if level <= open_level => {
                    end = n;
                    break;
                }
                Some(_) => {}
                None if name == Some(canonical) => {
                    open = Some((n, level));
                    continue;
                }
                None => {}
            }
        }
        if open.is_some() && !line.trim().is_empty() {
            last_body = Some(n);
        }
    }
    let (heading, _) = open?;
    let at = last_body.map_or(heading + 1, |n| n + 1).min(end);
    let mut out =
        String::with_capacity(markdown.len() + lines.iter().map(|l| l.len() + 1).sum::<usize>());
    for (n, line) in all.iter().enumerate() {
        if n == at {
            for added in lines {
                out.push_str(added);
                out.push('\n');
            }
        }
        out.push_str(line);
        if n + 1 == at && !line.ends_with('\n') {
            out.push('\n');
        }
    }
    if at >= all.len() {
        for added in lines {
            out.push_str(added);
            out.push('\n');
        }
    }
    Some(out)
}

/// Which of the six sections are missing (by canonical name).
pub fn missing_sections(markdown: &str) -> Vec<&'static str> {
    let found: Vec<usize> = sections(markdown)
        .iter()
        .filter_map(|s| s.canonical)
        .collect();
    SECTIONS
        .iter()
        .enumerate()
        .filter(|(i, _)| !found.contains(i))
        .map(|(_, s)| *s)
        .collect()
}

/// Why a spec yielded no task list.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TaskListError {
    #[error("the spec has no Tasks section")]
    NoTasksSection,
    #[error("the Tasks section has no checkbox items (`- [ ] ...`)")]
    NoTasks,
    #[error("every task of the Tasks section is already done (`[x]`)")]
    AllDone,
}

struct RawTask {
    kind: TaskKind,
    title: String,
    deps: Vec<usize>,
    spec_task: Option<String>,
    done: bool,
}

fn explicit_kind(text: &str) -> Option<(TaskKind, &str)> {
    let stripped = text.trim_start_matches(['*', '_', '`']).trim_start();
    let lower = stripped.to_ascii_lowercase();
    for (label, kind) in [
        ("implement", TaskKind::Implement),
        ("verify", TaskKind::Verify),
        ("debug", TaskKind::Debug),
    ] {
        if let Some(after) = lower.strip_prefix(label) {
            let after_trim = after.trim_start_matches(['*', '_', '`']);
            let sep = after_trim.chars().next();
            if matches!(sep, Some(':' | '—' | '-' | '–')) {
                let cut = stripped.len() - after_trim.len() + sep.map_or(0, char::len_utf8);
                let rest = stripped.get(cut..).unwrap_or("");
                return Some((kind, rest.trim_start_matches(['*', '_', '`']).trim()));
            }
        }
    }
    None
}

fn inferred_kind(text: &str) -> TaskKind {
    let lower = text.to_ascii_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let has = |list: &[&str]| words.iter().any(|w| list.contains(w));
    if has(&[
        "verify",
        "verification",
        "test",
        "tests",
        "check",
        "validate",
        "review",
    ]) {
        TaskKind::Verify
    } else if has(&["debug", "investigate", "diagnose"]) {
        TaskKind::Debug
    } else {
        TaskKind::Implement
    }
}

/// Parses task references after a dependency marker: `1, t2 and #3`.
fn parse_refs(text: &str) -> (Vec<usize>, usize) {
    let mut refs = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut consumed = 0;
    loop {
        while i < bytes.len() && matches!(bytes[i], b' ' | b':' | b',' | b'=') {
            i += 1;
        }
        if text.get(i..).is_some_and(|r| r.starts_with("and ")) {
            i += 4;
            continue;
        }
        let mut j = i;
        if text.get(j..).is_some_and(|r| r.starts_with("task ")) {
            j += 5;
        } else if j < bytes.len() && matches!(bytes[j], b't' | b'T' | b'#') {
            j += 1;
        }
        let start = j;
        while j < bytes.len() && bytes[j].is_ascii_digit() {
            j += 1;
        }
        if j == start {
            break;
        }
        if let Some(n) = text.get(start..j).and_then(|d| d.parse::<usize>().ok()) {
            refs.push(n);
        }
        i = j;
        consumed = j;
    }
    (refs, consumed)
}

/// Finds a dependency annotation and returns (dependencies, title with the annotation removed).
fn split_dependencies(text: &str) -> (Vec<usize>, String) {
    let lower = text.to_ascii_lowercase();
    for marker in ["depends on", "depends_on", "depends-on", "after"] {
        let mut search = 0;
        while let Some(pos) = lower.get(search..).and_then(|l| l.find(marker)) {
            let at = search + pos;
            let after = at + marker.len();
            let (refs, consumed) = parse_refs(lower.get(after..).unwrap_or(""));
            let word_start = lower
                .get(..at)
                .and_then(|b| b.chars().last())
                .is_none_or(|c| !c.is_alphanumeric());
            // An annotation ends the item or its brackets: "retry after 3 failures" is prose, not a dependency.
            let ends = lower
                .get(after + consumed..)
                .map(str::trim_start)
                .is_none_or(|rest| rest.is_empty() || rest.starts_with([')', ']', '.', ';']));
            if !refs.is_empty() && word_start && ends {
                let mut start = at;
                let mut end = after + consumed;
                // Drop the brackets or separator around the annotation too.
                let before = text.get(..start).unwrap_or("");
                let trimmed_before = before.trim_end();
                if trimmed_before.ends_with(['(', '[']) {
                    start = trimmed_before.len() - 1;
                    let tail = text.get(end..).unwrap_or("");
                    let close = tail.find([')', ']']).map_or(0, |p| p + 1);
                    end += close;
                } else if trimmed_before.ends_with([',', ';', '—', '-', '–']) {
                    start = trimmed_before
                        .char_indices()
                        .last()
                        .map_or(start, |(idx, _)| idx);
                }
                let title = format!(
                    "{} {}",
                    text.get(..start).unwrap_or("").trim_end(),
                    text.get(end..).unwrap_or("").trim_start()
                );
                return (refs, title.trim().to_owned());
            }
            search = after;
        }
    }
    (Vec::new(), text.trim().to_owned())
}

/// The plan's line for each wave, in wave order: `Wave W[, in parallel]: t1 (implementor): title; ...`.
pub fn wave_lines(tasks: &[PlannedTask]) -> Vec<String> {
    let mut waves: std::collections::BTreeMap<u32, Vec<&PlannedTask>> = Default::default();
    for task in tasks {
        waves.entry(task.wave).or_default().push(task);
    }
    waves
        .iter()
        .map(|(wave, members)| {
            let list: Vec<String> = members
                .iter()
                .map(|t| format!("{} ({}): {}", t.id, t.kind.specialist(), t.title))
                .collect();
            let parallel = if members.len() > 1 {
                ", in parallel"
            } else {
                ""
            };
            format!("Wave {wave}{parallel}: {}", list.join("; "))
        })
        .collect()
}

/// Extracts the tasks from a spec's Tasks section, with waves and dependencies resolved, done ones included
/// (what the spec lists). Tasks are numbered by their place in the list (`t3` is the third line), so that
/// `(depends on t2)` names the line it says.
pub fn planned_tasks(markdown: &str) -> Result<Vec<PlannedTask>, TaskListError> {
    plan(markdown, false)
}

/// The tasks a run of this spec carries out: [`planned_tasks`] without the lines marked done (`[x]`), a
/// dependency on one of those being met. Numbers stay those of the lines.
pub fn tasks_to_run(markdown: &str) -> Result<Vec<PlannedTask>, TaskListError> {
    plan(markdown, true)
}

fn plan(markdown: &str, skip_done: bool) -> Result<Vec<PlannedTask>, TaskListError> {
    if section_body(markdown, "Tasks").is_none() {
        return Err(TaskListError::NoTasksSection);
    }
    let mut raw = Vec::new();
    for line in spec_tasks(markdown) {
        let (kind, rest) = match explicit_kind(&line.text) {
            Some((kind, rest)) => (kind, rest),
            None => (inferred_kind(&line.text), line.text.as_str()),
        };
        let (deps, title) = split_dependencies(rest);
        let n = raw.len() + 1;
        let deps: Vec<usize> = {
            let mut d: Vec<usize> = deps.into_iter().filter(|d| *d >= 1 && *d < n).collect();
            d.sort_unstable();
            d.dedup();
            d
        };
        raw.push(RawTask {
            kind,
            title,
            deps,
            spec_task: line.id,
            done: skip_done && line.mark == TaskMark::Done,
        });
    }
    if raw.is_empty() {
        return Err(TaskListError::NoTasks);
    }
    let done: Vec<bool> = raw.iter().map(|t| t.done).collect();
    for task in &mut raw {
        task.deps
            .retain(|d| !done.get(d - 1).copied().unwrap_or(false));
    }
    let open = || raw.iter().filter(|t| !t.done);
    if open().next().is_none() {
        return Err(TaskListError::AllDone);
    }
    let any_deps = open().any(|t| !t.deps.is_empty());
    let has_non_verify = open().any(|t| t.kind != TaskKind::Verify);
    if !any_deps && has_non_verify {
        let workers: Vec<usize> = raw
            .iter()
            .enumerate()
            .filter(|(_, t)| t.kind != TaskKind::Verify && !t.done)
            .map(|(i, _)| i + 1)
            .collect();
        for task in raw
            .iter_mut()
            .filter(|t| t.kind == TaskKind::Verify && !t.done)
        {
            task.deps = workers.clone();
        }
    }
    let mut waves: Vec<u32> = Vec::with_capacity(raw.len());
    for task in &raw {
        let wave = task
            .deps
            .iter()
            .filter_map(|d| waves.get(d - 1))
            .max()
            .map_or(1, |w| w + 1);
        waves.push(wave);
    }
    Ok(raw
        .into_iter()
        .zip(waves)
        .enumerate()
        .filter(|(_, (t, _))| !t.done)
        .map(|(i, (t, wave))| PlannedTask {
            id: TaskId::numbered(i + 1),
            kind: t.kind,
            title: t.title,
            wave,
            depends_on: t.deps.into_iter().map(TaskId::numbered).collect(),
            round: 1,
            spec_task: t.spec_task,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = "# Spec: retry\n\n## Goal\nAdd retry.\n\n## Tasks\n\
        - [ ] Implement: add retry to `src/http.rs` (lines 3-9)\n\
        - [ ] **Implement:** log each retry\n\
        - [ ] Verify: run the tests (depends on t1, t2)\n\n\
        ## Acceptance Criteria\n- works\n\n## Non-goals\n- none\n\n## Assumptions\n- a\n\n\
        ## Verification Plan\n- cargo test\n";

    fn summary(tasks: &[PlannedTask]) -> Vec<(String, TaskKind, u32, Vec<String>, String)> {
        tasks
            .iter()
            .map(|t| {
                (
                    t.id.to_string(),
                    t.kind,
                    t.wave,
                    t.depends_on.iter().map(ToString::to_string).collect(),
                    t.title.clone(),
                )
            })
            .collect()
    }

    #[test]
    fn finds_all_six_sections() {
        assert!(missing_sections(SPEC).is_empty());
        assert_eq!(
            missing_sections("## Goal\nx\n## Non goals\n"),
            vec![
                "Tasks",
                "Acceptance Criteria",
                "Assumptions",
                "Verification Plan"
            ]
        );
    }

    #[test]
    fn headings_inside_code_fences_are_not_sections() {
        let md = "## Goal\n```\n## Tasks\n```\n";
        assert_eq!(sections(md).len(), 1);
        assert_eq!(section_body(md, "Tasks"), None);
    }

    #[test]
    fn explicit_labels_and_dependencies() {
        let tasks = planned_tasks(SPEC).unwrap();
        assert_eq!(
            summary(&tasks),
            vec![
                (
                    "t1".into(),
                    TaskKind::Implement,
                    1,
                    vec![],
                    "add retry to `src/http.rs` (lines 3-9)".into()
                ),
                (
                    "t2".into(),
                    TaskKind::Implement,
                    1,
                    vec![],
                    "log each retry".into()
                ),
                (
                    "t3".into(),
                    TaskKind::Verify,
                    2,
                    vec!["t1".into(), "t2".into()],
                    "run the tests".into()
                ),
            ]
        );
    }

    #[test]
    fn without_dependencies_verify_waits_for_everything_else() {
        let md = "## Tasks\n1. [ ] Write the parser\n2. [ ] Test the parser\n3. [x] Debug: flaky decode\n";
        let tasks = planned_tasks(md).unwrap();
        assert_eq!(
            summary(&tasks),
            vec![
                (
                    "t1".into(),
                    TaskKind::Implement,
                    1,
                    vec![],
                    "Write the parser".into()
                ),
                (
                    "t2".into(),
                    TaskKind::Verify,
                    2,
                    vec!["t1".into(), "t3".into()],
                    "Test the parser".into()
                ),
                (
                    "t3".into(),
                    TaskKind::Debug,
                    1,
                    vec![],
                    "flaky decode".into()
                ),
            ]
        );
    }

    #[test]
    fn chains_make_more_waves_and_forward_references_are_ignored() {
        let md = "## Tasks\n- [ ] a (after 3)\n- [ ] b (depends on 1)\n- [ ] c — after t2\n- [ ] retry after 2 failures\n";
        let tasks = planned_tasks(md).unwrap();
        assert_eq!(
            summary(&tasks),
            vec![
                ("t1".into(), TaskKind::Implement, 1, vec![], "a".into()),
                (
                    "t2".into(),
                    TaskKind::Implement,
                    2,
                    vec!["t1".into()],
                    "b".into()
                ),
                (
                    "t3".into(),
                    TaskKind::Implement,
                    3,
                    vec!["t2".into()],
                    "c".into()
                ),
                (
                    "t4".into(),
                    TaskKind::Implement,
                    1,
                    vec![],
                    "retry after 2 failures".into()
                ),
            ]
        );
    }

    #[test]
    fn done_tasks_are_not_planned_again_and_keep_their_numbers() {
        let md = "## Tasks\n- [x] Implement: a <!-- s1 -->\n- [/] Implement: b <!-- s2 -->\n\
            - [ ] Verify: c (depends on t1, t2) <!-- s3 -->\n";
        assert_eq!(planned_tasks(md).unwrap().len(), 3);
        let tasks = tasks_to_run(md).unwrap();
        let got: Vec<(String, u32, Vec<String>, Option<String>)> = tasks
            .iter()
            .map(|t| {
                (
                    t.id.to_string(),
                    t.wave,
                    t.depends_on.iter().map(ToString::to_string).collect(),
                    t.spec_task.clone(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("t2".into(), 1, vec![], Some("s2".into())),
                ("t3".into(), 2, vec!["t2".into()], Some("s3".into())),
            ]
        );
        assert_eq!(
            tasks_to_run("## Tasks\n- [x] a\n"),
            Err(TaskListError::AllDone)
        );
    }

    #[test]
    fn appending_to_a_section_keeps_everything_else() {
        let md = "## Goal\nx\n\n## Tasks\n- [ ] a\n\n```\n## Acceptance\n```\n## Non-goals\n- n";
        let out = append_to_section(md, "Tasks", &["- [ ] b".into()]).unwrap();
        assert_eq!(
            out,
            "## Goal\nx\n\n## Tasks\n- [ ] a\n\n```\n## Acceptance\n```\n- [ ] b\n## Non-goals\n- n"
        );
        let out = append_to_section(md, "Non-goals", &["- m".into()]).unwrap();
        assert!(out.ends_with("## Non-goals\n- n\n- m\n"), "{out}");
        assert_eq!(append_to_section(md, "Assumptions", &[]), None);
    }

    #[test]
    fn missing_tasks_are_typed_errors() {
        assert_eq!(
            planned_tasks("## Goal\nx\n"),
            Err(TaskListError::NoTasksSection)
        );
        assert_eq!(
            planned_tasks("## Tasks\n- plain bullet\n"),
            Err(TaskListError::NoTasks)
        );
    }
}
