//! What the drafts take from a session's spec: the goal, the tasks with how far each got, the acceptance
//! criteria and the verification plan. Built on the spec parser in `model::spec`, so tasks are numbered
//! (`t1`, `t2`, ...) exactly as the runs number them.

use serde::{Deserialize, Serialize};

use crate::model::spec::{planned_tasks, section_body};
use crate::model::{TaskId, TaskKind, TaskRecord, TaskStatus};

/// A task as a run recorded it: what the caller fills from the store for the drafts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedTask {
    pub id: TaskId,
    pub kind: TaskKind,
    pub title: String,
    pub status: TaskStatus,
    /// The specialist's summary (a verifier's says what it ran and what it saw).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
}

impl From<&TaskRecord> for RecordedTask {
    fn from(task: &TaskRecord) -> Self {
        Self {
            id: task.id.clone(),
            kind: task.kind,
            title: task.title.clone(),
            status: task.status,
            summary: task.summary.clone(),
        }
    }
}

/// One task of the spec and how far it got.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskProgress {
    pub id: TaskId,
    pub kind: TaskKind,
    pub title: String,
    /// `None`: not run yet. A box ticked in the spec counts as completed.
    pub status: Option<TaskStatus>,
}

impl TaskProgress {
    pub fn done(&self) -> bool {
        self.status == Some(TaskStatus::Completed)
    }

    /// How the status reads in a list: `completed`, `failed`, ..., `not run`.
    pub fn status_label(&self) -> &'static str {
        self.status.map_or("not run", TaskStatus::as_str)
    }
}

/// The parts of a spec the commit message and the pull request are written from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SpecDigest {
    /// The Goal section, trimmed; `None` when missing or empty.
    pub goal: Option<String>,
    pub tasks: Vec<TaskProgress>,
    /// The Acceptance Criteria section as written.
    pub acceptance: Option<String>,
    /// The Verification Plan section as written.
    pub verification_plan: Option<String>,
}

impl SpecDigest {
    /// Reads `spec` and joins each task with its recorded run (same title, else same id). Without a task
    /// list in the spec, the recorded tasks stand in for it.
    pub fn new(spec: &str, recorded: &[RecordedTask]) -> Self {
        let section = |name| {
            section_body(spec, name)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let tasks = match planned_tasks(spec) {
            Ok(planned) => {
                let ticked = ticked_boxes(section_body(spec, "Tasks").unwrap_or(""));
                // Ticks line up with tasks only when both lists saw the same items.
                let ticked = (ticked.len() == planned.len()).then_some(ticked);
                planned
                    .into_iter()
                    .enumerate()
                    .map(|(i, task)| {
                        let run = recorded
                            .iter()
                            .find(|r| same_title(&r.title, &task.title))
                            .or_else(|| recorded.iter().find(|r| r.id == task.id));
                        let ticked = ticked
                            .as_ref()
                            .and_then(|t| t.get(i).copied())
                            .unwrap_or(false);
                        let status = if ticked {
                            Some(TaskStatus::Completed)
                        } else {
                            run.map(|r| r.status)
                        };
                        TaskProgress {
                            id: task.id,
                            kind: task.kind,
                            title: task.title,
                            status,
                        }
                    })
                    .collect()
            }
            Err(_) => recorded
                .iter()
                .map(|r| TaskProgress {
                    id: r.id.clone(),
                    kind: r.kind,
                    title: r.title.clone(),
                    status: Some(r.status),
                })
                .collect(),
        };
        Self {
            goal: section("Goal"),
            tasks,
            acceptance: section("Acceptance Criteria"),
            verification_plan: section("Verification Plan"),
        }
    }

    pub fn done_tasks(&self) -> impl Iterator<Item = &TaskProgress> {
        self.tasks.iter().filter(|t| t.done())
    }

    pub fn open_tasks(&self) -> impl Iterator<Item = &TaskProgress> {
        self.tasks.iter().filter(|t| !t.done())
    }
}

fn same_title(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// For each checkbox item of a Tasks section (`[ ]`, `[/]`, `[x]`), in order, whether it is ticked (`[x]`). Recognises the same
/// list markers as the spec parser: `- `, `* `, `1. `, `1) `.
fn ticked_boxes(tasks_section: &str) -> Vec<bool> {
    tasks_section
        .lines()
        .filter_map(|line| {
            let t = line.trim_start();
            let rest = if let Some(r) = t.strip_prefix("- ").or_else(|| t.strip_prefix("* ")) {
                r
            } else {
                let digits = t.bytes().take_while(u8::is_ascii_digit).count();
                if digits == 0 {
                    return None;
                }
                let after = t.get(digits..)?;
                after
                    .strip_prefix(". ")
                    .or_else(|| after.strip_prefix(") "))?
            };
            let rest = rest.trim_start();
            // `[/]` (in progress) is a task line too, not yet ticked.
            if rest.starts_with("[ ]") || rest.starts_with("[/]") {
                Some(false)
            } else if rest.starts_with("[x]") || rest.starts_with("[X]") {
                Some(true)
            } else {
                None
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = "# Spec\n\n## Goal\nAdd retry to the HTTP client.\n\n## Tasks\n\
        - [x] Implement: add retry to `src/http.rs`\n\
        - [ ] Implement: log each retry\n\
        - [ ] Verify: run the tests (depends on t1, t2)\n\n\
        ## Acceptance Criteria\n- a failed GET is retried 3 times\n\n## Non-goals\n- none\n\n\
        ## Assumptions\n- none\n\n## Verification Plan\n- cargo test http\n";

    fn recorded(id: &str, title: &str, status: TaskStatus) -> RecordedTask {
        RecordedTask {
            id: TaskId::new(id),
            kind: TaskKind::Implement,
            title: title.into(),
            status,
            summary: None,
        }
    }

    #[test]
    fn ticks_and_runs_give_each_task_its_status() {
        let digest = SpecDigest::new(
            SPEC,
            &[
                recorded("t1", "add retry to `src/http.rs`", TaskStatus::Failed),
                // Matched by title although the id moved.
                recorded("t9", "Log each retry", TaskStatus::Completed),
            ],
        );
        assert_eq!(
            digest.goal.as_deref(),
            Some("Add retry to the HTTP client.")
        );
        assert_eq!(
            digest.acceptance.as_deref(),
            Some("- a failed GET is retried 3 times")
        );
        assert_eq!(
            digest.verification_plan.as_deref(),
            Some("- cargo test http")
        );
        let shape: Vec<_> = digest
            .tasks
            .iter()
            .map(|t| (t.id.as_str(), t.kind, t.status_label()))
            .collect();
        assert_eq!(
            shape,
            vec![
                ("t1", TaskKind::Implement, "completed"),
                ("t2", TaskKind::Implement, "completed"),
                ("t3", TaskKind::Verify, "not run"),
            ]
        );
        assert_eq!(digest.done_tasks().count(), 2);
        // A line in progress keeps the others' ticks aligned.
        let started = SPEC.replace(
            "- [ ] Implement: log each retry",
            "- [/] Implement: log each retry",
        );
        assert_eq!(SpecDigest::new(&started, &[]).done_tasks().count(), 1);
    }

    #[test]
    fn without_a_task_list_the_recorded_tasks_stand_in() {
        let digest = SpecDigest::new(
            "## Goal\n\n",
            &[recorded("t1", "write it", TaskStatus::Cancelled)],
        );
        assert_eq!(digest.goal, None);
        assert_eq!(digest.tasks.len(), 1);
        assert_eq!(digest.tasks[0].status, Some(TaskStatus::Cancelled));
    }
}
