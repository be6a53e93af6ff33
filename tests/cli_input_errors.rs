//! Bad input is refused before anything happens: one line on stderr that names the input (the flag, the
//! id and what kind it is, the path) and says what to do, exit code 2, and nothing recorded.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use common::{assert_one_line, ok, one_run, run, sample_repo};

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

#[cfg(unix)]
#[test]
fn a_directory_whose_name_is_not_utf8_is_refused_as_input() {
    use std::os::unix::ffi::OsStrExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(std::ffi::OsStr::from_bytes(b"repo-\xff"));
    std::fs::create_dir_all(&dir).unwrap();
    let data = tmp.path().join("data");
    let r = common::ran(
        common::kata(&data)
            .arg("space")
            .arg("add")
            .arg(&dir)
            .output()
            .unwrap(),
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_one_line(&r);
    assert!(r.stderr.contains("not valid UTF-8"), "{}", r.stderr);
    let spaces = ok(&data, &["--json", "space", "list"]).json();
    assert_eq!(spaces.as_array().unwrap().len(), 0);
}

#[cfg(unix)]
#[test]
fn a_non_utf8_argument_is_named_with_its_flag() {
    use std::os::unix::ffi::OsStrExt;
    let tmp = tempfile::tempdir().unwrap();
    let r = common::ran(
        common::kata(&tmp.path().join("data"))
            .args(["run", "--space", "/tmp", "--prompt"])
            .arg(std::ffi::OsStr::from_bytes(b"\xff\xfe retry"))
            .output()
            .unwrap(),
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_one_line(&r);
    assert!(
        r.stderr.contains("the value of --prompt") && r.stderr.contains("not valid UTF-8"),
        "{}",
        r.stderr
    );
}

#[test]
fn an_empty_kata_data_dir_is_named() {
    let r = common::ran(
        std::process::Command::new(common::bin())
            .args(["space", "list"])
            .env("KATA_DATA_DIR", "")
            .env("KATA_KEYRING", "off")
            .output()
            .unwrap(),
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_one_line(&r);
    assert!(
        r.stderr.contains("KATA_DATA_DIR is set but empty"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_negative_limit_gets_the_range_message() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    sample_repo(&repo);
    let data = tmp.path().join("data");
    for limit in ["-1", "0", "101"] {
        let r = run(
            &data,
            &[
                "context",
                "query",
                "--space",
                repo.to_str().unwrap(),
                "--prompt",
                "retry",
                "--limit",
                limit,
            ],
        );
        assert_eq!(r.code, 2, "{limit}: {}", r.stderr);
        assert_one_line(&r);
        assert!(
            r.stderr.contains(&format!(
                "--limit {limit} is out of range: pass a number from 1 to 100"
            )),
            "{}",
            r.stderr
        );
    }
}

#[test]
fn an_unknown_model_provider_is_named_once_with_a_next_step() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    sample_repo(&repo);
    let data = tmp.path().join("data");
    let r = run(
        &data,
        &[
            "run",
            "--space",
            repo.to_str().unwrap(),
            "--prompt",
            "x",
            "--provider",
            "bogus",
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_one_line(&r);
    assert!(r.stderr.contains("\"bogus\""), "{}", r.stderr);
    assert_eq!(
        r.stderr.matches("openai-compatible").count(),
        1,
        "the provider list once: {}",
        r.stderr
    );
}

#[test]
fn an_mcp_command_that_cannot_be_split_is_refused_at_space_add() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    sample_repo(&repo);
    let data = tmp.path().join("data");
    let r = run(
        &data,
        &[
            "space",
            "add",
            repo.to_str().unwrap(),
            "--mcp-command",
            "\"unterminated",
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_one_line(&r);
    assert!(r.stderr.contains("unterminated quote"), "{}", r.stderr);
    assert!(r.stderr.contains("--mcp-command"), "{}", r.stderr);
    let spaces = ok(&data, &["--json", "space", "list"]).json();
    assert_eq!(spaces.as_array().unwrap().len(), 0, "nothing was linked");
}

#[test]
fn an_id_of_the_wrong_kind_is_named_as_such() {
    let tmp = tempfile::tempdir().unwrap();
    let (_repo, data, finished) = one_run(tmp.path());
    let run_id = finished["id"].as_str().unwrap();
    let space = finished["space_id"].as_str().unwrap();
    let session = finished["session_id"].as_str().unwrap();
    for (args, hint) in [
        (vec!["runs", "show", space], "(that is a space id)"),
        (vec!["runs", "cancel", session], "(that is a session id)"),
        (vec!["spec", "apply", space], "(that is a space id)"),
        (
            vec!["run", "--space", run_id, "--prompt", "x"],
            "(that is a run id)",
        ),
        (
            vec![
                "run",
                "--space",
                space,
                "--session",
                run_id,
                "--prompt",
                "x",
            ],
            "(that is a run id)",
        ),
        (
            vec!["runs", "list", "--session", space],
            "(that is a space id)",
        ),
        (
            vec!["spec", "show", "--session", run_id],
            "(that is a run id)",
        ),
    ] {
        let r = run(&data, &args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert_one_line(&r);
        assert!(r.stderr.contains(hint), "{args:?}: {}", r.stderr);
    }
    let r = run(&data, &["runs", "show", "nope"]);
    assert!(!r.stderr.contains("(that is"), "{}", r.stderr);
}

#[test]
fn a_session_of_another_space_is_named_with_its_space() {
    let tmp = tempfile::tempdir().unwrap();
    let (_repo, data, finished) = one_run(tmp.path());
    let session = finished["session_id"].as_str().unwrap();
    let space = finished["space_id"].as_str().unwrap();
    let other = tmp.path().join("other");
    sample_repo(&other);
    let r = run(
        &data,
        &[
            "run",
            "--space",
            other.to_str().unwrap(),
            "--session",
            session,
            "--prompt",
            "x",
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_one_line(&r);
    assert!(
        r.stderr.contains("belongs to space \"repo\""),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains(&format!("--space {space}")),
        "{}",
        r.stderr
    );
}
