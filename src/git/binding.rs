//! What a session stores about its worktree, so every later run can check that the worktree is still the one
//! it made (see `docs/GIT.md`, "Binding rules").

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::GitError;

/// The link between a session and its worktree. Stored with the session; checked before every run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorktreeBinding {
    /// Absolute path of the worktree folder (`<data_dir>/worktrees/<space>/<session-slug>`).
    pub path: PathBuf,
    /// The session branch's short name (`kata/<session-slug>`).
    pub branch: String,
    /// The user's branch the session started from and merges back into (short name).
    pub base_branch: String,
    /// The base branch's commit the session started from, or last brought in (`changes update`); full hex.
    pub base_commit: String,
    /// The session branch's tip as last recorded by us; full hex. Anything else on the branch was put there
    /// by someone else, and runs refuse until the user rebinds.
    pub head: String,
}

impl WorktreeBinding {
    /// The session branch's full reference name.
    pub fn branch_ref(&self) -> String {
        format!("refs/heads/{}", self.branch)
    }

    /// The base branch's full reference name.
    pub fn base_ref(&self) -> String {
        format!("refs/heads/{}", self.base_branch)
    }

    /// The recorded head as an object id (a damaged stored value is an `invalid_input` error, not a panic).
    pub fn head_oid(&self) -> Result<git2::Oid, GitError> {
        parse_oid("binding head", &self.head)
    }

    /// The base commit as an object id.
    pub fn base_oid(&self) -> Result<git2::Oid, GitError> {
        parse_oid("binding base commit", &self.base_commit)
    }

    /// The same binding with a new recorded head: what a caller stores after one of our own operations moved
    /// the session branch (a commit, a forced save, an update).
    pub fn with_head(&self, head: git2::Oid) -> WorktreeBinding {
        WorktreeBinding {
            head: head.to_string(),
            ..self.clone()
        }
    }

    /// The worktree folder (where agents run and the Changes view looks).
    pub fn worktree_path(&self) -> &Path {
        &self.path
    }
}

fn parse_oid(what: &'static str, hex: &str) -> Result<git2::Oid, GitError> {
    if hex.len() != 40 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(GitError::InvalidInput {
            what,
            message: format!("{hex:?} is not a full 40-digit commit id"),
        });
    }
    git2::Oid::from_str(hex).map_err(|e| GitError::InvalidInput {
        what,
        message: e.message().to_owned(),
    })
}
