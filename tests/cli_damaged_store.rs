//! A store that cannot be used exits 3 for every command, naming the file and how to move it aside, and is
//! never rewritten; a damaged record inside a usable store is quarantined and the rest keeps working.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use common::{assert_one_line, ok, one_run, run, sample_repo};
use kata_cloud::store::tables;

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
fn a_store_whose_keys_redb_cannot_decode_exits_3_without_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let (repo, data, finished) = one_run(tmp.path());
    // Make every copy of the space id (keys included) invalid UTF-8: redb unwraps the key decode and panics.
    let space_id = finished["space_id"].as_str().unwrap().as_bytes().to_vec();
    let store = data.join("kata.redb");
    let mut bytes = std::fs::read(&store).unwrap();
    let mut hits = 0;
    let mut i = 0;
    while i + space_id.len() <= bytes.len() {
        if bytes[i..i + space_id.len()] == space_id[..] {
            bytes[i + space_id.len() - 1] = 0xff;
            hits += 1;
        }
        i += 1;
    }
    assert!(hits > 0, "the space id is in the file");
    std::fs::write(&store, &bytes).unwrap();

    for args in [
        vec!["space", "list"],
        vec!["--json", "runs", "list"],
        vec!["doctor"],
        vec!["run", "--space", repo.to_str().unwrap(), "--prompt", "x"],
    ] {
        let r = run(&data, &args);
        assert_eq!(r.code, 3, "{args:?}: {}", r.stderr);
        // Values met before the panic may be quarantined first (a logged warning); one error line.
        assert!(r.stdout.is_empty(), "{}", r.stdout);
        assert_eq!(
            r.stderr
                .lines()
                .filter(|l| l.starts_with("error: "))
                .count(),
            1,
            "{}",
            r.stderr
        );
        assert!(!r.stderr.contains("internal error"), "{}", r.stderr);
        assert!(r.stderr.contains("damaged"), "{}", r.stderr);
        assert!(
            r.stderr.contains(&format!("mv {}", store.display())),
            "says what to do: {}",
            r.stderr
        );
    }
}

#[test]
fn models_and_key_open_the_store_like_every_command() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(
        data.join("kata.redb"),
        b"definitely not a redb file, just text",
    )
    .unwrap();
    for args in [
        vec!["models"],
        vec!["--json", "models", "--provider", "offline"],
        vec!["key", "delete", "--provider", "openai"],
    ] {
        let r = run(&data, &args);
        assert_eq!(r.code, 3, "{args:?}: {}", r.stderr);
        assert_one_line(&r);
        assert!(r.stderr.contains("Move it aside"), "{}", r.stderr);
    }
}

#[test]
fn a_data_dir_that_is_a_file_or_a_store_that_is_a_directory_exits_3_saying_so() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("data-file");
    std::fs::write(&file, "x").unwrap();
    let r = run(&file, &["space", "list"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_one_line(&r);
    assert!(r.stderr.contains("is a file"), "{}", r.stderr);
    assert!(r.stderr.contains("--data-dir"), "{}", r.stderr);

    let data = tmp.path().join("data");
    std::fs::create_dir_all(data.join("kata.redb")).unwrap();
    let r = run(&data, &["runs", "list"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_one_line(&r);
    assert!(r.stderr.contains("is a directory"), "{}", r.stderr);
}

#[test]
fn a_damaged_spec_is_quarantined_and_the_history_still_lists() {
    let tmp = tempfile::tempdir().unwrap();
    let (_repo, data, finished) = one_run(tmp.path());
    let run_id = finished["id"].as_str().unwrap();
    let session = finished["session_id"].as_str().unwrap();
    ok(&data, &["spec", "apply", run_id]);
    common::write_raw(&data, |txn| {
        txn.open_table(tables::SPECS)
            .unwrap()
            .insert(session, b"{\"content\": \"\x01".as_slice())
            .unwrap();
    });

    let listed = ok(&data, &["--json", "runs", "list"]).json();
    assert_eq!(listed[0]["id"], run_id);
    let shown = ok(&data, &["--json", "runs", "show", run_id]).json();
    assert_eq!(shown["status"], "completed");
    let doctor = ok(&data, &["--json", "doctor"]).json();
    assert!(
        doctor
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "quarantine"
                && c["status"] == "warn"
                && c["detail"].as_str().unwrap().contains("specs_v1")),
        "{doctor}"
    );
}
