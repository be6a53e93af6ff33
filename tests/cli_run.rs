//! `run` end to end through the real binary on a real git repository.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use common::{ok, run, run_json, sample_repo};
use serde_json::Value;

#[test]
fn a_run_completes_with_waves_a_full_draft_and_real_provenance() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    sample_repo(&repo);
    let data = tmp.path().join("data");

    let (lines, run) = run_json(
        &data,
        repo.to_str().unwrap(),
        "add retry to the http client",
    );

    assert_eq!(run["status"], "completed");
    let timeline: Vec<&str> = run["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert_eq!(timeline, vec!["queued", "running", "completed"]);
    assert!(run["completed_at"].is_string());
    assert_eq!(run["attempt"], 1);

    // Tasks: at least two, in at least two waves, verify after implement.
    let tasks = run["tasks"].as_array().unwrap();
    assert!(tasks.len() >= 2, "{tasks:?}");
    let waves: std::collections::BTreeSet<u64> =
        tasks.iter().map(|t| t["wave"].as_u64().unwrap()).collect();
    assert!(waves.len() >= 2, "waves {waves:?}");
    let verify = tasks
        .iter()
        .find(|t| t["kind"] == "verify")
        .expect("a verify task");
    let implement_waves: Vec<u64> = tasks
        .iter()
        .filter(|t| t["kind"] == "implement")
        .map(|t| t["wave"].as_u64().unwrap())
        .collect();
    assert!(!implement_waves.is_empty());
    assert!(
        implement_waves
            .iter()
            .all(|w| *w < verify["wave"].as_u64().unwrap())
    );
    for t in tasks {
        assert_eq!(t["status"], "completed", "{t}");
        assert!(t["summary"].as_str().is_some_and(|s| !s.is_empty()));
        let statuses: Vec<&str> = t["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["status"].as_str().unwrap())
            .collect();
        assert_eq!(statuses, vec!["queued", "running", "completed"]);
        assert_eq!(
            t["specialist"],
            if t["kind"] == "verify" {
                "verifier"
            } else {
                "implementor"
            }
        );
    }

    // The draft has the six sections.
    let draft = run["draft"]["content"].as_str().unwrap();
    for section in [
        "Goal",
        "Tasks",
        "Acceptance Criteria",
        "Non-goals",
        "Assumptions",
        "Verification Plan",
    ] {
        assert!(
            draft.contains(&format!("## {section}\n")),
            "missing {section}:\n{draft}"
        );
    }

    // Context items point at real lines of real files, with the hash of the whole file.
    let items = run["context"]["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert_eq!(run["context"]["resolved_provider"], "filesystem");
    assert!(run["context"].get("fallback_from").is_none());
    assert_eq!(items[0]["path"], "src/http_client.rs");
    for (n, item) in items.iter().enumerate() {
        assert_eq!(item["rank"].as_u64().unwrap(), n as u64 + 1);
        let path = item["path"].as_str().unwrap();
        assert!(
            !path.starts_with("target/"),
            "gitignored file retrieved: {path}"
        );
        assert!(!path.ends_with(".bin"), "binary file retrieved: {path}");
        let bytes = std::fs::read(repo.join(path)).unwrap();
        assert_eq!(
            item["content_hash"].as_str().unwrap(),
            blake3::hash(&bytes).to_hex().as_str()
        );
        let text = String::from_utf8(bytes).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let (start, end) = (
            item["start_line"].as_u64().unwrap() as usize,
            item["end_line"].as_u64().unwrap() as usize,
        );
        assert!(
            start >= 1 && start <= end && end <= lines.len(),
            "{path}:{start}-{end}"
        );
        assert_eq!(
            item["excerpt"].as_str().unwrap(),
            lines[start - 1..end].join("\n")
        );
    }
    assert_eq!(
        run["stale"],
        serde_json::json!({"is_stale": false, "reasons": []})
    );
    assert_eq!(run["provider_execution"]["provider"], "offline");
    assert_eq!(run["provider_execution"]["status"], "completed");

    // Events were streamed as JSON Lines before the final line, in lifecycle order.
    let types: Vec<&str> = lines.iter().map(|l| l["type"].as_str().unwrap()).collect();
    let pos = |t: &str| {
        types
            .iter()
            .position(|x| *x == t)
            .unwrap_or_else(|| panic!("no {t} in {types:?}"))
    };
    assert!(pos("run_created") < pos("context_resolved"));
    assert!(pos("context_resolved") < pos("draft_ready"));
    assert!(pos("draft_ready") < pos("wave_started"));
    assert!(pos("wave_started") < pos("run_finished"));
}

#[test]
fn the_same_prompt_on_the_same_files_gives_the_same_draft_and_tasks() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    sample_repo(&repo);
    let data = tmp.path().join("data");
    let shape = |run: &Value| -> Vec<Value> {
        run["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                serde_json::json!([
                    t["id"],
                    t["kind"],
                    t["specialist"],
                    t["wave"],
                    t["title"],
                    t["depends_on"],
                    t["summary"]
                ])
            })
            .collect()
    };
    let (_, first) = run_json(
        &data,
        repo.to_str().unwrap(),
        "add retry to the http client",
    );
    // In a session of its own: in the same session the prompt would be a follow-up refining the first
    // draft (docs/SPEC.md, Conversation).
    ok(
        &data,
        &[
            "session",
            "new",
            "--space",
            repo.to_str().unwrap(),
            "--name",
            "again",
        ],
    );
    let again = ok(
        &data,
        &[
            "--json",
            "run",
            "--space",
            repo.to_str().unwrap(),
            "--session",
            "again",
            "--prompt",
            "add retry to the http client",
        ],
    );
    let second = again.json_lines().last().unwrap()["run"].clone();
    assert_ne!(first["session_id"], second["session_id"]);
    assert_ne!(first["id"], second["id"]);
    assert_eq!(first["draft"]["content"], second["draft"]["content"]);
    assert_eq!(first["plan"], second["plan"]);
    assert_eq!(shape(&first), shape(&second));
    assert_eq!(first["context"]["items"], second["context"]["items"]);

    // Another data dir (another machine, a restart) agrees too.
    let (_, third) = run_json(
        &tmp.path().join("other"),
        repo.to_str().unwrap(),
        "add retry to the http client",
    );
    assert_eq!(first["draft"]["content"], third["draft"]["content"]);
    assert_eq!(shape(&first), shape(&third));

    // History: newest first; a newer run in the same session supersedes the older run's draft.
    let follow_up = ok(
        &data,
        &[
            "--json",
            "run",
            "--space",
            repo.to_str().unwrap(),
            "--session",
            first["session_id"].as_str().unwrap(),
            "--prompt",
            "now also handle timeouts",
        ],
    );
    let follow_up = follow_up.json_lines().last().unwrap()["run"].clone();
    let list = ok(&data, &["--json", "runs", "list"]).json();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 3);
    assert_eq!(list[0]["id"], follow_up["id"]);
    assert_eq!(list[0]["stale"]["is_stale"], false);
    assert_eq!(list[1]["id"], second["id"]);
    assert_eq!(list[1]["stale"]["is_stale"], false, "another session's run");
    assert_eq!(list[2]["id"], first["id"]);
    assert_eq!(list[2]["stale"]["reasons"][0]["kind"], "superseded");
    assert_eq!(list[2]["stale"]["reasons"][0]["detail"], follow_up["id"]);
}

#[test]
fn spaces_sessions_and_runs_show_agree() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    sample_repo(&repo);
    let data = tmp.path().join("data");

    let space = ok(
        &data,
        &[
            "--json",
            "space",
            "add",
            repo.to_str().unwrap(),
            "--name",
            "Demo",
        ],
    )
    .json();
    assert_eq!(space["name"], "Demo");
    assert_eq!(space["context_provider"], "filesystem");
    assert_eq!(
        space["root_path"],
        std::fs::canonicalize(&repo).unwrap().to_str().unwrap()
    );
    for field in ["id", "created_at", "updated_at"] {
        assert!(space[field].is_string(), "{field}");
    }
    // Linking again returns the same space.
    let again = ok(&data, &["--json", "space", "add", repo.to_str().unwrap()]).json();
    assert_eq!(again["id"], space["id"]);
    let spaces = ok(&data, &["--json", "space", "list"]).json();
    assert_eq!(spaces.as_array().unwrap().len(), 1);

    // Runs by space id go to the same (latest) session.
    let id = space["id"].as_str().unwrap();
    let (_, a) = run_json(
        &data,
        repo.to_str().unwrap(),
        "add retry to the http client",
    );
    let (_, b) = run_json(&data, id, "log every request");
    assert_eq!(a["space_id"], b["space_id"]);
    assert_eq!(a["session_id"], b["session_id"]);

    let shown = ok(
        &data,
        &["--json", "runs", "show", a["id"].as_str().unwrap()],
    )
    .json();
    assert_eq!(shown["id"], a["id"]);
    assert_eq!(shown["draft"], a["draft"]);
    assert_eq!(shown["tasks"], a["tasks"]);
    assert_eq!(shown["context"]["items"], a["context"]["items"]);

    let by_session = ok(
        &data,
        &[
            "--json",
            "runs",
            "list",
            "--session",
            a["session_id"].as_str().unwrap(),
        ],
    )
    .json();
    assert_eq!(by_session.as_array().unwrap().len(), 2);
    let by_space = ok(&data, &["--json", "runs", "list", "--space", id]).json();
    assert_eq!(by_space.as_array().unwrap().len(), 2);

    // A session that belongs to nothing is a usage error naming it.
    let r = run(
        &data,
        &[
            "run",
            "--space",
            id,
            "--session",
            "se-nope",
            "--prompt",
            "x",
        ],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("\"se-nope\""), "{}", r.stderr);
}

#[test]
fn human_output_reads_well() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    sample_repo(&repo);
    let data = tmp.path().join("data");
    let r = ok(
        &data,
        &[
            "run",
            "--space",
            repo.to_str().unwrap(),
            "--prompt",
            "add retry to the http client",
        ],
    );
    assert!(r.stdout.contains("wave 1:"), "{}", r.stdout);
    assert!(r.stdout.contains("· completed"), "{}", r.stdout);
    assert!(r.stdout.contains("## Tasks"), "{}", r.stdout);
    let list = ok(&data, &["runs", "list"]);
    assert!(list.stdout.contains("completed"), "{}", list.stdout);
}
