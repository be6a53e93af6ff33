//! Bringing an index up to date with the tree: walk (or skip the walk while watches report nothing),
//! re-read what changed, drop what is gone.

use std::collections::HashMap;
use std::fs::Metadata;

use super::walk::{Stamp, read_file, walk_parallel, walk_watching};
use super::watch::TreeWatch;
use super::{FileEntry, Index};
use crate::context::filesystem::{MAX_FILE_BYTES, WalkError, check_root};

/// What a refresh did, for logs and tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RefreshStats {
    pub files: usize,
    /// Files read because they were new or their size/mtime changed.
    pub read: usize,
    /// Of those, files whose content (hash) had actually changed or that were new.
    pub reindexed: usize,
    pub removed: usize,
}

impl Index {
    /// Walks the root and brings the index up to date: new and changed (size/mtime) files are read,
    /// deleted ones dropped. Unchanged files are only stat'ed.
    pub fn refresh(&mut self) -> Result<RefreshStats, WalkError> {
        if self.watch_enabled && self.watch.is_none() {
            self.watch = TreeWatch::start();
        }
        if let Some(watch) = &self.watch
            && !watch.take_changed()
        {
            return Ok(RefreshStats {
                files: self.files.len(),
                ..RefreshStats::default()
            });
        }
        check_root(&self.root)?;
        let mut seen = match &mut self.watch {
            Some(watch) => walk_watching(&self.root, watch, self.files.len()),
            None => walk_parallel(&self.root),
        };
        seen.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut stats = RefreshStats {
            files: seen.len(),
            ..RefreshStats::default()
        };
        let unchanged = seen.len() == self.files.len()
            && seen
                .iter()
                .zip(&self.files)
                .all(|((path, stamp), f)| *path == f.path && *stamp == f.stamp);
        if unchanged {
            return Ok(stats);
        }
        let mut old: HashMap<String, FileEntry> = std::mem::take(&mut self.files)
            .into_iter()
            .map(|f| (f.path.clone(), f))
            .collect();
        let mut files = Vec::with_capacity(seen.len());
        // `structural`: the file list or a file's postings changed, so the query tables are rebuilt;
        // `restamped`: only stamps changed (same content), so only the saved file is out of date.
        let (mut structural, mut restamped) = (false, false);
        for (path, stamp) in seen {
            let previous = old.remove(&path);
            if let Some(prev) = &previous
                && prev.stamp == stamp
            {
                files.extend(previous);
                continue;
            }
            stats.read += 1;
            let existed = previous.is_some();
            let previous_text = previous.and_then(|p| p.text);
            let had_text = previous_text.is_some();
            let text = if stamp.size > MAX_FILE_BYTES {
                None
            } else {
                match read_file(&self.root.join(&path)) {
                    Ok(Some((hash, text))) => match previous_text {
                        Some(entry) if entry.hash == hash => Some(entry),
                        _ => {
                            stats.reindexed += 1;
                            structural = true;
                            Some(self.index_text(hash, &text))
                        }
                    },
                    Ok(None) => None,
                    Err(e) => {
                        // Left out, and tried again on the next walk.
                        tracing::debug!(path, error = %e, "skipping unreadable file");
                        structural |= existed;
                        continue;
                    }
                }
            };
            structural |= !existed || had_text != text.is_some();
            restamped = true;
            files.push(FileEntry { path, stamp, text });
        }
        stats.removed = old.len();
        structural |= stats.removed > 0;
        self.files = files;
        if structural {
            self.derived = None;
        }
        self.dirty |= structural || restamped;
        Ok(stats)
    }

    /// Re-reads one file whose content no longer matches the index (or that is gone).
    pub(super) fn reread(&mut self, fi: usize) {
        let Some(path) = self.files.get(fi).map(|f| f.path.clone()) else {
            return;
        };
        let full = self.root.join(&path);
        let meta = std::fs::metadata(&full).ok().filter(Metadata::is_file);
        let read = meta.as_ref().map(|_| read_file(&full));
        self.derived = None;
        self.dirty = true;
        match (meta, read) {
            (Some(meta), Some(Ok(content))) => {
                let text = content.map(|(hash, text)| self.index_text(hash, &text));
                if let Some(f) = self.files.get_mut(fi) {
                    f.stamp = Stamp::of(&meta);
                    f.text = text;
                }
            }
            _ => {
                self.files.remove(fi);
            }
        }
    }
}
