//! The specialists' tools on a real temporary worktree: confinement (`..`, absolute paths, symlinks out),
//! reading by range, exact-text edits and their errors, and commands with a time limit, bounded output and a
//! scrubbed environment.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use serde_json::json;
use tokio_util::sync::CancellationToken;

use kata_cloud::context::ContextEngine;
use kata_cloud::tools::{Effect, ToolName, Toolbox, Workspace, command};

fn toolbox(root: &std::path::Path, writable: bool) -> Toolbox {
    Toolbox::new(
        Workspace::new(root, writable).unwrap(),
        ContextEngine::new(),
    )
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn paths_outside_the_workspace_are_refused_with_a_typed_error() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    common::sample_repo(&repo);
    std::fs::write(tmp.path().join("outside.txt"), "secret").unwrap();
    std::os::unix::fs::symlink(tmp.path().join("outside.txt"), repo.join("escape")).unwrap();
    let tools = toolbox(&repo, true);
    let rt = runtime();
    let cancel = CancellationToken::new();
    for (tool, input) in [
        (ToolName::ReadFile, json!({"path": "../outside.txt"})),
        (ToolName::ReadFile, json!({"path": "/etc/passwd"})),
        (ToolName::ReadFile, json!({"path": "escape"})),
        (
            ToolName::WriteFile,
            json!({"path": "../outside.txt", "content": "x"}),
        ),
        (
            ToolName::WriteFile,
            json!({"path": "escape", "content": "x"}),
        ),
        (
            ToolName::EditFile,
            json!({"path": "/etc/passwd", "old_text": "root", "new_text": "x"}),
        ),
        (ToolName::ListFiles, json!({"path": ".."})),
        (
            ToolName::Search,
            json!({"query": "secret", "mode": "literal", "path": "../"}),
        ),
    ] {
        let err = rt
            .block_on(tools.execute(tool, &input, &cancel))
            .unwrap_err();
        assert_eq!(err.code(), "path_outside_workspace", "{tool:?} {input}");
    }
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("outside.txt")).unwrap(),
        "secret"
    );
    // The symlink to outside is neither listed nor searched.
    let listed = rt
        .block_on(tools.execute(ToolName::ListFiles, &json!({}), &cancel))
        .unwrap();
    assert!(!listed.text.contains("escape"), "{}", listed.text);
    assert!(
        listed.text.contains("src/http_client.rs"),
        "{}",
        listed.text
    );
}

#[test]
fn files_are_read_by_range_written_and_edited_exactly_once() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    common::sample_repo(&repo);
    let tools = toolbox(&repo, true);
    let rt = runtime();
    let cancel = CancellationToken::new();
    let run = |tool, input: serde_json::Value| rt.block_on(tools.execute(tool, &input, &cancel));

    run(
        ToolName::WriteFile,
        json!({"path": "notes/a.txt", "content": "one\ntwo\nthree\ntwo\n"}),
    )
    .unwrap();
    let range = run(
        ToolName::ReadFile,
        json!({"path": "notes/a.txt", "start_line": 2, "end_line": 3}),
    )
    .unwrap();
    assert_eq!(range.text, "two\nthree\n");
    let err = run(
        ToolName::EditFile,
        json!({"path": "notes/a.txt", "old_text": "two", "new_text": "2"}),
    )
    .unwrap_err();
    assert_eq!(err.code(), "old_text_not_unique");
    let err = run(
        ToolName::EditFile,
        json!({"path": "notes/a.txt", "old_text": "four", "new_text": "4"}),
    )
    .unwrap_err();
    assert_eq!(err.code(), "old_text_absent");
    let edited = run(
        ToolName::EditFile,
        json!({"path": "notes/a.txt", "old_text": "three\ntwo", "new_text": "3\n2"}),
    )
    .unwrap();
    let Some(Effect::File(change)) = edited.effect else {
        panic!("an edit is an effect")
    };
    assert_eq!(change.path, "notes/a.txt");
    assert_ne!(change.before.as_deref(), Some(change.after.as_str()));
    assert_eq!(
        std::fs::read_to_string(repo.join("notes/a.txt")).unwrap(),
        "one\ntwo\n3\n2\n"
    );
    let err = run(ToolName::EditFile, json!({"path": "notes/a.txt"})).unwrap_err();
    assert_eq!(err.code(), "invalid_arguments");
    assert!(err.to_string().contains("old_text"), "{err}");
    let err = run(ToolName::ReadFile, json!({"path": "nope.rs"})).unwrap_err();
    assert_eq!(err.code(), "not_found");
    let hits = run(
        ToolName::Search,
        json!({"query": "fn \\w+\\(", "mode": "regex"}),
    )
    .unwrap();
    assert!(hits.text.contains("src/http_client.rs:"), "{}", hits.text);
    let ranked = run(ToolName::Search, json!({"query": "http client retry"})).unwrap();
    assert!(
        ranked.text.contains("src/http_client.rs:"),
        "{}",
        ranked.text
    );

    // A read-only workspace changes nothing.
    let read_only = toolbox(&repo, false);
    let err = rt
        .block_on(read_only.execute(
            ToolName::WriteFile,
            &json!({"path": "notes/a.txt", "content": ""}),
            &cancel,
        ))
        .unwrap_err();
    assert_eq!(err.code(), "read_only");
    assert_eq!(
        std::fs::read_to_string(repo.join("notes/a.txt")).unwrap(),
        "one\ntwo\n3\n2\n"
    );
}

#[test]
fn commands_run_in_the_workspace_with_a_scrubbed_environment_a_time_limit_and_bounded_output() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    common::sample_repo(&repo);
    let tools = toolbox(&repo, true);
    let rt = runtime();
    let cancel = CancellationToken::new();
    let out = rt
        .block_on(tools.execute(
            ToolName::RunCommand,
            &json!({"command": "pwd; env; echo done >&2; exit 3"}),
            &cancel,
        ))
        .unwrap();
    let Some(Effect::Command(result)) = &out.effect else {
        panic!("a command is an effect")
    };
    assert_eq!(result.exit_code, Some(3));
    assert!(
        result
            .output
            .contains(&std::fs::canonicalize(&repo).unwrap().display().to_string())
    );
    assert!(result.output.contains("done"), "stderr is captured too");
    // Only allow-listed variables get through (this test process has many others: CARGO_*, RUST_*...).
    for line in result.output.lines().skip(1) {
        let Some((name, _)) = line.split_once('=') else {
            continue;
        };
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        assert!(
            command::ENV_ALLOW.contains(&name) || command::ENV_ADDED.contains(&name),
            "{name} reached the command"
        );
    }
    let scrubbed = command::scrubbed_env_from([
        ("ANTHROPIC_API_KEY".to_owned(), "sk-ant-x".to_owned()),
        ("GITHUB_TOKEN".to_owned(), "ghp_x".to_owned()),
        ("PATH".to_owned(), "/usr/bin".to_owned()),
    ]);
    assert!(!scrubbed.contains_key("ANTHROPIC_API_KEY") && !scrubbed.contains_key("GITHUB_TOKEN"));
    assert_eq!(scrubbed.get("PATH").map(String::as_str), Some("/usr/bin"));

    let slow = rt
        .block_on(tools.execute(
            ToolName::RunCommand,
            &json!({"command": "sleep 30", "timeout_secs": 1}),
            &cancel,
        ))
        .unwrap();
    let Some(Effect::Command(result)) = &slow.effect else {
        panic!()
    };
    assert!(result.timed_out && result.exit_code.is_none());
    assert!(result.duration_ms < 10_000, "{}", result.duration_ms);

    let loud = rt
        .block_on(tools.execute(
            ToolName::RunCommand,
            &json!({"command": "seq 1 200000"}),
            &cancel,
        ))
        .unwrap();
    let Some(Effect::Command(result)) = &loud.effect else {
        panic!()
    };
    assert!(result.output.starts_with("1\n2\n"));
    assert!(result.output.trim_end().ends_with("200000"));
    assert!(result.output.contains("bytes of output cut"));
    assert!(result.output.len() < 20_000);
}
