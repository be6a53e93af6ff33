//! The offline [`ChatModel`]: follows the offline script turn by turn, deterministically.
//!
//! Turn N of a task (N = the assistant turns already in the conversation) is the Nth step of its entry:
//! tool calls, or a final `say`. After the last step the task ends its turn with a summary of what the
//! conversation holds (calls made, results that were errors). It keeps no state between calls, so a resumed
//! task whose conversation is replayed gets the same turns. Without a script, or without an entry for the
//! task, every turn ends at once with a message saying so.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;

use super::script::{OfflineScript, ScriptStep};
use crate::provider::cancel::cancellable_sleep;
use crate::provider::chat_model::ChatModel;
use crate::provider::conversation::{AssistantTurn, Message, StopReason, TurnRequest, TurnScope};
use crate::provider::delta_sink::DeltaSink;
use crate::provider::error::ProviderError;
use crate::provider::tool::ToolCall;
use crate::provider::usage::Usage;

pub struct OfflineChatModel {
    script: Option<Arc<OfflineScript>>,
    step: Duration,
    model: String,
}

impl OfflineChatModel {
    /// `step` is how long each turn sleeps (`KATA_OFFLINE_STEP_MS`), so runs can be watched and cancelled.
    pub fn new(script: Option<Arc<OfflineScript>>, step: Duration, model: &str) -> Self {
        Self {
            script,
            step,
            model: model.to_owned(),
        }
    }

    /// The turn `request` asks for, as the script says.
    pub fn turn(&self, request: &TurnRequest) -> AssistantTurn {
        let Some(script) = &self.script else {
            return end_turn(
                "The offline provider calls no tools without a script (KATA_OFFLINE_SCRIPT)."
                    .into(),
            );
        };
        let Some(scope) = &request.scope else {
            return end_turn(
                "The offline script is keyed by task, and this turn names none.".into(),
            );
        };
        let Some((name, entry)) = script.entry_for(scope) else {
            return end_turn(format!(
                "The offline script {} has no entry for {} ({}): the task ends without tool calls.",
                script.path().display(),
                scope.task_id,
                scope.kind
            ));
        };
        let turn = request.turn_index();
        match entry.steps(scope.round).get(turn) {
            Some(ScriptStep::Say { text }) => end_turn(text.clone()),
            Some(ScriptStep::Act { text, calls }) => {
                let tool_calls = calls
                    .iter()
                    .enumerate()
                    .map(|(n, call)| ToolCall {
                        id: call.id.clone().unwrap_or_else(|| call_id(scope, turn, n)),
                        name: call.tool.clone(),
                        arguments: call.arguments.clone(),
                    })
                    .collect();
                AssistantTurn {
                    text: text.clone(),
                    tool_calls,
                    stop_reason: StopReason::ToolUse,
                    usage: Usage::default(),
                }
            }
            None => end_turn(summary(&name, scope, &request.messages)),
        }
    }
}

impl ChatModel for OfflineChatModel {
    fn provider_name(&self) -> &str {
        "offline"
    }

    fn model_name(&self) -> &str {
        &self.model
    }

    fn respond<'a>(
        &'a self,
        request: &'a TurnRequest,
        deltas: DeltaSink,
        cancel: &'a CancellationToken,
    ) -> BoxFuture<'a, Result<AssistantTurn, ProviderError>> {
        Box::pin(async move {
            cancellable_sleep(self.step, cancel).await?;
            let turn = self.turn(request);
            if !turn.text.is_empty() {
                deltas(&turn.text);
            }
            Ok(turn)
        })
    }
}

fn end_turn(text: String) -> AssistantTurn {
    AssistantTurn {
        text,
        tool_calls: Vec::new(),
        stop_reason: StopReason::EndTurn,
        usage: Usage::default(),
    }
}

/// `call_<task>_<round>_<turn>_<n>`, turn and n from 1: unique within a run, the same on every replay.
fn call_id(scope: &TurnScope, turn: usize, n: usize) -> String {
    format!(
        "call_{}_{}_{}_{}",
        scope.task_id,
        scope.round.max(1),
        turn + 1,
        n + 1
    )
}

/// What the scripted task did, from its conversation.
fn summary(entry: &str, scope: &TurnScope, messages: &[Message]) -> String {
    let calls: usize = messages
        .iter()
        .map(|m| match m {
            Message::Assistant { tool_calls, .. } => tool_calls.len(),
            _ => 0,
        })
        .sum();
    let errors = messages
        .iter()
        .filter(|m| matches!(m, Message::ToolResult(r) if r.is_error))
        .count();
    let mut out = format!(
        "Followed the offline script ({entry}, round {}) for {}: {calls} tool call{}",
        scope.round.max(1),
        scope.task_id,
        if calls == 1 { "" } else { "s" }
    );
    if errors > 0 {
        let _ = write!(out, ", {errors} answered with an error");
    }
    out.push('.');
    out
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Mutex;

    use super::*;
    use crate::model::{TaskId, TaskKind};
    use crate::provider::tool::{ToolArguments, ToolResult};

    fn script() -> Arc<OfflineScript> {
        Arc::new(
            OfflineScript::parse(
                Path::new("s.json"),
                r#"{"tasks": {"t1": [{"tool": "write_file", "input": {"path": "a"}, "text": "writing"},
                                     {"calls": [{"tool": "read_file"}, {"tool": "run_command", "raw_input": "{\"command\""}]}]},
                    "kinds": {"verify": [{"say": "verified"}]}}"#,
            )
            .unwrap(),
        )
    }

    fn request(id: &str, kind: TaskKind, messages: Vec<Message>) -> TurnRequest {
        TurnRequest {
            system: "s".into(),
            messages,
            tools: Vec::new(),
            max_tokens: 100,
            scope: Some(TurnScope {
                task_id: TaskId::new(id),
                kind,
                round: 1,
            }),
        }
    }

    #[test]
    fn turns_follow_the_steps_then_end_with_a_summary() {
        let model =
            OfflineChatModel::new(Some(script()), Duration::ZERO, "offline-deterministic-1");
        let mut messages = vec![Message::User { text: "go".into() }];
        let first = model.turn(&request("t1", TaskKind::Implement, messages.clone()));
        assert_eq!(first.stop_reason, StopReason::ToolUse);
        assert_eq!(first.text, "writing");
        assert_eq!(first.tool_calls[0].id, "call_t1_1_1_1");
        messages.push(first.to_message());
        messages.push(Message::ToolResult(ToolResult {
            call_id: "call_t1_1_1_1".into(),
            content: "ok".into(),
            is_error: false,
        }));
        let second = model.turn(&request("t1", TaskKind::Implement, messages.clone()));
        let names: Vec<&str> = second.tool_calls.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["read_file", "run_command"]);
        assert_eq!(second.tool_calls[1].id, "call_t1_1_2_2");
        assert!(matches!(
            second.tool_calls[1].arguments,
            ToolArguments::Malformed { .. }
        ));
        messages.push(second.to_message());
        for (id, is_error) in [("call_t1_1_2_1", false), ("call_t1_1_2_2", true)] {
            messages.push(Message::ToolResult(ToolResult {
                call_id: id.into(),
                content: "x".into(),
                is_error,
            }));
        }
        let last = model.turn(&request("t1", TaskKind::Implement, messages));
        assert_eq!(last.stop_reason, StopReason::EndTurn);
        assert_eq!(
            last.text,
            "Followed the offline script (tasks.t1, round 1) for t1: 3 tool calls, 1 answered with an error."
        );
    }

    #[test]
    fn kinds_say_and_missing_entries_end_the_turn() {
        let model = OfflineChatModel::new(Some(script()), Duration::ZERO, "m");
        let go = vec![Message::User { text: "go".into() }];
        let verify = model.turn(&request("t5", TaskKind::Verify, go.clone()));
        assert_eq!(
            (verify.text.as_str(), verify.stop_reason),
            ("verified", StopReason::EndTurn)
        );
        let debug = model.turn(&request("t6", TaskKind::Debug, go.clone()));
        assert_eq!(debug.stop_reason, StopReason::EndTurn);
        assert!(
            debug.text.contains("has no entry for t6 (debug)"),
            "{}",
            debug.text
        );
        let unscripted = OfflineChatModel::new(None, Duration::ZERO, "m");
        let turn = unscripted.turn(&request("t1", TaskKind::Implement, go));
        assert!(turn.tool_calls.is_empty());
        assert!(turn.text.contains("without a script"), "{}", turn.text);
    }

    #[test]
    fn respond_streams_the_text_and_honours_cancel() {
        let model = OfflineChatModel::new(Some(script()), Duration::from_secs(30), "m");
        let seen: Arc<Mutex<String>> = Arc::default();
        let s = seen.clone();
        let sink: DeltaSink = Arc::new(move |t: &str| s.lock().unwrap().push_str(t));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let req = request(
            "t1",
            TaskKind::Implement,
            vec![Message::User { text: "go".into() }],
        );
        let cancel = CancellationToken::new();
        cancel.cancel();
        let e = runtime
            .block_on(model.respond(&req, sink.clone(), &cancel))
            .unwrap_err();
        assert_eq!(e, ProviderError::Cancelled);
        let fast = OfflineChatModel::new(Some(script()), Duration::ZERO, "m");
        let turn = runtime
            .block_on(fast.respond(&req, sink, &CancellationToken::new()))
            .unwrap();
        assert_eq!(turn.tool_calls.len(), 1);
        assert_eq!(seen.lock().unwrap().as_str(), "writing");
    }
}
