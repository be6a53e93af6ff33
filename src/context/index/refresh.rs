//! Bringing an index up to date with the tree: skip everything while watches report nothing; otherwise
//! check the known stamps (no walk while no directory changed), or walk; re-read what changed, drop what
//! is gone.

use super::Index;
use super::walk::{Stamp, Walked, read_file, stat_all, walk};
use super::watch::TreeWatch;
use crate::context::filesystem::{MAX_FILE_BYTES, WalkError, check_root};

/// Files whose change can change which files the walk takes: any change to one means a full walk.
const IGNORE_FILES: &[&str] = &[".gitignore", ".ignore", ".kataignore"];

/// What a refresh did, for logs and tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RefreshStats {
    pub files: usize,
    /// Files read because they were new or their size/mtime changed.
    pub read: usize,
    /// Of those, files whose content (hash) had actually changed or that were new.
    pub reindexed: usize,
    pub removed: usize,
    /// Whether the tree was walked (otherwise only known stamps were checked, or nothing at all).
    pub walked: bool,
}

impl Index {
    /// Brings the index up to date: new and changed (size/mtime) files are read, deleted ones dropped.
    /// Unchanged files are only stat'ed.
    pub fn refresh(&mut self) -> Result<RefreshStats, WalkError> {
        if self.watch_enabled && self.watch.is_none() {
            self.watch = TreeWatch::start();
        }
        if let Some(watch) = &self.watch
            && !watch.take_changed()
        {
            return Ok(RefreshStats {
                files: self.by_path.len(),
                ..RefreshStats::default()
            });
        }
        check_root(&self.root)?;
        if self.watch.is_none()
            && let Some(stats) = self.refresh_from_stamps()
        {
            return Ok(stats);
        }
        let walked = walk(&self.root, self.watch.as_mut());
        Ok(self.apply_walk(walked))
    }

    /// Without a walk: when every known directory has its recorded stamp no file was added or removed,
    /// so statting the known files finds every change. `None` when a walk is needed.
    fn refresh_from_stamps(&mut self) -> Option<RefreshStats> {
        if self.dirs.is_empty() {
            return None;
        }
        let dir_paths: Vec<&str> = self.dirs.iter().map(|(p, _)| p.as_str()).collect();
        let now = stat_all(&self.root, &dir_paths, true);
        if now
            .iter()
            .zip(&self.dirs)
            .any(|(n, (_, s))| n.as_ref() != Some(s))
        {
            return None;
        }
        let mut ids: Vec<u32> = self.by_path.values().copied().collect();
        ids.sort_unstable();
        let paths: Vec<&str> = ids.iter().map(|&i| self.path_of(i)).collect();
        let stamps = stat_all(&self.root, &paths, false);
        let changed: Vec<(String, Option<Stamp>)> = ids
            .iter()
            .zip(stamps)
            .filter(|(i, s)| self.files.get(**i as usize).map(|f| f.stamp) != *s)
            .map(|(&i, s)| (self.path_of(i).to_owned(), s))
            .collect();
        let mut stats = RefreshStats {
            files: self.by_path.len(),
            ..RefreshStats::default()
        };
        for (path, stamp) in changed {
            let name = path.rsplit('/').next().unwrap_or("");
            let stamp = stamp.filter(|_| !IGNORE_FILES.contains(&name))?;
            self.update(path, stamp, &mut stats);
        }
        Some(stats)
    }

    /// Applies a walk: every walked file is kept, re-read or added; every known file not walked is
    /// removed; the directory stamps are replaced.
    fn apply_walk(&mut self, walked: Walked) -> RefreshStats {
        let Walked { files, dirs } = walked;
        let mut stats = RefreshStats {
            files: files.len(),
            walked: true,
            ..RefreshStats::default()
        };
        let mut seen = std::collections::HashSet::with_capacity(files.len());
        for (path, stamp) in files {
            seen.insert(path.clone());
            self.update(path, stamp, &mut stats);
        }
        let gone: Vec<u32> = self
            .by_path
            .iter()
            .filter(|(p, _)| !seen.contains(*p))
            .map(|(_, &id)| id)
            .collect();
        stats.removed = gone.len();
        for id in gone {
            self.remove(id);
        }
        if self.dirs != dirs {
            self.dirs = dirs;
            self.dirty = true;
        }
        self.compact_if_sparse();
        stats.files = self.by_path.len();
        stats
    }

    /// Brings one file up to date given its current stamp.
    fn update(&mut self, path: String, stamp: Stamp, stats: &mut RefreshStats) {
        let previous = self.by_path.get(&path).copied();
        let known = previous.and_then(|id| self.files.get(id as usize));
        if known.is_some_and(|f| f.stamp == stamp) {
            return;
        }
        let old_hash = known.and_then(|f| f.text).map(|t| t.hash);
        stats.read += 1;
        let content = if stamp.size > MAX_FILE_BYTES {
            Ok(None)
        } else {
            read_file(&self.root.join(&path))
        };
        match content {
            Ok(Some((hash, _))) if old_hash == Some(hash) => {
                if let Some(f) = previous.and_then(|id| self.files.get_mut(id as usize)) {
                    f.stamp = stamp;
                }
                self.dirty = true;
            }
            Ok(content) => {
                stats.reindexed += usize::from(content.is_some());
                if let Some(id) = previous {
                    self.remove(id);
                }
                self.insert(path, stamp, content.as_ref().map(|(h, t)| (*h, t.as_str())));
            }
            Err(e) => {
                // Left out, and tried again on the next refresh.
                tracing::debug!(path, error = %e, "skipping unreadable file");
                if let Some(id) = previous {
                    self.remove(id);
                }
            }
        }
    }

    /// Re-reads one file whose content no longer matches the index (or that is gone).
    pub(super) fn reread(&mut self, id: u32) {
        let Some(path) = self.files.get(id as usize).map(|f| f.path.clone()) else {
            return;
        };
        let full = self.root.join(&path);
        self.remove(id);
        let Ok(meta) = std::fs::symlink_metadata(&full) else {
            return;
        };
        if !meta.is_file() {
            return;
        }
        if let Ok(content) = read_file(&full) {
            self.insert(
                path,
                Stamp::of(&meta),
                content.as_ref().map(|(h, t)| (*h, t.as_str())),
            );
        }
    }
}
