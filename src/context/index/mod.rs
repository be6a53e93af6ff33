//! The persisted, incremental index behind the filesystem provider.
//!
//! Each refresh brings the index up to date with the tree: a one-shot process stats the known files and
//! directories (a new or deleted file changes its directory's mtime) and walks only when a directory
//! changed; a long-lived one ([`Index::set_watch`]) watches the walked directories and skips even that while
//! the OS reports no change. Files whose size or mtime changed are re-read; a re-read whose blake3 equals
//! the indexed one keeps its postings. Ranking is file-level BM25F over three fields (content, symbol
//! definitions, path), code before tests and docs, and the excerpt of each chosen file is picked afterwards
//! from its text (`docs/RETRIEVAL.md`). The full scan in [`super::filesystem::rank_files`] ranks with the
//! same code over an index built in memory, so an up-to-date index returns exactly what a full scan would.
//!
//! The index is a cache, never a source of truth: every returned item is re-read from disk and carries the
//! hash of the bytes as read now; if that hash differs from the indexed one the file is re-indexed and the
//! query ranked again. A missing or corrupt index file is rebuilt, never reported to the user.
//!
//! On disk: `<data_dir>/index/<root key>/index.bin` (layout in `persist.rs`), replaced atomically (write a
//! temporary file, then rename), so processes sharing it never read a torn file. A loaded index reads a
//! term's postings from the file when a query needs them; files indexed since the load are held in memory
//! (the overlay) until the next save merges them in.
//!
//! One concern per file: `walk.rs` (stamps, bounded reads, the walk), `watch.rs` (directory watches),
//! `fields.rs` (a file's terms per field), `postings.rs` (entries and the in-memory overlay), `segment.rs`
//! (reading the file's postings), `persist.rs` (format, save, load), `refresh.rs`, `score.rs` (BM25F and
//! role order), `excerpt.rs` (windows of a chosen file), `search.rs`, `seed.rs` (building one root's index
//! from another's), `varint.rs`, `memory.rs`.

mod excerpt;
mod fields;
mod memory;
mod persist;
mod postings;
mod refresh;
mod score;
mod search;
mod seed;
mod segment;
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
pub use seed::SeedStats;
pub use walk::Stamp;
pub(crate) use walk::read_file;

use crate::context::role::{Role, role};
use postings::{Entry, Overlay};
use segment::Segment;
use watch::TreeWatch;

/// What is known of a text file's content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct TextMeta {
    hash: [u8; 32],
    lines: u32,
    /// Content terms (BM25 length).
    len: u32,
}

#[derive(Clone, Debug, PartialEq)]
struct FileEntry {
    path: String,
    stamp: Stamp,
    /// `None` for files the provider skips (binary, too large, not UTF-8).
    text: Option<TextMeta>,
    /// False once the file was deleted or re-indexed under a new id (its postings are skipped).
    live: bool,
    /// What the file is for, from its path (computed once: queries order by it).
    role: Role,
}

/// The index of one space root.
pub struct Index {
    root: PathBuf,
    /// By id: the loaded file's table first, then files indexed since (ids never reused until a save).
    files: Vec<FileEntry>,
    /// Path → id of the live entry.
    by_path: HashMap<String, u32>,
    /// Live text files and the sum of their content lengths (BM25's N and average length).
    live_text: usize,
    total_len: u64,
    /// Postings of the loaded index file, read per term on demand.
    base: Option<Segment>,
    /// Postings of files indexed since the load.
    overlay: Overlay,
    /// Directories of the last walk with their stamps (a one-shot process checks these instead of walking).
    dirs: Vec<(String, Stamp)>,
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
            files: Vec::new(),
            by_path: HashMap::new(),
            live_text: 0,
            total_len: 0,
            base: None,
            overlay: Overlay::new(),
            dirs: Vec::new(),
            dirty: true,
            watch_enabled: false,
            watch: None,
        }
    }

    /// Watch the tree so that refreshes skip the walk while the OS reports no change (for long-lived
    /// processes). Off by default: every refresh checks the tree's stamps.
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
        self.by_path.len()
    }

    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    fn path_of(&self, id: u32) -> &str {
        self.files.get(id as usize).map_or("", |f| f.path.as_str())
    }

    /// Replaces the file table (ids as given, all live) and the postings source; the overlay is emptied.
    fn adopt(&mut self, files: Vec<FileEntry>, base: Option<Segment>) {
        self.by_path = files
            .iter()
            .enumerate()
            .filter(|(_, f)| f.live)
            .filter_map(|(i, f)| Some((f.path.clone(), u32::try_from(i).ok()?)))
            .collect();
        let text = files.iter().filter(|f| f.live).filter_map(|f| f.text);
        self.live_text = text.clone().count();
        self.total_len = text.map(|t| u64::from(t.len)).sum();
        self.files = files;
        self.base = base;
        self.overlay = Overlay::new();
    }

    /// Adds a file under a new id (its postings to the overlay); the caller removed any previous entry.
    fn insert(&mut self, path: String, stamp: Stamp, text: Option<([u8; 32], &str)>) {
        let Ok(id) = u32::try_from(self.files.len()) else {
            return;
        };
        let meta = text.map(|(hash, text)| {
            let terms = fields::file_terms(&path, Some(text));
            for (term, counts) in terms.terms {
                self.overlay
                    .entry(term)
                    .or_default()
                    .push(Entry::new(id, counts));
            }
            TextMeta {
                hash,
                lines: terms.lines,
                len: terms.content_len,
            }
        });
        if let Some(m) = meta {
            self.live_text += 1;
            self.total_len += u64::from(m.len);
        }
        self.by_path.insert(path.clone(), id);
        self.files.push(FileEntry {
            role: role(&path),
            path,
            stamp,
            text: meta,
            live: true,
        });
        self.dirty = true;
    }

    /// Marks the file `id` gone (its postings are skipped from now on).
    fn remove(&mut self, id: u32) {
        let Some(f) = self.files.get_mut(id as usize) else {
            return;
        };
        if !f.live {
            return;
        }
        f.live = false;
        if let Some(t) = f.text {
            self.live_text = self.live_text.saturating_sub(1);
            self.total_len = self.total_len.saturating_sub(u64::from(t.len));
        }
        if self.by_path.get(&f.path) == Some(&id) {
            self.by_path.remove(&f.path);
        }
        self.dirty = true;
    }

    /// An index held only in memory drops dead ids once they outnumber the live ones (a saved index
    /// does so at its next save).
    pub(super) fn compact_if_sparse(&mut self) {
        let dead = self.files.len() - self.by_path.len();
        if self.base.is_some() || dead < 64 || dead < self.by_path.len() {
            return;
        }
        let mut remap = vec![u32::MAX; self.files.len()];
        let mut files = Vec::with_capacity(self.by_path.len());
        for (old, f) in std::mem::take(&mut self.files).into_iter().enumerate() {
            if f.live {
                if let (Some(slot), Ok(new)) = (remap.get_mut(old), u32::try_from(files.len())) {
                    *slot = new;
                }
                files.push(f);
            }
        }
        for list in self.overlay.values_mut() {
            list.retain_mut(|e| match remap.get(e.file as usize) {
                Some(&new) if new != u32::MAX => {
                    e.file = new;
                    true
                }
                _ => false,
            });
        }
        self.overlay.retain(|_, l| !l.is_empty());
        self.adopt_keeping_overlay(files);
    }

    fn adopt_keeping_overlay(&mut self, files: Vec<FileEntry>) {
        let overlay = std::mem::take(&mut self.overlay);
        self.adopt(files, None);
        self.overlay = overlay;
    }

    /// Adds texts held in memory (the full scan, MCP resources): `(path, blake3, text)`; a path given
    /// twice keeps the last text.
    pub(crate) fn add_texts<'a>(
        &mut self,
        texts: impl Iterator<Item = (&'a str, [u8; 32], &'a str)>,
    ) {
        let stamp = Stamp {
            size: 0,
            mtime_secs: 0,
            mtime_nanos: 0,
        };
        for (path, hash, text) in texts {
            if let Some(id) = self.by_path.get(path).copied() {
                self.remove(id);
            }
            self.insert(path.to_owned(), stamp, Some((hash, text)));
        }
    }

    /// The live entries of `term` and of its inflections (`header` also finds `headers`, `handling`
    /// finds `handle` and `handled`), one entry per file with the counts summed: requests are written in
    /// prose, code in whatever form the identifier took.
    fn term_entries(&self, term: &str) -> Vec<Entry> {
        let mut list: Vec<Entry> = Vec::new();
        for form in crate::context::tokenize::inflections(term) {
            list.extend(self.entries(&form));
        }
        list.sort_unstable_by_key(|e| e.file);
        list.dedup_by(|later, first| {
            if later.file != first.file {
                return false;
            }
            first.content = first.content.saturating_add(later.content);
            first.symbol = first.symbol.saturating_add(later.symbol);
            first.path = first.path.saturating_add(later.path);
            true
        });
        list
    }

    /// The live entries of `term`, from the file and the overlay.
    fn entries(&self, term: &str) -> Vec<Entry> {
        let mut list = match &self.base {
            Some(b) => b.list(term),
            None => Vec::new(),
        };
        if let Some(more) = self.overlay.get(term) {
            list.extend_from_slice(more);
        }
        list.retain(|e| self.files.get(e.file as usize).is_some_and(|f| f.live));
        list
    }
}
