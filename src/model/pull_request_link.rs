//! What a session remembers about its pull request: where its branch was pushed and, once GitHub accepted
//! it, the pull request's number and page. Stored with the session so running `changes pr create` again
//! updates the same pull request, and so a push whose pull request failed is reported as exactly that.

use serde::{Deserialize, Serialize};

use super::error_info::ErrorInfo;
use super::time::Timestamp;

/// How far publishing got.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PublishState {
    /// The branch is on the remote, but no pull request exists for it yet (creating it failed, or was
    /// never reached): running the command again retries.
    Pushed,
    /// GitHub holds a pull request for the branch (`number`, `url`).
    Published,
}

impl PublishState {
    pub const fn as_str(self) -> &'static str {
        match self {
            PublishState::Pushed => "pushed",
            PublishState::Published => "published",
        }
    }
}

/// The session's pushed branch and pull request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequestLink {
    pub state: PublishState,
    /// The git remote pushed to (`origin`).
    pub remote: String,
    /// `owner/repo` on GitHub.
    pub repo: String,
    /// The host of the remote URL (`github.com`, an Enterprise host).
    pub host: String,
    /// The pushed branch (the session branch).
    pub branch: String,
    /// The branch the pull request merges into.
    pub base: String,
    /// The commit last pushed; full hex.
    pub pushed_commit: String,
    pub pushed_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Why the last attempt to create or update the pull request failed (cleared on success).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<ErrorInfo>,
}
