//! Builds the list of changed files between two states of a worktree: libgit2 computes the raw changes and
//! the hunks (it reads the index, the working tree with its filters, and the object database), then type
//! changes are folded and renames found the way git finds them. Reading never writes the index.

use git2::{Delta, Oid, Patch, Repository};

use super::diff_settings::{DiffSettings, RenameMode};
use super::error::GitError;
use super::file_pair::{ChangeStatus, FilePair, PatchBody, Side};
use super::rename_detection::{Pairing, Source, copy_flags, detect};
use super::repo_path::fs_path;
use super::similarity::{Candidate, looks_binary, percent};

/// Which two states to compare.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Comparison {
    /// HEAD → index: what is staged (`git diff --cached`).
    HeadToIndex,
    /// index → working tree: what is not staged (`git diff`), with untracked files when asked.
    IndexToWorkdir { untracked: Untracked },
    /// A commit → working tree, through the index (`git diff <commit>`).
    TreeToWorkdir { base: Oid },
}

/// How untracked files are listed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Untracked {
    Hidden,
    /// Every untracked file (`--untracked-files=all`).
    Files,
    /// An untracked directory as one entry ending in `/` (`--untracked-files=normal`).
    Directories,
}

/// The changed files of `comparison`, in git's order (by path; a rename at its new path).
pub(crate) fn collect_pairs(
    repo: &Repository,
    comparison: Comparison,
    settings: &DiffSettings,
    renames: RenameMode,
    rename_limit: usize,
) -> Result<Vec<FilePair>, GitError> {
    let mut options = settings.diff_options();
    let diff = match comparison {
        Comparison::HeadToIndex => {
            // No index passed: libgit2 then loads the repository's index and re-reads it if the file changed,
            // so a long-lived repository handle never answers from a stale index.
            let head = head_tree(repo)?;
            repo.diff_tree_to_index(head.as_ref(), None, Some(&mut options))
        }
        Comparison::IndexToWorkdir { untracked } => {
            if untracked != Untracked::Hidden {
                options
                    .include_untracked(true)
                    .show_untracked_content(true)
                    .recurse_untracked_dirs(untracked == Untracked::Files);
            }
            repo.diff_index_to_workdir(None, Some(&mut options))
        }
        Comparison::TreeToWorkdir { base } => {
            let tree = repo
                .find_commit(base)
                .and_then(|c| c.tree())
                .map_err(GitError::git(format!("read the base commit {base}")))?;
            repo.diff_tree_to_workdir_with_index(Some(&tree), Some(&mut options))
        }
    }
    .map_err(GitError::git("compute the changes"))?;

    let mut pairs = Vec::with_capacity(diff.deltas().len());
    for i in 0..diff.deltas().len() {
        if let Some(pair) = raw_pair(&diff, i)? {
            pairs.push(pair);
        }
    }
    let pairs = fold_type_changes(pairs);
    find_renames(repo, pairs, settings, renames, rename_limit)
}

fn head_tree(repo: &Repository) -> Result<Option<git2::Tree<'_>>, GitError> {
    match repo.head() {
        Ok(head) => Ok(Some(
            head.peel_to_tree()
                .map_err(GitError::git("read the last commit's tree"))?,
        )),
        Err(e)
            if matches!(
                e.code(),
                git2::ErrorCode::UnbornBranch | git2::ErrorCode::NotFound
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(GitError::git("read HEAD")(e)),
    }
}

fn raw_pair(diff: &git2::Diff<'_>, i: usize) -> Result<Option<FilePair>, GitError> {
    let patch = Patch::from_diff(diff, i).map_err(GitError::git("compute a file's diff"))?;
    let body = match &patch {
        Some(patch) => PatchBody::from_patch(patch).map_err(GitError::git("read a file's diff"))?,
        None => PatchBody::default(),
    };
    let delta = match &patch {
        Some(patch) => patch.delta(),
        None => diff.get_delta(i).ok_or_else(|| {
            GitError::git("read a change")(git2::Error::from_str("missing delta"))
        })?,
    };
    let binary = body.binary || delta.flags().is_binary();
    let side = |file: git2::DiffFile<'_>| Side {
        path: file.path_bytes().unwrap_or_default().to_vec(),
        mode: u32::from(file.mode()),
        oid: file.id(),
    };
    let (status, old, new) = match delta.status() {
        Delta::Added => (ChangeStatus::Added, None, Some(side(delta.new_file()))),
        Delta::Deleted => (ChangeStatus::Deleted, Some(side(delta.old_file())), None),
        Delta::Modified => (
            ChangeStatus::Modified,
            Some(side(delta.old_file())),
            Some(side(delta.new_file())),
        ),
        Delta::Untracked | Delta::Unreadable => {
            (ChangeStatus::Untracked, None, Some(side(delta.new_file())))
        }
        Delta::Conflicted => (
            ChangeStatus::Conflicted,
            Some(side(delta.old_file())),
            Some(side(delta.new_file())),
        ),
        Delta::Typechange => (
            ChangeStatus::TypeChange,
            Some(side(delta.old_file())),
            Some(side(delta.new_file())),
        ),
        Delta::Renamed | Delta::Copied | Delta::Unmodified | Delta::Ignored => return Ok(None),
    };
    let mut body = body;
    body.binary = binary;
    Ok(Some(FilePair {
        status,
        old,
        new,
        similarity: None,
        bodies: vec![body],
    }))
}

/// libgit2 reports a change of file type (file ↔ symlink) as a deletion followed by an addition of the same
/// path; git lists it as one type change (and prints both halves in its diff).
fn fold_type_changes(pairs: Vec<FilePair>) -> Vec<FilePair> {
    let mut out: Vec<FilePair> = Vec::with_capacity(pairs.len());
    for pair in pairs {
        if let Some(previous) = out.last_mut()
            && previous.status == ChangeStatus::Deleted
            && matches!(pair.status, ChangeStatus::Added | ChangeStatus::Untracked)
            && previous.path() == pair.path()
        {
            previous.status = ChangeStatus::TypeChange;
            previous.new = pair.new;
            previous.bodies.extend(pair.bodies);
            continue;
        }
        out.push(pair);
    }
    out
}

fn find_renames(
    repo: &Repository,
    pairs: Vec<FilePair>,
    settings: &DiffSettings,
    mode: RenameMode,
    limit: usize,
) -> Result<Vec<FilePair>, GitError> {
    if mode == RenameMode::Off {
        return Ok(pairs);
    }
    let is_source = |p: &FilePair| {
        p.status == ChangeStatus::Deleted
            || (mode == RenameMode::Copies && p.status == ChangeStatus::Modified)
    };
    let workdir = repo.workdir().map(std::path::Path::to_owned);
    let mut source_at = Vec::new();
    let mut sources = Vec::new();
    for (i, pair) in pairs.iter().enumerate() {
        let Some(old) = pair.old.as_ref().filter(|_| is_source(pair)) else {
            continue;
        };
        let data = blob_bytes(repo, old.oid)?.unwrap_or_default();
        source_at.push(i);
        sources.push(Source {
            candidate: candidate(old, data),
            remains: pair.status == ChangeStatus::Modified,
        });
    }
    let mut dest_at = Vec::new();
    let mut dests = Vec::new();
    for (i, pair) in pairs.iter().enumerate() {
        let Some(new) = pair
            .new
            .as_ref()
            .filter(|_| pair.status == ChangeStatus::Added)
        else {
            continue;
        };
        if sources.is_empty() {
            break;
        }
        let data = match blob_bytes(repo, new.oid)? {
            Some(data) => data,
            None if !pair.binary() => pair
                .bodies
                .first()
                .map(PatchBody::added_content)
                .unwrap_or_default(),
            None => read_worktree_file(workdir.as_deref(), &new.path, new.mode)?,
        };
        let mut side = new.clone();
        if side.oid.is_zero() {
            side.oid = Oid::hash_object(git2::ObjectType::Blob, &data)
                .map_err(GitError::git("hash a file"))?;
        }
        dest_at.push(i);
        dests.push(candidate(&side, data));
    }
    if sources.is_empty() || dests.is_empty() {
        return Ok(pairs);
    }
    let pairings = detect(&sources, &dests, mode, limit);
    if pairings.is_empty() {
        return Ok(pairs);
    }
    rebuild_queue(
        pairs, &source_at, &dest_at, &sources, &dests, &pairings, settings,
    )
}

fn candidate(side: &Side, data: Vec<u8>) -> Candidate {
    let binary = looks_binary(&data);
    Candidate::new(side.path.clone(), side.mode, side.oid, data, binary)
}

/// Replaces each matched addition with the rename (or copy) pair and drops the deletions that were renamed.
fn rebuild_queue(
    pairs: Vec<FilePair>,
    source_at: &[usize],
    dest_at: &[usize],
    sources: &[Source],
    dests: &[Candidate],
    pairings: &[Pairing],
    settings: &DiffSettings,
) -> Result<Vec<FilePair>, GitError> {
    let by_queue_dst = pairings
        .iter()
        .map(|p| (dest_at[p.dst], *p))
        .collect::<std::collections::BTreeMap<_, _>>();
    let consumed_sources = pairings
        .iter()
        .filter(|p| !sources[p.src].remains)
        .map(|p| source_at[p.src])
        .collect::<std::collections::BTreeSet<_>>();
    let in_order = by_queue_dst.values().copied().collect::<Vec<_>>();
    let copies = copy_flags(&in_order, sources);
    let is_copy = in_order
        .iter()
        .zip(copies)
        .map(|(p, c)| (p.dst, c))
        .collect::<std::collections::HashMap<_, _>>();
    let mut out = Vec::with_capacity(pairs.len());
    for (i, pair) in pairs.into_iter().enumerate() {
        if consumed_sources.contains(&i) {
            continue;
        }
        let Some(pairing) = by_queue_dst.get(&i) else {
            out.push(pair);
            continue;
        };
        let src = &sources[pairing.src].candidate;
        let dst = &dests[pairing.dst];
        let mut options = settings.diff_options();
        let patch = Patch::from_buffers(&src.data, None, &dst.data, None, Some(&mut options))
            .map_err(GitError::git("compute a renamed file's diff"))?;
        let mut body =
            PatchBody::from_patch(&patch).map_err(GitError::git("read a renamed file's diff"))?;
        body.binary = src.binary || dst.binary;
        out.push(FilePair {
            status: if is_copy.get(&pairing.dst).copied().unwrap_or(false) {
                ChangeStatus::Copied
            } else {
                ChangeStatus::Renamed
            },
            old: Some(Side {
                path: src.path.clone(),
                mode: src.mode,
                oid: src.oid,
            }),
            new: Some(Side {
                path: dst.path.clone(),
                mode: dst.mode,
                oid: dst.oid,
            }),
            similarity: Some(percent(pairing.score)),
            bodies: vec![body],
        });
    }
    Ok(out)
}

/// A blob's bytes, or `None` when the object database does not have it (a working-tree version).
pub(crate) fn blob_bytes(repo: &Repository, oid: Oid) -> Result<Option<Vec<u8>>, GitError> {
    if oid.is_zero() {
        return Ok(None);
    }
    match repo.find_blob(oid) {
        Ok(blob) => Ok(Some(blob.content().to_vec())),
        Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
        Err(e) => Err(GitError::git(format!("read blob {oid}"))(e)),
    }
}

fn read_worktree_file(
    workdir: Option<&std::path::Path>,
    path: &[u8],
    mode: u32,
) -> Result<Vec<u8>, GitError> {
    let Some(workdir) = workdir else {
        return Ok(Vec::new());
    };
    let full = fs_path(workdir, path);
    if mode == 0o120000 {
        let target = std::fs::read_link(&full).map_err(GitError::io(&full))?;
        return Ok(target.into_os_string().into_encoded_bytes());
    }
    std::fs::read(&full).map_err(GitError::io(&full))
}
