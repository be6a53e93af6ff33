//! Staging, unstaging and discarding files and hunks, and committing, on real worktrees. Each operation is
//! compared with what the git CLI does to a twin worktree (same index entries afterwards), and every
//! refusal is checked to leave the worktree as it was.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod git_fixture;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Stdio;

use git_fixture::{Fixture, git, git_cmd, git_raw, write};
use kata_cloud::git::{
    BindingOids, DiffScope, GitError, HunkId, WorktreeBinding, check_binding, commit, discard_file,
    file_diff, stage_file, stage_hunk, unstage_file, unstage_hunk,
};

fn seed(repo: &Path) {
    let text = (1..=30).map(|i| format!("line {i}\n")).collect::<String>();
    write(&repo.join("text.txt"), text);
    write(&repo.join("other.txt"), "other\n");
    write(&repo.join("data.bin"), [0u8, 1, 2, 3]);
    write(&repo.join(".gitignore"), "*.log\n");
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", "seed"]);
}

/// Two sessions from the same commit: ours (changed through the library) and a twin (changed with git).
fn twins() -> (Fixture, WorktreeBinding, WorktreeBinding) {
    let fx = Fixture::new();
    seed(&fx.repo);
    let ours = fx.session("ours");
    let twin = fx.session("twin");
    (fx, ours, twin)
}

/// The index as git lists it (mode, blob, stage, path).
fn index_of(w: &Path) -> String {
    git(w, &["ls-files", "-s"])
}

fn apply_to_both(ours: &Path, twin: &Path, change: impl Fn(&Path)) {
    change(ours);
    change(twin);
}

fn edit_lines(w: &Path, edits: &[(usize, &str)]) {
    let mut lines = std::fs::read_to_string(w.join("text.txt"))
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect::<Vec<_>>();
    for (n, text) in edits {
        lines[n - 1] = (*text).to_owned();
    }
    std::fs::write(w.join("text.txt"), lines.join("\n") + "\n").unwrap();
}

#[test]
fn staging_whole_files_matches_git_add_and_restore() {
    let (_fx, ours, twin) = twins();
    apply_to_both(&ours.path, &twin.path, |w| {
        edit_lines(w, &[(2, "two")]);
        write(&w.join("new.txt"), "new file\n");
        std::fs::remove_file(w.join("other.txt")).unwrap();
        std::fs::set_permissions(w.join("data.bin"), std::fs::Permissions::from_mode(0o755))
            .unwrap();
        std::fs::write(w.join(OsStr::from_bytes(b"caf\xe9.txt")), "latin-1 name\n").unwrap();
    });
    for path in [
        "text.txt",
        "new.txt",
        "other.txt",
        "data.bin",
        "\"caf\\351.txt\"",
    ] {
        stage_file(&ours, path).unwrap();
    }
    git(&twin.path, &["add", "-A"]);
    assert_eq!(index_of(&ours.path), index_of(&twin.path));
    assert_eq!(
        git(&ours.path, &["status", "--porcelain"]),
        git(&twin.path, &["status", "--porcelain"])
    );

    for path in ["text.txt", "new.txt", "other.txt", "data.bin"] {
        unstage_file(&ours, path).unwrap();
    }
    git(
        &twin.path,
        &[
            "restore",
            "--staged",
            "--",
            "text.txt",
            "new.txt",
            "other.txt",
            "data.bin",
        ],
    );
    assert_eq!(index_of(&ours.path), index_of(&twin.path));
    assert_eq!(
        git(&ours.path, &["status", "--porcelain"]),
        git(&twin.path, &["status", "--porcelain"])
    );
}

#[test]
fn unstaging_a_rename_restores_both_paths() {
    let (_fx, ours, twin) = twins();
    apply_to_both(&ours.path, &twin.path, |w| {
        git(w, &["mv", "text.txt", "renamed.txt"]);
    });
    let before = index_of(&ours.path);
    unstage_file(&ours, "renamed.txt").unwrap();
    git(
        &twin.path,
        &["restore", "--staged", "--", "renamed.txt", "text.txt"],
    );
    assert_ne!(index_of(&ours.path), before);
    assert_eq!(index_of(&ours.path), index_of(&twin.path));
}

#[test]
fn operations_without_a_matching_change_are_refused_and_change_nothing() {
    let (_fx, ours, _twin) = twins();
    write(&ours.path.join("debug.log"), "ignored\n");
    edit_lines(&ours.path, &[(5, "five")]);
    let index = index_of(&ours.path);
    let refuse = |result: Result<(), GitError>, code: &str| {
        assert_eq!(result.unwrap_err().code(), code);
    };
    refuse(stage_file(&ours, "other.txt"), "no_change");
    refuse(stage_file(&ours, "debug.log"), "no_change");
    refuse(stage_file(&ours, "missing.txt"), "no_change");
    refuse(unstage_file(&ours, "text.txt"), "no_change");
    refuse(discard_file(&ours, "other.txt"), "no_change");
    refuse(discard_file(&ours, "debug.log"), "no_change");
    refuse(stage_file(&ours, "../escape"), "invalid_input");
    write(&ours.path.join("newdir/inside.txt"), "untracked\n");
    refuse(stage_file(&ours, "newdir/"), "invalid_input");
    refuse(discard_file(&ours, "newdir/"), "invalid_input");
    assert_eq!(index_of(&ours.path), index);
    assert!(ours.path.join("debug.log").exists());
    assert!(ours.path.join("newdir/inside.txt").exists());
}

/// The `git diff` patch of one file cut down to its header and hunk `k`.
fn single_hunk_patch(full: &str, k: usize) -> String {
    let mut parts = full.split("\n@@ ");
    let header = parts.next().unwrap();
    let hunk = parts.nth(k).unwrap();
    let hunk = hunk.strip_suffix('\n').unwrap_or(hunk);
    format!("{header}\n@@ {hunk}\n")
}

fn git_apply(w: &Path, args: &[&str], patch: &str) {
    let mut child = git_cmd(w)
        .arg("apply")
        .args(args)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), patch.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success());
}

#[test]
fn staging_a_hunk_matches_git_apply_cached_and_unstaging_matches_the_reverse() {
    let (_fx, ours, twin) = twins();
    apply_to_both(&ours.path, &twin.path, |w| {
        edit_lines(w, &[(2, "two"), (15, "fifteen"), (28, "twenty-eight")]);
    });
    let diff = file_diff(&ours, DiffScope::Unstaged, "text.txt").unwrap();
    assert_eq!(diff.hunks.len(), 3);
    let middle = diff.hunks[1].id();
    assert_eq!(middle.header, "@@ -12,7 +12,7 @@ line 11");

    stage_hunk(&ours, "text.txt", &middle).unwrap();
    let patch = String::from_utf8(git_raw(&twin.path, &["diff", "--", "text.txt"])).unwrap();
    git_apply(&twin.path, &["--cached"], &single_hunk_patch(&patch, 1));
    assert_eq!(index_of(&ours.path), index_of(&twin.path));
    assert_eq!(git(&ours.path, &["diff"]), git(&twin.path, &["diff"]));
    assert_eq!(
        git(&ours.path, &["diff", "--cached"]),
        git(&twin.path, &["diff", "--cached"])
    );

    // The old id of the last hunk is stale now (it became hunk 1).
    let err = stage_hunk(&ours, "text.txt", &diff.hunks[2].id()).unwrap_err();
    assert_eq!(err.code(), "hunk_stale");
    assert!(err.retryable());

    // Stage everything, then unstage the first hunk.
    stage_file(&ours, "text.txt").unwrap();
    git(&twin.path, &["add", "text.txt"]);
    let staged = file_diff(&ours, DiffScope::Staged, "text.txt").unwrap();
    unstage_hunk(&ours, "text.txt", &staged.hunks[0].id()).unwrap();
    let patch =
        String::from_utf8(git_raw(&twin.path, &["diff", "--cached", "--", "text.txt"])).unwrap();
    git_apply(
        &twin.path,
        &["--cached", "-R"],
        &single_hunk_patch(&patch, 0),
    );
    assert_eq!(index_of(&ours.path), index_of(&twin.path));
    assert_eq!(git(&ours.path, &["diff"]), git(&twin.path, &["diff"]));
}

#[test]
fn hunks_of_files_that_change_as_a_whole_are_refused() {
    let (_fx, ours, _twin) = twins();
    let w = &ours.path;
    write(&w.join("new.txt"), "new\n");
    git(w, &["add", "new.txt"]);
    git(w, &["mv", "other.txt", "moved.txt"]);
    write(&w.join("data.bin"), [0u8, 9, 9]);
    edit_lines(w, &[(3, "three")]);
    std::fs::set_permissions(w.join("text.txt"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let id = HunkId {
        index: 0,
        header: "@@ -1 +1 @@".into(),
    };
    let index = index_of(w);
    for (result, path) in [
        (unstage_hunk(&ours, "new.txt", &id), "new.txt"),
        (unstage_hunk(&ours, "moved.txt", &id), "moved.txt"),
        (stage_hunk(&ours, "data.bin", &id), "data.bin"),
        (stage_hunk(&ours, "text.txt", &id), "text.txt"),
    ] {
        let err = result.unwrap_err();
        assert_eq!(err.code(), "hunk_unsupported", "{path}: {err}");
        assert_eq!(
            err.remediation(),
            "Stage or unstage the whole file instead."
        );
    }
    assert_eq!(
        unstage_hunk(&ours, "text.txt", &id).unwrap_err().code(),
        "no_change"
    );
    assert_eq!(index_of(w), index);
}

#[test]
fn a_file_edited_after_its_diff_was_read_is_refused() {
    let (_fx, ours, _twin) = twins();
    edit_lines(&ours.path, &[(10, "ten")]);
    let diff = file_diff(&ours, DiffScope::Unstaged, "text.txt").unwrap();
    edit_lines(&ours.path, &[(10, "TEN"), (9, "nine")]);
    let index = index_of(&ours.path);
    assert_eq!(
        stage_hunk(&ours, "text.txt", &diff.hunks[0].id())
            .unwrap_err()
            .code(),
        "hunk_stale"
    );
    assert_eq!(index_of(&ours.path), index);
}

#[test]
fn discarding_restores_the_index_version_and_deletes_untracked_files() {
    let (_fx, ours, _twin) = twins();
    let w = &ours.path;
    edit_lines(w, &[(1, "staged")]);
    stage_file(&ours, "text.txt").unwrap();
    let staged_content = std::fs::read(w.join("text.txt")).unwrap();
    edit_lines(w, &[(20, "unstaged")]);
    std::fs::remove_file(w.join("other.txt")).unwrap();
    std::fs::set_permissions(w.join("data.bin"), std::fs::Permissions::from_mode(0o755)).unwrap();
    write(&w.join("scratch.txt"), "throw away\n");

    for path in ["text.txt", "other.txt", "data.bin", "scratch.txt"] {
        discard_file(&ours, path).unwrap();
    }
    assert_eq!(
        std::fs::read(w.join("text.txt")).unwrap(),
        staged_content,
        "the staged change stays"
    );
    assert_eq!(
        std::fs::read_to_string(w.join("other.txt")).unwrap(),
        "other\n"
    );
    assert_eq!(
        std::fs::metadata(w.join("data.bin"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o644
    );
    assert!(!w.join("scratch.txt").exists());
    assert_eq!(git(w, &["status", "--porcelain"]), "M  text.txt");
}

#[test]
fn commits_record_the_staged_tree_and_refuse_empty_ones() {
    let (fx, ours, _twin) = twins();
    let w = &ours.path;
    assert_eq!(
        commit(&ours, "nothing staged").unwrap_err().code(),
        "empty_commit"
    );
    edit_lines(w, &[(7, "seven")]);
    write(&w.join("unstaged.txt"), "not part of the commit\n");
    stage_file(&ours, "text.txt").unwrap();
    assert_eq!(
        commit(&ours, "  \n\n ").unwrap_err().code(),
        "empty_message"
    );

    let done = commit(&ours, "Change line seven\n\nWith a body.  \n\n\n").unwrap();
    assert_eq!(done.binding, ours.with_head(done.commit.parse().unwrap()));
    check_binding(&fx.repo, &done.binding).unwrap();
    assert_eq!(
        git(w, &["log", "-1", "--format=%an <%ae>|%cn <%ce>|%B"]),
        "Test User <test@example.com>|Test User <test@example.com>|Change line seven\n\nWith a body."
    );
    assert_eq!(git(w, &["show", "--name-only", "--format="]), "text.txt");
    assert_eq!(git(w, &["status", "--porcelain"]), "?? unstaged.txt");

    // The stale binding (old head) is refused: the branch moved since it was recorded.
    stage_file(&done.binding, "unstaged.txt").unwrap();
    assert_eq!(
        commit(&ours, "again").unwrap_err().code(),
        "worktree_binding"
    );
    commit(&done.binding, "again").unwrap();
}

/// Runs in a child process whose HOME has no git configuration, so no identity can be found.
#[test]
fn a_commit_without_identity_names_what_is_missing() {
    if std::env::var_os("KATA_GIT_IDENTITY_CHILD").is_some() {
        let (_fx, ours, _twin) = twins();
        git(&ours.path, &["config", "--unset", "user.name"]);
        git(&ours.path, &["config", "--unset", "user.email"]);
        edit_lines(&ours.path, &[(1, "first")]);
        stage_file(&ours, "text.txt").unwrap();
        let err = commit(&ours, "no identity").unwrap_err();
        assert_eq!(err.code(), "git_identity");
        assert_eq!(
            err.to_string(),
            "the git configuration does not set user.name or user.email"
        );
        assert!(err.remediation().contains("git config --global user.email"));
        assert_eq!(git(&ours.path, &["rev-list", "--count", "HEAD"]), "3");
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(std::env::current_exe().unwrap());
    child
        .args([
            "--exact",
            "a_commit_without_identity_names_what_is_missing",
            "--nocapture",
        ])
        .env("KATA_GIT_IDENTITY_CHILD", "1")
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path().join(".config"))
        .env("GIT_CONFIG_NOSYSTEM", "1");
    for var in [
        "GIT_AUTHOR_NAME",
        "GIT_AUTHOR_EMAIL",
        "GIT_COMMITTER_NAME",
        "GIT_COMMITTER_EMAIL",
        "EMAIL",
    ] {
        child.env_remove(var);
    }
    let out = child.output().unwrap();
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("1 passed"),
        "child failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
