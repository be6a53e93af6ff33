//! The checks on a pull request's head commit, summarised: GitHub has two kinds (check runs from Actions and
//! apps, commit statuses from older integrations) and a pull request's page shows both, so we do too.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Where a check came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckSource {
    CheckRun,
    Status,
}

/// How one check stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckState {
    Pending,
    Passed,
    Failed,
    /// Neutral, skipped or stale: finished without a verdict.
    Neutral,
}

/// How all checks stand together: any failure fails, else anything pending is pending.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChecksState {
    /// No checks reported (yet).
    None,
    Pending,
    Success,
    Failure,
}

/// One check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckItem {
    pub name: String,
    pub source: CheckSource,
    pub state: CheckState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// The checks of one commit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecksSummary {
    pub state: ChecksState,
    pub total: usize,
    pub passed: usize,
    pub failed: usize,
    pub pending: usize,
    pub neutral: usize,
    pub checks: Vec<CheckItem>,
}

impl ChecksSummary {
    /// Summarises the answers of `GET …/commits/{sha}/check-runs` and `GET …/commits/{sha}/status`.
    pub fn from_answers(check_runs: &Value, status: &Value) -> Self {
        let runs = check_runs
            .get("check_runs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|run| CheckItem {
                name: text(run, "name"),
                source: CheckSource::CheckRun,
                state: run_state(
                    run.get("status").and_then(Value::as_str),
                    run.get("conclusion").and_then(Value::as_str),
                ),
                url: run
                    .get("html_url")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            });
        let statuses = status
            .get("statuses")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|s| CheckItem {
                name: text(s, "context"),
                source: CheckSource::Status,
                state: match s.get("state").and_then(Value::as_str) {
                    Some("success") => CheckState::Passed,
                    Some("failure" | "error") => CheckState::Failed,
                    _ => CheckState::Pending,
                },
                url: s
                    .get("target_url")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            });
        Self::of(runs.chain(statuses).collect())
    }

    fn of(mut checks: Vec<CheckItem>) -> Self {
        checks.sort_by(|a, b| a.name.cmp(&b.name));
        let count = |state| checks.iter().filter(|c| c.state == state).count();
        let (passed, failed, pending, neutral) = (
            count(CheckState::Passed),
            count(CheckState::Failed),
            count(CheckState::Pending),
            count(CheckState::Neutral),
        );
        let state = if failed > 0 {
            ChecksState::Failure
        } else if pending > 0 {
            ChecksState::Pending
        } else if checks.is_empty() {
            ChecksState::None
        } else {
            ChecksState::Success
        };
        Self {
            state,
            total: checks.len(),
            passed,
            failed,
            pending,
            neutral,
            checks,
        }
    }
}

fn text(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned()
}

fn run_state(status: Option<&str>, conclusion: Option<&str>) -> CheckState {
    if status != Some("completed") {
        return CheckState::Pending;
    }
    match conclusion {
        Some("success") => CheckState::Passed,
        Some("neutral" | "skipped" | "stale") => CheckState::Neutral,
        Some(_) => CheckState::Failed,
        None => CheckState::Pending,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn runs_and_statuses_are_summarised_together() {
        let runs = json!({"total_count": 4, "check_runs": [
            {"name": "test", "status": "completed", "conclusion": "success", "html_url": "https://x/1"},
            {"name": "lint", "status": "completed", "conclusion": "skipped"},
            {"name": "e2e", "status": "in_progress", "conclusion": null},
            {"name": "build", "status": "completed", "conclusion": "timed_out"}
        ]});
        let status = json!({"state": "pending", "statuses": [
            {"context": "ci/legacy", "state": "success", "target_url": "https://x/2"}
        ]});
        let summary = ChecksSummary::from_answers(&runs, &status);
        assert_eq!(
            (
                summary.state,
                summary.total,
                summary.passed,
                summary.failed,
                summary.pending,
                summary.neutral
            ),
            (ChecksState::Failure, 5, 2, 1, 1, 1)
        );
        let names: Vec<&str> = summary.checks.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, vec!["build", "ci/legacy", "e2e", "lint", "test"]);
    }

    #[test]
    fn no_checks_is_none_not_pending() {
        // GitHub's combined status says "pending" when there are no statuses at all.
        let summary = ChecksSummary::from_answers(
            &json!({"total_count": 0, "check_runs": []}),
            &json!({"state": "pending", "statuses": []}),
        );
        assert_eq!((summary.state, summary.total), (ChecksState::None, 0));
        let pending = ChecksSummary::from_answers(
            &json!({"check_runs": [{"name": "a", "status": "queued"}]}),
            &json!({}),
        );
        assert_eq!(pending.state, ChecksState::Pending);
    }
}
