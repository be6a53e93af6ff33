//! How much memory an index holds, per structure.

use std::path::PathBuf;

use super::postings::Entry;
use super::{FileEntry, Index};

/// Estimated heap bytes held by an [`Index`], per structure (from lengths and capacities; allocator
/// overhead not counted). For the benchmark and for sizing [`super::super::MAX_OPEN_ROOTS`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IndexMemory {
    /// The vocabulary of the loaded index file (an `fst` map).
    pub vocab: usize,
    /// The file table (path, stamp, hash per file), the path map and the directory stamps.
    pub files: usize,
    /// Postings of files indexed since the index file was written, held in memory until the next save
    /// (all postings for an index that is never saved).
    pub overlay: usize,
    /// The directory watch set.
    pub watch: usize,
}

impl IndexMemory {
    pub fn total(&self) -> usize {
        self.vocab + self.files + self.overlay + self.watch
    }
}

/// Heap bytes of a `HashMap` with `cap` slots of `entry` bytes (hashbrown: one control byte per slot).
fn map_bytes(cap: usize, entry: usize) -> usize {
    cap * (entry + 1)
}

impl Index {
    /// Estimated heap memory of this index, by structure.
    pub fn memory(&self) -> IndexMemory {
        use std::mem::size_of;
        let vocab = self.base.as_ref().map_or(0, |b| b.vocab_bytes());
        let files = self.files.capacity() * size_of::<FileEntry>()
            + self.files.iter().map(|f| f.path.capacity()).sum::<usize>()
            + map_bytes(self.by_path.capacity(), size_of::<(String, u32)>())
            + self.by_path.keys().map(String::capacity).sum::<usize>()
            + self.dirs.capacity() * size_of::<(String, super::Stamp)>()
            + self.dirs.iter().map(|(p, _)| p.capacity()).sum::<usize>();
        let overlay = map_bytes(self.overlay.capacity(), size_of::<(String, Vec<Entry>)>())
            + self
                .overlay
                .iter()
                .map(|(k, v)| k.capacity() + v.capacity() * size_of::<Entry>())
                .sum::<usize>();
        let watch = self.watch.as_ref().map_or(0, |w| {
            map_bytes(w.dirs.capacity(), size_of::<PathBuf>())
                + w.dirs.iter().map(|d| d.capacity()).sum::<usize>()
        });
        IndexMemory {
            vocab,
            files,
            overlay,
            watch,
        }
    }
}
