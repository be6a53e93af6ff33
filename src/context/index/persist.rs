//! The index file: format, atomic save, validated load.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::postings::{BLOCK_LINES, PackedPostings, Posting, TextEntry};
use super::varint::{Reader, Writer};
use super::walk::Stamp;
use super::{FileEntry, Index};

/// Version of the on-disk layout; another version is treated like a corrupt file (rebuilt).
pub const FORMAT_VERSION: u64 = 1;
const MAGIC: &[u8; 8] = b"KATAIDX1";
/// The index file inside a root's index directory.
pub const INDEX_FILE: &str = "index.bin";

/// The directory holding the index of `root` under `base` (`<data_dir>/index`).
pub fn index_dir(base: &Path, root: &Path) -> PathBuf {
    let key = blake3::hash(root.to_string_lossy().as_bytes()).to_hex();
    base.join(key.get(..16).unwrap_or(key.as_str()))
}

impl Index {
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
