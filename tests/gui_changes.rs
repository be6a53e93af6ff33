//! The window's Changes tab and tool-call rows, on a real repository: a scripted offline run edits files in
//! the session's worktree and its tool calls appear in the thread as they happen (through the change feed);
//! the Changes tab lists the files, follows edits made on disk by another hand (the worktree watch), opens a
//! file's diff, stages a hunk and a file, discards after a confirmation and commits. Every answer is checked
//! against git itself.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{pinned_engine, snapshot, step_until, window};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use kata_cloud::app::runs::StartRunRequest;
use kata_cloud::app::spaces::AddSpace;
use kata_cloud::git::DiffScope;
use kata_cloud::gui::KataApp;
use kata_cloud::gui::view_state::SidebarSection;
use kata_cloud::model::{RunStatus, ToolCallStatus};
use serde_json::json;

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

/// The script: the first implement task writes a note, edits the client, tries a path outside the worktree
/// and runs a command; the second one only answers; the verifier's check (the space's check command) passes.
fn script(dir: &Path) -> PathBuf {
    let path = dir.join("script.json");
    let script = json!({"tasks": {"t2": [{"say": "nothing more to do"}]}, "kinds": {
        "implement": [
            {"calls": [
                {"tool": "write_file", "input": {"path": "notes/plan.txt", "content": "retry three times\n"}},
                {"tool": "edit_file", "input": {
                    "path": "src/http_client.rs",
                    "old_text": "/// Sends a GET request once; callers handle failures.",
                    "new_text": "/// Sends a GET request, retrying up to three times."
                }},
                {"tool": "read_file", "input": {"path": "../outside.txt"}}
            ]},
            {"tool": "run_command", "input": {"command": "grep -c retrying src/http_client.rs"}},
            {"say": "added retry to the http client"}
        ],
        "verify": [{"say": "the check decides"}]
    }});
    std::fs::write(&path, script.to_string()).unwrap();
    path
}

/// Opens the space (added with a check command) from Home and runs the script in its session; returns
/// the session's worktree.
fn scripted_run(h: &mut Harness<'_, KataApp>, tmp: &Path, repo: &Path) -> PathBuf {
    step_until(h, "the store to be read", |h| h.state().model.started);
    let app = h.state().app.clone();
    app.add_space(AddSpace {
        path: repo.to_path_buf(),
        check_command: Some("grep -q retrying src/http_client.rs".into()),
        ..AddSpace::default()
    })
    .unwrap();
    step_until(h, "the space on Home", |h| {
        !h.state().model.spaces.is_empty()
    });
    h.get_by_label("Open repo").click();
    step_until(h, "the session to open", |h| {
        h.state().model.session.is_some()
    });
    let (space, session) = {
        let s = h.state().model.session.as_ref().unwrap();
        (s.space.id.to_string(), s.session.id.to_string())
    };
    app.start_run(StartRunRequest {
        space,
        session: Some(session),
        prompt: "add retry to the http client".into(),
        provider: Some("offline".into()),
        model: None,
        context_provider: None,
        run_id: Some("r1".into()),
        script: Some(script(tmp)),
        permission_policy: Some(kata_cloud::model::PermissionPolicy::Yes),
        spec_task: None,
    })
    .unwrap();
    step_until(h, "the run to complete with its tool calls", |h| {
        h.state()
            .model
            .session
            .as_ref()
            .and_then(|s| s.runs.first())
            .is_some_and(|r| {
                r.view.run.status == RunStatus::Completed && r.view.tool_calls.len() >= 5
            })
    });
    let s = h.state().model.session.as_ref().unwrap();
    s.session
        .worktree
        .as_ref()
        .expect("the run made the session's worktree")
        .path
        .clone()
}

/// Session branches carry the session's generated id: the pictures show a fixed name instead.
fn stable_branch(h: &mut Harness<'_, KataApp>) {
    let app = h.state_mut();
    for binding in [
        app.model
            .session
            .as_mut()
            .unwrap()
            .session
            .worktree
            .as_mut(),
        app.view.changes.worktree.as_mut(),
    ]
    .into_iter()
    .flatten()
    {
        binding.branch = "kata/session-1".into();
    }
}

fn changes_paths(app: &KataApp, staged: bool) -> Vec<String> {
    let Some(c) = &app.view.changes.changes else {
        return Vec::new();
    };
    let list = if staged { &c.staged } else { &c.unstaged };
    list.iter().map(|f| f.path.clone()).collect()
}

#[test]
fn tool_calls_appear_in_the_thread_as_rows_that_open_their_output() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    common::sample_repo(&repo);
    std::fs::write(tmp.path().join("outside.txt"), "not yours").unwrap();
    let data = tmp.path().join("data");
    let mut h = window(pinned_engine(&data, 0));
    scripted_run(&mut h, tmp.path(), &repo);

    let calls = {
        let s = h.state().model.session.as_ref().unwrap();
        s.runs[0].view.tool_calls.clone()
    };
    let refused = calls
        .iter()
        .find(|c| c.error_code.as_deref() == Some("path_outside_workspace"))
        .unwrap();
    assert_eq!(refused.status, ToolCallStatus::Failed);

    // One row per call, labelled with its verb and target; the thread is scrolled to its start first.
    h.state_mut().view.stick_to_bottom = false;
    h.state_mut().view.scroll_to = Some(kata_cloud::gui::model::ThreadItem::Header(0));
    h.run_steps(4);
    h.get_by_label("Write notes/plan.txt");
    h.get_by_label("Edit src/http_client.rs");
    h.get_by_label("Run grep -c retrying src/http_client.rs");
    // A row opens its input and output.
    h.get_by_label("Read ../outside.txt").click();
    h.run_steps(3);
    h.get_by_label_contains("outside the workspace");
    // The task's changed files, each a link to its diff.
    h.get_by_label("Diff of notes/plan.txt");
    h.get_by_label("Diff of src/http_client.rs");
    snapshot(&mut h, "thread_tool_calls");
}

#[test]
fn the_changes_tab_lists_diffs_stages_discards_and_commits_the_worktree() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    common::sample_repo(&repo);
    std::fs::write(tmp.path().join("outside.txt"), "not yours").unwrap();
    let data = tmp.path().join("data");
    let mut h = window(pinned_engine(&data, 0));
    let wt = scripted_run(&mut h, tmp.path(), &repo);
    let before_user = git(
        &repo,
        &["status", "--porcelain=v2", "--untracked-files=all"],
    );

    h.state_mut().view.section = SidebarSection::Changes;
    step_until(&mut h, "the agent's files in the Changes tab", |h| {
        changes_paths(h.state(), false) == ["notes/plan.txt", "src/http_client.rs"]
    });
    h.get_by_label("Changes 2");

    // Edited on disk by another hand: the watch brings it in, no click needed.
    std::fs::write(wt.join("scratch.txt"), "temporary\n").unwrap();
    let lib = std::fs::read_to_string(wt.join("src/db.rs")).unwrap();
    std::fs::write(wt.join("src/db.rs"), format!("// a note\n{lib}")).unwrap();
    step_until(&mut h, "the watch to bring in the edits", |h| {
        changes_paths(h.state(), false).len() == 4
    });

    // Stage a whole file with its + button.
    h.get_by_label("Stage notes/plan.txt").click();
    step_until(&mut h, "notes/plan.txt to be staged", |h| {
        changes_paths(h.state(), true) == ["notes/plan.txt"]
    });

    // Open a diff and stage its only hunk from the diff view.
    h.get_by_label("Open diff of src/http_client.rs").click();
    step_until(&mut h, "the diff to open", |h| {
        h.state().view.changes.diff.is_some()
    });
    let diff = h.state().view.changes.diff.clone().unwrap();
    assert_eq!(diff.scope, DiffScope::Unstaged);
    assert_eq!((diff.additions, diff.deletions), (1, 1));
    h.get_by_label("Stage hunk 1").click();
    step_until(
        &mut h,
        "the hunk to be staged and the diff to follow it",
        |h| {
            let c = &h.state().view.changes;
            c.open
                .as_ref()
                .is_some_and(|o| o.scope == DiffScope::Staged)
                && c.diff.is_some()
        },
    );
    assert_eq!(
        git(&wt, &["diff", "--cached", "--name-only"]),
        "notes/plan.txt\nsrc/http_client.rs\n"
    );
    stable_branch(&mut h);
    snapshot(&mut h, "changes_diff");

    // Discard asks first; confirmed, the file is gone.
    h.get_by_label("Discard scratch.txt").click();
    h.run_steps(2);
    h.get_by_label_contains("Discard the changes to scratch.txt?");
    h.get_by_label("Discard").click();
    step_until(&mut h, "scratch.txt to be discarded", |h| {
        !changes_paths(h.state(), false).contains(&"scratch.txt".to_owned())
    });
    assert!(!wt.join("scratch.txt").exists());

    // The drafted message describes what is staged.
    h.get_by_label("Draft message").click();
    step_until(&mut h, "the drafted message", |h| {
        !h.state().view.changes.message.trim().is_empty()
    });
    // Commit what is staged; src/db.rs stays unstaged.
    h.state_mut().view.changes.message = "Retry the http client".into();
    h.run_steps(2);
    h.get_by_label("Commit").click();
    step_until(&mut h, "the commit", |h| {
        let s = h.state();
        changes_paths(s, true).is_empty() && s.view.changes.message.is_empty()
    });
    assert_eq!(
        git(&wt, &["log", "-1", "--format=%s"]),
        "Retry the http client\n"
    );
    assert_eq!(changes_paths(h.state(), false), ["src/db.rs"]);
    assert_eq!(git(&wt, &["status", "--porcelain=v1"]), " M src/db.rs\n");
    // The pull request's draft opens for editing, with its redaction note; Cancel closes it.
    h.get_by_label("Create pull request").click();
    step_until(&mut h, "the pull request draft", |h| {
        h.state().view.changes.pr_editor.is_some()
    });
    let editor = h.state().view.changes.pr_editor.clone().unwrap();
    assert!(!editor.title.trim().is_empty());
    assert!(
        editor.body.contains("r1"),
        "provenance names the run: {}",
        editor.body
    );
    h.get_by_label("Nothing was redacted.");
    if let Ok(dir) = std::env::var("KATA_LOOK_DIR") {
        h.render()
            .unwrap()
            .save(format!("{dir}/changes_pull_request.png"))
            .unwrap();
    }
    h.get_by_label("Cancel").click();
    step_until(&mut h, "the draft to close", |h| {
        h.state().view.changes.pr_editor.is_none()
    });
    h.get_by_label("Merge into master").click();
    h.run_steps(2);
    h.get_by_label("Squash-merge into master");
    // The user's checkout is untouched.
    assert_eq!(
        git(
            &repo,
            &["status", "--porcelain=v2", "--untracked-files=all"]
        ),
        before_user
    );
}

#[test]
fn the_changes_tab_with_staged_and_unstaged_files() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    common::sample_repo(&repo);
    std::fs::write(tmp.path().join("outside.txt"), "not yours").unwrap();
    let data = tmp.path().join("data");
    let mut h = window(pinned_engine(&data, 0));
    let wt = scripted_run(&mut h, tmp.path(), &repo);
    git(&wt, &["add", "notes/plan.txt"]);
    std::fs::remove_file(wt.join("src/db.rs")).unwrap();
    h.state_mut().view.section = SidebarSection::Changes;
    step_until(&mut h, "staged and unstaged files", |h| {
        changes_paths(h.state(), true) == ["notes/plan.txt"]
            && changes_paths(h.state(), false) == ["src/db.rs", "src/http_client.rs"]
    });
    h.get_by_label("Open diff of src/http_client.rs").click();
    step_until(&mut h, "the diff to open", |h| {
        h.state().view.changes.diff.is_some()
    });
    stable_branch(&mut h);
    snapshot(&mut h, "changes_tab");
}

/// Leaves a store behind for looking at the real window by eye: `KATA_WINDOW_DEMO=<empty dir> cargo test
/// --test gui_changes -- --ignored`, then `kata-cloud --data-dir <dir>/data gui` opens on the scripted run's
/// session (its tool-call rows, and a Changes tab with staged and unstaged files).
#[test]
#[ignore = "prepares a store for a by-eye check of the real window"]
fn prepare_a_store_for_the_real_window() {
    let dir = PathBuf::from(std::env::var("KATA_WINDOW_DEMO").expect("set KATA_WINDOW_DEMO"));
    let repo = dir.join("repo");
    common::sample_repo(&repo);
    std::fs::write(dir.join("outside.txt"), "not yours").unwrap();
    let mut h = window(pinned_engine(&dir.join("data"), 0));
    let wt = scripted_run(&mut h, &dir, &repo);
    git(&wt, &["add", "notes/plan.txt"]);
    std::fs::remove_file(wt.join("src/db.rs")).unwrap();
    h.run_steps(10);
}
