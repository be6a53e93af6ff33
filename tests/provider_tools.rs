//! Tool calling against the mock server, in process, for both wire formats: a two-turn exchange (tool call,
//! then final text) with arguments split across SSE events, malformed arguments, several calls in one
//! turn, cancellation mid-stream, and 429/500 retried. The mock records every request, so the second
//! request is checked for the tool definitions, the assistant's calls and the results.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

#[path = "common/mock_llm.rs"]
mod mock_llm;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kata_cloud::provider::registry::{ProviderRegistry, ProviderSettings};
use kata_cloud::provider::{
    AssistantTurn, ChatModel, DeltaSink, Message, ProviderError, StopReason, ToolArguments,
    ToolDefinition, ToolResult, TurnRequest,
};
use mock_llm::{MockLlm, Wire};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

const KEY: &str = "sk-tools-test-key";
const WIRES: [Wire; 2] = [Wire::Anthropic, Wire::OpenAi];

fn model(mock: &MockLlm, scenario: &str, wire: Wire, timeout_ms: u64) -> Arc<dyn ChatModel> {
    let (provider, key_var, base_var) = match wire {
        Wire::Anthropic => ("anthropic", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"),
        Wire::OpenAi => ("openai", "OPENAI_API_KEY", "OPENAI_BASE_URL"),
    };
    let vars: HashMap<String, String> = [
        (key_var, KEY.to_owned()),
        (base_var, mock.base(scenario, wire)),
        ("KATA_PROVIDER_TIMEOUT_MS", timeout_ms.to_string()),
        ("KATA_PROVIDER_BACKOFF_MS", "5".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let registry = ProviderRegistry::new(ProviderSettings::from_vars(|n| vars.get(n).cloned()));
    registry.chat_model(Some(provider), None).unwrap()
}

fn tools() -> Vec<ToolDefinition> {
    vec![
        ToolDefinition {
            name: "read_file".into(),
            description: "Reads a file of the worktree.".into(),
            input_schema: json!({"type":"object","properties":{"path":{"type":"string"}},"required":["path"]}),
        },
        ToolDefinition {
            name: "run_command".into(),
            description: "Runs a command in the worktree.".into(),
            input_schema: json!({"type":"object","properties":{"command":{"type":"string"}}}),
        },
    ]
}

fn first_request() -> TurnRequest {
    TurnRequest {
        system: "You are the implementor.".into(),
        messages: vec![Message::User {
            text: "Fix the bug in src/a.rs.".into(),
        }],
        tools: tools(),
        max_tokens: 1024,
        scope: None,
    }
}

/// One turn; returns it and the text the sink received.
fn respond(
    model: &dyn ChatModel,
    request: &TurnRequest,
    cancel: &CancellationToken,
) -> (Result<AssistantTurn, ProviderError>, String) {
    let seen: Arc<Mutex<String>> = Arc::default();
    let s = seen.clone();
    let sink: DeltaSink = Arc::new(move |t: &str| s.lock().unwrap().push_str(t));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let turn = runtime.block_on(model.respond(request, sink, cancel));
    let text = seen.lock().unwrap().clone();
    (turn, text)
}

/// The conversation after `turn`, with one result per call (`is_error` for malformed arguments).
fn answer(mut request: TurnRequest, turn: &AssistantTurn) -> TurnRequest {
    request.messages.push(turn.to_message());
    for call in &turn.tool_calls {
        let (content, is_error) = match call.input() {
            Ok(input) => (
                format!("contents of {}", input["path"].as_str().unwrap()),
                false,
            ),
            Err(e) => (e, true),
        };
        request.messages.push(Message::ToolResult(ToolResult {
            call_id: call.id.clone(),
            content,
            is_error,
        }));
    }
    request
}

fn scenario(name: &str, wire: Wire) -> String {
    // One scenario per wire, so the recorded requests of each stay apart.
    format!("{name}+{}", if wire == Wire::Anthropic { "a" } else { "o" })
}

#[test]
fn a_tool_call_then_final_text_in_two_turns() {
    let mock = MockLlm::start(KEY);
    for wire in WIRES {
        let name = scenario("ok", wire);
        let m = model(&mock, &name, wire, 5_000);
        let request = first_request();
        let (turn, streamed) = respond(&*m, &request, &CancellationToken::new());
        let turn = turn.unwrap();
        assert_eq!(turn.stop_reason, StopReason::ToolUse, "{wire:?}");
        assert_eq!(turn.text, "I will use the tools.");
        assert_eq!(streamed, turn.text);
        assert_eq!(turn.tool_calls.len(), 1);
        let call = &turn.tool_calls[0];
        assert_eq!(call.name, "read_file");
        assert_eq!(
            call.input().unwrap(),
            &json!({"path": "src/a.rs", "note": "split \"across\" chunks ✓"})
        );
        assert_eq!(
            (turn.usage.input_tokens, turn.usage.output_tokens),
            (Some(30), Some(12))
        );

        let second = answer(request, &turn);
        let (final_turn, _) = respond(&*m, &second, &CancellationToken::new());
        let final_turn = final_turn.unwrap();
        assert_eq!(final_turn.stop_reason, StopReason::EndTurn);
        assert!(final_turn.tool_calls.is_empty());
        assert_eq!(
            final_turn.text,
            format!(
                "MOCK FINAL after 1 tool result: {}=contents of src/a.rs",
                call.id
            )
        );

        let sent = mock.requests(&name);
        assert_eq!(sent.len(), 2);
        assert_sent_tools(&sent[1].body, wire);
        assert_sent_call_and_result(&sent[1].body, wire, &call.id);
    }
}

/// The request defines both tools in its format's shape.
fn assert_sent_tools(body: &Value, wire: Wire) {
    let names: Vec<&str> = body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| match wire {
            Wire::Anthropic => {
                assert_eq!(t["input_schema"]["type"], "object");
                t["name"].as_str().unwrap()
            }
            Wire::OpenAi => {
                assert_eq!(t["type"], "function");
                assert_eq!(t["function"]["parameters"]["type"], "object");
                t["function"]["name"].as_str().unwrap()
            }
        })
        .collect();
    assert_eq!(names, ["read_file", "run_command"]);
}

/// The request carries the assistant's call and its result, tied by `id`.
fn assert_sent_call_and_result(body: &Value, wire: Wire, id: &str) {
    let messages = body["messages"].as_array().unwrap();
    match wire {
        Wire::Anthropic => {
            assert_eq!(messages.len(), 3);
            let assistant = &messages[1];
            assert_eq!(assistant["role"], "assistant");
            let tool_use = &assistant["content"][1];
            assert_eq!(tool_use["type"], "tool_use");
            assert_eq!(tool_use["id"], id);
            assert_eq!(tool_use["input"]["path"], "src/a.rs");
            let result = &messages[2]["content"][0];
            assert_eq!(messages[2]["role"], "user");
            assert_eq!(result["type"], "tool_result");
            assert_eq!(result["tool_use_id"], id);
            assert_eq!(result["content"], "contents of src/a.rs");
        }
        Wire::OpenAi => {
            assert_eq!(messages.len(), 4);
            let assistant = &messages[2];
            assert_eq!(assistant["role"], "assistant");
            let call = &assistant["tool_calls"][0];
            assert_eq!(call["id"], id);
            assert_eq!(call["function"]["name"], "read_file");
            let args: Value =
                serde_json::from_str(call["function"]["arguments"].as_str().unwrap()).unwrap();
            assert_eq!(args["path"], "src/a.rs");
            assert_eq!(messages[3]["role"], "tool");
            assert_eq!(messages[3]["tool_call_id"], id);
            assert_eq!(messages[3]["content"], "contents of src/a.rs");
        }
    }
}

#[test]
fn malformed_arguments_are_reported_and_answered_as_a_tool_error() {
    let mock = MockLlm::start(KEY);
    for wire in WIRES {
        let name = scenario("badargs", wire);
        let m = model(&mock, &name, wire, 5_000);
        let request = first_request();
        let turn = respond(&*m, &request, &CancellationToken::new()).0.unwrap();
        assert_eq!(turn.stop_reason, StopReason::ToolUse);
        let ToolArguments::Malformed { raw, error } = &turn.tool_calls[0].arguments else {
            panic!("{wire:?}: {:?}", turn.tool_calls[0]);
        };
        assert_eq!(raw, r#"{"path": "src/a.rs", "content": "unterminated"#);
        assert!(error.contains("EOF"), "{error}");

        let second = answer(request, &turn);
        let final_turn = respond(&*m, &second, &CancellationToken::new()).0.unwrap();
        assert_eq!(final_turn.stop_reason, StopReason::EndTurn);
        let sent = mock.requests(&name);
        let body = &sent[1].body;
        match wire {
            Wire::Anthropic => {
                assert_eq!(body["messages"][1]["content"][1]["input"], json!({}));
                assert_eq!(body["messages"][2]["content"][0]["is_error"], true);
            }
            Wire::OpenAi => {
                assert_eq!(
                    body["messages"][2]["tool_calls"][0]["function"]["arguments"],
                    json!(raw)
                );
                let content = body["messages"][3]["content"].as_str().unwrap();
                assert!(
                    content
                        .starts_with("Error: the arguments of `read_file` are not a JSON object"),
                    "{content}"
                );
            }
        }
    }
}

#[test]
fn several_calls_in_one_turn_are_kept_apart_and_answered_together() {
    let mock = MockLlm::start(KEY);
    for wire in WIRES {
        let name = scenario("multi", wire);
        let m = model(&mock, &name, wire, 5_000);
        let request = first_request();
        let turn = respond(&*m, &request, &CancellationToken::new()).0.unwrap();
        let got: Vec<(String, String)> = turn
            .tool_calls
            .iter()
            .map(|c| {
                (
                    c.name.clone(),
                    c.input().unwrap()["path"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("read_file".to_owned(), "file1.txt".to_owned()),
                ("run_command".to_owned(), "file2.txt".to_owned()),
                ("read_file".to_owned(), "file3.txt".to_owned()),
            ],
            "{wire:?}"
        );
        let ids: Vec<&str> = turn.tool_calls.iter().map(|c| c.id.as_str()).collect();
        let second = answer(request, &turn);
        let final_turn = respond(&*m, &second, &CancellationToken::new()).0.unwrap();
        assert!(
            final_turn
                .text
                .starts_with("MOCK FINAL after 3 tool results: "),
            "{}",
            final_turn.text
        );
        for id in ids {
            assert!(final_turn.text.contains(&format!("{id}=contents of file")));
        }
    }
}

#[test]
fn unanswered_calls_are_refused_as_the_real_apis_do() {
    let mock = MockLlm::start(KEY);
    for wire in WIRES {
        let name = scenario("ok", wire);
        let m = model(&mock, &name, wire, 5_000);
        let request = first_request();
        let turn = respond(&*m, &request, &CancellationToken::new()).0.unwrap();
        let mut second = request;
        second.messages.push(turn.to_message());
        second.messages.push(Message::User {
            text: "no results".into(),
        });
        let e = respond(&*m, &second, &CancellationToken::new())
            .0
            .unwrap_err();
        assert_eq!(e.code(), "invalid_request", "{wire:?}: {e}");
        assert!(e.to_string().contains("were not answered"), "{e}");
    }
}

#[test]
fn cancel_stops_a_tool_call_mid_stream() {
    let mock = MockLlm::start(KEY);
    for wire in WIRES {
        let name = scenario("toolhang", wire);
        let m = model(&mock, &name, wire, 20_000);
        let cancel = CancellationToken::new();
        let c = cancel.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(400));
            c.cancel();
        });
        let started = Instant::now();
        let (turn, streamed) = respond(&*m, &first_request(), &cancel);
        assert_eq!(turn.unwrap_err(), ProviderError::Cancelled, "{wire:?}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        // The call's start arrived before the cancel; nothing was retried.
        assert_eq!(streamed, "I will use the tools.");
        assert_eq!(mock.count(&name), 1);
    }
}

#[test]
fn rate_limits_and_server_errors_are_retried_before_the_tool_turn() {
    let mock = MockLlm::start(KEY);
    for wire in WIRES {
        for failing in ["flaky", "flaky-429"] {
            let name = scenario(failing, wire);
            let m = model(&mock, &name, wire, 5_000);
            let turn = respond(&*m, &first_request(), &CancellationToken::new())
                .0
                .unwrap();
            assert_eq!(turn.stop_reason, StopReason::ToolUse, "{wire:?} {failing}");
            assert_eq!(turn.usage.retries, 1, "{wire:?} {failing}");
            assert_eq!(mock.count(&name), 2);
            assert_eq!(m.take_failed_usage().retries, 0);
        }
        let m = model(&mock, "500", wire, 5_000);
        let e = respond(&*m, &first_request(), &CancellationToken::new())
            .0
            .unwrap_err();
        assert_eq!(e.code(), "server");
        assert!(e.to_string().ends_with("(gave up after 3 retries)"), "{e}");
        assert_eq!(m.take_failed_usage().retries, 3);
        assert_eq!(m.take_failed_usage().retries, 0);
    }
}
