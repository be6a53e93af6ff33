//! The query tables: every term's hits as one flat, term-grouped list, and the chunk tables, derived in
//! memory from the per-file postings after the file set changes.

use std::collections::HashMap;

use super::Index;
use super::postings::intern;
use crate::context::chunk::chunk_count;
use crate::context::filesystem::MAX_FILE_BYTES;
use crate::context::tokenize::for_each_term;

/// One entry of a term's query list: the global number `chunk` of the chunk starting at the block (the
/// file's first chunk plus the block number), and in `tf` the term's count in the block with two flags
/// saying which of the two chunks containing the block exist: chunk `chunk - 1` (the block is not the
/// file's first) and chunk `chunk` (the block is not the file's last one past its final chunk). Half the
/// size of a (file, block, count) triple, and no chunk table lookup per posting at query time.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Hit {
    pub(super) chunk: u32,
    pub(super) tf: u32,
}

pub(super) const HIT_PREV: u32 = 1 << 31;
pub(super) const HIT_CUR: u32 = 1 << 30;
/// Counts are bounded by the terms in a block of a file of at most `MAX_FILE_BYTES`, far below this.
pub(super) const HIT_COUNT: u32 = HIT_CUR - 1;
const _: () = assert!(MAX_FILE_BYTES < HIT_COUNT as u64);

/// Query-time structures, rebuilt in memory after the file set changes.
pub(super) struct Derived {
    /// A [`Hit`] for every block containing each term, grouped by term id and in (file, block) order
    /// within a term: term `t`'s list is `postings[offsets[t]..offsets[t + 1]]`, contiguous, so a query
    /// reads memory sequentially. One flat allocation sized exactly (no per-term vectors).
    pub(super) postings: Vec<Hit>,
    pub(super) offsets: Vec<usize>,
    /// Global index of each file's first chunk (chunks of all files numbered consecutively), and the
    /// total number of chunks at the end.
    pub(super) chunk_base: Vec<usize>,
    /// Per global chunk: its length in terms and its file.
    pub(super) chunk_len: Vec<u32>,
    pub(super) chunk_file: Vec<u32>,
    /// Term id → indices of the files whose path contains it, ascending.
    pub(super) path_terms: HashMap<u32, Vec<u32>>,
    pub(super) total_len: u64,
}

impl Derived {
    /// The hits of term `id` (empty for a term no file contains).
    pub(super) fn term_postings(&self, id: u32) -> &[Hit] {
        let id = id as usize;
        match (self.offsets.get(id), self.offsets.get(id + 1)) {
            (Some(&start), Some(&end)) => self.postings.get(start..end).unwrap_or_default(),
            _ => &[],
        }
    }
}

impl Index {
    pub(super) fn derive(&mut self) {
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
}

fn block(lens: &[u32], k: usize) -> u32 {
    lens.get(k).copied().unwrap_or(0)
}
