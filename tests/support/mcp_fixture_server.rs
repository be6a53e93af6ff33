//! A small MCP server over stdio, for testing the MCP context provider against a real process.
//!
//! `kata-mcp-fixture [--mode search|resources|exit] [ROOT]` serves the text files under ROOT (default: the
//! current directory):
//! - `search` (default): a `search` tool (`query`, `limit`) answering with the best-matching line of each
//!   file that contains the query's words, as JSON results (`path`, `start_line`, `end_line`, `text`,
//!   `score`) in the structured content and in a text block;
//! - `resources`: no tools; every file is a `file://` resource;
//! - `exit`: writes a message to stderr and exits with status 3 before speaking MCP;
//! - `hang`: never answers the handshake;
//! - `slow`: like `search`, but every search takes a minute.
//!
//! It is deliberately simpler than the filesystem provider (substring matching, one hit per file), so
//! tests can tell MCP answers from filesystem ones.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ListResourcesResult, ListToolsResult,
    PaginatedRequestParams, ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult,
    ServerCapabilities, ServerConfig,
};
use rmcp::service::{RequestContext, RoleServer};
use rmcp::{ErrorData, ServerHandler, ServiceExt};
use serde_json::{Value, json};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Search,
    Resources,
    Slow,
}

#[derive(Clone)]
struct Fixture {
    root: PathBuf,
    mode: Mode,
}

/// Text files under `dir`, skipping hidden entries and `target`, as (relative path, text), sorted.
fn files(root: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || name == "target" {
                continue;
            }
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(text) = std::fs::read_to_string(&path)
                && !text.contains('\0')
                && let Ok(rel) = path.strip_prefix(root)
            {
                out.push((rel.to_string_lossy().replace('\\', "/"), text));
            }
        }
    }
    out.sort();
    out
}

fn search(root: &Path, query: &str, limit: usize) -> Vec<Value> {
    let words: Vec<String> = query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() >= 3)
        .map(str::to_lowercase)
        .collect();
    let mut hits: Vec<(usize, String, Value)> = Vec::new();
    for (path, text) in files(root) {
        let lines: Vec<&str> = text.lines().collect();
        let mut best: Option<(usize, usize)> = None;
        let mut total = 0;
        for (i, line) in lines.iter().enumerate() {
            let lower = line.to_lowercase();
            let n = words.iter().filter(|w| lower.contains(w.as_str())).count();
            total += n;
            if n > 0 && best.is_none_or(|(_, b)| n > b) {
                best = Some((i, n));
            }
        }
        let Some((line, _)) = best else { continue };
        let end = (line + 2).min(lines.len() - 1);
        let excerpt = lines.get(line..=end).unwrap_or(&[]).join("\n");
        hits.push((
            total,
            path.clone(),
            json!({
                "path": path,
                "start_line": line + 1,
                "end_line": end + 1,
                "text": excerpt,
                "score": total as f64,
            }),
        ));
    }
    hits.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    hits.into_iter().take(limit).map(|h| h.2).collect()
}

fn invalid(message: String) -> ErrorData {
    ErrorData::invalid_params(message, None)
}

impl ServerHandler for Fixture {
    fn get_info(&self) -> ServerConfig {
        let capabilities = match self.mode {
            Mode::Search | Mode::Slow => ServerCapabilities::builder().enable_tools().build(),
            Mode::Resources => ServerCapabilities::builder().enable_resources().build(),
        };
        ServerConfig::new(capabilities)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        if self.mode == Mode::Resources {
            return Ok(ListToolsResult::default());
        }
        serde_json::from_value(json!({"tools": [{
            "name": "search",
            "description": "Find the lines of the served directory that mention the query's words.",
            "inputSchema": {
                "type": "object",
                "properties": {"query": {"type": "string"}, "limit": {"type": "integer"}},
                "required": ["query"]
            }
        }]}))
        .map_err(|e| ErrorData::internal_error(e.to_string(), None))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        if request.name != "search" || self.mode == Mode::Resources {
            return Err(invalid(format!("no tool {:?}", request.name)));
        }
        if self.mode == Mode::Slow {
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
        }
        let args = request.arguments.unwrap_or_default();
        let Some(query) = args.get("query").and_then(Value::as_str) else {
            return Err(invalid("`query` (a string) is required".to_owned()));
        };
        let limit = args
            .get("limit")
            .and_then(Value::as_u64)
            .map_or(8, |n| n as usize);
        let results = json!({"results": search(&self.root, query, limit)});
        let result: CallToolResult = serde_json::from_value(json!({
            "content": [{"type": "text", "text": results.to_string()}],
            "structuredContent": results,
        }))
        .map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
        Ok(result.into())
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let resources: Vec<Value> = files(&self.root)
            .into_iter()
            .map(|(path, _)| {
                json!({"uri": format!("file://{}/{path}", self.root.display()), "name": path})
            })
            .collect();
        serde_json::from_value(json!({ "resources": resources }))
            .map_err(|e| ErrorData::internal_error(e.to_string(), None))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let uri = request.uri.to_string();
        let path = uri.strip_prefix("file://").unwrap_or(&uri);
        if !Path::new(path).starts_with(&self.root) {
            return Err(invalid(format!("{uri} is not served here")));
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| invalid(format!("cannot read {uri}: {e}")))?;
        let result: ReadResourceResult =
            serde_json::from_value(json!({"contents": [{"uri": uri, "text": text}]}))
                .map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
        Ok(result.into())
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut mode = Mode::Search;
    let mut root = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--mode" => match args.next().as_deref() {
                Some("search") => mode = Mode::Search,
                Some("resources") => mode = Mode::Resources,
                Some("slow") => mode = Mode::Slow,
                Some("hang") => {
                    // Holds stdin open and never answers, until killed.
                    tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
                    return ExitCode::SUCCESS;
                }
                Some("exit") => {
                    eprintln!("kata-mcp-fixture: exiting before the handshake (--mode exit)");
                    return ExitCode::from(3);
                }
                other => {
                    eprintln!(
                        "kata-mcp-fixture: unknown --mode {other:?}; use search, resources, slow, hang or exit"
                    );
                    return ExitCode::from(2);
                }
            },
            _ => root = Some(PathBuf::from(arg)),
        }
    }
    let root = match root.map_or_else(std::env::current_dir, Ok) {
        Ok(r) => std::fs::canonicalize(&r).unwrap_or(r),
        Err(e) => {
            eprintln!("kata-mcp-fixture: no root directory: {e}");
            return ExitCode::from(2);
        }
    };
    match (Fixture { root, mode })
        .serve(rmcp::transport::stdio())
        .await
    {
        Ok(running) => {
            let _ = running.waiting().await;
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("kata-mcp-fixture: {e}");
            ExitCode::from(1)
        }
    }
}
