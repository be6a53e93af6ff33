//! Per-file postings: each file's `(term, block, count)` triples, packed, and how a text is tokenized
//! into them.

use std::collections::HashMap;

use super::Index;
use super::varint::{Reader, Writer};
use crate::context::chunk::{CHUNK_LINES, CHUNK_STRIDE};
use crate::context::tokenize::for_each_term;

/// Term counts are kept per block of `CHUNK_STRIDE` lines; a chunk is exactly two consecutive blocks.
pub(super) const BLOCK_LINES: usize = CHUNK_STRIDE;
const _: () = assert!(CHUNK_LINES == 2 * CHUNK_STRIDE);

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Posting {
    pub(super) term: u32,
    pub(super) block: u32,
    pub(super) count: u32,
}

/// The postings of one file, sorted by (term, block), stored as LEB128 varint triples (term minus the
/// previous posting's term, block, count): about 3 bytes a posting instead of 12. They are kept only to
/// rebuild the query tables after a change and to save; queries read [`Derived::postings`].
#[derive(Clone, Debug, PartialEq, Default)]
pub(super) struct PackedPostings {
    pub(super) bytes: Box<[u8]>,
    pub(super) len: u32,
}

impl PackedPostings {
    /// Packs postings already sorted by (term, block).
    pub(super) fn pack(postings: &[Posting]) -> Self {
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

    pub(super) fn iter(&self) -> impl Iterator<Item = Posting> + '_ {
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
pub(super) struct TextEntry {
    pub(super) hash: [u8; 32],
    pub(super) lines: u32,
    /// Number of terms in each block of `BLOCK_LINES` lines.
    pub(super) block_lens: Vec<u32>,
    pub(super) postings: PackedPostings,
}

pub(super) fn intern(vocab: &mut Vec<String>, ids: &mut HashMap<String, u32>, term: &str) -> u32 {
    if let Some(&id) = ids.get(term) {
        return id;
    }
    let id = u32::try_from(vocab.len()).unwrap_or(u32::MAX);
    vocab.push(term.to_owned());
    ids.insert(term.to_owned(), id);
    id
}

impl Index {
    pub(super) fn index_text(&mut self, hash: [u8; 32], text: &str) -> TextEntry {
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
}
