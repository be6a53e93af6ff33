//! The window's living spec: the sidebar's progress counts the spec's task lines (an unrelated new prompt
//! never lowers it), an applied draft is never followed by the offer of an older one, a dismissed draft is
//! applied from the run inspector, a task card's glyph toggles its line and its ▶ starts a run for that task
//! alone.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use common::{open_space, pinned_engine, run_status, send, step_until, window};
use egui_kittest::kittest::{NodeT, Queryable};
use kata_cloud::gui::app::Action;
use kata_cloud::gui::model::Expand;
use kata_cloud::model::{RunId, RunStatus};

/// The sidebar's progress caption ("3/4 tasks done · 1 running"), as the window shows it.
fn caption(h: &egui_kittest::Harness<'_, kata_cloud::gui::KataApp>) -> String {
    h.query_all_by_label_contains("tasks done")
        .chain(h.query_all_by_label_contains("task done"))
        .chain(h.query_all_by_label_contains("The task is done"))
        .map(|n| {
            let node = n.accesskit_node();
            node.label()
                .or_else(|| node.value())
                .unwrap_or_else(|| format!("{n:?}"))
        })
        .next()
        .unwrap_or_default()
}

#[test]
fn progress_counts_the_spec_and_does_not_fall_after_an_unrelated_prompt() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    common::sample_repo(&repo);
    let mut h = window(pinned_engine(&tmp.path().join("data"), 200));
    step_until(&mut h, "the store to be read", |h| h.state().model.started);
    open_space(&mut h, &repo);
    send(&mut h, "add retry to the http client");
    step_until(&mut h, "r1 to complete", |h| {
        run_status(h.state(), "r1") == Some(RunStatus::Completed)
    });
    step_until(&mut h, "a fresh draft card", |h| {
        h.query_by_label_contains("Draft from run r1 (latest)")
            .is_some()
    });
    h.get_by_label("Apply").click();
    step_until(&mut h, "all tasks done", |h| caption(h).starts_with("All "));
    let done = caption(&h);
    assert_eq!(done, "All 3 tasks done");

    // An unrelated prompt: its run's tasks are not the spec's, so the progress stays.
    h.state_mut().sent.clear();
    send(&mut h, "write a changelog entry");
    step_until(&mut h, "r2 to run", |h| {
        run_status(h.state(), "r2") == Some(RunStatus::Running)
    });
    let mut seen_tasks = false;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while run_status(h.state(), "r2") != Some(RunStatus::Completed) {
        h.step();
        assert_eq!(caption(&h), done, "progress must not fall while r2 runs");
        seen_tasks |= h
            .state()
            .model
            .session
            .as_ref()
            .and_then(|s| s.run(&RunId::new("r2")))
            .is_some_and(|r| !r.view.tasks.is_empty());
        assert!(std::time::Instant::now() < deadline, "r2 did not complete");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    h.run_steps(3);
    assert_eq!(caption(&h), done, "progress must not fall after r2");
    assert!(seen_tasks, "r2 had tasks of its own");
}

#[test]
fn no_older_draft_is_offered_after_an_apply_and_a_dismissed_one_applies_from_the_inspector() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    common::sample_repo(&repo);
    let mut h = window(pinned_engine(&tmp.path().join("data"), 0));
    step_until(&mut h, "the store to be read", |h| h.state().model.started);
    open_space(&mut h, &repo);
    send(&mut h, "add retry to the http client");
    step_until(&mut h, "r1 to complete", |h| {
        run_status(h.state(), "r1") == Some(RunStatus::Completed)
    });
    h.state_mut().sent.clear();
    send(&mut h, "now also handle timeouts");
    step_until(&mut h, "r2's draft card", |h| {
        run_status(h.state(), "r2") == Some(RunStatus::Completed)
            && h.query_by_label_contains("Draft from run r2 (latest)")
                .is_some()
    });

    // Dismissed: no card; the run inspector still applies it.
    h.get_by_label("Dismiss").click();
    step_until(&mut h, "no draft card", |h| {
        h.query_by_label_contains("Draft from run").is_none()
    });
    h.state_mut()
        .actions
        .push(Action::Toggle(Expand::Inspector(RunId::new("r2"))));
    step_until(&mut h, "r2's inspector", |h| {
        h.query_by_label_contains("Run inspector · r2").is_some()
    });
    h.get_by_label("Apply this draft").scroll_to_me();
    h.run_steps(2);
    h.get_by_label("Apply this draft").click_accesskit();
    step_until(&mut h, "r2's draft applied", |h| {
        h.query_by_label_contains("Applied from run r2").is_some()
    });
    // r1's older draft is never offered as the current one.
    h.run_steps(5);
    assert!(
        h.query_by_label_contains("Draft from run").is_none(),
        "an older draft is offered after the apply"
    );
    let store = h.state().app.store().clone();
    let session = h.state().model.session_id().unwrap().clone();
    let spec = store.read(|rx| rx.spec(&session)).unwrap().unwrap();
    assert_eq!(spec.applied_from_run, Some(RunId::new("r2")));
    assert!(
        spec.content
            .contains("Follow-up: Now also handle timeouts.")
    );
}

#[test]
fn the_play_button_on_a_task_card_runs_that_task_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    common::sample_repo(&repo);
    let mut h = window(pinned_engine(&tmp.path().join("data"), 0));
    step_until(&mut h, "the store to be read", |h| h.state().model.started);
    open_space(&mut h, &repo);
    send(&mut h, "add retry to the http client");
    step_until(&mut h, "a fresh draft card", |h| {
        run_status(h.state(), "r1") == Some(RunStatus::Completed)
            && h.query_by_label_contains("Draft from run r1 (latest)")
                .is_some()
    });
    h.get_by_label("Apply").click();
    step_until(&mut h, "the task cards", |h| {
        h.query_all_by_label_contains("Run task: ").count() >= 2
    });
    // The glyph toggles its line, and only that line.
    let store = h.state().app.store().clone();
    let session = h.state().model.session_id().unwrap().clone();
    let before = store.read(|rx| rx.spec(&session)).unwrap().unwrap();
    h.get_by_label_contains("Toggle task: adapt")
        .click_accesskit();
    step_until(&mut h, "the toggle", |_| {
        store
            .read(|rx| rx.spec(&session))
            .unwrap()
            .is_some_and(|s| s.revision == before.revision + 1)
    });
    let after = store.read(|rx| rx.spec(&session)).unwrap().unwrap();
    let changed: Vec<(&str, &str)> = before
        .content
        .lines()
        .zip(after.content.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert!(changed[0].0.starts_with("- [x] ") && changed[0].1.starts_with("- [ ] "));
    assert!(changed[0].1.ends_with("<!-- s2 -->"));
    // The sidebar's spec tree toggles the same line back.
    h.state_mut().view.section = kata_cloud::gui::view_state::SidebarSection::Context;
    h.run_steps(3);
    h.get_by_label_contains("Toggle spec task in sidebar: adapt")
        .click_accesskit();
    step_until(&mut h, "the sidebar toggle", |_| {
        store
            .read(|rx| rx.spec(&session))
            .unwrap()
            .is_some_and(|s| s.revision == before.revision + 2)
    });
    let back = store.read(|rx| rx.spec(&session)).unwrap().unwrap();
    assert_eq!(back.content, before.content);
    h.state_mut().view.section = kata_cloud::gui::view_state::SidebarSection::Agents;
    h.run_steps(3);
    h.get_by_label_contains("Run task: adapt").click_accesskit();
    step_until(&mut h, "r2 to complete", |h| {
        run_status(h.state(), "r2") == Some(RunStatus::Completed)
    });
    let run = h
        .state()
        .model
        .session
        .as_ref()
        .unwrap()
        .run(&RunId::new("r2"))
        .unwrap()
        .view
        .clone();
    assert_eq!(run.run.options.spec_task.as_deref(), Some("s2"));
    assert_eq!(run.tasks.len(), 1, "{:?}", run.tasks);
    assert_eq!(run.tasks[0].spec_task.as_deref(), Some("s2"));
    assert!(run.run.prompt.starts_with("adapt"), "{}", run.run.prompt);
}
