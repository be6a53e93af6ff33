//! Answering agents' permission requests, and the settings that decide what asks: a session's approval
//! mode and its allow-list. Any process may answer: the answer is written to the store (the request's
//! record and an event in the run's log, one transaction) and the engine that owns the run finds it there.

use super::{App, AppError};
use crate::model::permission::clean_feedback;
use crate::model::{
    AllowRule, ApprovalMode, Decider, Event, PermissionAnswer, PermissionDecision, PermissionView,
    RunId, Session, SessionId,
};

/// An answer to one request.
#[derive(Clone, Debug)]
pub struct AnswerPermission {
    pub run: String,
    pub request: String,
    pub decision: PermissionDecision,
    pub feedback: Option<String>,
    pub by: Decider,
}

/// A waiting request with the run it belongs to (the window's badge and title count).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WaitingRequest {
    pub run_id: RunId,
    pub permission: PermissionView,
}

impl App {
    /// Answers a waiting request. "Always" also adds the request's pattern to the session's allow-list
    /// (in the same transaction).
    pub fn answer_permission(&self, answer: AnswerPermission) -> Result<PermissionView, AppError> {
        let run_id = RunId::new(answer.run.as_str());
        let feedback = clean_feedback(answer.feedback.as_deref());
        let now = self.now();
        self.store().write(|tx| {
            let Some(run) = tx.run(&run_id)? else {
                return Ok(Err(AppError::UnknownRun(answer.run.clone())));
            };
            let Some(mut permission) = tx
                .permissions(&run_id)?
                .into_iter()
                .find(|p| p.request.request_id == answer.request)
            else {
                return Ok(Err(AppError::UnknownPermissionRequest {
                    run: answer.run.clone(),
                    request: answer.request.clone(),
                }));
            };
            if let Some(given) = &permission.answer {
                return Ok(Err(AppError::PermissionAnswered {
                    request: answer.request.clone(),
                    decision: given.decision.as_str(),
                    by: given.by.as_str(),
                }));
            }
            if permission.expired {
                return Ok(Err(AppError::PermissionExpired {
                    run: answer.run.clone(),
                    request: answer.request.clone(),
                    status: run.status,
                }));
            }
            // A deny-listed subject has no pattern: "Always" grants it this once.
            let pattern_added = match answer.decision {
                PermissionDecision::Always => permission.request.pattern.clone(),
                PermissionDecision::Yes | PermissionDecision::No => None,
            };
            if let Some(pattern) = &pattern_added
                && let Some(mut session) = tx.session(&run.session_id)?
                && !session
                    .allow_rules
                    .iter()
                    .any(|r| r.kind == permission.request.kind && &r.pattern == pattern)
            {
                session.allow_rules.push(AllowRule {
                    kind: permission.request.kind,
                    pattern: pattern.clone(),
                    added_at: now,
                    added_by: answer.by,
                    run_id: Some(run_id.clone()),
                });
                session.updated_at = now;
                tx.put_session(&session)?;
            }
            let recorded = PermissionAnswer {
                request_id: answer.request.clone(),
                decision: answer.decision,
                by: answer.by,
                feedback: feedback.clone(),
                pattern_added,
                at: now,
            };
            permission.answer = Some(recorded.clone());
            tx.put_permission(&run_id, &permission)?;
            tx.append_event(
                &run_id,
                now,
                &Event::PermissionDecided {
                    run_id: run_id.clone(),
                    task_id: permission.request.task_id.clone(),
                    answer: Box::new(recorded),
                },
            )?;
            Ok(Ok(permission))
        })?
    }

    /// Every request waiting for an answer, across live runs (oldest first).
    pub fn waiting_permissions(&self) -> Result<Vec<WaitingRequest>, AppError> {
        Ok(self.store().read(|rx| {
            let mut out = Vec::new();
            for (run_id, _) in rx.active_runs()? {
                for permission in rx.permissions(&run_id)? {
                    if permission.is_waiting() {
                        out.push(WaitingRequest {
                            run_id: run_id.clone(),
                            permission,
                        });
                    }
                }
            }
            out.sort_by_key(|w| w.permission.request.at);
            Ok(out)
        })?)
    }

    /// Sets (or, with `None`, clears) the session's own approval mode.
    pub fn set_session_mode(
        &self,
        session: &SessionId,
        mode: Option<ApprovalMode>,
    ) -> Result<Session, AppError> {
        self.update_session(session, |s, _| s.approval_mode = mode)
    }

    /// Removes a pattern from the session's allow-list.
    pub fn remove_allow_rule(
        &self,
        session: &SessionId,
        pattern: &str,
    ) -> Result<Session, AppError> {
        let found = self.session(session.as_str())?;
        if !found.allow_rules.iter().any(|r| r.pattern == pattern) {
            return Err(AppError::UnknownAllowRule {
                session: session.to_string(),
                pattern: pattern.to_owned(),
            });
        }
        self.update_session(session, |s, _| {
            s.allow_rules.retain(|r| r.pattern != pattern)
        })
    }
}
