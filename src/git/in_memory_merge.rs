//! Merges, squashes and rebases computed entirely in memory (libgit2 merge indexes, commits written to the
//! object database but referenced by no branch), so a conflict leaves no trace anywhere: no branch moves,
//! no working tree or index is touched, nothing needs aborting.

use git2::{Commit, Index, Oid, Repository};

use super::error::GitError;
use super::repo_path::display_path;

/// The tree of merging `theirs` into `ours`, or the conflicting paths.
pub(crate) fn merged_tree(
    repo: &Repository,
    ours: &Commit<'_>,
    theirs: &Commit<'_>,
) -> Result<Result<Oid, Vec<String>>, GitError> {
    let mut index = repo
        .merge_commits(ours, theirs, None)
        .map_err(GitError::git("merge in memory"))?;
    tree_or_conflicts(repo, &mut index)
}

fn tree_or_conflicts(
    repo: &Repository,
    index: &mut Index,
) -> Result<Result<Oid, Vec<String>>, GitError> {
    if index.has_conflicts() {
        return Ok(Err(conflicting_paths(index)?));
    }
    let tree = index
        .write_tree_to(repo)
        .map_err(GitError::git("write the merged tree"))?;
    Ok(Ok(tree))
}

/// Every path with a conflict entry in `index`, sorted.
fn conflicting_paths(index: &Index) -> Result<Vec<String>, GitError> {
    let mut paths = Vec::new();
    for conflict in index
        .conflicts()
        .map_err(GitError::git("list the merge conflicts"))?
    {
        let conflict = conflict.map_err(GitError::git("read a merge conflict"))?;
        for entry in [conflict.our, conflict.their, conflict.ancestor]
            .into_iter()
            .flatten()
        {
            paths.push(display_path(&entry.path));
        }
    }
    paths.sort();
    paths.dedup();
    Ok(paths)
}

/// The commits on `tip` that are not on `upstream`, oldest first, without merge commits (what
/// `git rebase` replays).
fn commits_to_replay(repo: &Repository, tip: Oid, upstream: Oid) -> Result<Vec<Oid>, GitError> {
    let mut walk = repo.revwalk().map_err(GitError::git("walk the history"))?;
    walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::REVERSE)
        .map_err(GitError::git("walk the history"))?;
    walk.push(tip).map_err(GitError::git("walk the history"))?;
    walk.hide(upstream)
        .map_err(GitError::git("walk the history"))?;
    let mut out = Vec::new();
    for oid in walk {
        let oid = oid.map_err(GitError::git("walk the history"))?;
        let commit = repo
            .find_commit(oid)
            .map_err(GitError::git("read a commit"))?;
        if commit.parent_count() <= 1 {
            out.push(oid);
        }
    }
    Ok(out)
}

/// What replaying commits produced: the new tip and how many commits were replayed (commits that became
/// empty on the new base are dropped, as `git rebase` does).
pub(crate) struct Replayed {
    pub tip: Oid,
    pub replayed: usize,
}

/// Replays the commits of `tip` that `onto` lacks on top of `onto`, keeping each commit's author and
/// message; the committer is `committer`. Stops at the first conflict and returns its paths.
pub(crate) fn replay_onto(
    repo: &Repository,
    tip: Oid,
    onto: Oid,
    committer: &git2::Signature<'_>,
) -> Result<Result<Replayed, Vec<String>>, GitError> {
    let mut current = onto;
    let mut replayed = 0;
    for oid in commits_to_replay(repo, tip, onto)? {
        let commit = repo
            .find_commit(oid)
            .map_err(GitError::git("read a commit"))?;
        let base = repo
            .find_commit(current)
            .map_err(GitError::git("read a commit"))?;
        let mut index = repo
            .cherrypick_commit(&commit, &base, 0, None)
            .map_err(GitError::git("replay a commit in memory"))?;
        let tree_id = match tree_or_conflicts(repo, &mut index)? {
            Ok(tree) => tree,
            Err(files) => return Ok(Err(files)),
        };
        if tree_id == base.tree_id() {
            continue;
        }
        let tree = repo
            .find_tree(tree_id)
            .map_err(GitError::git("read the replayed tree"))?;
        let message = String::from_utf8_lossy(commit.message_raw_bytes()).into_owned();
        current = repo
            .commit(None, &commit.author(), committer, &message, &tree, &[&base])
            .map_err(GitError::git("write a replayed commit"))?;
        replayed += 1;
    }
    Ok(Ok(Replayed {
        tip: current,
        replayed,
    }))
}
