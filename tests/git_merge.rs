//! Merging a session back into its base and bringing the base into a session, on real repositories: results
//! checked with the git CLI, refusals checked to leave every branch, the user's checkout and the session
//! worktree byte-identical.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod git_fixture;

use git_fixture::{Fixture, git, snapshot, write};
use kata_cloud::git::{
    GitError, MergeMethod, MergeRequest, UpdateMethod, WorktreeBinding, check_binding, commit,
    merge_back, stage_file, update_from_base,
};

/// A session with one committed change to `src/lib.rs` and a new file.
fn session_with_work(fx: &Fixture, slug: &str) -> WorktreeBinding {
    let binding = fx.session(slug);
    let w = &binding.path;
    write(
        &w.join("src/lib.rs"),
        "pub fn add(a: i32, b: i32) -> i32 {\n    a.wrapping_add(b)\n}\n",
    );
    write(&w.join("src/feature.rs"), "pub fn feature() {}\n");
    stage_file(&binding, "src/lib.rs").unwrap();
    stage_file(&binding, "src/feature.rs").unwrap();
    commit(&binding, "Session work").unwrap().binding
}

fn user_commit(fx: &Fixture, path: &str, content: &str, message: &str) {
    write(&fx.repo.join(path), content);
    git(&fx.repo, &["add", path]);
    git(&fx.repo, &["commit", "-q", "-m", message]);
}

fn refs(fx: &Fixture) -> String {
    git(
        &fx.repo,
        &["for-each-ref", "--format=%(refname) %(objectname)"],
    )
}

#[test]
fn squash_into_the_checked_out_base_updates_only_the_touched_files() {
    let fx = Fixture::new();
    let binding = session_with_work(&fx, "squash");
    // The user moved on meanwhile (unrelated file) and has uncommitted work elsewhere.
    user_commit(&fx, "notes.txt", "one\ntwo\nthree\nfour\n", "user work");
    fx.dirty_user_checkout();
    let user_status = git(&fx.repo, &["status", "--porcelain"]);
    let user_notes = std::fs::read(fx.repo.join("notes.txt")).unwrap();
    let before_main = fx.rev("main");

    let outcome = merge_back(
        &fx.repo,
        &binding,
        &MergeRequest {
            method: MergeMethod::Squash,
            message: Some("Add the feature\n\nFrom session squash."),
        },
    )
    .unwrap();

    assert_eq!(outcome.previous_base, before_main);
    assert_eq!(outcome.new_base, fx.rev("main"));
    assert!(!outcome.fast_forward);
    assert_eq!(outcome.updated_checkout.as_deref(), Some(fx.repo.as_path()));
    assert_eq!(
        outcome.files,
        vec!["src/feature.rs".to_owned(), "src/lib.rs".to_owned()]
    );
    assert_eq!(git(&fx.repo, &["rev-parse", "main^"]), before_main);
    assert_eq!(
        git(&fx.repo, &["log", "-1", "--format=%s%n%n%b", "main"]),
        "Add the feature\n\nFrom session squash."
    );
    assert_eq!(
        git(&fx.repo, &["rev-list", "--count", "--merges", "main"]),
        "0"
    );
    // The checkout follows the branch for the merged files, and the user's own work is untouched.
    assert_eq!(
        std::fs::read_to_string(fx.repo.join("src/lib.rs")).unwrap(),
        "pub fn add(a: i32, b: i32) -> i32 {\n    a.wrapping_add(b)\n}\n"
    );
    assert!(fx.repo.join("src/feature.rs").exists());
    assert_eq!(git(&fx.repo, &["status", "--porcelain"]), user_status);
    assert_eq!(
        std::fs::read(fx.repo.join("notes.txt")).unwrap(),
        user_notes
    );
    assert_eq!(
        git(&fx.repo, &["diff", "--cached", "--name-only"]),
        "staged.txt"
    );
    // The session branch is untouched.
    assert_eq!(fx.rev("kata/squash"), binding.head);
}

#[test]
fn merge_creates_a_merge_commit_or_fast_forwards() {
    let fx = Fixture::new();
    let ff = session_with_work(&fx, "ff");
    let outcome = merge_back(
        &fx.repo,
        &ff,
        &MergeRequest {
            method: MergeMethod::Merge,
            message: None,
        },
    )
    .unwrap();
    assert!(outcome.fast_forward);
    assert_eq!(fx.rev("main"), ff.head);
    assert_eq!(git(&fx.repo, &["status", "--porcelain"]), "");
    let again = merge_back(
        &fx.repo,
        &ff,
        &MergeRequest {
            method: MergeMethod::Merge,
            message: None,
        },
    )
    .unwrap_err();
    assert_eq!(again.code(), "nothing_to_merge");

    let diverged = fx.session("diverged");
    write(&diverged.path.join("more.txt"), "more\n");
    stage_file(&diverged, "more.txt").unwrap();
    let diverged = commit(&diverged, "more").unwrap().binding;
    user_commit(
        &fx,
        "README.md",
        "# Demo\n\nChanged by the user.\n",
        "readme",
    );
    let before = fx.rev("main");
    let outcome = merge_back(
        &fx.repo,
        &diverged,
        &MergeRequest {
            method: MergeMethod::Merge,
            message: None,
        },
    )
    .unwrap();
    assert!(!outcome.fast_forward);
    assert_eq!(
        git(&fx.repo, &["rev-parse", "main^1", "main^2"]),
        format!("{before}\n{}", diverged.head)
    );
    assert_eq!(
        git(&fx.repo, &["log", "-1", "--format=%s", "main"]),
        "Merge branch 'kata/diverged' into main"
    );
    assert_eq!(git(&fx.repo, &["status", "--porcelain"]), "");
    assert_eq!(
        std::fs::read_to_string(fx.repo.join("more.txt")).unwrap(),
        "more\n"
    );
}

#[test]
fn a_conflicting_user_commit_refuses_and_changes_nothing() {
    for method in [MergeMethod::Squash, MergeMethod::Merge] {
        let fx = Fixture::new();
        let binding = session_with_work(&fx, "conflict");
        user_commit(
            &fx,
            "src/lib.rs",
            "pub fn add(a: i32, b: i32) -> i32 {\n    a.saturating_add(b)\n}\n",
            "user's own fix",
        );
        fx.dirty_user_checkout();
        let user_before = snapshot(&fx.repo);
        let session_before = snapshot(&binding.path);
        let refs_before = refs(&fx);

        let err = merge_back(
            &fx.repo,
            &binding,
            &MergeRequest {
                method,
                message: None,
            },
        )
        .unwrap_err();
        assert_eq!(err.code(), "merge_conflict");
        match &err {
            GitError::MergeConflict { files, from, into } => {
                assert_eq!(files, &vec!["src/lib.rs".to_owned()]);
                assert_eq!((from.as_str(), into.as_str()), ("kata/conflict", "main"));
            }
            other => panic!("{other:?}"),
        }
        assert!(err.to_string().contains("src/lib.rs"));
        assert_eq!(
            snapshot(&fx.repo),
            user_before,
            "{method:?}: the user's checkout"
        );
        assert_eq!(
            snapshot(&binding.path),
            session_before,
            "{method:?}: the session worktree"
        );
        assert_eq!(refs(&fx), refs_before, "{method:?}: both branches");
        assert!(!fx.repo.join(".git/MERGE_HEAD").exists());
        check_binding(&fx.repo, &binding).unwrap();
    }
}

#[test]
fn uncommitted_user_work_in_a_merged_file_refuses() {
    let fx = Fixture::new();
    let binding = session_with_work(&fx, "touch");
    write(&fx.repo.join("src/lib.rs"), "// the user is editing this\n");
    write(
        &fx.repo.join("src/feature.rs"),
        "untracked, in the way of the merge\n",
    );
    let user_before = snapshot(&fx.repo);
    let refs_before = refs(&fx);
    let err = merge_back(
        &fx.repo,
        &binding,
        &MergeRequest {
            method: MergeMethod::Squash,
            message: None,
        },
    )
    .unwrap_err();
    assert_eq!(err.code(), "dirty_checkout");
    match &err {
        GitError::DirtyCheckout { files, path } => {
            assert_eq!(
                files,
                &vec!["src/feature.rs".to_owned(), "src/lib.rs".to_owned()]
            );
            assert_eq!(path, &fx.repo);
        }
        other => panic!("{other:?}"),
    }
    assert!(err.remediation().contains("git stash"));
    assert_eq!(snapshot(&fx.repo), user_before);
    assert_eq!(refs(&fx), refs_before);
}

#[test]
fn with_another_branch_checked_out_only_the_base_ref_moves() {
    let fx = Fixture::new();
    let binding = session_with_work(&fx, "elsewhere");
    git(&fx.repo, &["switch", "-q", "-c", "topic"]);
    write(
        &fx.repo.join("src/lib.rs"),
        "// uncommitted on topic, same file as the merge\n",
    );
    let user_before = snapshot(&fx.repo);
    let outcome = merge_back(
        &fx.repo,
        &binding,
        &MergeRequest {
            method: MergeMethod::Squash,
            message: None,
        },
    )
    .unwrap();
    assert_eq!(outcome.updated_checkout, None);
    assert_eq!(fx.rev("main"), outcome.new_base);
    assert_eq!(
        git(&fx.repo, &["log", "-1", "--format=%s", "main"]),
        "Squashed session branch 'kata/elsewhere'"
    );
    let mut after = snapshot(&fx.repo);
    let mut expected = user_before;
    after.remove("refs");
    expected.remove("refs");
    assert_eq!(after, expected, "only the ref moved");
}

#[test]
fn a_dirty_session_or_a_moved_session_branch_refuses_merging() {
    let fx = Fixture::new();
    let binding = session_with_work(&fx, "state");
    write(&binding.path.join("wip.txt"), "not committed\n");
    let request = MergeRequest {
        method: MergeMethod::Squash,
        message: None,
    };
    let err = merge_back(&fx.repo, &binding, &request).unwrap_err();
    assert_eq!(err.code(), "dirty_worktree");
    assert_eq!(
        err.remediation(),
        "Commit or discard the session's uncommitted changes first."
    );
    std::fs::remove_file(binding.path.join("wip.txt")).unwrap();
    let stale = WorktreeBinding {
        head: fx.rev("main"),
        ..binding.clone()
    };
    assert_eq!(
        merge_back(&fx.repo, &stale, &request).unwrap_err().code(),
        "worktree_binding"
    );
    assert_eq!(fx.rev("main"), fx.rev("kata/state~1"));
}

#[test]
fn update_by_merge_brings_the_base_into_the_session() {
    let fx = Fixture::new();
    let binding = session_with_work(&fx, "upd");
    user_commit(
        &fx,
        "notes.txt",
        "one\ntwo\nthree\nfrom main\n",
        "main moved",
    );
    let main = fx.rev("main");
    let outcome = update_from_base(&fx.repo, &binding, UpdateMethod::Merge).unwrap();
    assert_eq!(outcome.previous_head, binding.head);
    assert_eq!(outcome.files, vec!["notes.txt".to_owned()]);
    assert_eq!(outcome.binding.head, fx.rev("kata/upd"));
    assert_eq!(outcome.binding.base_commit, main);
    check_binding(&fx.repo, &outcome.binding).unwrap();
    let w = &binding.path;
    assert_eq!(
        git(w, &["rev-parse", "HEAD^1", "HEAD^2"]),
        format!("{}\n{main}", binding.head)
    );
    assert_eq!(
        std::fs::read_to_string(w.join("notes.txt")).unwrap(),
        "one\ntwo\nthree\nfrom main\n"
    );
    assert_eq!(git(w, &["status", "--porcelain"]), "");
    assert_eq!(
        update_from_base(&fx.repo, &outcome.binding, UpdateMethod::Merge)
            .unwrap_err()
            .code(),
        "nothing_to_merge"
    );
}

#[test]
fn update_by_rebase_replays_the_session_commits_on_the_base() {
    let fx = Fixture::new();
    let binding = session_with_work(&fx, "rebase");
    write(&binding.path.join("second.txt"), "second\n");
    stage_file(&binding, "second.txt").unwrap();
    let binding = commit(&binding, "Second session commit").unwrap().binding;
    user_commit(
        &fx,
        "notes.txt",
        "one\ntwo\nthree\nfrom main\n",
        "main moved",
    );
    let main = fx.rev("main");

    let outcome = update_from_base(&fx.repo, &binding, UpdateMethod::Rebase).unwrap();
    assert_eq!(outcome.replayed, 2);
    let w = &binding.path;
    assert_eq!(git(w, &["rev-parse", "HEAD~2"]), main);
    assert_eq!(
        git(w, &["log", "--format=%s|%an", "-2"]),
        "Second session commit|Test User\nSession work|Test User"
    );
    assert_eq!(git(w, &["rev-list", "--count", "--merges", "HEAD"]), "0");
    assert_eq!(git(w, &["status", "--porcelain"]), "");
    for file in ["notes.txt", "second.txt", "src/feature.rs"] {
        assert_eq!(
            std::fs::read(w.join(file)).unwrap(),
            git_fixture::git_raw(w, &["show", &format!("HEAD:{file}")]),
            "{file}"
        );
    }
    check_binding(&fx.repo, &outcome.binding).unwrap();
    assert_eq!(outcome.binding.base_commit, main);
}

#[test]
fn a_conflicting_update_refuses_and_leaves_the_session_as_it_was() {
    for method in [UpdateMethod::Merge, UpdateMethod::Rebase] {
        let fx = Fixture::new();
        let binding = session_with_work(&fx, "upd-conflict");
        user_commit(
            &fx,
            "src/lib.rs",
            "// replaced on main\n",
            "main rewrote lib.rs",
        );
        let session_before = snapshot(&binding.path);
        let refs_before = refs(&fx);
        let err = update_from_base(&fx.repo, &binding, method).unwrap_err();
        assert_eq!(err.code(), "merge_conflict", "{method:?}");
        match &err {
            GitError::MergeConflict { files, from, into } => {
                assert_eq!(files, &vec!["src/lib.rs".to_owned()]);
                assert_eq!(
                    (from.as_str(), into.as_str()),
                    ("main", "kata/upd-conflict")
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(snapshot(&binding.path), session_before, "{method:?}");
        assert_eq!(refs(&fx), refs_before, "{method:?}");
        check_binding(&fx.repo, &binding).unwrap();
    }
}

#[test]
fn a_session_whose_commits_cancel_out_has_nothing_to_squash() {
    let fx = Fixture::new();
    let binding = fx.session("noop");
    write(&binding.path.join("notes.txt"), "changed\n");
    stage_file(&binding, "notes.txt").unwrap();
    let binding = commit(&binding, "change").unwrap().binding;
    write(&binding.path.join("notes.txt"), "one\ntwo\nthree\n");
    stage_file(&binding, "notes.txt").unwrap();
    let binding = commit(&binding, "change back").unwrap().binding;
    let before = refs(&fx);
    let err = merge_back(
        &fx.repo,
        &binding,
        &MergeRequest {
            method: MergeMethod::Squash,
            message: None,
        },
    )
    .unwrap_err();
    assert_eq!(err.code(), "nothing_to_merge");
    assert_eq!(refs(&fx), before);
}
