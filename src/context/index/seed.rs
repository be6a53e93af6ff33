//! Seeding: building the index of a new root (a fresh worktree of the same repository) from what another
//! root's index already knows. A file with the same path, size and blake3 as in the source keeps the
//! source's postings (the source's index file is shared, nothing is tokenized); only the others are read
//! into postings. The first save writes the new root's own file.

use std::path::Path;

use super::walk::{Walked, read_file, walk};
use super::{Index, TextMeta};
use crate::context::filesystem::{MAX_FILE_BYTES, WalkError, check_root};

/// What a seeded build did, for logs, tests and the benchmark.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SeedStats {
    pub files: usize,
    /// Files whose postings were reused (same path, size and blake3 as in the source index).
    pub reused: usize,
    /// Files tokenized because the source had no identical file.
    pub indexed: usize,
}

impl Index {
    /// The index of `root` built from `source` (another root's index): walk `root`, hash each file the
    /// source knows at the same size, reuse its postings when the hash matches, index the rest.
    pub fn seeded(root: &Path, source: &Index) -> Result<(Index, SeedStats), WalkError> {
        check_root(root)?;
        let Walked { files, dirs } = walk(root, None);
        let mut index = Index::new(root);
        // Every source file starts dead under its source id; a reused one comes back to life.
        index.files = source.files.clone();
        for f in &mut index.files {
            f.live = false;
        }
        index.base = source.base.as_ref().map(|b| b.share());
        index.overlay = source.overlay.clone();
        index.dirs = dirs;
        // Hash the candidates on a few threads: that, not tokenizing, is what seeding costs.
        let candidates: Vec<(usize, Option<u32>)> = files
            .iter()
            .enumerate()
            .map(|(i, (path, stamp))| {
                let id = source.by_path.get(path).copied().filter(|&id| {
                    source.files.get(id as usize).is_some_and(|f| {
                        f.text.is_some()
                            && f.stamp.size == stamp.size
                            && stamp.size <= MAX_FILE_BYTES
                    })
                });
                (i, id)
            })
            .collect();
        let contents = read_all(root, &files, &candidates);
        let mut stats = SeedStats {
            files: files.len(),
            ..SeedStats::default()
        };
        for (((path, stamp), (_, id)), content) in files.into_iter().zip(candidates).zip(contents) {
            let reusable = id.zip(content).and_then(|(id, hash)| {
                let meta = source.files.get(id as usize)?.text?;
                (meta.hash == hash).then_some((id, meta))
            });
            match reusable {
                Some((id, meta)) => {
                    index.revive(id, stamp, meta);
                    stats.reused += 1;
                }
                None => {
                    let content = if stamp.size <= MAX_FILE_BYTES {
                        read_file(&root.join(&path)).ok().flatten()
                    } else {
                        None
                    };
                    stats.indexed += usize::from(content.is_some());
                    index.insert(path, stamp, content.as_ref().map(|(h, t)| (*h, t.as_str())));
                }
            }
        }
        index.dirty = true;
        Ok((index, stats))
    }

    /// Makes the dead entry `id` live again with a new stamp (its postings are the source's).
    fn revive(&mut self, id: u32, stamp: super::Stamp, meta: TextMeta) {
        let Some(f) = self.files.get_mut(id as usize) else {
            return;
        };
        f.live = true;
        f.stamp = stamp;
        self.by_path.insert(f.path.clone(), id);
        self.live_text += 1;
        self.total_len += u64::from(meta.len);
    }
}

type Content = Option<[u8; 32]>;

/// The blake3 of every file that has a candidate in the source (others: `None`), read on a few threads;
/// only hashes are kept, so memory does not grow with the tree.
fn read_all(
    root: &Path,
    files: &[(String, super::Stamp)],
    candidates: &[(usize, Option<u32>)],
) -> Vec<Content> {
    let read = |&(i, id): &(usize, Option<u32>)| -> Content {
        id?;
        let (path, _) = files.get(i)?;
        read_file(&root.join(path))
            .ok()
            .flatten()
            .map(|(hash, _)| hash)
    };
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 4);
    let per = candidates.len().div_ceil(threads).max(64);
    std::thread::scope(|scope| {
        let handles: Vec<_> = candidates
            .chunks(per)
            .map(|part| {
                (
                    part.len(),
                    scope.spawn(move || part.iter().map(read).collect::<Vec<_>>()),
                )
            })
            .collect();
        let mut out = Vec::with_capacity(candidates.len());
        for (len, h) in handles {
            match h.join() {
                Ok(part) => out.extend(part),
                // Read again one by one by the caller.
                Err(_) => out.extend(std::iter::repeat_with(|| None).take(len)),
            }
        }
        out
    })
}
