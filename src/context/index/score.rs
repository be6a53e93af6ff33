//! File-level ranking: BM25F over three fields of each file (content, symbol definitions, path), weights
//! that follow term rarity, then the order clients see — code first, tests after the code they test, docs
//! and other supporting files after both (`docs/RETRIEVAL.md`).

use std::collections::HashMap;

use super::postings::Entry;
use super::{FileEntry, TextMeta};
use crate::context::rank::idf;
use crate::context::role::{Role, code_stem, is_manifest, tested_stem};

/// BM25 term-frequency saturation for whole files: higher than for short chunks, since a file that
/// uses a term many times is more about it than one that mentions it once.
const K1: f64 = 1.6;
/// Length normalisation for whole files: weaker than BM25's usual 0.75, so the large central files most
/// changes touch are not pushed below small ones that mention a term once.
const B: f64 = 0.6;
/// A symbol definition counts like this many content occurrences.
pub const SYMBOL_WEIGHT: f64 = 2.0;
/// A path occurrence counts like this many content occurrences for the rarest terms; for a term found in
/// many files it counts proportionally less (a common word in a file name says little).
pub const PATH_WEIGHT: f64 = 3.0;
/// Supporting files rank by their score times this, and never above code that matched the query.
const TEST_FACTOR: f64 = 0.92;
const CONFIG_FACTOR: f64 = 0.6;
const DOC_FACTOR: f64 = 0.25;
/// A package manifest's score is multiplied by this when the query is about dependencies or versions.
const MANIFEST_BOOST: f64 = 3.0;
/// Query words that ask about dependencies: then package manifests rank higher.
const DEPENDENCY_WORDS: &[&str] = &[
    "bump",
    "bumped",
    "dependencies",
    "dependency",
    "deps",
    "msrv",
    "upgrade",
    "upgraded",
];
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
    /// The query is about dependencies or versions (`bump serde to 1.0.200`, "upgrade the parser"):
    /// package manifests are what such a change edits.
    pub deps: bool,
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
        let version = query.split_whitespace().any(is_version);
        Self {
            tests: terms.iter().any(|t| TEST_WORDS.contains(&t.as_str())),
            deps: version || terms.iter().any(|t| DEPENDENCY_WORDS.contains(&t.as_str())),
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

/// A version number as a query writes it: `1.0`, `v0.3.2`, `2.24,`.
fn is_version(word: &str) -> bool {
    let w = word
        .trim_start_matches(['v', 'V'])
        .trim_end_matches(['.', ',', ';', ')']);
    w.contains('.')
        && w.split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

/// The first `head` files in the order they are returned: files the query names first, then by score
/// with supporting files' scores scaled down (package manifests raised for a dependency query), then the
/// code file a test is named for moved to just before the test when the test ranked above it (within the
/// head): the code comes first, and the test keeps its place next to it. Ties break by path.
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
            let manifest = intent.deps && file(id).is_some_and(|f| is_manifest(&f.path));
            let factor = if manifest {
                factor * MANIFEST_BOOST
            } else {
                factor
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
    // The first (best) test of each tested name, and where it is.
    let mut tests: HashMap<String, usize> = HashMap::new();
    for (i, (id, _, r)) in all.iter().enumerate() {
        if *r == Role::Test {
            // `accepts.test.ts` tests `accepts`; `tests/upload.rs` (a test by its folder) tests `upload`.
            let stem = tested_stem(path(*id)).unwrap_or_else(|| code_stem(path(*id)));
            tests.entry(stem).or_insert(i);
        }
    }
    // Each code file ranked below a test named for it moves to just before that test: (test position,
    // 0) sorts before the test's own (position, 1). Only the first code file of a name counts.
    let mut moved: std::collections::HashSet<usize> = std::collections::HashSet::new();
    let mut keyed: Vec<((usize, u8), (u32, f64))> = all
        .iter()
        .enumerate()
        .map(|(i, &(id, s, r))| {
            let test = (r == Role::Code)
                .then(|| tests.get(&code_stem(path(id))).copied())
                .flatten();
            // A code file above its test settles that test: later namesakes stay where they are.
            let before = test.filter(|&t| moved.insert(t) && t < i);
            (before.map_or((i, 1), |t| (t, 0)), (id, s))
        })
        .collect();
    keyed.sort_by_key(|(k, _)| *k);
    keyed.into_iter().map(|(_, v)| v).collect()
}
