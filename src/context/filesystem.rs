//! The filesystem context provider: walk the space (honouring .gitignore), skip binaries and huge files,
//! rank line chunks against the query, and return the best excerpts with the hash of each file as read.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use ignore::WalkBuilder;

use super::chunk::CHUNK_LINES;
use super::index::Index;
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

/// A gitignore-aware, deterministic (path-sorted) walk of `root` that never enters pseudo filesystems
/// (procfs, sysfs, devfs: see `special_fs.rs`). Hidden files and directories are taken
/// when git tracks them (`.github/`, `.cargo/config.toml`); outside a git repository, the hidden
/// directories of common tool configuration and hidden files other than secrets-like ones.
pub fn walker(root: &Path) -> WalkBuilder {
    let mut builder = WalkBuilder::new(root);
    let hidden = HiddenPolicy::for_root(root);
    let base = root.to_path_buf();
    let special = super::special_fs::special_mounts();
    builder
        .hidden(false)
        .filter_entry(move |e| {
            hidden.allows(&base, e)
                && !(e.file_type().is_some_and(|t| t.is_dir()) && special.contains(e.path()))
        })
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

/// Reads a regular file if it is small enough and text; `None` for binaries, oversized and special files.
/// At most `MAX_FILE_BYTES + 1` bytes are read, whatever size the file reports.
pub fn read_text(path: &Path) -> std::io::Result<Option<(String, String)>> {
    Ok(super::index::read_file(path)?
        .map(|(hash, text)| (blake3::Hash::from(hash).to_hex().to_string(), text)))
}

/// Which hidden entries a walk takes: `.git` and other VCS directories never.
#[derive(Clone)]
enum HiddenPolicy {
    /// Paths (relative to the root) of tracked hidden files and of the directories holding them.
    Tracked(Arc<HashSet<String>>),
    /// Not in a git repository: a fixed allow list.
    Untracked,
}

/// Hidden directories taken outside a git repository: configuration of common tools.
const HIDDEN_DIRS: &[&str] = &[
    ".cargo",
    ".changeset",
    ".circleci",
    ".config",
    ".devcontainer",
    ".github",
    ".gitlab",
    ".husky",
    ".storybook",
];
/// Hidden names never taken: version control, credentials and local environments.
const HIDDEN_DENIED: &[&str] = &[
    ".git", ".hg", ".svn", ".env", ".netrc", ".npmrc", ".pypirc", ".ssh", ".aws", ".gnupg",
    ".docker", ".kube", ".venv",
];

impl HiddenPolicy {
    fn for_root(root: &Path) -> Self {
        match tracked_hidden(root) {
            Some(set) => Self::Tracked(Arc::new(set)),
            None => Self::Untracked,
        }
    }

    fn allows(&self, root: &Path, entry: &ignore::DirEntry) -> bool {
        let name = entry.file_name().to_string_lossy();
        if !name.starts_with('.') || entry.depth() == 0 {
            return true;
        }
        if HIDDEN_DENIED.contains(&name.as_ref()) || name.starts_with(".env") {
            return false;
        }
        match self {
            Self::Tracked(set) => {
                relative_path(root, entry.path()).is_some_and(|p| set.contains(&p))
            }
            Self::Untracked => {
                let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
                !is_dir || HIDDEN_DIRS.contains(&name.as_ref())
            }
        }
    }
}

/// For a root inside a git work tree: the tracked paths under it that have a hidden component, with
/// every directory leading to them (relative to the root). `None` outside a repository.
fn tracked_hidden(root: &Path) -> Option<HashSet<String>> {
    let repo = git2::Repository::discover(root).ok()?;
    let workdir = repo.workdir()?.canonicalize().ok()?;
    let root = root.canonicalize().ok()?;
    let prefix = relative_path(&workdir, &root).map(|p| format!("{p}/"));
    let index = repo.index().ok()?;
    let mut set = HashSet::new();
    for entry in index.iter() {
        let Ok(path) = std::str::from_utf8(&entry.path) else {
            continue;
        };
        let rel = match &prefix {
            Some(p) => match path.strip_prefix(p.as_str()) {
                Some(rel) => rel,
                None => continue,
            },
            None => path,
        };
        if !rel.split('/').any(|c| c.starts_with('.')) {
            continue;
        }
        let mut end = 0;
        for part in rel.split('/') {
            end += part.len();
            set.insert(rel.get(..end).unwrap_or(rel).to_owned());
            end += 1;
        }
    }
    Some(set)
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

/// Ranks `files` against `query` and returns the best `limit` items: the full scan, ranked by the same
/// code as the index over an index built in memory from these texts.
pub fn rank_files(files: &[SourceFile], query: &str, limit: usize) -> Vec<ContextItem> {
    let mut index = Index::new(Path::new(""));
    let mut texts: HashMap<&str, ([u8; 32], &str)> = HashMap::new();
    for f in files {
        let hash = blake3::Hash::from_hex(&f.hash)
            .map(|h| *h.as_bytes())
            .unwrap_or_else(|_| *blake3::hash(f.text.as_bytes()).as_bytes());
        texts.insert(&f.path, (hash, &f.text));
    }
    index.add_texts(texts.iter().map(|(p, (h, t))| (*p, *h, *t)));
    let read = |path: &str| texts.get(path).map(|(h, t)| (*h, (*t).to_owned()));
    index.search_with(query, limit, &read)
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
