//! Spaces through the CLI: relinking a directory with other options updates its space, and a space whose
//! folder is gone is still found by the path it was linked with.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use common::{ok, one_run, run, sample_repo};

#[test]
fn relinking_with_other_options_updates_the_space() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    sample_repo(&repo);
    let data = tmp.path().join("data");
    let path = repo.to_str().unwrap();
    let first = ok(&data, &["--json", "space", "add", path]).json();
    assert_eq!(first["context_provider"], "filesystem");

    // The MCP command the context errors tell the user to set, on a space that exists.
    let fixture = env!("CARGO_BIN_EXE_kata-mcp-fixture");
    let command = format!("{fixture} --mode search");
    let updated = ok(
        &data,
        &["--json", "space", "add", path, "--mcp-command", &command],
    )
    .json();
    assert_eq!(updated["id"], first["id"]);
    assert_eq!(updated["context_provider"], "mcp");
    assert_eq!(updated["mcp_command"], command.as_str());
    assert_eq!(updated["created_at"], first["created_at"]);
    let listed = ok(&data, &["--json", "space", "list"]).json();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0], updated);
    let answer = ok(
        &data,
        &[
            "--json",
            "context",
            "query",
            "--space",
            path,
            "--prompt",
            "http client",
        ],
    )
    .json();
    assert_eq!(answer["provider"], "mcp", "{answer}");

    // Back to filesystem, and a new name; the same options again change nothing.
    let back = ok(
        &data,
        &[
            "space",
            "add",
            path,
            "--context-provider",
            "filesystem",
            "--name",
            "demo",
        ],
    );
    assert!(back.stdout.starts_with("updated "), "{}", back.stdout);
    let same = ok(&data, &["space", "add", path, "--name", "demo"]);
    assert!(
        same.stdout.starts_with("already linked: "),
        "{}",
        same.stdout
    );
    let listed = ok(&data, &["--json", "space", "list"]).json();
    assert_eq!(listed[0]["name"], "demo");
    assert_eq!(listed[0]["context_provider"], "filesystem");
}

#[test]
fn a_space_whose_directory_is_gone_is_still_found_by_its_path() {
    let tmp = tempfile::tempdir().unwrap();
    let (repo, data, finished) = one_run(tmp.path());
    std::fs::remove_dir_all(&repo).unwrap();
    let path = repo.to_str().unwrap();

    let listed = ok(&data, &["--json", "runs", "list", "--space", path]).json();
    assert_eq!(listed[0]["id"], finished["id"]);
    assert_eq!(
        listed[0]["stale"]["reasons"][0]["kind"], "source_missing",
        "{listed}"
    );

    // A run there fails with the context error that says what is wrong, instead of "no space".
    let r = run(&data, &["--json", "run", "--space", path, "--prompt", "x"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let last = r.json_lines().pop().unwrap();
    assert_eq!(last["run"]["status"], "failed");
    assert_eq!(last["run"]["space_id"], finished["space_id"]);
    assert_eq!(last["run"]["error"]["code"], "invalid_root_path");
}
