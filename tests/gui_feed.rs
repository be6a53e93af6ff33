//! The window sees what another process changes, live: a run started by the CLI in the session the window
//! shows streams into its thread (events, not a reopen), and a `spec apply` from the CLI updates its spec
//! pane. Both processes share one real store; the window follows the store's change feed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{engine, open_space, step_until, window};
use kata_cloud::gui::KataApp;
use kata_cloud::model::RunStatus;

/// Statuses the window has shown for the session's only run, in order, without repeats.
fn note_status(app: &KataApp, seen: &mut Vec<RunStatus>) {
    let status = app
        .model
        .session
        .as_ref()
        .and_then(|s| s.runs.first())
        .map(|r| r.view.run.status);
    if let Some(status) = status
        && seen.last() != Some(&status)
    {
        seen.push(status);
    }
}

#[test]
fn a_cli_run_streams_into_the_window_and_a_cli_spec_apply_updates_its_spec_pane() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    common::sample_repo(&repo);
    let data = tmp.path().join("data");
    let mut h = window(engine(&data, 0));
    step_until(&mut h, "the store to be read", |h| h.state().model.started);
    open_space(&mut h, &repo);
    let session = h.state().model.session_id().unwrap().to_string();

    // Another process runs in the session the window shows; each step is slow enough to be seen live.
    let mut cli = common::kata(&data)
        .args(["--json", "run", "--space", repo.to_str().unwrap()])
        .args([
            "--session",
            &session,
            "--prompt",
            "add retry to the http client",
        ])
        .env("KATA_OFFLINE_STEP_MS", "300")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut exited = None;
    loop {
        h.step();
        note_status(h.state(), &mut seen);
        if seen.last() == Some(&RunStatus::Completed) {
            break;
        }
        if exited.is_none() {
            exited = cli.try_wait().unwrap();
        }
        assert!(Instant::now() < deadline, "the window saw only {seen:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = cli.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        seen.contains(&RunStatus::Running),
        "the run was shown while it ran, not only at the end: {seen:?}"
    );
    assert!(
        exited.is_none() || seen.len() > 1,
        "the window learned of the run before the CLI exited: {seen:?}"
    );
    let (run_id, tasks, items) = {
        let s = h.state().model.session.as_ref().unwrap();
        let run = &s.runs[0].view;
        (run.run.id.to_string(), run.tasks.len(), run.items.len())
    };
    assert!(tasks > 0, "the delegated tasks streamed in");
    assert!(items > 0, "the context items came with the events");

    // The CLI applies the draft: the window's spec pane follows.
    let applied = common::run(&data, &["--json", "spec", "apply", &run_id]);
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    let content = applied.json()["content"].as_str().unwrap().to_owned();
    step_until(&mut h, "the applied spec to reach the window", |h| {
        let a = h.state();
        a.model
            .session
            .as_ref()
            .and_then(|s| s.spec.as_ref())
            .is_some_and(|spec| spec.content == content)
            && a.view.spec_buffer == content
    });
    let draft_applied = h.state().model.session.as_ref().unwrap().runs[0]
        .view
        .run
        .draft
        .as_ref()
        .and_then(|d| d.applied_at)
        .is_some();
    assert!(draft_applied, "the draft card knows it was applied");
}
