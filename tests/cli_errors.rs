//! Bad input gets one clear line and the contract's exit code; no command panics.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use common::{ok, run, sample_repo};

fn assert_one_line(r: &common::Ran) {
    assert!(
        r.stdout.is_empty(),
        "stdout must be empty on failure: {}",
        r.stdout
    );
    assert_eq!(
        r.stderr.trim_end().lines().count(),
        1,
        "one line on stderr:\n{}",
        r.stderr
    );
    assert!(r.stderr.starts_with("error: "), "{}", r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
}

#[test]
fn unknown_ids_and_bad_arguments_are_usage_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");

    let r = run(&data, &["runs", "show", "no-such-id"]);
    assert_eq!(r.code, 2);
    assert_one_line(&r);
    assert!(r.stderr.contains("\"no-such-id\""), "{}", r.stderr);

    for args in [
        vec!["runs", "resume", "nope"],
        vec!["runs", "cancel", "nope"],
        vec!["spec", "apply", "nope"],
        vec!["spec", "show", "--session", "nope"],
        vec!["runs", "list", "--space", "nope"],
        vec!["run", "--space", "/definitely/not/here", "--prompt", "x"],
        vec!["run", "--space", "/tmp", "--prompt", "   "],
        vec![
            "run",
            "--space",
            "/tmp",
            "--prompt",
            "x",
            "--provider",
            "gpt-9",
        ],
        vec![
            "run",
            "--space",
            "/tmp",
            "--prompt",
            "x",
            "--context-provider",
            "git",
        ],
        vec!["space", "add", "/definitely/not/here"],
        vec!["space", "add", "/tmp", "--context-provider", "mcp"],
        vec![
            "context", "query", "--space", "/tmp", "--prompt", "x", "--limit", "0",
        ],
        vec!["runs", "frobnicate"],
        vec!["--no-such-flag"],
    ] {
        let r = run(&data, &args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert_one_line(&r);
    }

    let file = tmp.path().join("file.txt");
    std::fs::write(&file, "x").unwrap();
    let r = run(&data, &["space", "add", file.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not a directory"), "{}", r.stderr);
}

#[test]
fn a_store_overwritten_with_garbage_makes_every_command_exit_3() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    sample_repo(&repo);
    let data = tmp.path().join("data");
    ok(
        &data,
        &[
            "run",
            "--space",
            repo.to_str().unwrap(),
            "--prompt",
            "add retry",
        ],
    );

    let mut garbage = Vec::new();
    let mut x: u32 = 0x1234_5678;
    for _ in 0..65_536 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        garbage.push(x as u8);
    }
    let store = data.join("kata.redb");
    std::fs::write(&store, &garbage).unwrap();

    for args in [
        vec!["space", "list"],
        vec!["space", "add", repo.to_str().unwrap()],
        vec!["runs", "list"],
        vec!["runs", "show", "r1"],
        vec!["runs", "resume", "r1"],
        vec!["runs", "cancel", "r1"],
        vec!["run", "--space", repo.to_str().unwrap(), "--prompt", "x"],
        vec![
            "context",
            "query",
            "--space",
            repo.to_str().unwrap(),
            "--prompt",
            "x",
        ],
        vec!["spec", "show", "--session", "s"],
        vec!["doctor"],
        vec!["--json", "runs", "list"],
    ] {
        let r = run(&data, &args);
        assert_eq!(r.code, 3, "{args:?}: {}", r.stderr);
        assert_one_line(&r);
        assert!(
            r.stderr.contains(store.to_str().unwrap()),
            "names the file: {}",
            r.stderr
        );
        assert!(
            r.stderr.contains("Move it aside"),
            "says what to do: {}",
            r.stderr
        );
    }
    // Nothing was deleted or rewritten.
    assert_eq!(std::fs::read(&store).unwrap(), garbage);
}

#[test]
fn every_command_works_on_a_fresh_empty_data_dir() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("fresh");
    assert_eq!(
        ok(&data, &["--json", "space", "list"]).json(),
        serde_json::json!([])
    );
    assert_eq!(
        ok(&data, &["--json", "runs", "list"]).json(),
        serde_json::json!([])
    );
    let doctor = ok(&data, &["--json", "doctor"]).json();
    let names: Vec<&str> = doctor
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"store"));
    assert!(names.contains(&"quarantine"));
    assert!(names.contains(&"provider offline"));
}
