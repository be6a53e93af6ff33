//! What every command prints, as the contract in `docs/CLI.md` says: each `--json` output has its record's
//! fields with RFC 3339 UTC timestamps, every command works on a fresh data dir, and a run that ends badly is
//! still printed, with one error line on stderr.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use common::{ok, one_run, sample_repo};

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

#[test]
fn a_failed_run_also_says_so_in_one_line_on_stderr() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    sample_repo(&repo);
    let data = tmp.path().join("data");
    // Connection refused: a port with nothing listening.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", free.local_addr().unwrap());
    drop(free);
    for json in [false, true] {
        let mut cmd = common::kata(&data);
        if json {
            cmd.arg("--json");
        }
        let r = common::ran(
            cmd.args([
                "run",
                "--space",
                repo.to_str().unwrap(),
                "--prompt",
                "add retry",
            ])
            .env("ANTHROPIC_API_KEY", "sk-qa-test")
            .env("ANTHROPIC_BASE_URL", &base)
            .env("KATA_PROVIDER_BACKOFF_MS", "1")
            .output()
            .unwrap(),
        );
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert!(!r.stdout.is_empty(), "the run is still shown on stdout");
        let errors: Vec<&str> = r
            .stderr
            .lines()
            .filter(|l| l.starts_with("error: "))
            .collect();
        assert_eq!(errors.len(), 1, "{}", r.stderr);
        assert!(
            errors[0].contains("ended failed: unavailable"),
            "{}",
            r.stderr
        );
        assert!(!r.stderr.contains("sk-qa-test"));
    }
}

/// `fields` must exist in `value` (a trailing `?` marks an optional one); every `*_at`/`at` is RFC 3339 UTC.
fn check_shape(value: &serde_json::Value, fields: &[&str], what: &str) {
    for field in fields {
        let (name, optional) = match field.strip_suffix('?') {
            Some(name) => (name, true),
            None => (*field, false),
        };
        match value.get(name) {
            None if optional => {}
            None => panic!("{what} lacks {name}: {value}"),
            Some(v) if (name == "at" || name.ends_with("_at")) && !v.is_null() => {
                let text = v.as_str().unwrap_or_else(|| panic!("{what}.{name}: {v}"));
                let parsed = chrono::DateTime::parse_from_rfc3339(text)
                    .unwrap_or_else(|e| panic!("{what}.{name} = {text}: {e}"));
                assert!(
                    parsed.offset().local_minus_utc() == 0 && text.ends_with('Z'),
                    "{what}.{name} = {text}"
                );
            }
            Some(_) => {}
        }
    }
}

fn check_run(run: &serde_json::Value) {
    check_shape(
        run,
        &[
            "id",
            "space_id",
            "session_id",
            "prompt",
            "status",
            "attempt",
            "timeline",
            "created_at",
            "updated_at",
            "completed_at?",
            "interrupted_at?",
            "error?",
            "provider_execution?",
            "context",
            "draft?",
            "tasks",
            "stale",
        ],
        "Run",
    );
    for entry in run["timeline"].as_array().unwrap() {
        check_shape(entry, &["status", "at"], "Run.timeline");
    }
    check_shape(
        &run["context"],
        &[
            "requested_provider",
            "resolved_provider",
            "fallback_from?",
            "snapshot_id?",
            "error?",
            "items",
        ],
        "Run.context",
    );
    for item in run["context"]["items"].as_array().unwrap() {
        check_shape(
            item,
            &[
                "path",
                "start_line",
                "end_line",
                "content_hash",
                "score",
                "rank",
                "excerpt",
            ],
            "ContextItem",
        );
    }
    if let Some(exec) = run.get("provider_execution") {
        check_shape(exec, &["provider", "model", "status"], "provider_execution");
    }
    if let Some(draft) = run.get("draft") {
        check_shape(draft, &["content", "generated_at", "applied_at?"], "draft");
    }
    for task in run["tasks"].as_array().unwrap() {
        check_shape(
            task,
            &[
                "id",
                "kind",
                "specialist",
                "wave",
                "status",
                "timeline",
                "summary?",
                "error?",
            ],
            "task",
        );
        for entry in task["timeline"].as_array().unwrap() {
            check_shape(entry, &["status", "at"], "task.timeline");
        }
    }
    check_shape(&run["stale"], &["is_stale", "reasons"], "stale");
    for reason in run["stale"]["reasons"].as_array().unwrap() {
        check_shape(reason, &["kind", "detail"], "stale.reasons");
        let kind = reason["kind"].as_str().unwrap();
        assert!(
            [
                "source_changed",
                "source_missing",
                "spec_edited",
                "superseded"
            ]
            .contains(&kind),
            "{kind}"
        );
    }
}

#[test]
fn every_json_output_has_the_contract_shape() {
    let tmp = tempfile::tempdir().unwrap();
    let (repo, data, finished) = one_run(tmp.path());
    let path = repo.to_str().unwrap();
    let run_id = finished["id"].as_str().unwrap();
    let session = finished["session_id"].as_str().unwrap();
    check_run(&finished);
    let space_fields = [
        "id",
        "name",
        "root_path",
        "context_provider",
        "created_at",
        "updated_at",
    ];
    check_shape(
        &ok(&data, &["--json", "space", "add", path]).json(),
        &space_fields,
        "Space",
    );
    for space in ok(&data, &["--json", "space", "list"])
        .json()
        .as_array()
        .unwrap()
    {
        check_shape(space, &space_fields, "Space");
    }
    // A second run supersedes the first; an edit makes both stale.
    ok(
        &data,
        &[
            "run",
            "--space",
            path,
            "--prompt",
            "add retry to the http client",
        ],
    );
    std::fs::write(repo.join("src/http_client.rs"), "// rewritten\n").unwrap();
    for summary in ok(&data, &["--json", "runs", "list"])
        .json()
        .as_array()
        .unwrap()
    {
        check_shape(
            summary,
            &[
                "id",
                "space_id",
                "session_id",
                "prompt",
                "status",
                "created_at",
                "updated_at",
                "stale",
            ],
            "RunSummary",
        );
        assert_eq!(summary["stale"]["is_stale"], true, "{summary}");
    }
    let shown = ok(&data, &["--json", "runs", "show", run_id]).json();
    check_run(&shown);
    let kinds: Vec<&str> = shown["stale"]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"source_changed") && kinds.contains(&"superseded"),
        "{kinds:?}"
    );

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
    check_shape(
        &answer,
        &["provider", "fallback_from?", "items", "error?"],
        "ContextResult",
    );
    let spec_fields = [
        "session_id",
        "content",
        "revision",
        "applied_from_run?",
        "updated_at",
    ];
    check_shape(
        &ok(&data, &["--json", "spec", "apply", run_id, "--force"]).json(),
        &spec_fields,
        "Spec",
    );
    check_shape(
        &ok(&data, &["--json", "spec", "show", "--session", session]).json(),
        &spec_fields,
        "Spec",
    );
    for check in ok(&data, &["--json", "doctor"]).json().as_array().unwrap() {
        check_shape(check, &["name", "status", "detail"], "doctor check");
        assert!(["ok", "warn", "fail"].contains(&check["status"].as_str().unwrap()));
    }

    // resume and cancel: a run interrupted by kill -9, then resumed; a detached one cancelled.
    let mut child = common::kata(&data)
        .args([
            "--json",
            "run",
            "--space",
            path,
            "--prompt",
            "log every request",
        ])
        .env("KATA_OFFLINE_STEP_MS", "300")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.as_mut().unwrap()),
        &mut first,
    )
    .unwrap();
    let interrupted: serde_json::Value = serde_json::from_str(&first).unwrap();
    let interrupted = interrupted["run"]["id"].as_str().unwrap().to_owned();
    std::thread::sleep(std::time::Duration::from_millis(400));
    child.kill().unwrap();
    child.wait().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let shown = ok(&data, &["--json", "runs", "show", &interrupted]).json();
        if shown["status"] == "interrupted" {
            check_run(&shown);
            check_shape(&shown, &["interrupted_at"], "interrupted Run");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{shown}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let lines = ok(&data, &["--json", "runs", "resume", &interrupted]).json_lines();
    for line in &lines {
        assert!(line["type"].is_string(), "{line}");
    }
    let last = lines.last().unwrap();
    assert_eq!(last["type"], "run_finished");
    check_run(&last["run"]);

    let detached = common::ran(
        common::kata(&data)
            .args([
                "--json", "run", "--space", path, "--prompt", "slow", "--detach",
            ])
            .env("KATA_OFFLINE_STEP_MS", "2000")
            .output()
            .unwrap(),
    );
    assert_eq!(detached.code, 0, "{}", detached.stderr);
    check_run(&detached.json());
    let id = detached.json()["id"].as_str().unwrap().to_owned();
    let cancelled = ok(&data, &["--json", "runs", "cancel", &id]).json();
    check_run(&cancelled);
    assert_eq!(cancelled["status"], "cancelled");
}
