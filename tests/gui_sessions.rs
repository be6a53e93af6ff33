//! The session switcher in the sidebar: a new session (named) never strands the old one's history, any
//! session can be opened again, and archiving asks first.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use common::{open_space, pinned_engine, send, snapshot, step_until, window};
use egui_kittest::kittest::Queryable;
use kata_cloud::gui::KataApp;
use kata_cloud::model::RunStatus;

fn session_name(app: &KataApp) -> Option<String> {
    app.model.session.as_ref().map(|s| s.session.label.clone())
}

#[test]
fn sessions_are_switched_created_by_name_and_archived_after_a_confirmation() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    common::sample_repo(&repo);
    let data = tmp.path().join("data");
    let mut h = window(pinned_engine(&data, 0));
    step_until(&mut h, "the store to be read", |h| h.state().model.started);
    open_space(&mut h, &repo);
    send(&mut h, "add retry to the http client");
    step_until(&mut h, "the run to complete", |h| {
        h.state().model.session.as_ref().is_some_and(|s| {
            s.runs
                .first()
                .is_some_and(|r| r.view.run.status == RunStatus::Completed)
        })
    });

    // A named session: the first one and its run stay listed.
    h.get_by_label("Show sessions").click();
    h.step();
    h.state_mut().view.new_session_name = "Timeouts".into();
    h.step();
    h.get_by_label("New").click();
    step_until(&mut h, "the new session", |h| {
        session_name(h.state()).as_deref() == Some("Timeouts")
    });
    assert!(h.state().model.session.as_ref().unwrap().runs.is_empty());
    h.get_by_label("Show sessions").click();
    h.run_steps(2);
    h.get_by_label("1 run · now");
    snapshot(&mut h, "session_switcher");

    // Back to the first session: its history is there.
    h.get_by_label("Session 1").click();
    step_until(&mut h, "the first session", |h| {
        session_name(h.state()).as_deref() == Some("Session 1")
    });
    assert_eq!(h.state().model.session.as_ref().unwrap().runs.len(), 1);

    // Archive asks first; cancelled, nothing changes.
    h.get_by_label("Show sessions").click();
    h.run_steps(3);
    h.get_by_label("Archive Timeouts").click();
    h.run_steps(3);
    h.get_by_label("Cancel").click();
    h.run_steps(3);
    assert_eq!(h.state().model.session.as_ref().unwrap().sessions.len(), 2);
    h.get_by_label("Archive Timeouts").click();
    h.run_steps(3);
    h.get_by_label("Confirm archive").click();
    step_until(&mut h, "the archived session to leave the list", |h| {
        h.state().model.session.as_ref().unwrap().sessions.len() == 1
    });
    assert_eq!(session_name(h.state()).as_deref(), Some("Session 1"));
    let all = common::run(
        &data,
        &[
            "--json",
            "session",
            "list",
            "--space",
            repo.to_str().unwrap(),
            "--all",
        ],
    );
    let archived: Vec<_> = all
        .json()
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["archived_at"].is_string())
        .map(|s| s["label"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(archived, vec!["Timeouts"]);
}
