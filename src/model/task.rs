//! Delegated tasks: the work a coordinator hands to specialists, wave by wave.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::error_info::ErrorInfo;
use super::ids::{RunId, TaskId};
use super::lifecycle::{TaskStatus, TransitionError};
use super::run::TimelineEntry;
use super::time::Timestamp;

/// What a task does; decides which specialist gets it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    Implement,
    Verify,
    Debug,
}

impl TaskKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            TaskKind::Implement => "implement",
            TaskKind::Verify => "verify",
            TaskKind::Debug => "debug",
        }
    }

    /// The specialist agent that takes tasks of this kind.
    pub const fn specialist(self) -> &'static str {
        match self {
            TaskKind::Implement => "implementor",
            TaskKind::Verify => "verifier",
            TaskKind::Debug => "debugger",
        }
    }
}

impl fmt::Display for TaskKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a recorded side effect is known to have happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptOutcome {
    /// Intent recorded, effect started, result not (yet) recorded: after a crash this is "uncertain".
    Started,
    Succeeded,
    Failed,
}

/// Proof of a side effect: written before it starts (intent) and after it ends (result), so a resume knows
/// what already happened and never replays it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EffectReceipt {
    pub effect: String,
    pub attempt: u32,
    pub started_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<Timestamp>,
    pub outcome: ReceiptOutcome,
    /// blake3 of the effect's output, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// For a tool call's effect: the call's id (its record in `tool_calls`) and what it touched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<super::tool_call::EffectDetail>,
}

/// A task as planned: what the coordinator's spec asks for, before anything runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedTask {
    pub id: TaskId,
    pub kind: TaskKind,
    pub title: String,
    pub wave: u32,
    pub depends_on: Vec<TaskId>,
    /// The verification round the task belongs to: 1 for the spec's tasks, 2 and on for the debug and
    /// verify tasks added after a failed check.
    #[serde(default = "first_round", skip_serializing_if = "is_first_round")]
    pub round: u32,
    /// The id of the spec task line this task carries out (`s3`), so its progress can tick that line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec_task: Option<String>,
}

const fn first_round() -> u32 {
    1
}

fn is_first_round(round: &u32) -> bool {
    *round == 1
}

/// Orders tasks by their number (`t2` before `t10`): plan order.
pub fn sort_tasks(tasks: &mut [TaskRecord]) {
    tasks.sort_by_key(|t| {
        let n =
            t.id.as_str()
                .strip_prefix('t')
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or(u64::MAX);
        (n, t.id.as_str().to_owned())
    });
}

/// A persisted delegated task.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskRecord {
    pub id: TaskId,
    pub run_id: RunId,
    pub kind: TaskKind,
    pub specialist: String,
    pub title: String,
    pub wave: u32,
    pub depends_on: Vec<TaskId>,
    /// See [`PlannedTask::round`].
    #[serde(default = "first_round", skip_serializing_if = "is_first_round")]
    pub round: u32,
    /// See [`PlannedTask::spec_task`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec_task: Option<String>,
    pub status: TaskStatus,
    pub timeline: Vec<TimelineEntry<TaskStatus>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorInfo>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub receipts: Vec<EffectReceipt>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl TaskRecord {
    pub fn queued(run_id: RunId, planned: PlannedTask, attempt: u32, at: Timestamp) -> Self {
        Self {
            id: planned.id,
            run_id,
            kind: planned.kind,
            specialist: planned.kind.specialist().to_owned(),
            title: planned.title,
            wave: planned.wave,
            depends_on: planned.depends_on,
            round: planned.round,
            spec_task: planned.spec_task,
            status: TaskStatus::Queued,
            timeline: vec![TimelineEntry {
                status: TaskStatus::Queued,
                at,
                note: None,
                attempt,
            }],
            summary: None,
            error: None,
            receipts: Vec::new(),
            created_at: at,
            updated_at: at,
        }
    }

    pub fn transition(
        &mut self,
        to: TaskStatus,
        at: Timestamp,
        attempt: u32,
        note: Option<String>,
    ) -> Result<(), TransitionError> {
        self.status.transition(to)?;
        self.record_status(to, at, attempt, note);
        Ok(())
    }

    /// Records a status the task entered, as a transition did or as its `task_status_changed` event says.
    pub fn record_status(
        &mut self,
        to: TaskStatus,
        at: Timestamp,
        attempt: u32,
        note: Option<String>,
    ) {
        self.status = to;
        self.updated_at = at;
        self.timeline.push(TimelineEntry {
            status: to,
            at,
            note,
            attempt,
        });
    }

    /// How many times the task has entered `running`.
    pub fn times_started(&self) -> usize {
        self.timeline
            .iter()
            .filter(|e| e.status == TaskStatus::Running)
            .count()
    }
}
