//! Which files of a working tree hold uncommitted work (staged, unstaged or untracked; ignored files do
//! not count), the question every destructive or branch-moving operation asks first.

use git2::{Repository, StatusOptions};

use super::error::GitError;
use super::repo_path::display_path;

/// Paths with uncommitted work in `repo`'s working tree, sorted, in display form.
pub(crate) fn uncommitted_paths(repo: &Repository) -> Result<Vec<String>, GitError> {
    Ok(uncommitted_path_bytes(repo)?
        .iter()
        .map(|p| display_path(p))
        .collect())
}

/// Paths with uncommitted work in `repo`'s working tree, sorted, as bytes.
pub(crate) fn uncommitted_path_bytes(repo: &Repository) -> Result<Vec<Vec<u8>>, GitError> {
    let mut options = StatusOptions::new();
    options
        .include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false)
        .exclude_submodules(false)
        .renames_head_to_index(false);
    let statuses = repo
        .statuses(Some(&mut options))
        .map_err(GitError::git("read the worktree status"))?;
    let mut out = statuses
        .iter()
        .filter(|entry| !entry.status().is_ignored() && entry.status() != git2::Status::CURRENT)
        .map(|entry| entry.path_bytes().to_vec())
        .collect::<Vec<_>>();
    out.sort();
    out.dedup();
    Ok(out)
}

/// Whether two repository paths are the same or one is a directory containing the other.
pub(crate) fn paths_overlap(a: &[u8], b: &[u8]) -> bool {
    let inside = |inner: &[u8], outer: &[u8]| {
        inner.len() > outer.len()
            && inner.starts_with(outer)
            && inner.get(outer.len()) == Some(&b'/')
    };
    a == b || inside(a, b) || inside(b, a)
}

#[cfg(test)]
mod tests {
    use super::paths_overlap;

    #[test]
    fn overlap_means_same_path_or_containment() {
        assert!(paths_overlap(b"a/b", b"a/b"));
        assert!(paths_overlap(b"a", b"a/b"));
        assert!(paths_overlap(b"a/b/c", b"a"));
        assert!(!paths_overlap(b"a", b"ab"));
        assert!(!paths_overlap(b"a-b", b"a/b"));
    }
}
