//! A pull request as the CLI prints it and the window shows it, and the GitHub JSON it is read from.

use serde::{Deserialize, Serialize};

use super::checks::ChecksSummary;

/// Open, closed without merging, or merged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrState {
    Open,
    Closed,
    Merged,
}

impl PrState {
    pub const fn as_str(self) -> &'static str {
        match self {
            PrState::Open => "open",
            PrState::Closed => "closed",
            PrState::Merged => "merged",
        }
    }
}

/// A pull request: the record the CLI's `--json` prints (`changes pr create|show`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequest {
    pub number: u64,
    /// The page a person opens (`html_url`).
    pub url: String,
    pub state: PrState,
    pub draft: bool,
    pub merged: bool,
    pub title: String,
    /// The head branch.
    pub head: String,
    pub head_sha: String,
    /// The base branch.
    pub base: String,
    /// The head commit's checks, when they were asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checks: Option<ChecksSummary>,
}

/// What creating a pull request sends (`POST /repos/{owner}/{repo}/pulls`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPullRequest {
    pub title: String,
    /// The branch with the change (`branch`, or `owner:branch` for a fork).
    pub head: String,
    /// The branch to merge into.
    pub base: String,
    pub body: String,
    pub draft: bool,
}

/// What updating a pull request sends (`PATCH …/pulls/{number}`); fields left `None` are not changed.
/// GitHub's REST API cannot turn a draft into a ready pull request (or back), so there is no `draft` here.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequestUpdate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
}

/// The fields of GitHub's pull request object that we read.
#[derive(Deserialize)]
pub(super) struct WirePull {
    number: u64,
    html_url: String,
    state: String,
    #[serde(default)]
    draft: bool,
    /// Only in the single-pull-request answer; lists carry `merged_at` alone.
    #[serde(default)]
    merged: Option<bool>,
    #[serde(default)]
    merged_at: Option<String>,
    title: String,
    head: WireRef,
    base: WireRef,
}

#[derive(Deserialize)]
struct WireRef {
    #[serde(rename = "ref")]
    name: String,
    #[serde(default)]
    sha: String,
}

impl From<WirePull> for PullRequest {
    fn from(wire: WirePull) -> Self {
        let merged = wire.merged.unwrap_or(wire.merged_at.is_some());
        let state = match (wire.state.as_str(), merged) {
            (_, true) => PrState::Merged,
            ("open", false) => PrState::Open,
            _ => PrState::Closed,
        };
        Self {
            number: wire.number,
            url: wire.html_url,
            state,
            draft: wire.draft,
            merged,
            title: wire.title,
            head: wire.head.name,
            head_sha: wire.head.sha,
            base: wire.base.name,
            checks: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_json_becomes_the_record() {
        let listed: WirePull = serde_json::from_value(serde_json::json!({
            "number": 7, "html_url": "https://github.com/o/r/pull/7", "state": "closed",
            "merged_at": "2026-01-01T00:00:00Z", "title": "T", "draft": false,
            "head": {"ref": "kata/s1", "sha": "abc"}, "base": {"ref": "main", "sha": "def"},
            "user": {"login": "octo"}
        }))
        .unwrap();
        let pr = PullRequest::from(listed);
        assert_eq!((pr.state, pr.merged), (PrState::Merged, true));
        assert_eq!(
            serde_json::to_value(&pr).unwrap(),
            serde_json::json!({
                "number": 7, "url": "https://github.com/o/r/pull/7", "state": "merged", "draft": false,
                "merged": true, "title": "T", "head": "kata/s1", "head_sha": "abc", "base": "main"
            })
        );
        assert_eq!(
            serde_json::to_value(PullRequestUpdate {
                body: Some("b".into()),
                ..Default::default()
            })
            .unwrap(),
            serde_json::json!({"body": "b"})
        );
    }
}
