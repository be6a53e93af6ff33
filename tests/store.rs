//! The redb store: migrations from older files, quarantine of damaged values, reconciliation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use std::path::Path;

use common::system_clock;
use kata_cloud::model::{
    ContextItem, ContextProviderKind, ContextSnapshot, PlannedTask, SnapshotId, SnapshotSources,
    TaskId, TaskKind,
};
use kata_cloud::model::{
    IdGenerator, NewRun, OwnerId, RunId, RunOptions, RunRecord, RunStatus, SessionId, SpaceId,
    TaskRecord, TaskStatus,
};
use kata_cloud::store::migrations::create_v1_tables;
use kata_cloud::store::ownership::OwnerLease;
use kata_cloud::store::{Store, reconcile, tables};
use serde_json::json;

const FIXTURE_V1: &str = "tests/fixtures/store-v1.redb";

/// Writes the schema-1 fixture the way a version-1 build laid it out: v1 tables only, hand-written JSON
/// records, `schema_version = 1`, and a run left `running` by an engine that no longer exists.
/// Regenerate with `cargo test --test store -- --ignored write_v1_fixture`.
#[test]
#[ignore]
fn write_v1_fixture() {
    let _ = std::fs::remove_file(FIXTURE_V1);
    let db = redb::Database::create(FIXTURE_V1).unwrap();
    let txn = db.begin_write().unwrap();
    create_v1_tables(&txn).unwrap();
    txn.open_table(tables::SCHEMA)
        .unwrap()
        .insert(tables::SCHEMA_VERSION_KEY, 1)
        .unwrap();
    let at = "2026-10-01T09:00:00.000Z";
    let space = json!({"id": "sp-v1", "name": "legacy", "root_path": "/nonexistent/legacy", "context_provider": "filesystem", "created_at": at, "updated_at": at});
    let session = json!({"id": "se-v1", "space_id": "sp-v1", "label": "Session 1", "created_at": at, "updated_at": at, "last_used_at": at});
    let run = |id: &str, status: &str, owner: Option<&str>| {
        let mut r = json!({"id": id, "space_id": "sp-v1", "session_id": "se-v1", "prompt": "legacy prompt",
            "status": status, "attempt": 1,
            "timeline": [{"status": "queued", "at": at}, {"status": "running", "at": at}],
            "created_at": at, "updated_at": at,
            "context": {"requested_provider": "filesystem", "resolved_provider": null}});
        if let Some(o) = owner {
            r["owner"] = json!(o);
        }
        serde_json::to_vec(&r).unwrap()
    };
    {
        let mut t = txn.open_table(tables::SPACES).unwrap();
        t.insert("sp-v1", serde_json::to_vec(&space).unwrap().as_slice())
            .unwrap();
        let mut t = txn.open_table(tables::SESSIONS).unwrap();
        t.insert("se-v1", serde_json::to_vec(&session).unwrap().as_slice())
            .unwrap();
        let mut runs = txn.open_table(tables::RUNS).unwrap();
        runs.insert("r-v1-done", run("r-v1-done", "completed", None).as_slice())
            .unwrap();
        runs.insert(
            "r-v1-live",
            run("r-v1-live", "running", Some("ow-gone")).as_slice(),
        )
        .unwrap();
        runs.insert("r-v1-bad", b"{not json".as_slice()).unwrap();
        let mut active = txn.open_table(tables::ACTIVE_RUNS).unwrap();
        active.insert("r-v1-live", "ow-gone").unwrap();
        let task = json!({"id": "t1", "run_id": "r-v1-live", "kind": "implement", "specialist": "implementor",
            "title": "legacy task", "wave": 1, "depends_on": [], "status": "running",
            "timeline": [{"status": "queued", "at": at}, {"status": "running", "at": at}],
            "created_at": at, "updated_at": at});
        let mut tasks = txn.open_table(tables::TASKS).unwrap();
        tasks
            .insert(
                ("r-v1-live", "t1"),
                serde_json::to_vec(&task).unwrap().as_slice(),
            )
            .unwrap();
    }
    txn.commit().unwrap();
}

#[test]
fn a_schema_1_file_is_migrated_then_reconciled_and_damaged_runs_are_quarantined() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(FIXTURE_V1, tmp.path().join("kata.redb")).unwrap();

    let store = Store::open(tmp.path(), system_clock()).unwrap();
    assert_eq!(store.migration().from, Some(1));
    assert_eq!(store.migration().to, 6);
    assert_eq!(
        store.migration().applied,
        vec![
            "m002_session_runs_index",
            "m003_snapshot_sources",
            "m004_change_feed",
            "m005_tool_calls",
            "m006_permissions"
        ]
    );

    // The new index serves the session's runs; the undecodable run was moved aside with its reason.
    let runs = store
        .read(|rx| rx.session_runs(&SessionId::new("se-v1")))
        .unwrap();
    let ids: Vec<&str> = runs.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, vec!["r-v1-done", "r-v1-live"]);
    let quarantined = store.read(|rx| rx.quarantine()).unwrap();
    assert_eq!(quarantined.len(), 1);
    assert_eq!(quarantined[0].table, "runs_v1");
    assert_eq!(quarantined[0].key, "r-v1-bad");
    assert_eq!(quarantined[0].raw_hex, hex(b"{not json"));

    // The run its dead engine left running becomes interrupted, with its task.
    let ids = IdGenerator::new();
    let lease = OwnerLease::acquire(tmp.path(), &ids, system_clock().now()).unwrap();
    let rec = reconcile(&store, tmp.path(), lease.id(), system_clock().now()).unwrap();
    assert_eq!(rec.runs, vec![RunId::new("r-v1-live")]);
    assert_eq!(rec.tasks, 1);
    let live = store
        .read(|rx| rx.run(&RunId::new("r-v1-live")))
        .unwrap()
        .unwrap();
    assert_eq!(live.status, RunStatus::Interrupted);
    assert!(live.interrupted_at.is_some());
    let tasks = store.read(|rx| rx.tasks(&RunId::new("r-v1-live"))).unwrap();
    assert_eq!(tasks[0].status, TaskStatus::Interrupted);
    assert!(store.read(|rx| rx.active_runs()).unwrap().is_empty());

    // Reopening is a no-op: already at the current version.
    drop(store);
    let store = Store::open(tmp.path(), system_clock()).unwrap();
    assert!(store.migration().applied.is_empty());
}

fn snapshot(id: &str, items: &[(&str, &str)]) -> ContextSnapshot {
    let at = system_clock().now();
    ContextSnapshot {
        id: SnapshotId::new(id),
        run_id: RunId::new(format!("r-{id}")),
        query: "retry policy".into(),
        requested_provider: ContextProviderKind::Filesystem,
        provider: ContextProviderKind::Filesystem,
        fallback_from: None,
        error: None,
        items: items
            .iter()
            .enumerate()
            .map(|(i, (path, hash))| ContextItem {
                path: (*path).into(),
                start_line: 1,
                end_line: 3,
                content_hash: (*hash).into(),
                score: 1.0,
                rank: i as u32 + 1,
                excerpt: "fn retry() {}\n".repeat(20),
            })
            .collect(),
        created_at: at,
        root: None,
    }
}

fn sources_rows(data: &Path) -> Vec<(String, Vec<u8>)> {
    use redb::ReadableTable as _;
    common::read_raw(data, |txn| {
        let table = txn.open_table(tables::SNAPSHOT_SOURCES).unwrap();
        table
            .iter()
            .unwrap()
            .map(|e| {
                let (k, v) = e.unwrap();
                (k.value().to_owned(), v.value().to_vec())
            })
            .collect()
    })
}

/// A schema-2 file: snapshots taken before `snapshot_sources_v1` existed have no row there. Opening it
/// (here through the CLI's `doctor`, which reports the step) backfills exactly the rows `put_snapshot`
/// writes, and quarantines a snapshot that cannot be decoded instead of failing.
#[test]
fn a_schema_2_file_gets_its_snapshot_sources_backfilled() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path();
    let old = snapshot(
        "s-old",
        &[("src/b.rs", "h2"), ("src/a.rs", "h1"), ("src/b.rs", "h2")],
    );
    let new = snapshot("s-new", &[("src/c.rs", "h3")]);
    {
        let store = Store::open(data, system_clock()).unwrap();
        store
            .write(|tx| {
                tx.put_snapshot(&old)?;
                tx.put_snapshot(&new)
            })
            .unwrap();
    }
    // What `put_snapshot` wrote, to compare the backfill with.
    let written = sources_rows(data);
    assert_eq!(written.len(), 2);

    // Make it the file a schema-2 build left: the old snapshot has no row, one snapshot is garbage.
    common::write_raw(data, |txn| {
        txn.open_table(tables::SNAPSHOT_SOURCES)
            .unwrap()
            .remove("s-old")
            .unwrap();
        txn.open_table(tables::SNAPSHOTS)
            .unwrap()
            .insert("s-bad", b"{\"id\": 7".as_slice())
            .unwrap();
        txn.open_table(tables::SCHEMA)
            .unwrap()
            .insert(tables::SCHEMA_VERSION_KEY, 2)
            .unwrap();
    });
    assert_eq!(sources_rows(data).len(), 1);

    let doctor = common::ok(data, &["--json", "doctor"]).json();
    let store_check = doctor
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "store")
        .unwrap();
    let detail = store_check["detail"].as_str().unwrap();
    assert!(detail.contains("(schema 6)"), "{detail}");
    assert!(
        detail.contains("migrated now: m003_snapshot_sources, m004_change_feed, m005_tool_calls, m006_permissions"),
        "{detail}"
    );

    assert_eq!(sources_rows(data), written);
    let store = Store::open(data, system_clock()).unwrap();
    assert!(store.migration().applied.is_empty());
    let sources = store
        .read(|rx| rx.snapshot_sources(&old.id))
        .unwrap()
        .unwrap();
    assert_eq!(sources, SnapshotSources::of(&old));
    assert_eq!(
        sources.sources(),
        vec![("src/a.rs", "h1"), ("src/b.rs", "h2")]
    );
    let quarantined = store.read(|rx| rx.quarantine()).unwrap();
    assert_eq!(quarantined.len(), 1, "{quarantined:?}");
    assert_eq!(quarantined[0].table, "snapshots_v1");
    assert_eq!(quarantined[0].key, "s-bad");
    assert_eq!(
        store
            .read(|rx| rx.snapshot(&SnapshotId::new("s-bad")))
            .unwrap(),
        None
    );
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn a_newer_schema_is_refused_and_left_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("kata.redb");
    {
        let db = redb::Database::create(&path).unwrap();
        let txn = db.begin_write().unwrap();
        txn.open_table(tables::SCHEMA)
            .unwrap()
            .insert(tables::SCHEMA_VERSION_KEY, 99)
            .unwrap();
        txn.commit().unwrap();
    }
    let err = Store::open(tmp.path(), system_clock()).unwrap_err();
    assert!(err.is_fatal());
    assert!(err.to_string().contains("schema 99"), "{err}");
    // Its content is left as the newer build wrote it: same version, no tables of ours added.
    common::read_raw(tmp.path(), |txn| {
        use redb::TableHandle as _;
        let names: Vec<String> = txn
            .list_tables()
            .unwrap()
            .map(|t| t.name().to_owned())
            .collect();
        assert_eq!(names, vec!["kata_schema".to_owned()]);
        let version = txn
            .open_table(tables::SCHEMA)
            .unwrap()
            .get(tables::SCHEMA_VERSION_KEY)
            .unwrap()
            .unwrap()
            .value();
        assert_eq!(version, 99);
    });

    let r = common::run(tmp.path(), &["runs", "list"]);
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("newer Kata Cloud"), "{}", r.stderr);
}

fn seed_run(store: &Store, owner: &OwnerId, ids: &IdGenerator) -> RunId {
    let now = system_clock().now();
    let run = RunRecord::queued(
        NewRun {
            id: RunId::generate(ids, now),
            space_id: SpaceId::new("sp"),
            session_id: SessionId::new("se"),
            prompt: "p".into(),
            requested_context: ContextProviderKind::Filesystem,
            options: RunOptions::default(),
            owner: owner.clone(),
        },
        now,
    );
    let task = TaskRecord::queued(
        run.id.clone(),
        PlannedTask {
            id: TaskId::numbered(1),
            kind: TaskKind::Implement,
            title: "x".into(),
            wave: 1,
            depends_on: vec![],
            round: 1,
            spec_task: None,
        },
        1,
        now,
    );
    store
        .write(|tx| {
            tx.put_run(&run)?;
            tx.put_task(&task)
        })
        .unwrap();
    run.id
}

#[test]
fn reconciliation_interrupts_only_runs_whose_engine_is_gone() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path(), system_clock()).unwrap();
    let ids = IdGenerator::new();
    let alive = OwnerLease::acquire(tmp.path(), &ids, system_clock().now()).unwrap();
    let dead = OwnerLease::acquire(tmp.path(), &ids, system_clock().now()).unwrap();
    let dead_id = dead.id().clone();
    drop(dead);
    let live_run = seed_run(&store, alive.id(), &ids);
    let orphan = seed_run(&store, &dead_id, &ids);

    let me = OwnerLease::acquire(tmp.path(), &ids, system_clock().now()).unwrap();
    let rec = reconcile(&store, tmp.path(), me.id(), system_clock().now()).unwrap();
    assert_eq!(rec.runs, vec![orphan.clone()]);
    assert_eq!(rec.owned_elsewhere, vec![live_run.clone()]);
    let status = |id: &RunId| store.read(|rx| rx.run(id)).unwrap().unwrap().status;
    assert_eq!(status(&orphan), RunStatus::Interrupted);
    assert_eq!(status(&live_run), RunStatus::Queued);

    // The reconciliation is in the run's event log too.
    let events = store.read(|rx| rx.events(&orphan)).unwrap();
    let kinds: Vec<String> = events
        .iter()
        .map(|e| {
            serde_json::to_value(&e.event).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(kinds, vec!["task_status_changed", "run_status_changed"]);

    // A second pass changes nothing.
    let again = reconcile(&store, tmp.path(), me.id(), system_clock().now()).unwrap();
    assert!(again.runs.is_empty());
}

#[test]
fn damaged_values_are_quarantined_reported_and_never_stop_a_command() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    common::sample_repo(&repo);
    let data = tmp.path().join("data");
    common::ok(
        &data,
        &[
            "run",
            "--space",
            repo.to_str().unwrap(),
            "--prompt",
            "add retry",
        ],
    );
    common::ok(
        &data,
        &[
            "run",
            "--space",
            repo.to_str().unwrap(),
            "--prompt",
            "log requests",
        ],
    );
    let runs = common::ok(&data, &["--json", "runs", "list"]).json();
    let damaged = runs[0]["id"].as_str().unwrap().to_owned();
    let intact = runs[1]["id"].as_str().unwrap().to_owned();

    // Damage one run and one task value in place.
    common::write_raw(&data, |txn| {
        txn.open_table(tables::RUNS)
            .unwrap()
            .insert(damaged.as_str(), b"\x00\x01garbage".as_slice())
            .unwrap();
        txn.open_table(tables::TASKS)
            .unwrap()
            .insert((intact.as_str(), "t1"), b"[1,2".as_slice())
            .unwrap();
    });

    let listed = common::ok(&data, &["--json", "runs", "list"]).json();
    let ids: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![intact.as_str()]);
    let shown = common::ok(&data, &["--json", "runs", "show", &intact]).json();
    assert!(
        shown["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["id"] != "t1")
    );

    let doctor = common::ok(&data, &["--json", "doctor"]).json();
    let reports: Vec<String> = doctor
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["name"] == "quarantine" && c["status"] == "warn")
        .map(|c| c["detail"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(reports.len(), 2, "{doctor}");
    assert!(
        reports
            .iter()
            .any(|r| r.contains("runs_v1") && r.contains(&damaged)),
        "{reports:?}"
    );
    assert!(
        reports
            .iter()
            .any(|r| r.contains("tasks_v1") && r.contains(&format!("{intact}/t1"))),
        "{reports:?}"
    );

    // The damaged run is now unknown, with a clear message.
    let r = common::run(&data, &["runs", "show", &damaged]);
    assert_eq!(r.code, 2);
}

#[test]
fn store_and_cli_can_share_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path(), system_clock()).unwrap();
    // While this process holds the store open, a CLI process can read and write it.
    let r = common::ok(
        tmp.path(),
        &["--json", "space", "add", tmp.path().to_str().unwrap()],
    );
    let id = r.json()["id"].as_str().unwrap().to_owned();
    let seen = store
        .read(|rx| rx.space(&SpaceId::new(id.as_str())))
        .unwrap();
    assert!(seen.is_some());
}

#[test]
fn a_new_data_dir_and_store_are_private_to_their_owner() {
    use std::os::unix::fs::PermissionsExt as _;
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("nested").join("data");
    let _store = Store::open(&data, system_clock()).unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("kata.redb")), 0o600);
}
