//! Spawning the real `kata-cloud` binary on a data directory, and reading what it printed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use super::repo::sample_repo;

/// The `kata-cloud` binary built for this test run.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_kata-cloud"))
}

/// A `kata-cloud` command on `data_dir`, with a clean provider environment.
pub fn kata(data_dir: &Path) -> Command {
    let mut cmd = Command::new(bin());
    cmd.arg("--data-dir").arg(data_dir);
    for var in [
        "KATA_DATA_DIR",
        "KATA_OFFLINE_STEP_MS",
        "KATA_MODEL",
        "ANTHROPIC_API_KEY",
        "ANTHROPIC_BASE_URL",
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "KATA_OPENAI_COMPATIBLE_BASE_URL",
        "KATA_OPENAI_COMPATIBLE_API_KEY",
        "KATA_PROVIDER_TIMEOUT_MS",
        "KATA_PROVIDER_BACKOFF_MS",
        "RUST_LOG",
        "KATA_LOG",
    ] {
        cmd.env_remove(var);
    }
    // Keys stored in the developer's OS keyring must not change what a test runs.
    cmd.env("KATA_KEYRING", "off");
    cmd.stdin(Stdio::null());
    cmd
}

/// What a finished command printed, and how it exited.
pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    /// Stdout as the one JSON document `--json` prints.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not one JSON document ({e}):\n{}\nstderr: {}",
                self.stdout, self.stderr
            )
        })
    }

    /// Stdout as the JSON Lines a streaming command prints.
    pub fn json_lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|l| {
                serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}"))
            })
            .collect()
    }
}

pub fn ran(output: Output) -> Ran {
    Ran {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs `kata-cloud --data-dir D ARGS...` to completion.
pub fn run(data_dir: &Path, args: &[&str]) -> Ran {
    ran(kata(data_dir)
        .args(args)
        .output()
        .expect("spawn kata-cloud"))
}

/// Like [`run`], asserting exit code 0.
pub fn ok(data_dir: &Path, args: &[&str]) -> Ran {
    let r = run(data_dir, args);
    assert_eq!(
        r.code, 0,
        "kata-cloud {args:?} failed:\nstdout: {}\nstderr: {}",
        r.stdout, r.stderr
    );
    r
}

/// `--json run --space SPACE --prompt PROMPT`, which must exit 0 and end with `run_finished`: the event
/// lines and the finished run.
pub fn run_json(data_dir: &Path, space: &str, prompt: &str) -> (Vec<Value>, Value) {
    let r = ok(
        data_dir,
        &["--json", "run", "--space", space, "--prompt", prompt],
    );
    let lines = r.json_lines();
    let last = lines.last().cloned().expect("at least one line");
    assert_eq!(last["type"], "run_finished", "last line: {last}");
    let run = last["run"].clone();
    (lines, run)
}

/// A failure as the contract prints it: stdout empty, one `error: ` line on stderr, no panic.
pub fn assert_one_line(r: &Ran) {
    assert!(
        r.stdout.is_empty(),
        "stdout must be empty on failure: {}",
        r.stdout
    );
    assert_eq!(
        r.stderr.trim_end().lines().count(),
        1,
        "one line on stderr:\n{}",
        r.stderr
    );
    assert!(r.stderr.starts_with("error: "), "{}", r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
}

/// `tmp/repo` (the sample repository) and `tmp/data` with one completed run there: the repository, the
/// data dir and the finished run (which retrieved context).
pub fn one_run(tmp: &Path) -> (PathBuf, PathBuf, Value) {
    let repo = tmp.join("repo");
    sample_repo(&repo);
    let data = tmp.join("data");
    let (_, finished) = run_json(
        &data,
        repo.to_str().unwrap(),
        "add retry to the http client",
    );
    assert!(!finished["context"]["items"].as_array().unwrap().is_empty());
    (repo, data, finished)
}

/// Starts a slow run, waits until at least one task has completed, then kills the process with SIGKILL.
/// Returns the run id and the ids of tasks that had completed before the kill.
pub fn run_killed_mid_wave(data: &Path, repo: &Path) -> (String, Vec<String>) {
    let mut child = kata(data)
        .env("KATA_OFFLINE_STEP_MS", "400")
        .args([
            "--json",
            "run",
            "--space",
            repo.to_str().unwrap(),
            "--prompt",
            "add retry to the http client",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut run_id = None;
    let mut completed = Vec::new();
    let started = std::time::Instant::now();
    for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)) {
        let line = line.unwrap();
        let event: Value = serde_json::from_str(&line).unwrap();
        if event["type"] == "run_created" {
            run_id = Some(event["run"]["id"].as_str().unwrap().to_owned());
        }
        if event["type"] == "task_status_changed" && event["status"] == "completed" {
            completed.push(event["task_id"].as_str().unwrap().to_owned());
        }
        if event["type"] == "wave_finished" {
            break; // wave 1 is done; wave 2 is about to start.
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "run too slow"
        );
    }
    // Let the verify task start, then kill the process outright.
    std::thread::sleep(std::time::Duration::from_millis(150));
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert!(!status.success());
    (run_id.expect("run_created seen"), completed)
}
