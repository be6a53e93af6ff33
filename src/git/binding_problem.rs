//! The ways a stored worktree binding can stop matching the repository, each with its fix. Nothing is ever
//! repaired silently: the user chooses rebind, recreate or a new session.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// One mismatch between a session's binding and the repository.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BindingProblem {
    /// The session branch no longer exists.
    BranchDeleted { branch: String },
    /// The session branch points at a commit we did not record (someone committed, reset or force-moved it).
    BranchMoved {
        branch: String,
        recorded: String,
        actual: String,
    },
    /// The worktree folder is gone.
    FolderMissing { path: PathBuf },
    /// The folder exists but is not a worktree of this repository (a plain folder, another repository, or a
    /// worktree git no longer knows about).
    NotAWorktree { path: PathBuf, detail: String },
    /// The folder is a worktree of this repository but has another branch (or a detached HEAD) checked out.
    WrongBranch {
        path: PathBuf,
        expected: String,
        actual: Option<String>,
    },
}

impl BindingProblem {
    /// One sentence saying what is wrong.
    pub fn describe(&self) -> String {
        match self {
            BindingProblem::BranchDeleted { branch } => {
                format!("the session branch {branch} was deleted")
            }
            BindingProblem::BranchMoved {
                branch,
                recorded,
                actual,
            } => format!(
                "the session branch {branch} was moved by someone else (recorded {}, now {})",
                short(recorded),
                short(actual)
            ),
            BindingProblem::FolderMissing { path } => {
                format!("the worktree folder {} is missing", path.display())
            }
            BindingProblem::NotAWorktree { path, detail } => format!(
                "{} is not a worktree of the space's repository ({detail})",
                path.display()
            ),
            BindingProblem::WrongBranch {
                path,
                expected,
                actual,
            } => format!(
                "the worktree {} has {} checked out instead of {expected}",
                path.display(),
                actual
                    .as_deref()
                    .map_or_else(|| "a detached HEAD".to_owned(), |b| format!("branch {b}"))
            ),
        }
    }

    /// How to fix it, naming the explicit operation (rebind, recreate, new session) or git command.
    pub fn remediation(&self) -> String {
        match self {
            BindingProblem::BranchDeleted { branch } => format!(
                "Start a new session, or restore the branch yourself (`git branch {branch} <commit>`) and rebind the session."
            ),
            BindingProblem::BranchMoved {
                branch, recorded, ..
            } => format!(
                "If the new commits on {branch} are wanted, rebind the session to accept them; otherwise move the branch back (`git -C <worktree> reset --keep {}`).",
                short(recorded)
            ),
            BindingProblem::FolderMissing { .. } => {
                "Recreate the worktree folder on the existing session branch, or start a new session.".to_owned()
            }
            BindingProblem::NotAWorktree { path, .. } => format!(
                "Move {} out of the way, then recreate the worktree; or start a new session.",
                path.display()
            ),
            BindingProblem::WrongBranch { path, expected, .. } => format!(
                "Switch it back (`git -C {} switch {expected}`), or start a new session.",
                path.display()
            ),
        }
    }

    pub(crate) fn describe_all(problems: &[BindingProblem]) -> String {
        let parts = problems.iter().map(Self::describe).collect::<Vec<_>>();
        if parts.is_empty() {
            "the worktree binding does not match the repository".to_owned()
        } else {
            parts.join("; ")
        }
    }
}

fn short(hex: &str) -> &str {
    hex.get(..12).unwrap_or(hex)
}
