//! A file as the ranking sees it: for every term, how often it occurs in the content, in symbol
//! definitions and in the path. File-level fields, not line chunks: a large central file whose matches are
//! spread out is not lost to a small file with one dense chunk, and the excerpt is chosen afterwards.

use std::collections::HashMap;

use crate::context::symbols::for_each_definition;
use crate::context::tokenize::for_each_term;

/// Occurrences of one term in each field of a file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct FieldCounts {
    pub content: u32,
    pub symbol: u32,
    pub path: u32,
}

/// The terms of one file.
#[derive(Debug, Default)]
pub(crate) struct FileTerms {
    pub terms: HashMap<String, FieldCounts>,
    /// Number of content terms (the length BM25 normalises by).
    pub content_len: u32,
    pub lines: u32,
}

/// Tokenizes the file at `path` with content `text` (`None` for a file indexed by its path only).
pub(crate) fn file_terms(path: &str, text: Option<&str>) -> FileTerms {
    let mut out = FileTerms::default();
    for_each_term(path, |t| bump(&mut out.terms, t, |c| c.path += 1));
    let Some(text) = text else { return out };
    let mut len = 0u32;
    let mut lines = 0u32;
    for line in text.lines() {
        lines += 1;
        for_each_term(line, |t| {
            len += 1;
            bump(&mut out.terms, t, |c| c.content += 1);
        });
        for_each_definition(line, |name| {
            for_each_term(name, |t| bump(&mut out.terms, t, |c| c.symbol += 1));
        });
    }
    out.content_len = len;
    out.lines = lines;
    out
}

/// Updates the counts of `t` with `f`, allocating its key only the first time it is seen in the file.
fn bump(terms: &mut HashMap<String, FieldCounts>, t: &str, f: impl FnOnce(&mut FieldCounts)) {
    match terms.get_mut(t) {
        Some(counts) => f(counts),
        None => {
            let mut counts = FieldCounts::default();
            f(&mut counts);
            terms.insert(t.to_owned(), counts);
        }
    }
}
