//! The conversation with a model provider: a follow-up's draft request carries the session's first turn (its
//! prompt and what its run produced) and the spec it refines. The real binary against the local mock server.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;
#[path = "common/mock_llm.rs"]
mod mock_llm;

use std::path::Path;

use common::{kata, ran, sample_repo};
use mock_llm::{MockLlm, Wire};
use serde_json::Value;

const KEY: &str = "sk-test-KATA-conversation";

fn run(data: &Path, repo: &Path, base: &str, prompt: &str) -> Value {
    let r = ran(kata(data)
        .env("ANTHROPIC_API_KEY", KEY)
        .env("ANTHROPIC_BASE_URL", base)
        .env("KATA_PROVIDER_TIMEOUT_MS", "10000")
        .env("KATA_PROVIDER_BACKOFF_MS", "10")
        .args(["--json", "run", "--provider", "anthropic", "--space"])
        .arg(repo)
        .args(["--prompt", prompt])
        .output()
        .unwrap());
    let last = r.json_lines().last().cloned().unwrap();
    assert_eq!(last["type"], "run_finished", "{}", r.stderr);
    assert_eq!(last["run"]["status"], "completed", "{}", last["run"]);
    last["run"].clone()
}

#[test]
fn the_second_draft_request_contains_the_first_turn_and_the_spec() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    sample_repo(&repo);
    let data = tmp.path().join("data");
    let mock = MockLlm::start(KEY);
    let base = mock.base("ok", Wire::Anthropic);

    let first = run(&data, &repo, &base, "add retry to the http client");
    let drafts_before = mock.requests("ok").len();
    let second = run(&data, &repo, &base, "now also handle timeouts");
    assert_eq!(first["session_id"], second["session_id"]);

    let requests = mock.requests("ok");
    let draft_request = requests[drafts_before].body.to_string();
    let body: Value = serde_json::from_str(&draft_request).unwrap();
    let text = body.to_string();
    // The first turn: its prompt and what its tasks reported.
    assert!(text.contains("Earlier turns of this session"), "{text}");
    assert!(
        text.contains("Prompt: add retry to the http client"),
        "{text}"
    );
    let summary = first["tasks"][0]["summary"].as_str().unwrap();
    assert!(summary.starts_with("MOCK FINAL"), "{summary}");
    assert!(text.contains("(completed): MOCK FINAL"), "{text}");
    // The spec it refines: the first draft, with its task ids and done marks.
    assert!(text.contains("Current spec of the session"), "{text}");
    assert!(text.contains("MOCK GOAL"), "{text}");
    assert!(text.contains("- [x] Implement:"), "{text}");
    assert!(text.contains("<!-- s1 -->"), "{text}");
    // And the new request.
    assert!(text.contains("Request: now also handle timeouts"), "{text}");
    // The first draft request had no earlier turn and no spec.
    let first_request = requests[0].body.to_string();
    assert!(!first_request.contains("Earlier turns"), "{first_request}");
    assert!(!first_request.contains("Current spec"), "{first_request}");
    // The second draft's new task lines got ids after the first's.
    let tasks = second["tasks"].as_array().unwrap();
    let ids: Vec<&str> = tasks
        .iter()
        .filter_map(|t| t["spec_task"].as_str())
        .collect();
    assert_eq!(ids, vec!["s3", "s4"], "{tasks:?}");
}
