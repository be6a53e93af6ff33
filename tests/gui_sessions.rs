//! The session switcher in the sidebar: a new session (named) never strands the old one's history, any
//! session can be opened again, and archiving asks first.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use kata_cloud::gui::{AppConfig, KataApp};
use kata_cloud::model::{ManualClock, RunStatus, Timestamp};
use kata_cloud::orchestrator::{Engine, EngineConfig};
use kata_cloud::provider::ProviderRegistry;
use kata_cloud::provider::registry::ProviderSettings;

/// 2026-11-24 09:12:00 UTC: every timestamp in these tests.
const NOW: i64 = 1_795_511_520_000;

fn window(data: &Path) -> Harness<'static, KataApp> {
    let engine = Engine::open(EngineConfig {
        data_dir: data.to_path_buf(),
        clock: Arc::new(ManualClock::new(Timestamp::from_unix_millis(NOW), 0)),
        providers: ProviderRegistry::new(ProviderSettings::default()),
    })
    .unwrap();
    let config = AppConfig {
        animate: false,
        run_id_prefix: Some("r".into()),
        ..AppConfig::default()
    };
    Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_eframe(move |_cc| KataApp::new(engine, config).unwrap())
}

fn step_until(h: &mut Harness<'_, KataApp>, what: &str, done: impl Fn(&KataApp) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done(h.state()) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        h.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    h.run_steps(3);
}

fn session_name(app: &KataApp) -> Option<String> {
    app.model.session.as_ref().map(|s| s.session.label.clone())
}

#[test]
fn sessions_are_switched_created_by_name_and_archived_after_a_confirmation() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    common::sample_repo(&repo);
    let data = tmp.path().join("data");
    let mut h = window(&data);
    step_until(&mut h, "the store to be read", |a| a.model.started);
    h.state_mut().view.home_path = repo.display().to_string();
    h.step();
    h.get_by_label("Create space").click();
    step_until(&mut h, "the space to open", |a| a.model.session.is_some());
    h.state_mut().view.composer = "add retry to the http client".into();
    h.step();
    h.get_by_label("Send").click();
    step_until(&mut h, "the run to complete", |a| {
        a.model.session.as_ref().is_some_and(|s| {
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
    step_until(&mut h, "the new session", |a| {
        session_name(a).as_deref() == Some("Timeouts")
    });
    assert!(h.state().model.session.as_ref().unwrap().runs.is_empty());
    h.get_by_label("Show sessions").click();
    h.run_steps(2);
    h.get_by_label("1 run · now");
    h.remove_cursor();
    h.run_steps(2);
    h.snapshot("session_switcher");

    // Back to the first session: its history is there.
    h.get_by_label("Session 1").click();
    step_until(&mut h, "the first session", |a| {
        session_name(a).as_deref() == Some("Session 1")
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
    step_until(&mut h, "the archived session to leave the list", |a| {
        a.model.session.as_ref().unwrap().sessions.len() == 1
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
