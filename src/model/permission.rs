//! Permissions: what an agent may do without asking (the approval mode, the session's allow-list, the run's
//! policy), what it asked and who answered (docs/PERMISSIONS.md).
//!
//! A request and its decision are events in the run's log (`permission_requested`,
//! `permission_decided`), written before anything acts on them, so any process can answer and the answer
//! survives a crash.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::ids::{RunId, TaskId};
use super::time::Timestamp;

/// How much an agent may do in a session's worktree without asking. Chosen per space, overridden per
/// session.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalMode {
    /// Reading only: every write and every command is refused.
    ReadOnly,
    /// Writes inside the worktree are allowed; every command not on the session's allow-list asks.
    #[default]
    Ask,
    /// Everything inside the worktree is allowed, except the deny-list, which always asks.
    Auto,
}

impl ApprovalMode {
    pub const ALL: [ApprovalMode; 3] = [
        ApprovalMode::ReadOnly,
        ApprovalMode::Ask,
        ApprovalMode::Auto,
    ];

    /// The name the CLI takes and prints (`read-only`, `ask`, `auto`).
    pub const fn as_str(self) -> &'static str {
        match self {
            ApprovalMode::ReadOnly => "read-only",
            ApprovalMode::Ask => "ask",
            ApprovalMode::Auto => "auto",
        }
    }

    pub fn parse(text: &str) -> Option<ApprovalMode> {
        let text = text.trim().to_ascii_lowercase().replace('_', "-");
        ApprovalMode::ALL.into_iter().find(|m| m.as_str() == text)
    }
}

impl fmt::Display for ApprovalMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a run answers the requests its agents make, given when it starts (`run --yes|--deny|--ask`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PermissionPolicy {
    /// Every request waits for an answer (the window, `runs approve|deny`).
    #[default]
    Ask,
    /// Every request is granted once, except the deny-list's, which are refused.
    Yes,
    /// Every request is refused; the model is told so.
    Deny,
}

impl PermissionPolicy {
    pub const fn as_str(self) -> &'static str {
        match self {
            PermissionPolicy::Ask => "ask",
            PermissionPolicy::Yes => "yes",
            PermissionPolicy::Deny => "deny",
        }
    }
}

/// What a request is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PermissionKind {
    /// Writing or editing a file (the subject is its path).
    Write,
    /// Running a shell command (the subject is the command).
    Command,
}

impl PermissionKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            PermissionKind::Write => "write",
            PermissionKind::Command => "command",
        }
    }
}

/// An answer to a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PermissionDecision {
    /// Yes, and the request's pattern joins the session's allow-list.
    Always,
    /// Yes, this once.
    Yes,
    /// No: the call is refused and the model told why (with the feedback, if any).
    No,
}

impl PermissionDecision {
    pub const fn as_str(self) -> &'static str {
        match self {
            PermissionDecision::Always => "always",
            PermissionDecision::Yes => "yes",
            PermissionDecision::No => "no",
        }
    }

    pub const fn allows(self) -> bool {
        matches!(self, PermissionDecision::Always | PermissionDecision::Yes)
    }
}

/// Who answered a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decider {
    Window,
    Cli,
    /// The run's policy (`--yes`, `--deny`) or the approval mode's rules.
    Policy,
}

impl Decider {
    pub const fn as_str(self) -> &'static str {
        match self {
            Decider::Window => "window",
            Decider::Cli => "cli",
            Decider::Policy => "policy",
        }
    }
}

/// A pattern on a session's allow-list: a kind and a subject pattern (`*` matches any text).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllowRule {
    pub kind: PermissionKind,
    pub pattern: String,
    pub added_at: Timestamp,
    pub added_by: Decider,
    /// The run whose request added it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<RunId>,
}

/// What an agent asked to do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionRequest {
    /// Unique in its run: `<task>.<call seq>.<attempt>`; a resumed run asks again under a new id.
    pub request_id: String,
    pub task_id: TaskId,
    /// The run's attempt that asked: a request of an earlier attempt can no longer be answered.
    pub attempt: u32,
    /// The tool call's id, as the model gave it.
    pub call_id: String,
    pub tool: String,
    pub kind: PermissionKind,
    /// The path or the command.
    pub subject: String,
    /// Why it asks (the mode's rule, or the deny-list entry it matched).
    pub reason: String,
    /// The pattern "Always" adds; `None` when the subject can only ever be allowed once (deny-list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    pub at: Timestamp,
}

/// The answer to a request, as recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionAnswer {
    pub request_id: String,
    pub decision: PermissionDecision,
    pub by: Decider,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feedback: Option<String>,
    /// The allow-list pattern the answer added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern_added: Option<String>,
    pub at: Timestamp,
}

/// A request with its answer, as clients show them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionView {
    #[serde(flatten)]
    pub request: PermissionRequest,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<PermissionAnswer>,
    /// The run stopped while the request waited: it was never answered, and resume asks again.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub expired: bool,
}

impl PermissionView {
    /// Still waiting for an answer.
    pub fn is_waiting(&self) -> bool {
        self.answer.is_none() && !self.expired
    }
}

/// Feedback text as it is kept: trimmed, at most this many characters.
pub const FEEDBACK_MAX_CHARS: usize = 2_000;

/// Feedback cut to [`FEEDBACK_MAX_CHARS`], or `None` when blank.
pub fn clean_feedback(text: Option<&str>) -> Option<String> {
    let text = text?.trim();
    if text.is_empty() {
        return None;
    }
    Some(text.chars().take(FEEDBACK_MAX_CHARS).collect())
}
