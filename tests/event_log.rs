//! A run's stored event log replays, through the one run reducer every client uses, to the run as
//! `runs show` reads it from the records: what clients saw is what was stored.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use kata_cloud::model::{Event, RunId, RunView, run_reducer};

#[test]
fn replaying_the_event_log_gives_the_stored_run() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    common::sample_repo(&repo);
    let data = tmp.path().join("data");
    // A run that is interrupted mid-wave and resumed: resume notes, restarted tasks, two attempts.
    let (first, _) = common::run_killed_mid_wave(&data, &repo);
    let resumed = common::run(&data, &["--json", "runs", "resume", &first]);
    assert_eq!(resumed.code, 0, "{}", resumed.stderr);

    let app = common::app(&data);
    let id = RunId::new(first.as_str());
    let stored = app.show_run(&id).unwrap();
    let log = app.store().read(|rx| rx.events(&id)).unwrap();
    let Some(Event::RunCreated { run }) = log.first().map(|r| &r.event) else {
        panic!("a log starts with run_created: {:?}", log.first());
    };
    let mut replayed = RunView::new((**run).clone());
    for record in &log {
        run_reducer::apply(&mut replayed, &record.event);
    }
    // Receipts are records of the engine's own bookkeeping, not events; staleness is derived on read.
    let mut expected = stored.clone();
    for task in &mut expected.tasks {
        task.receipts.clear();
    }
    replayed.stale = expected.stale.clone();
    assert_eq!(replayed.run, expected.run);
    assert_eq!(
        replayed.items, expected.items,
        "items come back from the snapshot"
    );
    assert_eq!(replayed.tasks, expected.tasks);
    assert!(
        log.iter().any(|r| matches!(&r.event, Event::ContextResolved { context, .. } if !context.items.is_empty())),
        "readers get context_resolved with its items"
    );
}
