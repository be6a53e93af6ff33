//! Comparing a snapshot's sources with the files on disk, for derived staleness.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use crate::model::SourceState;

#[derive(Clone, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
}

/// Hashes files at most once per (size, mtime): checking a whole history list re-reads only files that
/// changed since the last check.
#[derive(Default)]
pub struct SourceChecker {
    cache: Mutex<HashMap<PathBuf, (Stamp, String)>>,
}

impl SourceChecker {
    pub fn new() -> Self {
        Self::default()
    }

    /// The blake3 hex of the file now, or `None` if it is gone or unreadable.
    pub fn current_hash(&self, path: &Path) -> Option<String> {
        let meta = std::fs::metadata(path).ok()?;
        if !meta.is_file() {
            return None;
        }
        let stamp = Stamp {
            len: meta.len(),
            modified: meta.modified().ok(),
        };
        if let Ok(cache) = self.cache.lock()
            && let Some((cached, hash)) = cache.get(path)
            && *cached == stamp
        {
            return Some(hash.clone());
        }
        let bytes = std::fs::read(path).ok()?;
        let hash = blake3::hash(&bytes).to_hex().to_string();
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(path.to_path_buf(), (stamp, hash.clone()));
        }
        Some(hash)
    }

    /// How `relative` under `root` compares with `recorded_hash`.
    pub fn state(&self, root: &Path, relative: &str, recorded_hash: &str) -> SourceState {
        match self.current_hash(&root.join(relative)) {
            None => SourceState::Missing,
            Some(h) if h == recorded_hash => SourceState::Unchanged,
            Some(_) => SourceState::Changed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unchanged_changed_missing() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "one").unwrap();
        let hash = blake3::hash(b"one").to_hex().to_string();
        let checker = SourceChecker::new();
        assert_eq!(
            checker.state(dir.path(), "a.txt", &hash),
            SourceState::Unchanged
        );
        std::fs::write(dir.path().join("a.txt"), "two!").unwrap();
        assert_eq!(
            checker.state(dir.path(), "a.txt", &hash),
            SourceState::Changed
        );
        std::fs::write(dir.path().join("a.txt"), "one").unwrap();
        assert_eq!(
            checker.state(dir.path(), "a.txt", &hash),
            SourceState::Unchanged
        );
        std::fs::remove_file(dir.path().join("a.txt")).unwrap();
        assert_eq!(
            checker.state(dir.path(), "a.txt", &hash),
            SourceState::Missing
        );
    }
}
