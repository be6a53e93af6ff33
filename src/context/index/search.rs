//! Ranking: BM25 over chunks from the query tables, a path bonus, then the excerpts, re-read and
//! hash-checked.

use std::collections::HashMap;

use super::Index;
use super::query_tables::Derived;
use super::query_tables::{HIT_COUNT, HIT_CUR, HIT_PREV};
use super::walk::read_file;
use crate::context::chunk::{CHUNK_LINES, CHUNK_STRIDE};
use crate::context::filesystem::{self, MAX_ITEMS_PER_FILE};
use crate::context::rank::{PATH_WEIGHT, idf, round_score, term_score};
use crate::context::tokenize::query_terms;
use crate::model::ContextItem;

/// Ranking passes before a query gives up chasing files that keep changing under it.
const ATTEMPTS: usize = 3;

/// Per-chunk scores of one query, before the path bonus.
struct ChunkScores {
    /// Indexed by global chunk; non-zero only for `touched` ones.
    scores: Vec<f64>,
    touched: Vec<usize>,
    /// Per query term, in query order.
    idfs: Vec<f64>,
}

impl Index {
    /// The best `limit` items for `query`, the same a full scan of the indexed files would return. Every
    /// item's file is re-read now: its hash is the hash of those bytes.
    pub fn search(&mut self, query: &str, limit: usize) -> Vec<ContextItem> {
        for attempt in 1..=ATTEMPTS {
            match self.search_once(query, limit, attempt == ATTEMPTS) {
                Ok(items) => return items,
                Err(fi) => self.reread(fi),
            }
        }
        Vec::new()
    }

    /// One ranking pass. `Err(file)` when that file changed since it was indexed (and `last` is false).
    fn search_once(
        &mut self,
        query: &str,
        limit: usize,
        last: bool,
    ) -> Result<Vec<ContextItem>, usize> {
        let terms = query_terms(query);
        if terms.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        self.derive();
        let Some(d) = &self.derived else {
            return Ok(Vec::new());
        };
        let n = d.chunk_len.len();
        if n == 0 {
            return Ok(Vec::new());
        }
        let scored = self.chunk_scores(d, &terms);
        let mut candidates = self.candidates(d, &terms, scored);
        let term_index: HashMap<&str, usize> = terms
            .iter()
            .enumerate()
            .map(|(i, t)| (t.as_str(), i))
            .collect();
        let order = |a: &(f64, usize, usize), b: &(f64, usize, usize)| {
            b.0.total_cmp(&a.0)
                .then_with(|| a.1.cmp(&b.1))
                .then_with(|| a.2.cmp(&b.2))
        };
        // Only the head is usually needed: sort it first, the rest only if the choice runs past it.
        let head = (limit * 16).max(64);
        let mut sorted = candidates.len().min(head);
        if candidates.len() > head {
            candidates.select_nth_unstable_by(head, order);
        }
        if let Some(h) = candidates.get_mut(..sorted) {
            h.sort_unstable_by(order);
        }

        // Choose, reading each file once: narrow to the matching lines, at most two per file, no overlaps.
        let mut read: HashMap<usize, Option<(String, String)>> = HashMap::new();
        let mut chosen: Vec<(usize, usize, usize, f64)> = Vec::new();
        for i in 0..candidates.len() {
            if chosen.len() >= limit {
                break;
            }
            if i == sorted {
                if let Some(rest) = candidates.get_mut(sorted..) {
                    rest.sort_unstable_by(order);
                }
                sorted = candidates.len();
            }
            let Some(&(score, fi, k)) = candidates.get(i) else {
                break;
            };
            let Some(f) = self.files.get(fi) else {
                continue;
            };
            let content =
                read.entry(fi)
                    .or_insert_with(|| match read_file(&self.root.join(&f.path)) {
                        Ok(Some((hash, text)))
                            if f.text.as_ref().is_some_and(|t| t.hash == hash) =>
                        {
                            Some((blake3::Hash::from(hash).to_hex().to_string(), text))
                        }
                        _ => None,
                    });
            let Some((_, text)) = content else {
                if last {
                    continue;
                }
                return Err(fi);
            };
            let start = k * CHUNK_STRIDE;
            let lines_total = f.text.as_ref().map_or(0, |t| t.lines as usize);
            let end = (start + CHUNK_LINES).min(lines_total);
            let (s, e) = filesystem::narrow(text, start, end, |t| term_index.contains_key(t));
            let same_file: Vec<&(usize, usize, usize, f64)> =
                chosen.iter().filter(|c| c.0 == fi).collect();
            if same_file.len() >= MAX_ITEMS_PER_FILE || same_file.iter().any(|c| s < c.2 && c.1 < e)
            {
                continue;
            }
            chosen.push((fi, s, e, score));
        }
        Ok(chosen
            .into_iter()
            .enumerate()
            .filter_map(|(i, (fi, s, e, score))| {
                let f = self.files.get(fi)?;
                let (hash, text) = read.get(&fi)?.as_ref()?;
                Some(filesystem::make_item(
                    &f.path,
                    hash,
                    text,
                    s,
                    e,
                    score,
                    u32::try_from(i + 1).unwrap_or(u32::MAX),
                ))
            })
            .collect())
    }

    /// BM25 score of every chunk containing a query term (`touched`: those chunks), and each term's idf.
    fn chunk_scores(&self, d: &Derived, terms: &[String]) -> ChunkScores {
        let n = d.chunk_len.len();
        let avg_len = d.total_len as f64 / n as f64;
        let mut scores = vec![0f64; n];
        let mut touched: Vec<usize> = Vec::new();
        let mut idfs: Vec<f64> = Vec::with_capacity(terms.len());
        // (global chunk, tf), ascending by chunk.
        let mut hits: Vec<(usize, u32)> = Vec::new();
        for term in terms {
            hits.clear();
            if let Some(&id) = self.term_ids.get(term) {
                for h in d.term_postings(id) {
                    // Block b lies in chunks b - 1 and b of its file (those that exist).
                    let c = h.chunk as usize;
                    let count = h.tf & HIT_COUNT;
                    if h.tf & HIT_PREV != 0 {
                        let c = c.wrapping_sub(1);
                        match hits.last_mut() {
                            Some((last, tf)) if *last == c => *tf += count,
                            _ => hits.push((c, count)),
                        }
                    }
                    if h.tf & HIT_CUR != 0 {
                        match hits.last_mut() {
                            Some((last, tf)) if *last == c => *tf += count,
                            _ => hits.push((c, count)),
                        }
                    }
                }
            }
            let term_idf = idf(n, hits.len());
            idfs.push(term_idf);
            for &(c, tf) in &hits {
                let len = d.chunk_len.get(c).copied().unwrap_or(0);
                if let Some(score) = scores.get_mut(c) {
                    if *score == 0.0 {
                        touched.push(c);
                    }
                    *score += term_score(term_idf, tf, len, avg_len);
                }
            }
        }

        ChunkScores {
            scores,
            touched,
            idfs,
        }
    }

    /// The scored chunks as `(score, file, chunk of the file)`, with the path bonus added. Files are in
    /// path order, so the tie-break by path is by file index.
    fn candidates(
        &self,
        d: &Derived,
        terms: &[String],
        scored: ChunkScores,
    ) -> Vec<(f64, usize, usize)> {
        let ChunkScores {
            scores,
            touched,
            idfs,
        } = scored;
        // Query terms in a file's path add their idf (summed in query-term order, as the full scan does).
        let mut path_bonus: HashMap<usize, f64> = HashMap::new();
        for (term, term_idf) in terms.iter().zip(&idfs) {
            if let Some(&id) = self.term_ids.get(term)
                && let Some(files) = d.path_terms.get(&id)
            {
                for &fi in files {
                    *path_bonus.entry(fi as usize).or_insert(0.0) += term_idf;
                }
            }
        }
        let mut candidates: Vec<(f64, usize, usize)> = Vec::with_capacity(touched.len());
        for c in touched {
            let Some(fi) = d.chunk_file.get(c).map(|f| *f as usize) else {
                continue;
            };
            let Some(&base) = d.chunk_base.get(fi) else {
                continue;
            };
            let mut score = scores.get(c).copied().unwrap_or(0.0);
            if score <= 0.0 {
                continue;
            }
            if let Some(bonus) = path_bonus.get(&fi) {
                score += bonus * PATH_WEIGHT;
            }
            candidates.push((round_score(score), fi, c - base));
        }
        candidates
    }
}
