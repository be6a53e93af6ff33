//! The permission card in the window: a run sent from the window (offline, scripted: a write, then two
//! commands) waits for the user; the card names the command and who asks; pressing 1 (Always) adds the
//! pattern, so the next matching command runs without asking; 2 (Yes) answers once. The status bar counts
//! the waiting requests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use common::{open_space, send, step_until, window};
use egui::Key;
use egui_kittest::kittest::Queryable;
use kata_cloud::gui::KataApp;
use kata_cloud::gui::views::permission_card::waiting;
use kata_cloud::model::{RunStatus, TaskKind};
use kata_cloud::orchestrator::Engine;
use serde_json::json;

fn run_status(app: &KataApp) -> Option<RunStatus> {
    let run = app.model.session.as_ref()?.runs.first()?;
    Some(run.view.run.status)
}

fn running_implementors(app: &KataApp) -> usize {
    app.model.session.as_ref().map_or(0, |s| {
        s.runs.first().map_or(0, |r| {
            r.view
                .tasks
                .iter()
                .filter(|t| t.kind == TaskKind::Implement)
                .count()
        })
    })
}

#[test]
fn the_card_answers_with_keys_and_always_allows_the_next_matching_command() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    common::sample_repo(&repo);
    let data = tmp.path().join("data");
    let script = tmp.path().join("script.json");
    std::fs::write(
        &script,
        json!({"kinds": {"implement": [
            {"calls": [{"tool": "write_file", "input": {"path": "notes/a.txt", "content": "a\n"}}]},
            {"calls": [{"tool": "run_command", "input": {"command": "touch one.txt"}}]},
            {"calls": [{"tool": "run_command", "input": {"command": "touch two.txt"}}]},
            {"say": "done"}
        ]}})
        .to_string(),
    )
    .unwrap();
    let settings = kata_cloud::provider::registry::ProviderSettings {
        offline_script: Some(script),
        ..Default::default()
    };
    let config = kata_cloud::orchestrator::EngineConfig {
        data_dir: data.clone(),
        clock: common::pinned_clock(),
        providers: kata_cloud::provider::ProviderRegistry::new(settings),
    };
    let mut h = window(Engine::open(config).unwrap());
    step_until(&mut h, "the store to be read", |h| h.state().model.started);
    open_space(&mut h, &repo);
    send(&mut h, "add retry to the http client");

    // Every implementor asks before its first command.
    step_until(&mut h, "every implementor to ask", |h| {
        let app = h.state();
        let asked = waiting(&app.model).len();
        // The Changes tab's count (the write) is read on the I/O thread: wait for it too.
        asked > 0 && asked == running_implementors(app) && app.view.changes.file_count() == 1
    });
    assert_eq!(run_status(h.state()), Some(RunStatus::WaitingPermission));
    let asked = waiting(&h.state().model).len();
    h.get_by_label_contains("waiting for permission");
    h.get_by_label("Always (allow `touch *` in this session)");
    // The thread's scroll bar thumb lands one pixel apart from run to run (10 pixels of the picture, seen
    // under load); everything else must match exactly.
    h.remove_cursor();
    h.run_steps(3);
    h.snapshot_options(
        "permission_card",
        &egui_kittest::SnapshotOptions::new().max_failed_pixels(16),
    );

    // 1 = Always: the pattern joins the session's allow-list; the other asks are answered with 2 = Yes.
    h.key_press(Key::Num1);
    step_until(&mut h, "the first answer", |h| {
        waiting(&h.state().model).len() < asked
    });
    while run_status(h.state()) != Some(RunStatus::Completed) {
        if !waiting(&h.state().model).is_empty() {
            h.key_press(Key::Num2);
        }
        step_until(&mut h, "the run to go on", |h| {
            waiting(&h.state().model).is_empty()
                || run_status(h.state()) == Some(RunStatus::Completed)
        });
        h.run_steps(5);
    }
    let shown = common::ok(&data, &["--json", "runs", "list"]).json();
    let id = shown[0]["id"].as_str().unwrap().to_owned();
    let run = common::ok(&data, &["--json", "runs", "show", &id]).json();
    let permissions = run["permissions"].as_array().unwrap();
    assert_eq!(
        permissions[0]["answer"]["decision"], "always",
        "{permissions:?}"
    );
    assert_eq!(permissions[0]["answer"]["by"], "window");
    assert!(
        permissions.iter().all(|p| p["subject"] == "touch one.txt"),
        "`touch two.txt` matched `touch *` and did not ask: {permissions:?}"
    );
    let allowed = common::ok(
        &data,
        &[
            "--json",
            "session",
            "allowed",
            run["session_id"].as_str().unwrap(),
        ],
    )
    .json();
    assert_eq!(allowed[0]["pattern"], "touch *");
    assert!(
        h.query_by_label_contains("waiting for permission")
            .is_none()
    );
}
