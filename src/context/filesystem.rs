//! The filesystem context provider: walk the space (honouring .gitignore), skip binaries and huge files,
//! rank line chunks against the query, and return the best excerpts with the hash of each file as read.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use ignore::WalkBuilder;

use super::chunk::{CHUNK_LINES, chunks};
use super::rank::{PATH_WEIGHT, idf, round_score, term_score};
use super::tokenize::{for_each_term, query_terms};
use crate::model::{ContextErrorCode, ContextItem, ContextProviderKind};

/// Files larger than this are skipped (generated code, data, bundles).
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;
/// Longest excerpt kept on an item, in bytes (cut at a line boundary).
pub const MAX_EXCERPT_BYTES: usize = 4000;
/// At most this many items come from one file.
pub const MAX_ITEMS_PER_FILE: usize = 2;
/// Lines of context kept around the matching lines of a chunk.
const SPAN_PADDING: usize = 2;

/// A text file as read for retrieval.
pub struct SourceFile {
    /// Relative to the root, `/`-separated.
    pub path: String,
    pub hash: String,
    pub text: String,
}

/// Why the walk could not produce anything.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct WalkError {
    pub code: ContextErrorCode,
    pub message: String,
    pub remediation: String,
}

/// A gitignore-aware, deterministic (path-sorted) walk of `root`.
pub fn walker(root: &Path) -> WalkBuilder {
    let mut builder = WalkBuilder::new(root);
    builder
        .hidden(true)
        .git_ignore(true)
        .git_exclude(true)
        // The user's global excludes differ between machines; results must not.
        .git_global(false)
        .require_git(false)
        .add_custom_ignore_filename(".kataignore")
        .sort_by_file_path(|a, b| a.cmp(b));
    builder
}

/// Checks that `root` is a readable directory.
pub fn check_root(root: &Path) -> Result<(), WalkError> {
    match std::fs::metadata(root) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(WalkError {
            code: ContextErrorCode::InvalidRootPath,
            message: format!("{} is not a directory", root.display()),
            remediation: "Link the space to a directory (space add PATH).".to_owned(),
        }),
        Err(e) => Err(WalkError {
            code: ContextErrorCode::InvalidRootPath,
            message: format!("cannot open the space root {}: {e}", root.display()),
            remediation:
                "Check that the directory still exists and is readable, or re-link the space."
                    .to_owned(),
        }),
    }
}

/// The path of `file` relative to `root`, `/`-separated.
pub fn relative_path(root: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(root).ok()?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.is_empty() {
        None
    } else {
        Some(parts.join("/"))
    }
}

/// Reads a file if it is small enough and text; `None` for binaries and oversized files.
pub fn read_text(path: &Path) -> std::io::Result<Option<(String, String)>> {
    let meta = std::fs::metadata(path)?;
    if meta.len() > MAX_FILE_BYTES {
        return Ok(None);
    }
    let bytes = std::fs::read(path)?;
    if bytes.len() as u64 > MAX_FILE_BYTES || bytes.iter().take(8000).any(|b| *b == 0) {
        return Ok(None);
    }
    let hash = blake3::hash(&bytes).to_hex().to_string();
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Some((hash, text))),
        Err(_) => Ok(None),
    }
}

/// Every eligible text file under `root`, in path order.
pub fn read_tree(root: &Path) -> Result<Vec<SourceFile>, WalkError> {
    check_root(root)?;
    let mut out = Vec::new();
    for entry in walker(root).build() {
        let Ok(entry) = entry else { continue };
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let Some(path) = relative_path(root, entry.path()) else {
            continue;
        };
        match read_text(entry.path()) {
            Ok(Some((hash, text))) => out.push(SourceFile { path, hash, text }),
            Ok(None) => {}
            Err(e) => tracing::debug!(path, error = %e, "skipping unreadable file"),
        }
    }
    Ok(out)
}

/// One chunk of a file in a full scan: its length in terms and the hits of each query term.
struct ChunkStats {
    file: usize,
    start: usize,
    end: usize,
    len: u32,
    tf: Vec<u32>,
}

/// What a full scan knows of `files` for one query: per chunk its length and query-term hits, per file
/// which lines hit and which query terms its path contains.
struct ScanStats {
    chunks: Vec<ChunkStats>,
    line_hits: Vec<Vec<bool>>,
    path_terms: Vec<BTreeSet<usize>>,
}

/// Per line: number of terms and hits per query term; per chunk: sums over its lines.
fn scan_stats(files: &[SourceFile], index: &HashMap<&str, usize>, term_count: usize) -> ScanStats {
    let mut stats: Vec<ChunkStats> = Vec::new();
    let mut line_hits: Vec<Vec<bool>> = Vec::with_capacity(files.len());
    let mut path_terms: Vec<BTreeSet<usize>> = Vec::with_capacity(files.len());
    for (fi, file) in files.iter().enumerate() {
        let lines: Vec<&str> = file.text.lines().collect();
        let mut per_line_len = Vec::with_capacity(lines.len());
        let mut per_line_tf: Vec<Vec<(usize, u32)>> = Vec::with_capacity(lines.len());
        let mut hits = Vec::with_capacity(lines.len());
        for line in &lines {
            let mut len = 0u32;
            let mut tf: Vec<(usize, u32)> = Vec::new();
            for_each_term(line, |t| {
                len += 1;
                if let Some(&qi) = index.get(t) {
                    match tf.iter_mut().find(|(i, _)| *i == qi) {
                        Some(entry) => entry.1 += 1,
                        None => tf.push((qi, 1)),
                    }
                }
            });
            hits.push(!tf.is_empty());
            per_line_len.push(len);
            per_line_tf.push(tf);
        }
        for c in chunks(lines.len()) {
            let (s, e) = (c.start_line as usize - 1, c.end_line as usize);
            let mut tf = vec![0u32; term_count];
            let mut len = 0u32;
            for li in s..e {
                len += per_line_len.get(li).copied().unwrap_or(0);
                for (qi, n) in per_line_tf.get(li).map(Vec::as_slice).unwrap_or(&[]) {
                    if let Some(slot) = tf.get_mut(*qi) {
                        *slot += n;
                    }
                }
            }
            stats.push(ChunkStats {
                file: fi,
                start: s,
                end: e,
                len,
                tf,
            });
        }
        let mut in_path = BTreeSet::new();
        for_each_term(&file.path, |t| {
            if let Some(&qi) = index.get(t) {
                in_path.insert(qi);
            }
        });
        path_terms.push(in_path);
        line_hits.push(hits);
    }
    ScanStats {
        chunks: stats,
        line_hits,
        path_terms,
    }
}

struct Candidate<'a> {
    file: &'a SourceFile,
    start: usize,
    end: usize,
    score: f64,
}

/// Ranks the chunks of `files` against `query` and returns the best `limit` items.
pub fn rank_files(files: &[SourceFile], query: &str, limit: usize) -> Vec<ContextItem> {
    let terms = query_terms(query);
    if terms.is_empty() || limit == 0 {
        return Vec::new();
    }
    let index: HashMap<&str, usize> = terms
        .iter()
        .enumerate()
        .map(|(i, t)| (t.as_str(), i))
        .collect();

    let ScanStats {
        chunks: stats,
        line_hits,
        path_terms,
    } = scan_stats(files, &index, terms.len());
    if stats.is_empty() {
        return Vec::new();
    }
    let n = stats.len();
    let avg_len = stats.iter().map(|s| f64::from(s.len)).sum::<f64>() / n as f64;
    let idfs: Vec<f64> = (0..terms.len())
        .map(|qi| {
            idf(
                n,
                stats
                    .iter()
                    .filter(|s| s.tf.get(qi).is_some_and(|t| *t > 0))
                    .count(),
            )
        })
        .collect();

    let mut candidates: Vec<Candidate<'_>> = Vec::new();
    for s in &stats {
        let mut score: f64 =
            s.tf.iter()
                .zip(&idfs)
                .map(|(tf, idf)| term_score(*idf, *tf, s.len, avg_len))
                .sum();
        if score <= 0.0 {
            continue;
        }
        if let Some(in_path) = path_terms.get(s.file) {
            score += in_path.iter().filter_map(|qi| idfs.get(*qi)).sum::<f64>() * PATH_WEIGHT;
        }
        let Some(file) = files.get(s.file) else {
            continue;
        };
        // Narrow the window to the matching lines, with a little context.
        let hits = line_hits.get(s.file).map(Vec::as_slice).unwrap_or(&[]);
        let (start, end) = narrow_hits(|l| hits.get(l).copied().unwrap_or(false), s.start, s.end);
        candidates.push(Candidate {
            file,
            start,
            end,
            score: round_score(score),
        });
    }
    candidates.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.file.path.cmp(&b.file.path))
            .then_with(|| a.start.cmp(&b.start))
    });

    let mut chosen: Vec<Candidate<'_>> = Vec::new();
    for cand in candidates {
        if chosen.len() >= limit {
            break;
        }
        let same_file: Vec<&Candidate<'_>> = chosen
            .iter()
            .filter(|c| c.file.path == cand.file.path)
            .collect();
        if same_file.len() >= MAX_ITEMS_PER_FILE
            || same_file
                .iter()
                .any(|c| cand.start < c.end && c.start < cand.end)
        {
            continue;
        }
        chosen.push(cand);
    }
    chosen
        .into_iter()
        .enumerate()
        .map(|(i, c)| item(c, u32::try_from(i + 1).unwrap_or(u32::MAX)))
        .collect()
}

fn item(c: Candidate<'_>, rank: u32) -> ContextItem {
    make_item(
        &c.file.path,
        &c.file.hash,
        &c.file.text,
        c.start,
        c.end,
        c.score,
        rank,
    )
}

/// The window `[start, end)` (0-based lines) narrowed to its first and last matching lines, with
/// `SPAN_PADDING` lines of context, never leaving the chunk.
fn narrow_hits(is_hit: impl Fn(usize) -> bool, start: usize, end: usize) -> (usize, usize) {
    let first = (start..end).find(|&l| is_hit(l));
    let last = (start..end).rev().find(|&l| is_hit(l));
    match (first, last) {
        (Some(f), Some(l)) => (
            f.saturating_sub(SPAN_PADDING).max(start),
            (l + 1 + SPAN_PADDING).min(end),
        ),
        _ => (start, end.min(start + CHUNK_LINES)),
    }
}

/// Like the narrowing of [`rank_files`], for a chunk `[start, end)` of `text`: a line matches when one of
/// its terms satisfies `is_query_term`.
pub(crate) fn narrow(
    text: &str,
    start: usize,
    end: usize,
    is_query_term: impl Fn(&str) -> bool,
) -> (usize, usize) {
    let hits: Vec<bool> = text
        .lines()
        .skip(start)
        .take(end.saturating_sub(start))
        .map(|line| {
            let mut hit = false;
            for_each_term(line, |t| hit = hit || is_query_term(t));
            hit
        })
        .collect();
    narrow_hits(
        |l| {
            l.checked_sub(start)
                .and_then(|i| hits.get(i))
                .copied()
                .unwrap_or(false)
        },
        start,
        end,
    )
}

/// The item for lines `[start, end)` (0-based) of a file, its excerpt cut to `MAX_EXCERPT_BYTES`.
pub(crate) fn make_item(
    path: &str,
    hash: &str,
    text: &str,
    start: usize,
    end: usize,
    score: f64,
    rank: u32,
) -> ContextItem {
    let mut excerpt = String::new();
    let mut last = start;
    for line in text.lines().skip(start).take(end.saturating_sub(start)) {
        if !excerpt.is_empty() && excerpt.len() + line.len() + 1 > MAX_EXCERPT_BYTES {
            break;
        }
        if !excerpt.is_empty() {
            excerpt.push('\n');
        }
        if line.len() > MAX_EXCERPT_BYTES {
            let mut cut = MAX_EXCERPT_BYTES;
            while !line.is_char_boundary(cut) {
                cut -= 1;
            }
            excerpt.push_str(line.get(..cut).unwrap_or(""));
        } else {
            excerpt.push_str(line);
        }
        last += 1;
    }
    ContextItem {
        path: path.to_owned(),
        start_line: u32::try_from(start + 1).unwrap_or(u32::MAX),
        end_line: u32::try_from(last.max(start + 1)).unwrap_or(u32::MAX),
        content_hash: hash.to_owned(),
        score,
        rank,
        excerpt,
    }
}

/// Checks that `query` has something to search for.
pub fn check_query(query: &str) -> Result<(), WalkError> {
    if query_terms(query).is_empty() {
        return Err(WalkError {
            code: ContextErrorCode::InvalidQuery,
            message: "the query has no words to search for".to_owned(),
            remediation: "Describe the change in words (names of functions, files or behaviour)."
                .to_owned(),
        });
    }
    Ok(())
}

/// Walks `root`, reads every file and ranks it against `query`: the full scan, without an index. The
/// reference the index is tested and benchmarked against.
pub fn retrieve(root: &Path, query: &str, limit: usize) -> Result<Vec<ContextItem>, WalkError> {
    check_query(query)?;
    let files = read_tree(root)?;
    Ok(rank_files(&files, query, limit))
}

/// The provider kind this module implements.
pub const KIND: ContextProviderKind = ContextProviderKind::Filesystem;

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, text: &str) -> SourceFile {
        SourceFile {
            path: path.into(),
            hash: blake3::hash(text.as_bytes()).to_hex().to_string(),
            text: text.into(),
        }
    }

    #[test]
    fn ranks_the_defining_file_first_and_narrows_to_matching_lines() {
        let mut http = String::new();
        for i in 0..30 {
            http.push_str(&format!("// filler line {i}\n"));
        }
        http.push_str(
            "pub fn send_request(client: &HttpClient) {\n    client.retry_policy();\n}\n",
        );
        let files = vec![
            file("README.md", "A project about many things.\n"),
            file("src/http_client.rs", &http),
            file("src/db.rs", "fn connect() {}\n"),
        ];
        let items = rank_files(&files, "add retry to the http client", 5);
        assert_eq!(items[0].path, "src/http_client.rs");
        assert_eq!((items[0].start_line, items[0].end_line), (29, 33));
        assert!(items[0].excerpt.contains("retry_policy"));
        assert_eq!(items[0].rank, 1);
        assert!(items.iter().all(|i| i.path != "src/db.rs"));
    }

    #[test]
    fn ties_break_by_path_then_line() {
        let files = vec![file("b.rs", "retry\n"), file("a.rs", "retry\n")];
        let items = rank_files(&files, "retry", 5);
        let order: Vec<_> = items.iter().map(|i| i.path.as_str()).collect();
        assert_eq!(order, vec!["a.rs", "b.rs"]);
    }

    #[test]
    fn at_most_two_items_per_file() {
        let text = "retry\n".repeat(200);
        let files = vec![file("a.rs", &text)];
        assert_eq!(rank_files(&files, "retry", 10).len(), MAX_ITEMS_PER_FILE);
    }
}
