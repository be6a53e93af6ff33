//! Context items, snapshots and typed context errors: a run's provenance.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::ids::{RunId, SnapshotId};
use super::space::ContextProviderKind;
use super::time::Timestamp;

/// One retrieved excerpt. `path` is relative to the space root and `/`-separated; lines are 1-based and
/// inclusive; `content_hash` is the blake3 hex of the whole file's bytes as read at retrieval time, which is
/// what staleness is later checked against.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContextItem {
    pub path: String,
    pub start_line: u32,
    pub end_line: u32,
    pub content_hash: String,
    pub score: f64,
    pub rank: u32,
    pub excerpt: String,
}

/// Why a context provider could not answer (docs/DESIGN.md, Context providers: precedence and
/// fallback).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContextErrorCode {
    ProviderUnavailable,
    UnsupportedProvider,
    InvalidQuery,
    InvalidRootPath,
    IoFailure,
    /// A provider answered with paths outside the space (`..`, absolute, `file://` elsewhere, Windows
    /// paths, symlinks leading out): those answers were dropped, never opened.
    PathOutsideSpace,
}

impl ContextErrorCode {
    pub const fn as_str(self) -> &'static str {
        match self {
            ContextErrorCode::ProviderUnavailable => "provider_unavailable",
            ContextErrorCode::UnsupportedProvider => "unsupported_provider",
            ContextErrorCode::InvalidQuery => "invalid_query",
            ContextErrorCode::InvalidRootPath => "invalid_root_path",
            ContextErrorCode::IoFailure => "io_failure",
            ContextErrorCode::PathOutsideSpace => "path_outside_space",
        }
    }
}

impl From<ContextErrorCode> for super::error_info::ErrorCode {
    fn from(code: ContextErrorCode) -> Self {
        use super::error_info::ErrorCode;
        match code {
            ContextErrorCode::ProviderUnavailable => ErrorCode::ProviderUnavailable,
            ContextErrorCode::UnsupportedProvider => ErrorCode::UnsupportedProvider,
            ContextErrorCode::InvalidQuery => ErrorCode::InvalidQuery,
            ContextErrorCode::InvalidRootPath => ErrorCode::InvalidRootPath,
            ContextErrorCode::IoFailure => ErrorCode::IoFailure,
            ContextErrorCode::PathOutsideSpace => ErrorCode::PathOutsideSpace,
        }
    }
}

impl fmt::Display for ContextErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A context failure as recorded on a run and shown in diagnostics.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{provider} context: {message}")]
pub struct ContextError {
    pub code: ContextErrorCode,
    pub message: String,
    pub remediation: String,
    pub retryable: bool,
    pub provider: ContextProviderKind,
}

impl ContextError {
    pub fn new(
        provider: ContextProviderKind,
        code: ContextErrorCode,
        message: impl Into<String>,
        remediation: impl Into<String>,
        retryable: bool,
    ) -> Self {
        Self {
            code,
            message: message.into(),
            remediation: remediation.into(),
            retryable,
            provider,
        }
    }
}

/// What a retrieval returned: the provider that answered, the fallback taken if any, and the items.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContextResult {
    pub provider: ContextProviderKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback_from: Option<ContextProviderKind>,
    pub items: Vec<ContextItem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ContextError>,
}

/// A run's recorded retrieval, stored in its own table. Never rewritten after it is recorded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContextSnapshot {
    pub id: SnapshotId,
    pub run_id: RunId,
    pub query: String,
    pub requested_provider: ContextProviderKind,
    pub provider: ContextProviderKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback_from: Option<ContextProviderKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ContextError>,
    pub items: Vec<ContextItem>,
    pub created_at: Timestamp,
    /// The folder the items' paths are relative to, when it is not the space's own: a session's worktree.
    /// Staleness hashes the files there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root: Option<std::path::PathBuf>,
}

impl ContextSnapshot {
    /// Each distinct file the snapshot drew from with the hash it had, in path order.
    pub fn sources(&self) -> Vec<(&str, &str)> {
        distinct_sources(
            self.items
                .iter()
                .map(|i| (i.path.as_str(), i.content_hash.as_str())),
        )
    }
}

/// The provenance of a snapshot without its excerpts: what staleness is derived from. Decoding a stored
/// snapshot into this skips the excerpt text, so a whole history list stays cheap to check.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotSources {
    #[serde(default)]
    pub items: Vec<SourceRef>,
    /// The snapshot's root when it is not the space's (see [`ContextSnapshot::root`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root: Option<std::path::PathBuf>,
}

/// One item's file and the hash it had at retrieval.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceRef {
    pub path: String,
    pub content_hash: String,
}

impl SnapshotSources {
    /// The distinct sources of `snapshot`, in path order.
    pub fn of(snapshot: &ContextSnapshot) -> Self {
        Self {
            items: snapshot
                .sources()
                .into_iter()
                .map(|(path, hash)| SourceRef {
                    path: path.to_owned(),
                    content_hash: hash.to_owned(),
                })
                .collect(),
            root: snapshot.root.clone(),
        }
    }

    /// Each distinct file with the hash it had, in path order (as [`ContextSnapshot::sources`]).
    pub fn sources(&self) -> Vec<(&str, &str)> {
        distinct_sources(
            self.items
                .iter()
                .map(|i| (i.path.as_str(), i.content_hash.as_str())),
        )
    }
}

/// `(path, hash)` pairs sorted by path, each once.
fn distinct_sources<'a>(
    pairs: impl Iterator<Item = (&'a str, &'a str)>,
) -> Vec<(&'a str, &'a str)> {
    let mut out: Vec<(&str, &str)> = pairs.collect();
    out.sort_unstable();
    out.dedup();
    out
}
