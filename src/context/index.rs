//! The persisted, incremental index behind the filesystem provider.
//!
//! Each refresh walks the space (gitignore-aware, like [`filesystem::read_tree`]) but only stats the
//! files; files whose size or mtime changed are re-read, and a re-read whose blake3 equals the indexed one
//! keeps its postings. Deleted files are dropped. An index kept open with [`Index::set_watch`] watches the
//! walked directories and skips the walk while the OS reports no change. Ranking is the same BM25 over the same line chunks as the full
//! scan in [`filesystem::rank_files`], computed from per-block term counts instead of re-tokenizing every
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

use std::collections::HashMap;
use std::fs::Metadata;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use super::chunk::{CHUNK_LINES, CHUNK_STRIDE};
use super::filesystem::{
    self, MAX_FILE_BYTES, MAX_ITEMS_PER_FILE, WalkError, check_root, relative_path, walker,
};
use super::rank::{PATH_WEIGHT, idf, round_score, term_score};
use super::tokenize::{for_each_term, query_terms};
use crate::model::ContextItem;

/// Term counts are kept per block of `CHUNK_STRIDE` lines; a chunk is exactly two consecutive blocks.
const BLOCK_LINES: usize = CHUNK_STRIDE;
const _: () = assert!(CHUNK_LINES == 2 * CHUNK_STRIDE);

/// Version of the on-disk layout; another version is treated like a corrupt file (rebuilt).
pub const FORMAT_VERSION: u64 = 1;
const MAGIC: &[u8; 8] = b"KATAIDX1";
/// The index file inside a root's index directory.
pub const INDEX_FILE: &str = "index.bin";
/// Ranking passes before a query gives up chasing files that keep changing under it.
const ATTEMPTS: usize = 3;

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

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Posting {
    term: u32,
    block: u32,
    count: u32,
}

/// The postings of one file, sorted by (term, block), stored as LEB128 varint triples (term minus the
/// previous posting's term, block, count): about 3 bytes a posting instead of 12. They are kept only to
/// rebuild the query tables after a change and to save; queries read [`Derived::postings`].
#[derive(Clone, Debug, PartialEq, Default)]
struct PackedPostings {
    bytes: Box<[u8]>,
    len: u32,
}

impl PackedPostings {
    /// Packs postings already sorted by (term, block).
    fn pack(postings: &[Posting]) -> Self {
        // Most triples take 3 or 4 bytes: reserve once instead of growing byte by byte.
        let mut w = Writer(Vec::with_capacity(postings.len() * 4));
        let mut prev = 0u32;
        for p in postings {
            w.varint(u64::from(p.term.saturating_sub(prev)));
            prev = p.term;
            w.varint(u64::from(p.block));
            w.varint(u64::from(p.count));
        }
        Self {
            bytes: w.0.into_boxed_slice(),
            len: u32::try_from(postings.len()).unwrap_or(u32::MAX),
        }
    }

    fn iter(&self) -> impl Iterator<Item = Posting> + '_ {
        let mut r = Reader {
            buf: &self.bytes,
            pos: 0,
        };
        let mut term = 0u32;
        std::iter::from_fn(move || {
            term = term.checked_add(r.u32()?)?;
            Some(Posting {
                term,
                block: r.u32()?,
                count: r.u32()?,
            })
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
struct TextEntry {
    hash: [u8; 32],
    lines: u32,
    /// Number of terms in each block of `BLOCK_LINES` lines.
    block_lens: Vec<u32>,
    postings: PackedPostings,
}

/// One entry of a term's query list: the global number `chunk` of the chunk starting at the block (the
/// file's first chunk plus the block number), and in `tf` the term's count in the block with two flags
/// saying which of the two chunks containing the block exist: chunk `chunk - 1` (the block is not the
/// file's first) and chunk `chunk` (the block is not the file's last one past its final chunk). Half the
/// size of a (file, block, count) triple, and no chunk table lookup per posting at query time.
#[derive(Clone, Copy, Debug, Default)]
struct Hit {
    chunk: u32,
    tf: u32,
}

const HIT_PREV: u32 = 1 << 31;
const HIT_CUR: u32 = 1 << 30;
/// Counts are bounded by the terms in a block of a file of at most `MAX_FILE_BYTES`, far below this.
const HIT_COUNT: u32 = HIT_CUR - 1;
const _: () = assert!(MAX_FILE_BYTES < HIT_COUNT as u64);

#[derive(Clone, Debug, PartialEq)]
struct FileEntry {
    path: String,
    stamp: Stamp,
    /// `None` for files the provider skips (binary, too large, not UTF-8).
    text: Option<TextEntry>,
}

/// Query-time structures, rebuilt in memory after the file set changes.
struct Derived {
    /// A [`Hit`] for every block containing each term, grouped by term id and in (file, block) order
    /// within a term: term `t`'s list is `postings[offsets[t]..offsets[t + 1]]`, contiguous, so a query
    /// reads memory sequentially. One flat allocation sized exactly (no per-term vectors).
    postings: Vec<Hit>,
    offsets: Vec<usize>,
    /// Global index of each file's first chunk (chunks of all files numbered consecutively), and the
    /// total number of chunks at the end.
    chunk_base: Vec<usize>,
    /// Per global chunk: its length in terms and its file.
    chunk_len: Vec<u32>,
    chunk_file: Vec<u32>,
    /// Term id → indices of the files whose path contains it, ascending.
    path_terms: HashMap<u32, Vec<u32>>,
    total_len: u64,
}

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

/// Estimated heap bytes held by an [`Index`], per structure (from lengths and capacities; allocator
/// overhead not counted). For the benchmark and for sizing [`super::MAX_OPEN_ROOTS`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IndexMemory {
    /// The vocabulary and the term → id map (each term's text is held twice).
    pub vocab: usize,
    /// Per file: path, stamp, block lengths.
    pub files: usize,
    /// Per-file postings, packed as varints (what is saved and what the query tables are rebuilt from).
    pub postings: usize,
    /// The query tables derived from the postings (a second copy, grouped by term as 8-byte hits, plus
    /// chunk tables).
    pub derived: usize,
    /// The directory watch set.
    pub watch: usize,
}

impl IndexMemory {
    pub fn total(&self) -> usize {
        self.vocab + self.files + self.postings + self.derived + self.watch
    }
}

/// Heap bytes of a `HashMap` with `cap` slots of `entry` bytes (hashbrown: one control byte per slot).
fn map_bytes(cap: usize, entry: usize) -> usize {
    cap * (entry + 1)
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

/// Directory watches (inotify and the like, through `notify`) on every directory the walk visits: while
/// none of them reported a change, a refresh does not need to walk. Any event, error or dropped event
/// marks the tree changed; so does a new directory (its parent reports it). The watch is an optimisation
/// only: results are still re-read and hash-checked, and without a watch every refresh walks.
struct TreeWatch {
    watcher: notify::RecommendedWatcher,
    changed: std::sync::Arc<std::sync::atomic::AtomicBool>,
    dirs: std::collections::HashSet<PathBuf>,
}

impl TreeWatch {
    fn start() -> Option<Self> {
        use notify::event::{AccessKind, AccessMode, EventKind, ModifyKind};
        use std::sync::atomic::{AtomicBool, Ordering};
        let changed = std::sync::Arc::new(AtomicBool::new(true));
        let flag = changed.clone();
        let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            let relevant = match event {
                // Our own reads open files and, on first read after a write, bump the access time
                // (an attribute event): neither changes content. Only a finished write among access
                // events, and every create, delete, rename and data modification, matter.
                Ok(e) => match e.kind {
                    EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
                    EventKind::Access(_) | EventKind::Modify(ModifyKind::Metadata(_)) => false,
                    _ => true,
                },
                Err(_) => true,
            };
            if relevant {
                flag.store(true, Ordering::SeqCst);
            }
        })
        .map_err(|e| tracing::debug!(error = %e, "no file watching; every query walks the tree"))
        .ok()?;
        Some(Self {
            watcher,
            changed,
            dirs: Default::default(),
        })
    }

    /// Takes the changed flag (clearing it).
    fn take_changed(&self) -> bool {
        self.changed
            .swap(false, std::sync::atomic::Ordering::SeqCst)
    }

    fn add(&mut self, dir: &Path) {
        use notify::Watcher;
        if self.dirs.contains(dir) {
            return;
        }
        match self.watcher.watch(dir, notify::RecursiveMode::NonRecursive) {
            Ok(()) => {
                self.dirs.insert(dir.to_path_buf());
            }
            // Unwatched, a change there could go unseen: keep walking every time instead.
            Err(_) => self
                .changed
                .store(true, std::sync::atomic::Ordering::SeqCst),
        }
    }
}

/// The number of chunks [`super::chunk::chunks`] makes of a file with `lines` lines.
pub fn chunk_count(lines: usize) -> usize {
    if lines == 0 {
        0
    } else if lines <= CHUNK_LINES {
        1
    } else {
        1 + (lines - CHUNK_LINES).div_ceil(CHUNK_STRIDE)
    }
}

/// The directory holding the index of `root` under `base` (`<data_dir>/index`).
pub fn index_dir(base: &Path, root: &Path) -> PathBuf {
    let key = blake3::hash(root.to_string_lossy().as_bytes()).to_hex();
    base.join(key.get(..16).unwrap_or(key.as_str()))
}

fn intern(vocab: &mut Vec<String>, ids: &mut HashMap<String, u32>, term: &str) -> u32 {
    if let Some(&id) = ids.get(term) {
        return id;
    }
    let id = u32::try_from(vocab.len()).unwrap_or(u32::MAX);
    vocab.push(term.to_owned());
    ids.insert(term.to_owned(), id);
    id
}

/// Reads a file the way the provider does: `None` for binaries, oversized and non-UTF-8 files.
fn read_file(path: &Path) -> std::io::Result<Option<([u8; 32], String)>> {
    let bytes = std::fs::read(path)?;
    if bytes.len() as u64 > MAX_FILE_BYTES || bytes.iter().take(8000).any(|b| *b == 0) {
        return Ok(None);
    }
    let hash = *blake3::hash(&bytes).as_bytes();
    Ok(String::from_utf8(bytes).ok().map(|text| (hash, text)))
}

/// The files under `root` with their stamps, adding a watch on every directory before its entries are
/// read (so nothing created in it afterwards goes unseen).
fn walk_watching(root: &Path, watch: &mut TreeWatch, capacity: usize) -> Vec<(String, Stamp)> {
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
fn walk_parallel(root: &Path) -> Vec<(String, Stamp)> {
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

impl Derived {
    /// The hits of term `id` (empty for a term no file contains).
    fn term_postings(&self, id: u32) -> &[Hit] {
        let id = id as usize;
        match (self.offsets.get(id), self.offsets.get(id + 1)) {
            (Some(&start), Some(&end)) => self.postings.get(start..end).unwrap_or_default(),
            _ => &[],
        }
    }
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

    /// Estimated heap memory of this index, by structure.
    pub fn memory(&self) -> IndexMemory {
        use std::mem::size_of;
        let vocab = self.vocab.capacity() * size_of::<String>()
            + self.vocab.iter().map(String::capacity).sum::<usize>()
            + map_bytes(self.term_ids.capacity(), size_of::<(String, u32)>())
            + self.term_ids.keys().map(String::capacity).sum::<usize>();
        let mut files = self.files.capacity() * size_of::<FileEntry>();
        let mut postings = 0;
        for f in &self.files {
            files += f.path.capacity();
            if let Some(t) = &f.text {
                files += t.block_lens.capacity() * size_of::<u32>();
                postings += t.postings.bytes.len();
            }
        }
        let derived = self.derived.as_ref().map_or(0, |d| {
            d.postings.capacity() * size_of::<Hit>()
                + (d.offsets.capacity() + d.chunk_base.capacity()) * size_of::<usize>()
                + (d.chunk_len.capacity() + d.chunk_file.capacity()) * size_of::<u32>()
                + map_bytes(d.path_terms.capacity(), size_of::<(u32, Vec<u32>)>())
                + d.path_terms
                    .values()
                    .map(|l| l.capacity() * size_of::<u32>())
                    .sum::<usize>()
        });
        let watch = self.watch.as_ref().map_or(0, |w| {
            map_bytes(w.dirs.capacity(), size_of::<PathBuf>())
                + w.dirs.iter().map(|d| d.capacity()).sum::<usize>()
        });
        IndexMemory {
            vocab,
            files,
            postings,
            derived,
            watch,
        }
    }

    fn index_text(&mut self, hash: [u8; 32], text: &str) -> TextEntry {
        let mut occurrences: Vec<(u32, u32)> = Vec::new();
        let mut block_lens: Vec<u32> = Vec::new();
        let mut lines = 0u32;
        let (vocab, ids) = (&mut self.vocab, &mut self.term_ids);
        for (li, line) in text.lines().enumerate() {
            let block = li / BLOCK_LINES;
            if block_lens.len() <= block {
                block_lens.push(0);
            }
            let block = u32::try_from(block).unwrap_or(u32::MAX);
            let mut len = 0u32;
            for_each_term(line, |t| {
                len += 1;
                occurrences.push((intern(vocab, ids, t), block));
            });
            if let Some(slot) = block_lens.last_mut() {
                *slot += len;
            }
            lines += 1;
        }
        occurrences.sort_unstable();
        let mut postings: Vec<Posting> = Vec::new();
        for (term, block) in occurrences {
            match postings.last_mut() {
                Some(p) if p.term == term && p.block == block => p.count += 1,
                _ => postings.push(Posting {
                    term,
                    block,
                    count: 1,
                }),
            }
        }
        // Held for the life of the index: drop the slack the pushes left.
        block_lens.shrink_to_fit();
        TextEntry {
            hash,
            lines,
            block_lens,
            postings: PackedPostings::pack(&postings),
        }
    }

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
    fn reread(&mut self, fi: usize) {
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

    fn derive(&mut self) {
        if self.derived.is_some() {
            return;
        }
        // Counting pass first, so the flat postings table is allocated once at its exact size.
        let terms = self.vocab.len();
        let mut offsets = vec![0usize; terms + 1];
        for p in self
            .files
            .iter()
            .filter_map(|f| f.text.as_ref())
            .flat_map(|t| t.postings.iter())
        {
            if let Some(n) = offsets.get_mut(p.term as usize + 1) {
                *n += 1;
            }
        }
        for t in 1..offsets.len() {
            offsets[t] += offsets[t - 1];
        }
        let mut postings = vec![Hit::default(); offsets.last().copied().unwrap_or(0)];
        let mut next = offsets.clone();
        let mut chunk_base = Vec::with_capacity(self.files.len() + 1);
        let mut chunk_len: Vec<u32> = Vec::new();
        let mut chunk_file: Vec<u32> = Vec::new();
        let mut total_len = 0u64;
        let mut path_terms: HashMap<u32, Vec<u32>> = HashMap::new();
        let (vocab, ids) = (&mut self.vocab, &mut self.term_ids);
        for (fi, f) in self.files.iter().enumerate() {
            chunk_base.push(chunk_len.len());
            let fi = u32::try_from(fi).unwrap_or(u32::MAX);
            for_each_term(&f.path, |t| {
                let list = path_terms.entry(intern(vocab, ids, t)).or_default();
                if list.last() != Some(&fi) {
                    list.push(fi);
                }
            });
            let Some(t) = &f.text else { continue };
            let base = chunk_len.len();
            let chunks = chunk_count(t.lines as usize);
            for p in t.postings.iter() {
                let b = p.block as usize;
                let mut tf = p.count.min(HIT_COUNT);
                if b >= 1 {
                    tf |= HIT_PREV;
                }
                if b < chunks {
                    tf |= HIT_CUR;
                }
                if let Some(at) = next.get_mut(p.term as usize)
                    && let Some(slot) = postings.get_mut(*at)
                {
                    *slot = Hit {
                        chunk: u32::try_from(base + b).unwrap_or(u32::MAX),
                        tf,
                    };
                    *at += 1;
                }
            }
            for k in 0..chunks {
                let len = block(&t.block_lens, k) + block(&t.block_lens, k + 1);
                total_len += u64::from(len);
                chunk_len.push(len);
                chunk_file.push(fi);
            }
        }
        chunk_base.push(chunk_len.len());
        self.derived = Some(Derived {
            postings,
            offsets,
            chunk_base,
            chunk_len,
            chunk_file,
            path_terms,
            total_len,
        });
    }

    /// The best `limit` items for `query`, the same a full scan of the indexed files would return. Every
    /// item's file is re-read now: its hash is the hash of those bytes.
    pub fn search(&mut self, query: &str, limit: usize) -> Vec<ContextItem> {
        for attempt in 1..=ATTEMPTS {
            match self.search_once(query, limit, attempt == ATTEMPTS) {
                Ok(items) => return items,
                Err(fi) => self.reread(fi),
            }
        }
        Vec::new()
    }

    /// One ranking pass. `Err(file)` when that file changed since it was indexed (and `last` is false).
    fn search_once(
        &mut self,
        query: &str,
        limit: usize,
        last: bool,
    ) -> Result<Vec<ContextItem>, usize> {
        let terms = query_terms(query);
        if terms.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        self.derive();
        let Some(d) = &self.derived else {
            return Ok(Vec::new());
        };
        let n = d.chunk_len.len();
        if n == 0 {
            return Ok(Vec::new());
        }
        let avg_len = d.total_len as f64 / n as f64;
        let mut scores = vec![0f64; n];
        let mut touched: Vec<usize> = Vec::new();
        let mut idfs: Vec<f64> = Vec::with_capacity(terms.len());
        // (global chunk, tf), ascending by chunk.
        let mut hits: Vec<(usize, u32)> = Vec::new();
        for term in &terms {
            hits.clear();
            if let Some(&id) = self.term_ids.get(term) {
                for h in d.term_postings(id) {
                    // Block b lies in chunks b - 1 and b of its file (those that exist).
                    let c = h.chunk as usize;
                    let count = h.tf & HIT_COUNT;
                    if h.tf & HIT_PREV != 0 {
                        let c = c.wrapping_sub(1);
                        match hits.last_mut() {
                            Some((last, tf)) if *last == c => *tf += count,
                            _ => hits.push((c, count)),
                        }
                    }
                    if h.tf & HIT_CUR != 0 {
                        match hits.last_mut() {
                            Some((last, tf)) if *last == c => *tf += count,
                            _ => hits.push((c, count)),
                        }
                    }
                }
            }
            let term_idf = idf(n, hits.len());
            idfs.push(term_idf);
            for &(c, tf) in &hits {
                let len = d.chunk_len.get(c).copied().unwrap_or(0);
                if let Some(score) = scores.get_mut(c) {
                    if *score == 0.0 {
                        touched.push(c);
                    }
                    *score += term_score(term_idf, tf, len, avg_len);
                }
            }
        }

        let term_index: HashMap<&str, usize> = terms
            .iter()
            .enumerate()
            .map(|(i, t)| (t.as_str(), i))
            .collect();
        // Query terms in a file's path add their idf (summed in query-term order, as the full scan does).
        let mut path_bonus: HashMap<usize, f64> = HashMap::new();
        for (term, term_idf) in terms.iter().zip(&idfs) {
            if let Some(&id) = self.term_ids.get(term)
                && let Some(files) = d.path_terms.get(&id)
            {
                for &fi in files {
                    *path_bonus.entry(fi as usize).or_insert(0.0) += term_idf;
                }
            }
        }
        // (score, file, chunk). Files are in path order, so the tie-break by path is by file index.
        let mut candidates: Vec<(f64, usize, usize)> = Vec::with_capacity(touched.len());
        for c in touched {
            let Some(fi) = d.chunk_file.get(c).map(|f| *f as usize) else {
                continue;
            };
            let Some(&base) = d.chunk_base.get(fi) else {
                continue;
            };
            let mut score = scores.get(c).copied().unwrap_or(0.0);
            if score <= 0.0 {
                continue;
            }
            if let Some(bonus) = path_bonus.get(&fi) {
                score += bonus * PATH_WEIGHT;
            }
            candidates.push((round_score(score), fi, c - base));
        }
        let order = |a: &(f64, usize, usize), b: &(f64, usize, usize)| {
            b.0.total_cmp(&a.0)
                .then_with(|| a.1.cmp(&b.1))
                .then_with(|| a.2.cmp(&b.2))
        };
        // Only the head is usually needed: sort it first, the rest only if the choice runs past it.
        let head = (limit * 16).max(64);
        let mut sorted = candidates.len().min(head);
        if candidates.len() > head {
            candidates.select_nth_unstable_by(head, order);
        }
        if let Some(h) = candidates.get_mut(..sorted) {
            h.sort_unstable_by(order);
        }

        // Choose, reading each file once: narrow to the matching lines, at most two per file, no overlaps.
        let mut read: HashMap<usize, Option<(String, String)>> = HashMap::new();
        let mut chosen: Vec<(usize, usize, usize, f64)> = Vec::new();
        for i in 0..candidates.len() {
            if chosen.len() >= limit {
                break;
            }
            if i == sorted {
                if let Some(rest) = candidates.get_mut(sorted..) {
                    rest.sort_unstable_by(order);
                }
                sorted = candidates.len();
            }
            let Some(&(score, fi, k)) = candidates.get(i) else {
                break;
            };
            let Some(f) = self.files.get(fi) else {
                continue;
            };
            let content =
                read.entry(fi)
                    .or_insert_with(|| match read_file(&self.root.join(&f.path)) {
                        Ok(Some((hash, text)))
                            if f.text.as_ref().is_some_and(|t| t.hash == hash) =>
                        {
                            Some((blake3::Hash::from(hash).to_hex().to_string(), text))
                        }
                        _ => None,
                    });
            let Some((_, text)) = content else {
                if last {
                    continue;
                }
                return Err(fi);
            };
            let start = k * CHUNK_STRIDE;
            let lines_total = f.text.as_ref().map_or(0, |t| t.lines as usize);
            let end = (start + CHUNK_LINES).min(lines_total);
            let (s, e) = filesystem::narrow(text, start, end, |t| term_index.contains_key(t));
            let same_file: Vec<&(usize, usize, usize, f64)> =
                chosen.iter().filter(|c| c.0 == fi).collect();
            if same_file.len() >= MAX_ITEMS_PER_FILE || same_file.iter().any(|c| s < c.2 && c.1 < e)
            {
                continue;
            }
            chosen.push((fi, s, e, score));
        }
        Ok(chosen
            .into_iter()
            .enumerate()
            .filter_map(|(i, (fi, s, e, score))| {
                let f = self.files.get(fi)?;
                let (hash, text) = read.get(&fi)?.as_ref()?;
                Some(filesystem::make_item(
                    &f.path,
                    hash,
                    text,
                    s,
                    e,
                    score,
                    u32::try_from(i + 1).unwrap_or(u32::MAX),
                ))
            })
            .collect())
    }

    /// Loads the index of `root` from `dir`, or an empty one when it is missing, unreadable, corrupt, of
    /// another format version or of another root: the index is a cache and gets rebuilt.
    pub fn load(dir: &Path, root: &Path) -> Self {
        let path = dir.join(INDEX_FILE);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                if e.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!(path = %path.display(), error = %e, "cannot read the context index; rebuilding it");
                }
                return Self::new(root);
            }
        };
        match decode(&bytes, root) {
            Some(mut index) => {
                index.dirty = false;
                index
            }
            None => {
                tracing::warn!(path = %path.display(), "the context index is damaged or from another version; rebuilding it");
                Self::new(root)
            }
        }
    }

    /// Writes the index to `dir` if it changed: a temporary file, then an atomic rename.
    pub fn save(&mut self, dir: &Path) -> std::io::Result<()> {
        if !self.dirty {
            return Ok(());
        }
        std::fs::create_dir_all(dir)?;
        remove_abandoned_temporaries(dir);
        let bytes = self.encode();
        let tmp = dir.join(format!(
            "{INDEX_FILE}.{}.{}.tmp",
            std::process::id(),
            rand::random::<u32>()
        ));
        let written = (|| {
            let mut file = std::fs::File::create(&tmp)?;
            file.write_all(&bytes)?;
            file.sync_all()?;
            std::fs::rename(&tmp, dir.join(INDEX_FILE))
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written?;
        self.dirty = false;
        Ok(())
    }

    fn encode(&self) -> Vec<u8> {
        // Only terms still used are written, renumbered in their current order.
        let mut used = vec![false; self.vocab.len()];
        for f in &self.files {
            for p in f.text.iter().flat_map(|t| t.postings.iter()) {
                if let Some(u) = used.get_mut(p.term as usize) {
                    *u = true;
                }
            }
        }
        let mut remap = vec![0u64; self.vocab.len()];
        let mut w = Writer::default();
        w.varint(FORMAT_VERSION);
        w.bytes(self.root.to_string_lossy().as_bytes());
        w.varint(used.iter().filter(|u| **u).count() as u64);
        let mut next = 0u64;
        for ((term, used), slot) in self.vocab.iter().zip(&used).zip(remap.iter_mut()) {
            if *used {
                *slot = next;
                next += 1;
                w.bytes(term.as_bytes());
            }
        }
        w.varint(self.files.len() as u64);
        for f in &self.files {
            w.bytes(f.path.as_bytes());
            w.varint(f.stamp.size);
            w.varint(f.stamp.mtime_secs);
            w.varint(u64::from(f.stamp.mtime_nanos));
            let Some(t) = &f.text else {
                w.0.push(0);
                continue;
            };
            w.0.push(1);
            w.0.extend_from_slice(&t.hash);
            w.varint(u64::from(t.lines));
            w.varint(t.block_lens.len() as u64);
            for len in &t.block_lens {
                w.varint(u64::from(*len));
            }
            w.varint(u64::from(t.postings.len));
            let mut prev = 0u64;
            for p in t.postings.iter() {
                let term = remap.get(p.term as usize).copied().unwrap_or(0);
                w.varint(term.saturating_sub(prev));
                prev = term;
                w.varint(u64::from(p.block));
                w.varint(u64::from(p.count));
            }
        }
        let mut out = Vec::with_capacity(MAGIC.len() + w.0.len() + 32);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&w.0);
        out.extend_from_slice(blake3::hash(&w.0).as_bytes());
        out
    }
}

/// A temporary file older than this was left by a process that stopped mid-save (a save takes well
/// under a second), not one another process is writing now.
const ABANDONED_TMP_SECS: u64 = 3600;

/// Removes temporary index files left behind by processes that stopped in the middle of a save.
fn remove_abandoned_temporaries(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with(INDEX_FILE) && name.ends_with(".tmp")) {
            continue;
        }
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age.as_secs() > ABANDONED_TMP_SECS);
        if old {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

fn block(lens: &[u32], k: usize) -> u32 {
    lens.get(k).copied().unwrap_or(0)
}

#[derive(Default)]
struct Writer(Vec<u8>);

impl Writer {
    fn varint(&mut self, mut v: u64) {
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.0.push(byte);
                return;
            }
            self.0.push(byte | 0x80);
        }
    }

    fn bytes(&mut self, b: &[u8]) {
        self.varint(b.len() as u64);
        self.0.extend_from_slice(b);
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn varint(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *self.buf.get(self.pos)?;
            self.pos += 1;
            v |= u64::from(byte & 0x7f).checked_shl(shift)?;
            if byte & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }

    fn u32(&mut self) -> Option<u32> {
        u32::try_from(self.varint()?).ok()
    }

    /// A count of items that each take at least one byte: never more than the bytes left.
    fn count(&mut self) -> Option<usize> {
        let n = usize::try_from(self.varint()?).ok()?;
        (n <= self.buf.len().saturating_sub(self.pos)).then_some(n)
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let out = self.buf.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(out)
    }

    fn string(&mut self) -> Option<String> {
        let n = self.count()?;
        String::from_utf8(self.take(n)?.to_vec()).ok()
    }
}

/// Decodes and validates an index file; `None` if anything is off.
fn decode(bytes: &[u8], root: &Path) -> Option<Index> {
    let rest = bytes.strip_prefix(MAGIC.as_slice())?;
    let split = rest.len().checked_sub(32)?;
    let (body, sum) = rest.split_at(split);
    if blake3::hash(body).as_bytes().as_slice() != sum {
        return None;
    }
    let mut r = Reader { buf: body, pos: 0 };
    if r.varint()? != FORMAT_VERSION || r.string()? != root.to_string_lossy() {
        return None;
    }
    let mut index = Index::new(root);
    let terms = r.count()?;
    for _ in 0..terms {
        let term = r.string()?;
        let id = u32::try_from(index.vocab.len()).ok()?;
        if index.term_ids.insert(term.clone(), id).is_some() {
            return None;
        }
        index.vocab.push(term);
    }
    let files = r.count()?;
    index.files.reserve(files);
    for _ in 0..files {
        let path = r.string()?;
        if index.files.last().is_some_and(|f| f.path >= path) {
            return None;
        }
        let stamp = Stamp {
            size: r.varint()?,
            mtime_secs: r.varint()?,
            mtime_nanos: r.u32()?,
        };
        let text = match r.take(1)?.first()? {
            0 => None,
            1 => {
                let hash: [u8; 32] = r.take(32)?.try_into().ok()?;
                let lines = r.u32()?;
                let blocks = r.count()?;
                if blocks != (lines as usize).div_ceil(BLOCK_LINES) {
                    return None;
                }
                let block_lens = (0..blocks).map(|_| r.u32()).collect::<Option<Vec<_>>>()?;
                let count = r.count()?;
                // Validated here, then kept packed exactly as written (the same triples).
                let start = r.pos;
                let mut term = 0u32;
                let mut last: Option<Posting> = None;
                for _ in 0..count {
                    term = term.checked_add(r.u32()?)?;
                    let p = Posting {
                        term,
                        block: r.u32()?,
                        count: r.u32()?,
                    };
                    if term as usize >= terms
                        || p.block as usize >= blocks
                        || p.count == 0
                        || last.is_some_and(|q| q >= p)
                    {
                        return None;
                    }
                    last = Some(p);
                }
                let postings = PackedPostings {
                    bytes: body.get(start..r.pos)?.into(),
                    len: u32::try_from(count).ok()?,
                };
                Some(TextEntry {
                    hash,
                    lines,
                    block_lens,
                    postings,
                })
            }
            _ => return None,
        };
        index.files.push(FileEntry { path, stamp, text });
    }
    (r.pos == body.len()).then_some(index)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::chunk::chunks;

    fn write(dir: &Path, path: &str, text: &str) {
        let full = dir.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }

    fn full_scan(root: &Path, query: &str, limit: usize) -> Vec<ContextItem> {
        filesystem::rank_files(&filesystem::read_tree(root).unwrap(), query, limit)
    }

    fn corpus(dir: &Path) {
        write(
            dir,
            "src/http_client.rs",
            &format!(
                "{}pub fn send_request(client: &HttpClient) {{\n    client.retry_policy();\n}}\n",
                "// filler\n".repeat(55)
            ),
        );
        write(dir, "src/db.rs", "fn connect() {}\n// retry later\n");
        write(dir, "README.md", "A client for http.\n");
        let mut long = String::new();
        for i in 0..130 {
            long.push_str(&format!("let retry_{i} = client.send({i});\n"));
        }
        write(dir, "src/long.rs", &long);
        write(dir, "empty.txt", "");
        std::fs::write(dir.join("logo.bin"), [0u8, 1, 2, 0, 5]).unwrap();
    }

    #[test]
    fn chunk_count_matches_chunks() {
        for n in 0..200 {
            assert_eq!(chunk_count(n), chunks(n).len(), "{n} lines");
        }
    }

    #[test]
    fn index_results_equal_a_full_scan() {
        let dir = tempfile::tempdir().unwrap();
        corpus(dir.path());
        let mut index = Index::new(dir.path());
        index.refresh().unwrap();
        for query in [
            "retry http client",
            "send request",
            "connect",
            "filler",
            "nothing matches this",
            "empty",
        ] {
            for limit in [1, 3, 8] {
                assert_eq!(
                    index.search(query, limit),
                    full_scan(dir.path(), query, limit),
                    "{query} / {limit}"
                );
            }
        }
    }

    #[test]
    fn packed_postings_round_trip() {
        let postings = [
            Posting {
                term: 0,
                block: 0,
                count: 1,
            },
            Posting {
                term: 0,
                block: 300,
                count: 2,
            },
            Posting {
                term: 200,
                block: 1,
                count: 70_000,
            },
            Posting {
                term: u32::MAX,
                block: u32::MAX,
                count: u32::MAX,
            },
        ];
        let packed = PackedPostings::pack(&postings);
        assert_eq!(packed.len, 4);
        assert_eq!(packed.iter().collect::<Vec<_>>(), postings);
    }

    #[test]
    fn files_ending_at_every_block_boundary_rank_like_a_full_scan() {
        // A file's last block may start past its last chunk (its hits then count in one chunk only).
        let dir = tempfile::tempdir().unwrap();
        for lines in [1, 19, 20, 21, 39, 40, 41, 59, 60, 61, 80, 81] {
            let mut text = String::new();
            for i in 0..lines {
                let word = if i % 7 == 0 { "marker" } else { "filler" };
                text.push_str(&format!("{word} line_{} value\n", i % 3));
            }
            write(dir.path(), &format!("f{lines:03}.txt"), &text);
        }
        let mut index = Index::new(dir.path());
        index.refresh().unwrap();
        for query in ["marker", "marker value", "line_1 filler", "value"] {
            for limit in [1, 5, 30] {
                assert_eq!(
                    index.search(query, limit),
                    full_scan(dir.path(), query, limit),
                    "{query} / {limit}"
                );
            }
        }
    }

    #[test]
    fn incremental_update_reads_only_changed_files_and_drops_deleted_ones() {
        let dir = tempfile::tempdir().unwrap();
        corpus(dir.path());
        let mut index = Index::new(dir.path());
        let first = index.refresh().unwrap();
        assert_eq!(first.files, 6);
        assert_eq!(first.read, 6);
        let again = index.refresh().unwrap();
        assert_eq!((again.read, again.reindexed, again.removed), (0, 0, 0));

        write(
            dir.path(),
            "src/db.rs",
            "fn connect() {}\n// quarantine the row\n",
        );
        std::fs::remove_file(dir.path().join("README.md")).unwrap();
        let changed = index.refresh().unwrap();
        assert_eq!(
            (
                changed.files,
                changed.read,
                changed.reindexed,
                changed.removed
            ),
            (5, 1, 1, 1)
        );
        let items = index.search("quarantine", 5);
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].path, "src/db.rs");
        assert_eq!(
            items[0].content_hash,
            blake3::hash(b"fn connect() {}\n// quarantine the row\n")
                .to_hex()
                .to_string()
        );
        assert!(
            index
                .search("client http", 8)
                .iter()
                .all(|i| i.path != "README.md")
        );
        assert_eq!(
            index.search("retry client", 8),
            full_scan(dir.path(), "retry client", 8)
        );
    }

    #[test]
    fn a_touched_file_is_rehashed_but_keeps_its_postings() {
        let dir = tempfile::tempdir().unwrap();
        corpus(dir.path());
        let mut index = Index::new(dir.path());
        index.refresh().unwrap();
        index.search("retry", 3);
        assert!(index.derived.is_some());
        let file = std::fs::File::options()
            .write(true)
            .open(dir.path().join("src/db.rs"))
            .unwrap();
        file.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(5))
            .unwrap();
        let touched = index.refresh().unwrap();
        assert_eq!((touched.read, touched.reindexed), (1, 0));
        assert!(index.derived.is_some(), "query tables kept");
        assert!(index.is_dirty(), "new stamp to save");
    }

    #[test]
    fn processes_sharing_an_index_never_see_a_torn_file() {
        let dir = tempfile::tempdir().unwrap();
        let data = tempfile::tempdir().unwrap();
        corpus(dir.path());
        let store = index_dir(data.path(), dir.path());
        let expected = full_scan(dir.path(), "retry client", 5);
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    for _ in 0..15 {
                        let mut index = Index::load(&store, dir.path());
                        index.refresh().unwrap();
                        assert_eq!(index.search("retry client", 5), expected);
                        index.dirty = true;
                        index.save(&store).unwrap();
                    }
                });
            }
        });
        let loaded = Index::load(&store, dir.path());
        assert_eq!(loaded.file_count(), 6, "the last complete write");
        let leftovers = std::fs::read_dir(&store).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary files left behind");
    }

    #[test]
    fn a_file_changed_behind_the_stamp_is_reread_at_retrieval() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.rs", "fn alpha() {}\n");
        let mut index = Index::new(dir.path());
        index.refresh().unwrap();
        // Same size, and the stamp is forced back: only the hash check at retrieval can notice.
        let stamp = index.files[0].stamp;
        write(dir.path(), "a.rs", "fn gamma() {}\n");
        index.files[0].stamp = stamp;
        let items = index.search("alpha gamma", 5);
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].excerpt, "fn gamma() {}");
        assert_eq!(
            items[0].content_hash,
            blake3::hash(b"fn gamma() {}\n").to_hex().to_string()
        );
    }

    #[test]
    fn a_watched_index_skips_the_walk_until_something_changes() {
        let dir = tempfile::tempdir().unwrap();
        corpus(dir.path());
        let mut index = Index::new(dir.path());
        index.set_watch(true);
        assert_eq!(index.refresh().unwrap().read, 6);
        // Searching reads files (open events): that is not a change.
        index.search("retry http client", 8);
        let quiet = index.refresh().unwrap();
        assert_eq!((quiet.files, quiet.read), (6, 0));
        write(dir.path(), "src/new/deep.rs", "fn quarantine_row() {}\n");
        // Events arrive on the watcher's thread: poll for a bounded time.
        let mut seen = false;
        for _ in 0..100 {
            if index.refresh().unwrap().read > 0 {
                seen = true;
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert!(seen, "the new file was noticed");
        assert_eq!(index.search("quarantine row", 3)[0].path, "src/new/deep.rs");
        // The new directory is watched too.
        index.refresh().unwrap();
        write(dir.path(), "src/new/deep.rs", "fn quarantine_rows() {}\n");
        let mut seen = false;
        for _ in 0..100 {
            if index.refresh().unwrap().reindexed > 0 {
                seen = true;
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert!(seen, "the edit in the new directory was noticed");
    }

    #[test]
    fn a_save_removes_temporaries_abandoned_by_stopped_processes_only() {
        let dir = tempfile::tempdir().unwrap();
        let data = tempfile::tempdir().unwrap();
        corpus(dir.path());
        let store = index_dir(data.path(), dir.path());
        std::fs::create_dir_all(&store).unwrap();
        let abandoned = store.join(format!("{INDEX_FILE}.1.2.tmp"));
        let in_progress = store.join(format!("{INDEX_FILE}.3.4.tmp"));
        std::fs::write(&abandoned, b"half").unwrap();
        std::fs::write(&in_progress, b"half").unwrap();
        let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
        std::fs::File::options()
            .write(true)
            .open(&abandoned)
            .unwrap()
            .set_modified(two_hours_ago)
            .unwrap();
        let mut index = Index::new(dir.path());
        index.refresh().unwrap();
        index.save(&store).unwrap();
        assert!(!abandoned.exists());
        assert!(
            in_progress.exists(),
            "another process may still be writing it"
        );
        assert_eq!(Index::load(&store, dir.path()).file_count(), 6);
    }

    #[test]
    fn saves_loads_and_rebuilds_a_corrupt_file() {
        let dir = tempfile::tempdir().unwrap();
        let data = tempfile::tempdir().unwrap();
        corpus(dir.path());
        let store = index_dir(data.path(), dir.path());
        let mut index = Index::new(dir.path());
        index.refresh().unwrap();
        index.save(&store).unwrap();
        assert!(!index.is_dirty());
        let expected = index.search("retry http client", 8);

        let mut loaded = Index::load(&store, dir.path());
        assert!(!loaded.is_dirty());
        assert_eq!(loaded.files, index.files);
        let stats = loaded.refresh().unwrap();
        assert_eq!(stats.read, 0, "a loaded index re-reads nothing unchanged");
        assert_eq!(loaded.search("retry http client", 8), expected);

        // Flip a byte in the middle: the checksum fails and the index starts over.
        let file = store.join(INDEX_FILE);
        let mut bytes = std::fs::read(&file).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0xff;
        std::fs::write(&file, &bytes).unwrap();
        let mut rebuilt = Index::load(&store, dir.path());
        assert_eq!(rebuilt.file_count(), 0);
        assert_eq!(rebuilt.refresh().unwrap().read, 6);
        assert_eq!(rebuilt.search("retry http client", 8), expected);

        // Garbage and truncation are rebuilt too, never an error or a panic.
        for garbage in [
            &b""[..],
            b"KATAIDX1",
            b"not an index at all",
            &bytes[..bytes.len() / 3],
        ] {
            std::fs::write(&file, garbage).unwrap();
            assert_eq!(Index::load(&store, dir.path()).file_count(), 0);
        }
        // An index of another root is not used.
        let mut other = Index::new(dir.path());
        other.refresh().unwrap();
        other.save(&store).unwrap();
        assert_eq!(Index::load(&store, data.path()).file_count(), 0);
    }
}
