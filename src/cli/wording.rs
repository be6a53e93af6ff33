//! How the CLI words the application's failures: the domain says what is wrong, the CLI adds which flag or
//! command fixes it, and the exit code (docs/CLI.md, Global rules: 2 for the caller's input, 1 for a failure
//! of the operation, 3 when the store cannot be opened).

use super::error::{CliError, Exit};
use crate::app::AppError;
use crate::app::error::reasons_text;
use crate::model::ErrorInfo;
use crate::store::StoreError;

impl From<AppError> for CliError {
    fn from(e: AppError) -> Self {
        let message = match &e {
            AppError::Store(store) => return cli_store_error(store),
            AppError::Git(git) => git_message(git),
            AppError::Github(github) => {
                format!("{e} ({}). {}", github.code(), github.remediation())
            }
            AppError::PullRequestFailed(failed) => format!(
                "{e} ({}). {} The branch is pushed: run `kata-cloud changes pr create --session {}` again to retry.",
                failed.source.code(),
                failed.source.remediation(),
                failed.session
            ),
            AppError::NothingToPublish { .. } => {
                format!(
                    "{e}: stage and commit the session's changes with `kata-cloud changes commit` first"
                )
            }
            AppError::EmptyTitle => format!("{e}: pass --title with some text, or omit it"),
            AppError::NoPullRequest { .. } => {
                format!("{e}: `kata-cloud changes pr create --session ID` pushes it and opens one")
            }
            AppError::NoWorktree { .. } => format!(
                "{e}: it gets one on its first run with tools (a model provider, or `run --script`)"
            ),
            AppError::PathMissing { .. } | AppError::NotADirectory { .. } => {
                format!("{e}; pass the directory of a repository")
            }
            AppError::PathNotUtf8 { .. } => {
                format!("{e}; rename the directory or link another one")
            }
            AppError::PathUnreadable { .. } => format!("{e}; check its permissions"),
            AppError::McpCommandMissing => {
                format!("{e}: pass --mcp-command \"CMD ARGS\"")
            }
            AppError::McpCommandEmpty => format!("{e}; pass --mcp-command \"CMD ARGS\""),
            AppError::McpCommandInvalid(_) => format!(
                "{e}; quote it like a shell command line, e.g. --mcp-command \"server --root 'my dir'\""
            ),
            AppError::EmptySpaceName => format!("{e}; pass a name or omit --name"),
            AppError::CheckCommandEmpty => {
                format!("{e}; pass --check-command \"CMD ARGS\" (e.g. \"cargo test\") or omit it")
            }
            AppError::EmptySessionName => format!("{e}; pass a name with some text in it"),
            AppError::UnknownSpace(_) => {
                format!("{e}: pass a space id from `kata-cloud space list` or a directory path")
            }
            AppError::FolderLinkedElsewhere { space, .. } => {
                format!("{e}: `kata-cloud space remove {space}` first, or keep using that space")
            }
            AppError::SpaceHasLiveRuns { .. } => {
                format!("{e}: wait for them to finish or cancel them with `kata-cloud runs cancel`")
            }
            AppError::UnknownSession(_) => {
                format!("{e}: `kata-cloud --json runs list` shows the session_id of each run")
            }
            AppError::UnknownSessionInSpace(_) => {
                format!("{e}: omit --session to use the latest one")
            }
            AppError::SessionOfOtherSpace { other, .. } => format!(
                "{e}: omit --session to use this space's latest session, or pass --space {other}"
            ),
            AppError::UnknownRun(_) => format!("{e}: list run ids with `kata-cloud runs list`"),
            AppError::EmptyPrompt => "--prompt is empty: describe the change you want".to_owned(),
            AppError::EmptyModel => {
                "--model is empty: pass a model name or omit --model".to_owned()
            }
            AppError::InvalidRunId(id) => {
                format!("--run-id {id:?} is not a valid id: use letters, digits, '-' and '_'")
            }
            AppError::RunIdTaken(id) => format!(
                "--run-id {id:?} is an existing run: omit --run-id to start a new one, or use `kata-cloud runs resume`"
            ),
            AppError::NotInterrupted { .. } | AppError::NotLive { .. } => e.to_string(),
            AppError::NoDraft { .. } => format!("{e}; apply a run that drafted a spec"),
            AppError::UnknownPermissionRequest { run, .. } => format!(
                "{e}: `kata-cloud runs show {run}` lists its requests; answer one that waits"
            ),
            AppError::PermissionAnswered { .. } => e.to_string(),
            AppError::PermissionExpired { run, .. } => {
                format!("{e}; `kata-cloud runs resume {run}` asks again (nothing ran in between)")
            }
            AppError::UnknownAllowRule { session, .. } => {
                format!("{e}: `kata-cloud session allowed {session}` lists its patterns")
            }
            AppError::StaleDraft { run, reasons, .. } => format!(
                "the draft of run {run} is stale ({}); pass --force to apply it anyway",
                reasons_text(reasons)
            ),
            AppError::UnknownSpecTask { session, .. } => format!(
                "{e}: `kata-cloud spec show --session {session}` shows each task's id as `<!-- sN -->` at the end of its line"
            ),
            AppError::UnknownSpecRevision { session, .. } => {
                format!("{e}: `kata-cloud spec history --session {session}` lists the revisions")
            }
            AppError::LimitOutOfRange { limit, max } => {
                format!("--limit {limit} is out of range: pass a number from 1 to {max}")
            }
            AppError::NoQueryTerms => {
                "--prompt has no words to search for: name functions, files or behaviour".to_owned()
            }
            AppError::Provider(p) => format!("--provider: {p}. {}", p.remediation()),
            AppError::OrchestratorStopped(_) | AppError::OrchestratorBusy => {
                let info = ErrorInfo::from(&e);
                return CliError::failed(format!("{}. {}", info.message, info.remediation));
            }
        };
        let exit = if e.is_input() {
            Exit::Usage
        } else {
            Exit::Failed
        };
        CliError { exit, message }
    }
}

/// A store failure on the command line: the store's own words, and what to do in CLI terms.
fn cli_store_error(e: &StoreError) -> CliError {
    let exit = match e {
        StoreError::Open { .. } | StoreError::NewerSchema { .. } => Exit::Store,
        StoreError::NotFound { .. } | StoreError::AlreadyExists { .. } => Exit::Usage,
        StoreError::Damaged { .. }
        | StoreError::Transition(_)
        | StoreError::Encode { .. }
        | StoreError::Database(_)
        | StoreError::WorkerStopped(_) => Exit::Failed,
    };
    let remediation = match e {
        StoreError::NewerSchema { .. } => {
            "Upgrade Kata Cloud, or point --data-dir at another directory.".to_owned()
        }
        StoreError::Damaged { .. } => {
            "Run `kata-cloud doctor` to see the quarantined record.".to_owned()
        }
        StoreError::Transition(_) => {
            "Check the run's status with `kata-cloud runs show ID`.".to_owned()
        }
        other => ErrorInfo::from(other).remediation,
    };
    CliError {
        exit,
        message: format!("{e}. {remediation}"),
    }
}

impl From<StoreError> for CliError {
    fn from(e: StoreError) -> Self {
        cli_store_error(&e)
    }
}

/// A git failure with what to do; a broken worktree binding lists each problem and the commands that fix
/// it (`session rebind`, `session recreate`, or a new session).
fn git_message(e: &crate::git::GitError) -> String {
    format!("{e} ({}). {}", e.code(), e.remediation())
}
