//! Keys never leave through provider text: a key (or a recognisable fragment of it) echoed in an SSE error
//! event or in streamed text is scrubbed before it reaches an error, the delta sink or the answer, and
//! credentials in a base URL are redacted wherever the URL is shown.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

#[path = "common/mock_llm.rs"]
mod mock_llm;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use kata_cloud::provider::chat::{ChatOutcome, ChatRequest};
use kata_cloud::provider::registry::{ProviderRegistry, ProviderSettings};
use kata_cloud::provider::{DeltaSink, ProviderChoice};
use mock_llm::{MockLlm, Wire};
use tokio_util::sync::CancellationToken;

const KEY: &str = "sk-secret-TEST-4b8e-do-not-leak-0042";
const URL_SECRET: &str = "pw-Secret-77x";

/// Every 8-character piece of `secret` found in `text`.
fn leaks(text: &str, secret: &str) -> Vec<String> {
    let chars: Vec<char> = secret.chars().collect();
    chars
        .windows(8)
        .map(|w| w.iter().collect::<String>())
        .filter(|w| text.contains(w.as_str()))
        .collect()
}

fn registry(vars: &[(&str, String)]) -> ProviderRegistry {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    ProviderRegistry::new(ProviderSettings::from_vars(|n| map.get(n).cloned()))
}

fn for_wire(mock: &MockLlm, scenario: &str, wire: Wire) -> (ProviderRegistry, ProviderChoice) {
    let (choice, key_var, base_var) = match wire {
        Wire::Anthropic => (
            ProviderChoice::Anthropic,
            "ANTHROPIC_API_KEY",
            "ANTHROPIC_BASE_URL",
        ),
        Wire::OpenAi => (ProviderChoice::OpenAi, "OPENAI_API_KEY", "OPENAI_BASE_URL"),
    };
    let r = registry(&[
        (key_var, KEY.to_owned()),
        (base_var, mock.base(scenario, wire)),
        ("KATA_PROVIDER_BACKOFF_MS", "5".to_owned()),
    ]);
    (r, choice)
}

fn chat(registry: &ProviderRegistry, choice: ProviderChoice) -> (ChatOutcome, String) {
    let client = registry.client(choice, None).unwrap();
    let seen: Arc<Mutex<String>> = Arc::default();
    let s = seen.clone();
    let sink: DeltaSink = Arc::new(move |t: &str| s.lock().unwrap().push_str(t));
    let request = ChatRequest {
        system: "system",
        user: "Request: hello",
        max_tokens: 64,
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let outcome = runtime.block_on(client.chat(&request, &sink, &CancellationToken::new()));
    let streamed = seen.lock().unwrap().clone();
    (outcome, streamed)
}

#[test]
fn a_key_echoed_in_a_stream_error_event_is_scrubbed_from_the_error() {
    let mock = MockLlm::start(KEY);
    for wire in [Wire::Anthropic, Wire::OpenAi] {
        let (r, choice) = for_wire(&mock, "echo-error", wire);
        let (outcome, _) = chat(&r, choice);
        let e = outcome.result.unwrap_err();
        assert_eq!(e.code(), "auth", "{wire:?}: {e}");
        let text = format!(
            "{e} {e:?} {}",
            kata_cloud::model::ErrorInfo::from(&e).message
        );
        assert_eq!(leaks(&text, KEY), Vec::<String>::new(), "{wire:?}: {text}");
        assert!(
            e.to_string()
                .contains("the key [redacted] was revoked (it starts [redacted]…)"),
            "{wire:?}: {e}"
        );
    }
}

#[test]
fn a_key_echoed_in_streamed_text_is_scrubbed_even_split_across_events() {
    let mock = MockLlm::start(KEY);
    for wire in [Wire::Anthropic, Wire::OpenAi] {
        let (r, choice) = for_wire(&mock, "echo-text", wire);
        let (outcome, streamed) = chat(&r, choice);
        let text = outcome.result.unwrap();
        assert_eq!(streamed, text, "{wire:?}");
        assert_eq!(leaks(&text, KEY), Vec::<String>::new(), "{wire:?}: {text}");
        assert!(
            text.contains("the server saw the key [redacted] (it starts [redacted])"),
            "{wire:?}: {text}"
        );
        assert!(
            text.contains("## Verification Plan"),
            "the rest is intact: {text}"
        );
    }
}

#[test]
fn credentials_in_a_base_url_are_redacted_wherever_the_url_is_shown() {
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let base = format!("http://kata-user:{URL_SECRET}@127.0.0.1:{port}/v1");
    let r = registry(&[
        ("OPENAI_API_KEY", KEY.to_owned()),
        ("OPENAI_BASE_URL", base),
        ("KATA_PROVIDER_BACKOFF_MS", "1".to_owned()),
    ]);
    let report = r.report(ProviderChoice::OpenAi);
    assert_eq!(
        report.base_url.as_deref(),
        Some(format!("http://[redacted]@127.0.0.1:{port}/v1").as_str())
    );
    let endpoint = r.endpoint(ProviderChoice::OpenAi, None).unwrap();
    let (outcome, _) = chat(&r, ProviderChoice::OpenAi);
    let e = outcome.result.unwrap_err();
    assert_eq!(e.code(), "unavailable", "{e}");
    let shown = format!(
        "{e} {:?} {r:?} {endpoint:?} {}",
        e,
        serde_json::to_string(&report).unwrap()
    );
    assert!(!shown.contains(URL_SECRET), "{shown}");
    assert!(!shown.contains("kata-user"), "{shown}");
    assert_eq!(leaks(&shown, KEY), Vec::<String>::new(), "{shown}");

    let bad = registry(&[
        ("OPENAI_API_KEY", KEY.to_owned()),
        ("OPENAI_BASE_URL", format!("ftp://u:{URL_SECRET}@host/v1")),
    ]);
    let e = bad.endpoint(ProviderChoice::OpenAi, None).unwrap_err();
    assert_eq!(e.code(), "not_configured");
    assert!(!e.to_string().contains(URL_SECRET), "{e}");
}
