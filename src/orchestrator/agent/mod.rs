//! A specialist at work: the tool loop. The model is asked for a turn with the conversation so far and the
//! tools; its tool calls are answered (each recorded around what it does, see `calls.rs`) and sent back;
//! this goes on until it ends its turn with a report, or a guard stops it (tool calls, tokens, wall time,
//! the same failing call again and again).
//!
//! Every turn is recorded in the run's event log (`assistant_turned`) and every call in `tool_calls_v1`, so
//! an interrupted task resumes by replaying its conversation: recorded turns are not asked for again and
//! recorded results are not produced again.

pub mod calls;
pub mod check;
pub mod history;
pub mod instructions;
pub mod prompt;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio_util::sync::CancellationToken;

use self::calls::{CallHalt, CallState};
use super::deltas::DeltaBatcher;
use super::persist::SharedPersist;
use crate::model::tool::{StopReason, ToolCall, ToolDefinition};
use crate::model::{ErrorCode, ErrorInfo, Event, InstructionSource, RunId, TaskRecord};
use crate::provider::{
    AgentLimits, ChatModel, Message, ProviderError, SecretScrubber, TurnRequest, TurnScope, Usage,
};
use crate::store::StoreError;
use crate::tools::Toolbox;

/// The most tokens one turn may answer with.
const TURN_MAX_TOKENS: u32 = 8_192;

/// What one specialist task works with.
pub struct AgentCtx {
    pub persist: SharedPersist,
    pub model: Arc<dyn ChatModel>,
    pub toolbox: Toolbox,
    pub run_id: RunId,
    pub task: TaskRecord,
    pub attempt: u32,
    pub limits: AgentLimits,
    pub scrubber: SecretScrubber,
    pub token: CancellationToken,
    /// Project instruction files met on the way (recorded in the run's provenance when the task ends).
    pub instructions_found: Mutex<Vec<InstructionSource>>,
}

/// What the task is told: the system prompt and its first message.
pub struct Brief {
    pub system: String,
    pub message: String,
    /// Instruction files already in the system prompt.
    pub instructions: Vec<InstructionSource>,
}

/// How the tool loop ended.
pub enum AgentEnd {
    Done {
        summary: String,
        usage: Usage,
        tool_calls: u32,
    },
    Failed {
        error: ErrorInfo,
        usage: Usage,
        tool_calls: u32,
    },
    Stopped,
    Store(StoreError),
}

/// The loop's running totals.
struct Totals {
    usage: Usage,
    started: Instant,
    /// The last failing call (tool and arguments) and how many times in a row it failed.
    failing: Option<(String, u32)>,
}

/// The tools a specialist gets, as the model is told about them.
pub fn tool_definitions() -> Vec<ToolDefinition> {
    crate::tools::definitions()
        .into_iter()
        .map(|d| ToolDefinition {
            name: d.name.to_owned(),
            description: d.description.to_owned(),
            input_schema: d.input_schema,
        })
        .collect()
}

/// Runs (or resumes) the task's tool loop to its end.
pub async fn work(ctx: &AgentCtx, brief: &Brief) -> AgentEnd {
    let history = match history::load(&ctx.persist, &ctx.run_id, &ctx.task.id).await {
        Ok(history) => history,
        Err(e) => return AgentEnd::Store(e),
    };
    let mut state = CallState {
        seq: history.last_seq(),
        made: u32::try_from(history.calls.len()).unwrap_or(u32::MAX),
        seen_instructions: brief.instructions.iter().map(|i| i.path.clone()).collect(),
    };
    let mut totals = Totals {
        usage: Usage::default(),
        started: Instant::now(),
        failing: None,
    };
    let mut messages = vec![Message::User {
        text: brief.message.clone(),
    }];
    // The recorded conversation first: its turns are not asked for again, its results not produced again.
    for turn in &history.turns {
        totals.usage.add(Usage {
            input_tokens: turn.input_tokens,
            output_tokens: turn.output_tokens,
            latency_ms: 0,
            retries: 0,
        });
        messages.push(Message::Assistant {
            text: turn.text.clone(),
            tool_calls: turn.tool_calls.clone(),
        });
        if turn.tool_calls.is_empty() {
            if turn.stop_reason == StopReason::MaxTokens {
                messages.push(continue_message());
                continue;
            }
            return done(ctx, &state, &totals, &turn.text);
        }
        if let Err(end) = answer_calls(
            ctx,
            &mut state,
            &mut totals,
            &history,
            &turn.tool_calls,
            &mut messages,
        )
        .await
        {
            return end;
        }
    }
    let mut turn_no = u32::try_from(history.turns.len()).unwrap_or(u32::MAX);
    let tools = tool_definitions();
    loop {
        if let Some(error) = limit_reached(ctx, &state, &totals) {
            return failed(&state, &totals, error);
        }
        let request = TurnRequest {
            system: brief.system.clone(),
            messages: messages.clone(),
            tools: tools.clone(),
            max_tokens: TURN_MAX_TOKENS,
            scope: Some(TurnScope {
                task_id: ctx.task.id.clone(),
                kind: ctx.task.kind,
                round: ctx.task.round,
            }),
        };
        let deltas = DeltaBatcher::start(
            ctx.persist.clone(),
            ctx.run_id.clone(),
            Some(ctx.task.id.clone()),
        );
        let answer = ctx.model.respond(&request, deltas.sink(), &ctx.token).await;
        if let Err(e) = deltas.finish().await {
            return AgentEnd::Store(e);
        }
        let turn = match answer {
            Ok(turn) => turn,
            Err(ProviderError::Cancelled) => return AgentEnd::Stopped,
            Err(e) => {
                totals.usage.add(ctx.model.take_failed_usage());
                return failed(&state, &totals, ErrorInfo::from(&e));
            }
        };
        totals.usage.add(turn.usage);
        let text = ctx.scrubber.scrub(&turn.text);
        let recorded = Event::AssistantTurned {
            run_id: ctx.run_id.clone(),
            task_id: ctx.task.id.clone(),
            turn: turn_no,
            text: text.clone(),
            tool_calls: turn.tool_calls.clone(),
            stop_reason: turn.stop_reason,
            input_tokens: turn.usage.input_tokens,
            output_tokens: turn.usage.output_tokens,
        };
        if let Err(e) = ctx.persist.record(vec![recorded]).await {
            return AgentEnd::Store(e);
        }
        turn_no += 1;
        messages.push(Message::Assistant {
            text: text.clone(),
            tool_calls: turn.tool_calls.clone(),
        });
        if turn.tool_calls.is_empty() {
            if turn.stop_reason == StopReason::MaxTokens {
                messages.push(continue_message());
                continue;
            }
            return done(ctx, &state, &totals, &text);
        }
        let none = history::TaskHistory::default();
        if let Err(end) = answer_calls(
            ctx,
            &mut state,
            &mut totals,
            &none,
            &turn.tool_calls,
            &mut messages,
        )
        .await
        {
            return end;
        }
    }
}

/// Answers a turn's calls in order, sending each result back; stops at a guard.
async fn answer_calls(
    ctx: &AgentCtx,
    state: &mut CallState,
    totals: &mut Totals,
    history: &history::TaskHistory,
    calls: &[ToolCall],
    messages: &mut Vec<Message>,
) -> Result<(), AgentEnd> {
    for call in calls {
        let existing = history.calls.get(&call.id);
        if existing.is_none()
            && let Some(error) = limit_reached(ctx, state, totals)
        {
            return Err(failed(state, totals, error));
        }
        let result = match calls::answer(ctx, state, existing, call).await {
            Ok(result) => result,
            Err(CallHalt::Stopped) => return Err(AgentEnd::Stopped),
            Err(CallHalt::Store(e)) => return Err(AgentEnd::Store(e)),
        };
        if let Some(error) = repeated(ctx, totals, call, result.is_error) {
            return Err(failed(state, totals, error));
        }
        messages.push(Message::ToolResult(result));
    }
    Ok(())
}

fn continue_message() -> Message {
    Message::User {
        text: "Your answer was cut off at the length limit; continue where you stopped.".into(),
    }
}

fn done(ctx: &AgentCtx, state: &CallState, totals: &Totals, text: &str) -> AgentEnd {
    let summary = text.trim();
    let summary = if summary.is_empty() {
        format!(
            "{} finished after {} tool calls without a report.",
            ctx.task.id, state.made
        )
    } else {
        summary.to_owned()
    };
    AgentEnd::Done {
        summary,
        usage: totals.usage,
        tool_calls: state.made,
    }
}

fn failed(state: &CallState, totals: &Totals, error: ErrorInfo) -> AgentEnd {
    AgentEnd::Failed {
        error,
        usage: totals.usage,
        tool_calls: state.made,
    }
}

/// The guard the task has reached, if any: tool calls, tokens, wall time (of this attempt).
fn limit_reached(ctx: &AgentCtx, state: &CallState, totals: &Totals) -> Option<ErrorInfo> {
    let limits = &ctx.limits;
    let tokens = totals.usage.input_tokens.unwrap_or(0) + totals.usage.output_tokens.unwrap_or(0);
    let message = if state.made >= limits.max_tool_calls {
        format!(
            "task {} made {} tool calls, the limit",
            ctx.task.id, state.made
        )
    } else if tokens >= limits.max_tokens {
        format!(
            "task {} used {tokens} tokens, the limit is {}",
            ctx.task.id, limits.max_tokens
        )
    } else if totals.started.elapsed() >= limits.wall_time {
        format!(
            "task {} ran for {} s, the limit",
            ctx.task.id,
            limits.wall_time.as_secs()
        )
    } else {
        return None;
    };
    Some(ErrorInfo::new(
        ErrorCode::TaskLimit,
        message,
        "Split the task, or raise the limit (KATA_MAX_TOOL_CALLS, KATA_MAX_TASK_TOKENS, KATA_TASK_TIMEOUT_SECS) and retry.",
        false,
    ))
}

/// Whether the same call has now failed too many times in a row.
fn repeated(
    ctx: &AgentCtx,
    totals: &mut Totals,
    call: &ToolCall,
    failed: bool,
) -> Option<ErrorInfo> {
    if !failed {
        totals.failing = None;
        return None;
    }
    let signature = format!("{} {}", call.name, call.arguments.to_json_text());
    let count = match &totals.failing {
        Some((last, n)) if *last == signature => n + 1,
        _ => 1,
    };
    totals.failing = Some((signature, count));
    (count >= ctx.limits.repeated_failures).then(|| {
        ErrorInfo::new(
            ErrorCode::RepeatedFailure,
            format!(
                "task {} made the same failing call ({}) {count} times in a row",
                ctx.task.id, call.name
            ),
            "Look at the call's error in the run; retry with a clearer task or another model.",
            false,
        )
    })
}

/// Instruction files of the workspace root, for the system prompt.
pub fn root_instructions(toolbox: &Toolbox) -> Vec<instructions::Instruction> {
    instructions::in_dir(&toolbox.workspace, "")
}

/// Instruction paths already given, as a set.
pub fn seen(instructions: &[InstructionSource]) -> BTreeSet<String> {
    instructions.iter().map(|i| i.path.clone()).collect()
}
