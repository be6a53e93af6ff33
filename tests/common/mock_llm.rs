//! A local mock LLM server speaking the real wire formats: Anthropic Messages SSE and OpenAI Chat
//! Completions SSE, plus both model lists. It runs on 127.0.0.1 (random port) on its own runtime thread, so
//! blocking tests can drive the real binary against it.
//!
//! The scenario is the first path segment after `/s/`: base URLs are `http://ADDR/s/SCENARIO` (Anthropic)
//! and `http://ADDR/s/SCENARIO/v1` (OpenAI kinds). Requests are counted and recorded per scenario;
//! `SCENARIO+TAG` behaves as SCENARIO but is counted and recorded apart. SSE frames
//! are written in small pieces with pauses, so frames (and lines) are split across TCP chunks.
//!
//! Scenarios: `ok` (a six-section draft citing the first excerpt it was sent; task calls get a short
//! report), `nokey` (like `ok`, no key required), `401` (echoes the key it got, to prove it is scrubbed),
//! `429` (Retry-After: 1), `429-long` (Retry-After: 120), `500`, `flaky` (500 once, then ok), `flaky-429`
//! (429 with Retry-After: 0 once, then ok), `hang` (no response for 30 s), `idle` (headers and one event,
//! then silence), `cut` (text, then the stream ends mid-event), `badjson` (an event that is not JSON),
//! `overloaded` (a 200 stream whose only event is an overloaded/server error), `notasks` (a draft without
//! a Tasks section), `echo-error` (a 200 stream whose error event quotes the key and its first 20
//! characters), `echo-text` (like `ok`, but the answer repeats the key and a fragment of it, in 11-character
//! pieces that split them across events).
//!
//! Tool calling: a request that defines `tools` and carries no tool results yet is answered with a tool
//! call of the first defined tool (arguments split into 7-character pieces, so also across SSE events);
//! a request carrying tool results is answered with final text quoting them. Scenarios `multi` (three
//! calls in one turn), `badargs` (arguments that are not valid JSON) and `toolhang` (half a call, then
//! silence) vary the tool turn. Like the real APIs, the mock refuses (HTTP 400) a conversation whose tool
//! results do not answer exactly the calls of the assistant message before them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures::StreamExt as _;
use serde_json::{Value, json};

/// Bytes per TCP write: small enough that every frame is split, mid-line included.
const PIECE: usize = 13;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wire {
    Anthropic,
    OpenAi,
}

/// One request the mock received.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub scenario: String,
    pub path: String,
    pub body: Value,
}

struct Shared {
    key: String,
    counts: Mutex<HashMap<String, u32>>,
    requests: Mutex<Vec<Recorded>>,
}

pub struct MockLlm {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl MockLlm {
    /// Starts the server; `key` is the API key it accepts.
    pub fn start(key: &str) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            key: key.to_owned(),
            counts: Mutex::default(),
            requests: Mutex::default(),
        });
        let app = Router::new()
            .route("/s/{scenario}/v1/messages", post(anthropic_messages))
            .route("/s/{scenario}/v1/chat/completions", post(openai_chat))
            .route("/s/{scenario}/v1/models", get(models))
            .with_state(shared.clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("mock-llm".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                    tokio::select! {
                        _ = stopped => {}
                        r = axum::serve(listener, app) => r.unwrap(),
                    }
                });
                rt.shutdown_background();
            })
            .unwrap();
        Self {
            addr,
            shared,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// The base URL of `scenario` for a wire format (what `*_BASE_URL` is set to).
    pub fn base(&self, scenario: &str, wire: Wire) -> String {
        match wire {
            Wire::Anthropic => format!("http://{}/s/{scenario}", self.addr),
            Wire::OpenAi => format!("http://{}/s/{scenario}/v1", self.addr),
        }
    }

    /// How many requests `scenario` received.
    pub fn count(&self, scenario: &str) -> u32 {
        self.shared
            .counts
            .lock()
            .unwrap()
            .get(scenario)
            .copied()
            .unwrap_or(0)
    }

    /// The requests `scenario` received, in order.
    pub fn requests(&self, scenario: &str) -> Vec<Recorded> {
        self.shared
            .requests
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.scenario == scenario)
            .cloned()
            .collect()
    }
}

impl Drop for MockLlm {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn record(shared: &Shared, scenario: &str, path: &str, body: Value) -> u32 {
    let mut counts = shared.counts.lock().unwrap();
    let n = counts.entry(scenario.to_owned()).or_insert(0);
    *n += 1;
    shared.requests.lock().unwrap().push(Recorded {
        scenario: scenario.to_owned(),
        path: path.to_owned(),
        body,
    });
    *n
}

/// The key the client sent, in the header its wire format uses.
fn sent_key(headers: &HeaderMap, wire: Wire) -> String {
    match wire {
        Wire::Anthropic => headers
            .get("x-api-key")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned(),
        Wire::OpenAi => headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("")
            .to_owned(),
    }
}

fn error_json(wire: Wire, kind: &str, message: &str) -> Value {
    match wire {
        Wire::Anthropic => json!({"type": "error", "error": {"type": kind, "message": message}}),
        Wire::OpenAi => json!({"error": {"message": message, "type": kind, "code": null}}),
    }
}

fn json_response(status: StatusCode, body: Value, extra: &[(&'static str, &str)]) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    for (name, value) in extra {
        response.headers_mut().insert(*name, value.parse().unwrap());
    }
    response
}

/// The user message of a request in either format.
fn user_text(body: &Value) -> String {
    body["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["role"] == "user")
        .filter_map(|m| m["content"].as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first excerpt cited in the request (`[1] \`path:a-b\``), if any.
fn first_citation(user: &str) -> Option<(String, String)> {
    let start = user.find("[1] `")? + 5;
    let rest = user.get(start..)?;
    let cite = rest.get(..rest.find('`')?)?.to_owned();
    let path = cite.rsplit_once(':').map(|(p, _)| p.to_owned())?;
    Some((path, cite))
}

/// The answer text for a request: a spec draft, a draft without tasks, or a task report.
fn answer_for(scenario: &str, body: &Value) -> (String, u64, u64) {
    let user = user_text(body);
    if user.contains("Your task (") {
        let task = user
            .split("Your task (")
            .nth(1)
            .and_then(|r| r.split(',').next())
            .unwrap_or("t?")
            .to_owned();
        return (
            format!(
                "MOCK REPORT for {task}: changed the retry loop and checked it with the tests."
            ),
            20,
            10,
        );
    }
    let (path, cite) =
        first_citation(&user).unwrap_or_else(|| ("src/lib.rs".into(), "src/lib.rs:1-1".into()));
    let tasks = if scenario == "notasks" {
        String::new()
    } else {
        format!(
            "## Tasks\n- [ ] Implement: add retry with backoff to `{path}` ({cite})\n- [ ] Verify: run the client tests (depends on t1)\n\n"
        )
    };
    let draft = format!(
        "# Spec: MOCK retry\n\n## Goal\nMOCK GOAL: retry failed GET requests, see `{cite}`.\n\n{tasks}## Acceptance Criteria\n- A failed GET is retried up to 3 times.\n\n## Non-goals\n- Changing the public API.\n\n## Assumptions\n- `{cite}` is the current client code.\n\n## Verification Plan\n1. Run `cargo test`.\n"
    );
    (draft, 100, 50)
}

/// The name of the `n`th tool a request defines (either format), if any.
fn tool_name(body: &Value, n: usize) -> Option<String> {
    let tools = body["tools"].as_array()?;
    let tool = tools.get(n % tools.len().max(1))?;
    tool["name"]
        .as_str()
        .or_else(|| tool["function"]["name"].as_str())
        .map(str::to_owned)
}

/// The tool results a request carries, in order: (call id, content).
fn tool_results(body: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for m in body["messages"].as_array().into_iter().flatten() {
        if m["role"] == "tool" {
            out.push((
                m["tool_call_id"].as_str().unwrap_or("").to_owned(),
                m["content"].as_str().unwrap_or("").to_owned(),
            ));
        }
        for block in m["content"].as_array().into_iter().flatten() {
            if block["type"] == "tool_result" {
                out.push((
                    block["tool_use_id"].as_str().unwrap_or("").to_owned(),
                    block["content"].as_str().unwrap_or("").to_owned(),
                ));
            }
        }
    }
    out
}

/// The ids of the tool calls in one message (either format).
fn call_ids(message: &Value) -> Vec<String> {
    let openai = message["tool_calls"].as_array().into_iter().flatten();
    let anthropic = message["content"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|b| b["type"] == "tool_use");
    openai
        .chain(anthropic)
        .filter_map(|c| c["id"].as_str().map(str::to_owned))
        .collect()
}

/// The ids a message answers: its `tool_call_id` (OpenAI) or its `tool_result` blocks (Anthropic).
fn answered_ids(message: &Value) -> Vec<String> {
    let mut ids: Vec<String> = message["tool_call_id"]
        .as_str()
        .map(str::to_owned)
        .into_iter()
        .collect();
    ids.extend(
        message["content"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|b| b["type"] == "tool_result")
            .filter_map(|b| b["tool_use_id"].as_str().map(str::to_owned)),
    );
    ids
}

/// Checks, as the real APIs do, that the results after each assistant message with tool calls answer
/// exactly those calls; the error says what is wrong.
fn check_tool_pairing(body: &Value) -> Result<(), String> {
    let messages: Vec<&Value> = body["messages"].as_array().into_iter().flatten().collect();
    let mut expected: Vec<String> = Vec::new();
    for m in messages {
        let answered = answered_ids(m);
        if m["role"] == "assistant" {
            if !expected.is_empty() {
                return Err(format!("tool calls {expected:?} were not answered"));
            }
            expected = call_ids(m);
            continue;
        }
        for id in answered {
            match expected.iter().position(|e| *e == id) {
                Some(at) => {
                    expected.remove(at);
                }
                None => return Err(format!("tool result for unknown call id {id:?}")),
            }
        }
        if m["role"] == "user" && !expected.is_empty() {
            return Err(format!("tool calls {expected:?} were not answered"));
        }
    }
    Ok(())
}

/// The tool calls a tool turn makes: (id, name, argument text).
fn tool_calls_for(scenario: &str, wire: Wire, body: &Value) -> Vec<(String, String, String)> {
    let prefix = match wire {
        Wire::Anthropic => "toolu_mock_",
        Wire::OpenAi => "call_mock_",
    };
    let count = if scenario == "multi" { 3 } else { 1 };
    (0..count)
        .map(|n| {
            let name = tool_name(body, n).unwrap_or_else(|| "read_file".into());
            let args = match scenario {
                "badargs" => r#"{"path": "src/a.rs", "content": "unterminated"#.to_owned(),
                "multi" => json!({"path": format!("file{}.txt", n + 1)}).to_string(),
                _ => json!({"path": "src/a.rs", "note": "split \"across\" chunks ✓"}).to_string(),
            };
            (format!("{prefix}{}", n + 1), name, args)
        })
        .collect()
}

/// The `act` scenario's call after `answered` tool results: read, edit, run; `None` when it is time to report.
fn act_call(wire: Wire, answered: usize) -> Option<(String, String, String)> {
    let prefix = match wire {
        Wire::Anthropic => "toolu_act_",
        Wire::OpenAi => "call_act_",
    };
    let (name, args) = match answered {
        0 => ("read_file", json!({"path": "src/http_client.rs"})),
        1 => (
            "edit_file",
            json!({
                "path": "src/http_client.rs",
                "old_text": "/// A small HTTP client.",
                "new_text": "/// A small HTTP client that retries failed requests."
            }),
        ),
        2 => (
            "run_command",
            json!({"command": "grep -c retries src/http_client.rs"}),
        ),
        _ => return None,
    };
    Some((
        format!("{prefix}{}", answered + 1),
        name.to_owned(),
        args.to_string(),
    ))
}

/// Text in pieces of `size` characters (argument JSON is streamed this way).
fn char_pieces(text: &str, size: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    chars.chunks(size).map(|c| c.iter().collect()).collect()
}

/// The text in pieces of a few words, as a model streams it.
fn text_pieces(text: &str) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    for ch in text.chars() {
        current.push(ch);
        if current.len() >= 18 && (ch == ' ' || ch == '\n') {
            pieces.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        pieces.push(current);
    }
    pieces
}

fn anthropic_frame(kind: &str, data: &Value) -> String {
    format!("event: {kind}\ndata: {data}\n\n")
}

fn anthropic_stream(model: &str, pieces: Vec<String>, input: u64, output: u64) -> Vec<String> {
    let mut frames = vec![
        anthropic_frame(
            "message_start",
            &json!({"type":"message_start","message":{"id":"msg_mock","type":"message","role":"assistant",
                "model": model,"content":[],"stop_reason":null,"usage":{"input_tokens":input,"output_tokens":1}}}),
        ),
        anthropic_frame(
            "content_block_start",
            &json!({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}),
        ),
        anthropic_frame("ping", &json!({"type":"ping"})),
    ];
    for piece in pieces {
        frames.push(anthropic_frame(
            "content_block_delta",
            &json!({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":piece}}),
        ));
    }
    frames.push(anthropic_frame(
        "content_block_stop",
        &json!({"type":"content_block_stop","index":0}),
    ));
    frames.push(anthropic_frame(
        "message_delta",
        &json!({"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":output}}),
    ));
    frames.push(anthropic_frame(
        "message_stop",
        &json!({"type":"message_stop"}),
    ));
    frames
}

fn anthropic_tool_stream(model: &str, calls: &[(String, String, String)]) -> Vec<String> {
    let mut frames = vec![
        anthropic_frame(
            "message_start",
            &json!({"type":"message_start","message":{"id":"msg_mock_tools","type":"message","role":"assistant",
                "model": model,"content":[],"stop_reason":null,"usage":{"input_tokens":30,"output_tokens":1}}}),
        ),
        anthropic_frame(
            "content_block_start",
            &json!({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}),
        ),
        anthropic_frame(
            "content_block_delta",
            &json!({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"I will use the tools."}}),
        ),
        anthropic_frame(
            "content_block_stop",
            &json!({"type":"content_block_stop","index":0}),
        ),
    ];
    for (n, (id, name, args)) in calls.iter().enumerate() {
        let index = n + 1;
        frames.push(anthropic_frame(
            "content_block_start",
            &json!({"type":"content_block_start","index":index,
                "content_block":{"type":"tool_use","id":id,"name":name,"input":{}}}),
        ));
        for piece in std::iter::once(String::new()).chain(char_pieces(args, 7)) {
            frames.push(anthropic_frame(
                "content_block_delta",
                &json!({"type":"content_block_delta","index":index,
                    "delta":{"type":"input_json_delta","partial_json":piece}}),
            ));
        }
        frames.push(anthropic_frame(
            "content_block_stop",
            &json!({"type":"content_block_stop","index":index}),
        ));
    }
    frames.push(anthropic_frame(
        "message_delta",
        &json!({"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":12}}),
    ));
    frames.push(anthropic_frame(
        "message_stop",
        &json!({"type":"message_stop"}),
    ));
    frames
}

fn openai_tool_stream(model: &str, calls: &[(String, String, String)]) -> Vec<String> {
    let chunk = |delta: Value, finish: Value| {
        openai_frame(
            &json!({"id":"chatcmpl-mock-tools","object":"chat.completion.chunk","created":1,"model":model,
            "choices":[{"index":0,"delta":delta,"finish_reason":finish}]}),
        )
    };
    let mut frames = vec![chunk(
        json!({"role":"assistant","content":"I will use the tools."}),
        Value::Null,
    )];
    for (n, (id, name, args)) in calls.iter().enumerate() {
        frames.push(chunk(
            json!({"tool_calls":[{"index":n,"id":id,"type":"function","function":{"name":name,"arguments":""}}]}),
            Value::Null,
        ));
        for piece in char_pieces(args, 7) {
            frames.push(chunk(
                json!({"tool_calls":[{"index":n,"function":{"arguments":piece}}]}),
                Value::Null,
            ));
        }
    }
    frames.push(chunk(json!({}), json!("tool_calls")));
    frames.push(openai_frame(&json!({"id":"chatcmpl-mock-tools","object":"chat.completion.chunk","created":1,
        "model":model,"choices":[],"usage":{"prompt_tokens":30,"completion_tokens":12,"total_tokens":42}})));
    frames.push("data: [DONE]\n\n".to_owned());
    frames
}

fn openai_frame(data: &Value) -> String {
    format!("data: {data}\n\n")
}

fn openai_stream(model: &str, pieces: Vec<String>, input: u64, output: u64) -> Vec<String> {
    let chunk = |delta: Value, finish: Value| {
        openai_frame(
            &json!({"id":"chatcmpl-mock","object":"chat.completion.chunk","created":1,"model":model,
            "choices":[{"index":0,"delta":delta,"finish_reason":finish}]}),
        )
    };
    let mut frames = vec![chunk(json!({"role":"assistant","content":""}), Value::Null)];
    for piece in pieces {
        frames.push(chunk(json!({"content": piece}), Value::Null));
    }
    frames.push(chunk(json!({}), json!("stop")));
    frames.push(openai_frame(&json!({"id":"chatcmpl-mock","object":"chat.completion.chunk","created":1,
        "model":model,"choices":[],"usage":{"prompt_tokens":input,"completion_tokens":output,"total_tokens":input+output}})));
    frames.push("data: [DONE]\n\n".to_owned());
    frames
}

/// Streams `frames` in small pieces with pauses; `then_hang` keeps the connection open and silent after.
fn sse(frames: Vec<String>, then_hang: bool) -> Response {
    let bytes: Vec<u8> = frames.concat().into_bytes();
    let pieces: Vec<Bytes> = bytes.chunks(PIECE).map(Bytes::copy_from_slice).collect();
    let stream = futures::stream::iter(pieces).then(|piece| async move {
        tokio::time::sleep(Duration::from_millis(1)).await;
        Ok::<Bytes, Infallible>(piece)
    });
    let body = if then_hang {
        Body::from_stream(stream.chain(futures::stream::pending()))
    } else {
        Body::from_stream(stream)
    };
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(body)
        .unwrap()
}

async fn respond(
    shared: Arc<Shared>,
    wire: Wire,
    scenario: String,
    path: &str,
    headers: HeaderMap,
    body: Value,
) -> Response {
    let n = record(&shared, &scenario, path, body.clone());
    // `NAME+TAG` behaves as NAME but is counted and recorded apart.
    let scenario = scenario.split('+').next().unwrap_or_default().to_owned();
    let key = sent_key(&headers, wire);
    if wire == Wire::Anthropic && headers.get("anthropic-version").is_none() {
        return json_response(
            StatusCode::BAD_REQUEST,
            error_json(
                wire,
                "invalid_request_error",
                "anthropic-version header is required",
            ),
            &[],
        );
    }
    if scenario == "401" || (scenario != "nokey" && key != shared.key) {
        return json_response(
            StatusCode::UNAUTHORIZED,
            error_json(
                wire,
                "authentication_error",
                &format!("invalid api key: {key}"),
            ),
            &[],
        );
    }
    let model = body["model"].as_str().unwrap_or("").to_owned();
    match scenario.as_str() {
        "429" | "429-long" => {
            let after = if scenario == "429" { "1" } else { "120" };
            return json_response(
                StatusCode::TOO_MANY_REQUESTS,
                error_json(wire, "rate_limit_error", "slow down"),
                &[("retry-after", after)],
            );
        }
        "500" => {
            return json_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                error_json(wire, "api_error", "internal mock failure"),
                &[],
            );
        }
        "flaky-429" if n == 1 => {
            return json_response(
                StatusCode::TOO_MANY_REQUESTS,
                error_json(wire, "rate_limit_error", "slow down once"),
                &[("retry-after", "0")],
            );
        }
        "flaky" if n == 1 => {
            return json_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                error_json(wire, "api_error", "first call fails"),
                &[],
            );
        }
        "hang" => {
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
        _ => {}
    }
    if let Err(why) = check_tool_pairing(&body) {
        return json_response(
            StatusCode::BAD_REQUEST,
            error_json(wire, "invalid_request_error", &why),
            &[],
        );
    }
    let results = tool_results(&body);
    // "act": a specialist that reads a file, edits it, runs a command on it, then reports — one call a
    // turn, its arguments split across chunks like every call here.
    if scenario == "act"
        && body["tools"].as_array().is_some_and(|t| !t.is_empty())
        && let Some(call) = act_call(wire, results.len())
    {
        let frames = match wire {
            Wire::Anthropic => anthropic_tool_stream(&model, &[call]),
            Wire::OpenAi => openai_tool_stream(&model, &[call]),
        };
        return sse(frames, false);
    }
    if body["tools"].as_array().is_some_and(|t| !t.is_empty()) && results.is_empty() {
        let calls = tool_calls_for(&scenario, wire, &body);
        let frames = match wire {
            Wire::Anthropic => anthropic_tool_stream(&model, &calls),
            Wire::OpenAi => openai_tool_stream(&model, &calls),
        };
        if scenario == "toolhang" {
            let keep = frames.len() / 2;
            return sse(frames.into_iter().take(keep).collect(), true);
        }
        return sse(frames, false);
    }
    let (text, input, output) = if results.is_empty() {
        answer_for(&scenario, &body)
    } else {
        let quoted: Vec<String> = results
            .iter()
            .map(|(id, content)| format!("{id}={content}"))
            .collect();
        (
            format!(
                "MOCK FINAL after {} tool result{}: {}",
                results.len(),
                if results.len() == 1 { "" } else { "s" },
                quoted.join("; ")
            ),
            40,
            9,
        )
    };
    let pieces = if scenario == "echo-text" {
        // The answer repeats the key and a fragment of it, in pieces that split them across events.
        let fragment = shared.key.get(..20).unwrap_or(&shared.key);
        let seen = format!(
            "the server saw the key {} (it starts {fragment})",
            shared.key
        );
        let text = if text.contains("\n## Verification Plan") {
            text.replace(
                "\n## Verification Plan",
                &format!("- {seen}.\n\n## Verification Plan"),
            )
        } else {
            format!("{text} Also, {seen}.")
        };
        char_pieces(&text, 11)
    } else {
        text_pieces(&text)
    };
    let mut frames = match wire {
        Wire::Anthropic => anthropic_stream(&model, pieces, input, output),
        Wire::OpenAi => openai_stream(&model, pieces, input, output),
    };
    match scenario.as_str() {
        "idle" => return sse(frames.into_iter().take(1).collect(), true),
        "cut" => {
            // Some text, then half of the next event, then the end of the body.
            let keep = frames.len() / 2;
            let half = frames[keep][..frames[keep].len() / 2].to_owned();
            frames.truncate(keep);
            frames.push(half);
        }
        "badjson" => {
            let bad = match wire {
                Wire::Anthropic => {
                    "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"type\":\"text_\n\n"
                }
                Wire::OpenAi => "data: {\"choices\":[{\"delta\":{\"content\":\"x\"}\n\n",
            };
            frames.insert(1, bad.to_owned());
        }
        "overloaded" => {
            // A 200 stream whose only event is the provider's error, before any text.
            let error = match wire {
                Wire::Anthropic => {
                    "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n"
                }
                Wire::OpenAi => {
                    "data: {\"error\":{\"type\":\"server_error\",\"message\":\"The server is overloaded\"}}\n\n"
                }
            };
            frames = vec![error.to_owned()];
        }
        "echo-error" => {
            // A 200 stream whose error event quotes the key and a fragment of it, as some servers do.
            let fragment = shared.key.get(..20).unwrap_or(&shared.key);
            let message = format!("the key {} was revoked (it starts {fragment}…)", shared.key);
            let error = match wire {
                Wire::Anthropic => format!(
                    "event: error\ndata: {}\n\n",
                    json!({"type":"error","error":{"type":"authentication_error","message":message}})
                ),
                Wire::OpenAi => format!(
                    "data: {}\n\n",
                    json!({"error":{"type":"invalid_api_key","message":message,"code":"invalid_api_key"}})
                ),
            };
            frames = vec![error];
        }
        _ => {}
    }
    sse(frames, false)
}

async fn anthropic_messages(
    State(shared): State<Arc<Shared>>,
    Path(scenario): Path<String>,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    respond(
        shared,
        Wire::Anthropic,
        scenario,
        "/v1/messages",
        headers,
        body,
    )
    .await
}

async fn openai_chat(
    State(shared): State<Arc<Shared>>,
    Path(scenario): Path<String>,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    respond(
        shared,
        Wire::OpenAi,
        scenario,
        "/v1/chat/completions",
        headers,
        body,
    )
    .await
}

async fn models(
    State(shared): State<Arc<Shared>>,
    Path(scenario): Path<String>,
    headers: HeaderMap,
) -> Response {
    let wire = if headers.contains_key("anthropic-version") {
        Wire::Anthropic
    } else {
        Wire::OpenAi
    };
    record(&shared, &scenario, "/v1/models", Value::Null);
    if scenario != "nokey" && sent_key(&headers, wire) != shared.key {
        return json_response(
            StatusCode::UNAUTHORIZED,
            error_json(wire, "authentication_error", "bad key"),
            &[],
        );
    }
    let body = match wire {
        Wire::Anthropic => json!({"data":[
            {"type":"model","id":"claude-sonnet-4-5","display_name":"Claude Sonnet 4.5","created_at":"2025-09-29T00:00:00Z"},
            {"type":"model","id":"claude-haiku-4-5","display_name":"Claude Haiku 4.5","created_at":"2025-10-01T00:00:00Z"}],
            "has_more":false,"first_id":"claude-sonnet-4-5","last_id":"claude-haiku-4-5"}),
        Wire::OpenAi => json!({"object":"list","data":[
            {"id":"gpt-4.1","object":"model","created":1,"owned_by":"openai"},
            {"id":"llama3.2","object":"model","created":2,"owned_by":"library"}]}),
    };
    json_response(StatusCode::OK, body, &[])
}
