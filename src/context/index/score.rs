//! File-level ranking: BM25F over three fields of each file (content, symbol definitions, path), weights
//! that follow term rarity, then the order clients see — code first, tests after the code they test, docs
//! and other supporting files after both (`docs/RETRIEVAL.md`).

use std::collections::HashMap;

use super::postings::Entry;
use super::{FileEntry, TextMeta};
use crate::context::rank::{B, K1, idf};
use crate::context::role::{Role, code_stem, tested_stem};

/// A symbol definition counts like this many content occurrences.
pub const SYMBOL_WEIGHT: f64 = 2.0;
/// A path occurrence counts like this many content occurrences for the rarest terms; for a term found in
/// many files it counts proportionally less (a common word in a file name says little).
pub const PATH_WEIGHT: f64 = 3.0;
/// Supporting files rank by their score times this, and never above code that matched the query.
const TEST_FACTOR: f64 = 0.85;
const CONFIG_FACTOR: f64 = 0.6;
const DOC_FACTOR: f64 = 0.25;
/// Query words that ask for tests: then tests rank like code.
const TEST_WORDS: &[&str] = &["spec", "specs", "test", "testing", "tests"];

/// One query term as the ranking uses it.
pub(super) struct TermEntries {
    pub term: String,
    pub idf: f64,
    pub entries: Vec<Entry>,
}

/// The query terms with their live entries and idf over the `n` live text files.
pub(super) fn weigh(terms: Vec<(String, Vec<Entry>)>, n: usize) -> Vec<TermEntries> {
    terms
        .into_iter()
        .map(|(term, entries)| TermEntries {
            idf: idf(n, entries.len()),
            term,
            entries,
        })
        .collect()
}

/// BM25F score of every file matching a term, as `(file id, score)`.
pub(super) fn score(
    terms: &[TermEntries],
    files: &[FileEntry],
    n: usize,
    avg_len: f64,
) -> Vec<(u32, f64)> {
    let max_idf = idf(n, 1).max(f64::EPSILON);
    // Dense by file id: no hashing per entry.
    let mut scores = vec![0f64; files.len()];
    let mut touched: Vec<u32> = Vec::new();
    for t in terms {
        let path_weight = PATH_WEIGHT * (t.idf / max_idf).clamp(0.0, 1.0);
        for e in &t.entries {
            let Some(TextMeta { len, .. }) = files.get(e.file as usize).and_then(|f| f.text) else {
                continue;
            };
            let norm = 1.0 - B + B * f64::from(len) / avg_len.max(1.0);
            let tf = f64::from(e.content) / norm
                + SYMBOL_WEIGHT * f64::from(e.symbol)
                + path_weight * f64::from(e.path);
            let Some(slot) = scores.get_mut(e.file as usize) else {
                continue;
            };
            if tf <= 0.0 {
                continue;
            }
            if *slot == 0.0 {
                touched.push(e.file);
            }
            *slot += t.idf * tf * (K1 + 1.0) / (tf + K1);
        }
    }
    touched
        .into_iter()
        .map(|id| (id, scores.get(id as usize).copied().unwrap_or(0.0)))
        .collect()
}

/// What the query says beyond its terms.
#[derive(Default)]
pub(super) struct Intent {
    /// The query asks about tests.
    pub tests: bool,
    /// File names the query mentions (`request.test.ts`, `src/utils.py`), lowercase.
    pub files: Vec<String>,
}

impl Intent {
    pub fn of(query: &str, terms: &[String]) -> Self {
        let files = query
            .split(|c: char| c.is_whitespace() || matches!(c, '`' | '\'' | '"' | ',' | '(' | ')'))
            .map(|w| w.trim_end_matches(['.', ':', ';']).to_ascii_lowercase())
            .filter(|w| {
                w.rsplit_once('.').is_some_and(|(stem, ext)| {
                    !stem.is_empty()
                        && (1..=5).contains(&ext.len())
                        && ext.chars().all(|c| c.is_ascii_alphanumeric())
                        && ext.chars().any(|c| c.is_ascii_alphabetic())
                })
            })
            .collect();
        Self {
            tests: terms.iter().any(|t| TEST_WORDS.contains(&t.as_str())),
            files,
        }
    }

    fn mentions(&self, path: &str) -> bool {
        let lower = path.to_ascii_lowercase();
        self.files
            .iter()
            .any(|m| lower == *m || lower.ends_with(&format!("/{}", m.trim_start_matches("./"))))
    }
}

/// The first `head` files in the order they are returned: files the query names first, then by score
/// with supporting files' scores scaled down, then every test that ranked above the code file it is named
/// for moved to just after it (within the head). Ties break by path.
pub(super) fn order(
    scored: Vec<(u32, f64)>,
    files: &[FileEntry],
    intent: &Intent,
    head: usize,
) -> Vec<(u32, f64)> {
    let file = |id: u32| files.get(id as usize);
    let path = |id: u32| file(id).map_or("", |f| f.path.as_str());
    let top = scored.iter().map(|(_, s)| *s).fold(0.0, f64::max);
    let mut all: Vec<(u32, f64, Role)> = scored
        .into_iter()
        .map(|(id, s)| {
            let r = file(id).map_or(Role::Code, |f| f.role);
            let factor = match r {
                Role::Code => 1.0,
                Role::Test if intent.tests => 1.0,
                Role::Test => TEST_FACTOR,
                Role::Config => CONFIG_FACTOR,
                Role::Doc => DOC_FACTOR,
            };
            (id, s * factor, r)
        })
        .collect();
    if !intent.files.is_empty() {
        for (id, s, _) in &mut all {
            if intent.mentions(path(*id)) {
                *s += top;
            }
        }
    }
    let cmp = |a: &(u32, f64, Role), b: &(u32, f64, Role)| {
        b.1.total_cmp(&a.1).then_with(|| path(a.0).cmp(path(b.0)))
    };
    // Only the head is returned: select it, then sort just that.
    if all.len() > head {
        all.select_nth_unstable_by(head, cmp);
        all.truncate(head);
    }
    all.sort_by(cmp);
    // The first (best) code file of each name.
    let mut hosts: HashMap<String, usize> = HashMap::new();
    for (i, (id, _, r)) in all.iter().enumerate() {
        if *r == Role::Code {
            hosts.entry(code_stem(path(*id))).or_insert(i);
        }
    }
    // Tests placed after their host: (host position, own position) orders them.
    let mut keyed: Vec<((usize, usize), (u32, f64))> = all
        .iter()
        .enumerate()
        .map(|(i, &(id, s, r))| {
            let host = (r == Role::Test)
                .then(|| tested_stem(path(id)))
                .flatten()
                .and_then(|stem| hosts.get(&stem).copied())
                .filter(|&h| h > i);
            (host.map_or((i, 0), |h| (h, i + 1)), (id, s))
        })
        .collect();
    keyed.sort_by_key(|(k, _)| *k);
    keyed.into_iter().map(|(_, v)| v).collect()
}
