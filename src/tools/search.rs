//! Literal and regular-expression search over the workspace's files (the same gitignore-aware walk as the
//! context index). Ranked search goes through the context engine itself (see `Toolbox`).

use super::error::ToolError;
use super::workspace::Workspace;

/// The most matching lines one search returns.
pub const MATCH_LIMIT: usize = 200;
/// Longest line shown in a match (longer ones are cut).
const LINE_SHOWN: usize = 240;
/// Files bigger than this are not searched (they are generated or data).
const FILE_LIMIT: u64 = 2 * 1024 * 1024;

/// `path:line: text` for each line that contains `pattern` (or matches it as a regex), in path order.
pub fn grep(ws: &Workspace, pattern: &str, regex: bool, dir: &str) -> Result<String, ToolError> {
    if pattern.is_empty() {
        return Err(ToolError::InvalidArguments {
            tool: "search".into(),
            reason: "query is empty".into(),
        });
    }
    let matcher = if regex {
        Some(regex::Regex::new(pattern).map_err(|e| ToolError::InvalidPattern(e.to_string()))?)
    } else {
        None
    };
    let start = ws.resolve(dir)?;
    let mut out = Vec::new();
    let mut truncated = false;
    'files: for entry in crate::context::filesystem::walker(&start).build() {
        let Ok(entry) = entry else { continue };
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let relative = ws.relative(entry.path());
        if ws.resolve(&relative).is_err() {
            continue;
        }
        let Ok(bytes) = read_small(entry.path()) else {
            continue;
        };
        if bytes.iter().take(8000).any(|b| *b == 0) {
            continue;
        }
        let text = String::from_utf8_lossy(&bytes);
        for (n, line) in text.lines().enumerate() {
            let hit = match &matcher {
                Some(re) => re.is_match(line),
                None => line.contains(pattern),
            };
            if !hit {
                continue;
            }
            if out.len() == MATCH_LIMIT {
                truncated = true;
                break 'files;
            }
            let shown: String = line.trim_end().chars().take(LINE_SHOWN).collect();
            out.push(format!("{relative}:{}: {shown}", n + 1));
        }
    }
    if out.is_empty() {
        return Ok(format!("no matches for {pattern:?}"));
    }
    let mut text = out.join("\n");
    if truncated {
        text.push_str(&format!(
            "\n… more matches; narrow the query or the path (at most {MATCH_LIMIT} are shown)"
        ));
    }
    Ok(text)
}

fn read_small(path: &std::path::Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(FILE_LIMIT)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}
