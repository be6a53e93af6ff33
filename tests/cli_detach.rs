//! Runs handed to a background process (`--detach`): a log directory that cannot be written is named and
//! leaves no run, the worker's internal `--run-id` never touches an existing run, and resuming in the
//! background appends to the first attempt's log.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use common::{assert_one_line, ok, one_run, run, sample_repo};

#[test]
fn detach_without_a_writable_log_directory_names_it_and_leaves_no_run() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    sample_repo(&repo);
    let data = tmp.path().join("data");
    ok(&data, &["space", "list"]);
    // `logs` is a file, so the background run's log cannot be created.
    std::fs::write(data.join("logs"), "not a directory").unwrap();
    let r = run(
        &data,
        &[
            "--json",
            "run",
            "--space",
            repo.to_str().unwrap(),
            "--prompt",
            "add retry",
            "--detach",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_one_line(&r);
    assert!(
        r.stderr.contains(data.join("logs").to_str().unwrap()),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("--data-dir"), "{}", r.stderr);
    let runs = ok(&data, &["--json", "runs", "list"]).json();
    assert_eq!(runs.as_array().unwrap().len(), 0, "no run left queued");
}

#[test]
fn the_internal_run_id_flag_never_touches_an_existing_run() {
    let tmp = tempfile::tempdir().unwrap();
    let (repo, data, finished) = one_run(tmp.path());
    let run_id = finished["id"].as_str().unwrap();
    let r = run(
        &data,
        &[
            "run",
            "--space",
            repo.to_str().unwrap(),
            "--prompt",
            "other",
            "--run-id",
            run_id,
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_one_line(&r);
    assert!(r.stderr.contains("is an existing run"), "{}", r.stderr);
    let shown = ok(&data, &["--json", "runs", "show", run_id]).json();
    assert_eq!(shown["prompt"], finished["prompt"]);
}

/// The pid of the background `kata-cloud` whose command line names `needle`.
#[cfg(target_os = "linux")]
fn worker_pid(needle: &str) -> Option<i32> {
    std::fs::read_dir("/proc")
        .ok()?
        .flatten()
        .find_map(|entry| {
            let pid: i32 = entry.file_name().to_str()?.parse().ok()?;
            let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            (cmdline.contains("kata-cloud") && cmdline.contains(needle)).then_some(pid)
        })
}

#[cfg(target_os = "linux")]
#[test]
fn resuming_in_the_background_keeps_the_first_attempts_log() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    sample_repo(&repo);
    let data = tmp.path().join("data");
    let started = common::ran(
        common::kata(&data)
            .args(["--json", "run", "--space", repo.to_str().unwrap()])
            .args(["--prompt", "add retry to the http client", "--detach"])
            .env("KATA_OFFLINE_STEP_MS", "400")
            .output()
            .unwrap(),
    );
    assert_eq!(started.code, 0, "{}", started.stderr);
    let run_id = started.json()["id"].as_str().unwrap().to_owned();
    let pid = worker_pid(&run_id).expect("the background process is running");
    std::thread::sleep(std::time::Duration::from_millis(300));
    std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap();
    // The lock on its lease goes when the kernel closes its files, a moment after the signal.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let shown = ok(&data, &["--json", "runs", "show", &run_id]).json();
        if shown["status"] == "interrupted" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{shown}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }

    ok(&data, &["runs", "resume", &run_id, "--detach"]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let shown = ok(&data, &["--json", "runs", "show", &run_id]).json();
        if shown["status"] == "completed" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{shown}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let log = std::fs::read_to_string(data.join("logs").join(format!("run-{run_id}.log"))).unwrap();
    assert!(
        log.contains("\"run_created\""),
        "the first attempt's events stay: {log}"
    );
    assert!(log.contains("\"run_finished\""), "{log}");
}
