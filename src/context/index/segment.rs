//! The index file as a query reads it: the file table, the directory stamps and the vocabulary (an `fst`
//! map from term to its postings' place) are read and checked at load; a term's postings are read from the
//! file when a query asks for that term. Nothing else is decoded, so loading costs the file table, and
//! memory holds only what queries touched (no memory map: the crate forbids `unsafe`; positioned reads of
//! a few kilobytes per term cost about the same).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::sync::{Arc, Mutex};

use super::postings::Entry;

/// The postings part of an open index file.
pub(super) struct Segment {
    /// Shared with the indexes seeded from this one (reads seek, hence the lock).
    file: Arc<Mutex<File>>,
    pub vocab: fst::Map<Vec<u8>>,
    /// Byte offset of the first entry, and the number of entries.
    postings_at: u64,
    entries: u64,
    /// Files in the segment's table: every entry's file is below this.
    files: u32,
}

/// A term's place in the postings: `offset << 32 | len`, in entries.
pub(super) fn pack_place(offset: u64, len: u64) -> u64 {
    (offset << 32) | (len & 0xffff_ffff)
}

impl Segment {
    pub fn new(
        file: File,
        vocab: fst::Map<Vec<u8>>,
        postings_at: u64,
        entries: u64,
        files: u32,
    ) -> Self {
        Self {
            file: Arc::new(Mutex::new(file)),
            vocab,
            postings_at,
            entries,
            files,
        }
    }

    /// The entries of `term`, or none when it is absent or its place is out of bounds (a damaged file
    /// costs ranking quality, never a wrong item: items are re-read and hash-checked).
    pub fn list(&self, term: &str) -> Vec<Entry> {
        match self.vocab.get(term) {
            Some(place) => self.read_place(place),
            None => Vec::new(),
        }
    }

    pub fn read_place(&self, place: u64) -> Vec<Entry> {
        let (offset, len) = (place >> 32, place & 0xffff_ffff);
        if offset.saturating_add(len) > self.entries || len == 0 {
            return Vec::new();
        }
        let mut bytes = vec![0u8; (len as usize) * Entry::BYTES];
        let at = self.postings_at + offset * Entry::BYTES as u64;
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        let read = file
            .seek(SeekFrom::Start(at))
            .and_then(|_| file.read_exact(&mut bytes));
        if read.is_err() {
            return Vec::new();
        }
        let mut entries = Entry::decode_all(&bytes);
        entries.retain(|e| e.file < self.files);
        entries
    }

    /// Every entry, in file order (for rewriting the file).
    pub fn read_all(&self) -> std::io::Result<Vec<u8>> {
        let mut bytes = vec![0u8; (self.entries as usize) * Entry::BYTES];
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        file.seek(SeekFrom::Start(self.postings_at))?;
        file.read_exact(&mut bytes)?;
        Ok(bytes)
    }

    /// The same postings for another index (seeding): the same open file, so a save of this index that
    /// replaces the file on disk does not change what the other reads.
    pub fn share(&self) -> Self {
        Self {
            file: self.file.clone(),
            vocab: self.vocab.clone(),
            postings_at: self.postings_at,
            entries: self.entries,
            files: self.files,
        }
    }

    /// Bytes of the vocabulary held in memory.
    pub fn vocab_bytes(&self) -> usize {
        self.vocab.as_fst().as_bytes().len()
    }
}
