//! The workspace a task's tools act in (the session's worktree), and the one rule every path obeys: it is
//! resolved inside the workspace or refused. `..` that climbs above the root, absolute paths, and symlinks
//! (anywhere on the way) that lead outside are all `path_outside_workspace`; nothing outside is ever opened,
//! read, written or listed.

use std::path::{Component, Path, PathBuf};

use super::error::ToolError;

/// A directory the tools are confined to.
#[derive(Clone, Debug)]
pub struct Workspace {
    /// Canonical (symlinks resolved) absolute path.
    root: PathBuf,
    /// Writes and commands are allowed.
    writable: bool,
}

impl Workspace {
    /// A workspace at `root` (which must exist).
    pub fn new(root: &Path, writable: bool) -> std::io::Result<Self> {
        Ok(Self {
            root: std::fs::canonicalize(root)?,
            writable,
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn writable(&self) -> bool {
        self.writable
    }

    /// Resolves a path the model gave (relative to the root, `/`-separated) to an absolute path inside the
    /// workspace. The target need not exist (a file to be written), but every part of it that exists is
    /// resolved through its symlinks and must stay inside.
    pub fn resolve(&self, given: &str) -> Result<PathBuf, ToolError> {
        let outside = || ToolError::PathOutsideWorkspace {
            path: given.to_owned(),
        };
        let trimmed = given.trim();
        let relative = Path::new(trimmed);
        if trimmed.is_empty() || trimmed == "." {
            return Ok(self.root.clone());
        }
        if relative.is_absolute() || trimmed.starts_with('~') || looks_like_windows_root(trimmed) {
            return Err(outside());
        }
        // Lexically first: `a/../../b` climbs out whatever exists on disk.
        let mut lexical = PathBuf::new();
        for component in relative.components() {
            match component {
                Component::Normal(part) => lexical.push(part),
                Component::CurDir => {}
                Component::ParentDir => {
                    if !lexical.pop() {
                        return Err(outside());
                    }
                }
                Component::RootDir | Component::Prefix(_) => return Err(outside()),
            }
        }
        // Then through the filesystem: the longest existing prefix, symlinks resolved, must be inside.
        let mut existing = self.root.clone();
        let mut rest = Vec::new();
        let mut components = lexical.components().peekable();
        while let Some(component) = components.next() {
            let candidate = existing.join(component);
            match std::fs::symlink_metadata(&candidate) {
                Ok(_) => {
                    let real = std::fs::canonicalize(&candidate).map_err(|_| outside())?;
                    if !real.starts_with(&self.root) {
                        return Err(outside());
                    }
                    existing = real;
                }
                Err(_) => {
                    rest.push(component.as_os_str().to_owned());
                    rest.extend(components.by_ref().map(|c| c.as_os_str().to_owned()));
                }
            }
        }
        let mut resolved = existing;
        for part in rest {
            resolved.push(part);
        }
        if !resolved.starts_with(&self.root) {
            return Err(outside());
        }
        Ok(resolved)
    }

    /// The path of `absolute` relative to the root, `/`-separated, as the model sees it.
    pub fn relative(&self, absolute: &Path) -> String {
        absolute
            .strip_prefix(&self.root)
            .map(|r| {
                r.components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/")
            })
            .unwrap_or_else(|_| absolute.display().to_string())
    }

    /// Refuses a change when the workspace is read-only.
    pub fn check_writable(&self) -> Result<(), ToolError> {
        if self.writable {
            Ok(())
        } else {
            Err(ToolError::ReadOnly(
                "this session cannot change files or run commands".to_owned(),
            ))
        }
    }
}

/// `C:\...`, `C:/...` or `\\server\...`: never a path inside the workspace.
fn looks_like_windows_root(path: &str) -> bool {
    let bytes = path.as_bytes();
    path.starts_with("\\\\")
        || path.starts_with('\\')
        || (bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace() -> (tempfile::TempDir, Workspace) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("ws");
        std::fs::create_dir_all(root.join("src")).unwrap();
        std::fs::write(root.join("src/a.rs"), "fn a() {}\n").unwrap();
        let ws = Workspace::new(&root, true).unwrap();
        (dir, ws)
    }

    #[test]
    fn paths_inside_resolve_and_paths_outside_are_refused() {
        let (dir, ws) = workspace();
        assert_eq!(ws.resolve("src/a.rs").unwrap(), ws.root().join("src/a.rs"));
        assert_eq!(
            ws.resolve("./src/../src/a.rs").unwrap(),
            ws.root().join("src/a.rs")
        );
        assert_eq!(
            ws.resolve("new/dir/file.txt").unwrap(),
            ws.root().join("new/dir/file.txt")
        );
        for bad in [
            "../outside",
            "src/../../outside",
            "/etc/passwd",
            "~/.ssh/id_rsa",
            "C:\\Windows\\system.ini",
            "\\\\server\\share",
        ] {
            assert_eq!(
                ws.resolve(bad).unwrap_err().code(),
                "path_outside_workspace",
                "{bad}"
            );
        }
        // A symlink inside that points outside, as the target and on the way to it.
        std::fs::write(dir.path().join("secret"), "s").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret"), ws.root().join("link")).unwrap();
        std::os::unix::fs::symlink(dir.path(), ws.root().join("up")).unwrap();
        assert_eq!(
            ws.resolve("link").unwrap_err().code(),
            "path_outside_workspace"
        );
        assert_eq!(
            ws.resolve("up/secret").unwrap_err().code(),
            "path_outside_workspace"
        );
        assert_eq!(
            ws.resolve("up/new-file").unwrap_err().code(),
            "path_outside_workspace"
        );
        // A symlink that stays inside is fine.
        std::os::unix::fs::symlink(ws.root().join("src"), ws.root().join("code")).unwrap();
        assert_eq!(ws.resolve("code/a.rs").unwrap(), ws.root().join("src/a.rs"));
    }
}
