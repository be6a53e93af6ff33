//! The one error type of the git layer: every failure has a stable code, a remediation and whether retrying
//! unchanged can succeed, so the CLI, the application API and the window report it the same way.

use std::path::PathBuf;

use super::binding_problem::BindingProblem;

/// A git operation that did not happen. Nothing is left half-done when one of these is returned (each
/// operation documents how it guarantees that in `docs/GIT.md`).
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// An argument the caller passed is unusable (a slug that makes no branch name, a relative path).
    /// Not retryable: fix the input.
    #[error("invalid {what}: {message}")]
    InvalidInput { what: &'static str, message: String },
    /// The directory is not inside a git repository. Not retryable.
    #[error("{} is not inside a git repository", path.display())]
    NotARepository { path: PathBuf },
    /// A session's stored binding no longer matches the repository. Not retryable: rebind, recreate or
    /// start a new session, as each problem's remediation says.
    #[error("{}", BindingProblem::describe_all(problems))]
    WorktreeBinding { problems: Vec<BindingProblem> },
    /// A branch the operation would create already exists; it is never reused silently. Not retryable.
    #[error("branch {branch} already exists")]
    BranchExists { branch: String },
    /// A branch the operation needs does not exist. Not retryable.
    #[error("branch {branch} does not exist")]
    BranchNotFound { branch: String },
    /// The folder a worktree would be created in already exists and is not empty. Not retryable.
    #[error("{} already exists and is not empty", path.display())]
    PathOccupied { path: PathBuf },
    /// The session's worktree has uncommitted changes and the operation would lose or ignore them.
    /// Not retryable as is: commit or discard them, or force when `can_force` (the changes are then
    /// committed first).
    #[error("{} has uncommitted changes: {}", path.display(), list(files))]
    DirtyWorktree {
        path: PathBuf,
        files: Vec<String>,
        can_force: bool,
    },
    /// The user's checkout has uncommitted changes in files a merge would touch. Not retryable as is.
    #[error("your checkout {} has uncommitted changes in files the merge would touch: {}", path.display(), list(files))]
    DirtyCheckout { path: PathBuf, files: Vec<String> },
    /// A checkout is in the middle of a merge, rebase, cherry-pick or similar. Not retryable as is.
    #[error("{} is in the middle of a {state}", path.display())]
    CheckoutBusy { path: PathBuf, state: String },
    /// Merging would conflict; nothing was changed anywhere. Not retryable as is.
    #[error("merging {from} into {into} conflicts in: {}", list(files))]
    MergeConflict {
        from: String,
        into: String,
        files: Vec<String>,
    },
    /// There is nothing to bring over: the branch is already contained in the target. Not retryable.
    #[error("{from} is already contained in {into}")]
    NothingToMerge { from: String, into: String },
    /// A commit would record no change. Not retryable: stage something first.
    #[error("nothing to commit: the staged tree equals the branch's last commit")]
    EmptyCommit,
    /// The commit message is empty once whitespace is removed. Not retryable.
    #[error("the commit message is empty")]
    EmptyMessage,
    /// The git configuration lacks the identity commits are made with. Not retryable.
    #[error("the git configuration does not set {}", missing.join(" or "))]
    IdentityMissing { missing: Vec<&'static str> },
    /// The path has no change of the requested kind (staged or unstaged). Not retryable.
    #[error("{path} has no {kind} change")]
    NoChange { path: String, kind: &'static str },
    /// The hunk the caller named is not (or no longer) in the file's diff: the file changed since the
    /// diff was shown. Retryable after reloading the diff.
    #[error(
        "hunk {index} of {path} is not {expected_header:?} any more (the file changed since the diff was read)"
    )]
    HunkStale {
        path: String,
        index: usize,
        expected_header: String,
    },
    /// The change cannot be split into hunks (binary, rename, mode-only, submodule). Not retryable.
    #[error("{path}: {reason}")]
    HunkUnsupported { path: String, reason: String },
    /// A branch moved between reading and updating it (someone else committed). Nothing was changed.
    /// Retryable.
    #[error("{reference} moved while the operation ran (expected {expected}, found {actual})")]
    RefMoved {
        reference: String,
        expected: String,
        actual: String,
    },
    /// The repository has no remote of that name. Not retryable.
    #[error("the repository has no remote named {remote}")]
    NoRemote { remote: String },
    /// The remote refused the push (non-fast-forward, protected branch, hook). Not retryable as is.
    #[error("{remote} rejected the push of {branch}: {reason}")]
    PushRejected {
        remote: String,
        branch: String,
        reason: String,
        non_fast_forward: bool,
    },
    /// The remote asked for credentials that were missing or refused. Not retryable as is.
    #[error("authentication to {remote} failed: {detail}")]
    PushAuth { remote: String, detail: String },
    /// The remote could not be reached (DNS, refused connection, timeout). Retryable.
    #[error("could not reach {remote}: {detail}")]
    Network { remote: String, detail: String },
    /// The `git` program could not be started. Not retryable until it is installed.
    #[error("could not run git: {detail}")]
    GitNotInstalled { detail: String },
    /// `git` ran and failed in a way not classified above. Not retryable as is.
    #[error("git {command} failed: {stderr}")]
    GitCommand { command: String, stderr: String },
    /// libgit2 reported a failure. Not retryable as is.
    #[error("{operation}: {source}")]
    Git {
        operation: String,
        #[source]
        source: git2::Error,
    },
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn list(files: &[String]) -> String {
    const SHOWN: usize = 20;
    let mut text = files
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if files.len() > SHOWN {
        text.push_str(&format!(" and {} more", files.len() - SHOWN));
    }
    text
}

impl GitError {
    /// The contract's snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            GitError::InvalidInput { .. } => "invalid_input",
            GitError::NotARepository { .. } => "not_a_repository",
            GitError::WorktreeBinding { .. } => "worktree_binding",
            GitError::BranchExists { .. } => "branch_exists",
            GitError::BranchNotFound { .. } => "branch_not_found",
            GitError::PathOccupied { .. } => "path_occupied",
            GitError::DirtyWorktree { .. } => "dirty_worktree",
            GitError::DirtyCheckout { .. } => "dirty_checkout",
            GitError::CheckoutBusy { .. } => "checkout_busy",
            GitError::MergeConflict { .. } => "merge_conflict",
            GitError::NothingToMerge { .. } => "nothing_to_merge",
            GitError::EmptyCommit => "empty_commit",
            GitError::EmptyMessage => "empty_message",
            GitError::IdentityMissing { .. } => "git_identity",
            GitError::NoChange { .. } => "no_change",
            GitError::HunkStale { .. } => "hunk_stale",
            GitError::HunkUnsupported { .. } => "hunk_unsupported",
            GitError::RefMoved { .. } => "ref_moved",
            GitError::NoRemote { .. } => "no_remote",
            GitError::PushRejected { .. } => "push_rejected",
            GitError::PushAuth { .. } => "push_auth",
            GitError::Network { .. } => "network",
            GitError::GitNotInstalled { .. } => "git_not_installed",
            GitError::GitCommand { .. } | GitError::Git { .. } => "git_failure",
            GitError::Io { .. } => "io",
        }
    }

    /// Whether the same call can succeed later without the user changing anything.
    pub fn retryable(&self) -> bool {
        matches!(
            self,
            GitError::HunkStale { .. } | GitError::RefMoved { .. } | GitError::Network { .. }
        )
    }

    /// What the user can do about it, naming the commands where there is one.
    pub fn remediation(&self) -> String {
        match self {
            GitError::InvalidInput { what, .. } => format!("Correct the {what} and try again."),
            GitError::NotARepository { path } => format!(
                "Run `git init` in {} (or link a folder inside a git repository) to use sessions with worktrees.",
                path.display()
            ),
            GitError::WorktreeBinding { problems } => problems
                .iter()
                .map(BindingProblem::remediation)
                .collect::<Vec<_>>()
                .join(" "),
            GitError::BranchExists { branch } => format!(
                "Choose another session name, or delete the old branch if you no longer need it (`git branch -D {branch}`)."
            ),
            GitError::BranchNotFound { branch } => format!(
                "Create the branch {branch} or choose an existing one (`git branch --list`)."
            ),
            GitError::PathOccupied { path } => format!(
                "Move or delete {} first, or choose another session name.",
                path.display()
            ),
            GitError::DirtyWorktree { can_force: true, .. } => {
                "Commit or discard the changes first, or force the operation (the changes are then committed to the session branch first)."
                    .to_owned()
            }
            GitError::DirtyWorktree { .. } => {
                "Commit or discard the session's uncommitted changes first.".to_owned()
            }
            GitError::DirtyCheckout { path, .. } => format!(
                "Commit or stash those files in {} (`git stash`), then merge again.",
                path.display()
            ),
            GitError::CheckoutBusy { path, .. } => format!(
                "Finish or abort it in {} (`git merge --abort`, `git rebase --abort`), then try again.",
                path.display()
            ),
            GitError::MergeConflict { .. } => {
                "Nothing was changed. Bring the base into the session (`changes update`) and resolve the conflicts there, or edit the conflicting files so they no longer overlap."
                    .to_owned()
            }
            GitError::NothingToMerge { .. } => "Nothing to do.".to_owned(),
            GitError::EmptyCommit => "Stage the changes to commit first.".to_owned(),
            GitError::EmptyMessage => "Write a commit message.".to_owned(),
            GitError::IdentityMissing { missing } => {
                let commands = missing
                    .iter()
                    .map(|key| match *key {
                        "user.email" => "`git config --global user.email you@example.com`".to_owned(),
                        _ => format!("`git config --global {key} \"Your Name\"`"),
                    })
                    .collect::<Vec<_>>();
                format!("Run {}.", commands.join(" and "))
            }
            GitError::NoChange { .. } => "Reload the list of changes.".to_owned(),
            GitError::HunkStale { .. } => "Reload the file's diff and choose the hunk again.".to_owned(),
            GitError::HunkUnsupported { .. } => "Stage or unstage the whole file instead.".to_owned(),
            GitError::RefMoved { .. } => "Try again; the branch has new commits.".to_owned(),
            GitError::NoRemote { remote } => format!(
                "Add the remote (`git remote add {remote} URL`) in the space's repository."
            ),
            GitError::PushRejected {
                non_fast_forward: true,
                branch,
                ..
            } => format!(
                "The remote {branch} has commits the session does not; fetch and bring them in, or push with force-with-lease if the session branch was rebased on purpose."
            ),
            GitError::PushRejected { .. } => {
                "Check the remote's branch protection and hooks (the message above says why).".to_owned()
            }
            GitError::PushAuth { remote, .. } => format!(
                "Check your credentials for {remote}: `git push` from a terminal must work without a prompt (credential helper, SSH agent)."
            ),
            GitError::Network { .. } => "Check the network and the remote URL, then try again.".to_owned(),
            GitError::GitNotInstalled { .. } => "Install git and make sure it is on PATH.".to_owned(),
            GitError::GitCommand { .. } | GitError::Git { .. } => {
                "Check the repository with `git status` and `git fsck`; the message above names the failing step."
                    .to_owned()
            }
            GitError::Io { path, .. } => format!(
                "Check that {} is readable and writable and the disk is not full.",
                path.display()
            ),
        }
    }

    /// A libgit2 failure during `operation`.
    pub(crate) fn git(operation: impl Into<String>) -> impl FnOnce(git2::Error) -> GitError {
        let operation = operation.into();
        move |source| GitError::Git { operation, source }
    }

    /// A file-system failure on `path`.
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> GitError {
        let path = path.into();
        move |source| GitError::Io { path, source }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_remediation_names_each_missing_key_as_a_command() {
        let both = GitError::IdentityMissing {
            missing: vec!["user.name", "user.email"],
        };
        assert_eq!(
            both.remediation(),
            "Run `git config --global user.name \"Your Name\"` and `git config --global user.email you@example.com`."
        );
        assert_eq!(
            both.to_string(),
            "the git configuration does not set user.name or user.email"
        );
        let one = GitError::IdentityMissing {
            missing: vec!["user.email"],
        };
        assert_eq!(
            one.remediation(),
            "Run `git config --global user.email you@example.com`."
        );
    }

    #[test]
    fn long_file_lists_are_cut() {
        let files = (0..25).map(|i| format!("f{i}")).collect::<Vec<_>>();
        let err = GitError::MergeConflict {
            from: "kata/a".into(),
            into: "main".into(),
            files,
        };
        assert!(err.to_string().ends_with("f19 and 5 more"), "{err}");
        assert_eq!(err.code(), "merge_conflict");
        assert!(!err.retryable());
    }
}
