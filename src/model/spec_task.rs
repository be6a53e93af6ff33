//! The spec's task lines: their stable ids, their checkbox marks, and rewriting exactly one of them.
//!
//! A task line is a checkbox item of the Tasks section: `- [ ] ...` (open), `- [/] ...` (in progress) or
//! `- [x] ...` (done). Its id is an HTML comment at the end of the line, `<!-- s3 -->`: invisible when the
//! markdown is rendered, kept by editors and by models that are asked to keep it, and so it survives edits
//! of the title, reordering and insertions (docs/SPEC.md says why ids are kept in the text rather than
//! derived). Lines without an id get the next free one when a spec or draft is recorded
//! ([`with_task_ids`]). Every function here accepts any text and never panics.

use serde::{Deserialize, Serialize};

use super::spec::canonical_section_of;

/// A checkbox mark: what a task line says about its progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskMark {
    /// `[ ]`
    Open,
    /// `[/]`: a run is working on it.
    InProgress,
    /// `[x]`
    Done,
}

impl TaskMark {
    /// The text between the brackets.
    pub const fn symbol(self) -> char {
        match self {
            TaskMark::Open => ' ',
            TaskMark::InProgress => '/',
            TaskMark::Done => 'x',
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            TaskMark::Open => "open",
            TaskMark::InProgress => "in_progress",
            TaskMark::Done => "done",
        }
    }

    /// What a toggle makes of it: done becomes open, anything else done.
    pub const fn toggled(self) -> Self {
        match self {
            TaskMark::Done => TaskMark::Open,
            TaskMark::Open | TaskMark::InProgress => TaskMark::Done,
        }
    }

    fn parse(inner: u8) -> Option<Self> {
        match inner {
            b' ' => Some(TaskMark::Open),
            b'/' => Some(TaskMark::InProgress),
            b'x' | b'X' => Some(TaskMark::Done),
            _ => None,
        }
    }
}

/// One task line of a spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecTask {
    /// The id in the line's trailing comment, when it has one.
    pub id: Option<String>,
    pub mark: TaskMark,
    /// The item's text after the checkbox, without the id comment.
    pub text: String,
    /// 0-based index of the line in the markdown.
    pub line: usize,
}

/// Why a task line could not be rewritten.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SpecTaskError {
    #[error("the spec has no task `{0}`")]
    UnknownTask(String),
}

/// Where a checkbox item's parts are in its line (byte offsets).
struct ItemParts {
    /// Offset of the mark character inside `[ ]`.
    mark_at: usize,
    mark: TaskMark,
    /// Offset where the text after `]` starts.
    text_at: usize,
}

/// Finds a list marker followed by a checkbox: `- [ ] x`, `* [/] x`, `+ [x] x`, `1. [ ] x`, `2) [ ] x`.
fn item_parts(line: &str) -> Option<ItemParts> {
    let bytes = line.as_bytes();
    let mut i = bytes
        .iter()
        .take_while(|b| **b == b' ' || **b == b'\t')
        .count();
    match bytes.get(i)? {
        b'-' | b'*' | b'+' => i += 1,
        b'0'..=b'9' => {
            let digits = bytes
                .get(i..)?
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
            i += digits;
            if !matches!(bytes.get(i)?, b'.' | b')') {
                return None;
            }
            i += 1;
        }
        _ => return None,
    }
    if *bytes.get(i)? != b' ' {
        return None;
    }
    i += bytes.get(i..)?.iter().take_while(|b| **b == b' ').count();
    if *bytes.get(i)? != b'[' || *bytes.get(i + 2)? != b']' {
        return None;
    }
    let mark = TaskMark::parse(*bytes.get(i + 1)?)?;
    Some(ItemParts {
        mark_at: i + 1,
        mark,
        text_at: i + 3,
    })
}

/// The id comment at the end of a text, `<!-- s3 -->`, and the text before it.
pub fn split_id(text: &str) -> (&str, Option<&str>) {
    let trimmed = text.trim_end();
    let Some(body) = trimmed.strip_suffix("-->") else {
        return (text, None);
    };
    let Some(open) = body.rfind("<!--") else {
        return (text, None);
    };
    let id = body.get(open + 4..).unwrap_or("").trim();
    let valid = !id.is_empty()
        && id.len() <= 32
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !valid {
        return (text, None);
    }
    (body.get(..open).unwrap_or("").trim_end(), Some(id))
}

/// Lines with their endings, so that rewriting one keeps every other byte.
fn lines_of(markdown: &str) -> impl Iterator<Item = &str> {
    markdown.split_inclusive('\n')
}

/// The 0-based indexes of the lines inside the Tasks section (outside fenced code).
fn task_section_lines(markdown: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let mut in_fence = false;
    let mut tasks_level: Option<usize> = None;
    for (n, line) in lines_of(markdown).enumerate() {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        if let Some((level, canonical)) = canonical_section_of(line) {
            match tasks_level {
                Some(open) if level > open => {}
                _ => {
                    tasks_level = (canonical == Some("Tasks")).then_some(level);
                }
            }
            continue;
        }
        if tasks_level.is_some() {
            out.push(n);
        }
    }
    out
}

/// Every task line of the Tasks section, in order.
pub fn spec_tasks(markdown: &str) -> Vec<SpecTask> {
    let lines: Vec<&str> = lines_of(markdown).collect();
    task_section_lines(markdown)
        .into_iter()
        .filter_map(|n| {
            let line = lines.get(n)?;
            let parts = item_parts(line)?;
            let rest = line.get(parts.text_at..).unwrap_or("");
            let (text, id) = split_id(rest.trim_end_matches(['\n', '\r']));
            Some(SpecTask {
                id: id.map(str::to_owned),
                mark: parts.mark,
                text: text.trim().to_owned(),
                line: n,
            })
        })
        .collect()
}

/// The number in an id of the form `s<N>`.
fn id_number(id: &str) -> Option<u64> {
    id.strip_prefix('s')?.parse().ok()
}

/// Gives every task line without an id (or with one an earlier line already has) the next free id `s<N>`,
/// numbering after every id in the text and in `reserved` (ids the session used before). Lines that have
/// an id are left byte for byte as they are.
pub fn with_task_ids<'a>(markdown: &str, reserved: impl IntoIterator<Item = &'a str>) -> String {
    let tasks = spec_tasks(markdown);
    let in_text = tasks
        .iter()
        .filter_map(|t| t.id.as_deref())
        .filter_map(id_number)
        .max();
    let mut next = reserved
        .into_iter()
        .filter_map(id_number)
        .max()
        .max(in_text)
        .unwrap_or(0);
    let mut seen = std::collections::HashSet::new();
    let mut rewrite: std::collections::HashMap<usize, String> = Default::default();
    for task in &tasks {
        let fresh = match &task.id {
            Some(id) => !seen.insert(id.clone()),
            None => true,
        };
        if fresh {
            next = next.saturating_add(1);
            let id = format!("s{next}");
            seen.insert(id.clone());
            rewrite.insert(task.line, id);
        }
    }
    if rewrite.is_empty() {
        return markdown.to_owned();
    }
    let mut out = String::with_capacity(markdown.len() + rewrite.len() * 12);
    for (n, line) in lines_of(markdown).enumerate() {
        match rewrite.get(&n) {
            Some(id) => {
                let ending_len = line.len() - line.trim_end_matches(['\n', '\r']).len();
                let (content, ending) = line.split_at(line.len() - ending_len);
                let (text, _) = split_id(content);
                out.push_str(text.trim_end());
                out.push_str(" <!-- ");
                out.push_str(id);
                out.push_str(" -->");
                out.push_str(ending);
            }
            None => out.push_str(line),
        }
    }
    out
}

/// The markdown with task `id`'s checkbox set to `mark`; every other byte unchanged.
pub fn set_mark(markdown: &str, id: &str, mark: TaskMark) -> Result<String, SpecTaskError> {
    let task = spec_tasks(markdown)
        .into_iter()
        .find(|t| t.id.as_deref() == Some(id))
        .ok_or_else(|| SpecTaskError::UnknownTask(id.to_owned()))?;
    let mut out = String::with_capacity(markdown.len());
    for (n, line) in lines_of(markdown).enumerate() {
        if n == task.line
            && let Some(parts) = item_parts(line)
        {
            out.push_str(line.get(..parts.mark_at).unwrap_or(""));
            out.push(mark.symbol());
            out.push_str(line.get(parts.mark_at + 1..).unwrap_or(""));
        } else {
            out.push_str(line);
        }
    }
    Ok(out)
}

/// The marks of the tasks that have ids.
pub fn marks(markdown: &str) -> std::collections::HashMap<String, TaskMark> {
    spec_tasks(markdown)
        .into_iter()
        .filter_map(|t| Some((t.id?, t.mark)))
        .collect()
}

/// Merges by line a hand edit made from revision `base` with what happened since (`current`): a task whose
/// mark changed between `base` and `current` (a run's tick) and that the edit left as it was in `base` takes
/// the `current` mark. Everything else is the edit's. So neither the edit nor the tick is lost.
pub fn merge_marks(base: &str, current: &str, edited: &str) -> String {
    let before = marks(base);
    let now = marks(current);
    let mut out = edited.to_owned();
    for task in spec_tasks(edited) {
        let Some(id) = task.id.as_deref() else {
            continue;
        };
        let (Some(was), Some(is)) = (before.get(id), now.get(id)) else {
            continue;
        };
        if was != is
            && task.mark == *was
            && let Ok(merged) = set_mark(&out, id, *is)
        {
            out = merged;
        }
    }
    out
}

/// Progress of a spec's tasks: (done, in progress, total).
pub fn progress(markdown: &str) -> (usize, usize, usize) {
    let tasks = spec_tasks(markdown);
    let done = tasks.iter().filter(|t| t.mark == TaskMark::Done).count();
    let running = tasks
        .iter()
        .filter(|t| t.mark == TaskMark::InProgress)
        .count();
    (done, running, tasks.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SPEC: &str = "## Goal\nx\n\n## Tasks\n- [ ] Implement: a <!-- s1 -->\n- [/] Implement: b\n\
        1. [x] Verify: c (depends on t1) <!-- s2 -->\n- plain\n\n## Acceptance Criteria\n- [ ] not a task\n";

    #[test]
    fn parses_marks_ids_and_lines() {
        let tasks = spec_tasks(SPEC);
        let got: Vec<(Option<&str>, TaskMark, &str, usize)> = tasks
            .iter()
            .map(|t| (t.id.as_deref(), t.mark, t.text.as_str(), t.line))
            .collect();
        assert_eq!(
            got,
            vec![
                (Some("s1"), TaskMark::Open, "Implement: a", 4),
                (None, TaskMark::InProgress, "Implement: b", 5),
                (Some("s2"), TaskMark::Done, "Verify: c (depends on t1)", 6),
            ]
        );
    }

    #[test]
    fn ids_are_added_after_the_highest_and_kept() {
        let with = with_task_ids(SPEC, ["s7"]);
        assert!(with.contains("- [/] Implement: b <!-- s8 -->\n"), "{with}");
        assert!(with.contains("- [ ] Implement: a <!-- s1 -->\n"));
        assert_eq!(
            with_task_ids(&with, []),
            with,
            "a second pass changes nothing"
        );
        let dup = "## Tasks\n- [ ] a <!-- s1 -->\n- [ ] b <!-- s1 -->\n";
        assert_eq!(
            with_task_ids(dup, []),
            "## Tasks\n- [ ] a <!-- s1 -->\n- [ ] b <!-- s2 -->\n"
        );
    }

    #[test]
    fn set_mark_rewrites_one_line_only() {
        let crlf = SPEC.replace('\n', "\r\n");
        let out = set_mark(&crlf, "s2", TaskMark::InProgress).unwrap();
        let changed: Vec<(&str, &str)> = crlf
            .split_inclusive('\n')
            .zip(out.split_inclusive('\n'))
            .filter(|(a, b)| a != b)
            .collect();
        assert_eq!(
            changed,
            vec![(
                "1. [x] Verify: c (depends on t1) <!-- s2 -->\r\n",
                "1. [/] Verify: c (depends on t1) <!-- s2 -->\r\n"
            )]
        );
        assert_eq!(
            set_mark(SPEC, "s9", TaskMark::Done),
            Err(SpecTaskError::UnknownTask("s9".into()))
        );
    }

    #[test]
    fn merge_keeps_the_edit_and_the_tick() {
        let base = "## Tasks\n- [ ] a <!-- s1 -->\n- [ ] b <!-- s2 -->\n";
        let ticked = set_mark(base, "s1", TaskMark::Done).unwrap();
        let edited = "## Tasks\n- [ ] a, reworded <!-- s1 -->\n- [x] b <!-- s2 -->\n- [ ] new\n";
        assert_eq!(
            merge_marks(base, &ticked, edited),
            "## Tasks\n- [x] a, reworded <!-- s1 -->\n- [x] b <!-- s2 -->\n- [ ] new\n"
        );
    }

    fn fragments() -> impl Strategy<Value = String> {
        let pieces = prop::sample::select(vec![
            "## Tasks\n",
            "# Tasks",
            "### Goal\n",
            "- [ ] ",
            "- [/]",
            "* [x] ",
            "1. [X] ",
            "12) [ ]",
            "[",
            "]",
            "<!-- s1 -->",
            "<!--",
            "-->",
            " <!-- s99999999999999999999 -->",
            "\n",
            "\r\n",
            "```\n",
            "é",
            "\u{2014}",
            " ",
            "\t",
            "text",
        ]);
        prop::collection::vec(
            prop_oneof![pieces.prop_map(str::to_owned), any::<String>()],
            0..40,
        )
        .prop_map(|v| v.concat())
    }

    proptest! {
        #[test]
        fn any_text_parses_without_panicking(md in fragments()) {
            let tasks = spec_tasks(&md);
            let ided = with_task_ids(&md, ["s3", "x"]);
            let again = spec_tasks(&ided);
            prop_assert_eq!(again.len(), tasks.len());
            prop_assert!(again.iter().all(|t| t.id.is_some()));
            for task in &again {
                if let Some(id) = &task.id {
                    let out = set_mark(&ided, id, TaskMark::InProgress);
                    prop_assert!(out.is_ok());
                    if let Ok(out) = out {
                        prop_assert_eq!(out.len(), ided.len());
                    }
                }
            }
            let _ = merge_marks(&md, &ided, &md);
            let _ = progress(&md);
            let _ = super::super::spec::planned_tasks(&md);
        }
    }
}
