//! Agents act, through the real binary: specialists edit files and run commands in the session's worktree
//! (scripted offline, and against the mock servers in both wire formats with arguments split across SSE
//! chunks); the verifier's check gates completion with a debug round; paths out of the worktree are refused;
//! commands never see provider keys; a crash between an effect's intent and its result is settled on resume
//! without doing the effect twice.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;
#[path = "common/mock_llm.rs"]
mod mock_llm;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{kata, ok, ran, run, sample_repo};
use mock_llm::{MockLlm, Wire};
use serde_json::{Value, json};

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn write_script(dir: &Path, name: &str, script: &Value) -> String {
    let path = dir.join(name);
    std::fs::write(&path, script.to_string()).unwrap();
    path.display().to_string()
}

/// The worktree of the space's only session.
fn worktree(data: &Path, repo: &Path) -> PathBuf {
    let sessions = ok(
        data,
        &[
            "--json",
            "session",
            "list",
            "--space",
            repo.to_str().unwrap(),
        ],
    )
    .json();
    let path = sessions[0]["worktree"]["path"].as_str().unwrap();
    PathBuf::from(path)
}

fn last_line(stdout: &str) -> Value {
    serde_json::from_str(stdout.lines().last().unwrap_or("null")).unwrap()
}

#[test]
fn a_scripted_run_writes_files_fails_its_check_debugs_and_passes_the_second_check() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    sample_repo(&repo);
    std::fs::write(tmp.path().join("outside.txt"), "not yours").unwrap();
    std::os::unix::fs::symlink(tmp.path().join("outside.txt"), repo.join("escape")).unwrap();
    git(&repo, &["add", "escape"]);
    git(
        &repo,
        &[
            "-c",
            "user.name=U",
            "-c",
            "user.email=u@e",
            "commit",
            "-qm",
            "a link",
        ],
    );
    let data = tmp.path().join("data");
    let space = repo.to_str().unwrap();
    ok(
        &data,
        &[
            "space",
            "add",
            space,
            "--check-command",
            "grep -q fixed notes/b.txt",
        ],
    );
    let script = write_script(
        tmp.path(),
        "script.json",
        &json!({"kinds": {
            "implement": [
                {"calls": [
                    {"tool": "write_file", "input": {"path": "notes/a.txt", "content": "a\n"}},
                    {"tool": "write_file", "input": {"path": "notes/b.txt", "content": "broken\n"}}
                ]},
                {"calls": [
                    {"tool": "read_file", "input": {"path": "../outside.txt"}},
                    {"tool": "read_file", "input": {"path": "/etc/passwd"}},
                    {"tool": "read_file", "input": {"path": "escape"}}
                ]},
                {"say": "wrote notes/a.txt and notes/b.txt"}
            ],
            "verify": [{"say": "the check decides"}],
            "debug": [
                {"tool": "edit_file", "input": {"path": "notes/b.txt", "old_text": "broken", "new_text": "fixed"}},
                {"say": "fixed notes/b.txt"}
            ]
        }}),
    );
    let r = run(
        &data,
        &[
            "--json",
            "run",
            "--space",
            space,
            "--prompt",
            "add retry to the http client",
            "--script",
            &script,
        ],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stderr, r.stdout);
    let finished = last_line(&r.stdout);
    let id = finished["run"]["id"].as_str().unwrap().to_owned();
    let shown = ok(&data, &["--json", "runs", "show", &id]).json();
    assert_eq!(shown["status"], "completed", "{shown}");

    // The tasks: the spec's, then a failed verify, a debug round and a passing verify.
    let tasks = shown["tasks"].as_array().unwrap();
    let verifies: Vec<&Value> = tasks.iter().filter(|t| t["kind"] == "verify").collect();
    assert_eq!(verifies.len(), 2, "{tasks:?}");
    assert_eq!(verifies[0]["status"], "failed");
    assert_eq!(verifies[0]["error"]["code"], "check_failed");
    assert_eq!(verifies[1]["status"], "completed");
    assert_eq!(verifies[1]["round"], 2);
    let debug: Vec<&Value> = tasks.iter().filter(|t| t["kind"] == "debug").collect();
    assert_eq!(debug.len(), 1);
    assert_eq!(debug[0]["status"], "completed");
    assert!(debug[0]["wave"].as_u64() > verifies[0]["wave"].as_u64());
    assert!(verifies[1]["wave"].as_u64() > debug[0]["wave"].as_u64());
    assert!(
        verifies[1]["summary"].as_str().unwrap().contains("passed"),
        "{}",
        verifies[1]
    );

    // Every call is in the run: the writes, the refused paths, the edit, the two checks.
    let calls = shown["tool_calls"].as_array().unwrap();
    let outside: Vec<&Value> = calls
        .iter()
        .filter(|c| c["error_code"] == "path_outside_workspace")
        .collect();
    assert!(outside.len() >= 3, "{calls:?}");
    for c in &outside {
        assert!(
            c["output"]
                .as_str()
                .unwrap()
                .contains("outside the workspace"),
            "{c}"
        );
    }
    let checks: Vec<&Value> = calls
        .iter()
        .filter(|c| c["call_id"].as_str().unwrap().starts_with("check-"))
        .collect();
    assert_eq!(checks.len(), 2, "{calls:?}");
    assert_eq!(checks[0]["status"], "failed");
    assert_eq!(checks[0]["effect"]["exit_code"], 1);
    assert_eq!(checks[1]["status"], "done");
    let receipts: Vec<&Value> = tasks
        .iter()
        .flat_map(|t| t["receipts"].as_array().into_iter().flatten())
        .filter(|r| r["call_id"].is_string())
        .collect();
    assert!(
        receipts.iter().any(|r| r["detail"]["kind"] == "file"
            && r["detail"]["path"] == "notes/b.txt"
            && r["outcome"] == "succeeded"),
        "{receipts:?}"
    );
    assert!(shown["provider_execution"]["tool_calls"].as_u64().unwrap() >= 8);

    // The work is in the worktree; the user's checkout has none of it.
    let wt = worktree(&data, &repo);
    assert_eq!(
        std::fs::read_to_string(wt.join("notes/b.txt")).unwrap(),
        "fixed\n"
    );
    assert!(!repo.join("notes").exists());
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("outside.txt")).unwrap(),
        "not yours"
    );

    // The human view lists the calls.
    let human = ok(&data, &["runs", "show", &id]);
    assert!(
        human.stdout.contains("edit_file notes/b.txt"),
        "{}",
        human.stdout
    );
}

fn act_against_the_mock(provider: &str, wire: Wire) {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    sample_repo(&repo);
    let before = std::fs::read(repo.join("src/http_client.rs")).unwrap();
    let data = tmp.path().join("data");
    let mock = MockLlm::start("sk-test-key-123456");
    let base = mock.base("act", wire);
    let (key_var, base_var) = match provider {
        "anthropic" => ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"),
        _ => ("OPENAI_API_KEY", "OPENAI_BASE_URL"),
    };
    ok(
        &data,
        &[
            "space",
            "add",
            repo.to_str().unwrap(),
            "--check-command",
            "true",
        ],
    );
    let r = ran(kata(&data)
        .args([
            "--json",
            "run",
            "--space",
            repo.to_str().unwrap(),
            "--prompt",
            "add retry to the http client",
            "--provider",
            provider,
        ])
        .env(key_var, "sk-test-key-123456")
        .env(base_var, &base)
        .env("KATA_PROVIDER_BACKOFF_MS", "1")
        .output()
        .unwrap());
    assert_eq!(r.code, 0, "{provider}: {}\n{}", r.stderr, r.stdout);
    let finished = last_line(&r.stdout);
    assert_eq!(finished["run"]["status"], "completed", "{finished}");
    let calls = finished["run"]["tool_calls"].as_array().unwrap();
    let names: Vec<&str> = calls.iter().map(|c| c["tool"].as_str().unwrap()).collect();
    assert!(
        names.starts_with(&["read_file", "edit_file", "run_command"]),
        "{names:?}"
    );
    let grep = calls
        .iter()
        .find(|c| {
            c["tool"] == "run_command" && !c["call_id"].as_str().unwrap().starts_with("check")
        })
        .unwrap();
    assert_eq!(grep["effect"]["exit_code"], 0, "{grep}");
    assert!(grep["output"].as_str().unwrap().contains("\n1"), "{grep}");
    let wt = worktree(&data, &repo);
    let edited = std::fs::read_to_string(wt.join("src/http_client.rs")).unwrap();
    assert!(edited.contains("that retries failed requests"), "{edited}");
    assert_eq!(
        std::fs::read(repo.join("src/http_client.rs")).unwrap(),
        before,
        "the user's file is unchanged"
    );
    // The second turn's request carried the first call's result back.
    let requests = mock.requests("act");
    assert!(
        requests
            .iter()
            .any(|r| r.body.to_string().contains("pub struct HttpClient")),
        "the read file went back to the model"
    );
}

#[test]
fn anthropic_specialists_read_edit_and_run_in_the_worktree() {
    act_against_the_mock("anthropic", Wire::Anthropic);
}

#[test]
fn openai_specialists_read_edit_and_run_in_the_worktree() {
    act_against_the_mock("openai", Wire::OpenAi);
}

#[test]
fn commands_never_see_a_provider_key() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    sample_repo(&repo);
    let data = tmp.path().join("data");
    ok(
        &data,
        &[
            "space",
            "add",
            repo.to_str().unwrap(),
            "--check-command",
            "true",
        ],
    );
    let script = write_script(
        tmp.path(),
        "env.json",
        &json!({"kinds": {"implement": [{"tool": "run_command", "input": {"command": "env > env.txt"}}, {"say": "done"}]}}),
    );
    let r = ran(kata(&data)
        .args([
            "--json",
            "run",
            "--space",
            repo.to_str().unwrap(),
            "--prompt",
            "add retry",
            "--script",
            &script,
        ])
        .env("ANTHROPIC_API_KEY", "sk-ant-must-not-reach-commands-0001")
        .env("OPENAI_API_KEY", "sk-proj-must-not-reach-commands-0002")
        .env("GITHUB_TOKEN", "ghp_mustnotreachcommands0003")
        .output()
        .unwrap());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let env = std::fs::read_to_string(worktree(&data, &repo).join("env.txt")).unwrap();
    assert!(env.contains("PATH="), "{env}");
    for secret in [
        "ANTHROPIC_API_KEY",
        "OPENAI_API_KEY",
        "GITHUB_TOKEN",
        "must-not-reach",
        "mustnotreach",
    ] {
        assert!(
            !env.contains(secret),
            "{secret} reached the command:\n{env}"
        );
    }
}

/// Runs `script` with the process stopped at `point`, then resumes the run (without the crash).
fn crash_then_resume(tmp: &Path, script: &Value, point: &str) -> (PathBuf, PathBuf, Value) {
    let repo = tmp.join("repo");
    sample_repo(&repo);
    let data = tmp.join("data");
    ok(
        &data,
        &[
            "space",
            "add",
            repo.to_str().unwrap(),
            "--check-command",
            "true",
        ],
    );
    let script = write_script(tmp, "crash.json", script);
    let crashed = ran(kata(&data)
        .args([
            "--json",
            "run",
            "--space",
            repo.to_str().unwrap(),
            "--prompt",
            "add retry",
            "--script",
            &script,
        ])
        .env("KATA_CRASH_AT", point)
        .output()
        .unwrap());
    assert_ne!(crashed.code, 0, "the process was stopped at {point}");
    let run_id = crashed
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|e| e["type"] == "run_created")
        .map(|e| e["run"]["id"].as_str().unwrap().to_owned())
        .expect("the run was created before the crash");
    let listed = ok(&data, &["--json", "runs", "show", &run_id]).json();
    assert_eq!(listed["status"], "interrupted", "{listed}");
    let wt = worktree(&data, &repo);
    let resumed = run(&data, &["--json", "runs", "resume", &run_id]);
    assert_eq!(resumed.code, 0, "{}", resumed.stderr);
    let shown = ok(&data, &["--json", "runs", "show", &run_id]).json();
    assert_eq!(shown["status"], "completed", "{shown}");
    (wt, data, shown)
}

#[test]
fn a_write_cut_off_before_its_result_is_settled_by_hash_and_not_written_again() {
    let tmp = tempfile::tempdir().unwrap();
    let script = json!({"tasks": {"t1": [
        {"tool": "write_file", "input": {"path": "notes/once.txt", "content": "once\n"}},
        {"say": "wrote it"}
    ]}});
    let (wt, _, shown) = crash_then_resume(tmp.path(), &script, "effect:write_file");
    assert_eq!(
        std::fs::read_to_string(wt.join("notes/once.txt")).unwrap(),
        "once\n"
    );
    let calls = shown["tool_calls"].as_array().unwrap();
    let writes: Vec<&Value> = calls.iter().filter(|c| c["tool"] == "write_file").collect();
    assert_eq!(writes.len(), 1, "one call, recorded once: {calls:?}");
    assert_eq!(writes[0]["status"], "done");
    let settled = writes[0]["settled"].as_str().unwrap();
    assert!(settled.contains("done before the restart"), "{settled}");
    let t1 = shown["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "t1")
        .unwrap();
    assert_eq!(t1["status"], "completed");
}

#[test]
fn a_write_cut_off_before_it_happened_is_done_once_on_resume() {
    let tmp = tempfile::tempdir().unwrap();
    let script = json!({"tasks": {"t1": [
        {"tool": "write_file", "input": {"path": "notes/later.txt", "content": "later\n"}},
        {"say": "wrote it"}
    ]}});
    let (wt, _, shown) = crash_then_resume(tmp.path(), &script, "intent:write_file");
    assert_eq!(
        std::fs::read_to_string(wt.join("notes/later.txt")).unwrap(),
        "later\n"
    );
    let writes: Vec<Value> = shown["tool_calls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["tool"] == "write_file")
        .cloned()
        .collect();
    assert_eq!(writes.len(), 1);
    assert!(
        writes[0]["settled"]
            .as_str()
            .unwrap()
            .contains("not done before the restart"),
        "{}",
        writes[0]
    );
}

#[test]
fn a_command_that_ran_before_a_crash_is_not_run_again() {
    let tmp = tempfile::tempdir().unwrap();
    let script = json!({"tasks": {"t1": [
        {"tool": "run_command", "input": {"command": "echo ran >> marker.txt"}},
        {"say": "ran it"}
    ]}});
    let (wt, _, shown) = crash_then_resume(tmp.path(), &script, "effect:run_command");
    let marker = std::fs::read_to_string(wt.join("marker.txt")).unwrap();
    assert_eq!(marker, "ran\n", "the command ran exactly once");
    let commands: Vec<Value> = shown["tool_calls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            c["tool"] == "run_command" && c["call_id"].as_str().unwrap().starts_with("call_")
        })
        .cloned()
        .collect();
    assert_eq!(commands.len(), 1, "{commands:?}");
    assert_eq!(commands[0]["status"], "uncertain");
    assert!(
        commands[0]["settled"]
            .as_str()
            .unwrap()
            .contains("not run again"),
        "{}",
        commands[0]
    );
    assert!(
        commands[0]["output"]
            .as_str()
            .unwrap()
            .contains("may or may not have"),
        "the model was told"
    );
}
