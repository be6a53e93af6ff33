//! The GitHub REST client for pull requests: create, find the open one for a branch, update, show with its
//! checks, and create-or-update. Works with github.com and GitHub Enterprise (`GITHUB_API_URL`).
//!
//! Every request sends `Accept: application/vnd.github+json`, `X-GitHub-Api-Version: 2022-11-28`, a
//! `User-Agent` and `Authorization: Bearer <token>` (marked sensitive, so it is never logged). Failures are
//! [`GithubError`]s; no error message contains the token (answers are scrubbed of it). Endpoints, headers
//! and the error mapping are listed in `docs/PULL_REQUESTS.md`.

mod checks;
mod error;
mod pull_request;
mod remote;
mod token;

use std::time::{Duration, SystemTime};

use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, HeaderValue};
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use checks::{CheckItem, CheckSource, CheckState, ChecksState, ChecksSummary};
pub use error::GithubError;
pub use pull_request::{NewPullRequest, PrState, PullRequest, PullRequestUpdate};
pub use remote::RepoSlug;
pub use token::{TokenDiscovery, TokenSource, TokenStore};

use crate::provider::credentials::ApiKey;
use crate::provider::install_crypto_provider;
use error::{Attempt, status_error};
use pull_request::WirePull;

/// The public API, used when `GITHUB_API_URL` is not set.
pub const DEFAULT_API_URL: &str = "https://api.github.com";
/// The REST API version every request asks for.
pub const API_VERSION: &str = "2022-11-28";
const MEDIA_TYPE: &str = "application/vnd.github+json";
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// How much of an error answer is read.
const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// Where the API is and how long a request may take.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GithubSettings {
    /// `https://api.github.com`, or `https://HOST/api/v3` for GitHub Enterprise Server.
    pub api_base: Url,
    /// For each whole request (connect, send, answer).
    pub timeout: Duration,
}

impl GithubSettings {
    /// Settings from the process environment (`GITHUB_API_URL`).
    pub fn from_env() -> Result<Self, GithubError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// Settings from variables read through `get`, so tests need not touch the process environment.
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Result<Self, GithubError> {
        let raw = get("GITHUB_API_URL")
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| DEFAULT_API_URL.to_owned());
        let parsed = Url::parse(raw.trim_end_matches('/'));
        // Never repeat credentials someone put in the URL.
        let shown = match &parsed {
            Ok(url) if !url.username().is_empty() || url.password().is_some() => {
                let mut clean = url.clone();
                let _ = clean.set_username("");
                let _ = clean.set_password(None);
                clean.to_string()
            }
            _ => raw.clone(),
        };
        let invalid = |why: &str| GithubError::NotConfigured {
            message: format!("GITHUB_API_URL `{shown}` {why}"),
            remediation: format!(
                "Set GITHUB_API_URL to the REST API's base URL ({DEFAULT_API_URL}, or https://HOST/api/v3 for \
                 GitHub Enterprise Server), or unset it."
            ),
        };
        let url = parsed.map_err(|_| invalid("is not a URL"))?;
        if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() {
            return Err(invalid("is not an http(s) URL"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid("must not carry credentials; use GITHUB_TOKEN"));
        }
        Ok(Self {
            api_base: url,
            timeout: DEFAULT_TIMEOUT,
        })
    }

    /// The web host the API belongs to (what `gh auth token --hostname` wants): `github.com` for the public
    /// API and for `api.SUBDOMAIN.ghe.com`, the API's own host for Enterprise Server.
    pub fn web_host(&self) -> String {
        let host = self.api_base.host_str().unwrap_or("github.com");
        if host == "api.github.com" {
            return "github.com".to_owned();
        }
        if host.ends_with(".ghe.com")
            && let Some(rest) = host.strip_prefix("api.")
        {
            return rest.to_owned();
        }
        match self.api_base.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        }
    }
}

/// Whether create-or-update made a new pull request or updated the open one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PublishAction {
    Created,
    Updated,
}

/// The outcome of [`GithubClient::create_or_update`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    pub action: PublishAction,
    pub pull_request: PullRequest,
}

/// A client for one API base with one token.
#[derive(Clone, Debug)]
pub struct GithubClient {
    http: reqwest::Client,
    base: Url,
    token: ApiKey,
}

impl GithubClient {
    pub fn new(settings: &GithubSettings, token: ApiKey) -> Result<Self, GithubError> {
        install_crypto_provider();
        let not_configured = |message: String, remediation: &str| GithubError::NotConfigured {
            message,
            remediation: remediation.to_owned(),
        };
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| {
            not_configured(
                "the GitHub token contains characters that cannot be sent in an HTTP header".to_owned(),
                "Copy the token again (without quotes or line breaks) into GITHUB_TOKEN or the token store.",
            )
        })?;
        auth.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static(MEDIA_TYPE));
        headers.insert(
            "x-github-api-version",
            HeaderValue::from_static(API_VERSION),
        );
        headers.insert(AUTHORIZATION, auth);
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .user_agent(concat!("kata-cloud/", env!("CARGO_PKG_VERSION")))
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .build()
            .map_err(|e| {
                not_configured(
                    format!("could not set up the HTTP client: {}", chain(&e)),
                    "Check the system's TLS configuration and try again.",
                )
            })?;
        Ok(Self {
            http,
            base: settings.api_base.clone(),
            token,
        })
    }

    /// Opens a pull request (`POST /repos/{owner}/{repo}/pulls`).
    pub async fn create_pull_request(
        &self,
        repo: &RepoSlug,
        new: &NewPullRequest,
    ) -> Result<PullRequest, GithubError> {
        let action = "create the pull request";
        let wire: WirePull = self
            .call(
                Method::POST,
                &pulls(repo, &[]),
                &[],
                Some(new),
                action,
                repo,
            )
            .await?;
        Ok(wire.into())
    }

    /// The open pull request whose head is `branch` of the repository's owner, if any
    /// (`GET /repos/{owner}/{repo}/pulls?head={owner}:{branch}&state=open`). A `branch` of the form
    /// `owner:branch` (a fork) is used as is.
    pub async fn find_open_pull_request(
        &self,
        repo: &RepoSlug,
        branch: &str,
    ) -> Result<Option<PullRequest>, GithubError> {
        let head = if branch.contains(':') {
            branch.to_owned()
        } else {
            format!("{}:{branch}", repo.owner)
        };
        let action = "look for the branch's pull request";
        let list: Vec<WirePull> = self
            .call(
                Method::GET,
                &pulls(repo, &[]),
                &[("head", head.as_str()), ("state", "open")],
                None::<&()>,
                action,
                repo,
            )
            .await?;
        Ok(list.into_iter().next().map(PullRequest::from))
    }

    /// One pull request (`GET /repos/{owner}/{repo}/pulls/{number}`), without its checks.
    pub async fn get_pull_request(
        &self,
        repo: &RepoSlug,
        number: u64,
    ) -> Result<PullRequest, GithubError> {
        let action = "read the pull request";
        let n = number.to_string();
        let wire: WirePull = self
            .call(
                Method::GET,
                &pulls(repo, &[&n]),
                &[],
                None::<&()>,
                action,
                repo,
            )
            .await?;
        Ok(wire.into())
    }

    /// Changes a pull request's title, body or base (`PATCH /repos/{owner}/{repo}/pulls/{number}`).
    pub async fn update_pull_request(
        &self,
        repo: &RepoSlug,
        number: u64,
        update: &PullRequestUpdate,
    ) -> Result<PullRequest, GithubError> {
        let action = "update the pull request";
        let n = number.to_string();
        let wire: WirePull = self
            .call(
                Method::PATCH,
                &pulls(repo, &[&n]),
                &[],
                Some(update),
                action,
                repo,
            )
            .await?;
        Ok(wire.into())
    }

    /// The checks of commit `sha`: `GET /repos/{owner}/{repo}/commits/{sha}/check-runs` (first 100) and
    /// `GET …/commits/{sha}/status`, summarised together.
    pub async fn checks(&self, repo: &RepoSlug, sha: &str) -> Result<ChecksSummary, GithubError> {
        let action = "read the commit's checks";
        let base = ["repos", &repo.owner, &repo.repo, "commits", sha];
        let runs_path: Vec<&str> = base.iter().copied().chain(["check-runs"]).collect();
        let status_path: Vec<&str> = base.iter().copied().chain(["status"]).collect();
        let runs: Value = self
            .call(
                Method::GET,
                &runs_path,
                &[("per_page", "100")],
                None::<&()>,
                action,
                repo,
            )
            .await?;
        let status: Value = self
            .call(
                Method::GET,
                &status_path,
                &[("per_page", "100")],
                None::<&()>,
                action,
                repo,
            )
            .await?;
        Ok(ChecksSummary::from_answers(&runs, &status))
    }

    /// A pull request with its head commit's checks.
    pub async fn show_pull_request(
        &self,
        repo: &RepoSlug,
        number: u64,
    ) -> Result<PullRequest, GithubError> {
        let pr = self.get_pull_request(repo, number).await?;
        self.with_checks(repo, pr).await
    }

    /// The open pull request of `branch` with its checks, if there is one.
    pub async fn show_for_branch(
        &self,
        repo: &RepoSlug,
        branch: &str,
    ) -> Result<Option<PullRequest>, GithubError> {
        match self.find_open_pull_request(repo, branch).await? {
            Some(found) => Ok(Some(self.show_pull_request(repo, found.number).await?)),
            None => Ok(None),
        }
    }

    /// Updates the open pull request of `new.head` (title, body, base) if there is one, else creates it. A
    /// creation refused because one appeared meanwhile is turned into an update. `new.draft` only applies to
    /// a creation.
    pub async fn create_or_update(
        &self,
        repo: &RepoSlug,
        new: &NewPullRequest,
    ) -> Result<Published, GithubError> {
        if let Some(open) = self.find_open_pull_request(repo, &new.head).await? {
            return self.update_from(repo, open.number, new).await;
        }
        match self.create_pull_request(repo, new).await {
            Ok(pull_request) => Ok(Published {
                action: PublishAction::Created,
                pull_request,
            }),
            Err(GithubError::AlreadyExists { message }) => {
                match self.find_open_pull_request(repo, &new.head).await? {
                    Some(open) => self.update_from(repo, open.number, new).await,
                    None => Err(GithubError::AlreadyExists { message }),
                }
            }
            Err(other) => Err(other),
        }
    }

    async fn update_from(
        &self,
        repo: &RepoSlug,
        number: u64,
        new: &NewPullRequest,
    ) -> Result<Published, GithubError> {
        let update = PullRequestUpdate {
            title: Some(new.title.clone()),
            body: Some(new.body.clone()),
            base: Some(new.base.clone()),
        };
        let pull_request = self.update_pull_request(repo, number, &update).await?;
        Ok(Published {
            action: PublishAction::Updated,
            pull_request,
        })
    }

    async fn with_checks(
        &self,
        repo: &RepoSlug,
        mut pr: PullRequest,
    ) -> Result<PullRequest, GithubError> {
        if !pr.head_sha.is_empty() {
            pr.checks = Some(self.checks(repo, &pr.head_sha).await?);
        }
        Ok(pr)
    }

    /// One request: the URL from path segments and query pairs, an optional JSON body, the answer decoded as
    /// `T`, or the typed error.
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        segments: &[&str],
        query: &[(&str, &str)],
        body: Option<&impl Serialize>,
        action: &str,
        repo: &RepoSlug,
    ) -> Result<T, GithubError> {
        let repo = repo.full_name();
        let repo = repo.as_str();
        let url = self.url(segments, query)?;
        tracing::debug!(method = %method, path = url.path(), "GitHub request");
        let mut request = self.http.request(method, url);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| self.send_error(&e, action))?;
        let status = response.status();
        if !status.is_success() {
            let headers = response.headers().clone();
            let body = read_limited(response).await;
            return Err(status_error(
                status,
                &headers,
                &self.token.scrub(&body),
                Attempt { action, repo },
                SystemTime::now(),
            ));
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|e| self.send_error(&e, action))?;
        serde_json::from_slice(&bytes).map_err(|e| GithubError::Protocol {
            message: format!(
                "could not {action} on {repo}: GitHub's answer is not what its API documents ({e})"
            ),
        })
    }

    fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> Result<Url, GithubError> {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map_err(|()| GithubError::NotConfigured {
                message: format!("GITHUB_API_URL `{}` cannot have paths added", self.base),
                remediation: format!(
                    "Set GITHUB_API_URL to an http(s) URL such as {DEFAULT_API_URL}."
                ),
            })?
            .pop_if_empty()
            .extend(segments);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        Ok(url)
    }

    fn send_error(&self, e: &reqwest::Error, action: &str) -> GithubError {
        let message = self.token.scrub(&format!(
            "could not {action}: no answer from GitHub at {}: {}",
            self.base,
            chain(e)
        ));
        if e.is_decode() || e.is_body() {
            GithubError::Protocol { message }
        } else {
            GithubError::Network { message }
        }
    }
}

/// `repos/{owner}/{repo}/pulls[/…]` as path segments.
fn pulls<'a>(repo: &'a RepoSlug, rest: &[&'a str]) -> Vec<&'a str> {
    let mut segments = vec!["repos", repo.owner.as_str(), repo.repo.as_str(), "pulls"];
    segments.extend_from_slice(rest);
    segments
}

async fn read_limited(mut response: reqwest::Response) -> String {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        body.extend_from_slice(&chunk);
        if body.len() >= ERROR_BODY_LIMIT {
            body.truncate(ERROR_BODY_LIMIT);
            break;
        }
    }
    String::from_utf8_lossy(&body).into_owned()
}

/// An error and its sources on one line (reqwest's own message rarely says what went wrong).
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(url: Option<&str>) -> Result<GithubSettings, GithubError> {
        GithubSettings::from_vars(|name| {
            (name == "GITHUB_API_URL")
                .then(|| url.map(str::to_owned))
                .flatten()
        })
    }

    #[test]
    fn api_base_defaults_and_enterprise_hosts() {
        let public = settings(None).unwrap();
        assert_eq!(public.api_base.as_str(), "https://api.github.com/");
        assert_eq!(public.web_host(), "github.com");
        let ghes = settings(Some("https://ghe.example.com/api/v3/")).unwrap();
        assert_eq!(ghes.api_base.as_str(), "https://ghe.example.com/api/v3");
        assert_eq!(ghes.web_host(), "ghe.example.com");
        assert_eq!(
            settings(Some("https://api.octocorp.ghe.com"))
                .unwrap()
                .web_host(),
            "octocorp.ghe.com"
        );
        for bad in [
            "not a url",
            "ftp://x.example.com",
            "https://user:pw@x.example.com",
        ] {
            let e = settings(Some(bad)).unwrap_err();
            assert_eq!(e.code(), "not_configured", "{bad}");
            assert!(!e.to_string().contains("pw"), "{e}");
        }
    }

    #[test]
    fn urls_are_built_from_escaped_segments() {
        let client = GithubClient::new(
            &settings(Some("https://ghe.example.com/api/v3")).unwrap(),
            ApiKey::new("t").unwrap(),
        )
        .unwrap();
        let repo = RepoSlug::new("ghe.example.com", "octo", "widgets").unwrap();
        let url = client
            .url(
                &pulls(&repo, &[]),
                &[("head", "octo:kata/s 1"), ("state", "open")],
            )
            .unwrap();
        assert_eq!(
            url.as_str(),
            "https://ghe.example.com/api/v3/repos/octo/widgets/pulls?head=octo%3Akata%2Fs+1&state=open"
        );
    }
}
