//! Stamps, reading a file the way the provider does, and walking the tree.

use std::fs::Metadata;
use std::path::Path;
use std::time::UNIX_EPOCH;

use super::watch::TreeWatch;
use crate::context::filesystem::{MAX_FILE_BYTES, relative_path, walker};

/// Size and modification time: when both are unchanged the file is not re-read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    pub size: u64,
    pub mtime_secs: u64,
    pub mtime_nanos: u32,
}

impl Stamp {
    pub fn of(meta: &Metadata) -> Self {
        let (mtime_secs, mtime_nanos) = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map(|d| (d.as_secs(), d.subsec_nanos()))
            .unwrap_or((0, 0));
        Self {
            size: meta.len(),
            mtime_secs,
            mtime_nanos,
        }
    }
}

/// Reads a file the way the provider does: `None` for binaries, oversized and non-UTF-8 files.
pub(super) fn read_file(path: &Path) -> std::io::Result<Option<([u8; 32], String)>> {
    let bytes = std::fs::read(path)?;
    if bytes.len() as u64 > MAX_FILE_BYTES || bytes.iter().take(8000).any(|b| *b == 0) {
        return Ok(None);
    }
    let hash = *blake3::hash(&bytes).as_bytes();
    Ok(String::from_utf8(bytes).ok().map(|text| (hash, text)))
}

/// The files under `root` with their stamps, adding a watch on every directory before its entries are
/// read (so nothing created in it afterwards goes unseen).
pub(super) fn walk_watching(
    root: &Path,
    watch: &mut TreeWatch,
    capacity: usize,
) -> Vec<(String, Stamp)> {
    let mut seen = Vec::with_capacity(capacity);
    for entry in walker(root).build() {
        let Ok(entry) = entry else { continue };
        if entry.file_type().is_some_and(|t| t.is_dir()) {
            watch.add(entry.path());
            continue;
        }
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let Some(path) = relative_path(root, entry.path()) else {
            continue;
        };
        let Ok(meta) = entry.metadata() else { continue };
        seen.push((path, Stamp::of(&meta)));
    }
    seen
}

/// The files under `root` with their stamps, walked on all cores (order is restored by the caller).
pub(super) fn walk_parallel(root: &Path) -> Vec<(String, Stamp)> {
    let (tx, rx) = std::sync::mpsc::channel();
    walker(root).build_parallel().run(|| {
        let tx = tx.clone();
        Box::new(move |entry| {
            if let Ok(entry) = entry
                && entry.file_type().is_some_and(|t| t.is_file())
                && let Some(path) = relative_path(root, entry.path())
                && let Ok(meta) = entry.metadata()
            {
                let _ = tx.send((path, Stamp::of(&meta)));
            }
            ignore::WalkState::Continue
        })
    });
    drop(tx);
    rx.into_iter().collect()
}
