//! The desktop window driven headlessly with egui_kittest: the real app on a real temporary store, a real
//! git repository and the real orchestrator with the offline provider; a fixed clock keeps pictures stable.
//! PNG snapshots (rendered with `WGPU_BACKEND=gl` on Mesa llvmpipe) live in `tests/snapshots/`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use std::path::Path;

use common::{
    PINNED_NOW, open_space, pinned_clock, pinned_engine, provenance_of, run_status, send, snapshot,
    step_until, window,
};
use egui_kittest::kittest::Queryable;
use kata_cloud::app::App;
use kata_cloud::app::spaces::AddSpace;
use kata_cloud::gui::ui_state::{self, UiState};
use kata_cloud::model::{
    ContextProviderKind, NewRun, OwnerId, RunId, RunOptions, RunRecord, RunStatus, Timestamp,
};
use kata_cloud::protocol::Command;

#[test]
fn first_launch_lands_on_home_and_shows_how_to_start() {
    let tmp = tempfile::tempdir().unwrap();
    let mut h = window(pinned_engine(&tmp.path().join("data"), 0));
    step_until(&mut h, "the store to be read", |h| h.state().model.started);
    h.get_by_label("No spaces yet");
    h.get_by_label("Create space");
    snapshot(&mut h, "home_empty");
}

#[test]
fn home_shows_validation_errors_inline() {
    let tmp = tempfile::tempdir().unwrap();
    let mut h = window(pinned_engine(&tmp.path().join("data"), 0));
    step_until(&mut h, "the store to be read", |h| h.state().model.started);
    h.state_mut().view.home_path = tmp.path().join("nope").display().to_string();
    h.step();
    h.get_by_label("Create space").click();
    step_until(&mut h, "the error", |h| h.state().view.home_error.is_some());
    let error = h.state().view.home_error.clone().unwrap();
    assert!(error.contains("does not exist"), "{error}");
    h.get_by_label_contains("does not exist");
    assert!(h.state().model.session.is_none());
}

#[test]
fn create_space_send_prompt_and_inspect_provenance() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    common::sample_repo(&repo);
    let mut h = window(pinned_engine(&tmp.path().join("data"), 0));
    step_until(&mut h, "the store to be read", |h| h.state().model.started);
    open_space(&mut h, &repo);
    send(&mut h, "add retry to the http client");
    assert!(matches!(
        h.state().sent.first(),
        Some(Command::StartRun(s)) if s.prompt == "add retry to the http client" && s.run_id.as_str() == "r1"
    ));
    step_until(&mut h, "the run to complete", |h| {
        run_status(h.state(), "r1") == Some(RunStatus::Completed)
            && h.state()
                .model
                .session
                .as_ref()
                .and_then(|s| s.run(&RunId::new("r1")))
                .is_some_and(|r| !r.view.items.is_empty())
    });
    let line = {
        let app = h.state();
        let entry = app
            .model
            .session
            .as_ref()
            .unwrap()
            .run(&RunId::new("r1"))
            .unwrap();
        kata_cloud::gui::views::thread_rows::provenance(entry, app.model.now)
    };
    assert!(line.starts_with("Run r1 · Completed · "), "{line}");
    assert!(line.contains(" · Context: filesystem ("), "{line}");
    assert!(line.contains(" snippets) · Provider: offline/"), "{line}");
    h.get_by_label(&line);
    h.get_by_label("Show run inspector").scroll_to_me();
    h.run_steps(2);
    h.get_by_label("Show run inspector").click_accesskit();
    step_until(&mut h, "the inspector", |h| {
        h.query_by_label_contains("Run inspector · r1").is_some()
    });
    h.get_by_label("Prompt".to_uppercase().as_str());
    h.get_by_label_contains("src/http_client.rs:");
    h.get_by_label("CONTEXT DIAGNOSTICS");
    h.remove_cursor();
    h.run_steps(5);
    // The provider's latency is wall-clock time: the one thing in the picture that varies.
    let latency = h.get_by_label_contains("Latency ").rect();
    h.mask(latency);
    h.snapshot("run_inspector");
}

#[test]
fn running_run_animates_only_here_and_stops() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    common::sample_repo(&repo);
    let mut h = window(pinned_engine(&tmp.path().join("data"), 60_000));
    step_until(&mut h, "the store to be read", |h| h.state().model.started);
    open_space(&mut h, &repo);
    send(&mut h, "add retry to the http client");
    step_until(&mut h, "the run to be drafting", |h| {
        let app = h.state();
        app.model
            .session
            .as_ref()
            .and_then(|s| s.run(&RunId::new("r1")))
            .is_some_and(|r| {
                r.view.run.status == RunStatus::Running
                    && r.view.run.provider_execution.is_some()
                    && !r.view.items.is_empty()
            })
    });
    h.get_by_label_contains("Run r1 · Running");
    h.get_by_label("1 run live");
    h.get_by_label("Stop");
    snapshot(&mut h, "run_running");
    h.get_by_label("Stop run").click();
    step_until(&mut h, "the run to be cancelled", |h| {
        run_status(h.state(), "r1") == Some(RunStatus::Cancelled)
    });
    assert!(
        h.state()
            .sent
            .iter()
            .any(|c| matches!(c, Command::CancelRun { run_id } if run_id.as_str() == "r1"))
    );
}

/// A store left behind by a process that died mid-run, with the window layout it had saved.
fn crashed_store(data: &Path, repo: &Path) -> RunId {
    let app = App::new(pinned_engine(data, 0));
    let space = app
        .add_space(AddSpace {
            path: repo.to_path_buf(),
            ..AddSpace::default()
        })
        .unwrap()
        .space;
    let session = app.session_for(&space, None).unwrap();
    let engine = app.store();
    let at = Timestamp::from_unix_millis(PINNED_NOW - 3_600_000);
    let mut run = RunRecord::queued(
        NewRun {
            id: RunId::new("r7"),
            space_id: space.id.clone(),
            session_id: session.id.clone(),
            prompt: "add retry to the http client".into(),
            requested_context: ContextProviderKind::Filesystem,
            options: RunOptions::default(),
            owner: OwnerId::new("ow-gone"),
        },
        at,
    );
    run.transition(RunStatus::Running, at, None).unwrap();
    engine
        .write(|tx| {
            tx.put_run(&run)?;
            tx.put_app_state(
                ui_state::KEY,
                &UiState {
                    space: Some(space.id.clone()),
                    session: Some(session.id.clone()),
                    ..UiState::default()
                },
            )
        })
        .unwrap();
    run.id
}

#[test]
fn restart_restores_the_session_shows_interrupted_and_resume_works() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    common::sample_repo(&repo);
    let data = tmp.path().join("data");
    let run = crashed_store(&data, &repo);
    let mut h = window(pinned_engine(&data, 0));
    step_until(&mut h, "the saved session to come back", |h| {
        run_status(h.state(), run.as_str()) == Some(RunStatus::Interrupted)
    });
    h.get_by_label_contains("Interrupted · app exited at 09:12 UTC");
    h.get_by_label_contains("Run r7 · Interrupted");
    h.get_by_label("Resume").click();
    step_until(&mut h, "the resumed run to complete", |h| {
        run_status(h.state(), run.as_str()) == Some(RunStatus::Completed)
    });
    assert!(
        h.state()
            .sent
            .iter()
            .any(|c| matches!(c, Command::ResumeRun { run_id } if run_id == &run))
    );
    let stored = h
        .state()
        .app
        .store()
        .read(|rx| rx.run(&run))
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, RunStatus::Completed);
    assert_eq!(stored.attempt, 2);
}

#[test]
fn editing_a_source_makes_the_draft_card_stale_and_apply_anyway_confirms() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    common::sample_repo(&repo);
    let mut h = window(pinned_engine(&tmp.path().join("data"), 0));
    step_until(&mut h, "the store to be read", |h| h.state().model.started);
    // The first prompt typed on Home starts the first run once the space is open.
    h.state_mut().view.home_prompt = "add retry to the http client".into();
    open_space(&mut h, &repo);
    step_until(&mut h, "the first run to start", |h| {
        !h.state().sent.is_empty()
    });
    step_until(&mut h, "the run to complete", |h| {
        run_status(h.state(), "r1") == Some(RunStatus::Completed)
    });
    step_until(&mut h, "a fresh draft card", |h| {
        h.query_by_label_contains("Draft from run r1 (latest)")
            .is_some()
    });
    let path = repo.join("src/http_client.rs");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("\n// edited after the run\n");
    std::fs::write(&path, text).unwrap();
    step_until(&mut h, "the draft card to go stale", |h| {
        h.query_by_label_contains("Sources changed: src/http_client.rs")
            .is_some()
    });
    h.get_by_label("Apply anyway");
    h.run_steps(3);
    snapshot(&mut h, "draft_stale");
    h.get_by_label("Apply anyway").click();
    step_until(&mut h, "the confirmation", |h| {
        h.query_by_label("Confirm apply").is_some()
    });
    h.get_by_label("Confirm apply").click();
    step_until(&mut h, "the draft to be applied", |h| {
        h.state()
            .model
            .session
            .as_ref()
            .and_then(|s| s.spec.as_ref())
            .is_some_and(|s| s.applied_from_run.as_ref().map(RunId::as_str) == Some("r1"))
    });
    h.get_by_label_contains("Applied from run r1 at 09:12 UTC");
}

#[test]
fn applying_a_fresh_draft_then_editing_the_spec_autosaves() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    common::sample_repo(&repo);
    let mut h = window(pinned_engine(&tmp.path().join("data"), 0));
    step_until(&mut h, "the store to be read", |h| h.state().model.started);
    open_space(&mut h, &repo);
    send(&mut h, "add retry to the http client");
    step_until(&mut h, "a fresh draft card", |h| {
        h.query_by_label_contains("Draft from run r1 (latest)")
            .is_some()
    });
    h.get_by_label("Apply").click();
    step_until(&mut h, "the spec to be applied", |h| {
        h.query_by_label_contains("Applied from run r1 at 09:12 UTC")
            .is_some()
    });
    // Rendered sections with task cards.
    assert!(h.query_all_by_label("Goal").count() >= 1);
    assert!(h.state_mut().model.derived().spec_tasks.len() >= 2);
    snapshot(&mut h, "spec_applied");
    assert!(h.query_by_label_contains("Draft from run").is_none());
    let store = h.state().app.store().clone();
    let session = h.state().model.session_id().unwrap().clone();
    let before = store.read(|rx| rx.spec(&session)).unwrap().unwrap();
    assert_eq!(before.applied_from_run, Some(RunId::new("r1")));

    h.get_by_label("Edit").click();
    step_until(&mut h, "the editor", |h| {
        h.query_all_by_role(egui::accesskit::Role::MultilineTextInput)
            .any(|n| n.value().is_some_and(|v| v.starts_with("# Spec")))
    });
    let editor = h
        .query_all_by_role(egui::accesskit::Role::MultilineTextInput)
        .find(|n| n.value().is_some_and(|v| v.starts_with("# Spec")))
        .unwrap();
    editor.focus();
    h.step();
    h.query_all_by_role(egui::accesskit::Role::MultilineTextInput)
        .find(|n| n.value().is_some_and(|v| v.starts_with("# Spec")))
        .unwrap()
        .type_text("Edited by hand. ");
    step_until(&mut h, "the autosave", |_| {
        store
            .read(|rx| rx.spec(&session))
            .unwrap()
            .is_some_and(|s| s.revision == before.revision + 1)
    });
    let after = store.read(|rx| rx.spec(&session)).unwrap().unwrap();
    assert!(
        after.content.contains("Edited by hand. "),
        "{}",
        after.content
    );
    assert_eq!(
        after.applied_from_run, None,
        "a hand edit is not the draft any more"
    );
    h.get_by_label("Saved");
}

#[test]
fn a_failed_run_shows_its_code_remediation_and_retry() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    common::sample_repo(&repo);
    let mut h = window(pinned_engine(&tmp.path().join("data"), 0));
    step_until(&mut h, "the store to be read", |h| h.state().model.started);
    open_space(&mut h, &repo);
    h.state_mut().view.provider = "anthropic".into();
    send(&mut h, "add retry to the http client");
    step_until(&mut h, "the run to fail", |h| {
        run_status(h.state(), "r1") == Some(RunStatus::Failed)
    });
    let code = h
        .state()
        .model
        .session
        .as_ref()
        .and_then(|s| s.run(&RunId::new("r1")))
        .and_then(|r| r.view.run.error.clone())
        .unwrap()
        .code;
    h.get_by_label(&format!("Failed · {code}"));
    // Retry runs the same prompt with the failed run's own choices, whatever the picker shows now.
    h.state_mut().view.provider = "offline".into();
    h.get_by_label("Retry").click();
    step_until(&mut h, "the retry to end", |h| {
        run_status(h.state(), "r2") == Some(RunStatus::Failed)
    });
    assert!(matches!(
        h.state().sent.get(1),
        Some(Command::StartRun(s))
            if s.prompt == "add retry to the http client" && s.provider.as_deref() == Some("anthropic")
    ));
}

#[test]
fn enter_sends_and_shift_enter_adds_a_line() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    common::sample_repo(&repo);
    let mut h = window(pinned_engine(&tmp.path().join("data"), 0));
    step_until(&mut h, "the store to be read", |h| h.state().model.started);
    open_space(&mut h, &repo);
    h.get_by_role(egui::accesskit::Role::MultilineTextInput)
        .focus();
    h.step();
    h.get_by_role(egui::accesskit::Role::MultilineTextInput)
        .type_text("add retry");
    h.step();
    h.key_press_modifiers(egui::Modifiers::SHIFT, egui::Key::Enter);
    h.step();
    h.get_by_role(egui::accesskit::Role::MultilineTextInput)
        .type_text("to the http client");
    h.step();
    assert!(h.state().sent.is_empty(), "Shift+Enter must not send");
    h.key_press(egui::Key::Enter);
    step_until(&mut h, "the prompt to be sent", |h| {
        !h.state().sent.is_empty()
    });
    match h.state().sent.first() {
        Some(Command::StartRun(s)) => assert_eq!(s.prompt, "add retry\nto the http client"),
        other => panic!("expected StartRun, got {other:?}"),
    }
    assert!(h.state().view.composer.is_empty());
}

#[test]
fn the_last_space_session_and_tabs_come_back_after_a_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    common::sample_repo(&repo);
    let data = tmp.path().join("data");
    let session = {
        let mut h = window(pinned_engine(&data, 0));
        step_until(&mut h, "the store to be read", |h| h.state().model.started);
        open_space(&mut h, &repo);
        h.get_by_label("Open run history").click();
        step_until(&mut h, "the history tab", |h| {
            h.query_by_label("Run history — repo").is_some()
        });
        let store = h.state().app.store().clone();
        step_until(&mut h, "the layout to be saved", |_| {
            store
                .read(|rx| rx.app_state::<UiState>(ui_state::KEY))
                .unwrap()
                .is_some_and(|l| l.tabs.len() == 2 && l.active_tab == 1)
        });
        h.state().model.session_id().unwrap().clone()
    };
    let mut h = window(pinned_engine(&data, 0));
    step_until(&mut h, "the session to come back", |h| {
        h.state().model.session_id() == Some(&session)
    });
    h.get_by_label("Run history — repo");
    h.get_by_role_and_label(egui::accesskit::Role::Button, "Coordinator")
        .click();
    step_until(&mut h, "the coordinator tab", |h| {
        h.query_by_label("Coordinator — repo").is_some()
    });
}

#[test]
fn closing_mid_wave_leaves_an_interrupted_wave_that_resumes_unfinished_tasks() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    common::sample_repo(&repo);
    let data = tmp.path().join("data");
    {
        let mut h = window(pinned_engine(&data, 1_500));
        step_until(&mut h, "the store to be read", |h| h.state().model.started);
        open_space(&mut h, &repo);
        send(&mut h, "add retry to the http client");
        step_until(&mut h, "wave 1 to be running", |h| {
            h.state()
                .model
                .session
                .as_ref()
                .and_then(|s| s.run(&RunId::new("r1")))
                .is_some_and(|r| {
                    let wave1: Vec<_> = r.view.tasks.iter().filter(|t| t.wave == 1).collect();
                    !wave1.is_empty()
                        && wave1
                            .iter()
                            .all(|t| t.status == kata_cloud::model::TaskStatus::Running)
                })
        });
        // Closing the window shuts the orchestrator down: the live run is recorded as interrupted.
    }
    let mut h = window(pinned_engine(&data, 0));
    step_until(&mut h, "the interrupted run", |h| {
        run_status(h.state(), "r1") == Some(RunStatus::Interrupted)
    });
    h.get_by_label_contains("Interrupted · app exited at 09:12 UTC");
    h.get_by_label("Wave interrupted (0/2 finished)");
    h.get_by_label("Wave 2 waits for the wave before it");
    h.get_by_label_contains("Interrupted · app exited at")
        .scroll_to_me();
    snapshot(&mut h, "run_interrupted");
    h.get_by_label("Resume unfinished").click();
    step_until(&mut h, "the resumed run to complete", |h| {
        run_status(h.state(), "r1") == Some(RunStatus::Completed)
    });
    h.get_by_label("Wave 1 finished (2/2)");
    h.get_by_label("Wave 2 finished (1/1)");
}

#[test]
fn a_new_session_starts_with_an_empty_thread() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    common::sample_repo(&repo);
    let mut h = window(pinned_engine(&tmp.path().join("data"), 0));
    step_until(&mut h, "the store to be read", |h| h.state().model.started);
    open_space(&mut h, &repo);
    send(&mut h, "add retry to the http client");
    step_until(&mut h, "the run to complete", |h| {
        run_status(h.state(), "r1") == Some(RunStatus::Completed)
    });
    let first = h.state().model.session_id().unwrap().clone();
    h.get_by_label("Show sessions").click();
    h.step();
    h.get_by_label("New").click();
    step_until(&mut h, "the new session", |h| {
        h.state().model.session_id().is_some_and(|s| s != &first)
    });
    h.get_by_label("Session 2 · 0 runs");
    h.get_by_label("Start with a prompt");
    assert_eq!(h.state().model.session.as_ref().unwrap().sessions.len(), 2);
}

#[test]
fn dragged_pane_widths_and_a_closed_spec_pane_survive_a_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    common::sample_repo(&repo);
    let data = tmp.path().join("data");
    {
        let mut h = window(pinned_engine(&data, 0));
        step_until(&mut h, "the store to be read", |h| h.state().model.started);
        open_space(&mut h, &repo);
        assert_eq!(h.state().layout.sidebar_width, 250.0);
        // Drag the sidebar's edge (x = 250) 90 points to the right, in small moves like a real pointer.
        let y = 400.0;
        h.hover_at(egui::pos2(250.0, y));
        h.run_steps(2);
        h.drag_at(egui::pos2(250.0, y));
        h.step();
        for x in (260..=340).step_by(10) {
            h.hover_at(egui::pos2(x as f32, y));
            h.step();
        }
        h.drop_at(egui::pos2(340.0, y));
        h.run_steps(3);
        let width = h.state().layout.sidebar_width;
        assert!((335.0..=345.0).contains(&width), "sidebar width {width}");
        h.get_by_label("Toggle spec pane").click();
        let store = h.state().app.store().clone();
        step_until(&mut h, "the layout to be saved", |_| {
            store
                .read(|rx| rx.app_state::<UiState>(ui_state::KEY))
                .unwrap()
                .is_some_and(|l| l.sidebar_width == width && !l.spec_open)
        });
    }
    let mut h = window(pinned_engine(&data, 0));
    step_until(&mut h, "the session to come back", |h| {
        h.state().model.session.is_some()
    });
    h.run_steps(3);
    assert!(!h.state().layout.spec_open);
    // The sidebar is drawn at the saved width: the separator sits where the drag left it.
    let width = h.state().layout.sidebar_width;
    assert!((335.0..=345.0).contains(&width), "restored width {width}");
    let tab = h
        .get_by_role_and_label(egui::accesskit::Role::Button, "Coordinator")
        .rect();
    assert!(
        tab.left() > width - 1.0,
        "the center's tab strip starts after the restored sidebar: {tab:?}"
    );
}

#[test]
fn long_prompts_empty_context_mcp_fallback_and_a_deleted_folder_render_without_panicking() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    common::sample_repo(&repo);
    let data = tmp.path().join("data");
    {
        // A space whose MCP server cannot start: every run falls back to the filesystem with an error.
        let app = App::new(pinned_engine(&data, 0));
        let space = app
            .add_space(AddSpace {
                path: repo.clone(),
                mcp_command: Some("/nonexistent/mcp-server --stdio".into()),
                ..AddSpace::default()
            })
            .unwrap()
            .space;
        let engine = app.store();
        engine
            .write(|tx| {
                tx.put_app_state(
                    ui_state::KEY,
                    &UiState {
                        space: Some(space.id.clone()),
                        ..UiState::default()
                    },
                )
            })
            .unwrap();
    }
    let mut h = window(pinned_engine(&data, 0));
    step_until(&mut h, "the saved space to open", |h| {
        h.state().model.session.is_some()
    });

    // A very long prompt: one unbroken 3,000-character word, many lines, a markdown table.
    let long = format!(
        "retry {}\n{}\n| a | b |\n|---|---|\n| 1 | 2 |",
        "x".repeat(3_000),
        "and again ".repeat(500)
    );
    send(&mut h, &long);
    step_until(&mut h, "the long run to complete", |h| {
        run_status(h.state(), "r1") == Some(RunStatus::Completed)
    });
    let line = provenance_of(&h, "r1");
    assert!(line.contains("(fallback from mcp)"), "{line}");
    h.state_mut()
        .actions
        .push(kata_cloud::gui::app::Action::Toggle(
            kata_cloud::gui::model::Expand::Inspector(RunId::new("r1")),
        ));
    h.step();
    h.state_mut().view.scroll_to = Some(kata_cloud::gui::model::ThreadItem::Header(0));
    step_until(&mut h, "the inspector", |h| {
        h.query_by_label_contains("Run inspector · r1").is_some()
    });
    h.get_by_label_contains("provider_unavailable · cannot start the MCP server");
    if let Ok(dir) = std::env::var("KATA_LOOK_DIR") {
        h.render()
            .unwrap()
            .save(format!("{dir}/long_r1.png"))
            .unwrap();
    }

    // A prompt that matches nothing: a run with 0 context items.
    h.state_mut().view.composer.clear();
    let before = h.state().sent.len();
    h.state_mut().view.composer = "zzqqxx".into();
    h.step();
    h.get_by_label("Send").click();
    step_until(&mut h, "the second prompt to be sent", |h| {
        h.state().sent.len() > before
    });
    step_until(&mut h, "the empty-context run to complete", |h| {
        run_status(h.state(), "r2") == Some(RunStatus::Completed)
    });
    let line = provenance_of(&h, "r2");
    assert!(line.contains("(0 snippets)"), "{line}");

    // The space's folder is deleted: the window notices on its I/O thread and says so.
    std::fs::remove_dir_all(&repo).unwrap();
    step_until(&mut h, "the missing folder to be noticed", |h| {
        h.state()
            .model
            .session
            .as_ref()
            .is_some_and(|s| s.root_missing)
    });
    h.get_by_label_contains("Folder missing: ");
    if let Ok(dir) = std::env::var("KATA_LOOK_DIR") {
        h.render()
            .unwrap()
            .save(format!("{dir}/missing.png"))
            .unwrap();
    }
    // Sending there ends the run (it cannot read the folder) without taking the window down.
    let before = h.state().sent.len();
    h.state_mut().view.composer = "add retry to the http client".into();
    h.step();
    h.get_by_label("Send").click();
    step_until(&mut h, "the third prompt to be sent", |h| {
        h.state().sent.len() > before
    });
    step_until(&mut h, "the run in the missing folder to end", |h| {
        run_status(h.state(), "r3").is_some_and(|s| s.is_terminal())
    });
    h.run_steps(10);

    // Home marks the space whose folder is gone.
    h.get_by_label("Home").click();
    step_until(&mut h, "Home to list the space as missing", |h| {
        !h.state().model.missing_folders.is_empty()
    });
    h.get_by_label_contains("Folder missing: move it back");
}

#[test]
fn closing_the_window_records_a_live_run_as_interrupted_before_any_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    common::sample_repo(&repo);
    let data = tmp.path().join("data");
    {
        let mut h = window(pinned_engine(&data, 1_500));
        step_until(&mut h, "the store to be read", |h| h.state().model.started);
        open_space(&mut h, &repo);
        send(&mut h, "add retry to the http client");
        step_until(&mut h, "the run to be running", |h| {
            run_status(h.state(), "r1") == Some(RunStatus::Running)
        });
        // Dropping the app is what closing the window does.
    }
    // Read the store as the closed window left it: no reconcile at start-up has run yet, so the
    // interruption was recorded by the window's own shutdown.
    let stored = {
        let store = kata_cloud::store::Store::open(&data, pinned_clock()).unwrap();
        store.read(|rx| rx.run(&RunId::new("r1"))).unwrap().unwrap()
    };
    assert_eq!(stored.status, RunStatus::Interrupted, "{stored:?}");
    assert!(stored.interrupted_at.is_some());
    // And it is resumable from the reopened window.
    let mut h = window(pinned_engine(&data, 0));
    step_until(&mut h, "the interrupted run", |h| {
        run_status(h.state(), "r1") == Some(RunStatus::Interrupted)
    });
    h.get_by_label_contains("Interrupted · app exited at");
    let resume = h
        .query_by_label("Resume")
        .or_else(|| h.query_by_label("Resume unfinished"))
        .expect("one recovery action");
    resume.click();
    step_until(&mut h, "the resumed run to complete", |h| {
        run_status(h.state(), "r1") == Some(RunStatus::Completed)
    });
}

#[test]
fn at_the_smallest_window_size_recovery_labels_do_not_run_under_their_buttons() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    common::sample_repo(&repo);
    let data = tmp.path().join("data");
    {
        let mut h = window(pinned_engine(&data, 1_500));
        step_until(&mut h, "the store to be read", |h| h.state().model.started);
        open_space(&mut h, &repo);
        send(&mut h, "add retry to the http client");
        step_until(&mut h, "the delegated tasks", |h| {
            h.state()
                .model
                .session
                .as_ref()
                .and_then(|s| s.run(&RunId::new("r1")))
                .is_some_and(|r| !r.view.tasks.is_empty())
        });
    }
    let mut h = window(pinned_engine(&data, 0));
    step_until(&mut h, "the interrupted run", |h| {
        run_status(h.state(), "r1") == Some(RunStatus::Interrupted)
    });
    // The window's minimum size (`gui` sets 900 × 560): the center pane is at its narrowest.
    h.set_size(egui::vec2(900.0, 560.0));
    h.run_steps(5);
    let wave = h.get_by_label_contains("Wave interrupted (");
    wave.scroll_to_me();
    h.run_steps(5);
    let title = h.get_by_label_contains("Wave interrupted (").rect();
    let resume = h.get_by_label("Resume unfinished").rect();
    assert!(
        title.right() <= resume.left(),
        "the wave title {title:?} runs under its button {resume:?}"
    );
    let send = h.get_by_label("Send").rect();
    assert!(send.right() <= 900.0, "Send is cut off: {send:?}");
}

#[test]
fn sending_while_scrolled_up_brings_the_new_run_into_view() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    common::sample_repo(&repo);
    let mut h = window(pinned_engine(&tmp.path().join("data"), 0));
    step_until(&mut h, "the store to be read", |h| h.state().model.started);
    open_space(&mut h, &repo);
    send(&mut h, "add retry to the http client");
    step_until(&mut h, "the first run to complete", |h| {
        run_status(h.state(), "r1") == Some(RunStatus::Completed)
    });
    // Open the first run's inspector and scroll up to it: the end of the thread is far below.
    h.state_mut()
        .actions
        .push(kata_cloud::gui::app::Action::Toggle(
            kata_cloud::gui::model::Expand::Inspector(RunId::new("r1")),
        ));
    h.step();
    h.state_mut().view.scroll_to = Some(kata_cloud::gui::model::ThreadItem::Header(0));
    h.run_steps(10);
    assert!(
        !h.state().view.stick_to_bottom,
        "the thread should be scrolled up"
    );
    h.state_mut().view.composer = "and document the retry policy".into();
    h.step();
    h.get_by_label("Send").click();
    step_until(&mut h, "the second run to complete", |h| {
        run_status(h.state(), "r2") == Some(RunStatus::Completed)
    });
    h.run_steps(10);
    let line = provenance_of(&h, "r2");
    let header = h.get_by_label(&line).rect();
    assert!(
        header.top() >= 0.0 && header.bottom() <= 800.0,
        "the new run's header is off screen: {header:?}"
    );
}

#[test]
fn a_store_redb_cannot_read_is_reported_in_the_window_not_waited_on() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    common::sample_repo(&repo);
    let data = tmp.path().join("data");
    let (_, finished) = common::run_json(
        &data,
        repo.to_str().unwrap(),
        "add retry to the http client",
    );
    let space_id = finished["space_id"].as_str().unwrap().as_bytes().to_vec();
    // Break every copy of the space id (keys included): redb panics decoding such a key.
    let store = data.join("kata.redb");
    let mut bytes = std::fs::read(&store).unwrap();
    let mut at = 0;
    while let Some(i) = bytes[at..]
        .windows(space_id.len())
        .position(|w| w == space_id.as_slice())
    {
        bytes[at + i + space_id.len() - 1] = 0xff;
        at += i + 1;
    }
    assert!(at > 0, "the space id is in the store file");
    std::fs::write(&store, &bytes).unwrap();

    kata_cloud::diagnostics::catch_store_panics();
    let mut h = window(pinned_engine(&data, 0));
    step_until(&mut h, "the window to say the store is unreadable", |h| {
        h.state().model.store_error.is_some()
    });
    let error = h.state().model.store_error.clone().unwrap();
    assert!(error.contains("the file is damaged"), "{error}");
    assert!(error.contains("Move it aside"), "{error}");
    assert!(!h.state().model.started, "nothing is shown as read");
    // On Home and in the status bar.
    assert!(h.query_all_by_label_contains("the file is damaged").count() >= 1);
}
