//! The file tools: list, read (by line range, bounded), write, and edit by exact-text replacement.

use std::path::Path;

use super::error::ToolError;
use super::workspace::Workspace;

/// The most bytes one `read_file` returns.
pub const READ_LIMIT: u64 = 256 * 1024;
/// The most entries one `list_files` returns.
pub const LIST_LIMIT: usize = 2_000;

/// The blake3 hex of a file's bytes, or `None` when it does not exist.
pub fn file_hash(path: &Path) -> Result<Option<String>, ToolError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(blake3::hash(&bytes).to_hex().to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ToolError::io(path, &e)),
    }
}

/// The files under `dir` (gitignore-aware, the same walk as the context index), `/`-separated paths
/// relative to the workspace root, in path order; directories end with `/` when `dirs` is set.
pub fn list_files(ws: &Workspace, dir: &str) -> Result<String, ToolError> {
    let start = ws.resolve(dir)?;
    match std::fs::metadata(&start) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => return Ok(ws.relative(&start)),
        Err(_) => {
            return Err(ToolError::NotFound {
                path: dir.to_owned(),
            });
        }
    }
    let mut out = Vec::new();
    let mut truncated = false;
    for entry in crate::context::filesystem::walker(&start).build() {
        let Ok(entry) = entry else { continue };
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        // A symlink that leads outside is not listed (it could not be read either).
        if ws.resolve(&ws.relative(entry.path())).is_err() {
            continue;
        }
        if out.len() == LIST_LIMIT {
            truncated = true;
            break;
        }
        out.push(ws.relative(entry.path()));
    }
    if out.is_empty() {
        return Ok(format!("{} has no files", display_dir(dir)));
    }
    let mut text = out.join("\n");
    if truncated {
        text.push_str(&format!(
            "\n… more files; list a subdirectory (at most {LIST_LIMIT} are shown)"
        ));
    }
    Ok(text)
}

fn display_dir(dir: &str) -> &str {
    if dir.trim().is_empty() || dir.trim() == "." {
        "the workspace"
    } else {
        dir
    }
}

/// A text file, or lines `start..=end` of it (1-based, inclusive), bounded to [`READ_LIMIT`] bytes.
pub fn read_file(
    ws: &Workspace,
    path: &str,
    start: Option<usize>,
    end: Option<usize>,
) -> Result<String, ToolError> {
    let full = ws.resolve(path)?;
    let meta = std::fs::metadata(&full).map_err(|_| ToolError::NotFound {
        path: path.to_owned(),
    })?;
    if meta.is_dir() {
        return Err(ToolError::IsADirectory {
            path: path.to_owned(),
        });
    }
    if !meta.is_file() {
        return Err(ToolError::NotText {
            path: path.to_owned(),
        });
    }
    // Reading is bounded by what is read, not by what stat says (special files stat as 0 bytes).
    let ranged = start.is_some() || end.is_some();
    let cap = if ranged { 64 * 1024 * 1024 } else { READ_LIMIT };
    let bytes = read_bounded(&full, cap + 1)?;
    if !ranged && bytes.len() as u64 > READ_LIMIT {
        return Err(ToolError::TooLarge {
            path: path.to_owned(),
            size: meta.len().max(bytes.len() as u64),
            limit: READ_LIMIT,
        });
    }
    let text = String::from_utf8(bytes).map_err(|_| ToolError::NotText {
        path: path.to_owned(),
    })?;
    if text.as_bytes().iter().take(8000).any(|b| *b == 0) {
        return Err(ToolError::NotText {
            path: path.to_owned(),
        });
    }
    if !ranged {
        return Ok(text);
    }
    let total = text.lines().count();
    let from = start.unwrap_or(1).max(1);
    let to = end.unwrap_or(total).min(total);
    if from > to {
        return Ok(format!(
            "{path} has {total} lines; lines {from}-{} are empty",
            end.unwrap_or(from)
        ));
    }
    let mut out = String::new();
    for line in text.lines().skip(from - 1).take(to + 1 - from) {
        if out.len() as u64 + line.len() as u64 > READ_LIMIT {
            out.push_str(&format!(
                "… cut at {READ_LIMIT} bytes; read a smaller range\n"
            ));
            break;
        }
        out.push_str(line);
        out.push('\n');
    }
    Ok(out)
}

fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, ToolError> {
    use std::io::Read as _;
    let file = std::fs::File::open(path).map_err(|e| ToolError::io(path, &e))?;
    let mut bytes = Vec::new();
    file.take(limit)
        .read_to_end(&mut bytes)
        .map_err(|e| ToolError::io(path, &e))?;
    Ok(bytes)
}

/// What a write or an edit changed: the file and its hash before (none: it was created) and after.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileChange {
    pub path: String,
    pub before: Option<String>,
    pub after: String,
}

/// A write worked out but not done yet: the engine records it (its intent: the hashes before and after)
/// before [`PreparedWrite::apply`] changes the file, so a crash in between can be settled by hashing the
/// file again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreparedWrite {
    full: std::path::PathBuf,
    pub change: FileChange,
    content: String,
}

impl PreparedWrite {
    /// Writes the content (creating directories).
    pub fn apply(&self, ws: &Workspace) -> Result<FileChange, ToolError> {
        if let Some(parent) = self.full.parent() {
            std::fs::create_dir_all(parent).map_err(|e| ToolError::io(parent, &e))?;
            // The directories just made must not have become a way out (a racing symlink).
            ws.resolve(&self.change.path)?;
        }
        std::fs::write(&self.full, &self.content).map_err(|e| ToolError::io(&self.full, &e))?;
        Ok(self.change.clone())
    }
}

/// Works out writing `content` to `path` (replacing the file).
pub fn prepare_write(
    ws: &Workspace,
    path: &str,
    content: &str,
) -> Result<PreparedWrite, ToolError> {
    ws.check_writable()?;
    let full = ws.resolve(path)?;
    if full.is_dir() {
        return Err(ToolError::IsADirectory {
            path: path.to_owned(),
        });
    }
    let before = file_hash(&full)?;
    Ok(PreparedWrite {
        change: FileChange {
            path: ws.relative(&full),
            before,
            after: blake3::hash(content.as_bytes()).to_hex().to_string(),
        },
        full,
        content: content.to_owned(),
    })
}

/// Works out replacing the one occurrence of `old` in the file with `new`.
pub fn prepare_edit(
    ws: &Workspace,
    path: &str,
    old: &str,
    new: &str,
) -> Result<PreparedWrite, ToolError> {
    ws.check_writable()?;
    if old.is_empty() {
        return Err(ToolError::InvalidArguments {
            tool: "edit_file".into(),
            reason: "old_text is empty; to create or replace a whole file use write_file".into(),
        });
    }
    let full = ws.resolve(path)?;
    let text = read_file(ws, path, None, None)?;
    match text.matches(old).count() {
        0 => {
            return Err(ToolError::OldTextAbsent {
                path: path.to_owned(),
            });
        }
        1 => {}
        n => {
            return Err(ToolError::OldTextNotUnique {
                path: path.to_owned(),
                count: n,
            });
        }
    }
    let edited = text.replacen(old, new, 1);
    Ok(PreparedWrite {
        change: FileChange {
            path: ws.relative(&full),
            before: Some(blake3::hash(text.as_bytes()).to_hex().to_string()),
            after: blake3::hash(edited.as_bytes()).to_hex().to_string(),
        },
        full,
        content: edited,
    })
}

/// Writes `content` to `path` (creating directories), replacing the file.
pub fn write_file(ws: &Workspace, path: &str, content: &str) -> Result<FileChange, ToolError> {
    prepare_write(ws, path, content)?.apply(ws)
}

/// Replaces the one occurrence of `old` in the file with `new`.
pub fn edit_file(
    ws: &Workspace,
    path: &str,
    old: &str,
    new: &str,
) -> Result<FileChange, ToolError> {
    prepare_edit(ws, path, old, new)?.apply(ws)
}
