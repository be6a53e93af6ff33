//! The living spec through the binary: task ids and marks, `spec toggle` changing one line, `spec edit`
//! (`--file` and `$EDITOR`), `spec show --revision`, `spec diff`, a run's ticks with a hand edit made during
//! the run, and the conversation (a follow-up refines the spec, offline and byte-stable).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{assert_one_line, kata, ok, one_run, ran, run, run_json, sample_repo};
use serde_json::Value;

fn spec(data: &Path, session: &str) -> Value {
    ok(data, &["--json", "spec", "show", "--session", session]).json()
}

fn content(v: &Value) -> String {
    v["content"].as_str().unwrap().to_owned()
}

/// The lines that differ between two texts with the same number of lines.
fn changed_lines<'a>(a: &'a str, b: &'a str) -> Vec<(&'a str, &'a str)> {
    assert_eq!(a.lines().count(), b.lines().count(), "{a}\n---\n{b}");
    a.lines().zip(b.lines()).filter(|(x, y)| x != y).collect()
}

/// A session whose spec is the applied draft of one completed offline run.
fn applied(tmp: &Path) -> (std::path::PathBuf, std::path::PathBuf, String, Value) {
    let (repo, data, finished) = one_run(tmp);
    let run_id = finished["id"].as_str().unwrap();
    let session = finished["session_id"].as_str().unwrap().to_owned();
    let spec = ok(&data, &["--json", "spec", "apply", run_id]).json();
    (repo, data, session, spec)
}

#[test]
fn applied_tasks_have_ids_and_the_run_s_marks_and_toggle_changes_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let (_repo, data, session, applied) = applied(tmp.path());
    let before = content(&applied);
    // The run completed and its verification passed: every task line is done, each with its id.
    let task_lines: Vec<&str> = before.lines().filter(|l| l.starts_with("- [")).collect();
    assert!(task_lines.len() >= 2, "{before}");
    for (n, line) in task_lines.iter().enumerate() {
        assert!(line.starts_with("- [x] "), "{line}");
        assert!(line.ends_with(&format!(" <!-- s{} -->", n + 1)), "{line}");
    }

    let toggled = ok(
        &data,
        &["--json", "spec", "toggle", "s1", "--session", &session],
    )
    .json();
    assert_eq!(toggled["revision"], 2);
    let after = content(&toggled);
    let reopened = task_lines[0].replacen("[x]", "[ ]", 1);
    assert_eq!(
        changed_lines(&before, &after),
        vec![(task_lines[0], reopened.as_str())]
    );
    // Its diff is that one line.
    let diff = ok(&data, &["spec", "diff", "1", "2", "--session", &session]).stdout;
    let minus: Vec<&str> = diff.lines().filter(|l| l.starts_with("-- [")).collect();
    let plus: Vec<&str> = diff.lines().filter(|l| l.starts_with("+- [")).collect();
    assert_eq!((minus.len(), plus.len()), (1, 1), "{diff}");
    assert_eq!(
        diff.lines()
            .filter(|l| (l.starts_with('-') || l.starts_with('+'))
                && !l.starts_with("---")
                && !l.starts_with("+++"))
            .count(),
        2,
        "{diff}"
    );

    // Setting a mark, and the history recording who changed what.
    ok(
        &data,
        &[
            "spec",
            "toggle",
            "s2",
            "--session",
            &session,
            "--mark",
            "in-progress",
        ],
    );
    let shown = ok(&data, &["spec", "show", "--session", &session]).stdout;
    assert!(
        shown.contains(&task_lines[1].replacen("[x]", "[/]", 1)),
        "{shown}"
    );
    let history = ok(&data, &["--json", "spec", "history", "--session", &session]).json();
    assert_eq!(history.as_array().unwrap().len(), 3);
    let first = ok(
        &data,
        &[
            "--json",
            "spec",
            "show",
            "--session",
            &session,
            "--revision",
            "1",
        ],
    )
    .json();
    assert_eq!(content(&first), before);

    // Unknown task, unknown revision: one line, exit 2, nothing written.
    let r = run(&data, &["spec", "toggle", "s99", "--session", &session]);
    assert_eq!(r.code, 2);
    assert_one_line(&r);
    assert!(r.stderr.contains("s99"), "{}", r.stderr);
    let r = run(
        &data,
        &["spec", "show", "--session", &session, "--revision", "9"],
    );
    assert_eq!(r.code, 2);
    assert_one_line(&r);
    let r = run(
        &data,
        &[
            "spec",
            "toggle",
            "s1",
            "--session",
            &session,
            "--mark",
            "half",
        ],
    );
    assert_eq!(r.code, 2);
    assert_eq!(spec(&data, &session)["revision"], 3);
}

#[test]
fn spec_edit_from_a_file_and_from_the_editor_gives_new_lines_ids() {
    let tmp = tempfile::tempdir().unwrap();
    let (_repo, data, session, applied) = applied(tmp.path());
    let before = content(&applied);
    let n = before.lines().filter(|l| l.starts_with("- [")).count();

    // --file: the text is saved as is, a new task line gets the next id.
    let edited = before.replacen(
        "\n## Acceptance Criteria",
        "- [ ] Implement: handle timeouts\n\n## Acceptance Criteria",
        1,
    );
    let file = tmp.path().join("spec.md");
    std::fs::write(&file, &edited).unwrap();
    let saved = ok(
        &data,
        &[
            "--json",
            "spec",
            "edit",
            "--session",
            &session,
            "--file",
            file.to_str().unwrap(),
        ],
    )
    .json();
    assert_eq!(saved["revision"], 2);
    let want = format!("- [ ] Implement: handle timeouts <!-- s{} -->", n + 1);
    assert!(content(&saved).contains(&want), "{}", content(&saved));

    // $EDITOR: a script that appends a criterion to the file it is given.
    let script = tmp.path().join("editor.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\nprintf -- '- criterion from the editor\\n' >> \"$1\"\n",
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let r = ran(kata(&data)
        .env("EDITOR", &script)
        .env_remove("VISUAL")
        .args(["--json", "spec", "edit", "--session", &session])
        .output()
        .unwrap());
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(content(&r.json()).ends_with("- criterion from the editor\n"));
    assert_eq!(r.json()["revision"], 3);

    // An editor that fails saves nothing; no editor at all is a usage error.
    let r = ran(kata(&data)
        .env("EDITOR", "false")
        .env_remove("VISUAL")
        .args(["spec", "edit", "--session", &session])
        .output()
        .unwrap());
    assert_eq!(r.code, 1);
    assert_one_line(&r);
    let r = ran(kata(&data)
        .env_remove("EDITOR")
        .env_remove("VISUAL")
        .args(["spec", "edit", "--session", &session])
        .output()
        .unwrap());
    assert_eq!(r.code, 2);
    assert_one_line(&r);
    assert_eq!(spec(&data, &session)["revision"], 3);
}

/// Polls the session's spec until `done` holds (a minute at most).
fn wait_spec(data: &Path, session: &str, what: &str, done: impl Fn(&str) -> bool) -> Value {
    let started = Instant::now();
    loop {
        let s = spec(data, session);
        if done(&content(&s)) {
            return s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "waited for {what}:\n{}",
            content(&s)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_run_ticks_its_spec_task_and_a_hand_edit_made_meanwhile_survives() {
    let tmp = tempfile::tempdir().unwrap();
    let (_repo, data, session, applied) = applied(tmp.path());
    let n = content(&applied)
        .lines()
        .filter(|l| l.starts_with("- ["))
        .count();
    let new_id = format!("s{}", n + 1);
    // A task added by hand, then a run for that task alone, slow enough to edit during it.
    let with_task = content(&applied).replacen(
        "\n\n## Acceptance Criteria",
        "\n- [ ] Implement: handle timeouts in `src/http_client.rs`\n\n## Acceptance Criteria",
        1,
    );
    let file = tmp.path().join("spec.md");
    std::fs::write(&file, &with_task).unwrap();
    ok(
        &data,
        &[
            "spec",
            "edit",
            "--session",
            &session,
            "--file",
            file.to_str().unwrap(),
        ],
    );
    let repo = tmp.path().join("repo");
    let detached = ran(kata(&data)
        .env("KATA_OFFLINE_STEP_MS", "2500")
        .args([
            "--json",
            "run",
            "--space",
            repo.to_str().unwrap(),
            "--session",
            &session,
        ])
        .args([
            "--prompt",
            "handle timeouts",
            "--spec-task",
            &new_id,
            "--detach",
        ])
        .output()
        .unwrap());
    assert_eq!(detached.code, 0, "{}", detached.stderr);
    let run_id = detached.json()["id"].as_str().unwrap().to_owned();

    // The task started: its line is in progress. Edit the goal by hand from that revision.
    let started = wait_spec(&data, &session, "the [/] tick", |c| {
        c.contains(&format!(
            "- [/] Implement: handle timeouts in `src/http_client.rs` <!-- {new_id} -->"
        ))
    });
    let base = started["revision"].as_u64().unwrap();
    let hand =
        content(&started).replacen("## Goal\n", "## Goal\nEdited by hand during the run.\n", 1);
    std::fs::write(&file, &hand).unwrap();
    let base_arg = base.to_string();
    ok(
        &data,
        &[
            "spec",
            "edit",
            "--session",
            &session,
            "--file",
            file.to_str().unwrap(),
            "--base",
            &base_arg,
        ],
    );

    // The run completes: its line is done, the hand edit is still there.
    let done = wait_spec(&data, &session, "the [x] tick", |c| {
        c.contains(&format!(
            "- [x] Implement: handle timeouts in `src/http_client.rs` <!-- {new_id} -->"
        ))
    });
    assert!(
        content(&done).contains("Edited by hand during the run."),
        "{}",
        content(&done)
    );
    let started_at = Instant::now();
    loop {
        let shown = ok(&data, &["--json", "runs", "show", &run_id]).json();
        if shown["status"] == "completed" {
            let tasks = shown["tasks"].as_array().unwrap();
            assert_eq!(tasks.len(), 1, "a run for one task: {tasks:?}");
            assert_eq!(tasks[0]["spec_task"], new_id.as_str());
            break;
        }
        assert!(started_at.elapsed() < Duration::from_secs(60), "{shown}");
        std::thread::sleep(Duration::from_millis(100));
    }
    // One revision per tick, each recording the run and its task.
    let history = ok(&data, &["--json", "spec", "history", "--session", &session]).json();
    let ticks: Vec<(String, String, String)> = history
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| !r["tick"].is_null())
        .map(|r| {
            let t = &r["tick"];
            (
                t["run_id"].as_str().unwrap().to_owned(),
                t["task_id"].as_str().unwrap().to_owned(),
                t["mark"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        ticks,
        vec![
            (run_id.clone(), "t1".into(), "in_progress".into()),
            (run_id.clone(), "t1".into(), "done".into()),
        ]
    );
}

#[test]
fn a_follow_up_refines_the_first_draft_byte_stably() {
    let tmp = tempfile::tempdir().unwrap();
    let mut drafts = Vec::new();
    for name in ["a", "b"] {
        // Same folder name: the draft names the space.
        let repo = tmp.path().join(name).join("repo");
        sample_repo(&repo);
        let data = tmp.path().join(name).join("data");
        let space = repo.to_str().unwrap();
        let (_, first) = run_json(&data, space, "add retry to the http client");
        let (_, second) = run_json(&data, space, "now also handle timeouts");
        assert_eq!(first["session_id"], second["session_id"]);
        let one = first["draft"]["content"].as_str().unwrap().to_owned();
        let two = second["draft"]["content"].as_str().unwrap().to_owned();
        // Same sections; every line of the first draft kept (its tasks now done); the request added.
        let heads = |md: &str| -> Vec<String> {
            md.lines()
                .filter(|l| l.starts_with('#'))
                .map(str::to_owned)
                .collect()
        };
        assert_eq!(heads(&one), heads(&two));
        for line in one.lines() {
            let done = line.replacen("- [ ]", "- [x]", 1);
            assert!(two.lines().any(|l| l == done), "{done:?} not in\n{two}");
        }
        assert!(
            two.contains("Follow-up: Now also handle timeouts."),
            "{two}"
        );
        assert!(
            two.contains("- [ ] Implement: Now also handle timeouts"),
            "{two}"
        );
        // The second run carries out only the new tasks, which map to new spec ids.
        let n = one.lines().filter(|l| l.starts_with("- [")).count();
        let tasks = second["tasks"].as_array().unwrap();
        let ids: Vec<&str> = tasks
            .iter()
            .map(|t| t["spec_task"].as_str().unwrap())
            .collect();
        assert_eq!(ids, vec![format!("s{}", n + 1), format!("s{}", n + 2)]);
        assert!(
            second["plan"]
                .as_str()
                .unwrap()
                .contains("Refine the session's spec (1 earlier turn)")
        );
        drafts.push(two);
    }
    assert_eq!(drafts[0], drafts[1], "byte-stable");
}
