//! The orchestrator through its Command/Event protocol: persist-then-publish, concurrency inside a wave,
//! cancellation at any step, shutdown leaving runs resumable.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::engine;
use kata_cloud::model::{
    ContextProviderKind, RunId, RunStatus, Session, SessionId, Space, SpaceId, TaskStatus,
    Timestamp,
};
use kata_cloud::orchestrator::{Engine, Orchestrator};
use kata_cloud::protocol::{Command, Event, StartRun};
use tokio::sync::broadcast::Receiver;

/// Links `repo` and makes a session in it, straight through the store (the engine under test sits below
/// the application API).
fn space_and_session(engine: &Engine, repo: &Path) -> (Space, Session) {
    let now = engine.clock.now();
    let space = Space {
        id: SpaceId::generate(&engine.ids, now),
        name: "repo".into(),
        root_path: std::fs::canonicalize(repo).unwrap(),
        repo: None,
        context_provider: ContextProviderKind::Filesystem,
        mcp_command: None,
        check_command: None,
        approval_mode: None,
        created_at: now,
        updated_at: now,
    };
    let session = Session {
        id: SessionId::generate(&engine.ids, now),
        space_id: space.id.clone(),
        label: "Session 1".into(),
        context_provider: None,
        worktree: None,
        created_at: now,
        updated_at: now,
        last_used_at: now,
        archived_at: None,
        approval_mode: None,
        allow_rules: Vec::new(),
        pull_request: None,
    };
    engine
        .store
        .write(|tx| {
            tx.put_space(&space)?;
            tx.put_session(&session)
        })
        .unwrap();
    (space, session)
}

fn start(engine: &Engine, orchestrator: &Orchestrator, repo: &Path) -> RunId {
    let (space, session) = space_and_session(engine, repo);
    let run_id = RunId::generate(&engine.ids, engine.clock.now());
    orchestrator
        .commands()
        .try_send(Command::StartRun(StartRun {
            run_id: run_id.clone(),
            space_id: space.id,
            session_id: session.id,
            prompt: "add retry to the http client".into(),
            provider: None,
            model: None,
            context_provider: None,
            script: None,
            permission_policy: None,
            spec_task: None,
        }))
        .unwrap();
    run_id
}

/// Receives events of `run` until `until` says stop (or the run leaves the live states).
async fn collect(
    events: &mut Receiver<Event>,
    run: &RunId,
    mut until: impl FnMut(&Event) -> bool,
) -> Vec<Event> {
    let mut out = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        let event = tokio::time::timeout(remaining, events.recv())
            .await
            .expect("timed out waiting for events")
            .unwrap();
        if event.run_id() != Some(run) {
            continue;
        }
        let stop = until(&event) || event.run_status().is_some_and(|s| !s.is_active());
        out.push(event);
        if stop {
            return out;
        }
    }
}

#[test]
fn events_are_published_after_commit_and_equal_the_run_log() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    common::sample_repo(&repo);
    let engine = engine(&tmp.path().join("data"), 150);
    let orchestrator = engine.start().unwrap();
    let mut events = orchestrator.subscribe();
    let run = start(&engine, &orchestrator, &repo);
    let store = engine.store.clone();
    let received = orchestrator
        .block_on(async {
            let mut checked = 0;
            let got = collect(&mut events, &run, |event| {
                // At the moment an event arrives, the store already holds the state it describes.
                match event {
                    Event::RunStatusChanged(e) => {
                        let stored = store.read(|rx| rx.run(&e.run_id)).unwrap().unwrap();
                        assert!(
                            stored
                                .timeline
                                .iter()
                                .any(|t| t.status == e.status && t.at == e.at),
                            "{e:?}"
                        );
                        checked += 1;
                    }
                    Event::TaskStatusChanged(e) => {
                        let tasks = store.read(|rx| rx.tasks(&e.run_id)).unwrap();
                        let task = tasks.iter().find(|t| t.id == e.task_id).unwrap();
                        assert!(
                            task.timeline
                                .iter()
                                .any(|t| t.status == e.status && t.at == e.at),
                            "{e:?}"
                        );
                        checked += 1;
                    }
                    _ => {}
                }
                false
            })
            .await;
            assert!(checked >= 6);
            got
        })
        .unwrap();
    let log: Vec<Event> = engine
        .store
        .read(|rx| rx.events(&run))
        .unwrap()
        .into_iter()
        .map(|r| r.event)
        .collect();
    assert_eq!(
        log, received,
        "the run's event log replays exactly what subscribers saw"
    );
    assert_eq!(
        received.last().and_then(Event::run_status),
        Some(RunStatus::Completed)
    );
}

#[test]
fn tasks_of_one_wave_run_at_the_same_time_and_the_next_wave_waits() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    common::sample_repo(&repo);
    let engine = engine(&tmp.path().join("data"), 200);
    let orchestrator = engine.start().unwrap();
    let mut events = orchestrator.subscribe();
    let run = start(&engine, &orchestrator, &repo);
    orchestrator
        .block_on(collect(&mut events, &run, |_| false))
        .unwrap();

    let tasks = engine.store.read(|rx| rx.tasks(&run)).unwrap();
    let span = |id: &str| -> (Timestamp, Timestamp) {
        let t = tasks.iter().find(|t| t.id.as_str() == id).unwrap();
        let at = |s: TaskStatus| t.timeline.iter().find(|e| e.status == s).unwrap().at;
        (at(TaskStatus::Running), at(TaskStatus::Completed))
    };
    let wave1: Vec<&str> = tasks
        .iter()
        .filter(|t| t.wave == 1)
        .map(|t| t.id.as_str())
        .collect();
    assert!(
        wave1.len() >= 2,
        "the sample repo gives two implement tasks"
    );
    let (a_start, a_end) = span(wave1[0]);
    let (b_start, b_end) = span(wave1[1]);
    assert!(
        a_start < b_end && b_start < a_end,
        "wave 1 tasks overlap in time"
    );
    let wave2_start = tasks
        .iter()
        .filter(|t| t.wave == 2)
        .map(|t| span(t.id.as_str()).0)
        .min()
        .unwrap();
    assert!(
        wave2_start >= a_end.max(b_end),
        "wave 2 starts after every wave 1 task ended"
    );
}

fn cancel_when(step_ms: u64, trigger: fn(&Event) -> bool) -> (Engine, RunId, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    common::sample_repo(&repo);
    let engine = engine(&tmp.path().join("data"), step_ms);
    let orchestrator = engine.start().unwrap();
    let mut events = orchestrator.subscribe();
    let run = start(&engine, &orchestrator, &repo);
    let commands = orchestrator.commands();
    let cancel_id = run.clone();
    let got = orchestrator
        .block_on(collect(&mut events, &run, move |event| {
            if trigger(event) {
                commands
                    .try_send(Command::CancelRun {
                        run_id: cancel_id.clone(),
                    })
                    .unwrap();
            }
            false
        }))
        .unwrap();
    assert_eq!(
        got.last().and_then(Event::run_status),
        Some(RunStatus::Cancelled)
    );
    drop(orchestrator);
    (engine, run, tmp)
}

#[test]
fn a_run_can_be_cancelled_while_drafting() {
    let (engine, run, _tmp) = cancel_when(2_000, |e| matches!(e, Event::ContextResolved { .. }));
    let stored = engine.store.read(|rx| rx.run(&run)).unwrap().unwrap();
    assert_eq!(stored.status, RunStatus::Cancelled);
    assert!(stored.draft.is_none());
    assert!(engine.store.read(|rx| rx.active_runs()).unwrap().is_empty());
}

#[test]
fn a_run_can_be_cancelled_in_the_middle_of_a_wave() {
    let (engine, run, _tmp) = cancel_when(
        2_000,
        |e| matches!(e, Event::TaskStatusChanged(t) if t.status == TaskStatus::Running),
    );
    let tasks = engine.store.read(|rx| rx.tasks(&run)).unwrap();
    assert!(!tasks.is_empty());
    for task in &tasks {
        assert_eq!(task.status, TaskStatus::Cancelled, "{task:?}");
    }
}

#[test]
fn shutting_down_interrupts_live_runs_and_a_new_engine_resumes_them() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    common::sample_repo(&repo);
    let data = tmp.path().join("data");
    let run = {
        let engine = engine(&data, 300);
        let mut orchestrator = engine.start().unwrap();
        let mut events = orchestrator.subscribe();
        let run = start(&engine, &orchestrator, &repo);
        orchestrator
            .block_on(collect(&mut events, &run, |e| {
                matches!(e, Event::WaveStarted { .. })
            }))
            .unwrap();
        orchestrator.shutdown(); // the window closes
        let stored = engine.store.read(|rx| rx.run(&run)).unwrap().unwrap();
        assert_eq!(stored.status, RunStatus::Interrupted);
        assert!(stored.interrupted_at.is_some());
        run
    };

    let engine = engine(&data, 10);
    assert!(
        engine.reconciled.runs.is_empty(),
        "shutdown already recorded the interruption"
    );
    let orchestrator = engine.start().unwrap();
    let mut events = orchestrator.subscribe();
    orchestrator
        .commands()
        .try_send(Command::ResumeRun {
            run_id: run.clone(),
        })
        .unwrap();
    let got = orchestrator
        .block_on(collect(&mut events, &run, |_| false))
        .unwrap();
    assert_eq!(
        got.last().and_then(Event::run_status),
        Some(RunStatus::Completed)
    );
    let stored = engine.store.read(|rx| rx.run(&run)).unwrap().unwrap();
    assert_eq!(stored.attempt, 2);
}

#[test]
fn rejected_commands_change_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let engine = engine(&tmp.path().join("data"), 0);
    let orchestrator = engine.start().unwrap();
    let mut events = orchestrator.subscribe();
    let ghost = RunId::new("r-ghost");
    orchestrator
        .commands()
        .try_send(Command::ResumeRun {
            run_id: ghost.clone(),
        })
        .unwrap();
    let got = orchestrator
        .block_on(collect(&mut events, &ghost, |e| {
            matches!(e, Event::CommandRejected { .. })
        }))
        .unwrap();
    let Event::CommandRejected { error, .. } = &got[0] else {
        panic!("{got:?}")
    };
    assert_eq!(error.code, "not_found");
    assert!(error.message.contains("r-ghost"), "{error:?}");
    assert!(engine.store.read(|rx| rx.runs()).unwrap().is_empty());
}
