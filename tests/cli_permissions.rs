//! Permissions, through the real binary: a scripted run that writes a file and runs two commands, answered
//! by the run's policy (`--deny`, `--yes`), by `runs approve` from another process while the run waits
//! (`waiting_permission`), with "Always" adding a pattern the next command matches; a run killed while it
//! waits is interrupted, resume asks again and the command runs once; read-only mode refuses writes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::{kata, ok, run, sample_repo};
use serde_json::{Value, json};

/// Writes `notes/a.txt`, then runs `touch one.txt` and `touch two.txt`, then reports.
fn script(dir: &Path) -> String {
    let path = dir.join("script.json");
    let script = json!({"kinds": {
        "implement": [
            {"calls": [
                {"tool": "write_file", "input": {"path": "notes/a.txt", "content": "a\n"}}
            ]},
            {"calls": [{"tool": "run_command", "input": {"command": "touch one.txt"}}]},
            {"calls": [{"tool": "run_command", "input": {"command": "touch two.txt"}}]},
            {"say": "wrote notes/a.txt, ran two commands"}
        ]
    }});
    std::fs::write(&path, script.to_string()).unwrap();
    path.display().to_string()
}

struct Setup {
    _tmp: tempfile::TempDir,
    repo: PathBuf,
    data: PathBuf,
    script: String,
}

fn setup(approval: Option<&str>) -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    sample_repo(&repo);
    let data = tmp.path().join("data");
    let mut args = vec![
        "space",
        "add",
        repo.to_str().unwrap(),
        "--check-command",
        "true",
    ];
    if let Some(mode) = approval {
        args.extend(["--approval", mode]);
    }
    ok(&data, &args);
    let script = script(tmp.path());
    Setup {
        _tmp: tmp,
        repo,
        data,
        script,
    }
}

impl Setup {
    fn run_args<'a>(&'a self, policy: &'a str) -> Vec<&'a str> {
        let mut args = vec![
            "--json",
            "run",
            "--space",
            self.repo.to_str().unwrap(),
            "--prompt",
            "add retry to the http client",
            "--script",
            &self.script,
        ];
        if !policy.is_empty() {
            args.push(policy);
        }
        args
    }

    fn spawn(&self, args: &[&str]) -> Child {
        kata(&self.data)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    fn show(&self, run_id: &str) -> Value {
        ok(&self.data, &["--json", "runs", "show", run_id]).json()
    }

    fn worktree(&self) -> PathBuf {
        let sessions = ok(
            &self.data,
            &[
                "--json",
                "session",
                "list",
                "--space",
                self.repo.to_str().unwrap(),
            ],
        )
        .json();
        PathBuf::from(sessions[0]["worktree"]["path"].as_str().unwrap())
    }

    /// The only run, once it exists.
    fn run_id(&self) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let runs = ok(&self.data, &["--json", "runs", "list"]).json();
            if let Some(id) = runs[0]["id"].as_str() {
                return id.to_owned();
            }
            assert!(Instant::now() < deadline, "no run appeared");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until the run waits for an answer, and returns its waiting requests.
    fn waiting(&self, run_id: &str) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let shown = self.show(run_id);
            let waiting: Vec<Value> = shown["permissions"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["answer"].is_null() && p["expired"].is_null())
                .cloned()
                .collect();
            if shown["status"] == "waiting_permission" && !waiting.is_empty() {
                return waiting;
            }
            assert!(
                shown["status"] != "completed" && shown["status"] != "failed",
                "the run ended without asking: {shown}"
            );
            assert!(Instant::now() < deadline, "the run never waited: {shown}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn finish(child: Child) -> (i32, Vec<Value>) {
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let events = stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .collect();
    (out.status.code().unwrap_or(-1), events)
}

fn commands(shown: &Value) -> Vec<&Value> {
    shown["tool_calls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            c["tool"] == "run_command" && !c["call_id"].as_str().unwrap().starts_with("check")
        })
        .collect()
}

#[test]
fn deny_refuses_both_commands_and_the_model_is_told() {
    let s = setup(None);
    let r = run(&s.data, &s.run_args("--deny"));
    assert_eq!(r.code, 0, "{}\n{}", r.stderr, r.stdout);
    let events = r.json_lines();
    let run_id = events[0]["run"]["id"].as_str().unwrap().to_owned();
    let shown = s.show(&run_id);
    assert_eq!(shown["status"], "completed", "{shown}");
    let cmds = commands(&shown);
    assert!(cmds.len() >= 2, "{cmds:?}");
    for c in &cmds {
        assert_eq!(c["status"], "failed", "{c}");
        assert_eq!(c["error_code"], "permission_denied", "{c}");
        assert!(
            c["output"].as_str().unwrap().contains("refused"),
            "the model receives the refusal: {c}"
        );
        assert!(c["effect"].is_null(), "no intent: nothing ran: {c}");
    }
    let wt = s.worktree();
    assert!(!wt.join("one.txt").exists() && !wt.join("two.txt").exists());
    assert_eq!(
        std::fs::read_to_string(wt.join("notes/a.txt")).unwrap(),
        "a\n",
        "writes are allowed in ask mode"
    );
    // Every decision is in the event log and in the run.
    let decided: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "permission_decided")
        .collect();
    assert_eq!(decided.len(), cmds.len(), "{events:?}");
    for d in &decided {
        assert_eq!(d["answer"]["decision"], "no");
        assert_eq!(d["answer"]["by"], "policy");
    }
    let permissions = shown["permissions"].as_array().unwrap();
    assert_eq!(permissions.len(), cmds.len());
    assert!(permissions.iter().all(|p| p["kind"] == "command"));
}

#[test]
fn yes_lets_both_commands_run() {
    let s = setup(None);
    let r = run(&s.data, &s.run_args("--yes"));
    assert_eq!(r.code, 0, "{}\n{}", r.stderr, r.stdout);
    let run_id = r.json_lines()[0]["run"]["id"].as_str().unwrap().to_owned();
    let shown = s.show(&run_id);
    assert_eq!(shown["status"], "completed", "{shown}");
    let cmds = commands(&shown);
    assert!(cmds.len() >= 2);
    assert!(cmds.iter().all(|c| c["status"] == "done"), "{cmds:?}");
    let wt = s.worktree();
    assert!(wt.join("one.txt").exists() && wt.join("two.txt").exists());
    let permissions = shown["permissions"].as_array().unwrap();
    assert!(
        permissions
            .iter()
            .all(|p| p["answer"]["decision"] == "yes" && p["answer"]["by"] == "policy"),
        "{permissions:?}"
    );
}

#[test]
fn an_ask_mode_run_waits_and_an_answer_from_another_process_lets_it_go_on() {
    let s = setup(None);
    let child = s.spawn(&s.run_args(""));
    let run_id = s.run_id();
    let first = s.waiting(&run_id);
    assert_eq!(first[0]["subject"], "touch one.txt", "{first:?}");
    assert_eq!(first[0]["pattern"], "touch *");
    // Listed as waiting by `runs list`.
    let listed = ok(&s.data, &["--json", "runs", "list"]).json();
    assert_eq!(listed[0]["status"], "waiting_permission");
    // An unknown request, or a malformed decision, changes nothing.
    let bad = run(&s.data, &["runs", "approve", &run_id, "t9.9.9"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("t9.9.9"), "{}", bad.stderr);

    // "Always": the pattern joins the session's allow-list.
    let request = first[0]["request_id"].as_str().unwrap().to_owned();
    let answered = ok(
        &s.data,
        &["--json", "runs", "approve", &run_id, &request, "--always"],
    )
    .json();
    assert_eq!(answered["answer"]["decision"], "always");
    assert_eq!(answered["answer"]["by"], "cli");
    assert_eq!(answered["answer"]["pattern_added"], "touch *");
    let again = run(&s.data, &["runs", "approve", &run_id, &request]);
    assert_eq!(again.code, 2, "answered already: {}", again.stderr);
    // Other tasks may have asked before the pattern existed: answer them once.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let shown = s.show(&run_id);
        if !shown["status"].as_str().unwrap().ends_with("permission")
            && shown["status"] != "running"
        {
            break;
        }
        for p in shown["permissions"].as_array().into_iter().flatten() {
            if p["answer"].is_null() {
                ok(
                    &s.data,
                    &[
                        "runs",
                        "approve",
                        &run_id,
                        p["request_id"].as_str().unwrap(),
                    ],
                );
            }
        }
        assert!(Instant::now() < deadline, "the run did not end: {shown}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let (code, events) = finish(child);
    assert_eq!(code, 0);
    let shown = s.show(&run_id);
    assert_eq!(shown["status"], "completed", "{shown}");
    let permissions = shown["permissions"].as_array().unwrap();
    assert!(
        permissions.iter().all(|p| p["subject"] == "touch one.txt"),
        "`touch two.txt` matched the pattern and did not ask: {permissions:?}"
    );
    let wt = s.worktree();
    assert!(wt.join("one.txt").exists() && wt.join("two.txt").exists());
    // The run's own stream shows the requests and the decisions, and its status going back and forth.
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert!(types.contains(&"permission_requested"), "{types:?}");
    assert!(types.contains(&"permission_decided"), "{types:?}");
    assert!(
        events
            .iter()
            .any(|e| e["type"] == "run_status_changed" && e["status"] == "waiting_permission"),
        "{events:?}"
    );
    let allowed = ok(
        &s.data,
        &[
            "--json",
            "session",
            "allowed",
            shown["session_id"].as_str().unwrap(),
        ],
    )
    .json();
    assert_eq!(allowed[0]["pattern"], "touch *", "{allowed}");
    assert_eq!(allowed[0]["added_by"], "cli");
    // Removable.
    let removed = ok(
        &s.data,
        &[
            "--json",
            "session",
            "allowed",
            shown["session_id"].as_str().unwrap(),
            "--remove",
            "touch *",
        ],
    )
    .json();
    assert_eq!(removed, json!([]));
}

#[test]
fn a_denial_with_feedback_reaches_the_model() {
    let s = setup(None);
    let child = s.spawn(&s.run_args(""));
    let run_id = s.run_id();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let shown = s.show(&run_id);
        if !shown["status"].as_str().unwrap().starts_with("waiting")
            && shown["status"] != "running"
            && shown["status"] != "queued"
        {
            break;
        }
        for p in shown["permissions"].as_array().into_iter().flatten() {
            if p["answer"].is_null() && p["expired"].is_null() {
                ok(
                    &s.data,
                    &[
                        "runs",
                        "deny",
                        &run_id,
                        p["request_id"].as_str().unwrap(),
                        "--feedback",
                        "use the file tools instead",
                    ],
                );
            }
        }
        assert!(Instant::now() < deadline, "the run did not end: {shown}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let (code, _) = finish(child);
    assert_eq!(code, 0);
    let shown = s.show(&run_id);
    for c in commands(&shown) {
        assert_eq!(c["error_code"], "permission_denied");
        assert!(
            c["output"]
                .as_str()
                .unwrap()
                .contains("use the file tools instead"),
            "{c}"
        );
    }
    for p in shown["permissions"].as_array().unwrap() {
        assert_eq!(p["answer"]["by"], "cli");
        assert_eq!(p["answer"]["feedback"], "use the file tools instead");
    }
}

#[test]
fn killed_while_waiting_the_run_is_interrupted_and_resume_asks_again() {
    let s = setup(None);
    let mut child = s.spawn(&s.run_args(""));
    let run_id = s.run_id();
    let first = s.waiting(&run_id);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let shown = s.show(&run_id);
    assert_eq!(shown["status"], "interrupted", "{shown}");
    let expired: Vec<&Value> = shown["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["expired"] == true)
        .collect();
    assert!(!expired.is_empty(), "{shown}");
    let wt = s.worktree();
    assert!(!wt.join("one.txt").exists(), "the command never ran");
    // An answer to the old request is refused: resume asks again.
    let late = run(
        &s.data,
        &[
            "runs",
            "approve",
            &run_id,
            first[0]["request_id"].as_str().unwrap(),
        ],
    );
    assert_eq!(late.code, 2, "{}", late.stderr);
    assert!(late.stderr.contains("resume"), "{}", late.stderr);

    let resumed = s.spawn(&["--json", "runs", "resume", &run_id]);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let shown = s.show(&run_id);
        let status = shown["status"].as_str().unwrap().to_owned();
        if status == "completed" || status == "failed" {
            break;
        }
        for p in shown["permissions"].as_array().into_iter().flatten() {
            if p["answer"].is_null() && p["expired"].is_null() {
                assert!(
                    p["request_id"].as_str().unwrap().ends_with(".2"),
                    "asked again by attempt 2: {p}"
                );
                ok(
                    &s.data,
                    &[
                        "runs",
                        "approve",
                        &run_id,
                        p["request_id"].as_str().unwrap(),
                    ],
                );
            }
        }
        assert!(
            Instant::now() < deadline,
            "the resumed run did not end: {shown}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let (code, _) = finish(resumed);
    assert_eq!(code, 0);
    let shown = s.show(&run_id);
    assert_eq!(shown["status"], "completed", "{shown}");
    // Each task ran `touch one.txt` exactly once.
    let ran_one: Vec<&Value> = commands(&shown)
        .into_iter()
        .filter(|c| c["target"] == "touch one.txt" && c["status"] == "done")
        .collect();
    let tasks_with_commands: std::collections::BTreeSet<&str> = commands(&shown)
        .iter()
        .map(|c| c["task_id"].as_str().unwrap())
        .collect();
    assert_eq!(ran_one.len(), tasks_with_commands.len(), "{ran_one:?}");
}

#[test]
fn read_only_mode_refuses_a_write_with_a_typed_error() {
    let s = setup(Some("read-only"));
    let r = run(&s.data, &s.run_args(""));
    assert_eq!(r.code, 0, "{}\n{}", r.stderr, r.stdout);
    let run_id = r.json_lines()[0]["run"]["id"].as_str().unwrap().to_owned();
    let shown = s.show(&run_id);
    let writes: Vec<&Value> = shown["tool_calls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["tool"] == "write_file")
        .collect();
    assert!(!writes.is_empty());
    for w in &writes {
        assert_eq!(w["status"], "failed");
        assert_eq!(w["error_code"], "read_only", "{w}");
    }
    for c in commands(&shown) {
        assert_eq!(c["error_code"], "read_only", "{c}");
    }
    assert!(
        shown["permissions"].is_null(),
        "read-only refuses without asking"
    );
    let wt = s.worktree();
    assert!(!wt.join("notes").exists(), "the file is unchanged (absent)");
    assert!(!s.repo.join("notes").exists());
    // A session may override the space's mode.
    let session = shown["session_id"].as_str().unwrap();
    let changed = ok(&s.data, &["--json", "session", "mode", session, "auto"]).json();
    assert_eq!(changed["approval_mode"], "auto");
    let bad = run(&s.data, &["session", "mode", session, "sometimes"]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("read-only, ask, auto"),
        "{}",
        bad.stderr
    );
}
