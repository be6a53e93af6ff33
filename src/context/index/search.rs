//! A query: rank the files, then read each chosen file (its hash must still be the indexed one) and cite
//! its best windows.

use std::collections::HashMap;

use super::walk::read_file;
use super::{Index, excerpt, score};
use crate::context::filesystem::{self, MAX_ITEMS_PER_FILE};
use crate::context::rank::round_score;
use crate::context::tokenize::query_terms;
use crate::model::ContextItem;

/// Ranking passes before a query gives up chasing files that keep changing under it.
const ATTEMPTS: usize = 3;
/// Ranked files kept per item asked for: enough for files that turn out unreadable or changed.
const HEAD_FACTOR: usize = 4;

/// Reads a file by its relative path: its blake3 and text, `None` when it cannot be read as text.
pub(crate) type ReadText<'a> = dyn Fn(&str) -> Option<([u8; 32], String)> + 'a;

/// A file read for the answer, with its windows still to cite.
struct Chosen {
    id: u32,
    score: f64,
    hash: String,
    text: String,
    windows: Vec<(usize, usize)>,
}

impl Index {
    /// The best `limit` items for `query`, the same a full scan of the indexed files would return. Every
    /// item's file is re-read now: its hash is the hash of those bytes.
    pub fn search(&mut self, query: &str, limit: usize) -> Vec<ContextItem> {
        let root = self.root.clone();
        let read = move |path: &str| read_file(&root.join(path)).ok().flatten();
        self.search_with(query, limit, &read)
    }

    /// [`Self::search`] reading files through `read`.
    pub(crate) fn search_with(
        &mut self,
        query: &str,
        limit: usize,
        read: &ReadText<'_>,
    ) -> Vec<ContextItem> {
        for attempt in 1..=ATTEMPTS {
            match self.search_once(query, limit, attempt == ATTEMPTS, read) {
                Ok(items) => return items,
                Err(id) => self.reread(id),
            }
        }
        Vec::new()
    }

    /// The ranked files for `terms` (`(id, score)`, best first) and each term's idf.
    fn rank(
        &self,
        query: &str,
        terms: &[String],
        head: usize,
    ) -> (Vec<(u32, f64)>, HashMap<String, f64>) {
        let n = self.live_text;
        if n == 0 {
            return (Vec::new(), HashMap::new());
        }
        let lists = terms
            .iter()
            .map(|t| (t.clone(), self.term_entries(t)))
            .collect();
        let weighted = score::weigh(lists, n);
        let avg_len = self.total_len as f64 / n as f64;
        let scored = score::score(&weighted, &self.files, n, avg_len);
        let idfs = weighted.into_iter().map(|t| (t.term, t.idf)).collect();
        let intent = score::Intent::of(query, terms);
        (score::order(scored, &self.files, &intent, head), idfs)
    }

    /// One ranking pass. `Err(file)` when that file changed since it was indexed (and `last` is false).
    fn search_once(
        &self,
        query: &str,
        limit: usize,
        last: bool,
        read: &ReadText<'_>,
    ) -> Result<Vec<ContextItem>, u32> {
        let terms = query_terms(query);
        if terms.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let (ranked, idfs) = self.rank(query, &terms, HEAD_FACTOR * limit + 16);
        let weights: HashMap<&str, f64> = idfs.iter().map(|(t, w)| (t.as_str(), *w)).collect();
        let mut chosen: Vec<Chosen> = Vec::new();
        for (id, score) in ranked {
            if chosen.len() >= limit {
                break;
            }
            let Some(f) = self.files.get(id as usize) else {
                continue;
            };
            let Some(meta) = f.text else { continue };
            match read(&f.path) {
                Some((hash, text)) if hash == meta.hash => {
                    let windows = excerpt::windows(&text, &weights, MAX_ITEMS_PER_FILE);
                    if windows.is_empty() {
                        continue;
                    }
                    chosen.push(Chosen {
                        id,
                        score,
                        hash: blake3::Hash::from(hash).to_hex().to_string(),
                        text,
                        windows,
                    });
                }
                _ if last => continue,
                _ => return Err(id),
            }
        }
        Ok(self.items(&chosen, limit))
    }

    /// Each chosen file's best window in rank order, then their second windows while room is left.
    fn items(&self, chosen: &[Chosen], limit: usize) -> Vec<ContextItem> {
        let mut picks: Vec<(&Chosen, (usize, usize))> = Vec::new();
        for round in 0..MAX_ITEMS_PER_FILE {
            for c in chosen {
                if let Some(&w) = c.windows.get(round) {
                    picks.push((c, w));
                }
            }
        }
        picks
            .into_iter()
            .take(limit)
            .enumerate()
            .map(|(i, (c, (s, e)))| {
                filesystem::make_item(
                    self.path_of(c.id),
                    &c.hash,
                    &c.text,
                    s,
                    e,
                    round_score(c.score),
                    u32::try_from(i + 1).unwrap_or(u32::MAX),
                )
            })
            .collect()
    }
}
