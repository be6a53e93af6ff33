//! Spaces (linked repositories) and sessions (conversations inside a space).

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::ids::{SessionId, SpaceId};
use super::time::Timestamp;

/// Where a run's context comes from. Precedence: session override > space default > filesystem.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum ContextProviderKind {
    #[default]
    Filesystem,
    Mcp,
}

impl ContextProviderKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            ContextProviderKind::Filesystem => "filesystem",
            ContextProviderKind::Mcp => "mcp",
        }
    }
}

impl fmt::Display for ContextProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ContextProviderKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "filesystem" => Ok(Self::Filesystem),
            "mcp" => Ok(Self::Mcp),
            other => Err(format!(
                "unknown context provider {other:?}: use \"filesystem\" or \"mcp\""
            )),
        }
    }
}

/// The git repository behind a space, when there is one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoInfo {
    pub origin: Option<String>,
    pub default_branch: Option<String>,
}

/// A linked directory: usually a git repository.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Space {
    pub id: SpaceId,
    pub name: String,
    /// Absolute, canonical path of the directory.
    pub root_path: PathBuf,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<RepoInfo>,
    pub context_provider: ContextProviderKind,
    /// Command line that starts the space's MCP server over stdio (`context_provider = mcp`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mcp_command: Option<String>,
    /// The command the verifier runs to check the work (`cargo test`, ...); when unset, the spec's
    /// Verification Plan or the project's files decide.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_command: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The link between a session and its worktree. Stored with the session; checked before every run (see
/// `docs/GIT.md`, "The binding and its rules").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorktreeBinding {
    /// Absolute path of the worktree folder (`<data_dir>/worktrees/<space>/<session-slug>`).
    pub path: PathBuf,
    /// The session branch's short name (`kata/<session-slug>`).
    pub branch: String,
    /// The user's branch the session started from and merges back into (short name).
    pub base_branch: String,
    /// The base branch's commit the session started from, or last brought in; full hex.
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

    /// The worktree folder (where agents run and the Changes view looks).
    pub fn worktree_path(&self) -> &std::path::Path {
        &self.path
    }
}

/// A conversation in a space: it owns the spec, its runs and, in a git space, its worktree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub id: SessionId,
    pub space_id: SpaceId,
    pub label: String,
    /// Overrides the space's context provider for runs in this session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_provider: Option<ContextProviderKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worktree: Option<WorktreeBinding>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// When a run last started in this session: a run that names no session goes to the most recent.
    pub last_used_at: Timestamp,
    /// Archived sessions are kept with their history but leave the session lists and are never chosen
    /// for a run that names no session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived_at: Option<Timestamp>,
}

impl Session {
    pub fn is_archived(&self) -> bool {
        self.archived_at.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_kind_parses_and_prints() {
        assert_eq!(
            "mcp".parse::<ContextProviderKind>(),
            Ok(ContextProviderKind::Mcp)
        );
        assert_eq!(ContextProviderKind::Filesystem.to_string(), "filesystem");
        let err = "git".parse::<ContextProviderKind>().unwrap_err();
        assert!(err.contains("\"git\""), "{err}");
    }
}
