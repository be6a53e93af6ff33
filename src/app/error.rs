//! What a client operation can fail with. Messages say what is wrong in the product's words and never name
//! a client's controls (a CLI flag, a button): each client adds its own hint (`cli::wording`, the window's
//! notices). What a failure means for a person (code, remediation, retryable) is decided in `crate::errors`.

use std::path::PathBuf;

use crate::forge::github::GithubError;
use crate::git::GitError;

/// A branch that was pushed, and why its pull request then failed.
#[derive(Debug)]
pub struct PushedWithoutPullRequest {
    pub session: String,
    pub branch: String,
    pub remote: String,
    /// The pushed commit, abbreviated.
    pub commit: String,
    pub source: GithubError,
}
use crate::model::ids::wrong_kind_hint;
use crate::model::{RunStatus, StaleReason};
use crate::provider::ProviderError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{path:?} does not exist")]
    PathMissing { path: PathBuf },
    #[error("{path:?} is not a directory")]
    NotADirectory { path: PathBuf },
    #[error("{path:?} is not valid UTF-8, which a space's path must be")]
    PathNotUtf8 { path: PathBuf },
    #[error("{path:?} cannot be read ({reason})")]
    PathUnreadable { path: PathBuf, reason: String },
    #[error("the mcp context provider needs the command that starts the server")]
    McpCommandMissing,
    #[error("the MCP command is empty")]
    McpCommandEmpty,
    #[error("{0}")]
    McpCommandInvalid(String),
    #[error("the space name is empty")]
    EmptySpaceName,
    #[error("the check command is empty")]
    CheckCommandEmpty,
    #[error("the session name is empty")]
    EmptySessionName,
    #[error("no space {0:?}{hint}", hint = wrong_kind_hint(.0, "a space"))]
    UnknownSpace(String),
    #[error("{path:?} is linked already, as space {space}")]
    FolderLinkedElsewhere { path: PathBuf, space: String },
    #[error("space {space:?} has live runs ({})", .runs.join(", "))]
    SpaceHasLiveRuns { space: String, runs: Vec<String> },
    #[error("no session {0:?}{hint}", hint = wrong_kind_hint(.0, "a session"))]
    UnknownSession(String),
    #[error("no session {0:?} in this space{hint}", hint = wrong_kind_hint(.0, "a session"))]
    UnknownSessionInSpace(String),
    #[error("session {session:?} belongs to space {other_name:?} ({other}), not {this:?}")]
    SessionOfOtherSpace {
        session: String,
        other: String,
        other_name: String,
        this: String,
    },
    #[error("no run {0:?}{hint}", hint = wrong_kind_hint(.0, "a run"))]
    UnknownRun(String),
    #[error("the prompt is empty")]
    EmptyPrompt,
    #[error("the model name is empty")]
    EmptyModel,
    #[error("{0:?} is not a valid run id")]
    InvalidRunId(String),
    #[error("{0:?} is an existing run")]
    RunIdTaken(String),
    #[error("run {run} is {status}; only interrupted runs can be resumed")]
    NotInterrupted { run: String, status: RunStatus },
    #[error("run {run} is {status}; only queued or running runs can be cancelled")]
    NotLive { run: String, status: RunStatus },
    #[error("run {run} has no draft (it is {status})")]
    NoDraft { run: String, status: RunStatus },
    #[error("the draft of run {run} is stale ({})", reasons_text(.reasons))]
    StaleDraft {
        run: String,
        short: String,
        reasons: Vec<StaleReason>,
    },
    #[error("the spec of session {session} has no task {task:?}")]
    UnknownSpecTask { session: String, task: String },
    #[error("the spec of session {session} has no revision {revision} (it has {latest})")]
    UnknownSpecRevision {
        session: String,
        revision: u64,
        latest: u64,
    },
    #[error("{limit} is out of range (1 to {max})")]
    LimitOutOfRange { limit: i64, max: usize },
    #[error("the prompt has no words to search for")]
    NoQueryTerms,
    /// The provider asked for is unknown or not configured.
    #[error("{0}")]
    Provider(ProviderError),
    /// This process's orchestrator is not running (it stopped, or its runtime could not start).
    #[error("the orchestrator has stopped ({0})")]
    OrchestratorStopped(String),
    /// The orchestrator's command queue is full; trying again shortly works.
    #[error("the orchestrator is busy")]
    OrchestratorBusy,
    #[error("run {run} has no permission request {request:?}")]
    UnknownPermissionRequest { run: String, request: String },
    #[error("request {request} was answered already ({decision} by {by})")]
    PermissionAnswered {
        request: String,
        decision: &'static str,
        by: &'static str,
    },
    #[error("request {request} no longer waits: run {run} is {status}")]
    PermissionExpired {
        run: String,
        request: String,
        status: RunStatus,
    },
    #[error("session {session} has no allow-list pattern {pattern:?}")]
    UnknownAllowRule { session: String, pattern: String },
    /// A session without a worktree (none made yet, or a folder that is not a git repository).
    #[error("session {session:?} has no worktree")]
    NoWorktree { session: String },
    /// The session branch has no commits of its own: there is nothing to open a pull request for.
    #[error("{branch} has no commits beyond {base}")]
    NothingToPublish { branch: String, base: String },
    #[error("the pull request title is empty")]
    EmptyTitle,
    /// The session never pushed its branch.
    #[error("session {session:?} has no pushed branch or pull request yet")]
    NoPullRequest { session: String },
    /// The branch was pushed, then creating or updating its pull request failed; the push is recorded and
    /// trying again retries the pull request.
    #[error(
        "pushed {} to {} ({}), but the pull request was not created or updated: {}",
        .0.branch, .0.remote, .0.commit, .0.source
    )]
    PullRequestFailed(Box<PushedWithoutPullRequest>),
    #[error(transparent)]
    Github(#[from] GithubError),
    #[error(transparent)]
    Git(#[from] GitError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// `source_changed: src/a.rs; spec_edited: ...`, as the stale-draft refusal lists them.
pub fn reasons_text(reasons: &[StaleReason]) -> String {
    reasons
        .iter()
        .map(|r| format!("{}: {}", r.kind.as_str(), r.detail))
        .collect::<Vec<_>>()
        .join("; ")
}

impl AppError {
    /// Whether the failure is the caller's input (a usage error) rather than the product's.
    pub fn is_input(&self) -> bool {
        match self {
            AppError::Store(e) => matches!(e, StoreError::NotFound { .. }),
            AppError::Git(e) => matches!(
                e,
                GitError::WorktreeBinding { .. }
                    | GitError::InvalidInput { .. }
                    | GitError::DirtyWorktree { .. }
                    | GitError::DirtyCheckout { .. }
                    | GitError::CheckoutBusy { .. }
                    | GitError::MergeConflict { .. }
                    | GitError::NothingToMerge { .. }
                    | GitError::EmptyCommit
                    | GitError::EmptyMessage
                    | GitError::IdentityMissing { .. }
                    | GitError::NoChange { .. }
                    | GitError::HunkStale { .. }
                    | GitError::HunkUnsupported { .. }
                    | GitError::NoRemote { .. }
            ),
            AppError::UnknownPermissionRequest { .. }
            | AppError::PermissionAnswered { .. }
            | AppError::PermissionExpired { .. }
            | AppError::UnknownAllowRule { .. } => true,
            AppError::NoWorktree { .. }
            | AppError::NothingToPublish { .. }
            | AppError::EmptyTitle
            | AppError::NoPullRequest { .. } => true,
            AppError::Github(e) => matches!(e, GithubError::InvalidRemote { .. }),
            AppError::PullRequestFailed(_) => false,
            AppError::OrchestratorStopped(_) | AppError::OrchestratorBusy => false,
            AppError::PathMissing { .. }
            | AppError::NotADirectory { .. }
            | AppError::PathNotUtf8 { .. }
            | AppError::PathUnreadable { .. }
            | AppError::McpCommandMissing
            | AppError::McpCommandEmpty
            | AppError::McpCommandInvalid(_)
            | AppError::EmptySpaceName
            | AppError::CheckCommandEmpty
            | AppError::EmptySessionName
            | AppError::UnknownSpace(_)
            | AppError::FolderLinkedElsewhere { .. }
            | AppError::SpaceHasLiveRuns { .. }
            | AppError::UnknownSession(_)
            | AppError::UnknownSessionInSpace(_)
            | AppError::SessionOfOtherSpace { .. }
            | AppError::UnknownRun(_)
            | AppError::EmptyPrompt
            | AppError::EmptyModel
            | AppError::InvalidRunId(_)
            | AppError::RunIdTaken(_)
            | AppError::NotInterrupted { .. }
            | AppError::NotLive { .. }
            | AppError::NoDraft { .. }
            | AppError::StaleDraft { .. }
            | AppError::UnknownSpecTask { .. }
            | AppError::UnknownSpecRevision { .. }
            | AppError::LimitOutOfRange { .. }
            | AppError::NoQueryTerms
            | AppError::Provider(_) => true,
        }
    }
}
