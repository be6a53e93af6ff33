//! Helpers shared by the integration tests: the real binary, real git repositories, real stores.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)] // test helpers: failing loudly is the point

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

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

pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not one JSON document ({e}):\n{}\nstderr: {}",
                self.stdout, self.stderr
            )
        })
    }

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

/// Opens the store file under `data_dir` with redb directly (no migrations, no checks) and commits what
/// `f` writes: how tests damage or age a store on purpose.
pub fn write_raw(data_dir: &Path, f: impl FnOnce(&redb::WriteTransaction)) {
    let db = redb::Builder::new()
        .set_concurrency_mode(redb::ConcurrencyMode::MultiWriter)
        .open(data_dir.join("kata.redb"))
        .unwrap();
    let txn = db.begin_write().unwrap();
    f(&txn);
    txn.commit().unwrap();
}

pub fn ok(data_dir: &Path, args: &[&str]) -> Ran {
    let r = run(data_dir, args);
    assert_eq!(
        r.code, 0,
        "kata-cloud {args:?} failed:\nstdout: {}\nstderr: {}",
        r.stdout, r.stderr
    );
    r
}

/// Writes `files` into `dir` and commits them to a new git repository there.
pub fn git_repo(dir: &Path, files: &[(&str, &str)]) {
    let repo = git2::Repository::init(dir).expect("git init");
    for (path, content) in files {
        let full = dir.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(&full, content).unwrap();
    }
    let mut index = repo.index().unwrap();
    index
        .add_all(["*"].iter(), git2::IndexAddOption::DEFAULT, None)
        .unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = git2::Signature::now("Test", "test@example.com").unwrap();
    repo.commit(Some("HEAD"), &sig, &sig, "initial", &tree, &[])
        .unwrap();
}

pub const HTTP_CLIENT_RS: &str = "use std::time::Duration;

/// A small HTTP client.
pub struct HttpClient {
    timeout: Duration,
}

impl HttpClient {
    pub fn new() -> Self {
        Self { timeout: Duration::from_secs(30) }
    }

    /// Sends a GET request once; callers handle failures.
    pub fn get(&self, url: &str) -> Result<String, String> {
        if url.is_empty() {
            return Err(\"empty url\".into());
        }
        Ok(format!(\"GET {url} within {:?}\", self.timeout))
    }
}
";

/// A small Rust project: an http client, a main that uses it, a README and an ignored build dir.
pub fn sample_repo(dir: &Path) {
    git_repo(
        dir,
        &[
            ("src/http_client.rs", HTTP_CLIENT_RS),
            (
                "src/main.rs",
                "mod http_client;\n\nfn main() {\n    let client = http_client::HttpClient::new();\n    println!(\"{:?}\", client.get(\"https://example.com\"));\n}\n",
            ),
            (
                "src/db.rs",
                "pub fn connect(url: &str) -> bool {\n    !url.is_empty()\n}\n",
            ),
            (
                "README.md",
                "# demo\nA client for fetching pages over http.\n",
            ),
            (".gitignore", "target/\n"),
        ],
    );
    std::fs::create_dir_all(dir.join("target")).unwrap();
    std::fs::write(
        dir.join("target/http_client_retry.rs"),
        "retry http client retry http client\n",
    )
    .unwrap();
    std::fs::write(dir.join("src/logo.bin"), [0u8, 1, 2, 3, 0, 159, 146, 150]).unwrap();
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
