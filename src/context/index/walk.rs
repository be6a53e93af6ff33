//! Stamps, reading a file the way the provider does (bounded by the bytes actually read), walking the
//! tree, and checking known stamps without a walk.

use std::fs::Metadata;
use std::io::Read;
use std::path::Path;
use std::time::UNIX_EPOCH;

use super::watch::TreeWatch;
use crate::context::filesystem::{MAX_FILE_BYTES, relative_path, walker};

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

/// Reads at most `MAX_FILE_BYTES + 1` bytes of the regular file at `path`: `None` when it is larger, not a
/// regular file, binary (a NUL byte early on) or not UTF-8. The bound is on the bytes read, not on the size
/// the file reports (pseudo-files report 0 and can stream without end).
pub(crate) fn read_file(path: &Path) -> std::io::Result<Option<([u8; 32], String)>> {
    let file = std::fs::File::open(path)?;
    if !file.metadata()?.is_file() {
        return Ok(None);
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_BYTES || bytes.iter().take(8000).any(|b| *b == 0) {
        return Ok(None);
    }
    let hash = *blake3::hash(&bytes).as_bytes();
    Ok(String::from_utf8(bytes).ok().map(|text| (hash, text)))
}

/// What a walk found: regular files and directories (relative paths, `""` for the root) with stamps.
#[derive(Default)]
pub(super) struct Walked {
    pub files: Vec<(String, Stamp)>,
    pub dirs: Vec<(String, Stamp)>,
}

/// Walks `root`, adding a watch on every directory before its entries are read (so nothing created in it
/// afterwards goes unseen) when `watch` is given, else on all cores. Both lists come back sorted.
pub(super) fn walk(root: &Path, watch: Option<&mut TreeWatch>) -> Walked {
    let mut out = match watch {
        Some(watch) => walk_watching(root, watch),
        None => walk_parallel(root),
    };
    out.files.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    out.dirs.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    out
}

fn walk_watching(root: &Path, watch: &mut TreeWatch) -> Walked {
    let mut out = Walked::default();
    for entry in walker(root).build() {
        let Ok(entry) = entry else { continue };
        let Some(ty) = entry.file_type() else {
            continue;
        };
        if ty.is_dir() {
            watch.add(entry.path());
        }
        record(root, &entry, ty, &mut out);
    }
    out
}

fn record(root: &Path, entry: &ignore::DirEntry, ty: std::fs::FileType, out: &mut Walked) {
    if !(ty.is_dir() || ty.is_file()) {
        return;
    }
    let Ok(meta) = entry.metadata() else { return };
    let path = if entry.path() == root {
        Some(String::new())
    } else {
        relative_path(root, entry.path())
    };
    let Some(path) = path else { return };
    let stamp = Stamp::of(&meta);
    if ty.is_dir() {
        out.dirs.push((path, stamp));
    } else {
        out.files.push((path, stamp));
    }
}

fn walk_parallel(root: &Path) -> Walked {
    let (tx, rx) = std::sync::mpsc::channel();
    walker(root).build_parallel().run(|| {
        let tx = tx.clone();
        Box::new(move |entry| {
            if let Ok(entry) = entry
                && let Some(ty) = entry.file_type()
            {
                let mut one = Walked::default();
                record(root, &entry, ty, &mut one);
                let _ = tx.send(one);
            }
            ignore::WalkState::Continue
        })
    });
    drop(tx);
    let mut out = Walked::default();
    for one in rx {
        out.files.extend(one.files);
        out.dirs.extend(one.dirs);
    }
    out
}

/// Stats `paths` under `root` on a few threads: the current stamp of each (`None`: gone or not a regular
/// file / directory as `dirs` says).
pub(super) fn stat_all(root: &Path, paths: &[&str], dirs: bool) -> Vec<Option<Stamp>> {
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 4);
    let per = paths.len().div_ceil(threads).max(256);
    let stat = |p: &&str| {
        let meta = std::fs::symlink_metadata(root.join(p)).ok()?;
        let kind_ok = if dirs { meta.is_dir() } else { meta.is_file() };
        kind_ok.then(|| Stamp::of(&meta))
    };
    if paths.len() <= per {
        return paths.iter().map(stat).collect();
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = paths
            .chunks(per)
            .map(|part| scope.spawn(move || part.iter().map(stat).collect::<Vec<_>>()))
            .collect();
        let mut out = Vec::with_capacity(paths.len());
        for h in handles {
            match h.join() {
                Ok(part) => out.extend(part),
                // Unknown stamps read as changes: the caller walks.
                Err(_) => return vec![None; paths.len()],
            }
        }
        out
    })
}
