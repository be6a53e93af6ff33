//! The user-facing shape every recorded failure takes.

use serde::{Deserialize, Serialize};

/// A failure as a person sees it: a stable machine `code`, what happened, what to do about it, and whether
/// trying again unchanged can succeed. Recorded on runs and tasks; shown in the UI and in `--json` output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorInfo {
    pub code: String,
    pub message: String,
    pub remediation: String,
    pub retryable: bool,
}

impl ErrorInfo {
    pub fn new(
        code: impl Into<String>,
        message: impl Into<String>,
        remediation: impl Into<String>,
        retryable: bool,
    ) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            remediation: remediation.into(),
            retryable,
        }
    }
}
