//! Pushing a session branch with the git CLI to a local bare repository (and to local servers that refuse
//! connections or ask for credentials), with each failure typed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod git_fixture;

use std::path::{Path, PathBuf};
use std::time::Duration;

use git_fixture::{Fixture, git, write};
use kata_cloud::git::{
    GitError, PushRequest, UpdateMethod, WorktreeBinding, commit, push_session_branch, stage_file,
    update_from_base,
};

fn request(remote: &str, force_with_lease: bool) -> PushRequest<'_> {
    PushRequest {
        remote,
        force_with_lease,
        timeout: Duration::from_secs(30),
    }
}

/// A bare repository added to the user's repository as `origin`.
fn bare_origin(fx: &Fixture) -> PathBuf {
    let bare = fx.dir.path().join("origin.git");
    git(
        fx.dir.path(),
        &["init", "-q", "--bare", "-b", "main", bare.to_str().unwrap()],
    );
    git(
        &fx.repo,
        &["remote", "add", "origin", bare.to_str().unwrap()],
    );
    // The test machine's credential helpers must not answer for these remotes.
    git(&fx.repo, &["config", "credential.helper", ""]);
    bare
}

fn commit_file(binding: &WorktreeBinding, path: &str, content: &str) -> WorktreeBinding {
    write(&binding.path.join(path), content);
    stage_file(binding, path).unwrap();
    commit(binding, &format!("Add {path}")).unwrap().binding
}

fn remote_tip(bare: &Path, branch: &str) -> String {
    git(bare, &["rev-parse", &format!("refs/heads/{branch}")])
}

#[test]
fn pushes_the_recorded_head_and_reports_up_to_date() {
    let fx = Fixture::new();
    let bare = bare_origin(&fx);
    let binding = commit_file(&fx.session("push"), "a.txt", "a\n");
    let outcome = push_session_branch(&fx.repo, &binding, &request("origin", false)).unwrap();
    assert_eq!(outcome.commit, binding.head);
    assert!(!outcome.up_to_date && !outcome.forced);
    assert_eq!(remote_tip(&bare, "kata/push"), binding.head);

    let again = push_session_branch(&fx.repo, &binding, &request("origin", false)).unwrap();
    assert!(again.up_to_date);

    // A branch moved by someone else is not pushed.
    git(
        &fx.repo,
        &["update-ref", "refs/heads/kata/push", &fx.rev("main")],
    );
    let err = push_session_branch(&fx.repo, &binding, &request("origin", false)).unwrap_err();
    assert_eq!(err.code(), "worktree_binding");
    assert_eq!(remote_tip(&bare, "kata/push"), binding.head);
}

#[test]
fn a_diverged_remote_branch_is_rejected_and_force_with_lease_replaces_only_what_we_saw() {
    let fx = Fixture::new();
    let bare = bare_origin(&fx);
    let binding = commit_file(&fx.session("lease"), "a.txt", "a\n");
    push_session_branch(&fx.repo, &binding, &request("origin", false)).unwrap();

    // The base moves and the session is rebased: its history is rewritten.
    write(&fx.repo.join("main.txt"), "main moved\n");
    git(&fx.repo, &["add", "main.txt"]);
    git(&fx.repo, &["commit", "-q", "-m", "main moved"]);
    let rebased = update_from_base(&fx.repo, &binding, UpdateMethod::Rebase)
        .unwrap()
        .binding;

    let err = push_session_branch(&fx.repo, &rebased, &request("origin", false)).unwrap_err();
    assert_eq!(err.code(), "push_rejected");
    match &err {
        GitError::PushRejected {
            non_fast_forward, ..
        } => assert!(non_fast_forward),
        other => panic!("{other:?}"),
    }
    assert!(
        err.remediation().contains("force-with-lease"),
        "{}",
        err.remediation()
    );
    assert_eq!(remote_tip(&bare, "kata/lease"), binding.head);

    let forced = push_session_branch(&fx.repo, &rebased, &request("origin", true)).unwrap();
    assert!(forced.forced);
    assert_eq!(remote_tip(&bare, "kata/lease"), rebased.head);

    // Someone else pushes to the branch: the lease no longer holds, nothing is overwritten.
    let other = fx.dir.path().join("other-clone");
    git(
        fx.dir.path(),
        &[
            "clone",
            "-q",
            bare.to_str().unwrap(),
            other.to_str().unwrap(),
        ],
    );
    git_fixture::configure_identity(&other);
    git(&other, &["switch", "-q", "kata/lease"]);
    write(&other.join("theirs.txt"), "theirs\n");
    git(&other, &["add", "theirs.txt"]);
    git(&other, &["commit", "-q", "-m", "theirs"]);
    git(&other, &["push", "-q", "origin", "kata/lease"]);
    let theirs = remote_tip(&bare, "kata/lease");
    let mine = commit_file(&rebased, "mine.txt", "mine\n");
    let err = push_session_branch(&fx.repo, &mine, &request("origin", true)).unwrap_err();
    assert_eq!(err.code(), "push_rejected");
    assert_eq!(remote_tip(&bare, "kata/lease"), theirs);
    let err = push_session_branch(&fx.repo, &mine, &request("origin", false)).unwrap_err();
    assert!(
        matches!(
            err,
            GitError::PushRejected {
                non_fast_forward: true,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn a_missing_remote_is_named() {
    let fx = Fixture::new();
    let binding = fx.session("nowhere");
    let err = push_session_branch(&fx.repo, &binding, &request("upstream", false)).unwrap_err();
    assert_eq!(err.code(), "no_remote");
    assert_eq!(
        err.to_string(),
        "the repository has no remote named upstream"
    );
    assert!(err.remediation().contains("git remote add upstream"));
}

#[test]
fn an_unreachable_remote_is_a_retryable_network_error() {
    let fx = Fixture::new();
    let binding = fx.session("offline");
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    git(
        &fx.repo,
        &[
            "remote",
            "add",
            "origin",
            &format!("http://127.0.0.1:{port}/repo.git"),
        ],
    );
    let err = push_session_branch(&fx.repo, &binding, &request("origin", false)).unwrap_err();
    assert_eq!(err.code(), "network", "{err:?}");
    assert!(err.retryable());
}

#[test]
fn a_remote_asking_for_credentials_is_an_auth_error_without_a_prompt() {
    let fx = Fixture::new();
    let binding = fx.session("auth");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = axum::Router::new().fallback(|| async {
        (
            axum::http::StatusCode::UNAUTHORIZED,
            [(axum::http::header::WWW_AUTHENTICATE, "Basic realm=\"git\"")],
            "credentials required",
        )
    });
    runtime.spawn(async move { axum::serve(listener, app).await });
    git(
        &fx.repo,
        &[
            "remote",
            "add",
            "origin",
            &format!("http://127.0.0.1:{port}/repo.git"),
        ],
    );
    git(&fx.repo, &["config", "credential.helper", ""]);
    let started = std::time::Instant::now();
    let err = push_session_branch(&fx.repo, &binding, &request("origin", false)).unwrap_err();
    assert_eq!(err.code(), "push_auth", "{err:?}");
    assert!(!err.retryable());
    assert!(err.remediation().contains("without a prompt"));
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "no prompt waited for input"
    );
}
