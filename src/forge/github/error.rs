//! What can go wrong talking to GitHub, each with a code, a remediation and whether retrying can help; and
//! how an HTTP answer maps to one (`docs/PULL_REQUESTS.md`, Errors). No message ever holds the token: the
//! client scrubs every text that came from outside before it lands here.

use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::provider::retry::parse_retry_after;

/// A GitHub operation that did not succeed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GithubError {
    /// No token anywhere: not in the environment, not stored, not from `gh`. Not retryable.
    #[error("{message}")]
    MissingToken { message: String },
    /// The token was rejected (401), or lacks permission (403 without rate-limit headers). Not retryable.
    #[error("{message}")]
    Auth { message: String, forbidden: bool },
    /// 404: the repository does not exist, or the token cannot see it. Not retryable.
    #[error("{message}")]
    NotFound { message: String, repo: String },
    /// 422 saying a pull request for this head already exists. Not retryable (update it instead).
    #[error("{message}")]
    AlreadyExists { message: String },
    /// Any other 422 (or 400/409): GitHub's message says what it refused. Not retryable.
    #[error("{message}")]
    Validation { message: String },
    /// Could not connect, or no answer in time. Retryable.
    #[error("{message}")]
    Network { message: String },
    /// 429, or 403 with `x-ratelimit-remaining: 0` or a `Retry-After`. Retryable after `retry_after`.
    #[error("{message}")]
    RateLimited {
        message: String,
        retry_after: Option<Duration>,
    },
    /// 5xx. Retryable.
    #[error("{message}")]
    Server { message: String },
    /// An answer that is not what the API documents (bad JSON, missing fields). Not retryable.
    #[error("{message}")]
    Protocol { message: String },
    /// The remote URL does not name a GitHub repository. Not retryable.
    #[error("{message}")]
    InvalidRemote { message: String },
    /// `GITHUB_API_URL` is malformed, or the HTTP client could not be set up. Not retryable.
    #[error("{message}")]
    NotConfigured {
        message: String,
        remediation: String,
    },
}

impl GithubError {
    /// The contract's snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            GithubError::MissingToken { .. } | GithubError::Auth { .. } => "auth",
            GithubError::NotFound { .. } => "not_found",
            GithubError::AlreadyExists { .. } => "already_exists",
            GithubError::Validation { .. } => "validation",
            GithubError::Network { .. } => "network",
            GithubError::RateLimited { .. } => "rate_limited",
            GithubError::Server { .. } => "server",
            GithubError::Protocol { .. } => "protocol",
            GithubError::InvalidRemote { .. } => "invalid_remote",
            GithubError::NotConfigured { .. } => "not_configured",
        }
    }

    pub fn retryable(&self) -> bool {
        matches!(
            self,
            GithubError::Network { .. }
                | GithubError::RateLimited { .. }
                | GithubError::Server { .. }
        )
    }

    pub fn remediation(&self) -> String {
        match self {
            GithubError::MissingToken { .. } => {
                "Set GITHUB_TOKEN (or GH_TOKEN) to a token that can write pull requests, store one in Kata Cloud, \
                 or install the GitHub CLI and run `gh auth login`."
                    .to_owned()
            }
            GithubError::Auth {
                forbidden: false, ..
            } => "GitHub rejected the token: check GITHUB_TOKEN / GH_TOKEN, the stored token or `gh auth status`; \
                  it may have expired or been revoked."
                .to_owned(),
            GithubError::Auth { forbidden: true, .. } => {
                "The token may not do this: it needs the `repo` scope (classic token) or \"Pull requests: read and \
                 write\" on this repository (fine-grained token), and the organisation may require SSO \
                 authorisation of the token."
                    .to_owned()
            }
            GithubError::NotFound { repo, .. } => format!(
                "Check that {repo} exists on this GitHub host and that the token can see it (a private repository \
                 needs the `repo` scope or access granted to a fine-grained token); for GitHub Enterprise set \
                 GITHUB_API_URL."
            ),
            GithubError::AlreadyExists { .. } => {
                "A pull request for this branch is already open: run the command again to update it, or show it."
                    .to_owned()
            }
            GithubError::Validation { .. } => {
                "Check that the base branch exists on the remote, that the branch was pushed, and that the title \
                 is not empty; then retry."
                    .to_owned()
            }
            GithubError::Network { .. } => {
                "Could not reach GitHub: check the network, a proxy, or GITHUB_API_URL, then retry.".to_owned()
            }
            GithubError::RateLimited { retry_after, .. } => match retry_after {
                Some(after) => format!(
                    "GitHub is rate limiting this token; retry in {} s.",
                    after.as_secs().max(1)
                ),
                None => "GitHub is rate limiting this token; wait a minute and retry.".to_owned(),
            },
            GithubError::Server { .. } => {
                "GitHub had an internal error; retry in a moment (githubstatus.com says whether it is down)."
                    .to_owned()
            }
            GithubError::Protocol { .. } => {
                "GitHub's answer was not what its API documents; check GITHUB_API_URL points at the REST API \
                 (https://HOST/api/v3 for GitHub Enterprise) and retry."
                    .to_owned()
            }
            GithubError::InvalidRemote { .. } => {
                "Point the space's remote at a GitHub repository (https://HOST/OWNER/REPO or git@HOST:OWNER/REPO.git)."
                    .to_owned()
            }
            GithubError::NotConfigured { remediation, .. } => remediation.clone(),
        }
    }
}

/// What a failed request was, for the error message.
#[derive(Clone, Copy, Debug)]
pub(super) struct Attempt<'a> {
    /// What we tried, as a phrase: "create the pull request".
    pub action: &'a str,
    /// `owner/repo`.
    pub repo: &'a str,
}

/// The typed error for a non-success answer. `body` has already been scrubbed of the token.
pub(super) fn status_error(
    status: StatusCode,
    headers: &HeaderMap,
    body: &str,
    attempt: Attempt<'_>,
    now: SystemTime,
) -> GithubError {
    let detail = describe_body(body);
    let message = {
        let head = format!(
            "could not {} on {}: GitHub answered HTTP {}",
            attempt.action,
            attempt.repo,
            status.as_u16()
        );
        if detail.is_empty() {
            head
        } else {
            format!("{head}: {detail}")
        }
    };
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let retry_after = header("retry-after").and_then(|v| parse_retry_after(v, now));
    let reset_in = header("x-ratelimit-reset")
        .and_then(|v| v.parse::<u64>().ok())
        .map(|reset| {
            let now = now
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            Duration::from_secs(reset.saturating_sub(now))
        });
    let exhausted = header("x-ratelimit-remaining") == Some("0");
    match status.as_u16() {
        429 => rate_limited(message, retry_after.or(reset_in)),
        403 if exhausted || retry_after.is_some() => {
            rate_limited(message, retry_after.or(reset_in))
        }
        401 => GithubError::Auth {
            message,
            forbidden: false,
        },
        403 => GithubError::Auth {
            message,
            forbidden: true,
        },
        404 => GithubError::NotFound {
            message,
            repo: attempt.repo.to_owned(),
        },
        422 if says_already_exists(body) => GithubError::AlreadyExists { message },
        400 | 409 | 422 => GithubError::Validation { message },
        500..=599 => GithubError::Server { message },
        _ => GithubError::Protocol { message },
    }
}

fn rate_limited(message: String, wait: Option<Duration>) -> GithubError {
    let message = match wait {
        Some(wait) => format!("{message} (retry in {} s)", wait.as_secs().max(1)),
        None => message,
    };
    GithubError::RateLimited {
        message,
        retry_after: wait,
    }
}

/// GitHub's `message` and the `errors` it lists (`{message}` or `{resource, field, code}` each), on one line.
fn describe_body(body: &str) -> String {
    let Ok(value) = serde_json::from_str::<Value>(body) else {
        return crate::provider::chat::limit(body.trim(), 300);
    };
    let mut parts: Vec<String> = Vec::new();
    if let Some(message) = value.get("message").and_then(Value::as_str) {
        parts.push(message.to_owned());
    }
    for error in value
        .get("errors")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let text = match error {
            Value::String(s) => s.clone(),
            other => match other.get("message").and_then(Value::as_str) {
                Some(m) => m.to_owned(),
                None => ["resource", "field", "code"]
                    .iter()
                    .filter_map(|k| other.get(*k).and_then(Value::as_str))
                    .collect::<Vec<_>>()
                    .join(" "),
            },
        };
        if !text.is_empty() {
            parts.push(text);
        }
    }
    crate::provider::chat::limit(&parts.join("; "), 300)
}

fn says_already_exists(body: &str) -> bool {
    let lower = body.to_ascii_lowercase();
    lower.contains("already exists") && lower.contains("pull request")
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    const ATTEMPT: Attempt<'static> = Attempt {
        action: "create the pull request",
        repo: "octo/widgets",
    };

    fn error(status: u16, headers: &[(&'static str, &str)], body: &str) -> GithubError {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        status_error(
            StatusCode::from_u16(status).unwrap(),
            &map,
            body,
            ATTEMPT,
            now,
        )
    }

    #[test]
    fn statuses_map_to_codes() {
        let code = |status, headers: &[(&'static str, &str)], body: &str| {
            error(status, headers, body).code()
        };
        assert_eq!(code(401, &[], r#"{"message":"Bad credentials"}"#), "auth");
        assert_eq!(
            code(403, &[], r#"{"message":"Resource not accessible"}"#),
            "auth"
        );
        assert_eq!(
            code(403, &[("x-ratelimit-remaining", "0")], ""),
            "rate_limited"
        );
        assert_eq!(code(403, &[("retry-after", "60")], ""), "rate_limited");
        assert_eq!(code(404, &[], r#"{"message":"Not Found"}"#), "not_found");
        assert_eq!(code(429, &[], ""), "rate_limited");
        assert_eq!(code(500, &[], ""), "server");
        assert_eq!(code(502, &[], "<html>bad gateway</html>"), "server");
        assert_eq!(code(409, &[], ""), "validation");
        assert_eq!(code(418, &[], ""), "protocol");
    }

    #[test]
    fn unprocessable_says_why() {
        let exists = error(
            422,
            &[],
            r#"{"message":"Validation Failed","errors":[{"resource":"PullRequest","code":"custom","message":"A pull request already exists for octo:feature."}]}"#,
        );
        assert_eq!(exists.code(), "already_exists");
        assert_eq!(
            exists.to_string(),
            "could not create the pull request on octo/widgets: GitHub answered HTTP 422: Validation Failed; \
             A pull request already exists for octo:feature."
        );
        let invalid = error(
            422,
            &[],
            r#"{"message":"Validation Failed","errors":[{"resource":"PullRequest","field":"base","code":"invalid"}]}"#,
        );
        assert_eq!(invalid.code(), "validation");
        assert!(
            invalid
                .to_string()
                .ends_with("Validation Failed; PullRequest base invalid")
        );
        assert!(!invalid.retryable());
    }

    #[test]
    fn rate_limits_say_when_to_retry() {
        let after = error(429, &[("retry-after", "30")], "");
        assert_eq!(
            after,
            GithubError::RateLimited {
                message: "could not create the pull request on octo/widgets: GitHub answered HTTP 429 (retry in 30 s)"
                    .into(),
                retry_after: Some(Duration::from_secs(30)),
            }
        );
        assert!(after.retryable());
        assert_eq!(
            after.remediation(),
            "GitHub is rate limiting this token; retry in 30 s."
        );
        let reset = error(
            403,
            &[
                ("x-ratelimit-remaining", "0"),
                ("x-ratelimit-reset", "1090"),
            ],
            r#"{"message":"API rate limit exceeded"}"#,
        );
        assert!(
            reset
                .to_string()
                .ends_with("API rate limit exceeded (retry in 90 s)"),
            "{reset}"
        );
    }
}
