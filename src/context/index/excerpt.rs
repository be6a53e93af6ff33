//! Choosing what to cite of a file already chosen: the 40-line windows (stride 20) where the query's
//! terms, weighted by rarity, are densest, narrowed to their matching lines.

use std::collections::HashMap;

use crate::context::chunk::chunks;
use crate::context::filesystem::narrow;
use crate::context::rank::term_score;

/// The best `max` non-overlapping windows of `text` as 0-based `[start, end)` lines, best first. A file
/// without any query term in its content (it matched by its path) gets its first window.
pub(super) fn windows(text: &str, weights: &HashMap<&str, f64>, max: usize) -> Vec<(usize, usize)> {
    // Per line: (query term index, count) pairs, by substring (the exact terms are found when the
    // window is narrowed); far cheaper than tokenizing every line of every chosen file.
    let terms: Vec<&str> = weights.keys().copied().collect();
    let mut per_line: Vec<Vec<(usize, u32)>> = Vec::new();
    let mut lower = String::new();
    for line in text.lines() {
        lower.clear();
        lower.push_str(line);
        lower.make_ascii_lowercase();
        let hits: Vec<(usize, u32)> = terms
            .iter()
            .enumerate()
            .filter_map(|(qi, t)| {
                let n = lower.matches(t).count();
                (n > 0).then(|| (qi, u32::try_from(n).unwrap_or(u32::MAX)))
            })
            .collect();
        per_line.push(hits);
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
