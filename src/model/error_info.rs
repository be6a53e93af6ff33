//! The user-facing shape every recorded failure takes, and the closed set of codes it can carry.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Every failure code the product reports: recorded on runs and tasks, printed by the CLI (`error.code`,
/// `provider_execution.error_code`), shown in the window. Serialised as the contract's snake_case strings.
/// The mapping from each error type to its code lives in one place, `crate::errors`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    // Context providers.
    ProviderUnavailable,
    UnsupportedProvider,
    InvalidQuery,
    InvalidRootPath,
    IoFailure,
    // Model providers.
    Auth,
    RateLimited,
    Timeout,
    Server,
    InvalidRequest,
    Unavailable,
    Protocol,
    NotConfigured,
    Cancelled,
    // Records and the store.
    NotFound,
    AlreadyExists,
    Store,
    /// A record failed to decode and was quarantined.
    Damaged,
    /// A lifecycle transition that the state machine does not allow.
    InvalidTransition,
    // Sessions, worktrees and changes.
    WorktreeBinding,
    Git,
    // Agents' tools.
    PathOutsideWorkspace,
    /// The verifier's check command failed.
    CheckFailed,
    /// A task reached one of its limits (tool calls, tokens, wall time).
    TaskLimit,
    /// A task made the same failing call again and again.
    RepeatedFailure,
    /// A code written by a newer build that this build does not know; shown as `unknown`.
    #[serde(other)]
    Unknown,
}

impl ErrorCode {
    /// The contract string (`provider_unavailable`, `auth`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::ProviderUnavailable => "provider_unavailable",
            ErrorCode::UnsupportedProvider => "unsupported_provider",
            ErrorCode::InvalidQuery => "invalid_query",
            ErrorCode::InvalidRootPath => "invalid_root_path",
            ErrorCode::IoFailure => "io_failure",
            ErrorCode::Auth => "auth",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Timeout => "timeout",
            ErrorCode::Server => "server",
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Protocol => "protocol",
            ErrorCode::NotConfigured => "not_configured",
            ErrorCode::Cancelled => "cancelled",
            ErrorCode::NotFound => "not_found",
            ErrorCode::AlreadyExists => "already_exists",
            ErrorCode::Store => "store",
            ErrorCode::Damaged => "damaged",
            ErrorCode::InvalidTransition => "invalid_transition",
            ErrorCode::WorktreeBinding => "worktree_binding",
            ErrorCode::Git => "git",
            ErrorCode::PathOutsideWorkspace => "path_outside_workspace",
            ErrorCode::CheckFailed => "check_failed",
            ErrorCode::TaskLimit => "task_limit",
            ErrorCode::RepeatedFailure => "repeated_failure",
            ErrorCode::Unknown => "unknown",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// A failure as a person sees it: a stable machine `code`, what happened, what to do about it, and whether
/// trying again unchanged can succeed. Recorded on runs and tasks; shown in the UI and in `--json` output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorInfo {
    pub code: ErrorCode,
    pub message: String,
    pub remediation: String,
    pub retryable: bool,
}

impl ErrorInfo {
    pub fn new(
        code: ErrorCode,
        message: impl Into<String>,
        remediation: impl Into<String>,
        retryable: bool,
    ) -> Self {
        Self {
            code,
            message: message.into(),
            remediation: remediation.into(),
            retryable,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialise_to_the_contract_strings_and_unknown_ones_still_decode() {
        for code in [
            ErrorCode::ProviderUnavailable,
            ErrorCode::RateLimited,
            ErrorCode::NotFound,
            ErrorCode::WorktreeBinding,
            ErrorCode::PathOutsideWorkspace,
        ] {
            let json = serde_json::to_value(code).unwrap();
            assert_eq!(json, serde_json::Value::String(code.as_str().to_owned()));
            assert_eq!(serde_json::from_value::<ErrorCode>(json).unwrap(), code);
        }
        let later: ErrorCode = serde_json::from_str("\"a_code_from_a_newer_build\"").unwrap();
        assert_eq!(later, ErrorCode::Unknown);
    }
}
