//! Changes benchmark: a session worktree's status on a large repository, against `git status` in the same run.
//!
//! `cargo bench --bench changes` (release). Generates a repository of `KATA_BENCH_FILES` (default 20,000)
//! committed text files in 200 directories, packed as a clone would be, then reports:
//! - the time to create a session worktree (`create_session_worktree`: branch, checkout of every file,
//!   lock), next to `git worktree add` of the same commit;
//! - with `KATA_BENCH_CHANGED` (default 50) changed files in the session worktree (modified, some staged,
//!   new untracked and deleted ones), the warm status time (`ChangesReader::changes` on a kept-open
//!   worktree, as the window uses it; median and p90 of `KATA_BENCH_RUNS`, default 30), next to
//!   `git status --porcelain=v2 --untracked-files=all` timed the same way, and the ratio; the target is a
//!   median under 100 ms. Also `worktree_changes`, which opens the worktree on every call;
//! - the whole-session diff (`diff_text` against the base) next to `git diff <base>`.
//!
//! Both status answers are checked to list the same number of entries. `KATA_BENCH_DIR` chooses where the
//! repository is generated (default: the system temp dir).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a benchmark: failing loudly is the point

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use kata_cloud::git::{
    ChangesReader, DiffScope, NewWorktree, UntrackedFiles, WorktreeBinding,
    create_session_worktree, default_lock_reason, stage_file, worktree_changes,
};

fn git(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new("git")
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A small Rust-like text file, different for every index.
fn file_text(i: usize) -> String {
    let mut text = format!("//! Module {i}.\n\n");
    for f in 0..4 {
        text.push_str(&format!(
            "pub fn item_{i}_{f}(input: &str) -> usize {{\n    let limit = {};\n    input.len().min(limit)\n}}\n\n",
            i * 7 + f
        ));
    }
    text
}

fn generate(root: &Path, files: usize) {
    for i in 0..files {
        let path = root.join(format!("dir{:03}/file{i:05}.rs", i % 200));
        if i < 200 {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        }
        std::fs::write(path, file_text(i)).unwrap();
    }
    std::fs::write(root.join(".gitignore"), "target/\n").unwrap();
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["config", "user.name", "Bench"]);
    git(root, &["config", "user.email", "bench@example.com"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "generated"]);
    git(root, &["repack", "-adq"]);
}

/// Median and 90th percentile of `runs` timings of `f` (after two warm-up calls).
fn timed(runs: usize, mut f: impl FnMut()) -> (Duration, Duration) {
    f();
    f();
    let mut samples = (0..runs)
        .map(|_| {
            let started = Instant::now();
            f();
            started.elapsed()
        })
        .collect::<Vec<_>>();
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.9))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    // `cargo bench` passes `--bench`; without it (`cargo test --all-targets`, debug build) a small repository
    // only checks that the benchmark works.
    let bench = std::env::args().any(|a| a == "--bench");
    let files = env_usize("KATA_BENCH_FILES", if bench { 20_000 } else { 300 });
    let changed = env_usize("KATA_BENCH_CHANGED", 50).min(files / 2);
    let runs = env_usize("KATA_BENCH_RUNS", if bench { 30 } else { 3 });
    // KATA_BENCH_DIR=/dev/shm measures without disk noise (other builds writing on a shared machine).
    let dir = match std::env::var_os("KATA_BENCH_DIR") {
        Some(parent) => tempfile::tempdir_in(parent).unwrap(),
        None => tempfile::tempdir().unwrap(),
    };
    let root = dir.path().canonicalize().unwrap();
    let repo = root.join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    let started = Instant::now();
    generate(&repo, files);
    println!(
        "repository: {files} files committed and packed in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let binding = create_worktrees(&repo, &root);
    change_files(&binding, files, changed);
    compare_status(&binding, changed, runs);
    compare_session_diff(&binding, runs.min(10));
}

/// Creates the session worktree (timed), next to `git worktree add` of the same commit.
fn create_worktrees(repo: &Path, root: &Path) -> WorktreeBinding {
    let path = root.join("data/worktrees/space/bench");
    let started = Instant::now();
    let binding = create_session_worktree(&NewWorktree {
        repo_root: repo,
        path: &path,
        slug: "bench",
        base_branch: "main",
        lock_reason: &default_lock_reason("kata/bench"),
    })
    .unwrap();
    let ours = started.elapsed();
    let plain = root.join("plain-worktree");
    let started = Instant::now();
    git(
        repo,
        &[
            "worktree",
            "add",
            "-q",
            "-b",
            "plain",
            plain.to_str().unwrap(),
            "main",
        ],
    );
    let theirs = started.elapsed();
    git(
        repo,
        &["worktree", "remove", "--force", plain.to_str().unwrap()],
    );
    println!(
        "create session worktree: {:.0} ms (git worktree add: {:.0} ms, ratio {:.2})",
        ms(ours),
        ms(theirs),
        ours.as_secs_f64() / theirs.as_secs_f64()
    );
    binding
}

/// Changes `changed` files: modified (a fifth of them staged), new untracked, deleted.
fn change_files(binding: &WorktreeBinding, files: usize, changed: usize) {
    let w = &binding.path;
    for k in 0..changed {
        let i = k * (files / changed);
        let rel = format!("dir{:03}/file{i:05}.rs", i % 200);
        match k % 10 {
            8 => std::fs::write(
                w.join(format!("dir{:03}/new{k}.rs", k % 200)),
                file_text(files + k),
            )
            .unwrap(),
            9 => std::fs::remove_file(w.join(&rel)).unwrap(),
            _ => {
                let text = file_text(i).replace("input.len()", "input.trim().len()");
                std::fs::write(w.join(&rel), text).unwrap();
                if k % 5 == 0 {
                    stage_file(binding, &rel).unwrap();
                }
            }
        }
    }
}

/// Warm status through the library and through `git status`, after checking both list the same entries.
fn compare_status(binding: &WorktreeBinding, changed: usize, runs: usize) {
    let w = &binding.path;
    let changes = worktree_changes(binding, UntrackedFiles::All).unwrap();
    let entries = changes.staged.len() + changes.unstaged.len();
    let porcelain = git(w, &["status", "--porcelain=v2", "--untracked-files=all"]);
    // git prints a file staged and changed again once; we list it in both lists.
    let in_both = changes
        .staged
        .iter()
        .filter(|s| changes.unstaged.iter().any(|u| u.path == s.path))
        .count();
    let git_entries = porcelain
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .count()
        + in_both;
    assert_eq!(entries, git_entries, "both list the same changes");

    let reader = ChangesReader::open(binding).unwrap();
    let (ours_median, ours_p90) = timed(runs, || {
        reader.changes(binding, UntrackedFiles::All).unwrap();
    });
    let (one_shot, _) = timed(runs, || {
        worktree_changes(binding, UntrackedFiles::All).unwrap();
    });
    let (git_median, git_p90) = timed(runs, || {
        git(w, &["status", "--porcelain=v2", "--untracked-files=all"]);
    });
    println!(
        "status, {changed} changed files ({} staged, {} unstaged entries), warm over {runs} runs:",
        changes.staged.len(),
        changes.unstaged.len()
    );
    println!(
        "  ChangesReader::changes (kept open): median {:.1} ms, p90 {:.1} ms (target: median under 100 ms: {})",
        ms(ours_median),
        ms(ours_p90),
        if ours_median < Duration::from_millis(100) {
            "met"
        } else {
            "missed"
        }
    );
    println!(
        "  worktree_changes (opens the worktree each time): median {:.1} ms",
        ms(one_shot)
    );
    println!(
        "  git status --porcelain=v2: median {:.1} ms, p90 {:.1} ms; ratio of medians {:.2}",
        ms(git_median),
        ms(git_p90),
        ours_median.as_secs_f64() / git_median.as_secs_f64()
    );
}

/// The whole-session diff against its base, next to `git diff <base>`.
fn compare_session_diff(binding: &WorktreeBinding, runs: usize) {
    let base = binding.base_commit.clone();
    let reader = ChangesReader::open(binding).unwrap();
    let (ours, _) = timed(runs, || {
        reader
            .diff_text(binding, DiffScope::AgainstBase, None)
            .unwrap();
    });
    let (theirs, _) = timed(runs, || {
        git(&binding.path, &["diff", &base]);
    });
    println!(
        "whole-session diff: median {:.1} ms (git diff <base>: {:.1} ms, ratio {:.2})",
        ms(ours),
        ms(theirs),
        ours.as_secs_f64() / theirs.as_secs_f64()
    );
}
