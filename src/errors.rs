//! The one place every error type becomes what a person is told: an [`ErrorInfo`] with a closed
//! [`ErrorCode`], a message, a remediation and whether trying again unchanged can help. The engine records
//! these on runs and tasks; the window shows them; the CLI prints them. Remediations say what to do in the
//! product's words; a client that has its own controls for it (a flag, a button) adds that itself.

use crate::app::AppError;
use crate::forge::github::GithubError;
use crate::git::GitError;
use crate::model::{ContextError, ErrorCode, ErrorInfo, TransitionError};
use crate::provider::ProviderError;
use crate::store::StoreError;

impl From<&StoreError> for ErrorInfo {
    fn from(e: &StoreError) -> Self {
        let (code, remediation, retryable) = match e {
            StoreError::Open { remediation, .. } => (ErrorCode::Store, remediation.clone(), false),
            StoreError::NewerSchema { .. } => (
                ErrorCode::Store,
                "Upgrade Kata Cloud, or use another data directory.".to_owned(),
                false,
            ),
            StoreError::NotFound { kind, .. } => (
                ErrorCode::NotFound,
                format!("Check the {kind} id; it may have been typed wrong or belong to another data directory."),
                false,
            ),
            StoreError::AlreadyExists { kind, .. } => (
                ErrorCode::AlreadyExists,
                format!("Choose another {kind} id, or leave it to Kata Cloud."),
                false,
            ),
            StoreError::Damaged { .. } => (
                ErrorCode::Damaged,
                "The damaged record was set aside; the doctor check lists it. The rest of the store is unaffected."
                    .to_owned(),
                false,
            ),
            StoreError::Transition(_) => (
                ErrorCode::InvalidTransition,
                "Check the run's current status and try the action that status allows.".to_owned(),
                false,
            ),
            StoreError::Encode { .. } => (
                ErrorCode::Store,
                "This is a bug; please report it with the doctor check's output.".to_owned(),
                false,
            ),
            StoreError::Database(_) | StoreError::WorkerStopped(_) => (
                ErrorCode::Store,
                "Retry; if it persists, run the doctor check (a full disk or a damaged store file)."
                    .to_owned(),
                true,
            ),
        };
        ErrorInfo::new(code, e.to_string(), remediation, retryable)
    }
}

impl From<&TransitionError> for ErrorInfo {
    fn from(e: &TransitionError) -> Self {
        ErrorInfo::from(&StoreError::Transition(*e))
    }
}

impl From<&ProviderError> for ErrorInfo {
    fn from(e: &ProviderError) -> Self {
        let code = match e {
            ProviderError::Auth { .. } => ErrorCode::Auth,
            ProviderError::RateLimited { .. } => ErrorCode::RateLimited,
            ProviderError::Timeout { .. } => ErrorCode::Timeout,
            ProviderError::Server { .. } => ErrorCode::Server,
            ProviderError::InvalidRequest { .. } => ErrorCode::InvalidRequest,
            ProviderError::Unavailable { .. } => ErrorCode::Unavailable,
            ProviderError::Protocol { .. } => ErrorCode::Protocol,
            ProviderError::NotConfigured { .. } => ErrorCode::NotConfigured,
            ProviderError::Cancelled => ErrorCode::Cancelled,
        };
        ErrorInfo::new(code, e.to_string(), e.remediation(), e.retryable())
    }
}

impl From<&ContextError> for ErrorInfo {
    fn from(e: &ContextError) -> Self {
        ErrorInfo::new(
            e.code.into(),
            e.message.clone(),
            e.remediation.clone(),
            e.retryable,
        )
    }
}

impl From<&GitError> for ErrorInfo {
    fn from(e: &GitError) -> Self {
        ErrorInfo::new(
            ErrorCode::from_contract(e.code()),
            e.to_string(),
            e.remediation(),
            e.retryable(),
        )
    }
}

impl From<&GithubError> for ErrorInfo {
    fn from(e: &GithubError) -> Self {
        ErrorInfo::new(
            ErrorCode::from_contract(e.code()),
            e.to_string(),
            e.remediation(),
            e.retryable(),
        )
    }
}

impl From<&AppError> for ErrorInfo {
    fn from(e: &AppError) -> Self {
        let (code, remediation): (ErrorCode, &str) = match e {
            AppError::Store(store) => return store.into(),
            AppError::Provider(provider) => return provider.into(),
            AppError::Git(git) => return git.into(),
            AppError::Github(github) => return github.into(),
            AppError::PullRequestFailed(failed) => {
                let info = ErrorInfo::from(&failed.source);
                return ErrorInfo::new(
                    info.code,
                    e.to_string(),
                    format!(
                        "{} The branch is pushed; publishing again retries the pull request.",
                        info.remediation
                    ),
                    info.retryable,
                );
            }
            AppError::NothingToPublish { .. } => (
                ErrorCode::InvalidRequest,
                "Commit the session's changes first; a pull request needs at least one commit.",
            ),
            AppError::EmptyTitle => (
                ErrorCode::InvalidRequest,
                "Give the pull request a title, or leave it to the draft.",
            ),
            AppError::NoPullRequest { .. } => (
                ErrorCode::NotFound,
                "Create the session's pull request first; that pushes its branch.",
            ),
            AppError::NoWorktree { .. } => (
                ErrorCode::WorktreeBinding,
                "Start a run in the session with a tool-calling provider: its first run makes the worktree.",
            ),
            AppError::PathMissing { .. }
            | AppError::NotADirectory { .. }
            | AppError::PathNotUtf8 { .. }
            | AppError::PathUnreadable { .. } => (
                ErrorCode::InvalidRootPath,
                "Choose the folder of a repository that exists and that you can read.",
            ),
            AppError::FolderLinkedElsewhere { .. } => (
                ErrorCode::AlreadyExists,
                "Open that space, or remove it first.",
            ),
            AppError::SpaceHasLiveRuns { .. } => (
                ErrorCode::InvalidRequest,
                "Wait for its runs to finish, or cancel them.",
            ),
            AppError::McpCommandMissing
            | AppError::McpCommandEmpty
            | AppError::McpCommandInvalid(_) => (
                ErrorCode::InvalidRequest,
                "Give the command line that starts the space's MCP server, quoted like a shell command.",
            ),
            AppError::EmptySpaceName | AppError::EmptySessionName => (
                ErrorCode::InvalidRequest,
                "Give a name with some text in it.",
            ),
            AppError::CheckCommandEmpty => (
                ErrorCode::InvalidRequest,
                "Give the command that checks the work, e.g. cargo test.",
            ),
            AppError::UnknownSpace(_)
            | AppError::UnknownSession(_)
            | AppError::UnknownSessionInSpace(_)
            | AppError::UnknownRun(_) => (
                ErrorCode::NotFound,
                "Check the id: it may be mistyped or from another data directory.",
            ),
            AppError::SessionOfOtherSpace { .. } => (
                ErrorCode::InvalidRequest,
                "Use a session of this space, or run in the session's own space.",
            ),
            AppError::EmptyPrompt => (ErrorCode::InvalidRequest, "Describe the change you want."),
            AppError::EmptyModel => (
                ErrorCode::InvalidRequest,
                "Name a model, or leave it to the provider's default.",
            ),
            AppError::InvalidRunId(_) => (
                ErrorCode::InvalidRequest,
                "Use letters, digits, '-' and '_' (at most 64).",
            ),
            AppError::RunIdTaken(_) => (
                ErrorCode::AlreadyExists,
                "Leave the id to Kata Cloud, or resume the existing run.",
            ),
            AppError::NotInterrupted { .. } => (
                ErrorCode::InvalidTransition,
                "Start a new run instead, or pick an interrupted run.",
            ),
            AppError::NotLive { .. } => (ErrorCode::InvalidTransition, "Nothing to do."),
            AppError::NoDraft { .. } => (ErrorCode::NotFound, "Apply a run that drafted a spec."),
            AppError::StaleDraft { .. } => (
                ErrorCode::InvalidRequest,
                "Look at what changed; apply it anyway if it still fits.",
            ),
            AppError::UnknownSpecTask { .. } => (
                ErrorCode::NotFound,
                "Use a task id the spec shows (the `<!-- sN -->` at the end of its line).",
            ),
            AppError::UnknownSpecRevision { .. } => (
                ErrorCode::NotFound,
                "Pick a revision the spec's history lists.",
            ),
            AppError::LimitOutOfRange { .. } => {
                (ErrorCode::InvalidQuery, "Ask for 1 to 100 items.")
            }
            AppError::NoQueryTerms => (
                ErrorCode::InvalidQuery,
                "Name functions, files or behaviour to search for.",
            ),
            AppError::OrchestratorStopped(_) => (
                ErrorCode::Store,
                "Restart Kata Cloud; interrupted runs can be resumed.",
            ),
            AppError::OrchestratorBusy => (ErrorCode::Unavailable, "Try again in a moment."),
            AppError::UnknownPermissionRequest { .. } => (
                ErrorCode::NotFound,
                "Answer one of the run's waiting requests (its permission requests are listed with the run).",
            ),
            AppError::PermissionAnswered { .. } => (ErrorCode::InvalidTransition, "Nothing to do."),
            AppError::PermissionExpired { .. } => (
                ErrorCode::InvalidTransition,
                "Resume the run: the agent asks again, and nothing ran in between.",
            ),
            AppError::UnknownAllowRule { .. } => (
                ErrorCode::NotFound,
                "Remove one of the patterns the session's allow-list shows.",
            ),
        };
        let retryable = matches!(e, AppError::OrchestratorBusy);
        ErrorInfo::new(code, e.to_string(), remediation, retryable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code the git layer and the GitHub client report is one of the closed set.
    #[test]
    fn layer_codes_are_known_error_codes() {
        for code in [
            "invalid_input",
            "not_a_repository",
            "worktree_binding",
            "branch_exists",
            "branch_not_found",
            "path_occupied",
            "dirty_worktree",
            "dirty_checkout",
            "checkout_busy",
            "merge_conflict",
            "nothing_to_merge",
            "empty_commit",
            "empty_message",
            "git_identity",
            "no_change",
            "hunk_stale",
            "hunk_unsupported",
            "ref_moved",
            "no_remote",
            "push_rejected",
            "push_auth",
            "network",
            "git_not_installed",
            "git_failure",
            "io",
            "auth",
            "not_found",
            "already_exists",
            "validation",
            "rate_limited",
            "server",
            "protocol",
            "invalid_remote",
            "not_configured",
        ] {
            assert_ne!(ErrorCode::from_contract(code), ErrorCode::Unknown, "{code}");
            assert_eq!(ErrorCode::from_contract(code).as_str(), code);
        }
    }
}
