//! The Anthropic Messages API wire format: the streaming request and its server-sent events.
//!
//! A stream is `message_start` (input tokens), content blocks — `text` blocks whose `content_block_delta`
//! events carry `text_delta`s, `tool_use` blocks (id and name in `content_block_start`) whose deltas carry
//! `input_json_delta.partial_json` pieces of the call's arguments — then `message_delta` (output tokens,
//! stop reason) and `message_stop`; `ping` may come at any time. A stream that ends before `message_stop`
//! or an event that is not JSON is a [`ProviderError::Protocol`]: the answer is incomplete and must not be
//! used. An `error` event keeps the provider's error type (overloaded → `server`, rate limit →
//! `rate_limited`, ...; see [`stream_error`]).
//!
//! In requests, tool calls are `tool_use` blocks of the assistant message and their results `tool_result`
//! blocks of the next user message (consecutive results share one user message, as the API requires).

use eventsource_stream::Event;
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Map, Value, json};

use super::error_event::stream_error;
use super::format::{ChatRequest, StreamDecoder, StreamSummary, WireFormat, protocol};
use super::tool_calls::ToolCallBuilder;
use crate::provider::conversation::{Message, StopReason, TurnRequest};
use crate::provider::credentials::ApiKey;
use crate::provider::error::ProviderError;
use crate::provider::tool::{ToolArguments, ToolCall, ToolResult};

/// The `anthropic-version` header value this client speaks.
pub const API_VERSION: &str = "2023-06-01";

/// The Messages API: `POST /v1/messages`, the key in `x-api-key`.
#[derive(Clone, Copy, Debug, Default)]
pub struct AnthropicMessages;

impl WireFormat for AnthropicMessages {
    fn chat_path(&self) -> &'static str {
        "/v1/messages"
    }

    fn models_path(&self) -> &'static str {
        "/v1/models"
    }

    fn headers(&self, key: Option<&ApiKey>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("anthropic-version", HeaderValue::from_static(API_VERSION));
        if let Some(mut value) = key.and_then(|k| HeaderValue::from_str(k.expose()).ok()) {
            value.set_sensitive(true);
            headers.insert("x-api-key", value);
        }
        headers
    }

    fn request_body(&self, model: &str, request: &TurnRequest) -> Value {
        turn_body(model, request)
    }

    fn decoder(&self) -> Box<dyn StreamDecoder> {
        Box::new(Decoder::default())
    }
}

/// The JSON body of a streaming Messages request for a one-message conversation.
pub fn request_body(model: &str, request: &ChatRequest<'_>) -> Value {
    turn_body(model, &request.to_turn())
}

/// The JSON body of a streaming Messages request; `tools` only when there are some.
pub fn turn_body(model: &str, request: &TurnRequest) -> Value {
    let mut body = json!({
        "model": model,
        "max_tokens": request.max_tokens,
        "stream": true,
        "system": request.system,
        "messages": messages(&request.messages),
    });
    if !request.tools.is_empty() {
        body["tools"] = request
            .tools
            .iter()
            .map(|t| json!({"name": t.name, "description": t.description, "input_schema": t.input_schema}))
            .collect();
    }
    body
}

/// The conversation as Messages API messages: plain user text stays a string; tool results (and text after
/// them) join one user message of content blocks.
fn messages(conversation: &[Message]) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for message in conversation {
        match message {
            Message::User { text } => {
                let block = json!({"type": "text", "text": text});
                if !push_to_open_user_blocks(&mut out, block) {
                    out.push(json!({"role": "user", "content": text}));
                }
            }
            Message::Assistant { text, tool_calls } => {
                out.push(assistant_message(text, tool_calls));
            }
            Message::ToolResult(result) => {
                let block = tool_result_block(result);
                if !push_to_open_user_blocks(&mut out, block.clone()) {
                    out.push(json!({"role": "user", "content": [block]}));
                }
            }
        }
    }
    out
}

/// Adds `block` to the last message when it is a user message of blocks; says whether it did.
fn push_to_open_user_blocks(out: &mut [Value], block: Value) -> bool {
    let Some(last) = out.last_mut() else {
        return false;
    };
    if last["role"] != "user" {
        return false;
    }
    match last.get_mut("content").and_then(Value::as_array_mut) {
        Some(blocks) => {
            blocks.push(block);
            true
        }
        None => false,
    }
}

fn assistant_message(text: &str, tool_calls: &[ToolCall]) -> Value {
    if tool_calls.is_empty() {
        return json!({"role": "assistant", "content": text});
    }
    let mut blocks = Vec::new();
    if !text.is_empty() {
        blocks.push(json!({"type": "text", "text": text}));
    }
    for call in tool_calls {
        // The API takes only an object as input; a malformed call is sent as `{}` and its result says why.
        let input = match &call.arguments {
            ToolArguments::Json { value } => value.clone(),
            ToolArguments::Malformed { .. } => Value::Object(Map::new()),
        };
        blocks.push(json!({"type": "tool_use", "id": call.id, "name": call.name, "input": input}));
    }
    json!({"role": "assistant", "content": blocks})
}

fn tool_result_block(result: &ToolResult) -> Value {
    let mut block = json!({
        "type": "tool_result",
        "tool_use_id": result.call_id,
        "content": result.content,
    });
    if result.is_error {
        block["is_error"] = Value::Bool(true);
    }
    block
}

/// Folds the events of one streamed answer.
#[derive(Debug, Default)]
pub struct Decoder {
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    pub stop_reason: Option<String>,
    stopped: bool,
    calls: ToolCallBuilder,
}

impl StreamDecoder for Decoder {
    fn on_event(&mut self, event: &Event) -> Result<Option<String>, ProviderError> {
        if self.stopped {
            return Ok(None);
        }
        let data = event.data.trim();
        if data.is_empty() {
            return Ok(None);
        }
        let value: Value = serde_json::from_str(data).map_err(|e| {
            protocol(format!(
                "the anthropic stream sent a `{}` event that is not valid JSON ({e})",
                event.event
            ))
        })?;
        let kind = value
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or(event.event.as_str());
        match kind {
            "message_start" => {
                let usage = value.pointer("/message/usage");
                self.read_usage(usage);
                Ok(None)
            }
            "content_block_start" => Ok(self.block_start(&value)),
            "content_block_delta" => self.block_delta(&value),
            "message_delta" => {
                self.read_usage(value.get("usage"));
                if let Some(reason) = value.pointer("/delta/stop_reason").and_then(Value::as_str) {
                    self.stop_reason = Some(reason.to_owned());
                }
                Ok(None)
            }
            "message_stop" => {
                self.stopped = true;
                Ok(None)
            }
            "error" => Err(stream_error("anthropic", &value)),
            // ping, content_block_stop and event types added later.
            _ => Ok(None),
        }
    }

    fn is_done(&self) -> bool {
        self.stopped
    }

    fn finish(&mut self) -> Result<StreamSummary, ProviderError> {
        if !self.stopped {
            return Err(protocol(
                "the anthropic stream ended before `message_stop`: the answer was cut off"
                    .to_owned(),
            ));
        }
        let tool_calls = self.calls.finish();
        let max_tokens = self.stop_reason.as_deref() == Some("max_tokens");
        Ok(StreamSummary {
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens,
            stop_reason: StopReason::of_turn(max_tokens, !tool_calls.is_empty()),
            tool_calls,
        })
    }
}

impl Decoder {
    fn read_usage(&mut self, usage: Option<&Value>) {
        let Some(usage) = usage else { return };
        if let Some(n) = usage.get("input_tokens").and_then(Value::as_u64) {
            self.input_tokens = Some(n);
        }
        if let Some(n) = usage.get("output_tokens").and_then(Value::as_u64) {
            self.output_tokens = Some(n);
        }
    }

    /// A `tool_use` block opens a call (id, name; an input already given in full is kept as its
    /// arguments unless deltas follow); a `text` block may carry initial text.
    fn block_start(&mut self, value: &Value) -> Option<String> {
        let index = value.get("index").and_then(Value::as_u64).unwrap_or(0);
        let block = value.get("content_block")?;
        match block.get("type").and_then(Value::as_str) {
            Some("tool_use") => {
                let str_of = |k: &str| block.get(k).and_then(Value::as_str);
                self.calls.identify(index, str_of("id"), str_of("name"));
                if let Some(input) = block
                    .get("input")
                    .filter(|i| i.as_object().is_some_and(|o| !o.is_empty()))
                {
                    self.calls.preset(index, input.to_string());
                }
                None
            }
            Some("text") => block
                .get("text")
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
                .map(str::to_owned),
            _ => None,
        }
    }

    /// Text deltas are returned; argument pieces are added to their call; other deltas (thinking,
    /// signatures) are skipped.
    fn block_delta(&mut self, value: &Value) -> Result<Option<String>, ProviderError> {
        let delta = value.get("delta");
        let kind = delta
            .and_then(|d| d.get("type"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        match kind {
            "text_delta" => delta
                .and_then(|d| d.get("text"))
                .and_then(Value::as_str)
                .map(|t| Some(t.to_owned()))
                .ok_or_else(|| {
                    protocol("the anthropic stream sent a text_delta without text".to_owned())
                }),
            "input_json_delta" => {
                let index = value.get("index").and_then(Value::as_u64).unwrap_or(0);
                let piece = delta
                    .and_then(|d| d.get("partial_json"))
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                self.calls.append("anthropic", index, piece)?;
                Ok(None)
            }
            _ => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(name: &str, data: &str) -> Event {
        Event {
            event: name.into(),
            data: data.into(),
            id: String::new(),
            retry: None,
        }
    }

    fn typed(kind: &str, data: &str) -> Event {
        ev(kind, data)
    }

    #[test]
    fn full_stream_gives_text_and_usage() {
        let mut d = Decoder::default();
        let events = [
            typed(
                "message_start",
                r#"{"type":"message_start","message":{"id":"m","usage":{"input_tokens":25,"output_tokens":1}}}"#,
            ),
            typed(
                "content_block_start",
                r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
            ),
            typed("ping", r#"{"type": "ping"}"#),
            typed(
                "content_block_delta",
                r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"\u0023\u0023 Go"}}"#,
            ),
            typed(
                "content_block_delta",
                r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"al\n"}}"#,
            ),
            typed(
                "content_block_stop",
                r#"{"type":"content_block_stop","index":0}"#,
            ),
            typed(
                "message_delta",
                r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":15}}"#,
            ),
        ];
        let mut text = String::new();
        for e in &events {
            if let Some(t) = d.on_event(e).unwrap() {
                text.push_str(&t);
            }
        }
        assert!(!d.is_done());
        assert_eq!(d.finish().unwrap_err().code(), "protocol");
        d.on_event(&typed("message_stop", r#"{"type":"message_stop"}"#))
            .unwrap();
        assert!(d.is_done());
        d.finish().unwrap();
        assert_eq!(text, "## Goal\n");
        assert_eq!(
            (d.input_tokens, d.output_tokens, d.stop_reason.as_deref()),
            (Some(25), Some(15), Some("end_turn"))
        );
    }

    #[test]
    fn invalid_json_and_unknown_error_events_are_protocol_errors() {
        let mut d = Decoder::default();
        let e = d
            .on_event(&typed("content_block_delta", "{\"type\":\"content_bl"))
            .unwrap_err();
        assert_eq!(e.code(), "protocol");
        assert!(e.to_string().contains("not valid JSON"), "{e}");
        let e = d
            .on_event(&typed(
                "error",
                r#"{"type":"error","error":{"type":"mystery_error","message":"Odd"}}"#,
            ))
            .unwrap_err();
        assert_eq!(e.code(), "protocol");
        assert_eq!(
            e.to_string(),
            "the anthropic stream reported an error: mystery_error: Odd"
        );
    }

    #[test]
    fn error_events_keep_the_provider_error_type() {
        for (kind, code) in [
            ("overloaded_error", "server"),
            ("api_error", "server"),
            ("rate_limit_error", "rate_limited"),
            ("authentication_error", "auth"),
            ("invalid_request_error", "invalid_request"),
        ] {
            let mut d = Decoder::default();
            let data = format!(r#"{{"type":"error","error":{{"type":"{kind}","message":"m"}}}}"#);
            let e = d.on_event(&typed("error", &data)).unwrap_err();
            assert_eq!(e.code(), code, "{kind}");
            assert!(e.to_string().contains(kind), "{e}");
        }
    }

    #[test]
    fn non_text_deltas_are_skipped() {
        let mut d = Decoder::default();
        let got = d
            .on_event(&typed(
                "content_block_delta",
                r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{"}}"#,
            ))
            .unwrap();
        assert_eq!(got, None);
    }

    #[test]
    fn request_streams_with_system_and_user() {
        let body = request_body(
            "claude-sonnet-4-5",
            &ChatRequest {
                system: "sys",
                user: "hi",
                max_tokens: 100,
            },
        );
        assert_eq!(
            body,
            json!({"model":"claude-sonnet-4-5","max_tokens":100,"stream":true,"system":"sys",
                   "messages":[{"role":"user","content":"hi"}]})
        );
    }

    fn decode(d: &mut Decoder, events: &[(&str, serde_json::Value)]) -> String {
        let mut text = String::new();
        for (kind, data) in events {
            if let Some(t) = d.on_event(&typed(kind, &data.to_string())).unwrap() {
                text.push_str(&t);
            }
        }
        text
    }

    #[test]
    fn tool_use_blocks_assemble_arguments_split_across_deltas() {
        let mut d = Decoder::default();
        let piece = |index: u64, json: &str| {
            (
                "content_block_delta",
                json!({"type":"content_block_delta","index":index,
                       "delta":{"type":"input_json_delta","partial_json":json}}),
            )
        };
        let text = decode(
            &mut d,
            &[
                (
                    "message_start",
                    json!({"type":"message_start","message":{"usage":{"input_tokens":9}}}),
                ),
                (
                    "content_block_start",
                    json!({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}),
                ),
                (
                    "content_block_delta",
                    json!({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Reading."}}),
                ),
                (
                    "content_block_stop",
                    json!({"type":"content_block_stop","index":0}),
                ),
                (
                    "content_block_start",
                    json!({"type":"content_block_start","index":1,
                    "content_block":{"type":"tool_use","id":"toolu_1","name":"read_file","input":{}}}),
                ),
                piece(1, ""),
                piece(1, "{\"pa"),
                piece(1, "th\": \"src/a"),
                piece(1, ".rs\"}"),
                (
                    "content_block_stop",
                    json!({"type":"content_block_stop","index":1}),
                ),
                (
                    "content_block_start",
                    json!({"type":"content_block_start","index":2,
                    "content_block":{"type":"tool_use","id":"toolu_2","name":"list_files","input":{}}}),
                ),
                (
                    "content_block_stop",
                    json!({"type":"content_block_stop","index":2}),
                ),
                (
                    "content_block_start",
                    json!({"type":"content_block_start","index":3,
                    "content_block":{"type":"tool_use","id":"toolu_3","name":"write_file","input":{}}}),
                ),
                piece(3, "{\"path\": \"b"),
                (
                    "content_block_stop",
                    json!({"type":"content_block_stop","index":3}),
                ),
                (
                    "message_delta",
                    json!({"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":30}}),
                ),
                ("message_stop", json!({"type":"message_stop"})),
            ],
        );
        assert_eq!(text, "Reading.");
        let summary = d.finish().unwrap();
        assert_eq!(summary.stop_reason, StopReason::ToolUse);
        assert_eq!(
            (summary.input_tokens, summary.output_tokens),
            (Some(9), Some(30))
        );
        let calls = summary.tool_calls;
        let ids: Vec<&str> = calls.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["toolu_1", "toolu_2", "toolu_3"]);
        assert_eq!(calls[0].name, "read_file");
        assert_eq!(calls[0].input().unwrap(), &json!({"path": "src/a.rs"}));
        assert_eq!(calls[1].input().unwrap(), &json!({}));
        let ToolArguments::Malformed { raw, .. } = &calls[2].arguments else {
            panic!("{:?}", calls[2]);
        };
        assert_eq!(raw, "{\"path\": \"b");
    }

    #[test]
    fn max_tokens_is_reported_even_with_a_cut_off_call() {
        let mut d = Decoder::default();
        decode(
            &mut d,
            &[
                (
                    "content_block_start",
                    json!({"type":"content_block_start","index":0,
                    "content_block":{"type":"tool_use","id":"t","name":"write_file","input":{}}}),
                ),
                (
                    "content_block_delta",
                    json!({"type":"content_block_delta","index":0,
                    "delta":{"type":"input_json_delta","partial_json":"{\"content\": \"lo"}}),
                ),
                (
                    "message_delta",
                    json!({"type":"message_delta","delta":{"stop_reason":"max_tokens"}}),
                ),
                ("message_stop", json!({"type":"message_stop"})),
            ],
        );
        let summary = d.finish().unwrap();
        assert_eq!(summary.stop_reason, StopReason::MaxTokens);
        assert!(summary.tool_calls[0].input().is_err());
    }

    #[test]
    fn conversations_carry_tool_use_and_grouped_tool_results() {
        use crate::provider::tool::ToolDefinition;
        let call = |id: &str, args: &str| ToolCall {
            id: id.into(),
            name: "read_file".into(),
            arguments: ToolArguments::parse(args),
        };
        let result = |id: &str, is_error: bool| {
            Message::ToolResult(ToolResult {
                call_id: id.into(),
                content: format!("out {id}"),
                is_error,
            })
        };
        let request = TurnRequest {
            system: "sys".into(),
            messages: vec![
                Message::User { text: "go".into() },
                Message::Assistant {
                    text: "Looking.".into(),
                    tool_calls: vec![call("a", r#"{"path":"x"}"#), call("b", "{bad")],
                },
                result("a", false),
                result("b", true),
                Message::User {
                    text: "and?".into(),
                },
                Message::Assistant {
                    text: "Done.".into(),
                    tool_calls: vec![],
                },
            ],
            tools: vec![ToolDefinition {
                name: "read_file".into(),
                description: "Reads a file.".into(),
                input_schema: json!({"type":"object","properties":{"path":{"type":"string"}}}),
            }],
            max_tokens: 500,
            scope: None,
        };
        let body = AnthropicMessages.request_body("m", &request);
        assert_eq!(
            body["messages"],
            json!([
                {"role":"user","content":"go"},
                {"role":"assistant","content":[
                    {"type":"text","text":"Looking."},
                    {"type":"tool_use","id":"a","name":"read_file","input":{"path":"x"}},
                    {"type":"tool_use","id":"b","name":"read_file","input":{}}]},
                {"role":"user","content":[
                    {"type":"tool_result","tool_use_id":"a","content":"out a"},
                    {"type":"tool_result","tool_use_id":"b","content":"out b","is_error":true},
                    {"type":"text","text":"and?"}]},
                {"role":"assistant","content":"Done."}
            ])
        );
        assert_eq!(
            body["tools"],
            json!([{"name":"read_file","description":"Reads a file.",
                    "input_schema":{"type":"object","properties":{"path":{"type":"string"}}}}])
        );
        assert_eq!(body["max_tokens"], json!(500));
        assert!(
            request_body(
                "m",
                &ChatRequest {
                    system: "s",
                    user: "u",
                    max_tokens: 1
                }
            )
            .get("tools")
            .is_none()
        );
    }
}
