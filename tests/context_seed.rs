//! Seeding a new worktree's index from another root's: identical files keep their postings, the rest
//! are indexed, and the answers equal a cold build's.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

use kata_cloud::context::ContextEngine;
use kata_cloud::context::index::Index;

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn write(root: &Path, path: &str, text: &str) {
    let full = root.join(path);
    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
    std::fs::write(full, text).unwrap();
}

#[test]
fn a_new_worktree_reuses_the_postings_of_identical_files() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    for i in 0..40 {
        write(
            &repo,
            &format!("src/module_{i}.rs"),
            &format!("pub fn handle_request_{i}(retry: u32) -> u32 {{ retry + {i} }}\n"),
        );
    }
    write(
        &repo,
        ".github/workflows/ci.yml",
        "jobs:\n  lint_matrix: true\n",
    );
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-qm", "init"]);
    let repo = repo.canonicalize().unwrap();

    let engine = ContextEngine::with_index_dir(tmp.path().join("index"));
    engine.filesystem_items(&repo, "handle request", 8).unwrap();

    let worktree = tmp.path().join("wt");
    git(
        &repo,
        &["worktree", "add", "-q", worktree.to_str().unwrap()],
    );
    let worktree = worktree.canonicalize().unwrap();
    // One file differs in the new worktree, one is new.
    write(
        &worktree,
        "src/module_3.rs",
        "pub fn quarantine_lease() {}\n",
    );
    write(&worktree, "src/extra.rs", "pub fn tombstone_sweep() {}\n");

    let stats = engine.seed_index(&worktree, &repo).unwrap();
    assert_eq!(stats.files, 42, "{stats:?}");
    assert_eq!(
        stats.reused, 40,
        "39 sources and the tracked dotfile: {stats:?}"
    );
    assert_eq!(stats.indexed, 2, "{stats:?}");

    // Same answers as a cold build of the worktree.
    let mut cold = Index::new(&worktree);
    cold.refresh().unwrap();
    for query in [
        "handle request 7",
        "quarantine lease",
        "tombstone sweep",
        "lint matrix",
        "retry",
    ] {
        let seeded = engine.filesystem_items(&worktree, query, 8).unwrap();
        assert_eq!(seeded, cold.search(query, 8), "{query}");
        assert!(!seeded.is_empty(), "{query}");
        assert!(seeded.iter().all(|i| !i.path.is_empty()));
    }
    // The seeded index is saved as the worktree's own; the source's answers are unchanged.
    engine.flush();
    let loaded = Index::load(
        &kata_cloud::context::index::index_dir(&tmp.path().join("index"), &worktree),
        &worktree,
    );
    assert_eq!(loaded.file_count(), 42);
    let source = engine
        .filesystem_items(&repo, "handle request 3", 8)
        .unwrap();
    assert_eq!(source[0].path, "src/module_3.rs");
}
