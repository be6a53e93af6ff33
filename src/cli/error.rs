//! Command failures and their exit codes (docs/CLI.md, Global rules).

use std::fmt;

/// The contract's exit codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// The operation ran and ended badly (a run failed, was cancelled, ...).
    Failed = 1,
    /// Usage or input error.
    Usage = 2,
    /// The store could not be opened.
    Store = 3,
}

/// A command failure: one line on stderr, naming the bad input and the fix.
#[derive(Debug)]
pub struct CliError {
    pub exit: Exit,
    pub message: String,
}

impl CliError {
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            exit: Exit::Usage,
            message: message.into(),
        }
    }

    pub fn failed(message: impl Into<String>) -> Self {
        Self {
            exit: Exit::Failed,
            message: message.into(),
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        Self::failed(format!("I/O error: {e}"))
    }
}
