//! Pairing deleted (and, for copies, modified) files with added files as renames and copies, in the order
//! and with the tie-breaks git uses (exact matches, then unique basenames, then the best-first similarity
//! matrix), so the pairs equal `git status` and `git diff`.

use std::cmp::Ordering;
use std::collections::HashMap;

use super::diff_settings::RenameMode;
use super::similarity::{Candidate, DEFAULT_RENAME_SCORE, MAX_SCORE, estimate_similarity};

/// A rename source: a deleted file, or (copies only) the old side of a modified file.
pub(crate) struct Source {
    pub candidate: Candidate,
    /// True for modified files: they stay, so anything made from them is a copy.
    pub remains: bool,
}

/// A pairing: destination index, source index (into the slices given to [`detect`]), git score.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Pairing {
    pub dst: usize,
    pub src: usize,
    pub score: u64,
}

/// How many candidate sources git keeps per destination in the similarity matrix.
const CANDIDATES_PER_DST: usize = 4;

/// Finds renames (and copies) among `sources` and `dests`, both sorted by path. Returns one pairing per
/// matched destination.
pub(crate) fn detect(
    sources: &[Source],
    dests: &[Candidate],
    mode: RenameMode,
    limit: usize,
) -> Vec<Pairing> {
    let want_copies = mode == RenameMode::Copies;
    if mode == RenameMode::Off || sources.is_empty() || dests.is_empty() {
        return Vec::new();
    }
    let mut state = State {
        used: sources.iter().map(|s| usize::from(s.remains)).collect(),
        matched: vec![None; dests.len()],
    };
    exact_matches(sources, dests, want_copies, &mut state);
    let minimum = DEFAULT_RENAME_SCORE;
    if !want_copies {
        basename_matches(sources, dests, minimum, &mut state);
    }
    // Sources already used are dropped from the matrix, except when looking for copies.
    let live_sources = (0..sources.len())
        .filter(|&j| want_copies || state.used[j] == 0)
        .collect::<Vec<_>>();
    let open_dests = (0..dests.len())
        .filter(|&i| state.matched[i].is_none())
        .collect::<Vec<_>>();
    let limit = limit.max(1) as u64;
    let fits = (open_dests.len() as u64).saturating_mul(live_sources.len() as u64) <= limit * limit;
    if !open_dests.is_empty() && !live_sources.is_empty() && fits {
        let matrix = similarity_matrix(sources, dests, &open_dests, &live_sources, minimum);
        take_best(&matrix, minimum, false, &mut state);
        if want_copies {
            take_best(&matrix, minimum, true, &mut state);
        }
    }
    state
        .matched
        .iter()
        .enumerate()
        .filter_map(|(dst, m)| m.map(|(src, score)| Pairing { dst, src, score }))
        .collect()
}

struct State {
    /// How often each source has been used (starting at 1 for sources that remain).
    used: Vec<usize>,
    matched: Vec<Option<(usize, u64)>>,
}

impl State {
    fn record(&mut self, dst: usize, src: usize, score: u64) {
        if let Some(slot) = self.matched.get_mut(dst) {
            *slot = Some((src, score));
        }
        if let Some(count) = self.used.get_mut(src) {
            *count += 1;
        }
    }
}

fn exact_matches(sources: &[Source], dests: &[Candidate], want_copies: bool, state: &mut State) {
    let mut by_oid: HashMap<git2::Oid, Vec<usize>> = HashMap::new();
    for (j, source) in sources.iter().enumerate() {
        by_oid.entry(source.candidate.oid).or_default().push(j);
    }
    for (i, dst) in dests.iter().enumerate() {
        let Some(same) = by_oid.get(&dst.oid) else {
            continue;
        };
        let mut best: Option<(usize, usize)> = None;
        for &j in same.iter().take(100) {
            let src = &sources[j].candidate;
            if (!src.is_regular() || !dst.is_regular()) && src.mode != dst.mode {
                continue;
            }
            let unused = state.used[j] == 0;
            if !unused && !want_copies {
                continue;
            }
            let score = usize::from(unused) + usize::from(basename_same(&src.path, &dst.path));
            if best.is_none_or(|(_, b)| score > b) {
                best = Some((j, score));
                if score == 2 {
                    break;
                }
            }
        }
        if let Some((j, _)) = best {
            state.record(i, j, MAX_SCORE);
        }
    }
}

/// Pairs a source and a destination that are the only ones with their basename when they are at least
/// 75% similar (git's preliminary pass when not looking for copies).
fn basename_matches(sources: &[Source], dests: &[Candidate], minimum: u64, state: &mut State) {
    let threshold = minimum + (MAX_SCORE - minimum) / 2;
    let mut src_by_base: HashMap<&[u8], Option<usize>> = HashMap::new();
    for (j, source) in sources.iter().enumerate() {
        if state.used[j] == 0 {
            src_by_base
                .entry(basename(&source.candidate.path))
                .and_modify(|v| *v = None)
                .or_insert(Some(j));
        }
    }
    let mut dst_by_base: HashMap<&[u8], Option<usize>> = HashMap::new();
    for (i, dst) in dests.iter().enumerate() {
        if state.matched[i].is_none() {
            dst_by_base
                .entry(basename(&dst.path))
                .and_modify(|v| *v = None)
                .or_insert(Some(i));
        }
    }
    for (j, source) in sources.iter().enumerate() {
        if state.used[j] != 0 {
            continue;
        }
        let base = basename(&source.candidate.path);
        let (Some(Some(src)), Some(Some(dst))) = (src_by_base.get(base), dst_by_base.get(base))
        else {
            continue;
        };
        if *src != j || state.matched[*dst].is_some() {
            continue;
        }
        let score = estimate_similarity(&source.candidate, &dests[*dst], minimum);
        if score >= threshold {
            state.record(*dst, j, score);
        }
    }
}

#[derive(Clone, Copy)]
struct Entry {
    /// `None` for an empty slot (sorts last).
    dst: Option<usize>,
    src: usize,
    score: u64,
    name_score: bool,
}

/// git's `score_compare`: used entries first, higher scores first, then same basename first.
fn compare(a: &Entry, b: &Entry) -> Ordering {
    match (a.dst, b.dst) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(_), Some(_)) => b.score.cmp(&a.score).then(b.name_score.cmp(&a.name_score)),
    }
}

fn similarity_matrix(
    sources: &[Source],
    dests: &[Candidate],
    open_dests: &[usize],
    live_sources: &[usize],
    minimum: u64,
) -> Vec<Entry> {
    let empty = Entry {
        dst: None,
        src: 0,
        score: 0,
        name_score: false,
    };
    let mut matrix = Vec::with_capacity(open_dests.len() * CANDIDATES_PER_DST);
    for &i in open_dests {
        let mut best = [empty; CANDIDATES_PER_DST];
        for &j in live_sources {
            let src = &sources[j].candidate;
            let entry = Entry {
                dst: Some(i),
                src: j,
                score: estimate_similarity(src, &dests[i], minimum),
                name_score: basename_same(&src.path, &dests[i].path),
            };
            // Replace the worst kept entry when the new one is strictly better.
            let mut worst = 0;
            for k in 1..CANDIDATES_PER_DST {
                if compare(&best[k], &best[worst]) == Ordering::Greater {
                    worst = k;
                }
            }
            if compare(&best[worst], &entry) == Ordering::Greater {
                best[worst] = entry;
            }
        }
        matrix.extend_from_slice(&best);
    }
    matrix.sort_by(compare);
    matrix
}

fn take_best(matrix: &[Entry], minimum: u64, copies: bool, state: &mut State) {
    for entry in matrix {
        let Some(dst) = entry.dst else {
            break;
        };
        if entry.score < minimum {
            break;
        }
        if state.matched[dst].is_some() || (!copies && state.used[entry.src] != 0) {
            continue;
        }
        state.record(dst, entry.src, entry.score);
    }
}

fn basename(path: &[u8]) -> &[u8] {
    match path.iter().rposition(|&b| b == b'/') {
        Some(slash) => path.get(slash + 1..).unwrap_or(path),
        None => path,
    }
}

/// Whether the two paths end in the same file name (git's `basename_same`).
fn basename_same(a: &[u8], b: &[u8]) -> bool {
    basename(a) == basename(b)
}

/// For each pairing in queue order, whether it is a copy (its source is used again later, or remains).
/// git decides this by counting down each source's uses along the output, so the last use of a deleted
/// file is the rename and earlier ones are copies.
pub(crate) fn copy_flags(pairings_in_order: &[Pairing], sources: &[Source]) -> Vec<bool> {
    let mut remaining = sources
        .iter()
        .map(|s| usize::from(s.remains))
        .collect::<Vec<_>>();
    for p in pairings_in_order {
        if let Some(count) = remaining.get_mut(p.src) {
            *count += 1;
        }
    }
    pairings_in_order
        .iter()
        .map(|p| match remaining.get_mut(p.src) {
            Some(count) => {
                *count -= 1;
                *count > 0
            }
            None => false,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::similarity::looks_binary;

    fn candidate(path: &str, data: &str) -> Candidate {
        let oid = git2::Oid::hash_object(git2::ObjectType::Blob, data.as_bytes()).unwrap();
        Candidate::new(
            path.as_bytes().to_vec(),
            0o100644,
            oid,
            data.as_bytes().to_vec(),
            looks_binary(data.as_bytes()),
        )
    }

    fn source(path: &str, data: &str) -> Source {
        Source {
            candidate: candidate(path, data),
            remains: false,
        }
    }

    #[test]
    fn exact_matches_prefer_the_same_basename() {
        let text = "same content\n";
        let sources = [source("a/x.txt", text), source("b/y.txt", text)];
        let dests = [candidate("c/y.txt", text), candidate("d/z.txt", text)];
        let found = detect(&sources, &dests, RenameMode::Renames, 1000);
        assert_eq!(
            found,
            vec![
                Pairing {
                    dst: 0,
                    src: 1,
                    score: MAX_SCORE
                },
                Pairing {
                    dst: 1,
                    src: 0,
                    score: MAX_SCORE
                },
            ]
        );
    }

    #[test]
    fn the_most_similar_source_wins_and_each_source_is_used_once() {
        let base = (0..20).map(|i| format!("line {i}\n")).collect::<String>();
        let close = base.replace("line 3\n", "changed\n");
        let far = base
            .replace("line 3\n", "x\n")
            .replace("line 9\n", "y\n")
            .replace("line 12\n", "z\n");
        let sources = [source("old.txt", &base)];
        let dests = [candidate("far.txt", &far), candidate("near.txt", &close)];
        let found = detect(&sources, &dests, RenameMode::Renames, 1000);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].dst, 1);
        assert_eq!(detect(&sources, &dests, RenameMode::Off, 1000), vec![]);
        // Over the limit, only exact renames are found.
        assert_eq!(detect(&sources, &dests, RenameMode::Renames, 0), vec![]);
    }

    #[test]
    fn copies_count_down_to_the_rename() {
        let text = "shared\ncontent\nhere\n";
        let sources = [source("gone.txt", text)];
        let dests = [candidate("a.txt", text), candidate("b.txt", text)];
        let found = detect(&sources, &dests, RenameMode::Copies, 1000);
        assert_eq!(found.len(), 2);
        assert_eq!(copy_flags(&found, &sources), vec![true, false]);
    }
}
