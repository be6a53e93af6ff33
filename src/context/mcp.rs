//! The MCP context provider: a real MCP client (rmcp) that starts the space's server command over stdio,
//! initializes, and asks it for context.
//!
//! Strategy: list the server's tools; if one is named `search` (or else the first whose name contains
//! "search"), call it with `{"query", "limit"}` and read its hits from the structured content or from JSON
//! in its text content. Without a search tool, list the server's resources, read the text ones and rank
//! them with the same BM25 as the filesystem provider. Every step has a timeout, and every failure is a
//! typed [`ContextError`] with a remediation, so the caller can fall back to the filesystem.
//!
//! Provenance: an item's `content_hash` is the blake3 of the file under the space root as read now when
//! the path names one (so staleness checks work the same as for filesystem items), else the hash the
//! server reported, else the hash of the excerpt.

use std::path::{Component, Path};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, ReadResourceRequestParams};
use rmcp::service::{RoleClient, RunningService};
use rmcp::transport::TokioChildProcess;
use serde_json::Value;
use tokio::io::AsyncReadExt;

use super::filesystem::{self, SourceFile};
use super::rank::round_score;
use crate::model::{ContextError, ContextErrorCode, ContextItem, ContextProviderKind};

/// At most this many resources are read when the server has no search tool.
pub const MAX_RESOURCES: usize = 500;
/// Kept from the server's stderr for error messages.
const STDERR_TAIL_BYTES: usize = 2000;

/// How long the server may take to start and initialize, and to answer each call.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    pub start: Duration,
    pub call: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            start: Duration::from_secs(10),
            call: Duration::from_secs(20),
        }
    }
}

const FIX_COMMAND: &str = "Check the space's MCP command (`space add PATH --mcp-command \"CMD ARGS\"`): \
     run it in a terminal to see whether it starts, or use --context-provider filesystem.";

fn error(
    code: ContextErrorCode,
    message: String,
    remediation: &str,
    retryable: bool,
) -> ContextError {
    ContextError::new(
        ContextProviderKind::Mcp,
        code,
        message,
        remediation,
        retryable,
    )
}

/// Splits `command` like a POSIX shell would (quotes and backslashes, no expansion).
pub fn split_command(command: &str) -> Result<Vec<String>, ContextError> {
    match shlex::split(command) {
        Some(argv) if !argv.is_empty() => Ok(argv),
        Some(_) => Err(error(
            ContextErrorCode::ProviderUnavailable,
            "the MCP server command is empty".to_owned(),
            FIX_COMMAND,
            false,
        )),
        None => Err(error(
            ContextErrorCode::ProviderUnavailable,
            format!("the MCP server command {command:?} has an unterminated quote or escape"),
            FIX_COMMAND,
            false,
        )),
    }
}

/// What an MCP server answered: the items inside the space, and how many answers pointed outside it
/// (dropped without opening anything).
#[derive(Debug, Default)]
pub struct McpAnswer {
    pub items: Vec<ContextItem>,
    pub rejected: usize,
}

/// Asks the MCP server started by `command` (in `root`) for up to `limit` items for `query`.
pub async fn retrieve(
    command: &str,
    root: &Path,
    query: &str,
    limit: usize,
    timeouts: Timeouts,
) -> Result<McpAnswer, ContextError> {
    let argv = split_command(command)?;
    let Some((program, args)) = argv.split_first() else {
        return Err(error(
            ContextErrorCode::ProviderUnavailable,
            "the MCP server command is empty".to_owned(),
            FIX_COMMAND,
            false,
        ));
    };
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args).current_dir(root).kill_on_drop(true);
    let (transport, stderr) = TokioChildProcess::builder(cmd)
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            error(
                ContextErrorCode::ProviderUnavailable,
                format!("cannot start the MCP server {program:?}: {e}"),
                FIX_COMMAND,
                false,
            )
        })?;
    let tail = Arc::new(Mutex::new(String::new()));
    if let Some(mut stderr) = stderr {
        let tail = tail.clone();
        tokio::spawn(async move {
            let mut buf = [0u8; 1024];
            while let Ok(n) = stderr.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                if let Ok(mut t) = tail.lock() {
                    t.push_str(&String::from_utf8_lossy(buf.get(..n).unwrap_or(&[])));
                    if t.len() > STDERR_TAIL_BYTES * 2 {
                        let mut cut = t.len() - STDERR_TAIL_BYTES;
                        while !t.is_char_boundary(cut) {
                            cut += 1;
                        }
                        t.drain(..cut);
                    }
                }
            }
        });
    }
    let stderr_note = |tail: &Arc<Mutex<String>>| {
        let text = tail.lock().map(|t| t.trim().to_owned()).unwrap_or_default();
        if text.is_empty() {
            String::new()
        } else {
            format!("; its stderr: {text}")
        }
    };
    let client = match tokio::time::timeout(timeouts.start, ().serve(transport)).await {
        Ok(Ok(client)) => client,
        Ok(Err(e)) => {
            // Give the stderr reader a moment to collect why it failed.
            tokio::time::sleep(Duration::from_millis(50)).await;
            return Err(error(
                ContextErrorCode::ProviderUnavailable,
                format!(
                    "the MCP server {program:?} did not complete the MCP handshake: {e}{}",
                    stderr_note(&tail)
                ),
                FIX_COMMAND,
                true,
            ));
        }
        Err(_) => {
            return Err(error(
                ContextErrorCode::ProviderUnavailable,
                format!(
                    "the MCP server {program:?} did not initialize within {} s{}",
                    timeouts.start.as_secs_f32(),
                    stderr_note(&tail)
                ),
                "Check that the command starts an MCP server speaking stdio; retry if the machine was busy.",
                true,
            ));
        }
    };
    let answer = ask(&client, root, query, limit, timeouts.call).await;
    // After an answer, a graceful stop (close stdin, let it exit); after a failure the server may be
    // stuck, so it is dropped, which kills it.
    if answer.is_ok()
        && tokio::time::timeout(Duration::from_secs(2), client.cancel())
            .await
            .is_err()
    {
        tracing::debug!("the MCP server did not stop in time; it is killed");
    }
    answer.map_err(|mut e| {
        e.message.push_str(&stderr_note(&tail));
        e
    })
}

async fn within<T, E: std::fmt::Display>(
    limit: Duration,
    what: &str,
    fut: impl Future<Output = Result<T, E>>,
) -> Result<T, ContextError> {
    match tokio::time::timeout(limit, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(error(
            ContextErrorCode::IoFailure,
            format!("the MCP server failed to {what}: {e}"),
            "Retry; if it keeps failing, check the MCP server's logs or use --context-provider filesystem.",
            true,
        )),
        Err(_) => Err(error(
            ContextErrorCode::IoFailure,
            format!(
                "the MCP server did not {what} within {} s",
                limit.as_secs_f32()
            ),
            "Retry; if it keeps timing out, use --context-provider filesystem.",
            true,
        )),
    }
}

async fn ask(
    client: &RunningService<RoleClient, ()>,
    root: &Path,
    query: &str,
    limit: usize,
    call: Duration,
) -> Result<McpAnswer, ContextError> {
    let tools = within(call, "list its tools", client.list_all_tools()).await?;
    let names: Vec<String> = tools.iter().map(|t| t.name.to_string()).collect();
    let search = names
        .iter()
        .find(|n| n.as_str() == "search")
        .or_else(|| names.iter().find(|n| n.to_lowercase().contains("search")));
    if let Some(name) = search {
        let mut args = serde_json::Map::new();
        args.insert("query".to_owned(), Value::from(query));
        args.insert("limit".to_owned(), Value::from(limit));
        let params = CallToolRequestParams::new(name.clone()).with_arguments(args);
        let result = within(call, "answer the search", client.call_tool(params)).await?;
        let value = serde_json::to_value(&result).unwrap_or(Value::Null);
        if value.get("isError").and_then(Value::as_bool) == Some(true) {
            return Err(error(
                ContextErrorCode::IoFailure,
                format!(
                    "the MCP tool {name:?} reported an error: {}",
                    texts(&value).join(" ")
                ),
                "Retry with another prompt; if it persists, check the MCP server.",
                true,
            ));
        }
        let hits = hits_of(&value).ok_or_else(|| {
            error(
                ContextErrorCode::IoFailure,
                format!(
                    "the MCP tool {name:?} answered without a list of results Kata Cloud understands"
                ),
                "Make the tool return JSON results with `path`, `start_line`, `end_line` and `text`.",
                false,
            )
        })?;
        return Ok(items_from_hits(root, &hits, limit));
    }
    let resources = within(call, "list its resources", client.list_all_resources())
        .await
        .unwrap_or_default();
    if resources.is_empty() {
        return Err(error(
            ContextErrorCode::UnsupportedProvider,
            "the MCP server offers neither a search tool nor resources".to_owned(),
            "Configure an MCP server with a `search` tool (arguments `query`, `limit`) or readable resources, \
             or use --context-provider filesystem.",
            false,
        ));
    }
    let mut uris: Vec<String> = resources
        .iter()
        .filter_map(|r| serde_json::to_value(r).ok())
        .filter_map(|v| v.get("uri").and_then(Value::as_str).map(str::to_owned))
        .collect();
    uris.sort();
    uris.dedup();
    let mut files = Vec::new();
    let mut rejected = 0;
    for uri in uris.into_iter().take(MAX_RESOURCES) {
        let params: ReadResourceRequestParams =
            match serde_json::from_value(serde_json::json!({ "uri": uri })) {
                Ok(p) => p,
                Err(_) => continue,
            };
        let read = within(call, "read a resource", client.read_resource(params)).await?;
        let value = serde_json::to_value(&read).unwrap_or(Value::Null);
        let text: String = value
            .get("contents")
            .and_then(Value::as_array)
            .map(|contents| {
                contents
                    .iter()
                    .filter_map(|c| c.get("text").and_then(Value::as_str))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default();
        if text.is_empty() {
            continue;
        }
        let Some(path) = inside(root, &uri) else {
            rejected += 1;
            continue;
        };
        files.push(SourceFile {
            path,
            hash: blake3::hash(text.as_bytes()).to_hex().to_string(),
            text,
        });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(McpAnswer {
        items: filesystem::rank_files(&files, query, limit),
        rejected,
    })
}

/// Text blocks of a tool result.
fn texts(result: &Value) -> Vec<String> {
    result
        .get("content")
        .and_then(Value::as_array)
        .map(|blocks| {
            blocks
                .iter()
                .filter_map(|b| b.get("text").and_then(Value::as_str).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The hit objects of a tool result: from `structuredContent`, else from JSON text blocks. A list may
/// be the value itself or under `results`, `items` or `hits`.
fn hits_of(result: &Value) -> Option<Vec<Value>> {
    fn list(v: &Value) -> Option<Vec<Value>> {
        match v {
            Value::Array(a) => Some(a.clone()),
            Value::Object(o) => ["results", "items", "hits"]
                .iter()
                .find_map(|k| o.get(*k).and_then(Value::as_array).cloned()),
            _ => None,
        }
    }
    if let Some(found) = result.get("structuredContent").and_then(list) {
        return Some(found);
    }
    let mut all = Vec::new();
    let mut any = false;
    for text in texts(result) {
        if let Some(found) = serde_json::from_str::<Value>(&text)
            .ok()
            .as_ref()
            .and_then(list)
        {
            any = true;
            all.extend(found);
        }
    }
    any.then_some(all)
}

/// `uri` or path as a `/`-separated path relative to `root`, or `None` when it points outside the root:
/// `..`, an absolute path elsewhere, a `file://` URI elsewhere, a Windows path, or a path whose existing
/// part resolves (through symlinks) outside the root. Nothing outside the root is ever opened.
fn inside(root: &Path, raw: &str) -> Option<String> {
    let raw = raw.strip_prefix("file://").unwrap_or(raw);
    let bytes = raw.as_bytes();
    let windows = raw.contains('\\')
        || (bytes.len() >= 2
            && bytes.first().is_some_and(u8::is_ascii_alphabetic)
            && bytes.get(1) == Some(&b':'));
    if raw.is_empty() || windows || raw.contains("://") {
        return None;
    }
    let path = Path::new(raw);
    let rel = if path.is_absolute() {
        filesystem::relative_path(root, path)?
    } else {
        raw.trim_start_matches("./").to_owned()
    };
    let p = Path::new(&rel);
    if !p.components().all(|c| matches!(c, Component::Normal(_))) {
        return None;
    }
    // A symlink inside the root may lead out of it: the deepest existing ancestor must resolve inside.
    let canonical_root = root.canonicalize().ok()?;
    let mut probe = root.join(p);
    loop {
        if let Ok(real) = probe.canonicalize() {
            return real.starts_with(&canonical_root).then_some(rel);
        }
        if !probe.pop() {
            return None;
        }
    }
}

fn line_of(hit: &Value, keys: &[&str]) -> Option<u32> {
    keys.iter().find_map(|k| {
        hit.get(*k)
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| *n > 0)
    })
}

fn str_of<'a>(hit: &'a Value, keys: &[&str]) -> Option<&'a str> {
    keys.iter()
        .find_map(|k| hit.get(*k).and_then(Value::as_str))
}

fn items_from_hits(root: &Path, hits: &[Value], limit: usize) -> McpAnswer {
    let mut out = Vec::new();
    let mut rejected = 0;
    for hit in hits {
        if out.len() >= limit {
            break;
        }
        let Some(raw_path) = str_of(hit, &["path", "file", "uri"]) else {
            continue;
        };
        let Some(path) = inside(root, raw_path) else {
            rejected += 1;
            continue;
        };
        let local = filesystem::read_text(&root.join(&path)).ok().flatten();
        let start_line = line_of(hit, &["start_line", "startLine", "line"]).unwrap_or(1);
        let excerpt = match str_of(hit, &["text", "excerpt", "snippet", "content"]) {
            Some(t) => t.trim_end_matches('\n').to_owned(),
            None => local
                .as_ref()
                .map(|(_, text)| {
                    text.lines()
                        .skip(start_line as usize - 1)
                        .take(
                            line_of(hit, &["end_line", "endLine"])
                                .map_or(1, |e| (e.max(start_line) - start_line + 1) as usize),
                        )
                        .collect::<Vec<_>>()
                        .join("\n")
                })
                .unwrap_or_default(),
        };
        let excerpt_lines = u32::try_from(excerpt.lines().count().max(1)).unwrap_or(u32::MAX);
        let end_line = line_of(hit, &["end_line", "endLine"])
            .unwrap_or(start_line.saturating_add(excerpt_lines - 1))
            .max(start_line);
        let content_hash = match (&local, str_of(hit, &["content_hash", "hash"])) {
            (Some((hash, _)), _) => hash.clone(),
            (None, Some(h)) => h.to_owned(),
            (None, None) => blake3::hash(excerpt.as_bytes()).to_hex().to_string(),
        };
        let score = hit.get("score").and_then(Value::as_f64).unwrap_or(0.0);
        out.push(ContextItem {
            path,
            start_line,
            end_line,
            content_hash,
            score: round_score(if score.is_finite() { score } else { 0.0 }),
            rank: u32::try_from(out.len() + 1).unwrap_or(u32::MAX),
            excerpt: excerpt
                .chars()
                .take(filesystem::MAX_EXCERPT_BYTES)
                .collect(),
        });
    }
    McpAnswer {
        items: out,
        rejected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn splits_commands_like_a_shell() {
        assert_eq!(
            split_command("server --root 'my dir' \"a b\"").unwrap(),
            vec!["server", "--root", "my dir", "a b"]
        );
        let bad = split_command("server 'open").unwrap_err();
        assert_eq!(bad.code, ContextErrorCode::ProviderUnavailable);
        assert!(!bad.remediation.is_empty());
        assert!(split_command("   ").is_err());
    }

    #[test]
    fn hits_become_items_with_local_hashes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("src")).unwrap();
        std::fs::write(dir.path().join("src/a.rs"), "one\ntwo\nthree\n").unwrap();
        let abs = dir.path().join("src/a.rs").display().to_string();
        let result = json!({
            "content": [{"type": "text", "text": json!({"results": [
                {"path": abs, "start_line": 2, "end_line": 3, "text": "two\nthree", "score": 2.5},
                {"path": "remote/b.rs", "line": 7, "text": "far away", "content_hash": "abc"},
                {"no_path": true},
            ]}).to_string()}]
        });
        let hits = hits_of(&result).unwrap();
        let items = items_from_hits(dir.path(), &hits, 10).items;
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].path, "src/a.rs");
        assert_eq!((items[0].start_line, items[0].end_line), (2, 3));
        assert_eq!(
            items[0].content_hash,
            blake3::hash(b"one\ntwo\nthree\n").to_hex().to_string()
        );
        assert_eq!((items[0].rank, items[0].score), (1, 2.5));
        assert_eq!(items[1].path, "remote/b.rs");
        assert_eq!((items[1].start_line, items[1].end_line), (7, 7));
        assert_eq!(items[1].content_hash, "abc");
        assert_eq!(items_from_hits(dir.path(), &hits, 1).items.len(), 1);
        assert!(hits_of(&json!({"content": [{"type": "text", "text": "plain words"}]})).is_none());
        assert_eq!(
            hits_of(&json!({"structuredContent": {"items": [{"path": "x"}]}}))
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn paths_outside_the_root_are_rejected_and_never_opened() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("space");
        std::fs::create_dir_all(root.join("src")).unwrap();
        std::fs::write(root.join("src/a.rs"), "one\n").unwrap();
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("secret.txt"), "secret\n").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(&outside, root.join("src/link")).unwrap();
        let root = root.canonicalize().unwrap();
        assert_eq!(inside(&root, "src/a.rs").as_deref(), Some("src/a.rs"));
        assert_eq!(inside(&root, "./src/new.rs").as_deref(), Some("src/new.rs"));
        let abs = root.join("src/a.rs").display().to_string();
        assert_eq!(inside(&root, &abs).as_deref(), Some("src/a.rs"));
        assert_eq!(
            inside(&root, &format!("file://{abs}")).as_deref(),
            Some("src/a.rs")
        );
        for bad in [
            "../secret",
            "src/../../outside/secret.txt",
            "/etc/passwd",
            "file:///etc/passwd",
            "C:\\Windows\\system.ini",
            "c:/windows/win.ini",
            "src\\..\\..\\x",
            "https://example.invalid/a.rs",
            "",
        ] {
            assert_eq!(inside(&root, bad), None, "{bad}");
        }
        #[cfg(unix)]
        {
            assert_eq!(
                inside(&root, "src/link/secret.txt"),
                None,
                "a symlink leading out"
            );
            let hits = vec![
                json!({"path": "src/link/secret.txt", "start_line": 1}),
                json!({"path": "/etc/passwd"}),
                json!({"path": "src/a.rs", "start_line": 1, "end_line": 1}),
            ];
            let answer = items_from_hits(&root, &hits, 10);
            assert_eq!(answer.rejected, 2);
            assert_eq!(answer.items.len(), 1);
            assert_eq!(answer.items[0].path, "src/a.rs");
        }
    }
}
