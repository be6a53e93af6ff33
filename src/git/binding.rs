//! What a session stores about its worktree, so every later run can check that the worktree is still the one
//! it made (see `docs/GIT.md`, "Binding rules").

use super::error::GitError;

pub use crate::model::WorktreeBinding;

/// The binding's commit ids as git objects (the record keeps them as text).
pub trait BindingOids {
    /// The recorded head as an object id (a damaged stored value is an `invalid_input` error, not a panic).
    fn head_oid(&self) -> Result<git2::Oid, GitError>;
    /// The base commit as an object id.
    fn base_oid(&self) -> Result<git2::Oid, GitError>;
    /// The same binding with a new recorded head: what a caller stores after one of our own operations
    /// moved the session branch (a commit, a forced save, an update).
    fn with_head(&self, head: git2::Oid) -> WorktreeBinding;
}

impl BindingOids for WorktreeBinding {
    fn head_oid(&self) -> Result<git2::Oid, GitError> {
        parse_oid("binding head", &self.head)
    }

    fn base_oid(&self) -> Result<git2::Oid, GitError> {
        parse_oid("binding base commit", &self.base_commit)
    }

    fn with_head(&self, head: git2::Oid) -> WorktreeBinding {
        WorktreeBinding {
            head: head.to_string(),
            ..self.clone()
        }
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
