//! What an earlier attempt of a task left in the store: its model turns (from the run's event log) and its
//! tool calls (from their table). A resumed task replays them to the model instead of doing them again.

use std::collections::HashMap;

use crate::model::tool::{StopReason, ToolCall};
use crate::model::{Event, RunId, TaskId, ToolCallRecord};
use crate::orchestrator::persist::SharedPersist;
use crate::store::StoreError;

/// One recorded assistant turn.
#[derive(Clone, Debug)]
pub struct RecordedTurn {
    pub text: String,
    pub tool_calls: Vec<ToolCall>,
    pub stop_reason: StopReason,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
}

/// A task's recorded turns, in order, and its tool calls by call id.
#[derive(Clone, Debug, Default)]
pub struct TaskHistory {
    pub turns: Vec<RecordedTurn>,
    pub calls: HashMap<String, ToolCallRecord>,
}

impl TaskHistory {
    /// The highest position a recorded call has (new calls come after it).
    pub fn last_seq(&self) -> u32 {
        self.calls.values().map(|c| c.seq).max().unwrap_or(0)
    }
}

/// Loads what is recorded of `task` in `run`.
pub async fn load(
    persist: &SharedPersist,
    run: &RunId,
    task: &TaskId,
) -> Result<TaskHistory, StoreError> {
    let (run, task) = (run.clone(), task.clone());
    persist
        .read(move |rx| {
            let mut history = TaskHistory::default();
            for record in rx.events(&run)? {
                if let Event::AssistantTurned {
                    task_id,
                    text,
                    tool_calls,
                    stop_reason,
                    input_tokens,
                    output_tokens,
                    ..
                } = record.event
                    && task_id == task
                {
                    history.turns.push(RecordedTurn {
                        text,
                        tool_calls,
                        stop_reason,
                        input_tokens,
                        output_tokens,
                    });
                }
            }
            for call in rx.tool_calls(&run)? {
                if call.task_id == task {
                    history.calls.insert(call.call_id.clone(), call);
                }
            }
            Ok(history)
        })
        .await
}
