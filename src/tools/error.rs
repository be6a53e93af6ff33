//! Why a tool call did not do what the model asked. Every one of these goes back to the model as the tool's
//! result (it can correct itself); none of them stops the run.

use std::path::PathBuf;

/// A tool call's failure, as the model is told it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ToolError {
    /// The path leaves the workspace: `..` above its root, an absolute path, or a symlink that points out.
    #[error("{path:?} is outside the workspace; use a path relative to the repository root")]
    PathOutsideWorkspace { path: String },
    #[error("{path:?} does not exist")]
    NotFound { path: String },
    #[error("{path:?} is a directory, not a file")]
    IsADirectory { path: String },
    #[error("{path:?} is not a text file (binary or not UTF-8)")]
    NotText { path: String },
    #[error("{path:?} is {size} bytes; read it in line ranges (at most {limit} bytes at once)")]
    TooLarge { path: String, size: u64, limit: u64 },
    /// `edit_file`: the old text is not in the file.
    #[error(
        "the old text was not found in {path:?}; read the file again and copy the text exactly"
    )]
    OldTextAbsent { path: String },
    /// `edit_file`: the old text is in the file more than once.
    #[error(
        "the old text occurs {count} times in {path:?}; include more surrounding lines so it is unique"
    )]
    OldTextNotUnique { path: String, count: usize },
    /// The model named a tool that does not exist.
    #[error("there is no tool {name:?}; the tools are: {known}")]
    UnknownTool { name: String, known: String },
    /// The arguments are not valid JSON, or miss a field, or have the wrong type.
    #[error("invalid arguments for {tool}: {reason}")]
    InvalidArguments { tool: String, reason: String },
    #[error("invalid search pattern: {0}")]
    InvalidPattern(String),
    #[error("the command could not be started: {0}")]
    CommandNotStarted(String),
    /// The workspace does not allow changes (a read-only session, or a space without a worktree).
    #[error("this workspace is read-only: {0}")]
    ReadOnly(String),
    #[error("{path}: {reason}")]
    Io { path: PathBuf, reason: String },
}

impl ToolError {
    /// The error code the model and the event log see.
    pub fn code(&self) -> &'static str {
        match self {
            ToolError::PathOutsideWorkspace { .. } => "path_outside_workspace",
            ToolError::NotFound { .. } => "not_found",
            ToolError::IsADirectory { .. } => "is_a_directory",
            ToolError::NotText { .. } => "not_text",
            ToolError::TooLarge { .. } => "too_large",
            ToolError::OldTextAbsent { .. } => "old_text_absent",
            ToolError::OldTextNotUnique { .. } => "old_text_not_unique",
            ToolError::UnknownTool { .. } => "unknown_tool",
            ToolError::InvalidArguments { .. } => "invalid_arguments",
            ToolError::InvalidPattern(_) => "invalid_pattern",
            ToolError::CommandNotStarted(_) => "command_not_started",
            ToolError::ReadOnly(_) => "read_only",
            ToolError::Io { .. } => "io_failure",
        }
    }

    pub(crate) fn io(path: &std::path::Path, e: &std::io::Error) -> ToolError {
        ToolError::Io {
            path: path.to_path_buf(),
            reason: e.to_string(),
        }
    }
}
