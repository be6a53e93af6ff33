//! Session worktrees on real repositories: creation leaves the user's checkout byte-identical, bindings are
//! checked and never repaired silently, removal never loses work.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod git_fixture;

use git_fixture::{Fixture, git, git_fails, session_branches, snapshot, write};
use kata_cloud::git::{
    BindingOids, BindingProblem, GitError, NewWorktree, RemoveOptions, WorktreeBinding,
    advance_head, check_binding, create_session_worktree, default_lock_reason, orphaned_worktrees,
    prune_worktrees, rebind, recreate_worktree, remove_session_worktree,
};

fn problems(err: GitError) -> Vec<BindingProblem> {
    match err {
        GitError::WorktreeBinding { problems } => problems,
        other => panic!("expected a worktree_binding error, got {other:?}"),
    }
}

fn check_problems(fx: &Fixture, binding: &WorktreeBinding) -> Vec<BindingProblem> {
    let err = check_binding(&fx.repo, binding).unwrap_err();
    assert_eq!(err.code(), "worktree_binding");
    assert!(!err.retryable());
    problems(err)
}

#[test]
fn two_sessions_get_their_own_worktrees_and_the_user_checkout_is_untouched() {
    let fx = Fixture::new();
    fx.dirty_user_checkout();
    let before = snapshot(&fx.repo);
    let main = fx.rev("main");

    let a = fx.session("first");
    let b = fx.session("second");

    assert_eq!(
        snapshot(&fx.repo),
        before,
        "the user's checkout, index, HEAD and refs"
    );
    for (binding, slug) in [(&a, "first"), (&b, "second")] {
        assert_eq!(
            *binding,
            WorktreeBinding {
                path: fx.worktree_path(slug),
                branch: format!("kata/{slug}"),
                base_branch: "main".to_owned(),
                base_commit: main.clone(),
                head: main.clone(),
            }
        );
        // git itself sees a clean worktree on the session branch with the committed files only.
        assert_eq!(
            git(&binding.path, &["rev-parse", "--abbrev-ref", "HEAD"]),
            binding.branch
        );
        assert_eq!(git(&binding.path, &["status", "--porcelain=v2"]), "");
        assert_eq!(
            std::fs::read_to_string(binding.path.join("notes.txt")).unwrap(),
            "one\ntwo\nthree\n"
        );
        assert!(!binding.path.join("untracked.txt").exists());
        check_binding(&fx.repo, binding).unwrap();
    }
    let list = git(&fx.repo, &["worktree", "list", "--porcelain"]);
    for binding in [&a, &b] {
        let block = list
            .split("\n\n")
            .find(|block| block.contains(&format!("worktree {}", binding.path.display())))
            .unwrap_or_else(|| panic!("{} not in\n{list}", binding.path.display()));
        assert!(
            block.contains(&format!("locked {}", default_lock_reason(&binding.branch))),
            "{block}"
        );
    }
    // A locked worktree survives `git worktree prune` even with its folder gone.
    std::fs::rename(&a.path, fx.dir.path().join("moved-away")).unwrap();
    git(&fx.repo, &["worktree", "prune"]);
    assert!(
        git(&fx.repo, &["worktree", "list", "--porcelain"]).contains(&a.path.display().to_string())
    );
}

fn attempt(
    fx: &Fixture,
    slug: &str,
    path: &std::path::Path,
    base: &str,
) -> Result<WorktreeBinding, GitError> {
    create_session_worktree(&NewWorktree {
        repo_root: &fx.repo,
        path,
        slug,
        base_branch: base,
        lock_reason: &default_lock_reason(slug),
    })
}

#[test]
fn creation_refuses_what_it_would_have_to_reuse_and_leaves_nothing_behind() {
    let fx = Fixture::new();
    let first = fx.session("taken");
    let path = fx.worktree_path("other");
    let err = attempt(&fx, "taken", &path, "main").unwrap_err();
    assert_eq!(err.code(), "branch_exists");
    assert!(
        err.remediation().contains("git branch -D kata/taken"),
        "{}",
        err.remediation()
    );

    let err = attempt(&fx, "fresh", &path, "no-such-branch").unwrap_err();
    assert_eq!(err.code(), "branch_not_found");

    write(&path.join("keep.txt"), "someone's file");
    let err = attempt(&fx, "fresh", &path, "main").unwrap_err();
    assert_eq!(err.code(), "path_occupied");
    assert_eq!(
        std::fs::read_to_string(path.join("keep.txt")).unwrap(),
        "someone's file"
    );

    for bad in ["", "has space", "a/b", "-dash", "x.lock", "dots..here"] {
        let err = attempt(&fx, bad, &path, "main").unwrap_err();
        assert_eq!(err.code(), "invalid_input", "{bad:?}");
    }
    let relative = std::path::Path::new("relative/dir");
    assert_eq!(
        attempt(&fx, "fresh", relative, "main").unwrap_err().code(),
        "invalid_input"
    );

    assert_eq!(session_branches(&fx.repo), vec!["kata/taken"]);
    let listed = git(&fx.repo, &["worktree", "list", "--porcelain"]);
    assert_eq!(listed.matches("worktree ").count(), 2, "{listed}");
    check_binding(&fx.repo, &first).unwrap();

    // An empty folder at the path is fine (it is replaced by the worktree).
    std::fs::remove_file(path.join("keep.txt")).unwrap();
    let made = attempt(&fx, "fresh", &path, "main").unwrap();
    check_binding(&fx.repo, &made).unwrap();
}

#[test]
fn a_branch_moved_by_someone_else_is_refused_until_rebound() {
    let fx = Fixture::new();
    let binding = fx.session("moved");
    let initial = fx.rev("main~1");
    // `git branch -f` refuses a checked-out branch; update-ref is what a determined user would do.
    git(&fx.repo, &["update-ref", "refs/heads/kata/moved", &initial]);

    let found = check_problems(&fx, &binding);
    assert_eq!(
        found,
        vec![BindingProblem::BranchMoved {
            branch: "kata/moved".into(),
            recorded: binding.head.clone(),
            actual: initial.clone(),
        }]
    );
    let err = check_binding(&fx.repo, &binding).unwrap_err();
    assert!(
        err.remediation().contains("rebind"),
        "{}",
        err.remediation()
    );
    // Going back in history is not "our own commits on top".
    assert_eq!(
        problems(advance_head(&fx.repo, &binding).unwrap_err()).len(),
        1
    );

    let rebound = rebind(&fx.repo, &binding).unwrap();
    assert_eq!(rebound.head, initial);
    check_binding(&fx.repo, &rebound).unwrap();
}

#[test]
fn commits_on_top_of_the_recorded_head_are_accepted_by_advance_head() {
    let fx = Fixture::new();
    let binding = fx.session("agent");
    write(&binding.path.join("agent.txt"), "made by an agent\n");
    git(&binding.path, &["add", "agent.txt"]);
    git(&binding.path, &["commit", "-q", "-m", "agent work"]);
    let tip = git(&binding.path, &["rev-parse", "HEAD"]);

    assert!(matches!(
        check_problems(&fx, &binding).as_slice(),
        [BindingProblem::BranchMoved { .. }]
    ));
    let advanced = advance_head(&fx.repo, &binding).unwrap();
    assert_eq!(advanced.head, tip);
    check_binding(&fx.repo, &advanced).unwrap();

    // A rewritten history (reset and a different commit) is not accepted by advance_head.
    git(&binding.path, &["reset", "-q", "--hard", "HEAD~1"]);
    write(&binding.path.join("other.txt"), "rewritten\n");
    git(&binding.path, &["add", "other.txt"]);
    git(&binding.path, &["commit", "-q", "-m", "rewritten"]);
    assert!(matches!(
        problems(advance_head(&fx.repo, &advanced).unwrap_err()).as_slice(),
        [BindingProblem::BranchMoved { .. }]
    ));
}

#[test]
fn a_deleted_branch_is_reported_and_not_recreated() {
    let fx = Fixture::new();
    let binding = fx.session("gone");
    git(&fx.repo, &["update-ref", "-d", "refs/heads/kata/gone"]);
    let found = check_problems(&fx, &binding);
    assert_eq!(
        found,
        vec![BindingProblem::BranchDeleted {
            branch: "kata/gone".into()
        }]
    );
    assert!(found[0].remediation().contains("new session"));
    assert!(rebind(&fx.repo, &binding).is_err());
    assert!(
        session_branches(&fx.repo).is_empty(),
        "nothing recreated the branch"
    );
}

#[test]
fn a_missing_folder_is_reported_and_recreated_only_when_asked() {
    let fx = Fixture::new();
    fx.dirty_user_checkout();
    let binding = fx.session("lost");
    std::fs::remove_dir_all(&binding.path).unwrap();

    let found = check_problems(&fx, &binding);
    assert_eq!(
        found,
        vec![BindingProblem::FolderMissing {
            path: binding.path.clone()
        }]
    );
    assert!(found[0].remediation().contains("Recreate"));
    assert!(!binding.path.exists(), "checking recreated nothing");
    assert_eq!(
        rebind(&fx.repo, &binding).unwrap_err().code(),
        "worktree_binding"
    );

    let before = snapshot(&fx.repo);
    let recreated =
        recreate_worktree(&fx.repo, &binding, &default_lock_reason(&binding.branch)).unwrap();
    assert_eq!(recreated, binding);
    check_binding(&fx.repo, &binding).unwrap();
    assert_eq!(snapshot(&fx.repo), before);
    assert_eq!(git(&binding.path, &["status", "--porcelain=v2"]), "");
    assert!(
        git(&fx.repo, &["worktree", "list", "--porcelain"])
            .contains(&format!("locked {}", default_lock_reason(&binding.branch)))
    );
    // Recreating an existing folder is refused.
    assert_eq!(
        recreate_worktree(&fx.repo, &binding, "x")
            .unwrap_err()
            .code(),
        "path_occupied"
    );
}

#[test]
fn a_folder_that_is_not_the_sessions_worktree_is_reported_and_never_deleted() {
    let fx = Fixture::new();
    let binding = fx.session("swapped");
    let other = fx.session("other");

    // On another branch.
    git(&binding.path, &["switch", "-q", "-c", "side"]);
    assert_eq!(
        check_problems(&fx, &binding),
        vec![BindingProblem::WrongBranch {
            path: binding.path.clone(),
            expected: "kata/swapped".into(),
            actual: Some("side".into()),
        }]
    );
    git(&binding.path, &["switch", "-q", "kata/swapped"]);
    check_binding(&fx.repo, &binding).unwrap();

    // A plain folder in its place.
    std::fs::remove_dir_all(&binding.path).unwrap();
    write(&binding.path.join("mine.txt"), "precious");
    assert!(matches!(
        check_problems(&fx, &binding).as_slice(),
        [BindingProblem::NotAWorktree { .. }]
    ));
    let options = RemoveOptions {
        force: true,
        save_message: "save",
    };
    assert_eq!(
        remove_session_worktree(&fx.repo, &binding, &options)
            .unwrap_err()
            .code(),
        "worktree_binding"
    );
    assert_eq!(
        std::fs::read_to_string(binding.path.join("mine.txt")).unwrap(),
        "precious"
    );

    // A binding pointing at another session's worktree.
    let wrong = WorktreeBinding {
        path: other.path.clone(),
        ..binding.clone()
    };
    assert!(matches!(
        check_problems(&fx, &wrong).as_slice(),
        [BindingProblem::WrongBranch { .. }]
    ));
    // The user's own checkout is not a session worktree.
    let main_checkout = WorktreeBinding {
        path: fx.repo.clone(),
        ..binding.clone()
    };
    assert!(matches!(
        check_problems(&fx, &main_checkout).as_slice(),
        [BindingProblem::NotAWorktree { .. }]
    ));
    assert_eq!(
        remove_session_worktree(&fx.repo, &main_checkout, &options)
            .unwrap_err()
            .code(),
        "worktree_binding"
    );
    assert!(fx.repo.join("README.md").exists());
}

#[test]
fn removing_a_dirty_worktree_refuses_and_forced_commits_the_work_first() {
    let fx = Fixture::new();
    let binding = fx.session("dirty");
    write(&binding.path.join("notes.txt"), "one\ntwo\nthree\nedited\n");
    write(&binding.path.join("new dir/untracked.txt"), "new work\n");
    std::fs::remove_file(binding.path.join("README.md")).unwrap();

    let gentle = RemoveOptions {
        force: false,
        save_message: "unused",
    };
    let err = remove_session_worktree(&fx.repo, &binding, &gentle).unwrap_err();
    assert_eq!(err.code(), "dirty_worktree");
    match &err {
        GitError::DirtyWorktree { files, .. } => assert_eq!(
            files,
            &vec![
                "README.md".to_owned(),
                "new dir/untracked.txt".to_owned(),
                "notes.txt".to_owned()
            ]
        ),
        other => panic!("{other:?}"),
    }
    assert!(binding.path.join("new dir/untracked.txt").exists());

    let forced = RemoveOptions {
        force: true,
        save_message: "Save the session's uncommitted work",
    };
    let removal = remove_session_worktree(&fx.repo, &binding, &forced).unwrap();
    assert!(!binding.path.exists());
    let saved = removal.saved_commit.clone().unwrap();
    assert_eq!(removal.binding, binding.with_head(saved.parse().unwrap()));
    assert_eq!(fx.rev("kata/dirty"), saved);
    assert_eq!(
        git(
            &fx.repo,
            &["log", "-1", "--format=%s%n%an <%ae>", "kata/dirty"]
        ),
        "Save the session's uncommitted work\nTest User <test@example.com>"
    );
    assert_eq!(
        git(&fx.repo, &["diff", "--name-status", "main", "kata/dirty"]),
        "D\tREADME.md\nA\tnew dir/untracked.txt\nM\tnotes.txt"
    );
    assert_eq!(
        git(&fx.repo, &["show", "kata/dirty:new dir/untracked.txt"]),
        "new work"
    );
    assert!(!git(&fx.repo, &["worktree", "list"]).contains("dirty"));
    assert_eq!(session_branches(&fx.repo), vec!["kata/dirty"]);
}

#[test]
fn removing_a_clean_worktree_keeps_the_branch_and_a_moved_branch_blocks_the_forced_save() {
    let fx = Fixture::new();
    let clean = fx.session("clean");
    let options = RemoveOptions {
        force: false,
        save_message: "",
    };
    let removal = remove_session_worktree(&fx.repo, &clean, &options).unwrap();
    assert_eq!(removal.saved_commit, None);
    assert!(!clean.path.exists());
    assert_eq!(session_branches(&fx.repo), vec!["kata/clean"]);
    // Removing again (folder gone, nothing registered) is a no-op.
    remove_session_worktree(&fx.repo, &clean, &options).unwrap();

    let moved = fx.session("moved");
    write(&moved.path.join("work.txt"), "uncommitted\n");
    git(
        &fx.repo,
        &["update-ref", "refs/heads/kata/moved", &fx.rev("main~1")],
    );
    let forced = RemoveOptions {
        force: true,
        save_message: "save",
    };
    let err = remove_session_worktree(&fx.repo, &moved, &forced).unwrap_err();
    assert_eq!(err.code(), "worktree_binding");
    assert!(moved.path.join("work.txt").exists());
}

#[test]
fn doctor_lists_orphans_and_prune_removes_only_clean_worktrees() {
    let fx = Fixture::new();
    let kept = fx.session("kept");
    let clean = fx.session("clean");
    let dirty = fx.session("dirty");
    let orphan = fx.session("orphan");
    write(&dirty.path.join("wip.txt"), "work in progress\n");
    // A worktree outside the data dir is the user's business, not an orphan.
    git(
        &fx.repo,
        &["worktree", "add", "-q", "-b", "users", "../users-worktree"],
    );

    let under = fx.data.join("worktrees").join("space-1");
    let orphans = orphaned_worktrees(
        &fx.repo,
        &under,
        &[kept.clone(), clean.clone(), dirty.clone()],
    )
    .unwrap();
    assert_eq!(orphans.len(), 1, "{orphans:?}");
    assert_eq!(orphans[0].path, orphan.path);
    assert_eq!(orphans[0].branch.as_deref(), Some("kata/orphan"));
    assert!(orphans[0].locked && orphans[0].folder_exists);

    let report = prune_worktrees(&fx.repo, &[clean.clone(), dirty.clone()]).unwrap();
    assert_eq!(report.removed, vec![clean.path.clone()]);
    assert_eq!(report.kept.len(), 1);
    assert_eq!(report.kept[0].path, dirty.path);
    assert_eq!(report.kept[0].code, "dirty_worktree");
    assert!(!clean.path.exists());
    assert!(dirty.path.join("wip.txt").exists());
    check_binding(&fx.repo, &kept).unwrap();
    assert_eq!(
        session_branches(&fx.repo),
        vec!["kata/clean", "kata/dirty", "kata/kept", "kata/orphan"]
    );
    // The pruned worktree is not an orphan afterwards (it is gone); the dirty one is still referenced.
    let orphans = orphaned_worktrees(&fx.repo, &under, &[kept, dirty]).unwrap();
    assert_eq!(
        orphans.iter().map(|o| o.path.clone()).collect::<Vec<_>>(),
        vec![orphan.path]
    );
    let _ = git_fails(&fx.repo, &["branch", "-D", "kata/kept"]); // git itself protects checked-out branches
}
