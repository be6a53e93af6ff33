//! Sessions with their own git worktree, through the real binary on real repositories: the user's checkout
//! is never touched, a broken binding refuses the run with the fix (nothing is recreated silently), a dirty
//! session is archived only when forced and its work is kept on the branch, and `changes` reads the
//! worktree as git does.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use std::path::Path;
use std::process::Command;

use common::{ok, run, sample_repo};
use serde_json::Value;

/// A script whose implement tasks each write a file named after the session, and whose other tasks just
/// report.
fn script(dir: &Path, file: &str) -> String {
    let path = dir.join(format!("{file}.json"));
    let body = serde_json::json!({
        "kinds": {
            "implement": [
                {"tool": "write_file", "input": {"path": format!("notes/{file}.txt"), "content": "written by an agent\n"}},
                {"say": format!("wrote notes/{file}.txt")}
            ],
            "verify": [{"say": "looked at the notes"}],
            "debug": [{"say": "nothing to debug"}]
        }
    });
    std::fs::write(&path, body.to_string()).unwrap();
    path.display().to_string()
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A sample repository with a configured identity and uncommitted work: a modified tracked file, a staged
/// change and an untracked file.
fn repo_with_user_work(dir: &Path) {
    sample_repo(dir);
    git(dir, &["config", "user.name", "User"]);
    git(dir, &["config", "user.email", "user@example.com"]);
    std::fs::write(
        dir.join("src/db.rs"),
        "pub fn connect() {}\n// the user's edit\n",
    )
    .unwrap();
    std::fs::write(dir.join("README.md"), "# demo, staged by the user\n").unwrap();
    git(dir, &["add", "README.md"]);
    std::fs::write(dir.join("scratch.txt"), "the user's notes\n").unwrap();
}

/// Every file of the checkout (the `.git` folder's index and HEAD included) with its bytes.
fn snapshot_of(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for rel in [".git/index", ".git/HEAD"] {
        out.push((rel.to_owned(), std::fs::read(dir.join(rel)).unwrap()));
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let p = entry.path();
            if p.file_name().is_some_and(|n| n == ".git") {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

fn scripted_run(data: &Path, repo: &Path, session: &str, script: &str) -> (i32, Value, String) {
    let r = run(
        data,
        &[
            "--json",
            "run",
            "--space",
            repo.to_str().unwrap(),
            "--session",
            session,
            "--prompt",
            "add retry to the http client",
            "--script",
            script,
        ],
    );
    let last = r
        .stdout
        .lines()
        .last()
        .map(|l| serde_json::from_str(l).unwrap())
        .unwrap_or(Value::Null);
    (r.code, last, r.stderr)
}

fn session_of(data: &Path, repo: &Path, name: &str) -> Value {
    let all = ok(
        data,
        &[
            "--json",
            "session",
            "list",
            "--space",
            repo.to_str().unwrap(),
            "--all",
        ],
    )
    .json();
    all.as_array()
        .unwrap()
        .iter()
        .find(|s| s["label"] == name)
        .unwrap_or_else(|| panic!("no session {name}: {all}"))
        .clone()
}

#[test]
fn two_sessions_get_their_own_worktrees_and_the_users_checkout_is_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    repo_with_user_work(&repo);
    let before = snapshot_of(&repo);
    let data = tmp.path().join("data");
    let space = repo.to_str().unwrap();
    ok(&data, &["space", "add", space, "--check-command", "true"]);
    ok(
        &data,
        &["session", "new", "--space", space, "--name", "Alpha"],
    );
    ok(
        &data,
        &["session", "new", "--space", space, "--name", "Beta"],
    );
    for name in ["Alpha", "Beta"] {
        let script = script(tmp.path(), &name.to_lowercase());
        let (code, last, stderr) = scripted_run(&data, &repo, name, &script);
        assert_eq!(code, 0, "{stderr}\n{last}");
        assert_eq!(last["run"]["status"], "completed", "{last}");
    }
    let alpha = session_of(&data, &repo, "Alpha");
    let beta = session_of(&data, &repo, "Beta");
    let (wa, wb) = (&alpha["worktree"], &beta["worktree"]);
    assert_ne!(wa["path"], wb["path"]);
    assert_ne!(wa["branch"], wb["branch"]);
    assert!(
        wa["branch"].as_str().unwrap().starts_with("kata/alpha-"),
        "{wa}"
    );
    for (w, file) in [(wa, "alpha"), (wb, "beta")] {
        let path = Path::new(w["path"].as_str().unwrap());
        assert!(
            path.starts_with(&data),
            "the worktree is under the data dir: {}",
            path.display()
        );
        assert_eq!(
            std::fs::read_to_string(path.join(format!("notes/{file}.txt"))).unwrap(),
            "written by an agent\n"
        );
        assert!(
            !path.join("scratch.txt").exists(),
            "the user's untracked file stays theirs"
        );
        assert_eq!(w["base_branch"], "master");
        assert!(
            git(&repo, &["worktree", "list", "--porcelain"])
                .contains(&format!("worktree {}", path.display()))
        );
    }
    // The agents' work is in the worktrees; the user's checkout, index and HEAD are byte for byte the same.
    assert_eq!(snapshot_of(&repo), before);
    assert!(git(&repo, &["worktree", "list", "--porcelain"]).contains("locked"));

    // `changes` sees the agent's file as git does.
    let alpha_id = alpha["id"].as_str().unwrap();
    let status = ok(
        &data,
        &["--json", "changes", "status", "--session", alpha_id],
    )
    .json();
    let files = status["files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{status}");
    assert_eq!(files[0]["path"], "notes/alpha.txt");
    assert_eq!(files[0]["status"], "untracked");
    let worktree = Path::new(wa["path"].as_str().unwrap());
    let porcelain = git(
        worktree,
        &["status", "--porcelain=v2", "--untracked-files=all"],
    );
    assert_eq!(porcelain.trim(), "? notes/alpha.txt");
    ok(
        &data,
        &["changes", "stage", "--session", alpha_id, "notes/alpha.txt"],
    );
    let staged = ok(
        &data,
        &["changes", "diff", "--session", alpha_id, "--staged"],
    );
    assert_eq!(staged.stdout, git(worktree, &["diff", "--cached"]));
    let empty = run(
        &data,
        &["changes", "commit", "--session", alpha_id, "-m", " "],
    );
    assert_eq!(empty.code, 2, "{}", empty.stderr);
    let committed = ok(
        &data,
        &[
            "--json",
            "changes",
            "commit",
            "--session",
            alpha_id,
            "-m",
            "Add the agent's notes",
        ],
    )
    .json();
    assert_eq!(
        git(worktree, &["log", "-1", "--format=%s"]).trim(),
        "Add the agent's notes"
    );
    let again = run(
        &data,
        &["changes", "commit", "--session", alpha_id, "-m", "nothing"],
    );
    assert_eq!(again.code, 2);
    assert!(again.stderr.contains("empty_commit"), "{}", again.stderr);
    // Our own commit moved the branch and the binding followed: the next run is fine.
    let alpha = session_of(&data, &repo, "Alpha");
    assert_eq!(alpha["worktree"]["head"], committed["commit"]);
    let (code, _, stderr) = scripted_run(&data, &repo, "Alpha", &script(tmp.path(), "alpha2"));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(snapshot_of(&repo), before);
}

#[test]
fn a_broken_binding_refuses_the_run_and_nothing_is_recreated() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    repo_with_user_work(&repo);
    let data = tmp.path().join("data");
    let space = repo.to_str().unwrap();
    ok(&data, &["space", "add", space, "--check-command", "true"]);
    ok(
        &data,
        &["session", "new", "--space", space, "--name", "Work"],
    );
    let (code, _, stderr) = scripted_run(&data, &repo, "Work", &script(tmp.path(), "work"));
    assert_eq!(code, 0, "{stderr}");
    let session = session_of(&data, &repo, "Work");
    let id = session["id"].as_str().unwrap().to_owned();
    let branch = session["worktree"]["branch"].as_str().unwrap().to_owned();
    let folder = Path::new(session["worktree"]["path"].as_str().unwrap()).to_path_buf();
    let refused = |what: &str| {
        let (code, last, stderr) = scripted_run(&data, &repo, "Work", &script(tmp.path(), "again"));
        assert_eq!(code, 2, "{what}: {stderr} {last}");
        assert!(stderr.contains("worktree_binding"), "{what}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{what}: {stderr}");
        stderr
    };

    // Moved by someone else (git refuses `branch -f` on a branch a worktree has out, so the ref is moved
    // directly, as any tool could): refused; rebinding accepts the new tip.
    let moved = git(
        &repo,
        &[
            "commit-tree",
            "HEAD^{tree}",
            "-p",
            "HEAD",
            "-m",
            "someone else's commit",
        ],
    );
    git(
        &repo,
        &["update-ref", &format!("refs/heads/{branch}"), moved.trim()],
    );
    let stderr = refused("branch moved");
    assert!(stderr.contains("rebind"), "{stderr}");
    ok(&data, &["session", "rebind", &id]);
    let (code, _, stderr) = scripted_run(&data, &repo, "Work", &script(tmp.path(), "after-rebind"));
    assert_eq!(code, 0, "{stderr}");

    // The folder deleted: refused, and it is not made again behind the user's back.
    let listed = git(&repo, &["worktree", "list", "--porcelain"]);
    assert!(listed.contains(&folder.display().to_string()));
    git(&repo, &["worktree", "unlock", folder.to_str().unwrap()]);
    std::fs::remove_dir_all(&folder).unwrap();
    let stderr = refused("folder missing");
    assert!(stderr.to_lowercase().contains("recreate"), "{stderr}");
    assert!(!folder.exists(), "nothing recreated silently");
    ok(&data, &["session", "recreate", &id]);
    assert!(folder.join("src/http_client.rs").exists());

    // The branch deleted: refused.
    git(
        &repo,
        &[
            "worktree",
            "remove",
            "--force",
            "--force",
            folder.to_str().unwrap(),
        ],
    );
    git(&repo, &["branch", "-D", &branch]);
    refused("branch deleted");
    assert!(!folder.exists());
}

#[test]
fn archiving_a_dirty_session_refuses_unless_forced_and_keeps_its_work_on_the_branch() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    repo_with_user_work(&repo);
    let data = tmp.path().join("data");
    let space = repo.to_str().unwrap();
    ok(&data, &["space", "add", space, "--check-command", "true"]);
    ok(
        &data,
        &["session", "new", "--space", space, "--name", "Dirty"],
    );
    let (code, _, stderr) = scripted_run(&data, &repo, "Dirty", &script(tmp.path(), "dirty"));
    assert_eq!(code, 0, "{stderr}");
    let session = session_of(&data, &repo, "Dirty");
    let id = session["id"].as_str().unwrap().to_owned();
    let branch = session["worktree"]["branch"].as_str().unwrap().to_owned();
    let folder = Path::new(session["worktree"]["path"].as_str().unwrap()).to_path_buf();

    let refused = run(&data, &["session", "archive", &id]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("dirty_worktree"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("notes/dirty.txt"),
        "{}",
        refused.stderr
    );
    assert!(folder.join("notes/dirty.txt").exists(), "nothing was lost");

    let archived = ok(&data, &["--json", "session", "archive", &id, "--force"]).json();
    assert!(archived["archived_at"].is_string());
    let log = git(&repo, &["log", &branch, "--format=%s", "-1"]);
    assert!(log.contains("before archiving"), "{log}");
    let tree = git(&repo, &["show", &format!("{branch}:notes/dirty.txt")]);
    assert_eq!(tree, "written by an agent\n", "the work is on the branch");

    // Unarchiving brings the worktree back on the same branch, with the work.
    ok(&data, &["session", "unarchive", &id]);
    assert_eq!(
        std::fs::read_to_string(folder.join("notes/dirty.txt")).unwrap(),
        "written by an agent\n"
    );

    // A clean archived session's worktree is pruned; the branch stays.
    ok(&data, &["session", "archive", &id]);
    assert!(
        folder.exists(),
        "archiving a clean session keeps its worktree until pruned"
    );
    let pruned = ok(&data, &["--json", "session", "prune", "--space", space]).json();
    assert_eq!(pruned["removed"].as_array().unwrap().len(), 1, "{pruned}");
    assert!(!folder.exists());
    assert!(git(&repo, &["branch", "--list", &branch]).contains(&branch));
    let doctor = ok(&data, &["--json", "doctor"]).json();
    assert!(
        !doctor
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "worktree"),
        "no orphaned worktrees: {doctor}"
    );
}
