//! How much memory an index holds, per structure.

use std::path::PathBuf;

use super::FileEntry;
use super::Index;
use super::query_tables::Hit;

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

impl Index {
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
}
