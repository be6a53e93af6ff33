//! Retrieval behaviours of the grounding work: tracked dotfiles are indexed (untracked secrets-like ones
//! never), and a one-shot query on an up-to-date index writes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

use kata_cloud::context::ContextEngine;
use kata_cloud::context::index::{INDEX_FILE, index_dir};

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
fn tracked_dotfiles_are_indexed_and_untracked_hidden_files_are_not() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    write(
        &repo,
        ".cargo/config.toml",
        "[build]\nrustflags = [\"-C\", \"target-cpu=native\"]\n",
    );
    write(
        &repo,
        ".github/workflows/ci.yml",
        "jobs:\n  rustflags_check: true\n",
    );
    write(&repo, "src/lib.rs", "pub fn unrelated() {}\n");
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-qm", "init"]);
    // Untracked hidden files: a local secret and an editor's folder.
    write(&repo, ".env", "RUSTFLAGS_TOKEN=secret\n");
    write(&repo, ".idea/workspace.xml", "<rustflags/>\n");
    let repo = repo.canonicalize().unwrap();
    let items = ContextEngine::new()
        .filesystem_items(&repo, "rustflags target cpu", 8)
        .unwrap();
    let paths: Vec<&str> = items.iter().map(|i| i.path.as_str()).collect();
    assert!(paths.contains(&".cargo/config.toml"), "{paths:?}");
    assert!(paths.contains(&".github/workflows/ci.yml"), "{paths:?}");
    assert!(
        !paths
            .iter()
            .any(|p| p.starts_with(".env") || p.starts_with(".idea")),
        "{paths:?}"
    );
}

#[test]
fn a_one_shot_query_on_an_up_to_date_index_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("space");
    std::fs::create_dir_all(&root).unwrap();
    for i in 0..20 {
        write(
            &root,
            &format!("src/m{i}.rs"),
            &format!("pub fn lease_owner_{i}() {{}}\n"),
        );
    }
    let root = root.canonicalize().unwrap();
    let data = tmp.path().join("index");
    // The first process builds and saves the index.
    let first = ContextEngine::with_index_dir(data.clone()).without_watches();
    let answer = first.filesystem_items(&root, "lease owner", 8).unwrap();
    drop(first);
    let file = index_dir(&data, &root).join(INDEX_FILE);
    let before = (
        std::fs::read(&file).unwrap(),
        std::fs::metadata(&file).unwrap().modified().unwrap(),
    );

    // A second one-shot process answers the same and leaves the file untouched.
    let second = ContextEngine::with_index_dir(data.clone()).without_watches();
    assert_eq!(
        second.filesystem_items(&root, "lease owner", 8).unwrap(),
        answer
    );
    drop(second);
    let after = (
        std::fs::read(&file).unwrap(),
        std::fs::metadata(&file).unwrap().modified().unwrap(),
    );
    assert!(before == after, "the index file was rewritten");
    let entries = std::fs::read_dir(index_dir(&data, &root)).unwrap().count();
    assert_eq!(entries, 1, "no temporary file either");
}
