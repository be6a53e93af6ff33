//! The persisted, incremental index behind the filesystem provider.
//!
//! Each refresh walks the space (gitignore-aware, like [`filesystem::read_tree`]) but only stats the
//! files; files whose size or mtime changed are re-read, and a re-read whose blake3 equals the indexed one
//! keeps its postings. Deleted files are dropped. An index kept open with [`Index::set_watch`] watches the
//! walked directories and skips the walk while the OS reports no change. Ranking is the same BM25 over
//! the same line chunks as the full scan in [`filesystem::rank_files`], computed from per-block term counts instead of re-tokenizing every
//! file, so an up-to-date index returns exactly what a full scan would.
//!
//! The index is a cache, never a source of truth: every returned item is re-read from disk and carries the
//! hash of the bytes as read now; if that hash differs from the indexed one the file is re-indexed and the
//! query ranked again. A missing or corrupt index file is rebuilt, never reported to the user.
//!
//! On disk: `<data_dir>/index/<root key>/index.bin`, where the root key is the first 16 hex digits of the
//! blake3 of the space's root path. The file is `MAGIC`, a body of LEB128 varints and length-prefixed
//! strings (format version, root path, vocabulary, then per file: path, size, mtime, and for text files the
//! blake3, line count, terms per block and the `(term, block, count)` postings), and the blake3 of the body.
//! It is replaced atomically (write a temporary file, then rename), so processes sharing it never read a
//! torn file; the last writer wins, and either version is a valid cache.
//!
//! One concern per file: `walk.rs` (stamps, reading and walking files), `watch.rs` (directory watches),
//! `postings.rs` (per-file postings and tokenizing), `query_tables.rs` (the per-term lists queries read),
//! `search.rs` (ranking and choosing excerpts), `refresh.rs` (bringing the index up to date),
//! `persist.rs` (the file format, load and save), `varint.rs`, `memory.rs`.

mod memory;
mod persist;
mod postings;
mod query_tables;
mod refresh;
mod search;
mod varint;
mod walk;
mod watch;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub use crate::context::chunk::chunk_count;
pub use memory::IndexMemory;
pub use persist::{FORMAT_VERSION, INDEX_FILE, index_dir};
pub use refresh::RefreshStats;
pub use walk::Stamp;

use postings::TextEntry;
use query_tables::Derived;
use watch::TreeWatch;

#[derive(Clone, Debug, PartialEq)]
struct FileEntry {
    path: String,
    stamp: Stamp,
    /// `None` for files the provider skips (binary, too large, not UTF-8).
    text: Option<TextEntry>,
}

/// The index of one space root.
pub struct Index {
    root: PathBuf,
    vocab: Vec<String>,
    term_ids: HashMap<String, u32>,
    /// Sorted by path.
    files: Vec<FileEntry>,
    derived: Option<Derived>,
    /// Changed since it was loaded or saved.
    dirty: bool,
    /// Whether to watch the tree so refreshes can skip the walk while nothing changed.
    watch_enabled: bool,
    watch: Option<TreeWatch>,
}

impl Index {
    /// An empty index of `root` (everything is read on the first refresh).
    pub fn new(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
            vocab: Vec::new(),
            term_ids: HashMap::new(),
            files: Vec::new(),
            derived: None,
            dirty: true,
            watch_enabled: false,
            watch: None,
        }
    }

    /// Watch the tree so that refreshes skip the walk while the OS reports no change (for long-lived
    /// processes). Off by default: every refresh walks.
    pub fn set_watch(&mut self, on: bool) {
        self.watch_enabled = on;
        if !on {
            self.watch = None;
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Number of files known (text and skipped).
    pub fn file_count(&self) -> usize {
        self.files.len()
    }

    pub fn is_dirty(&self) -> bool {
        self.dirty
    }
}
