//! Model providers end to end: the real binary against a local mock server speaking the Anthropic and
//! OpenAI wire formats, for success, every failure kind, retries, telemetry and key hygiene.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;
#[path = "common/mock_llm.rs"]
mod mock_llm;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Ran, kata, ran, sample_repo};
use mock_llm::{MockLlm, Wire};
use serde_json::Value;

const KEY: &str = "sk-test-KATA-9f3c-never-store-me";
const PROMPT: &str = "add retry to the http client";

struct Setup {
    _tmp: tempfile::TempDir,
    repo: PathBuf,
    data: PathBuf,
    mock: MockLlm,
    /// Every stdout and stderr the binary printed, for the key check.
    printed: Vec<String>,
    /// `KATA_PROVIDER_TIMEOUT_MS`: generous unless a test waits for a timeout (slow shared machines).
    timeout_ms: u64,
}

impl Setup {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let repo = tmp.path().join("repo");
        sample_repo(&repo);
        let data = tmp.path().join("data");
        Self {
            _tmp: tmp,
            repo,
            data,
            mock: MockLlm::start(KEY),
            printed: Vec::new(),
            timeout_ms: 10_000,
        }
    }

    /// `kata-cloud` with the provider environment of `provider` pointed at `base`, short timeouts and backoff.
    fn cmd(&self, provider: &str, base: &str) -> Command {
        let mut cmd = kata(&self.data);
        cmd.env("KATA_KEYRING", "off")
            .env("KATA_PROVIDER_TIMEOUT_MS", self.timeout_ms.to_string())
            .env("KATA_PROVIDER_BACKOFF_MS", "10");
        match provider {
            "anthropic" => {
                cmd.env("ANTHROPIC_API_KEY", KEY)
                    .env("ANTHROPIC_BASE_URL", base);
            }
            "openai" => {
                cmd.env("OPENAI_API_KEY", KEY).env("OPENAI_BASE_URL", base);
            }
            "openai-compatible" => {
                cmd.env("KATA_OPENAI_COMPATIBLE_BASE_URL", base);
            }
            other => panic!("unknown provider {other}"),
        }
        cmd
    }

    fn exec(&mut self, mut cmd: Command) -> Ran {
        let r = ran(cmd.output().unwrap());
        self.printed.push(r.stdout.clone());
        self.printed.push(r.stderr.clone());
        r
    }

    /// Runs `run --json --provider P` against `base`; returns the exit code, the event lines and the run.
    fn run(&mut self, provider: &str, base: &str) -> (i32, Vec<Value>, Value) {
        let mut cmd = self.cmd(provider, base);
        cmd.args(["--json", "run", "--space"])
            .arg(&self.repo)
            .args(["--prompt", PROMPT, "--provider", provider]);
        let r = self.exec(cmd);
        let lines = r.json_lines();
        let last = lines.last().cloned().unwrap_or_else(|| {
            panic!("no output: stderr {}", r.stderr);
        });
        assert_eq!(last["type"], "run_finished", "{last}\nstderr: {}", r.stderr);
        (r.code, lines, last["run"].clone())
    }

    fn show(&mut self, provider: &str, run_id: &str) -> Value {
        let mut cmd = self.cmd(provider, "http://127.0.0.1:9");
        cmd.args(["--json", "runs", "show", run_id]);
        let r = self.exec(cmd);
        assert_eq!(r.code, 0, "{}", r.stderr);
        r.json()
    }

    /// No run is left live, and the key appears nowhere: data dir files (store, logs) and all output.
    fn assert_clean(&mut self, provider: &str) {
        let mut cmd = self.cmd(provider, "http://127.0.0.1:9");
        cmd.args(["--json", "runs", "list"]);
        let r = self.exec(cmd);
        assert_eq!(r.code, 0, "{}", r.stderr);
        for run in r.json().as_array().unwrap() {
            assert!(
                !matches!(run["status"].as_str(), Some("running" | "queued")),
                "{run}"
            );
        }
        // Not the key, nor a recognisable piece of it (12 characters).
        let pieces: Vec<&[u8]> = KEY.as_bytes().windows(12).collect();
        for text in &self.printed {
            for piece in &pieces {
                let piece = std::str::from_utf8(piece).unwrap();
                assert!(
                    !text.contains(piece),
                    "the key ({piece}) was printed: {text}"
                );
            }
        }
        for file in files_under(&self.data) {
            let bytes = std::fs::read(&file).unwrap();
            for piece in &pieces {
                assert!(
                    !bytes.windows(piece.len()).any(|w| w == *piece),
                    "the key ({}) is in {}",
                    String::from_utf8_lossy(piece),
                    file.display()
                );
            }
        }
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn wire_of(provider: &str) -> Wire {
    if provider == "anthropic" {
        Wire::Anthropic
    } else {
        Wire::OpenAi
    }
}

fn completes_against_the_mock(provider: &str, scenario: &str, default_model: &str) {
    let mut s = Setup::new();
    let base = s.mock.base(scenario, wire_of(provider));
    let (code, lines, run) = s.run(provider, &base);
    assert_eq!(code, 0, "{run}");
    assert_eq!(run["status"], "completed", "{run}");

    // The draft is the streamed text: the mock's six sections citing the first excerpt it was sent.
    let draft = run["draft"]["content"].as_str().unwrap();
    assert!(draft.contains("MOCK GOAL"), "{draft}");
    assert!(draft.contains("`src/http_client.rs:"), "{draft}");
    let streamed: String = lines
        .iter()
        .filter(|l| l["type"] == "model_delta" && l["task_id"].is_null())
        .map(|l| l["text"].as_str().unwrap())
        .collect();
    // The stored draft is the streamed text with each task line's id added (`<!-- sN -->`, docs/SPEC.md).
    let without_ids: Vec<&str> = draft
        .lines()
        .map(|l| l.split(" <!-- s").next().unwrap())
        .collect();
    assert_eq!(streamed.trim(), without_ids.join("\n").trim());
    assert!(draft.contains("<!-- s1 -->"), "{draft}");
    assert!(run["plan"].as_str().unwrap().contains("MOCK GOAL"));

    // Tasks from the checkbox lines, each worked in its own tool loop: the mock calls one tool, then
    // reports on its result.
    let tasks = run["tasks"].as_array().unwrap();
    let shape: Vec<(&str, u64)> = tasks
        .iter()
        .map(|t| (t["kind"].as_str().unwrap(), t["wave"].as_u64().unwrap()))
        .collect();
    assert_eq!(shape, vec![("implement", 1), ("verify", 2)]);
    for t in tasks {
        assert_eq!(t["status"], "completed");
        let summary = t["summary"].as_str().unwrap();
        assert!(
            summary.starts_with("MOCK FINAL after 1 tool result"),
            "{summary}"
        );
    }
    let calls = run["tool_calls"].as_array().unwrap();
    assert_eq!(calls.len(), 2, "one call per task: {calls:?}");
    for call in calls {
        assert_eq!(call["tool"], "list_files", "{call}");
        assert_eq!(
            call["status"], "failed",
            "the mock asks for a path that is not there: {call}"
        );
        assert_eq!(call["error_code"], "not_found");
    }

    // Telemetry: tokens of the five calls (draft 100/50; each task a tool turn 30/12 and a report 40/9),
    // latency, no retries, the two tool calls.
    let shown = s.show(provider, run["id"].as_str().unwrap());
    for r in [&run, &shown] {
        let exec = &r["provider_execution"];
        assert_eq!(exec["provider"], provider, "{exec}");
        assert_eq!(exec["model"], default_model);
        assert_eq!(exec["status"], "completed");
        assert_eq!(exec["input_tokens"], 240, "{exec}");
        assert_eq!(exec["output_tokens"], 92, "{exec}");
        assert_eq!(exec["tool_calls"], 2, "{exec}");
        assert_eq!(exec["retries"], 0);
        assert!(exec["latency_ms"].as_u64().is_some(), "{exec}");
        assert!(exec["error_code"].is_null());
    }

    // The requests: one draft, then two per task (the tool call, then the report); the draft request
    // carried the prompt and the excerpts, each task's second request the tool's result.
    let requests = s.mock.requests(scenario);
    assert_eq!(requests.len(), 5);
    for task_turn in [&requests[2], &requests[4]] {
        assert!(
            task_turn.body.to_string().contains("does not exist"),
            "{}",
            task_turn.body
        );
    }
    let draft_request = requests[0].body.to_string();
    assert!(draft_request.contains(PROMPT));
    assert!(draft_request.contains("src/http_client.rs:"));
    assert!(
        draft_request.contains("pub struct HttpClient"),
        "{draft_request}"
    );
    assert_eq!(requests[0].body["model"], default_model);
    assert_eq!(requests[0].body["stream"], true);
    s.assert_clean(provider);
}

#[test]
fn anthropic_run_completes_from_the_streamed_draft() {
    completes_against_the_mock("anthropic", "ok", "claude-sonnet-4-5");
}

#[test]
fn openai_run_completes_from_the_streamed_draft() {
    completes_against_the_mock("openai", "ok", "gpt-4.1");
}

#[test]
fn openai_compatible_run_completes_without_a_key() {
    completes_against_the_mock("openai-compatible", "nokey", "llama3.2");
}

/// (scenario, code, retryable, requests the mock sees)
const FAILURES: [(&str, &str, bool, u32); 10] = [
    ("401", "auth", false, 1),
    ("429", "rate_limited", true, 4),
    ("429-long", "rate_limited", true, 1),
    ("500", "server", true, 4),
    ("hang", "timeout", true, 4),
    ("idle", "timeout", true, 4),
    ("cut", "protocol", false, 1),
    ("badjson", "protocol", false, 1),
    ("overloaded", "server", true, 4),
    ("notasks", "protocol", false, 1),
];

fn fails_with_typed_errors(provider: &str) {
    let mut s = Setup::new();
    let wire = wire_of(provider);
    let mut cases: Vec<(String, &str, bool, Option<u32>)> = FAILURES
        .iter()
        .map(|(sc, code, retry, n)| (s.mock.base(sc, wire), *code, *retry, Some(*n)))
        .collect();
    // Connection refused: a port with nothing listening.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let refused = format!("http://{}/v1", free.local_addr().unwrap());
    drop(free);
    cases.push((refused, "unavailable", true, None));

    for (base, code, retryable, requests) in cases {
        s.timeout_ms = if code == "timeout" { 700 } else { 10_000 };
        let (exit, _, run) = s.run(provider, &base);
        let context = format!("{provider} at {base}: {run}");
        assert_eq!(exit, 1, "{context}");
        assert_eq!(run["status"], "failed", "{context}");
        assert_eq!(run["error"]["code"], code, "{context}");
        assert_eq!(run["error"]["retryable"], retryable, "{context}");
        assert!(
            run["error"]["remediation"]
                .as_str()
                .is_some_and(|r| !r.is_empty()),
            "{context}"
        );
        let exec = &run["provider_execution"];
        assert_eq!(exec["status"], "failed", "{context}");
        assert_eq!(exec["error_code"], code, "{context}");
        assert_eq!(exec["provider"], provider);
        if let Some(n) = requests {
            let scenario = base.split("/s/").nth(1).unwrap().split('/').next().unwrap();
            assert_eq!(s.mock.count(scenario), n, "requests seen for {context}");
            assert_eq!(exec["retries"], n - 1, "{context}");
        }
        assert!(run["draft"].is_null(), "no offline fallback: {context}");
        let shown = s.show(provider, run["id"].as_str().unwrap());
        assert_eq!(shown["status"], "failed");
        assert_eq!(shown["error"], run["error"]);
        assert_eq!(shown["provider_execution"]["error_code"], code);
    }
    s.assert_clean(provider);
}

#[test]
fn anthropic_failures_end_failed_with_typed_errors_and_bounded_retries() {
    fails_with_typed_errors("anthropic");
}

#[test]
fn openai_failures_end_failed_with_typed_errors_and_bounded_retries() {
    fails_with_typed_errors("openai");
}

/// A key the provider echoes — in an SSE error event, or in the streamed answer, split across events —
/// is scrubbed before it is printed, stored or logged.
fn scrubs_an_echoed_key(provider: &str) {
    let mut s = Setup::new();
    let wire = wire_of(provider);
    let base = s.mock.base("echo-error", wire);
    let (exit, lines, run) = s.run(provider, &base);
    assert_eq!(exit, 1, "{run}");
    assert_eq!(run["error"]["code"], "auth", "{run}");
    let message = run["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("the key [redacted] was revoked"),
        "{message}"
    );
    assert!(!lines.is_empty());

    let base = s.mock.base("echo-text", wire);
    let (exit, _, run) = s.run(provider, &base);
    assert_eq!(exit, 0, "{run}");
    let draft = run["draft"]["content"].as_str().unwrap();
    assert!(
        draft.contains("the server saw the key [redacted] (it starts [redacted])"),
        "{draft}"
    );
    let shown = s.show(provider, run["id"].as_str().unwrap());
    for task in shown["tasks"].as_array().unwrap() {
        let summary = task["summary"].as_str().unwrap();
        assert!(
            summary.contains("Also, the server saw the key [redacted]"),
            "{summary}"
        );
    }
    s.assert_clean(provider);
}

#[test]
fn anthropic_keys_echoed_by_the_provider_are_scrubbed_everywhere() {
    scrubs_an_echoed_key("anthropic");
}

#[test]
fn openai_keys_echoed_by_the_provider_are_scrubbed_everywhere() {
    scrubs_an_echoed_key("openai");
}

#[test]
fn a_transient_failure_is_retried_and_counted() {
    let mut s = Setup::new();
    let base = s.mock.base("flaky", Wire::Anthropic);
    let (code, _, run) = s.run("anthropic", &base);
    assert_eq!(code, 0, "{run}");
    assert_eq!(run["status"], "completed");
    assert_eq!(run["provider_execution"]["retries"], 1);
    assert_eq!(s.mock.count("flaky"), 6); // draft twice, then two turns for each of the two tasks
    s.assert_clean("anthropic");
}

#[test]
fn without_configuration_runs_are_offline_and_doctor_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    sample_repo(&repo);
    let data = tmp.path().join("data");
    let out = ran(kata(&data)
        .env("KATA_KEYRING", "off")
        .args(["--json", "run", "--space"])
        .arg(&repo)
        .args(["--prompt", PROMPT])
        .output()
        .unwrap());
    assert_eq!(out.code, 0, "{}", out.stderr);
    let run = out.json_lines().last().unwrap()["run"].clone();
    assert_eq!(run["provider_execution"]["provider"], "offline");

    let doctor = ran(kata(&data)
        .env("KATA_KEYRING", "off")
        .args(["--json", "doctor"])
        .output()
        .unwrap());
    let checks = doctor.json();
    let providers: Vec<&Value> = checks
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c.get("provider"))
        .collect();
    let summary: Vec<(&str, bool, bool, &str)> = providers
        .iter()
        .map(|p| {
            (
                p["provider"].as_str().unwrap(),
                p["configured"].as_bool().unwrap(),
                p["default"].as_bool().unwrap(),
                p["key_source"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("offline", true, true, "none"),
            ("anthropic", false, false, "none"),
            ("openai", false, false, "none"),
            ("openai-compatible", false, false, "none"),
        ]
    );

    // Asking for a provider that is not configured fails the run with that reason, attributed to it.
    let out = ran(kata(&data)
        .env("KATA_KEYRING", "off")
        .args(["--json", "run", "--space"])
        .arg(&repo)
        .args(["--prompt", PROMPT, "--provider", "openai"])
        .output()
        .unwrap());
    assert_eq!(out.code, 1, "{}", out.stderr);
    let run = out.json_lines().last().unwrap()["run"].clone();
    assert_eq!(run["status"], "failed", "{run}");
    assert_eq!(run["error"]["code"], "not_configured", "{run}");
    assert_eq!(run["error"]["retryable"], false, "{run}");
    assert!(
        run["error"]["remediation"]
            .as_str()
            .unwrap()
            .contains("OPENAI_API_KEY"),
        "{run}"
    );
    assert_eq!(run["provider_execution"]["provider"], "openai", "{run}");
    assert_eq!(run["provider_execution"]["model"], "gpt-4.1", "{run}");
    assert_eq!(run["provider_execution"]["status"], "failed", "{run}");
    assert_eq!(
        run["provider_execution"]["error_code"], "not_configured",
        "{run}"
    );
}

#[test]
fn a_single_configured_provider_is_the_default_and_doctor_hides_its_key() {
    let mut s = Setup::new();
    let base = s.mock.base("ok", Wire::OpenAi);
    let mut cmd = s.cmd("openai", &base);
    cmd.args(["--json", "run", "--space"])
        .arg(&s.repo)
        .args(["--prompt", PROMPT]);
    let r = s.exec(cmd);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let run = r.json_lines().last().unwrap()["run"].clone();
    assert_eq!(run["provider_execution"]["provider"], "openai");

    let mut cmd = s.cmd("openai", &base);
    cmd.args(["--json", "doctor"]);
    let r = s.exec(cmd);
    let checks = r.json();
    let openai = checks
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "provider openai")
        .unwrap();
    assert_eq!(openai["status"], "ok");
    assert_eq!(openai["provider"]["key_source"], "env");
    assert_eq!(openai["provider"]["default"], true);
    assert_eq!(openai["provider"]["base_url"], base);
    let mut cmd = s.cmd("openai", &base);
    cmd.arg("doctor");
    s.exec(cmd);
    s.assert_clean("openai");
}

#[test]
fn a_stored_key_file_is_used_when_the_environment_has_none() {
    let mut s = Setup::new();
    let dir = s.data.join("credentials");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("anthropic.key"), format!("{KEY}\n")).unwrap();
    let base = s.mock.base("ok", Wire::Anthropic);
    let mut cmd = kata(&s.data);
    cmd.env("KATA_KEYRING", "off")
        .env("ANTHROPIC_BASE_URL", &base)
        .args(["--json", "run", "--space"])
        .arg(&s.repo)
        .args(["--prompt", PROMPT]);
    let r = s.exec(cmd);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let run = r.json_lines().last().unwrap()["run"].clone();
    assert_eq!(run["status"], "completed", "{run}");
    assert_eq!(run["provider_execution"]["provider"], "anthropic");
    // The key file itself holds the key by design; everything else must not.
    std::fs::remove_file(dir.join("anthropic.key")).unwrap();
    s.assert_clean("anthropic");
}

#[test]
fn models_are_listed_for_each_wire_format() {
    let mut s = Setup::new();
    for (provider, scenario, want) in [
        (
            "anthropic",
            "ok",
            vec!["claude-sonnet-4-5", "claude-haiku-4-5"],
        ),
        ("openai", "ok", vec!["gpt-4.1", "llama3.2"]),
        ("openai-compatible", "nokey", vec!["gpt-4.1", "llama3.2"]),
    ] {
        let base = s.mock.base(scenario, wire_of(provider));
        let mut cmd = s.cmd(provider, &base);
        cmd.args(["--json", "models", "--provider", provider]);
        let r = s.exec(cmd);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let list = r.json();
        assert_eq!(list["provider"], provider);
        assert_eq!(list["models"], serde_json::json!(want));
    }
    // A rejected key is a typed failure on stderr, exit 1, without the key.
    let base = s.mock.base("ok", Wire::OpenAi);
    let mut cmd = kata(&s.data);
    cmd.env("OPENAI_API_KEY", "sk-wrong")
        .env("OPENAI_BASE_URL", &base)
        .args(["models", "--provider", "openai"]);
    let r = s.exec(cmd);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("(auth)"), "{}", r.stderr);
    assert!(r.stdout.is_empty());
    s.assert_clean("openai");
}

#[test]
fn cancelling_a_run_stuck_in_a_provider_call_ends_it_promptly() {
    let mut s = Setup::new();
    let base = s.mock.base("hang", Wire::Anthropic);
    let mut cmd = s.cmd("anthropic", &base);
    cmd.env("KATA_PROVIDER_TIMEOUT_MS", "30000")
        .args(["--json", "run", "--detach", "--space"])
        .arg(&s.repo)
        .args(["--prompt", PROMPT, "--provider", "anthropic"]);
    let r = s.exec(cmd);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let run_id = r.json()["id"].as_str().unwrap().to_owned();
    let started = std::time::Instant::now();
    while s.mock.count("hang") == 0 {
        assert!(
            started.elapsed().as_secs() < 20,
            "the call never reached the mock"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let mut cmd = s.cmd("anthropic", &base);
    cmd.args(["--json", "runs", "cancel", &run_id]);
    let cancelled_at = std::time::Instant::now();
    let r = s.exec(cmd);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["status"], "cancelled");
    assert!(cancelled_at.elapsed().as_secs() < 10);
    assert_eq!(s.mock.count("hang"), 1);
    s.assert_clean("anthropic");
}

#[test]
fn key_set_stores_a_private_file_without_a_keyring_and_doctor_names_the_source() {
    use std::io::Write as _;
    let mut s = Setup::new();
    let base = s.mock.base("ok", Wire::OpenAi);
    let mut cmd = kata(&s.data);
    cmd.args(["--json", "key", "set", "--provider", "openai"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{KEY}\n").as_bytes())
        .unwrap();
    let r = ran(child.wait_with_output().unwrap());
    s.printed.push(r.stdout.clone());
    s.printed.push(r.stderr.clone());
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.json(),
        serde_json::json!({"provider": "openai", "stored_in": "file"})
    );
    let file = s.data.join("credentials/openai.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let mut cmd = kata(&s.data);
    cmd.env("OPENAI_BASE_URL", &base).args(["--json", "doctor"]);
    let r = s.exec(cmd);
    let checks = r.json();
    let openai = checks
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "provider openai")
        .unwrap();
    assert_eq!(openai["provider"]["key_source"], "file");
    assert_eq!(openai["provider"]["default"], true);

    let mut cmd = kata(&s.data);
    cmd.env("OPENAI_BASE_URL", &base).args(["--json", "models"]);
    let r = s.exec(cmd);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["provider"], "openai");

    let mut cmd = kata(&s.data);
    cmd.args(["--json", "key", "delete", "--provider", "openai"]);
    let r = s.exec(cmd);
    assert_eq!(r.json()["removed"], true);
    assert!(!file.exists());
    let mut cmd = kata(&s.data);
    cmd.args(["key", "set", "--provider", "offline"]);
    assert_eq!(s.exec(cmd).code, 2);
    s.assert_clean("openai");
}
