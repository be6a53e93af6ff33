//! How the window words the application's failures: what went wrong, and what to do here (a button, a
//! field), never a command-line flag.

use crate::app::AppError;
use crate::model::ErrorInfo;

/// A status-bar notice for a failed request: `what: the failure — what to do`.
pub fn failure(what: &str, e: &AppError) -> String {
    format!("{what}: {}", message(e))
}

/// One failure in the window's words.
pub fn message(e: &AppError) -> String {
    match e {
        AppError::PathMissing { .. } | AppError::NotADirectory { .. } => {
            format!("{e}; enter the folder of a repository")
        }
        AppError::PathNotUtf8 { .. } => format!("{e}; rename the folder or link another one"),
        AppError::PathUnreadable { .. } => format!("{e}; check its permissions"),
        AppError::EmptySpaceName => format!("{e}; give it a name"),
        AppError::StaleDraft { short, .. } => {
            format!("the draft of run {short} is stale; use Apply anyway to apply it")
        }
        AppError::NoDraft { run, .. } => format!("run {run} has no draft to apply"),
        AppError::UnknownRun(run) => format!("run {run} no longer exists"),
        other => {
            let info = ErrorInfo::from(other);
            format!("{} — {}", info.message, info.remediation)
        }
    }
}
