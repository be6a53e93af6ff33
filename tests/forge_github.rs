//! The GitHub client against a local mock of the REST API (tests/common/mock_github.rs), in process: create,
//! create again → update the same pull request, show with checks, Enterprise paths, every failure as its
//! typed error with a remediation, and the token never in an error. Token discovery runs a fake `gh`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

#[path = "common/mock_github.rs"]
mod mock_github;

use std::collections::HashMap;
use std::time::Duration;

use axum::http::Method;
use kata_cloud::forge::github::{
    ChecksState, GithubClient, GithubError, GithubSettings, NewPullRequest, PrState, PublishAction,
    RepoSlug, TokenDiscovery, TokenSource,
};
use kata_cloud::provider::credentials::ApiKey;
use mock_github::{Failure, MockGithub};
use serde_json::json;

const TOKEN: &str = "ghp_MockToken0123456789abcdefABCDEF012345";
const BRANCH: &str = "kata/s1";

fn settings(base: &str) -> GithubSettings {
    let mut settings =
        GithubSettings::from_vars(|name| (name == "GITHUB_API_URL").then(|| base.to_owned()))
            .unwrap();
    settings.timeout = Duration::from_secs(5);
    settings
}

fn client(base: &str, token: &str) -> GithubClient {
    GithubClient::new(&settings(base), ApiKey::new(token).unwrap()).unwrap()
}

fn repo() -> RepoSlug {
    RepoSlug::parse_remote("git@github.com:octo/widgets.git").unwrap()
}

fn new_pr(title: &str, body: &str, draft: bool) -> NewPullRequest {
    NewPullRequest {
        title: title.into(),
        head: BRANCH.into(),
        base: "main".into(),
        body: body.into(),
        draft,
    }
}

#[tokio::test]
async fn create_then_create_again_updates_the_same_pull_request() {
    let mock = MockGithub::start(TOKEN, "octo", "widgets");
    mock.push_branch(BRANCH);
    let github = client(&mock.base(), TOKEN);

    let first = github
        .create_or_update(&repo(), &new_pr("Add retry", "first body", true))
        .await
        .unwrap();
    assert_eq!(first.action, PublishAction::Created);
    let pr = &first.pull_request;
    assert_eq!(
        (
            pr.number,
            pr.state,
            pr.draft,
            pr.merged,
            pr.title.as_str(),
            pr.head.as_str(),
            pr.base.as_str()
        ),
        (1, PrState::Open, true, false, "Add retry", BRANCH, "main")
    );
    assert_eq!(pr.url, "https://github.example/octo/widgets/pull/1");

    let second = github
        .create_or_update(
            &repo(),
            &new_pr("Add retry with backoff", "second body", true),
        )
        .await
        .unwrap();
    assert_eq!(second.action, PublishAction::Updated);
    assert_eq!(second.pull_request.number, 1);
    assert_eq!(second.pull_request.title, "Add retry with backoff");

    let pulls = mock.pulls();
    assert_eq!(pulls.len(), 1, "one pull request, updated in place");
    assert_eq!(
        (pulls[0].body.as_str(), pulls[0].draft),
        ("second body", true)
    );

    assert_eq!(
        mock.request_lines(),
        vec![
            "GET /repos/octo/widgets/pulls?head=octo%3Akata%2Fs1&state=open",
            "POST /repos/octo/widgets/pulls",
            "GET /repos/octo/widgets/pulls?head=octo%3Akata%2Fs1&state=open",
            "PATCH /repos/octo/widgets/pulls/1",
        ]
    );
    let requests = mock.requests();
    assert_eq!(
        requests[1].body,
        Some(
            json!({"title": "Add retry", "head": BRANCH, "base": "main", "body": "first body", "draft": true})
        )
    );
    assert_eq!(
        requests[3].body,
        Some(json!({"title": "Add retry with backoff", "body": "second body", "base": "main"}))
    );
    for r in &requests {
        assert_eq!(r.headers["accept"], "application/vnd.github+json");
        assert_eq!(r.headers["x-github-api-version"], "2022-11-28");
        assert_eq!(r.headers["authorization"], format!("Bearer {TOKEN}"));
        assert!(r.headers["user-agent"].starts_with("kata-cloud/"));
    }
    mock.assert_clean();

    // JSON as the CLI prints it.
    let printed = serde_json::to_value(&second).unwrap();
    assert_eq!(
        printed,
        json!({"action": "updated", "pull_request": {
            "number": 1, "url": "https://github.example/octo/widgets/pull/1", "state": "open", "draft": true,
            "merged": false, "title": "Add retry with backoff", "head": BRANCH,
            "head_sha": second.pull_request.head_sha, "base": "main"
        }})
    );
}

#[tokio::test]
async fn show_gives_state_and_checks() {
    let mock = MockGithub::start(TOKEN, "octo", "widgets");
    let sha = mock.push_branch(BRANCH);
    let github = client(&mock.base(), TOKEN);
    assert_eq!(github.show_for_branch(&repo(), BRANCH).await.unwrap(), None);

    github
        .create_pull_request(&repo(), &new_pr("T", "B", false))
        .await
        .unwrap();
    mock.set_checks(
        &sha,
        json!([
            {"name": "test", "status": "completed", "conclusion": "success", "html_url": "https://ci/1"},
            {"name": "lint", "status": "in_progress", "conclusion": null}
        ]),
        json!([{"context": "ci/legacy", "state": "success", "target_url": "https://ci/2"}]),
    );
    let shown = github
        .show_for_branch(&repo(), BRANCH)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (shown.number, shown.state, shown.head_sha.as_str()),
        (1, PrState::Open, sha.as_str())
    );
    let checks = shown.checks.unwrap();
    assert_eq!(
        (
            checks.state,
            checks.total,
            checks.passed,
            checks.pending,
            checks.failed
        ),
        (ChecksState::Pending, 3, 2, 1, 0)
    );
    assert!(mock.request_lines().contains(&format!(
        "GET /repos/octo/widgets/commits/{sha}/check-runs?per_page=100"
    )));
    assert!(mock.request_lines().contains(&format!(
        "GET /repos/octo/widgets/commits/{sha}/status?per_page=100"
    )));

    // Merged: the single answer says so, and the open list no longer has it.
    mock.merge(1);
    let merged = github.show_pull_request(&repo(), 1).await.unwrap();
    assert_eq!((merged.state, merged.merged), (PrState::Merged, true));
    assert_eq!(
        github
            .find_open_pull_request(&repo(), BRANCH)
            .await
            .unwrap(),
        None
    );
    mock.assert_clean();
}

#[tokio::test]
async fn enterprise_api_paths_are_kept() {
    let mock = MockGithub::start(TOKEN, "octo", "widgets");
    mock.push_branch(BRANCH);
    let github = client(&mock.enterprise_base(), TOKEN);
    let published = github
        .create_or_update(&repo(), &new_pr("T", "B", false))
        .await
        .unwrap();
    assert_eq!(published.action, PublishAction::Created);
    assert!(
        mock.request_lines()
            .iter()
            .all(|l| l.contains(" /api/v3/repos/octo/widgets/")),
        "{:?}",
        mock.request_lines()
    );
    mock.assert_clean();
}

#[tokio::test]
async fn a_lost_race_with_another_creator_becomes_an_update() {
    let mock = MockGithub::start(TOKEN, "octo", "widgets");
    mock.push_branch(BRANCH);
    let github = client(&mock.base(), TOKEN);
    github
        .create_pull_request(&repo(), &new_pr("Theirs", "", false))
        .await
        .unwrap();
    // The first lookup misses it (a lagging replica); the creation is refused as already existing.
    mock.fail_next_on(Method::GET, Failure::EmptyList);
    let published = github
        .create_or_update(&repo(), &new_pr("Ours", "ours", false))
        .await
        .unwrap();
    assert_eq!(published.action, PublishAction::Updated);
    assert_eq!(mock.pulls().len(), 1);
    assert_eq!(mock.pulls()[0].title, "Ours");
    mock.assert_clean();
}

/// Asserts the error has the code and retryability, a remediation, and never the token.
fn check_error(error: &GithubError, code: &str, retryable: bool) {
    assert_eq!(error.code(), code, "{error}");
    assert_eq!(error.retryable(), retryable, "{error}");
    assert!(!error.remediation().is_empty());
    for text in [error.to_string(), error.remediation(), format!("{error:?}")] {
        assert!(!text.contains(TOKEN), "the token leaked: {text}");
        assert!(
            !text.contains("MockToken"),
            "part of the token leaked: {text}"
        );
    }
}

#[tokio::test]
async fn each_failure_is_its_typed_error_with_remediation() {
    let mock = MockGithub::start(TOKEN, "octo", "widgets");
    mock.push_branch(BRANCH);
    let github = client(&mock.base(), TOKEN);
    let cases: Vec<(Option<Method>, Failure, &str, bool, &str)> = vec![
        (
            None,
            Failure::Unauthorized,
            "auth",
            false,
            "HTTP 401: Bad credentials",
        ),
        (
            None,
            Failure::Forbidden,
            "auth",
            false,
            "HTTP 403: Resource not accessible",
        ),
        (
            None,
            Failure::NotFound,
            "not_found",
            false,
            "HTTP 404: Not Found",
        ),
        (
            Some(Method::POST),
            Failure::AlreadyExists,
            "already_exists",
            false,
            "A pull request already exists",
        ),
        (
            Some(Method::POST),
            Failure::Validation,
            "validation",
            false,
            "Validation Failed; PullRequest base invalid",
        ),
        (
            None,
            Failure::RateLimited { retry_after: 7 },
            "rate_limited",
            true,
            "(retry in 7 s)",
        ),
        (
            None,
            Failure::RateLimitExhausted { reset_in: 120 },
            "rate_limited",
            true,
            "API rate limit exceeded",
        ),
        (
            None,
            Failure::ServerError,
            "server",
            true,
            "HTTP 500: Server Error",
        ),
    ];
    for (method, failure, code, retryable, says) in cases {
        match method {
            Some(m) => mock.fail_next_on(m, failure.clone()),
            None => mock.fail_next(failure.clone()),
        }
        let error = github
            .create_or_update(&repo(), &new_pr("T", "B", false))
            .await
            .unwrap_err();
        check_error(&error, code, retryable);
        assert!(error.to_string().contains(says), "{failure:?}: {error}");
        assert!(error.to_string().contains("octo/widgets"), "{error}");
        println!(
            "{failure:?} → {}: {error} | {}",
            error.code(),
            error.remediation()
        );
    }
    match github.show_pull_request(&repo(), 99).await.unwrap_err() {
        GithubError::NotFound { repo, .. } => assert_eq!(repo, "octo/widgets"),
        other => panic!("{other:?}"),
    }
    // The rate-limit wait is carried for the caller's retry logic.
    mock.fail_next(Failure::RateLimited { retry_after: 7 });
    match github
        .find_open_pull_request(&repo(), BRANCH)
        .await
        .unwrap_err()
    {
        GithubError::RateLimited { retry_after, .. } => {
            assert_eq!(retry_after, Some(Duration::from_secs(7)))
        }
        other => panic!("{other:?}"),
    }
    assert!(
        mock.pulls().is_empty(),
        "no failed attempt created anything"
    );
    mock.assert_clean();
}

#[tokio::test]
async fn github_refusals_are_validation_errors_with_its_message() {
    let mock = MockGithub::start(TOKEN, "octo", "widgets");
    let github = client(&mock.base(), TOKEN);
    // The branch was never pushed.
    let error = github
        .create_or_update(&repo(), &new_pr("T", "B", false))
        .await
        .unwrap_err();
    check_error(&error, "validation", false);
    assert!(
        error
            .to_string()
            .ends_with("Validation Failed; PullRequest head invalid"),
        "{error}"
    );
    mock.push_branch(BRANCH);
    let mut to_nowhere = new_pr("T", "B", false);
    to_nowhere.base = "release".into();
    let error = github
        .create_or_update(&repo(), &to_nowhere)
        .await
        .unwrap_err();
    assert!(
        error.to_string().ends_with("PullRequest base invalid"),
        "{error}"
    );
    // Another repository than the mock's.
    let other = RepoSlug::parse_remote("https://github.com/octo/gadgets").unwrap();
    check_error(
        &github
            .find_open_pull_request(&other, BRANCH)
            .await
            .unwrap_err(),
        "not_found",
        false,
    );
    mock.assert_clean();
}

#[tokio::test]
async fn a_wrong_token_is_rejected_and_never_repeated() {
    let mock = MockGithub::start(TOKEN, "octo", "widgets");
    let wrong = "ghp_WrongToken9876543210zyxwvuZYXWVU98765";
    let github = client(&mock.base(), wrong);
    let error = github
        .find_open_pull_request(&repo(), BRANCH)
        .await
        .unwrap_err();
    check_error(&error, "auth", false);
    // The mock echoes the token it got; the client scrubbed it.
    assert!(
        error
            .to_string()
            .contains("Bad credentials (token [redacted])"),
        "{error}"
    );
    assert!(!format!("{error:?}").contains(wrong));
    assert!(!format!("{github:?}").contains(wrong));
}

#[tokio::test]
async fn an_unreachable_api_is_a_retryable_network_error() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let github = client(&format!("http://127.0.0.1:{port}"), TOKEN);
    let error = github
        .find_open_pull_request(&repo(), BRANCH)
        .await
        .unwrap_err();
    check_error(&error, "network", true);
    assert!(
        error.to_string().contains(&format!("127.0.0.1:{port}")),
        "{error}"
    );
}

// ---------------------------------------------------------------------------------------------------------
// Token discovery.

fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + Send + Sync + 'static {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |name| map.get(name).cloned()
}

#[cfg(unix)]
#[tokio::test]
async fn tokens_are_found_in_order_env_then_store_then_gh() {
    let dir = tempfile::tempdir().unwrap();
    let gh = fake_gh(dir.path(), "echo gho_FromGhCli0123456789abcdefABCDEF01\n");
    let stored = || ApiKey::new("stored-token");
    let discovery = |pairs: &[(&str, &str)], with_store: bool| {
        let d = TokenDiscovery::default()
            .with_env(vars(pairs))
            .with_gh(Some(gh.clone()));
        if with_store { d.with_store(&stored) } else { d }
    };
    let source = |found: Result<(ApiKey, TokenSource), GithubError>| {
        let (key, source) = found.unwrap();
        (key.expose().to_owned(), source)
    };
    assert_eq!(
        source(
            discovery(&[("GITHUB_TOKEN", "a"), ("GH_TOKEN", "b")], true)
                .discover("github.com")
                .await
        ),
        ("a".to_owned(), TokenSource::GithubTokenEnv)
    );
    assert_eq!(
        source(
            discovery(&[("GITHUB_TOKEN", "  "), ("GH_TOKEN", "b")], true)
                .discover("github.com")
                .await
        ),
        ("b".to_owned(), TokenSource::GhTokenEnv)
    );
    assert_eq!(
        source(discovery(&[], true).discover("github.com").await),
        ("stored-token".to_owned(), TokenSource::Stored)
    );
    assert_eq!(
        source(discovery(&[], false).discover("ghe.example.com").await),
        (
            "gho_FromGhCli0123456789abcdefABCDEF01".to_owned(),
            TokenSource::GhCli
        )
    );
    let args = std::fs::read_to_string(dir.path().join("args")).unwrap();
    assert_eq!(args.trim(), "auth token --hostname ghe.example.com");
}

#[cfg(unix)]
#[tokio::test]
async fn no_token_anywhere_says_what_was_tried() {
    let dir = tempfile::tempdir().unwrap();
    let missing = TokenDiscovery::default()
        .with_env(vars(&[]))
        .with_gh(Some(dir.path().join("no-such-gh")))
        .discover("github.com")
        .await
        .unwrap_err();
    assert_eq!(missing.code(), "auth");
    assert!(!missing.retryable());
    assert_eq!(
        missing.to_string(),
        "no GitHub token: GITHUB_TOKEN and GH_TOKEN are not set, no token store was given, and the GitHub CLI \
         (gh) is not installed"
    );
    assert!(missing.remediation().contains("gh auth login"));

    let logged_out = fake_gh(
        dir.path(),
        "echo 'no oauth token found for github.com' >&2\nexit 1\n",
    );
    let error = TokenDiscovery::default()
        .with_env(vars(&[]))
        .with_gh(Some(logged_out))
        .discover("github.com")
        .await
        .unwrap_err();
    assert!(
        error
            .to_string()
            .ends_with("`gh auth token` has no token for github.com"),
        "{error}"
    );
}

/// A stand-in `gh` that records its arguments and runs `script`.
#[cfg(unix)]
fn fake_gh(dir: &std::path::Path, script: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    let path = dir.join(format!(
        "gh-{}",
        blake3::hash(script.as_bytes())
            .to_hex()
            .as_str()
            .get(..8)
            .unwrap()
    ));
    let args = dir.join("args");
    std::fs::write(
        &path,
        format!("#!/bin/sh\necho \"$@\" > '{}'\n{script}", args.display()),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}
