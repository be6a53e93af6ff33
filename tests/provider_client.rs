//! The streaming chat client against the mock server, in process: split SSE frames, cancellation while a
//! call hangs, retries counted on failure, and the idle-stream timeout.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

#[path = "common/mock_llm.rs"]
mod mock_llm;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kata_cloud::provider::chat::{ChatOutcome, ChatRequest};
use kata_cloud::provider::registry::{ProviderRegistry, ProviderSettings};
use kata_cloud::provider::{DeltaSink, ProviderChoice, install_crypto_provider};
use mock_llm::{MockLlm, Wire};
use tokio_util::sync::CancellationToken;

const KEY: &str = "sk-client-test-key";

fn registry(vars: &[(&str, String)]) -> ProviderRegistry {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    ProviderRegistry::new(ProviderSettings::from_vars(|n| map.get(n).cloned()))
}

fn anthropic(mock: &MockLlm, scenario: &str, timeout_ms: u64) -> ProviderRegistry {
    registry(&[
        ("ANTHROPIC_API_KEY", KEY.to_owned()),
        ("ANTHROPIC_BASE_URL", mock.base(scenario, Wire::Anthropic)),
        ("KATA_PROVIDER_TIMEOUT_MS", timeout_ms.to_string()),
        ("KATA_PROVIDER_BACKOFF_MS", "5".to_owned()),
    ])
}

fn chat(
    registry: &ProviderRegistry,
    choice: ProviderChoice,
    cancel: &CancellationToken,
) -> (ChatOutcome, Vec<String>) {
    install_crypto_provider();
    let client = registry.client(choice, None).unwrap();
    let deltas: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = deltas.clone();
    let sink: DeltaSink = Arc::new(move |t: &str| seen.lock().unwrap().push(t.to_owned()));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let request = ChatRequest {
        system: "system",
        user: "Request: hello\n\n[1] `src/a.rs:1-2`\n```\nfn a() {}\n```\n",
        max_tokens: 64,
    };
    let outcome = runtime.block_on(client.chat(&request, &sink, cancel));
    let got = deltas.lock().unwrap().clone();
    (outcome, got)
}

#[test]
fn split_frames_reassemble_into_the_streamed_text_for_both_wires() {
    let mock = MockLlm::start(KEY);
    let openai = registry(&[
        ("OPENAI_API_KEY", KEY.to_owned()),
        ("OPENAI_BASE_URL", mock.base("ok", Wire::OpenAi)),
    ]);
    for (reg, choice) in [
        (anthropic(&mock, "ok", 5_000), ProviderChoice::Anthropic),
        (openai, ProviderChoice::OpenAi),
    ] {
        let (outcome, deltas) = chat(&reg, choice, &CancellationToken::new());
        let text = outcome.result.unwrap();
        assert!(deltas.len() > 5, "{deltas:?}");
        assert_eq!(deltas.concat(), text);
        assert!(text.contains("`src/a.rs:1-2`"), "{text}");
        assert_eq!(outcome.usage.input_tokens, Some(100));
        assert_eq!(outcome.usage.output_tokens, Some(50));
        assert_eq!(outcome.usage.retries, 0);
    }
}

#[test]
fn cancel_aborts_a_hanging_call_promptly() {
    let mock = MockLlm::start(KEY);
    let reg = anthropic(&mock, "hang", 20_000);
    let cancel = CancellationToken::new();
    let c = cancel.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        c.cancel();
    });
    let started = Instant::now();
    let (outcome, deltas) = chat(&reg, ProviderChoice::Anthropic, &cancel);
    assert_eq!(outcome.result.unwrap_err().code(), "cancelled");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(deltas.is_empty());
    assert_eq!(mock.count("hang"), 1);
}

#[test]
fn an_idle_stream_times_out_and_failed_calls_still_report_retries() {
    let mock = MockLlm::start(KEY);
    let reg = anthropic(&mock, "idle", 200);
    let (outcome, _) = chat(&reg, ProviderChoice::Anthropic, &CancellationToken::new());
    let e = outcome.result.unwrap_err();
    assert_eq!(e.code(), "timeout");
    assert!(e.to_string().contains("sent nothing for 200 ms"), "{e}");
    assert!(e.to_string().ends_with("(gave up after 3 retries)"), "{e}");
    assert_eq!(outcome.usage.retries, 3);
    assert_eq!(mock.count("idle"), 4);
}

#[test]
fn a_cut_stream_is_not_retried_so_no_text_is_streamed_twice() {
    let mock = MockLlm::start(KEY);
    let reg = anthropic(&mock, "cut", 2_000);
    let (outcome, deltas) = chat(&reg, ProviderChoice::Anthropic, &CancellationToken::new());
    let e = outcome.result.unwrap_err();
    assert_eq!(e.code(), "protocol");
    assert!(e.to_string().contains("cut off"), "{e}");
    assert!(!deltas.is_empty());
    assert_eq!(mock.count("cut"), 1);
}
