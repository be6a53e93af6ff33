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
    // Sessions, worktrees, changes and pull requests (the git layer's and GitHub's codes).
    WorktreeBinding,
    /// A value given to an operation is not valid (a path, a slug, a stored id).
    InvalidInput,
    NotARepository,
    BranchExists,
    BranchNotFound,
    PathOccupied,
    /// The session's worktree has uncommitted work.
    DirtyWorktree,
    /// The user's checkout has uncommitted work an operation would touch.
    DirtyCheckout,
    CheckoutBusy,
    MergeConflict,
    NothingToMerge,
    EmptyCommit,
    EmptyMessage,
    GitIdentity,
    NoChange,
    HunkStale,
    HunkUnsupported,
    RefMoved,
    NoRemote,
    PushRejected,
    PushAuth,
    Network,
    GitNotInstalled,
    GitFailure,
    Io,
    /// GitHub refused the request's content (HTTP 422).
    Validation,
    InvalidRemote,

    /// A context provider answered with paths outside the space; those answers were dropped.
    PathOutsideSpace,

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
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::NotARepository => "not_a_repository",
            ErrorCode::BranchExists => "branch_exists",
            ErrorCode::BranchNotFound => "branch_not_found",
            ErrorCode::PathOccupied => "path_occupied",
            ErrorCode::DirtyWorktree => "dirty_worktree",
            ErrorCode::DirtyCheckout => "dirty_checkout",
            ErrorCode::CheckoutBusy => "checkout_busy",
            ErrorCode::MergeConflict => "merge_conflict",
            ErrorCode::NothingToMerge => "nothing_to_merge",
            ErrorCode::EmptyCommit => "empty_commit",
            ErrorCode::EmptyMessage => "empty_message",
            ErrorCode::GitIdentity => "git_identity",
            ErrorCode::NoChange => "no_change",
            ErrorCode::HunkStale => "hunk_stale",
            ErrorCode::HunkUnsupported => "hunk_unsupported",
            ErrorCode::RefMoved => "ref_moved",
            ErrorCode::NoRemote => "no_remote",
            ErrorCode::PushRejected => "push_rejected",
            ErrorCode::PushAuth => "push_auth",
            ErrorCode::Network => "network",
            ErrorCode::GitNotInstalled => "git_not_installed",
            ErrorCode::GitFailure => "git_failure",
            ErrorCode::Io => "io",
            ErrorCode::Validation => "validation",
            ErrorCode::InvalidRemote => "invalid_remote",
            ErrorCode::PathOutsideSpace => "path_outside_space",
            ErrorCode::PathOutsideWorkspace => "path_outside_workspace",
            ErrorCode::CheckFailed => "check_failed",
            ErrorCode::TaskLimit => "task_limit",
            ErrorCode::RepeatedFailure => "repeated_failure",
            ErrorCode::Unknown => "unknown",
        }
    }
}

impl ErrorCode {
    /// Every code but `Unknown`, in declaration order.
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::ProviderUnavailable,
        ErrorCode::UnsupportedProvider,
        ErrorCode::InvalidQuery,
        ErrorCode::InvalidRootPath,
        ErrorCode::IoFailure,
        ErrorCode::Auth,
        ErrorCode::RateLimited,
        ErrorCode::Timeout,
        ErrorCode::Server,
        ErrorCode::InvalidRequest,
        ErrorCode::Unavailable,
        ErrorCode::Protocol,
        ErrorCode::NotConfigured,
        ErrorCode::Cancelled,
        ErrorCode::NotFound,
        ErrorCode::AlreadyExists,
        ErrorCode::Store,
        ErrorCode::Damaged,
        ErrorCode::InvalidTransition,
        ErrorCode::WorktreeBinding,
        ErrorCode::InvalidInput,
        ErrorCode::NotARepository,
        ErrorCode::BranchExists,
        ErrorCode::BranchNotFound,
        ErrorCode::PathOccupied,
        ErrorCode::DirtyWorktree,
        ErrorCode::DirtyCheckout,
        ErrorCode::CheckoutBusy,
        ErrorCode::MergeConflict,
        ErrorCode::NothingToMerge,
        ErrorCode::EmptyCommit,
        ErrorCode::EmptyMessage,
        ErrorCode::GitIdentity,
        ErrorCode::NoChange,
        ErrorCode::HunkStale,
        ErrorCode::HunkUnsupported,
        ErrorCode::RefMoved,
        ErrorCode::NoRemote,
        ErrorCode::PushRejected,
        ErrorCode::PushAuth,
        ErrorCode::Network,
        ErrorCode::GitNotInstalled,
        ErrorCode::GitFailure,
        ErrorCode::Io,
        ErrorCode::Validation,
        ErrorCode::InvalidRemote,
        ErrorCode::PathOutsideSpace,
        ErrorCode::PathOutsideWorkspace,
        ErrorCode::CheckFailed,
        ErrorCode::TaskLimit,
        ErrorCode::RepeatedFailure,
    ];

    /// The code for a contract string (what a layer's own error type reports), `Unknown` for none.
    pub fn from_contract(code: &str) -> ErrorCode {
        ErrorCode::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == code)
            .unwrap_or(ErrorCode::Unknown)
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
