//! Path names inside a repository as text: UTF-8 names as they are, other names (and names that begin with
//! a double quote) in git's quoted form, so every path survives a round trip through JSON and back into an
//! operation.

use super::error::GitError;
use super::quote::{quote_prefixed, unquote};

/// The text form of a repository path's bytes.
pub fn display_path(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) if !text.starts_with('"') => text.to_owned(),
        _ => String::from_utf8_lossy(&quote_prefixed(b"", bytes, true)).into_owned(),
    }
}

/// The bytes of a path given in the text form [`display_path`] produces.
pub fn path_bytes(text: &str) -> Result<Vec<u8>, GitError> {
    let bytes = if text.starts_with('"') {
        unquote(text).ok_or_else(|| GitError::InvalidInput {
            what: "path",
            message: format!(
                "{text} starts with a double quote but is not a well-formed quoted name"
            ),
        })?
    } else {
        text.as_bytes().to_vec()
    };
    // An untracked directory is listed as `dir/`: one trailing slash is allowed.
    let trimmed = bytes.strip_suffix(b"/").unwrap_or(&bytes);
    let valid = !trimmed.is_empty()
        && !trimmed.starts_with(b"/")
        && !trimmed.contains(&0)
        && trimmed
            .split(|&b| b == b'/')
            .all(|part| !part.is_empty() && part != b"." && part != b".." && part != b".git");
    if !valid {
        return Err(GitError::InvalidInput {
            what: "path",
            message: format!("{text} is not a path relative to the worktree root"),
        });
    }
    Ok(bytes)
}

/// A repository path as a relative file-system path (bytes kept as they are on Unix).
#[cfg(unix)]
pub(crate) fn relative_path(bytes: &[u8]) -> std::path::PathBuf {
    use std::os::unix::ffi::OsStrExt;
    std::path::Path::new(std::ffi::OsStr::from_bytes(bytes)).to_owned()
}

#[cfg(not(unix))]
pub(crate) fn relative_path(bytes: &[u8]) -> std::path::PathBuf {
    std::path::PathBuf::from(String::from_utf8_lossy(bytes).as_ref())
}

/// A repository path as a file-system path under `root`.
pub(crate) fn fs_path(root: &std::path::Path, bytes: &[u8]) -> std::path::PathBuf {
    root.join(relative_path(bytes.strip_suffix(b"/").unwrap_or(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_name() {
        for name in [
            b"src/main.rs".to_vec(),
            "dir with space/ünï.txt".as_bytes().to_vec(),
            b"latin1-\xe9t\xe9.txt".to_vec(),
            b"\"starts-with-quote".to_vec(),
        ] {
            let text = display_path(&name);
            assert_eq!(path_bytes(&text).unwrap(), name, "{text}");
        }
        assert_eq!(display_path(b"latin1-\xe9"), r#""latin1-\351""#);
    }

    #[test]
    fn refuses_paths_outside_the_worktree() {
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a//b",
            ".git/config",
            "a/./b",
        ] {
            let err = path_bytes(bad).unwrap_err();
            assert_eq!(err.code(), "invalid_input", "{bad}");
        }
    }
}
