//! The index file: format, atomic save (a merge of the loaded file and what changed since), validated
//! load of the parts a query needs.
//!
//! Layout (`FORMAT_VERSION` 2): `KATAIDX2`; the meta length (u64 LE); the meta — varints and
//! length-prefixed strings: format version, root path, per file (path order) its path, size, mtime and for
//! text files its blake3, line count and content length; per walked directory its path and stamp; the
//! vocabulary as an `fst` map from term to `offset << 32 | len` — then the blake3 of the meta, then the
//! postings: 8-byte entries (file u32, content count u16, symbol count u8, path count u8), grouped by term
//! in vocabulary order and by file within a term.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use super::postings::Entry;
use super::segment::{Segment, pack_place};
use super::varint::{Reader, Writer};
use super::walk::Stamp;
use super::{FileEntry, Index, TextMeta};

/// Version of the on-disk layout; another version is treated like a corrupt file (rebuilt).
pub const FORMAT_VERSION: u64 = 2;
const MAGIC: &[u8; 8] = b"KATAIDX2";
/// The index file inside a root's index directory.
pub const INDEX_FILE: &str = "index.bin";

/// The directory holding the index of `root` under `base` (`<data_dir>/index`).
pub fn index_dir(base: &Path, root: &Path) -> PathBuf {
    let key = blake3::hash(root.to_string_lossy().as_bytes()).to_hex();
    base.join(key.get(..16).unwrap_or(key.as_str()))
}

/// A temporary file older than this was left by a process that stopped mid-save (a save takes well
/// under a second), not one another process is writing now.
const ABANDONED_TMP_SECS: u64 = 3600;

/// What a save writes and then adopts: the live files in path order and their postings.
struct Merged {
    files: Vec<FileEntry>,
    /// Terms in byte order with their entries (file ids of `files`).
    vocab: fst::Map<Vec<u8>>,
    postings: Vec<u8>,
}

impl Index {
    /// Loads the index of `root` from `dir`, or an empty one when it is missing, unreadable, corrupt, of
    /// another format version or of another root: the index is a cache and gets rebuilt.
    pub fn load(dir: &Path, root: &Path) -> Self {
        let path = dir.join(INDEX_FILE);
        match open_file(&path, root) {
            Ok(Some(index)) => index,
            Ok(None) => {
                tracing::warn!(path = %path.display(), "the context index is damaged or from another version; rebuilding it");
                Self::new(root)
            }
            Err(e) => {
                if e.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!(path = %path.display(), error = %e, "cannot read the context index; rebuilding it");
                }
                Self::new(root)
            }
        }
    }

    /// Writes the index to `dir` if it changed (a temporary file, then an atomic rename), then reads its
    /// postings from the new file: what was held in memory since the last save is let go.
    pub fn save(&mut self, dir: &Path) -> std::io::Result<()> {
        if !self.dirty {
            return Ok(());
        }
        std::fs::create_dir_all(dir)?;
        remove_abandoned_temporaries(dir);
        let merged = self.merge()?;
        let bytes = encode(&self.root, &merged, &self.dirs);
        let tmp = dir.join(format!(
            "{INDEX_FILE}.{}.{}.tmp",
            std::process::id(),
            rand::random::<u32>()
        ));
        let target = dir.join(INDEX_FILE);
        let written = (|| {
            let mut file = std::fs::File::create(&tmp)?;
            file.write_all(&bytes)?;
            file.sync_all()?;
            std::fs::rename(&tmp, &target)
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written?;
        let file = std::fs::File::open(&target)?;
        let postings_at = (bytes.len() - merged.postings.len()) as u64;
        let entries = (merged.postings.len() / Entry::BYTES) as u64;
        let files = u32::try_from(merged.files.len()).unwrap_or(u32::MAX);
        let segment = Segment::new(file, merged.vocab, postings_at, entries, files);
        self.adopt(merged.files, Some(segment));
        self.dirty = false;
        Ok(())
    }

    /// Rewrites everything this index holds (the file's postings and the overlay) as one set: the live
    /// files in path order, each term's entries renumbered.
    fn merge(&self) -> std::io::Result<Merged> {
        let mut live: Vec<u32> = (0..self.files.len())
            .filter(|&i| self.files.get(i).is_some_and(|f| f.live))
            .filter_map(|i| u32::try_from(i).ok())
            .collect();
        live.sort_by(|a, b| self.path_of(*a).cmp(self.path_of(*b)));
        let mut remap = vec![u32::MAX; self.files.len()];
        for (new, &old) in live.iter().enumerate() {
            if let Some(slot) = remap.get_mut(old as usize) {
                *slot = u32::try_from(new).unwrap_or(u32::MAX);
            }
        }
        let files: Vec<FileEntry> = live
            .iter()
            .filter_map(|&i| self.files.get(i as usize).cloned())
            .collect();
        let base_bytes = match &self.base {
            Some(b) => b.read_all()?,
            None => Vec::new(),
        };
        let mut overlay_terms: Vec<&String> = self.overlay.keys().collect();
        overlay_terms.sort_unstable();
        let mut base_terms: Vec<(Vec<u8>, u64)> = Vec::new();
        if let Some(b) = &self.base {
            use fst::Streamer;
            let mut stream = b.vocab.stream();
            while let Some((term, place)) = stream.next() {
                base_terms.push((term.to_vec(), place));
            }
        }
        let mut builder = fst::MapBuilder::memory();
        let mut postings = Vec::new();
        let mut written = 0u64;
        let (mut bi, mut oi) = (0, 0);
        let mut list: Vec<Entry> = Vec::new();
        loop {
            let b = base_terms.get(bi);
            let o = overlay_terms.get(oi);
            let term: Vec<u8> = match (b, o) {
                (None, None) => break,
                (Some((bt, _)), Some(ot)) => bt.as_slice().min(ot.as_bytes()).to_vec(),
                (Some((bt, _)), None) => bt.clone(),
                (None, Some(ot)) => ot.as_bytes().to_vec(),
            };
            list.clear();
            if let Some((bt, place)) = b
                && *bt == term
            {
                let (offset, len) = ((place >> 32) as usize, (place & 0xffff_ffff) as usize);
                let range = offset * Entry::BYTES..(offset + len) * Entry::BYTES;
                list.extend(Entry::decode_all(base_bytes.get(range).unwrap_or_default()));
                bi += 1;
            }
            if let Some(ot) = o
                && ot.as_bytes() == term.as_slice()
            {
                list.extend(self.overlay.get(*ot).into_iter().flatten().copied());
                oi += 1;
            }
            list.retain_mut(|e| match remap.get(e.file as usize) {
                Some(&new) if new != u32::MAX => {
                    e.file = new;
                    true
                }
                _ => false,
            });
            if list.is_empty() {
                continue;
            }
            list.sort_unstable_by_key(|e| e.file);
            for e in &list {
                e.encode(&mut postings);
            }
            let len = list.len() as u64;
            builder
                .insert(&term, pack_place(written, len))
                .map_err(std::io::Error::other)?;
            written += len;
        }
        let bytes = builder.into_inner().map_err(std::io::Error::other)?;
        let vocab = fst::Map::new(bytes).map_err(std::io::Error::other)?;
        Ok(Merged {
            files,
            vocab,
            postings,
        })
    }
}

fn encode(root: &Path, merged: &Merged, dirs: &[(String, Stamp)]) -> Vec<u8> {
    let mut w = Writer::default();
    w.varint(FORMAT_VERSION);
    w.bytes(root.to_string_lossy().as_bytes());
    w.varint(merged.files.len() as u64);
    for f in &merged.files {
        w.bytes(f.path.as_bytes());
        stamp(&mut w, f.stamp);
        match &f.text {
            None => w.0.push(0),
            Some(t) => {
                w.0.push(1);
                w.0.extend_from_slice(&t.hash);
                w.varint(u64::from(t.lines));
                w.varint(u64::from(t.len));
            }
        }
    }
    w.varint(dirs.len() as u64);
    for (path, s) in dirs {
        w.bytes(path.as_bytes());
        stamp(&mut w, *s);
    }
    w.bytes(merged.vocab.as_fst().as_bytes());
    let meta = w.0;
    let mut out = Vec::with_capacity(16 + meta.len() + 32 + merged.postings.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(meta.len() as u64).to_le_bytes());
    out.extend_from_slice(&meta);
    out.extend_from_slice(blake3::hash(&meta).as_bytes());
    out.extend_from_slice(&merged.postings);
    out
}

fn stamp(w: &mut Writer, s: Stamp) {
    w.varint(s.size);
    w.varint(s.mtime_secs);
    w.varint(u64::from(s.mtime_nanos));
}

fn read_stamp(r: &mut Reader<'_>) -> Option<Stamp> {
    Some(Stamp {
        size: r.varint()?,
        mtime_secs: r.varint()?,
        mtime_nanos: r.u32()?,
    })
}

/// Opens the index file at `path` for `root`: `Ok(None)` when it is damaged, of another version or root.
fn open_file(path: &Path, root: &Path) -> std::io::Result<Option<Index>> {
    let mut file = std::fs::File::open(path)?;
    let total = file.metadata()?.len();
    let mut head = [0u8; 16];
    if file.read_exact(&mut head).is_err() || head.get(..8) != Some(MAGIC.as_slice()) {
        return Ok(None);
    }
    let mut len = [0u8; 8];
    len.copy_from_slice(head.get(8..16).unwrap_or(&[0; 8]));
    let meta_len = u64::from_le_bytes(len);
    let postings_at = match meta_len.checked_add(16 + 32) {
        Some(at) if at <= total => at,
        _ => return Ok(None),
    };
    let mut meta = vec![0u8; usize::try_from(meta_len).unwrap_or(usize::MAX)];
    let mut sum = [0u8; 32];
    file.read_exact(&mut meta)?;
    file.read_exact(&mut sum)?;
    if blake3::hash(&meta).as_bytes() != &sum {
        return Ok(None);
    }
    let postings_len = total - postings_at;
    if postings_len % Entry::BYTES as u64 != 0 {
        return Ok(None);
    }
    Ok(decode_meta(&meta, root).map(|(files, dirs, vocab)| {
        let count = u32::try_from(files.len()).unwrap_or(u32::MAX);
        let entries = postings_len / Entry::BYTES as u64;
        let mut index = Index::new(root);
        index.dirs = dirs;
        index.adopt(
            files,
            Some(Segment::new(file, vocab, postings_at, entries, count)),
        );
        index.dirty = false;
        index
    }))
}

type Meta = (Vec<FileEntry>, Vec<(String, Stamp)>, fst::Map<Vec<u8>>);

fn decode_meta(meta: &[u8], root: &Path) -> Option<Meta> {
    let mut r = Reader { buf: meta, pos: 0 };
    if r.varint()? != FORMAT_VERSION || r.string()? != root.to_string_lossy() {
        return None;
    }
    let count = r.count()?;
    let mut files: Vec<FileEntry> = Vec::with_capacity(count);
    for _ in 0..count {
        let path = r.string()?;
        if files.last().is_some_and(|f| f.path >= path) {
            return None;
        }
        let stamp = read_stamp(&mut r)?;
        let text = match r.take(1)?.first()? {
            0 => None,
            1 => Some(TextMeta {
                hash: r.take(32)?.try_into().ok()?,
                lines: r.u32()?,
                len: r.u32()?,
            }),
            _ => return None,
        };
        files.push(FileEntry {
            role: crate::context::role::role(&path),
            path,
            stamp,
            text,
            live: true,
        });
    }
    let dir_count = r.count()?;
    let mut dirs = Vec::with_capacity(dir_count);
    for _ in 0..dir_count {
        let path = r.string()?;
        dirs.push((path, read_stamp(&mut r)?));
    }
    let n = r.count()?;
    let vocab = fst::Map::new(r.take(n)?.to_vec()).ok()?;
    (r.pos == meta.len()).then_some((files, dirs, vocab))
}

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
