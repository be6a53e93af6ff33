//! Postings: for each term, the files that contain it with their per-field counts, fixed-width 8-byte
//! entries so that a term's list is read from the index file as one slice, without decoding anything
//! else.

use std::collections::HashMap;

use super::fields::FieldCounts;

/// One file containing a term: counts saturate (a term occurring 65,535 times counts no more).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Entry {
    pub file: u32,
    pub content: u16,
    pub symbol: u8,
    pub path: u8,
}

impl Entry {
    pub const BYTES: usize = 8;

    pub fn new(file: u32, counts: FieldCounts) -> Self {
        Self {
            file,
            content: u16::try_from(counts.content).unwrap_or(u16::MAX),
            symbol: u8::try_from(counts.symbol).unwrap_or(u8::MAX),
            path: u8::try_from(counts.path).unwrap_or(u8::MAX),
        }
    }

    pub fn encode(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.file.to_le_bytes());
        out.extend_from_slice(&self.content.to_le_bytes());
        out.push(self.symbol);
        out.push(self.path);
    }

    /// Decodes every entry of `bytes` (a whole number of entries).
    pub fn decode_all(bytes: &[u8]) -> Vec<Self> {
        bytes
            .chunks_exact(Self::BYTES)
            .map(|b| Self {
                file: u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
                content: u16::from_le_bytes([b[4], b[5]]),
                symbol: b[6],
                path: b[7],
            })
            .collect()
    }
}

/// Postings of the files indexed since the index file was written (all of them for an index kept in
/// memory only), by term.
pub(super) type Overlay = HashMap<String, Vec<Entry>>;
