//! One tool call of a specialist, recorded around what it does. A read-only call (list, read, search) runs,
//! then its record is committed. An effect (write, edit, command) is worked out first, its intent committed
//! (the file's hash before and after, or the command), then it happens, then its result is committed: a
//! crash can only ever leave an intent without a result, never an effect without an intent.
//!
//! When a resumed task replays its conversation, a call that has a result is not run again (its result
//! goes back to the model as it was). A call with an intent but no result is settled: a write by hashing
//! the file (the new content: it happened; the old: it did not, and it is done now; neither: uncertain), a
//! command is reported to the model as uncertain and never run again silently.

use std::collections::BTreeSet;

use serde_json::Value;

use super::AgentCtx;
use super::instructions;
use crate::model::tool::{ToolCall, ToolResult};
use crate::model::{EffectDetail, ToolCallRecord, ToolCallStatus};
use crate::orchestrator::persist;
use crate::store::StoreError;
use crate::tools::files::file_hash;
use crate::tools::{CommandResult, Planned, ToolError, ToolName, target};

/// The most bytes of one tool result the model (and the record) gets: head and tail kept.
const RESULT_LIMIT: usize = 32 * 1024;

/// Why a call could not be answered: the run is stopping, or the store failed.
pub enum CallHalt {
    Stopped,
    Store(StoreError),
}

impl From<StoreError> for CallHalt {
    fn from(e: StoreError) -> Self {
        CallHalt::Store(e)
    }
}

/// What the task's calls so far add up to.
pub struct CallState {
    pub seq: u32,
    pub made: u32,
    /// Project instruction files already given (root ones included).
    pub seen_instructions: BTreeSet<String>,
}

/// Answers one call: replays its recorded result, settles an interrupted effect, or runs it.
pub async fn answer(
    ctx: &AgentCtx,
    state: &mut CallState,
    existing: Option<&ToolCallRecord>,
    call: &ToolCall,
) -> Result<ToolResult, CallHalt> {
    if let Some(record) = existing
        && record.status != ToolCallStatus::Running
    {
        return Ok(result_of(call, record));
    }
    if ctx.token.is_cancelled() {
        return Err(CallHalt::Stopped);
    }
    let seq = match existing {
        Some(record) => record.seq,
        None => {
            state.seq += 1;
            state.made += 1;
            state.seq
        }
    };
    let mut record = ToolCallRecord {
        run_id: ctx.run_id.clone(),
        task_id: ctx.task.id.clone(),
        call_id: call.id.clone(),
        seq,
        attempt: ctx.attempt,
        tool: call.name.clone(),
        target: String::new(),
        input: match call.input() {
            Ok(value) => value.clone(),
            Err(_) => Value::String(call.arguments.to_json_text()),
        },
        status: ToolCallStatus::Running,
        output: None,
        error_code: None,
        effect: None,
        settled: None,
        started_at: existing.map_or_else(|| ctx.persist.now(), |r| r.started_at),
        finished_at: None,
    };
    let input = match call.input() {
        Ok(value) => value.clone(),
        Err(message) => {
            let error = ToolError::InvalidArguments {
                tool: call.name.clone(),
                reason: message,
            };
            return failed_at_once(ctx, record, &error).await;
        }
    };
    let tool = match ToolName::parse(&call.name) {
        Ok(tool) => tool,
        Err(error) => return failed_at_once(ctx, record, &error).await,
    };
    record.target = target(tool, &input);
    if let Some(interrupted) = existing
        && let Some(detail) = &interrupted.effect
    {
        return settle(ctx, state, record, tool, &input, detail.clone()).await;
    }
    match ctx.toolbox.plan(tool, &input) {
        Err(error) => failed_at_once(ctx, record, &error).await,
        Ok(Planned::Read) => {
            let outcome = ctx.toolbox.execute(tool, &input, &ctx.token).await;
            let outcome = outcome.map(|o| with_instructions(ctx, state, tool, &input, o.text));
            finish_at_once(ctx, record, outcome).await
        }
        Ok(Planned::File(prepared)) => {
            record.effect = Some(EffectDetail::File {
                path: prepared.change.path.clone(),
                before: prepared.change.before.clone(),
                after: Some(prepared.change.after.clone()),
            });
            commit_intent(ctx, &record).await?;
            crate::crash_point::here(&format!("intent:{}", tool.as_str()));
            let outcome = prepared
                .apply(&ctx.toolbox.workspace)
                .map(|change| describe_write(tool, &change.path, change.before.is_none()))
                .map(|text| with_instructions(ctx, state, tool, &input, text));
            crate::crash_point::here(&format!("effect:{}", tool.as_str()));
            finish(ctx, record, outcome).await
        }
        Ok(Planned::Command { command, timeout }) => {
            record.effect = Some(EffectDetail::Command {
                command: command.clone(),
                exit_code: None,
                timed_out: false,
                output_digest: None,
            });
            commit_intent(ctx, &record).await?;
            crate::crash_point::here(&format!("intent:{}", tool.as_str()));
            let outcome = ctx.toolbox.command(&command, timeout, &ctx.token).await;
            crate::crash_point::here(&format!("effect:{}", tool.as_str()));
            finish_command(ctx, record, outcome).await
        }
    }
}

/// The result a recorded call gave, as the model gets it again.
fn result_of(call: &ToolCall, record: &ToolCallRecord) -> ToolResult {
    ToolResult {
        call_id: call.id.clone(),
        content: record.output.clone().unwrap_or_default(),
        is_error: record.status != ToolCallStatus::Done,
    }
}

/// Settles an effect whose intent was recorded by an attempt that stopped before its result.
async fn settle(
    ctx: &AgentCtx,
    state: &mut CallState,
    mut record: ToolCallRecord,
    tool: ToolName,
    input: &Value,
    detail: EffectDetail,
) -> Result<ToolResult, CallHalt> {
    record.effect = Some(detail.clone());
    match detail {
        EffectDetail::Command { command, .. } => {
            record.settled = Some(
                "uncertain: the command had started when its process stopped; it was not run again"
                    .into(),
            );
            let text = format!(
                "The command `{command}` was started before an interruption and may or may not have \
                 finished; it was not run again. Check what it does, and run it again if it is needed."
            );
            finish_as(
                ctx,
                record,
                ToolCallStatus::Uncertain,
                text,
                Some("uncertain"),
            )
            .await
        }
        EffectDetail::File {
            path,
            before,
            after,
        } => {
            let full = match ctx.toolbox.workspace.resolve(&path) {
                Ok(full) => full,
                Err(error) => return finish(ctx, record, Err(error)).await,
            };
            let now = match file_hash(&full) {
                Ok(hash) => hash,
                Err(error) => return finish(ctx, record, Err(error)).await,
            };
            if now.is_some() && now == after {
                record.settled =
                    Some("done before the restart: the file already had the new content".into());
                let text = describe_write(tool, &path, before.is_none());
                let text = with_instructions(ctx, state, tool, input, text);
                return finish_as(ctx, record, ToolCallStatus::Done, text, None).await;
            }
            if now == before {
                record.settled =
                    Some("not done before the restart (the file was unchanged); done now".into());
                let outcome = ctx
                    .toolbox
                    .plan(tool, input)
                    .and_then(|planned| match planned {
                        Planned::File(prepared) => prepared
                            .apply(&ctx.toolbox.workspace)
                            .map(|c| describe_write(tool, &c.path, c.before.is_none())),
                        Planned::Read | Planned::Command { .. } => {
                            Err(ToolError::InvalidArguments {
                                tool: tool.as_str().into(),
                                reason: "the call is no longer a file change".into(),
                            })
                        }
                    });
                return finish(ctx, record, outcome).await;
            }
            record.settled = Some(
                "uncertain: the file changed since the write was started (neither its old nor its new \
                 content)"
                    .into(),
            );
            let text = format!(
                "The change to {path} was started before an interruption, and the file now has neither its \
                 old nor the intended content; it was not written again. Read it and decide."
            );
            finish_as(
                ctx,
                record,
                ToolCallStatus::Uncertain,
                text,
                Some("uncertain"),
            )
            .await
        }
    }
}

fn describe_write(tool: ToolName, path: &str, created: bool) -> String {
    match (tool, created) {
        (ToolName::EditFile, _) => format!("edited {path}"),
        (_, true) => format!("wrote {path} (new file)"),
        (_, false) => format!("wrote {path}"),
    }
}

/// Adds the project instructions on the way to the path a call touched, the first time.
fn with_instructions(
    ctx: &AgentCtx,
    state: &mut CallState,
    tool: ToolName,
    input: &Value,
    text: String,
) -> String {
    let path = match tool {
        ToolName::ReadFile | ToolName::WriteFile | ToolName::EditFile | ToolName::ListFiles => {
            input.get("path").and_then(Value::as_str).unwrap_or("")
        }
        ToolName::Search | ToolName::RunCommand => return text,
    };
    let found =
        instructions::on_the_way(&ctx.toolbox.workspace, path, &mut state.seen_instructions);
    if found.is_empty() {
        return text;
    }
    if let Ok(mut sink) = ctx.instructions_found.lock() {
        sink.extend(found.iter().map(|i| i.source.clone()));
    }
    format!("{text}\n\n{}", instructions::render(&found))
}

async fn commit_intent(ctx: &AgentCtx, record: &ToolCallRecord) -> Result<(), CallHalt> {
    let rec = record.clone();
    ctx.persist
        .commit(move |tx, now| persist::start_call(tx, &rec, now))
        .await?;
    Ok(())
}

/// A call that fails before it does anything: started and failed in one transaction.
async fn failed_at_once(
    ctx: &AgentCtx,
    record: ToolCallRecord,
    error: &ToolError,
) -> Result<ToolResult, CallHalt> {
    finish_at_once(ctx, record, Err(error.clone())).await
}

/// A call without an effect: its start and end in one transaction.
async fn finish_at_once(
    ctx: &AgentCtx,
    mut record: ToolCallRecord,
    outcome: Result<String, ToolError>,
) -> Result<ToolResult, CallHalt> {
    let running = record.clone();
    conclude(ctx, &mut record, outcome);
    let done = record.clone();
    ctx.persist
        .commit(move |tx, now| {
            let (_, mut events) = persist::start_call(tx, &running, now)?;
            let (_, more) = persist::finish_call(tx, &done, now)?;
            events.extend(more);
            Ok(((), events))
        })
        .await?;
    Ok(ToolResult {
        call_id: record.call_id.clone(),
        content: record.output.unwrap_or_default(),
        is_error: record.status != ToolCallStatus::Done,
    })
}

/// Commits the result of a call whose start is recorded.
async fn finish(
    ctx: &AgentCtx,
    mut record: ToolCallRecord,
    outcome: Result<String, ToolError>,
) -> Result<ToolResult, CallHalt> {
    conclude(ctx, &mut record, outcome);
    commit_end(ctx, record).await
}

async fn finish_as(
    ctx: &AgentCtx,
    mut record: ToolCallRecord,
    status: ToolCallStatus,
    text: String,
    code: Option<&str>,
) -> Result<ToolResult, CallHalt> {
    record.status = status;
    record.output = Some(bounded(&ctx.scrubber.scrub(&text)));
    record.error_code = code.map(str::to_owned);
    record.finished_at = Some(ctx.persist.now());
    commit_end(ctx, record).await
}

async fn finish_command(
    ctx: &AgentCtx,
    mut record: ToolCallRecord,
    outcome: Result<CommandResult, ToolError>,
) -> Result<ToolResult, CallHalt> {
    match outcome {
        Err(error) => finish(ctx, record, Err(error)).await,
        Ok(result) => {
            let output = ctx.scrubber.scrub(&result.text());
            record.effect = Some(EffectDetail::Command {
                command: result.command.clone(),
                exit_code: result.exit_code,
                timed_out: result.timed_out,
                output_digest: Some(blake3::hash(result.output.as_bytes()).to_hex().to_string()),
            });
            let (status, code) = if result.succeeded() {
                (ToolCallStatus::Done, None)
            } else if result.timed_out {
                (ToolCallStatus::Failed, Some("timed_out"))
            } else {
                (ToolCallStatus::Failed, Some("nonzero_exit"))
            };
            finish_as(ctx, record, status, output, code).await
        }
    }
}

fn conclude(ctx: &AgentCtx, record: &mut ToolCallRecord, outcome: Result<String, ToolError>) {
    record.finished_at = Some(ctx.persist.now());
    match outcome {
        Ok(text) => {
            record.status = ToolCallStatus::Done;
            record.output = Some(bounded(&ctx.scrubber.scrub(&text)));
        }
        Err(error) => {
            record.status = ToolCallStatus::Failed;
            record.error_code = Some(error.code().to_owned());
            record.output = Some(bounded(
                &ctx.scrubber
                    .scrub(&format!("error ({}): {error}", error.code())),
            ));
        }
    }
}

async fn commit_end(ctx: &AgentCtx, record: ToolCallRecord) -> Result<ToolResult, CallHalt> {
    let rec = record.clone();
    ctx.persist
        .commit(move |tx, now| persist::finish_call(tx, &rec, now))
        .await?;
    Ok(ToolResult {
        call_id: record.call_id,
        content: record.output.unwrap_or_default(),
        is_error: record.status != ToolCallStatus::Done,
    })
}

/// `text` cut to [`RESULT_LIMIT`] bytes, keeping its head and tail.
pub fn bounded(text: &str) -> String {
    if text.len() <= RESULT_LIMIT {
        return text.to_owned();
    }
    let head_end = floor_char(text, RESULT_LIMIT * 3 / 4);
    let tail_start = ceil_char(text, text.len() - RESULT_LIMIT / 4);
    format!(
        "{}\n… {} bytes cut …\n{}",
        text.get(..head_end).unwrap_or(""),
        tail_start - head_end,
        text.get(tail_start..).unwrap_or("")
    )
}

fn floor_char(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_char(text: &str, mut i: usize) -> usize {
    while i < text.len() && !text.is_char_boundary(i) {
        i += 1;
    }
    i
}
