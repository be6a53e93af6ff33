//! The permission gate in front of every write and command an agent asks for (docs/PERMISSIONS.md).
//!
//! The rules (`model::permission_rules`) allow, refuse, or ask. Asking records the request first (its
//! record and a `permission_requested` event, one transaction; the run becomes `waiting_permission`), then
//! only this task waits — the rest of its wave goes on — until an answer is in the store, from any process:
//! the run's policy, the window, `runs approve|deny`. The answer's event is published to this process's
//! clients when it is found. A process that dies while a request waits leaves the run `interrupted` by the
//! next start's reconciliation; resume asks again under a new request id, and nothing ran in between.

use std::time::Duration;

use super::AgentCtx;
use super::calls::CallHalt;
use crate::model::permission_rules::{Subject, Verdict, answer_by_policy, evaluate};
use crate::model::tool::ToolCall;
use crate::model::{
    ApprovalMode, Decider, Event, PermissionAnswer, PermissionDecision, PermissionKind,
    PermissionPolicy, PermissionRequest, PermissionView, RunStatus, SessionId,
};
use crate::orchestrator::persist;

/// How often a waiting task looks for its answer in the store.
const ANSWER_POLL: Duration = Duration::from_millis(150);

/// What a task's permission gate works with, fixed when the run's attempt starts.
#[derive(Clone, Debug)]
pub struct PermissionSettings {
    pub session_id: SessionId,
    pub mode: ApprovalMode,
    pub policy: PermissionPolicy,
}

/// What the gate decided for one call.
pub enum Gate {
    Go,
    /// Refused: the model gets this text as the tool's error.
    Refused(String),
}

/// What a call would do, as the gate sees it.
pub struct Asked<'a> {
    pub call: &'a ToolCall,
    pub seq: u32,
    pub kind: PermissionKind,
    pub subject: &'a str,
    /// The engine's own check command (verification): only the deny-list asks for it.
    pub engine_check: bool,
}

/// Decides one call: by the rules at once, or by an answer it waits for.
pub async fn gate(ctx: &AgentCtx, asked: Asked<'_>) -> Result<Gate, CallHalt> {
    let session_id = ctx.permissions.session_id.clone();
    let rules = ctx
        .persist
        .read(move |rx| rx.session(&session_id))
        .await?
        .map(|s| s.allow_rules)
        .unwrap_or_default();
    let subject = Subject {
        kind: asked.kind,
        text: asked.subject,
    };
    let (reason, pattern) = match evaluate(ctx.permissions.mode, &rules, &subject) {
        Verdict::Allow => return Ok(Gate::Go),
        Verdict::Refuse { reason } => return Ok(Gate::Refused(reason)),
        Verdict::Ask {
            pattern: Some(_), ..
        } if asked.engine_check => return Ok(Gate::Go),
        Verdict::Ask { reason, pattern } => (reason, pattern),
    };
    let request = PermissionRequest {
        request_id: format!("{}.{}.{}", ctx.task.id, asked.seq, ctx.attempt),
        task_id: ctx.task.id.clone(),
        attempt: ctx.attempt,
        call_id: asked.call.id.clone(),
        tool: asked.call.name.clone(),
        kind: asked.kind,
        subject: asked.subject.to_owned(),
        reason,
        pattern,
        at: ctx.persist.now(),
    };
    let deny_listed = request.pattern.is_none();
    match answer_by_policy(ctx.permissions.policy, deny_listed) {
        Some(allow) => decide_by_policy(ctx, request, allow).await,
        None => ask_and_wait(ctx, request).await,
    }
}

/// The run's policy answers at once; request and answer are recorded together.
async fn decide_by_policy(
    ctx: &AgentCtx,
    request: PermissionRequest,
    allow: bool,
) -> Result<Gate, CallHalt> {
    let feedback = (!allow && request.pattern.is_none()).then(|| {
        format!(
            "{} is on the deny-list; a run's --yes does not cover it",
            request.subject
        )
    });
    let answer = PermissionAnswer {
        request_id: request.request_id.clone(),
        decision: if allow {
            PermissionDecision::Yes
        } else {
            PermissionDecision::No
        },
        by: Decider::Policy,
        feedback,
        pattern_added: None,
        at: request.at,
    };
    let run_id = ctx.run_id.clone();
    let view = PermissionView {
        request: request.clone(),
        answer: Some(answer.clone()),
        expired: false,
    };
    let gate = outcome(&request, &answer);
    ctx.persist
        .commit(move |tx, _| {
            tx.put_permission(&run_id, &view)?;
            Ok((
                (),
                vec![
                    Event::PermissionRequested {
                        run_id: run_id.clone(),
                        request: Box::new(request),
                    },
                    Event::PermissionDecided {
                        run_id: run_id.clone(),
                        task_id: view.request.task_id.clone(),
                        answer: Box::new(answer),
                    },
                ],
            ))
        })
        .await?;
    Ok(gate)
}

/// Records the request, waits for an answer in the store, and publishes it.
async fn ask_and_wait(ctx: &AgentCtx, request: PermissionRequest) -> Result<Gate, CallHalt> {
    let run_id = ctx.run_id.clone();
    let waiting = PermissionView {
        request: request.clone(),
        answer: None,
        expired: false,
    };
    ctx.persist
        .commit(move |tx, now| {
            // Asked again by an attempt that replays: keep the first record.
            let known = tx
                .permissions(&run_id)?
                .into_iter()
                .any(|p| p.request.request_id == waiting.request.request_id);
            if !known {
                tx.put_permission(&run_id, &waiting)?;
            }
            let mut events = Vec::new();
            if !known {
                events.push(Event::PermissionRequested {
                    run_id: run_id.clone(),
                    request: Box::new(waiting.request.clone()),
                });
            }
            if tx.existing_run(&run_id)?.status == RunStatus::Running {
                let (_, more) = persist::transition_run(
                    tx,
                    &run_id,
                    RunStatus::WaitingPermission,
                    now,
                    Some(format!("{} waits for permission", waiting.request.task_id)),
                    None,
                )?;
                events.extend(more);
            }
            Ok(((), events))
        })
        .await?;
    let answer = loop {
        let run_id = ctx.run_id.clone();
        let request_id = request.request_id.clone();
        let found = ctx
            .persist
            .read(move |rx| {
                Ok(rx
                    .permissions(&run_id)?
                    .into_iter()
                    .find(|p| p.request.request_id == request_id)
                    .and_then(|p| p.answer))
            })
            .await?;
        if let Some(answer) = found {
            break answer;
        }
        tokio::select! {
            () = ctx.token.cancelled() => return Err(CallHalt::Stopped),
            () = tokio::time::sleep(ANSWER_POLL) => {}
        }
    };
    // The answer's event was written by whoever answered; this process's clients get it now.
    ctx.persist.publish_only(Event::PermissionDecided {
        run_id: ctx.run_id.clone(),
        task_id: request.task_id.clone(),
        answer: Box::new(answer.clone()),
    });
    resume_running(ctx).await?;
    Ok(outcome(&request, &answer))
}

/// Back to `running` once no request of the run waits any more.
async fn resume_running(ctx: &AgentCtx) -> Result<(), CallHalt> {
    let run_id = ctx.run_id.clone();
    ctx.persist
        .commit(move |tx, now| {
            let still_waiting = tx.permissions(&run_id)?.iter().any(|p| p.is_waiting());
            if still_waiting || tx.existing_run(&run_id)?.status != RunStatus::WaitingPermission {
                return Ok(((), Vec::new()));
            }
            let (_, events) =
                persist::transition_run(tx, &run_id, RunStatus::Running, now, None, None)?;
            Ok(((), events))
        })
        .await?;
    Ok(())
}

fn outcome(request: &PermissionRequest, answer: &PermissionAnswer) -> Gate {
    if answer.decision.allows() {
        return Gate::Go;
    }
    let what = match request.kind {
        PermissionKind::Write => format!("writing {}", request.subject),
        PermissionKind::Command => format!("running `{}`", request.subject),
    };
    let mut text = format!(
        "permission denied ({}): {what} was refused",
        answer.by.as_str()
    );
    if let Some(feedback) = &answer.feedback {
        text.push_str(&format!(". The user says: {feedback}"));
    }
    Gate::Refused(text)
}
