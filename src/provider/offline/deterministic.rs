//! The offline coordinator: deterministic, no network, the embedded default.
//!
//! The plan, draft and task summaries are pure functions of the prompt and the context items (paths, lines,
//! hashes, excerpts), so the same prompt over the same files gives the same output byte for byte. It does not
//! edit files: implement tasks outline the change they ground; the verify task performs real checks (the
//! spec's sections, the reports of the tasks it depends on, and whether the sources still hash the same).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;

use crate::model::spec::{append_to_section, missing_sections, tasks_to_run, wave_lines};
use crate::model::spec_task::spec_tasks;
use crate::model::{ContextItem, TaskKind};
use crate::provider::cancel::cancellable_sleep;
use crate::provider::coordinator::{
    Coordinator, CoordinatorInput, CoordinatorOutput, TaskInput, TaskOutput,
};
use crate::provider::delta_sink::DeltaSink;
use crate::provider::error::ProviderError;
use crate::provider::usage::Usage;

/// Model name recorded for offline runs.
pub const OFFLINE_MODEL: &str = "offline-deterministic-1";

/// How many files get an implement task of their own.
const MAX_TARGET_FILES: usize = 3;

pub struct OfflineCoordinator {
    step: Duration,
    model: String,
}

impl OfflineCoordinator {
    pub fn new(step: Duration, model: Option<&str>) -> Self {
        Self {
            step,
            model: model.unwrap_or(OFFLINE_MODEL).to_owned(),
        }
    }
}

impl Coordinator for OfflineCoordinator {
    fn provider_name(&self) -> &str {
        "offline"
    }

    fn model_name(&self) -> &str {
        &self.model
    }

    fn draft<'a>(
        &'a self,
        input: &'a CoordinatorInput,
        _deltas: DeltaSink,
        cancel: &'a CancellationToken,
    ) -> BoxFuture<'a, Result<CoordinatorOutput, ProviderError>> {
        Box::pin(async move {
            cancellable_sleep(self.step, cancel).await?;
            let draft = follow_up_draft(input).unwrap_or_else(|| draft_spec(input));
            let plan = plan_from_draft(input, &draft)?;
            Ok(CoordinatorOutput {
                plan,
                draft,
                usage: Usage::default(),
            })
        })
    }

    fn execute_task<'a>(
        &'a self,
        input: &'a TaskInput,
        _deltas: DeltaSink,
        cancel: &'a CancellationToken,
    ) -> BoxFuture<'a, Result<TaskOutput, ProviderError>> {
        Box::pin(async move {
            cancellable_sleep(self.step, cancel).await?;
            let summary = match input.task.kind {
                TaskKind::Implement | TaskKind::Debug => outline_change(input),
                TaskKind::Verify => verify(input).await?,
            };
            Ok(TaskOutput {
                summary,
                usage: Usage::default(),
            })
        })
    }
}

/// The prompt as one line, safe to place at the start of a markdown line.
fn topic(prompt: &str) -> String {
    let words: Vec<&str> = prompt.split_whitespace().collect();
    let mut text = words.join(" ");
    while text.ends_with(['.', '!', '?', ':', ';']) {
        text.pop();
    }
    let mut chars = text.chars();
    let mut out = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
        None => "Untitled change".to_owned(),
    };
    if out.starts_with(['#', '>', '-', '*', '+', '|', '=']) {
        out.insert(0, '\\');
    }
    out
}

/// Files in rank order, each with its items in rank order.
fn files(items: &[ContextItem]) -> Vec<(&str, Vec<&ContextItem>)> {
    let mut order: Vec<&str> = Vec::new();
    let mut by_path: BTreeMap<&str, Vec<&ContextItem>> = BTreeMap::new();
    let mut sorted: Vec<&ContextItem> = items.iter().collect();
    sorted.sort_by_key(|i| i.rank);
    for item in sorted {
        let entry = by_path.entry(item.path.as_str()).or_default();
        if entry.is_empty() {
            order.push(item.path.as_str());
        }
        entry.push(item);
    }
    order
        .into_iter()
        .map(|p| (p, by_path.remove(p).unwrap_or_default()))
        .collect()
}

/// Files that get an implement task of their own: the best file, then up to two more whose best excerpt
/// scores at least half as well. Prose (README, docs) only leads when it is the best match.
fn target_files<'f, 'i>(
    files: &'f [(&'i str, Vec<&'i ContextItem>)],
) -> Vec<&'f (&'i str, Vec<&'i ContextItem>)> {
    let best = |items: &[&ContextItem]| items.first().map_or(0.0, |i| i.score);
    let Some(top) = files.first() else {
        return Vec::new();
    };
    let floor = best(&top.1) * 0.5;
    let is_prose = |path: &str| {
        matches!(
            Path::new(path).extension().and_then(|e| e.to_str()),
            Some("md" | "markdown" | "txt" | "rst" | "adoc")
        )
    };
    std::iter::once(top)
        .chain(
            files
                .iter()
                .skip(1)
                .filter(|(path, items)| best(items) >= floor && !is_prose(path)),
        )
        .take(MAX_TARGET_FILES)
        .collect()
}

/// The project's test command, guessed from the kind of files retrieved.
fn test_command(items: &[ContextItem]) -> &'static str {
    let mut sorted: Vec<&ContextItem> = items.iter().collect();
    sorted.sort_by_key(|i| i.rank);
    for item in sorted {
        let ext = Path::new(&item.path)
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("");
        let cmd = match ext {
            "rs" => "cargo test",
            "ts" | "tsx" | "js" | "jsx" | "mjs" => "npm test",
            "py" => "pytest",
            "go" => "go test ./...",
            "java" | "kt" => "mvn test",
            "rb" => "bundle exec rake test",
            "c" | "h" | "cc" | "cpp" | "hpp" => "make test",
            _ => continue,
        };
        return cmd;
    }
    "the project's test command"
}

/// Names defined in an excerpt (`fn x`, `def x`, `class X`, ...), in order of appearance.
fn definitions(excerpt: &str) -> Vec<String> {
    const KEYWORDS: [&str; 12] = [
        "fn",
        "def",
        "class",
        "struct",
        "enum",
        "trait",
        "impl",
        "interface",
        "function",
        "type",
        "func",
        "module",
    ];
    let mut out: Vec<String> = Vec::new();
    for line in excerpt.lines() {
        let tokens: Vec<&str> = line
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|t| !t.is_empty())
            .collect();
        for pair in tokens.windows(2) {
            if let [kw, name] = pair
                && KEYWORDS.contains(kw)
                && name
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_alphabetic() || c == '_')
                && !KEYWORDS.contains(name)
                && !out.iter().any(|o| o == name)
            {
                out.push((*name).to_owned());
            }
        }
    }
    out
}

fn span(item: &ContextItem) -> String {
    format!("{}-{}", item.start_line, item.end_line)
}

fn short_hash(hash: &str) -> &str {
    hash.get(..8).unwrap_or(hash)
}

/// What the draft's sections are written from: the topic, the ranked items, their files and the targets.
struct DraftFacts<'i> {
    input: &'i CoordinatorInput,
    topic: String,
    ranked: Vec<&'i ContextItem>,
    files: Vec<(&'i str, Vec<&'i ContextItem>)>,
    test_cmd: &'static str,
}

impl<'i> DraftFacts<'i> {
    fn new(input: &'i CoordinatorInput) -> Self {
        let mut ranked: Vec<&ContextItem> = input.items.iter().collect();
        ranked.sort_by_key(|i| i.rank);
        Self {
            input,
            topic: topic(&input.prompt),
            ranked,
            files: files(&input.items),
            test_cmd: test_command(&input.items),
        }
    }

    fn targets(&self) -> Vec<&(&'i str, Vec<&'i ContextItem>)> {
        target_files(&self.files)
    }

    /// The 1-based citation number of `item` (its place in rank order).
    fn cite(&self, item: &ContextItem) -> usize {
        self.ranked
            .iter()
            .position(|r| std::ptr::eq(*r, item))
            .map_or(0, |p| p + 1)
    }
}

/// The spec draft for the prompt, grounded in the items.
pub fn draft_spec(input: &CoordinatorInput) -> String {
    let facts = DraftFacts::new(input);
    let mut md = String::new();
    let _ = writeln!(md, "# Spec: {}\n", facts.topic);
    write_goal(&mut md, &facts);
    write_tasks(&mut md, &facts);
    write_acceptance(&mut md, &facts);
    write_non_goals(&mut md);
    write_assumptions(&mut md, &facts);
    write_verification(&mut md, &facts);
    write_sources(&mut md, &facts);
    md
}

/// A follow-up's draft: the spec it refines with the new request added (a line under Goal, an implement
/// task and its verification at the end of Tasks, a criterion), every other line as it was. A run for one
/// spec task keeps the spec as it is. `None` when there is no spec with the six sections to refine.
pub fn follow_up_draft(input: &CoordinatorInput) -> Option<String> {
    let spec = input.spec.as_str();
    if spec.trim().is_empty() || !missing_sections(spec).is_empty() {
        return None;
    }
    if input.focus_task.is_some() {
        return Some(spec.to_owned());
    }
    let facts = DraftFacts::new(input);
    let topic = &facts.topic;
    let targets = facts.targets();
    let first = targets
        .first()
        .and_then(|(path, items)| Some((*path, *items.first()?)));
    let place = first.map_or_else(String::new, |(path, best)| {
        format!(" in `{path}` (lines {})", span(best))
    });
    let next = spec_tasks(spec).len() + 1;
    let tasks = [
        format!("- [ ] Implement: {topic}{place}"),
        format!(
            "- [ ] Verify: check that {} works and run `{}` (depends on t{next})",
            lower_first(topic),
            facts.test_cmd
        ),
    ];
    let goal = [String::new(), format!("Follow-up: {topic}.")];
    let criterion = [format!("- {topic} is done{place}.")];
    let md = append_to_section(spec, "Goal", &goal)?;
    let md = append_to_section(&md, "Tasks", &tasks)?;
    append_to_section(&md, "Acceptance Criteria", &criterion)
}

/// The topic as it reads inside a sentence.
fn lower_first(topic: &str) -> String {
    let mut chars = topic.chars();
    match chars.next() {
        Some(first) if !topic.starts_with('\\') => first.to_lowercase().chain(chars).collect(),
        _ => topic.to_owned(),
    }
}

fn write_goal(md: &mut String, facts: &DraftFacts<'_>) {
    let topic = &facts.topic;
    let input = facts.input;
    let targets = facts.targets();
    let _ = writeln!(md, "## Goal\n{topic}.\n");
    if targets.is_empty() {
        let _ = writeln!(
            md,
            "No context was retrieved from `{}` for this prompt, so the tasks below are not tied to files yet.\n",
            input.space_name
        );
        return;
    }
    let where_: Vec<String> = targets
        .iter()
        .filter_map(|(path, items)| {
            items
                .first()
                .map(|i| format!("`{path}` (lines {})", span(i)))
        })
        .collect();
    let _ = writeln!(
        md,
        "Grounded in {} excerpt{} from {} file{} of `{}`, retrieved by the {} context provider. The most relevant code is in {}.\n",
        input.items.len(),
        plural(input.items.len()),
        facts.files.len(),
        plural(facts.files.len()),
        input.space_name,
        input.context_provider,
        where_.join(", ")
    );
}

fn write_tasks(md: &mut String, facts: &DraftFacts<'_>) {
    let topic = &facts.topic;
    let targets = facts.targets();
    let _ = writeln!(md, "## Tasks");
    let mut implement_ids = Vec::new();
    if targets.is_empty() {
        let _ = writeln!(md, "- [ ] Implement: {topic}");
        implement_ids.push("t1".to_owned());
    }
    for (n, (path, items)) in targets.iter().enumerate() {
        let Some(best) = items.first() else { continue };
        if n == 0 {
            let _ = writeln!(
                md,
                "- [ ] Implement: {topic} in `{path}` (lines {}) [{}]",
                span(best),
                facts.cite(best)
            );
        } else {
            let _ = writeln!(
                md,
                "- [ ] Implement: adapt `{path}` (lines {}) to the change [{}]",
                span(best),
                facts.cite(best)
            );
        }
        implement_ids.push(format!("t{}", n + 1));
    }
    let _ = writeln!(
        md,
        "- [ ] Verify: check every acceptance criterion and run `{}` (depends on {})\n",
        facts.test_cmd,
        implement_ids.join(", ")
    );
}

fn write_acceptance(md: &mut String, facts: &DraftFacts<'_>) {
    let topic = &facts.topic;
    let targets = facts.targets();
    let _ = writeln!(md, "## Acceptance Criteria");
    match targets.split_first() {
        Some(((first, _), rest)) if !rest.is_empty() => {
            let others: Vec<String> = rest.iter().map(|(p, _)| format!("`{p}`")).collect();
            let _ = writeln!(
                md,
                "- {topic} is done in `{first}`, and {} stay{} consistent with it.",
                others.join(", "),
                if others.len() == 1 { "s" } else { "" }
            );
        }
        Some(((first, _), _)) => {
            let _ = writeln!(md, "- {topic} is done in `{first}`.");
        }
        None => {
            let _ = writeln!(md, "- {topic} is done.");
        }
    }
    let _ = writeln!(
        md,
        "- Behaviour outside the goal is unchanged and the existing tests pass (`{}`).",
        facts.test_cmd
    );
    let _ = writeln!(md, "- The new behaviour is covered by at least one test.");
    let _ = writeln!(md, "- Every changed line traces back to a task above.\n");
}

fn write_non_goals(md: &mut String) {
    let _ = writeln!(md, "## Non-goals");
    let _ = writeln!(md, "- Refactoring code the goal does not touch.");
    let _ = writeln!(
        md,
        "- Changing public interfaces beyond what the goal requires."
    );
    let _ = writeln!(md, "- Upgrading dependencies or tooling.\n");
}

fn write_assumptions(md: &mut String, facts: &DraftFacts<'_>) {
    let _ = writeln!(md, "## Assumptions");
    if !facts.ranked.is_empty() {
        let _ = writeln!(
            md,
            "- The excerpts under Sources are the current code: each is pinned to the blake3 hash of its file at retrieval, and this draft goes stale when one of them changes."
        );
    }
    for (path, items) in facts.targets() {
        let defs: Vec<String> = items
            .iter()
            .flat_map(|i| definitions(&i.excerpt))
            .take(3)
            .map(|d| format!("`{d}`"))
            .collect();
        if !defs.is_empty() {
            let _ = writeln!(md, "- `{path}` holds {} for this change.", defs.join(", "));
        }
    }
    let _ = writeln!(
        md,
        "- The project builds and its tests pass before the change.\n"
    );
}

fn write_verification(md: &mut String, facts: &DraftFacts<'_>) {
    let _ = writeln!(md, "## Verification Plan");
    let mut step = 1;
    for (path, items) in facts.targets() {
        if let Some(best) = items.first() {
            let _ = writeln!(
                md,
                "{step}. Re-read `{path}:{}` and confirm the change there serves the goal.",
                span(best)
            );
            step += 1;
        }
    }
    let _ = writeln!(
        md,
        "{step}. Run `{}` and confirm nothing regressed.",
        facts.test_cmd
    );
    let _ = writeln!(
        md,
        "{}. Check each acceptance criterion and record the evidence in the verify task's summary.",
        step + 1
    );
}

fn write_sources(md: &mut String, facts: &DraftFacts<'_>) {
    if facts.ranked.is_empty() {
        return;
    }
    let _ = writeln!(md, "\n## Sources");
    for (n, item) in facts.ranked.iter().enumerate() {
        let _ = writeln!(
            md,
            "{}. `{}:{}` · score {:.4} · blake3 {}",
            n + 1,
            item.path,
            span(item),
            item.score,
            short_hash(&item.content_hash)
        );
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The coordinator's plan: grounding, drafting, then the waves of the draft's task list.
fn plan_from_draft(input: &CoordinatorInput, draft: &str) -> Result<String, ProviderError> {
    let tasks = match &input.focus_task {
        Some(id) => spec_tasks(draft)
            .into_iter()
            .filter(|t| t.id.as_deref() == Some(id.as_str()))
            .map(|t| crate::model::PlannedTask {
                id: crate::model::TaskId::numbered(1),
                kind: TaskKind::Implement,
                title: format!("{} ({id})", t.text),
                wave: 1,
                depends_on: Vec::new(),
                round: 1,
                spec_task: Some(id.clone()),
            })
            .collect(),
        None => tasks_to_run(draft).map_err(|e| ProviderError::Protocol {
            message: format!("offline draft has no usable task list: {e}"),
        })?,
    };
    let file_count = files(&input.items).len();
    let mut plan = String::new();
    let _ = writeln!(
        plan,
        "1. Ground the work in {} excerpt{} from {} file{} ({} context).",
        input.items.len(),
        plural(input.items.len()),
        file_count,
        plural(file_count),
        input.context_provider
    );
    if input.focus_task.is_some() {
        let _ = writeln!(
            plan,
            "2. Keep the spec as it is: this run is for one of its tasks."
        );
    } else if input.spec.trim().is_empty() {
        let _ = writeln!(
            plan,
            "2. Draft the spec: goal, tasks, acceptance criteria, non-goals, assumptions, verification plan."
        );
    } else {
        let _ = writeln!(
            plan,
            "2. Refine the session's spec ({} earlier turn{}): add the new request to its goal, tasks and acceptance criteria.",
            input.turns.len() + input.turns_left_out,
            plural(input.turns.len() + input.turns_left_out)
        );
    }
    for (n, line) in wave_lines(&tasks).iter().enumerate() {
        let _ = writeln!(plan, "{}. {line}.", n + 3);
    }
    Ok(plan)
}

/// Paths named in backticks in a task title.
fn paths_in(title: &str) -> Vec<&str> {
    title
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|s| !s.is_empty())
        .collect()
}

fn outline_change(input: &TaskInput) -> String {
    let topic = topic(&input.prompt);
    let named = paths_in(&input.task.title);
    let mut relevant: Vec<&ContextItem> = input
        .items
        .iter()
        .filter(|i| named.contains(&i.path.as_str()))
        .collect();
    relevant.sort_by_key(|i| i.rank);
    let Some(best) = relevant.first() else {
        return format!(
            "Outlined the change for: {topic}. No excerpt grounds this task, so it names no file. \
             The offline provider does not edit files; a model provider carries the change out."
        );
    };
    let defs: Vec<String> = relevant
        .iter()
        .flat_map(|i| definitions(&i.excerpt))
        .take(4)
        .map(|d| format!("`{d}`"))
        .collect();
    let mut out = format!(
        "Outlined the change for `{}` (lines {}) toward the goal: {topic}.",
        best.path,
        span(best)
    );
    if !defs.is_empty() {
        let _ = write!(out, " In scope: {}.", defs.join(", "));
    }
    let _ = write!(
        out,
        " Grounded in `{}:{}` (blake3 {}). The offline provider does not edit files; a model provider carries the change out.",
        best.path,
        span(best),
        short_hash(&best.content_hash)
    );
    out
}

/// Real checks the offline verifier can make without running anything.
async fn verify(input: &TaskInput) -> Result<String, ProviderError> {
    let missing = missing_sections(&input.draft);
    let reported = input
        .dependency_summaries
        .iter()
        .filter(|(_, s)| !s.trim().is_empty())
        .count();
    let expected = input.task.depends_on.len();
    let root = input.root.clone();
    let sources: Vec<(String, String)> = {
        let mut s: Vec<(String, String)> = input
            .items
            .iter()
            .map(|i| (i.path.clone(), i.content_hash.clone()))
            .collect();
        s.sort();
        s.dedup();
        s
    };
    let changed = tokio::task::spawn_blocking(move || {
        sources
            .into_iter()
            .filter(|(path, hash)| {
                std::fs::read(root.join(path))
                    .map(|bytes| blake3::hash(&bytes).to_hex().as_str() != hash)
                    .unwrap_or(true)
            })
            .map(|(path, _)| path)
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| ProviderError::Protocol {
        message: format!("verifier check failed to run: {e}"),
    })?;

    if !missing.is_empty() || reported < expected {
        let mut problems = Vec::new();
        if !missing.is_empty() {
            problems.push(format!("the spec lacks {}", missing.join(", ")));
        }
        if reported < expected {
            problems.push(format!(
                "{reported} of {expected} tasks it depends on reported a result"
            ));
        }
        return Err(ProviderError::Protocol {
            message: format!("verification failed: {}", problems.join("; ")),
        });
    }
    let total_sources = input
        .items
        .iter()
        .map(|i| i.path.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let mut out = format!(
        "Checked: the spec has all 6 sections; {reported} of {expected} tasks it depends on reported a result; {} of {} source{} unchanged since retrieval.",
        total_sources - changed.len(),
        total_sources,
        plural(total_sources)
    );
    if !changed.is_empty() {
        let list: Vec<String> = changed.iter().map(|p| format!("`{p}`")).collect();
        let _ = write!(out, " Changed since retrieval: {}.", list.join(", "));
    }
    let _ = write!(
        out,
        " Next: run `{}` in the worktree.",
        test_command(&input.items)
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(path: &str, start: u32, end: u32, rank: u32, excerpt: &str) -> ContextItem {
        ContextItem {
            path: path.into(),
            start_line: start,
            end_line: end,
            content_hash: blake3::hash(path.as_bytes()).to_hex().to_string(),
            score: 4.0 / f64::from(rank),
            rank,
            excerpt: excerpt.into(),
        }
    }

    fn input(items: Vec<ContextItem>) -> CoordinatorInput {
        CoordinatorInput {
            turns: Vec::new(),
            turns_left_out: 0,
            spec: String::new(),
            focus_task: None,
            prompt: "add retry to the http client".into(),
            space_name: "demo".into(),
            items,
            context_provider: "filesystem".into(),
        }
    }

    #[test]
    fn draft_has_all_sections_and_parses_into_waves() {
        use crate::model::spec::planned_tasks;
        let items = vec![
            item("src/http.rs", 1, 20, 1, "pub fn get(url: &str) {}\n"),
            item("src/api.rs", 5, 9, 2, "struct Api;\n"),
            item("src/http.rs", 30, 40, 3, ""),
        ];
        let draft = draft_spec(&input(items));
        assert!(missing_sections(&draft).is_empty(), "{draft}");
        let tasks = planned_tasks(&draft).unwrap();
        let shape: Vec<_> = tasks
            .iter()
            .map(|t| (t.kind, t.wave, t.depends_on.len()))
            .collect();
        assert_eq!(
            shape,
            vec![
                (TaskKind::Implement, 1, 0),
                (TaskKind::Implement, 1, 0),
                (TaskKind::Verify, 2, 2)
            ]
        );
        assert!(draft.contains("`src/http.rs` (lines 1-20) [1]"), "{draft}");
        assert!(draft.contains("`src/http.rs` holds `get`"), "{draft}");
        assert!(draft.contains("run `cargo test`"), "{draft}");
    }

    #[test]
    fn same_input_same_bytes() {
        let items = vec![item("a.py", 1, 3, 1, "def f(): pass\n")];
        assert_eq!(draft_spec(&input(items.clone())), draft_spec(&input(items)));
    }

    #[test]
    fn empty_context_still_gives_a_two_wave_spec() {
        use crate::model::spec::planned_tasks;
        let draft = draft_spec(&input(Vec::new()));
        assert!(missing_sections(&draft).is_empty());
        let tasks = planned_tasks(&draft).unwrap();
        assert_eq!(tasks.len(), 2);
        assert_eq!(tasks[1].wave, 2);
    }

    #[test]
    fn a_follow_up_refines_the_spec_byte_stably() {
        use crate::model::spec::{planned_tasks, sections};
        use crate::model::spec_task::{TaskMark, set_mark, with_task_ids};
        let items = vec![item("src/http.rs", 1, 20, 1, "pub fn get(url: &str) {}\n")];
        let first = with_task_ids(&draft_spec(&input(items.clone())), []);
        let first = set_mark(&first, "s1", TaskMark::Done).unwrap();
        let first = set_mark(&first, "s2", TaskMark::Done).unwrap();
        let mut follow = input(items);
        follow.prompt = "now also handle timeouts".into();
        follow.spec = first.clone();
        let second = follow_up_draft(&follow).unwrap();
        assert_eq!(follow_up_draft(&follow).as_deref(), Some(second.as_str()));
        let heads = |md: &str| -> Vec<String> {
            sections(md).iter().map(|s| s.heading.to_owned()).collect()
        };
        assert_eq!(heads(&second), heads(&first), "same sections");
        // Every line of the first draft is still there, in order; the new request is added.
        let mut rest = second.lines();
        for line in first.lines() {
            assert!(rest.any(|l| l == line), "{line:?} kept in\n{second}");
        }
        assert!(
            second.contains("Follow-up: Now also handle timeouts."),
            "{second}"
        );
        assert!(
            second.contains(
                "- [ ] Implement: Now also handle timeouts in `src/http.rs` (lines 1-20)"
            )
        );
        assert!(second.contains("- [ ] Verify: check that now also handle timeouts works and run `cargo test` (depends on t3)"));
        assert_eq!(planned_tasks(&second).unwrap().len(), 4);
        let to_run = tasks_to_run(&second).unwrap();
        let shape: Vec<(String, u32, Vec<String>)> = to_run
            .iter()
            .map(|t| {
                (
                    t.id.to_string(),
                    t.wave,
                    t.depends_on.iter().map(ToString::to_string).collect(),
                )
            })
            .collect();
        assert_eq!(
            shape,
            vec![
                ("t3".into(), 1, vec![]),
                ("t4".into(), 2, vec!["t3".into()])
            ]
        );
        let mut focused = follow.clone();
        focused.focus_task = Some("s1".into());
        assert_eq!(follow_up_draft(&focused), Some(first));
    }

    #[test]
    fn prompts_cannot_inject_headings() {
        assert_eq!(topic("## Tasks\nrm -rf"), "\\## Tasks rm -rf");
        assert_eq!(topic("  fix it. "), "Fix it");
    }
}
