//! `session new|list|rename|archive|unarchive` and `run --session` by name, through the real binary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use common::{ok, run, sample_repo};

#[test]
fn sessions_are_created_named_renamed_archived_and_runs_find_them_by_name() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    sample_repo(&repo);
    let data = tmp.path().join("data");
    let space = repo.to_str().unwrap();

    let first = ok(&data, &["--json", "session", "new", "--space", space]).json();
    assert_eq!(first["label"], "Session 1");
    let named = ok(
        &data,
        &[
            "--json", "session", "new", "--space", space, "--name", "Timeouts",
        ],
    )
    .json();
    assert_eq!(named["label"], "Timeouts");
    let named_id = named["id"].as_str().unwrap().to_owned();

    // A run finds its session by name.
    let (_, finished) = {
        let r = run(
            &data,
            &[
                "--json",
                "run",
                "--space",
                space,
                "--session",
                "Timeouts",
                "--prompt",
                "handle timeouts",
            ],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        let lines = r.json_lines();
        (lines.clone(), lines.last().unwrap().clone())
    };
    assert_eq!(finished["run"]["session_id"], named_id.as_str());
    let listed = ok(&data, &["--json", "session", "list", "--space", space]).json();
    let labels: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["label"].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        vec!["Timeouts", "Session 1"],
        "most recently used first"
    );

    let renamed = ok(
        &data,
        &[
            "--json", "session", "rename", &named_id, "--name", "Retries",
        ],
    )
    .json();
    assert_eq!(renamed["label"], "Retries");
    let archived = ok(
        &data,
        &["--json", "session", "archive", "Retries", "--space", space],
    )
    .json();
    assert!(archived["archived_at"].is_string());
    let listed = ok(&data, &["--json", "session", "list", "--space", space]).json();
    assert_eq!(
        listed.as_array().unwrap().len(),
        1,
        "archived sessions leave the list"
    );
    let all = ok(
        &data,
        &["--json", "session", "list", "--space", space, "--all"],
    )
    .json();
    assert_eq!(all.as_array().unwrap().len(), 2);
    // A run that names no session never goes to an archived one.
    let r = run(
        &data,
        &["--json", "run", "--space", space, "--prompt", "log retries"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.json_lines().last().unwrap()["run"]["session_id"],
        first["id"]
    );
    let back = ok(&data, &["--json", "session", "unarchive", &named_id]).json();
    assert!(back.get("archived_at").is_none());

    // Bad input names itself.
    let empty = run(&data, &["session", "new", "--space", space, "--name", "  "]);
    assert_eq!(empty.code, 2);
    assert!(empty.stderr.contains("name is empty"), "{}", empty.stderr);
    let unknown = run(&data, &["session", "archive", "nope"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("no session \"nope\""),
        "{}",
        unknown.stderr
    );
    let wrong_space = run(
        &data,
        &[
            "run",
            "--space",
            space,
            "--session",
            "Nope",
            "--prompt",
            "x",
        ],
    );
    assert_eq!(wrong_space.code, 2);
    assert!(
        wrong_space.stderr.contains("--session"),
        "{}",
        wrong_space.stderr
    );
}
