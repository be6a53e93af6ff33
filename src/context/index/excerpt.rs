//! Choosing what to cite of a file already chosen: the 40-line windows (stride 20) where the query's
//! terms, weighted by rarity, are densest, narrowed to their matching lines.

use std::collections::HashMap;

use crate::context::chunk::chunks;
use crate::context::filesystem::narrow;
use crate::context::rank::term_score;

/// The best `max` non-overlapping windows of `text` as 0-based `[start, end)` lines, best first. A file
/// without any query term in its content (it matched by its path) gets its first window.
pub(super) fn windows(text: &str, weights: &HashMap<&str, f64>, max: usize) -> Vec<(usize, usize)> {
    // Per line: (query term index, count) pairs, by substring (the exact terms are found when the window
    // is narrowed): one pass over the lowercased text per term, far cheaper than tokenizing every line.
    let terms: Vec<&str> = weights.keys().copied().collect();
    let lower = text.to_ascii_lowercase();
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(lower.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let line_count = text.lines().count();
    let mut per_line: Vec<Vec<(usize, u32)>> = vec![Vec::new(); line_count];
    for (qi, t) in terms.iter().enumerate() {
        if t.is_empty() {
            continue;
        }
        for (at, _) in lower.match_indices(t) {
            let line = line_starts.partition_point(|&s| s <= at).saturating_sub(1);
            let Some(hits) = per_line.get_mut(line) else {
                continue;
            };
            match hits.last_mut() {
                Some((i, n)) if *i == qi => *n += 1,
                _ => hits.push((qi, 1)),
            }
        }
    }
    let mut scored: Vec<(f64, usize, usize)> = Vec::new();
    for c in chunks(per_line.len()) {
        let (s, e) = (c.start_line as usize - 1, c.end_line as usize);
        let mut tf = vec![0u32; terms.len()];
        for hits in per_line.get(s..e).unwrap_or_default() {
            for (qi, n) in hits {
                if let Some(slot) = tf.get_mut(*qi) {
                    *slot += n;
                }
            }
        }
        let score: f64 = tf
            .iter()
            .zip(&terms)
            .map(|(n, t)| term_score(weights.get(t).copied().unwrap_or(0.0), *n, 1, 1.0))
            .sum();
        scored.push((score, s, e));
    }
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let is_query_term = |t: &str| weights.contains_key(t);
    let mut out: Vec<(usize, usize)> = Vec::new();
    for (score, s, e) in scored {
        if out.len() >= max || (score <= 0.0 && !out.is_empty()) {
            break;
        }
        let (s, e) = narrow(text, s, e, is_query_term);
        if out.iter().any(|&(os, oe)| s < oe && os < e) {
            continue;
        }
        out.push((s, e));
    }
    out
}
