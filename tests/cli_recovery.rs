//! Crash, restart and resume through the real binary: `kill -9` mid-run, reconciliation, resume without
//! repeating completed work, and runs owned by another live process.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use common::{kata, ok, run, sample_repo};
use serde_json::Value;

fn statuses(timeline: &Value) -> Vec<String> {
    timeline
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_killed_run_is_interrupted_and_resumes_without_repeating_completed_tasks() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    sample_repo(&repo);
    let data = tmp.path().join("data");

    let (run_id, completed_before) = common::run_killed_mid_wave(&data, &repo);
    assert!(!completed_before.is_empty());

    // After the "restart": interrupted, with interrupted_at, tasks too; nothing shows as running.
    let list = ok(&data, &["--json", "runs", "list"]).json();
    let entry = &list.as_array().unwrap()[0];
    assert_eq!(entry["id"], run_id.as_str());
    assert_eq!(entry["status"], "interrupted");
    assert!(entry["interrupted_at"].is_string());
    let shown = ok(&data, &["--json", "runs", "show", &run_id]).json();
    assert_eq!(
        statuses(&shown["timeline"]),
        vec!["queued", "running", "interrupted"]
    );
    for task in shown["tasks"].as_array().unwrap() {
        assert_ne!(task["status"], "running", "{task}");
        assert_ne!(task["status"], "queued", "{task}");
    }

    // Resume brings it to completed as attempt 2.
    let resumed = kata(&data)
        .env("KATA_OFFLINE_STEP_MS", "20")
        .args(["--json", "runs", "resume", &run_id])
        .output()
        .unwrap();
    let resumed = common::ran(resumed);
    assert_eq!(resumed.code, 0, "{}", resumed.stderr);
    let lines = resumed.json_lines();
    let last = lines.last().unwrap();
    assert_eq!(last["type"], "run_finished");
    let run = &last["run"];
    assert_eq!(run["status"], "completed");
    assert_eq!(run["attempt"], 2);
    assert_eq!(
        statuses(&run["timeline"]),
        vec![
            "queued",
            "running",
            "interrupted",
            "queued",
            "running",
            "completed"
        ]
    );
    for task in run["tasks"].as_array().unwrap() {
        let id = task["id"].as_str().unwrap();
        let runs = statuses(&task["timeline"])
            .iter()
            .filter(|s| *s == "running")
            .count();
        assert_eq!(task["status"], "completed", "{task}");
        if completed_before.iter().any(|c| c == id) {
            assert_eq!(
                runs, 1,
                "task {id} completed before the kill but ran again: {task}"
            );
        }
    }

    // The result equals an uninterrupted run with the same inputs (in a session of its own: in the same
    // session it would be a follow-up refining the first draft, docs/SPEC.md).
    common::ok(
        &data,
        &[
            "session",
            "new",
            "--space",
            repo.to_str().unwrap(),
            "--name",
            "fresh",
        ],
    );
    let fresh = common::ok(
        &data,
        &[
            "--json",
            "run",
            "--space",
            repo.to_str().unwrap(),
            "--session",
            "fresh",
            "--prompt",
            "add retry to the http client",
        ],
    );
    let fresh = &fresh.json_lines().last().unwrap()["run"].clone();
    assert_eq!(fresh["draft"]["content"], run["draft"]["content"]);
    let shape = |r: &Value| -> Vec<Value> {
        r["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| serde_json::json!([t["id"], t["kind"], t["wave"], t["title"], t["summary"]]))
            .collect()
    };
    assert_eq!(shape(fresh), shape(run));

    // Resuming again is a clear error.
    let again = common::run(&data, &["runs", "resume", &run_id]);
    assert_eq!(again.code, 2);
    assert!(
        again
            .stderr
            .contains("only interrupted runs can be resumed"),
        "{}",
        again.stderr
    );
    assert_eq!(again.stderr.lines().count(), 1);
}

#[test]
fn a_run_live_in_another_process_is_not_interrupted_and_can_be_cancelled_from_here() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    sample_repo(&repo);
    let data = tmp.path().join("data");

    // --detach hands the run to a background process and returns at once.
    let detached = common::ran(
        kata(&data)
            .env("KATA_OFFLINE_STEP_MS", "1500")
            .args([
                "--json",
                "run",
                "--detach",
                "--space",
                repo.to_str().unwrap(),
                "--prompt",
                "add retry to the http client",
            ])
            .output()
            .unwrap(),
    );
    assert_eq!(detached.code, 0, "{}", detached.stderr);
    let run_id = detached.json()["id"].as_str().unwrap().to_owned();

    // Another command opening the store meanwhile must not take the live run for an orphan.
    let listed = ok(&data, &["--json", "runs", "list"]).json();
    let status = listed[0]["status"].as_str().unwrap().to_owned();
    assert!(status == "queued" || status == "running", "{status}");

    // Cancel from this process: the owning process stops it.
    let cancelled = ok(&data, &["--json", "runs", "cancel", &run_id]).json();
    assert_eq!(cancelled["status"], "cancelled");
    let last = cancelled["timeline"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["status"], "cancelled");
    for task in cancelled["tasks"].as_array().unwrap() {
        assert!(
            ["cancelled", "completed"].contains(&task["status"].as_str().unwrap()),
            "{task}"
        );
    }

    // Cancelling a finished run is a usage error.
    let again = run(&data, &["runs", "cancel", &run_id]);
    assert_eq!(again.code, 2);
    assert!(
        again
            .stderr
            .contains("only queued or running runs can be cancelled"),
        "{}",
        again.stderr
    );
}

/// Disk full while a run is live (every store write failing from some point on): `run` does not wait
/// forever; it ends with exit 3 and says the run could not be recorded; the next start interrupts the run
/// and it resumes to completed.
#[test]
fn a_store_that_stops_accepting_writes_ends_the_run_command_with_exit_3() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    common::sample_repo(&repo);
    let data = tmp.path().join("data");
    common::ok(&data, &["space", "add", repo.to_str().unwrap()]);
    // Opening, reconciling and creating the run need a handful of writes; later ones fail.
    let started = std::time::Instant::now();
    let r = common::ran(
        common::kata(&data)
            .args([
                "run",
                "--space",
                repo.to_str().unwrap(),
                "--prompt",
                "add retry to the http client",
            ])
            .env("KATA_FAIL_WRITES_AFTER", "6")
            .output()
            .unwrap(),
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
    assert_eq!(r.code, 3, "stdout: {}\nstderr: {}", r.stdout, r.stderr);
    assert!(r.stderr.contains("could not be recorded"), "{}", r.stderr);
    assert!(r.stderr.contains("No space left"), "{}", r.stderr);
    let runs = common::ok(&data, &["--json", "runs", "list"]).json();
    let id = runs[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(runs[0]["status"], "interrupted", "{runs}");
    let resumed = common::run(&data, &["runs", "resume", &id]);
    assert_eq!(resumed.code, 0, "{}", resumed.stderr);
}
