//! A multi-turn conversation with a model that can call tools: the messages sent, the request for the next
//! turn, and the assistant turn that comes back.

use serde::{Deserialize, Serialize};

use super::tool::{ToolCall, ToolDefinition, ToolResult};
use super::usage::Usage;
pub use crate::model::tool::StopReason;
use crate::model::{TaskId, TaskKind};

/// One message of the conversation, in the order it happened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum Message {
    /// Text from the user (or the orchestrator speaking for it).
    User { text: String },
    /// What the model answered: its text and the tools it called.
    Assistant {
        text: String,
        tool_calls: Vec<ToolCall>,
    },
    /// The result of one tool call of the assistant message before it.
    ToolResult(ToolResult),
}

/// One answer of the model.
#[derive(Clone, Debug, PartialEq)]
pub struct AssistantTurn {
    pub text: String,
    pub tool_calls: Vec<ToolCall>,
    pub stop_reason: StopReason,
    /// Tokens from the stream, time taken and retries made.
    pub usage: Usage,
}

impl AssistantTurn {
    /// The turn as the assistant message of the conversation's next request.
    pub fn to_message(&self) -> Message {
        Message::Assistant {
            text: self.text.clone(),
            tool_calls: self.tool_calls.clone(),
        }
    }
}

/// Which task a turn belongs to. Model providers ignore it; the offline provider's script is keyed by it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TurnScope {
    pub task_id: TaskId,
    pub kind: TaskKind,
    /// The verify/debug round the task belongs to, from 1 (tasks outside such a cycle are round 1).
    pub round: u32,
}

/// Everything one turn is asked with.
#[derive(Clone, Debug, PartialEq)]
pub struct TurnRequest {
    pub system: String,
    /// The conversation so far, starting with a user message.
    pub messages: Vec<Message>,
    /// The tools the model may call; none means a plain answer.
    pub tools: Vec<ToolDefinition>,
    pub max_tokens: u32,
    pub scope: Option<TurnScope>,
}

impl TurnRequest {
    /// How many assistant turns the conversation already holds: the index of the turn asked for now.
    pub fn turn_index(&self) -> usize {
        self.messages
            .iter()
            .filter(|m| matches!(m, Message::Assistant { .. }))
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::tool::ToolArguments;

    #[test]
    fn stop_reasons_follow_the_calls_unless_cut_off() {
        assert_eq!(StopReason::of_turn(false, false), StopReason::EndTurn);
        assert_eq!(StopReason::of_turn(false, true), StopReason::ToolUse);
        assert_eq!(StopReason::of_turn(true, true), StopReason::MaxTokens);
    }

    #[test]
    fn messages_serialise_with_their_role() {
        let m = Message::Assistant {
            text: "t".into(),
            tool_calls: vec![ToolCall {
                id: "c".into(),
                name: "n".into(),
                arguments: ToolArguments::parse("{}"),
            }],
        };
        let json = serde_json::to_value(&m).unwrap();
        assert_eq!(json["role"], "assistant");
        assert_eq!(json["tool_calls"][0]["arguments"]["kind"], "json");
        let back: Message = serde_json::from_value(json).unwrap();
        assert_eq!(back, m);
        let r = Message::ToolResult(ToolResult {
            call_id: "c".into(),
            content: "x".into(),
            is_error: true,
        });
        assert_eq!(serde_json::to_value(&r).unwrap()["role"], "tool_result");
    }
}
