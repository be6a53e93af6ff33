//! One tool call of a specialist, as recorded: what it asked, what it touched, how it ended. Calls that
//! change the world (writes, edits, commands) are effects: their record is written before they happen (the
//! intent: the file's hash before, the command) and again after (the result: the hash after, the exit
//! code, a digest of the output), so a resume knows which effects happened and never repeats them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::ids::{RunId, TaskId};
use super::time::Timestamp;

/// Where a tool call stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolCallStatus {
    /// Started; for an effect, the intent is recorded and the result is not (yet).
    Running,
    Done,
    /// The tool reported an error (sent back to the model).
    Failed,
    /// The user or a policy refused it; the refusal was sent back to the model.
    Denied,
    /// An effect whose process stopped between its intent and its result, and whose outcome could not be
    /// settled from the world (a command): reported to the model as uncertain, never re-run silently.
    Uncertain,
}

impl ToolCallStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            ToolCallStatus::Running => "running",
            ToolCallStatus::Done => "done",
            ToolCallStatus::Failed => "failed",
            ToolCallStatus::Denied => "denied",
            ToolCallStatus::Uncertain => "uncertain",
        }
    }
}

/// What an effect touched: a file (with its hash before and the hash it has, or is to have, after) or a
/// command (with its exit code and a digest of its output once it ended).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EffectDetail {
    File {
        path: String,
        /// blake3 of the file before; `None`: it did not exist.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        before: Option<String>,
        /// blake3 of the content written (known at the intent for a write, after the fact for an edit).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        after: Option<String>,
    },
    Command {
        command: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        exit_code: Option<i32>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        timed_out: bool,
        /// blake3 of the whole output.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        output_digest: Option<String>,
    },
}

/// One tool call of a task, in the order the task made them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ToolCallRecord {
    pub run_id: RunId,
    pub task_id: TaskId,
    /// The id the model gave the call (ties it to its result in the conversation).
    pub call_id: String,
    /// The call's position in the task (from 1): its key in the store.
    pub seq: u32,
    /// Which attempt of the run made it.
    pub attempt: u32,
    pub tool: String,
    /// What it acts on, for a row in the thread: a path, a command, a query.
    pub target: String,
    /// The arguments as the model sent them (text that was not JSON is kept as a string).
    pub input: Value,
    pub status: ToolCallStatus,
    /// What the model was told (bounded), once it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// The tool's error code when it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect: Option<EffectDetail>,
    /// How an effect interrupted between intent and result was settled on resume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settled: Option<String>,
    pub started_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<Timestamp>,
}

impl ToolCallRecord {
    /// The store key of the call within its run: task id, then its position.
    pub fn key(&self) -> String {
        format!("{}/{:06}", self.task_id, self.seq)
    }

    pub fn is_effect(&self) -> bool {
        self.effect.is_some()
    }
}
