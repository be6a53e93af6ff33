//! The tools specialists work with, one module for every provider: `list_files`, `read_file`, `search`,
//! `write_file`, `edit_file`, `run_command`. Each is confined to the task's [`Workspace`] (the session's
//! worktree): a path that leaves it is refused with `path_outside_workspace`, which the model sees as the
//! tool's result. Side effects (writes, edits, commands) are reported as [`Effect`]s so the engine can
//! record them before and after they happen.

pub mod command;
pub mod error;
pub mod files;
pub mod search;
pub mod workspace;

use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::context::{ContextEngine, ContextRequest};
use crate::model::ContextProviderKind;

pub use command::CommandResult;
pub use error::ToolError;
pub use files::FileChange;
pub use workspace::Workspace;

/// The tools, by the names the model calls them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ToolName {
    ListFiles,
    ReadFile,
    Search,
    WriteFile,
    EditFile,
    RunCommand,
}

impl ToolName {
    pub const ALL: [ToolName; 6] = [
        ToolName::ListFiles,
        ToolName::ReadFile,
        ToolName::Search,
        ToolName::WriteFile,
        ToolName::EditFile,
        ToolName::RunCommand,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            ToolName::ListFiles => "list_files",
            ToolName::ReadFile => "read_file",
            ToolName::Search => "search",
            ToolName::WriteFile => "write_file",
            ToolName::EditFile => "edit_file",
            ToolName::RunCommand => "run_command",
        }
    }

    pub fn parse(name: &str) -> Result<ToolName, ToolError> {
        ToolName::ALL
            .into_iter()
            .find(|t| t.as_str() == name)
            .ok_or_else(|| ToolError::UnknownTool {
                name: name.to_owned(),
                known: ToolName::ALL
                    .iter()
                    .map(|t| t.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// Whether the tool changes the world (and so is recorded as an effect, and asks permission).
    pub const fn has_effect(self) -> bool {
        matches!(
            self,
            ToolName::WriteFile | ToolName::EditFile | ToolName::RunCommand
        )
    }
}

/// A tool as the model is told about it: name, what it does, and its input's JSON schema.
#[derive(Clone, Debug, PartialEq)]
pub struct ToolDef {
    pub name: &'static str,
    pub description: &'static str,
    pub input_schema: Value,
}

/// Every tool's definition, in a fixed order (requests are deterministic).
pub fn definitions() -> Vec<ToolDef> {
    vec![
        ToolDef {
            name: "list_files",
            description: "List the files under a directory of the repository (gitignore-aware), one path per line.",
            input_schema: json!({"type": "object", "properties": {
                "path": {"type": "string", "description": "Directory relative to the repository root; default the root."}
            }}),
        },
        ToolDef {
            name: "read_file",
            description: "Read a text file, or a range of its lines (1-based, inclusive).",
            input_schema: json!({"type": "object", "properties": {
                "path": {"type": "string"},
                "start_line": {"type": "integer", "minimum": 1},
                "end_line": {"type": "integer", "minimum": 1}
            }, "required": ["path"]}),
        },
        ToolDef {
            name: "search",
            description: "Search the repository. mode \"ranked\" (default) returns the most relevant code excerpts for words or identifiers; \"literal\" and \"regex\" return matching lines as path:line: text.",
            input_schema: json!({"type": "object", "properties": {
                "query": {"type": "string"},
                "mode": {"type": "string", "enum": ["ranked", "literal", "regex"]},
                "path": {"type": "string", "description": "Directory to search in (literal and regex)."}
            }, "required": ["query"]}),
        },
        ToolDef {
            name: "write_file",
            description: "Create or replace a whole file with the given content (directories are created).",
            input_schema: json!({"type": "object", "properties": {
                "path": {"type": "string"},
                "content": {"type": "string"}
            }, "required": ["path", "content"]}),
        },
        ToolDef {
            name: "edit_file",
            description: "Replace one exact occurrence of old_text in a file with new_text. old_text must appear exactly once; include enough surrounding lines to make it unique.",
            input_schema: json!({"type": "object", "properties": {
                "path": {"type": "string"},
                "old_text": {"type": "string"},
                "new_text": {"type": "string"}
            }, "required": ["path", "old_text", "new_text"]}),
        },
        ToolDef {
            name: "run_command",
            description: "Run a shell command in the repository root (no input, no network credentials). Returns the exit code and the output (long output is cut in the middle).",
            input_schema: json!({"type": "object", "properties": {
                "command": {"type": "string"},
                "timeout_secs": {"type": "integer", "minimum": 1, "maximum": 1800}
            }, "required": ["command"]}),
        },
    ]
}

/// What a tool changed, for the effect receipt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    File(FileChange),
    Command(CommandResult),
}

/// A tool call's result: what the model is told, and the effect it had (if any).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ToolOutput {
    pub text: String,
    pub effect: Option<Effect>,
}

impl ToolOutput {
    fn text(text: String) -> Self {
        Self { text, effect: None }
    }
}

/// The tools of one task: its workspace and the context engine for ranked search.
#[derive(Clone)]
pub struct Toolbox {
    pub workspace: Workspace,
    context: ContextEngine,
}

#[derive(Deserialize)]
struct PathArg {
    #[serde(default)]
    path: String,
}

#[derive(Deserialize)]
struct ReadArgs {
    path: String,
    start_line: Option<usize>,
    end_line: Option<usize>,
}

#[derive(Deserialize)]
struct SearchArgs {
    query: String,
    #[serde(default)]
    mode: Option<String>,
    #[serde(default)]
    path: String,
}

#[derive(Deserialize)]
struct WriteArgs {
    path: String,
    content: String,
}

#[derive(Deserialize)]
struct EditArgs {
    path: String,
    old_text: String,
    new_text: String,
}

#[derive(Deserialize)]
pub struct CommandArgs {
    pub command: String,
    pub timeout_secs: Option<u64>,
}

/// Decodes a tool's arguments; a missing or mistyped field is an error the model can fix.
pub fn arguments<T: serde::de::DeserializeOwned>(
    tool: ToolName,
    input: &Value,
) -> Result<T, ToolError> {
    serde_json::from_value(input.clone()).map_err(|e| ToolError::InvalidArguments {
        tool: tool.as_str().to_owned(),
        reason: e.to_string(),
    })
}

/// A call worked out before it runs: read-only calls just run; effects are recorded first (their
/// intent) by the engine, then performed.
#[derive(Clone, Debug)]
pub enum Planned {
    /// list, read, search: nothing changes.
    Read,
    /// A write or an edit, with the hashes before and after.
    File(files::PreparedWrite),
    Command {
        command: String,
        timeout: Option<Duration>,
    },
}

/// What a call acts on, for its row in the thread: the path, the command, or the query.
pub fn target(tool: ToolName, input: &Value) -> String {
    let field = |name: &str| input.get(name).and_then(Value::as_str).unwrap_or("");
    match tool {
        ToolName::ListFiles => {
            let path = field("path");
            if path.is_empty() {
                ".".to_owned()
            } else {
                path.to_owned()
            }
        }
        ToolName::ReadFile => match (
            input.get("start_line").and_then(Value::as_u64),
            input.get("end_line").and_then(Value::as_u64),
        ) {
            (Some(a), Some(b)) => format!("{}:{a}-{b}", field("path")),
            (Some(a), None) => format!("{}:{a}-", field("path")),
            _ => field("path").to_owned(),
        },
        ToolName::WriteFile | ToolName::EditFile => field("path").to_owned(),
        ToolName::Search => field("query").to_owned(),
        ToolName::RunCommand => field("command").to_owned(),
    }
}

impl Toolbox {
    pub fn new(workspace: Workspace, context: ContextEngine) -> Self {
        Self { workspace, context }
    }

    /// Checks a call's arguments and, for an effect, works it out without doing it.
    pub fn plan(&self, tool: ToolName, input: &Value) -> Result<Planned, ToolError> {
        let ws = &self.workspace;
        match tool {
            ToolName::ListFiles => arguments::<PathArg>(tool, input).map(|_| Planned::Read),
            ToolName::ReadFile => arguments::<ReadArgs>(tool, input).map(|_| Planned::Read),
            ToolName::Search => arguments::<SearchArgs>(tool, input).map(|_| Planned::Read),
            ToolName::WriteFile => {
                let args: WriteArgs = arguments(tool, input)?;
                files::prepare_write(ws, &args.path, &args.content).map(Planned::File)
            }
            ToolName::EditFile => {
                let args: EditArgs = arguments(tool, input)?;
                files::prepare_edit(ws, &args.path, &args.old_text, &args.new_text)
                    .map(Planned::File)
            }
            ToolName::RunCommand => {
                let args: CommandArgs = arguments(tool, input)?;
                ws.check_writable()?;
                if args.command.trim().is_empty() {
                    return Err(ToolError::InvalidArguments {
                        tool: tool.as_str().into(),
                        reason: "command is empty".into(),
                    });
                }
                Ok(Planned::Command {
                    command: args.command,
                    timeout: args.timeout_secs.map(Duration::from_secs),
                })
            }
        }
    }

    /// Runs a command (an effect whose intent the engine recorded).
    pub async fn command(
        &self,
        command: &str,
        timeout: Option<Duration>,
        cancel: &CancellationToken,
    ) -> Result<CommandResult, ToolError> {
        command::run_command(&self.workspace, command, timeout, cancel).await
    }

    /// Runs one tool call. Errors are the model's to see (as the tool result), never the run's.
    pub async fn execute(
        &self,
        tool: ToolName,
        input: &Value,
        cancel: &CancellationToken,
    ) -> Result<ToolOutput, ToolError> {
        let ws = &self.workspace;
        match tool {
            ToolName::ListFiles => {
                let args: PathArg = arguments(tool, input)?;
                files::list_files(ws, &args.path).map(ToolOutput::text)
            }
            ToolName::ReadFile => {
                let args: ReadArgs = arguments(tool, input)?;
                files::read_file(ws, &args.path, args.start_line, args.end_line)
                    .map(ToolOutput::text)
            }
            ToolName::Search => {
                let args: SearchArgs = arguments(tool, input)?;
                match args.mode.as_deref().unwrap_or("ranked") {
                    "literal" => {
                        search::grep(ws, &args.query, false, &args.path).map(ToolOutput::text)
                    }
                    "regex" => {
                        search::grep(ws, &args.query, true, &args.path).map(ToolOutput::text)
                    }
                    "ranked" => Ok(ToolOutput::text(self.ranked(&args.query).await)),
                    other => Err(ToolError::InvalidArguments {
                        tool: tool.as_str().into(),
                        reason: format!("mode {other:?} is not one of ranked, literal, regex"),
                    }),
                }
            }
            ToolName::WriteFile => {
                let args: WriteArgs = arguments(tool, input)?;
                let change = files::write_file(ws, &args.path, &args.content)?;
                Ok(ToolOutput {
                    text: format!(
                        "wrote {} ({} bytes{})",
                        change.path,
                        args.content.len(),
                        if change.before.is_some() {
                            ""
                        } else {
                            ", new file"
                        }
                    ),
                    effect: Some(Effect::File(change)),
                })
            }
            ToolName::EditFile => {
                let args: EditArgs = arguments(tool, input)?;
                let change = files::edit_file(ws, &args.path, &args.old_text, &args.new_text)?;
                Ok(ToolOutput {
                    text: format!("edited {}", change.path),
                    effect: Some(Effect::File(change)),
                })
            }
            ToolName::RunCommand => {
                let args: CommandArgs = arguments(tool, input)?;
                let timeout = args.timeout_secs.map(Duration::from_secs);
                let result = command::run_command(ws, &args.command, timeout, cancel).await?;
                Ok(ToolOutput {
                    text: result.text(),
                    effect: Some(Effect::Command(result)),
                })
            }
        }
    }

    /// The context engine's best excerpts for `query` in the workspace, as `path:lines` and their first
    /// lines.
    async fn ranked(&self, query: &str) -> String {
        let result = self
            .context
            .retrieve(ContextRequest {
                root: self.workspace.root().to_path_buf(),
                query: query.to_owned(),
                limit: 8,
                requested: ContextProviderKind::Filesystem,
                mcp_command: None,
            })
            .await;
        if let Some(error) = result.error.filter(|_| result.items.is_empty()) {
            return format!("search failed: {} ({})", error.message, error.remediation);
        }
        if result.items.is_empty() {
            return format!("nothing matches {query:?}");
        }
        result
            .items
            .iter()
            .map(|item| {
                let excerpt: Vec<&str> = item.excerpt.lines().take(12).collect();
                format!(
                    "{}:{}-{}\n{}",
                    item.path,
                    item.start_line,
                    item.end_line,
                    excerpt.join("\n")
                )
            })
            .collect::<Vec<_>>()
            .join("\n\n")
    }
}
