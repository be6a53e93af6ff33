//! Real repositories for the git layer's tests: a user repository with history, a data dir, the `git` CLI
//! run hermetically (no system or global configuration) to set things up and to compare against.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)] // test helpers: failing loudly is the point

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use kata_cloud::git::{NewWorktree, WorktreeBinding, create_session_worktree, default_lock_reason};

/// A `git` command in `dir` that ignores the machine's system and global configuration.
pub fn git_cmd(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("LC_ALL", "C")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE");
    cmd
}

/// Runs git and returns its raw output, failing the test when git fails.
pub fn git_raw(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out: Output = git_cmd(dir).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "git {args:?} in {} failed: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Runs git and returns its output as text (trailing newline removed).
pub fn git(dir: &Path, args: &[&str]) -> String {
    String::from_utf8(git_raw(dir, args))
        .unwrap()
        .trim_end_matches('\n')
        .to_owned()
}

/// Runs git, expecting it to fail; returns stderr.
pub fn git_fails(dir: &Path, args: &[&str]) -> String {
    let out = git_cmd(dir).args(args).output().unwrap();
    assert!(!out.status.success(), "git {args:?} unexpectedly succeeded");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn write(path: &Path, content: impl AsRef<[u8]>) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, content).unwrap();
}

/// A temporary user repository (`repo/`, branch `main`, two commits) and a data dir (`data/`).
pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub repo: PathBuf,
    pub data: PathBuf,
}

impl Fixture {
    pub fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let repo = root.join("repo");
        let data = root.join("data");
        std::fs::create_dir_all(&repo).unwrap();
        std::fs::create_dir_all(&data).unwrap();
        git(&repo, &["init", "-q", "-b", "main"]);
        configure_identity(&repo);
        write(&repo.join("README.md"), "# Demo\n\nA small project.\n");
        write(
            &repo.join("src/lib.rs"),
            "pub fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n",
        );
        git(&repo, &["add", "-A"]);
        git(&repo, &["commit", "-q", "-m", "initial"]);
        write(&repo.join("notes.txt"), "one\ntwo\nthree\n");
        git(&repo, &["add", "-A"]);
        git(&repo, &["commit", "-q", "-m", "notes"]);
        Fixture { dir, repo, data }
    }

    /// Where a session's worktree goes under the data dir.
    pub fn worktree_path(&self, slug: &str) -> PathBuf {
        kata_cloud::git::session_worktree_path(&self.data, "space-1", slug)
    }

    /// Creates a session worktree from `main`.
    pub fn session(&self, slug: &str) -> WorktreeBinding {
        let path = self.worktree_path(slug);
        let branch = format!("kata/{slug}");
        create_session_worktree(&NewWorktree {
            repo_root: &self.repo,
            path: &path,
            slug,
            base_branch: "main",
            lock_reason: &default_lock_reason(&branch),
        })
        .unwrap()
    }

    pub fn rev(&self, rev: &str) -> String {
        git(&self.repo, &["rev-parse", rev])
    }

    /// Gives the user's checkout uncommitted work of every kind: a staged change, an unstaged change and an
    /// untracked file.
    pub fn dirty_user_checkout(&self) {
        write(
            &self.repo.join("notes.txt"),
            "one\ntwo\nthree\nfour (unstaged)\n",
        );
        write(&self.repo.join("staged.txt"), "staged but not committed\n");
        git(&self.repo, &["add", "staged.txt"]);
        write(&self.repo.join("untracked.txt"), "nobody added me\n");
    }
}

pub fn configure_identity(repo: &Path) {
    git(repo, &["config", "user.name", "Test User"]);
    git(repo, &["config", "user.email", "test@example.com"]);
}

/// Every byte a user could lose: working-tree files (not `.git`, with their modes), the index, HEAD, the
/// config and every ref except the session branches (escaped so a difference reads well).
pub fn snapshot(repo: &Path) -> BTreeMap<String, String> {
    let mut raw = BTreeMap::new();
    walk(repo, repo, &mut raw);
    for file in ["index", "HEAD", "config"] {
        let path = repo.join(".git").join(file);
        raw.insert(
            format!(".git/{file}"),
            std::fs::read(&path).unwrap_or_default(),
        );
    }
    let refs = git(repo, &["for-each-ref", "--format=%(refname) %(objectname)"]);
    let user_refs = refs
        .lines()
        .filter(|line| !line.starts_with("refs/heads/kata/"))
        .collect::<Vec<_>>()
        .join("\n");
    raw.insert("refs".to_owned(), user_refs.into_bytes());
    raw.into_iter()
        .map(|(k, v)| (k, v.escape_ascii().to_string()))
        .collect()
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        let rel = path
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if rel == ".git" {
            continue;
        }
        let meta = std::fs::symlink_metadata(&path).unwrap();
        if meta.is_dir() {
            walk(root, &path, out);
        } else if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&path).unwrap();
            out.insert(rel, format!("symlink -> {}", target.display()).into_bytes());
        } else {
            use std::os::unix::fs::PermissionsExt;
            let mut bytes = std::fs::read(&path).unwrap();
            bytes.extend_from_slice(format!("\nmode {:o}", meta.permissions().mode()).as_bytes());
            out.insert(rel, bytes);
        }
    }
}

/// The branch names of `kata/*` that exist.
pub fn session_branches(repo: &Path) -> Vec<String> {
    git(
        repo,
        &[
            "for-each-ref",
            "--format=%(refname:short)",
            "refs/heads/kata/",
        ],
    )
    .lines()
    .map(str::to_owned)
    .collect()
}
