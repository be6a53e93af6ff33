//! The model-backed coordinator: the same [`Coordinator`] shapes as the offline one, written by a model.
//!
//! The draft call sends the prompt and every context excerpt (path, line range, text) and asks for the six
//! sections of a spec with citations `path:start-end`; the streamed text is the draft, validated with
//! `model::spec` (no Tasks section or no checkbox items is a protocol error, never a silent fallback to
//! offline text). Each delegated task is one more call with the draft and the task; its answer is the
//! task's summary. The plan is derived from the draft's Goal and its task waves.

use std::fmt::Write as _;
use std::sync::Mutex;

use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;

use super::chat::{ChatClient, ChatRequest, limit};
use super::coordinator::{Coordinator, CoordinatorInput, CoordinatorOutput, TaskInput, TaskOutput};
use super::delta_sink::DeltaSink;
use super::error::ProviderError;
use super::usage::Usage;
use crate::model::spec::{planned_tasks, section_body, wave_lines};
use crate::model::{ContextItem, PlannedTask};

/// The longest excerpt sent per context item, and all excerpts together (characters).
const EXCERPT_LIMIT: usize = 4_000;
const CONTEXT_LIMIT: usize = 60_000;
/// The longest task summary kept.
const SUMMARY_LIMIT: usize = 4_000;
const DRAFT_MAX_TOKENS: u32 = 4_096;
const TASK_MAX_TOKENS: u32 = 2_048;

pub struct ChatCoordinator {
    client: ChatClient,
    provider: String,
    model: String,
    /// What failed calls cost (retries, time), handed to the run once it records the failure.
    failed: Mutex<Usage>,
}

impl ChatCoordinator {
    pub fn new(client: ChatClient) -> Self {
        let provider = client.endpoint().kind.as_str().to_owned();
        let model = client.endpoint().model.clone();
        Self {
            client,
            provider,
            model,
            failed: Mutex::new(Usage::default()),
        }
    }

    async fn call(
        &self,
        system: &str,
        user: &str,
        max_tokens: u32,
        deltas: &DeltaSink,
        cancel: &CancellationToken,
    ) -> Result<(String, Usage), ProviderError> {
        let request = ChatRequest {
            system,
            user,
            max_tokens,
        };
        let outcome = self.client.chat(&request, deltas, cancel).await;
        match outcome.result {
            Ok(text) => Ok((text, outcome.usage)),
            Err(e) => {
                self.count_failed(outcome.usage);
                Err(e)
            }
        }
    }

    fn count_failed(&self, usage: Usage) {
        if let Ok(mut failed) = self.failed.lock() {
            failed.add(usage);
        }
    }
}

impl Coordinator for ChatCoordinator {
    fn provider_name(&self) -> &str {
        &self.provider
    }

    fn model_name(&self) -> &str {
        &self.model
    }

    fn draft<'a>(
        &'a self,
        input: &'a CoordinatorInput,
        deltas: DeltaSink,
        cancel: &'a CancellationToken,
    ) -> BoxFuture<'a, Result<CoordinatorOutput, ProviderError>> {
        Box::pin(async move {
            let user = draft_message(input);
            let (text, usage) = self
                .call(DRAFT_SYSTEM, &user, DRAFT_MAX_TOKENS, &deltas, cancel)
                .await?;
            let draft = format!("{}\n", text.trim());
            let tasks = match planned_tasks(&draft) {
                Ok(tasks) => tasks,
                Err(e) => {
                    self.count_failed(usage);
                    return Err(ProviderError::Protocol {
                        message: format!(
                            "the model's spec draft has no usable task list: {e}; the answer was not used"
                        ),
                    });
                }
            };
            Ok(CoordinatorOutput {
                plan: plan(&draft, &tasks, input),
                draft,
                usage,
            })
        })
    }

    fn execute_task<'a>(
        &'a self,
        input: &'a TaskInput,
        deltas: DeltaSink,
        cancel: &'a CancellationToken,
    ) -> BoxFuture<'a, Result<TaskOutput, ProviderError>> {
        Box::pin(async move {
            let system = task_system(input);
            let user = task_message(input);
            let (text, usage) = self
                .call(&system, &user, TASK_MAX_TOKENS, &deltas, cancel)
                .await?;
            let summary = limit(text.trim(), SUMMARY_LIMIT);
            if summary.is_empty() {
                self.count_failed(usage);
                return Err(ProviderError::Protocol {
                    message: format!("the model answered task {} with no text", input.task.id),
                });
            }
            Ok(TaskOutput { summary, usage })
        })
    }

    fn take_failed_usage(&self) -> Usage {
        self.failed
            .lock()
            .map(|mut f| std::mem::take(&mut *f))
            .unwrap_or_default()
    }
}

const DRAFT_SYSTEM: &str = "You are the coordinator of a team of coding agents. Write a spec for the user's \
request, grounded in the context excerpts you are given.

Answer with the spec only, in Markdown, with exactly these six `##` sections in this order: Goal, Tasks, \
Acceptance Criteria, Non-goals, Assumptions, Verification Plan.

Under Tasks write one checkbox line per delegated task, numbered t1, t2, ... in order, each starting with \
`Implement:`, `Debug:` or `Verify:`, for example:
- [ ] Implement: add retries to `src/http.rs` (lines 10-42)
- [ ] Verify: run the http client tests (depends on t1)
State dependencies as `(depends on t1, t2)`. End with a Verify task that depends on the others.

Cite the excerpts you rely on as `path:start-end` (for example `src/http.rs:10-42`). Do not invent files.

When you are given the session's current spec, this request is a follow-up: refine that spec rather than \
starting over. Keep its sections and its task lines, each with its `<!-- sN -->` comment and its mark \
(`[x]` done, `[/]` in progress) exactly as they are; add the new request to the goal, add new task lines \
(without a comment) at the end of Tasks, numbered after the existing lines, and add its acceptance criteria.";

/// The draft request: the session's earlier turns and current spec (for a follow-up), the prompt, then each
/// excerpt with its path and line range, best first.
pub(crate) fn draft_message(input: &CoordinatorInput) -> String {
    let mut out = String::new();
    write_session(&mut out, input);
    let _ = writeln!(out, "Request: {}\n", input.prompt.trim());
    let _ = writeln!(out, "Repository: {}", input.space_name);
    let mut items: Vec<&ContextItem> = input.items.iter().collect();
    items.sort_by_key(|i| i.rank);
    if items.is_empty() {
        let _ = writeln!(
            out,
            "\nNo context was retrieved for this request; say so under Assumptions."
        );
        return out;
    }
    let _ = writeln!(
        out,
        "Context: {} excerpt{} retrieved by the {} context provider, best first.\n",
        items.len(),
        if items.len() == 1 { "" } else { "s" },
        input.context_provider
    );
    write_excerpts(&mut out, &items);
    out
}

/// The conversation so far: earlier prompts with what their runs produced, and the spec to refine.
fn write_session(out: &mut String, input: &CoordinatorInput) {
    if !input.turns.is_empty() || input.turns_left_out > 0 {
        let _ = writeln!(out, "Earlier turns of this session, oldest first:");
        if input.turns_left_out > 0 {
            let _ = writeln!(
                out,
                "({} older turn{} left out for length.)",
                input.turns_left_out,
                if input.turns_left_out == 1 { "" } else { "s" }
            );
        }
        for (n, turn) in input.turns.iter().enumerate() {
            let _ = writeln!(
                out,
                "{}. Prompt: {}\n   Result: {}",
                n + 1,
                turn.prompt.trim(),
                turn.outcome.trim()
            );
        }
        let _ = writeln!(out);
    }
    if !input.spec.trim().is_empty() {
        let _ = writeln!(
            out,
            "Current spec of the session (refine it):\n<spec>\n{}\n</spec>\n",
            limit(input.spec.trim(), CONTEXT_LIMIT / 2)
        );
    }
    if let Some(task) = &input.focus_task {
        let _ = writeln!(
            out,
            "This run is for task {task} of the spec alone: answer with the spec unchanged.\n"
        );
    }
}

fn write_excerpts(out: &mut String, items: &[&ContextItem]) {
    let mut budget = CONTEXT_LIMIT;
    for (n, item) in items.iter().enumerate() {
        let excerpt = limit(&item.excerpt, EXCERPT_LIMIT.min(budget));
        budget = budget.saturating_sub(excerpt.len());
        let _ = writeln!(
            out,
            "[{}] `{}:{}-{}`\n```\n{}\n```\n",
            n + 1,
            item.path,
            item.start_line,
            item.end_line,
            excerpt.trim_end()
        );
        if budget == 0 {
            let _ = writeln!(
                out,
                "({} more excerpts left out for length.)",
                items.len() - n - 1
            );
            break;
        }
    }
}

fn task_system(input: &TaskInput) -> String {
    format!(
        "You are the {} of a team of coding agents, given one task of a spec. Carry it out as far as you can \
         by reasoning over the spec and the excerpts; you cannot run commands or edit files in this step. \
         Answer with a short report (at most 250 words): what you did or would change, where (`path:start-end`), \
         and how it is verified.",
        input.task.kind.specialist()
    )
}

/// The task request: the spec, the task, what its dependencies reported, and the excerpts it names.
pub(crate) fn task_message(input: &TaskInput) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Request: {}\n", input.prompt.trim());
    let _ = writeln!(out, "Spec:\n{}\n", input.draft.trim());
    let _ = writeln!(
        out,
        "Your task ({}, {}): {}\n",
        input.task.id,
        input.task.kind.specialist(),
        input.task.title
    );
    for (id, summary) in &input.dependency_summaries {
        let _ = writeln!(out, "Task {id} reported: {}\n", summary.trim());
    }
    let named: Vec<&ContextItem> = {
        let mut items: Vec<&ContextItem> = input
            .items
            .iter()
            .filter(|i| input.task.title.contains(i.path.as_str()))
            .collect();
        if items.is_empty() {
            items = input.items.iter().collect();
        }
        items.sort_by_key(|i| i.rank);
        items.truncate(5);
        items
    };
    if !named.is_empty() {
        let _ = writeln!(out, "Relevant excerpts:\n");
        write_excerpts(&mut out, &named);
    }
    out
}

/// A short plan: the Goal's first line, then the waves of the task list.
fn plan(draft: &str, tasks: &[PlannedTask], input: &CoordinatorInput) -> String {
    let goal = section_body(draft, "Goal")
        .and_then(|b| b.lines().map(str::trim).find(|l| !l.is_empty()))
        .map(|l| limit(l, 200))
        .unwrap_or_else(|| limit(input.prompt.trim(), 200));
    let mut plan = String::new();
    let _ = writeln!(plan, "1. Goal: {goal}");
    let _ = writeln!(
        plan,
        "2. Spec drafted by the model from {} excerpt{}.",
        input.items.len(),
        if input.items.len() == 1 { "" } else { "s" }
    );
    for (n, line) in wave_lines(tasks).iter().enumerate() {
        let _ = writeln!(plan, "{}. {line}.", n + 3);
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(path: &str, rank: u32) -> ContextItem {
        ContextItem {
            path: path.into(),
            start_line: 3,
            end_line: 9,
            content_hash: "h".into(),
            score: 1.0,
            rank,
            excerpt: format!("fn in_{rank}() {{}}\n"),
        }
    }

    fn input() -> CoordinatorInput {
        CoordinatorInput {
            turns: Vec::new(),
            turns_left_out: 0,
            spec: String::new(),
            focus_task: None,
            prompt: "add retry".into(),
            space_name: "demo".into(),
            items: vec![item("src/b.rs", 2), item("src/a.rs", 1)],
            context_provider: "filesystem".into(),
        }
    }

    #[test]
    fn draft_message_sends_excerpts_with_paths_and_lines_in_rank_order() {
        let m = draft_message(&input());
        let a = m.find("[1] `src/a.rs:3-9`").unwrap();
        let b = m.find("[2] `src/b.rs:3-9`").unwrap();
        assert!(a < b, "{m}");
        assert!(m.contains("fn in_1() {}"));
        assert!(m.starts_with("Request: add retry"));
    }

    #[test]
    fn plan_names_the_goal_and_waves() {
        let draft = "## Goal\nRetry GETs.\n## Tasks\n- [ ] Implement: x in `src/a.rs`\n- [ ] Verify: y (depends on t1)\n";
        let tasks = planned_tasks(draft).unwrap();
        let p = plan(draft, &tasks, &input());
        assert_eq!(
            p,
            "1. Goal: Retry GETs.\n2. Spec drafted by the model from 2 excerpts.\n3. Wave 1: t1 (implementor): x in `src/a.rs`.\n4. Wave 2: t2 (verifier): y.\n"
        );
    }
}
