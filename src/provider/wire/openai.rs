//! The OpenAI Chat Completions wire format (also spoken by OpenAI-compatible servers such as Ollama and
//! vLLM): the streaming request and its `data:` chunks.
//!
//! Each chunk carries `choices[0].delta`: `content` text, and `tool_calls` pieces `{index, id?, function:
//! {name?, arguments?}}` whose `arguments` strings join into each call's JSON (several calls in one answer
//! are told apart by `index`). The last choice chunk has a `finish_reason` (`stop`, `tool_calls`,
//! `length`); with `stream_options.include_usage` a final chunk with empty `choices` carries `usage`; then
//! `data: [DONE]`. A stream that ends before `[DONE]` or a `finish_reason`, a chunk that is not JSON, or an
//! `error` chunk is a [`ProviderError::Protocol`] (an error chunk keeps its type where it has one).
//!
//! In requests, tool calls are the assistant message's `tool_calls` and each result a `role: tool` message
//! with its `tool_call_id`. The format has no error flag for a result, so a failed one is sent as
//! `Error: ...`.

use eventsource_stream::Event;
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Value, json};

use super::error_event::stream_error;
use super::format::{ChatRequest, StreamDecoder, StreamSummary, WireFormat, protocol};
use super::tool_calls::ToolCallBuilder;
use crate::provider::conversation::{Message, StopReason, TurnRequest};
use crate::provider::credentials::ApiKey;
use crate::provider::error::ProviderError;
use crate::provider::tool::{ToolCall, ToolResult};

/// Chat Completions: `POST {base}/chat/completions`, the key as a bearer token (optional for local servers).
#[derive(Clone, Copy, Debug, Default)]
pub struct ChatCompletions;

impl WireFormat for ChatCompletions {
    fn chat_path(&self) -> &'static str {
        "/chat/completions"
    }

    fn models_path(&self) -> &'static str {
        "/models"
    }

    fn headers(&self, key: Option<&ApiKey>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(mut value) =
            key.and_then(|k| HeaderValue::from_str(&format!("Bearer {}", k.expose())).ok())
        {
            value.set_sensitive(true);
            headers.insert(reqwest::header::AUTHORIZATION, value);
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

/// The JSON body of a streaming Chat Completions request for a one-message conversation.
pub fn request_body(model: &str, request: &ChatRequest<'_>) -> Value {
    turn_body(model, &request.to_turn())
}

/// The JSON body of a streaming Chat Completions request; `tools` only when there are some.
pub fn turn_body(model: &str, request: &TurnRequest) -> Value {
    let mut messages = vec![json!({"role": "system", "content": request.system})];
    messages.extend(request.messages.iter().map(message));
    let mut body = json!({
        "model": model,
        "stream": true,
        "stream_options": {"include_usage": true},
        "messages": messages,
    });
    if !request.tools.is_empty() {
        body["tools"] = request
            .tools
            .iter()
            .map(|t| {
                json!({"type": "function", "function": {
                    "name": t.name, "description": t.description, "parameters": t.input_schema}})
            })
            .collect();
    }
    body
}

fn message(message: &Message) -> Value {
    match message {
        Message::User { text } => json!({"role": "user", "content": text}),
        Message::Assistant { text, tool_calls } => assistant_message(text, tool_calls),
        Message::ToolResult(result) => tool_message(result),
    }
}

fn assistant_message(text: &str, tool_calls: &[ToolCall]) -> Value {
    if tool_calls.is_empty() {
        return json!({"role": "assistant", "content": text});
    }
    let calls: Vec<Value> = tool_calls
        .iter()
        .map(|c| {
            json!({"id": c.id, "type": "function",
                   "function": {"name": c.name, "arguments": c.arguments.to_json_text()}})
        })
        .collect();
    let content = if text.is_empty() {
        Value::Null
    } else {
        Value::String(text.to_owned())
    };
    json!({"role": "assistant", "content": content, "tool_calls": calls})
}

fn tool_message(result: &ToolResult) -> Value {
    let content = if result.is_error && !result.content.starts_with("Error") {
        format!("Error: {}", result.content)
    } else {
        result.content.clone()
    };
    json!({"role": "tool", "tool_call_id": result.call_id, "content": content})
}

/// Folds the chunks of one streamed answer.
#[derive(Debug, Default)]
pub struct Decoder {
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    pub finish_reason: Option<String>,
    done: bool,
    calls: ToolCallBuilder,
}

impl StreamDecoder for Decoder {
    fn on_event(&mut self, event: &Event) -> Result<Option<String>, ProviderError> {
        if self.done {
            return Ok(None);
        }
        let data = event.data.trim();
        if data.is_empty() {
            return Ok(None);
        }
        if data == "[DONE]" {
            self.done = true;
            return Ok(None);
        }
        let value: Value = serde_json::from_str(data).map_err(|e| {
            protocol(format!(
                "the chat completions stream sent a chunk that is not valid JSON ({e})"
            ))
        })?;
        if value.get("error").is_some_and(|e| !e.is_null()) {
            return Err(stream_error("chat completions", &value));
        }
        if let Some(usage) = value.get("usage").filter(|u| u.is_object()) {
            if let Some(n) = usage.get("prompt_tokens").and_then(Value::as_u64) {
                self.input_tokens = Some(n);
            }
            if let Some(n) = usage.get("completion_tokens").and_then(Value::as_u64) {
                self.output_tokens = Some(n);
            }
        }
        let Some(choice) = value
            .get("choices")
            .and_then(Value::as_array)
            .and_then(|c| c.first())
        else {
            return Ok(None);
        };
        if let Some(reason) = choice.get("finish_reason").and_then(Value::as_str) {
            self.finish_reason = Some(reason.to_owned());
        }
        if let Some(pieces) = choice
            .pointer("/delta/tool_calls")
            .and_then(Value::as_array)
        {
            self.tool_call_pieces(pieces)?;
        }
        Ok(choice
            .pointer("/delta/content")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_owned))
    }

    fn is_done(&self) -> bool {
        self.done
    }

    /// A stream ended properly with `[DONE]`, or at least a `finish_reason`.
    fn finish(&mut self) -> Result<StreamSummary, ProviderError> {
        if !self.done && self.finish_reason.is_none() {
            return Err(protocol(
                "the chat completions stream ended before `[DONE]` or a finish_reason: the answer was cut off"
                    .to_owned(),
            ));
        }
        let tool_calls = self.calls.finish();
        let max_tokens = self.finish_reason.as_deref() == Some("length");
        Ok(StreamSummary {
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens,
            stop_reason: StopReason::of_turn(max_tokens, !tool_calls.is_empty()),
            tool_calls,
        })
    }
}

impl Decoder {
    /// Adds the `tool_calls` pieces of one delta; a piece without `index` takes its place in the array.
    fn tool_call_pieces(&mut self, pieces: &[Value]) -> Result<(), ProviderError> {
        for (position, piece) in pieces.iter().enumerate() {
            let index = piece
                .get("index")
                .and_then(Value::as_u64)
                .unwrap_or(position as u64);
            let function = piece.get("function");
            let name = function.and_then(|f| f.get("name")).and_then(Value::as_str);
            self.calls
                .identify(index, piece.get("id").and_then(Value::as_str), name);
            // Some servers send arguments as an object rather than a string.
            match function.and_then(|f| f.get("arguments")) {
                Some(Value::String(text)) => self.calls.append("chat completions", index, text)?,
                Some(object @ Value::Object(_)) => self.calls.preset(index, object.to_string()),
                _ => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(d: &str) -> Event {
        Event {
            event: "message".into(),
            data: d.into(),
            id: String::new(),
            retry: None,
        }
    }

    #[test]
    fn full_stream_gives_text_and_usage() {
        let mut d = Decoder::default();
        let chunks = [
            r#"{"id":"c","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}"#,
            r#"{"id":"c","choices":[{"index":0,"delta":{"content":"\u0023\u0023 Ta"},"finish_reason":null}]}"#,
            r#"{"id":"c","choices":[{"index":0,"delta":{"content":"sks\n"},"finish_reason":null}]}"#,
            r#"{"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null}"#,
            r#"{"id":"c","choices":[],"usage":{"prompt_tokens":30,"completion_tokens":7,"total_tokens":37}}"#,
        ];
        let mut text = String::new();
        for c in chunks {
            if let Some(t) = d.on_event(&data(c)).unwrap() {
                text.push_str(&t);
            }
        }
        assert_eq!(text, "## Tasks\n");
        assert!(!d.is_done());
        d.finish().unwrap();
        d.on_event(&data("[DONE]")).unwrap();
        assert!(d.is_done());
        assert_eq!(
            (d.input_tokens, d.output_tokens, d.finish_reason.as_deref()),
            (Some(30), Some(7), Some("stop"))
        );
    }

    #[test]
    fn cut_off_stream_is_a_protocol_error() {
        let mut d = Decoder::default();
        d.on_event(&data(
            r#"{"choices":[{"index":0,"delta":{"content":"half"},"finish_reason":null}]}"#,
        ))
        .unwrap();
        let e = d.finish().unwrap_err();
        assert_eq!(e.code(), "protocol");
        assert!(e.to_string().contains("cut off"));
    }

    #[test]
    fn invalid_json_and_error_chunks_are_protocol_errors() {
        let mut d = Decoder::default();
        assert_eq!(
            d.on_event(&data("{\"choices\": [")).unwrap_err().code(),
            "protocol"
        );
        let e = d
            .on_event(&data(
                r#"{"error":{"message":"model overloaded","type":"server_error"}}"#,
            ))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "the chat completions stream reported an error: server_error: model overloaded"
        );
    }

    #[test]
    fn request_asks_for_usage() {
        let body = request_body(
            "gpt-4.1",
            &ChatRequest {
                system: "s",
                user: "u",
                max_tokens: 10,
            },
        );
        assert_eq!(body["stream_options"]["include_usage"], json!(true));
        assert_eq!(body["messages"][0]["role"], json!("system"));
        assert_eq!(body["messages"][1]["content"], json!("u"));
    }

    #[test]
    fn tool_call_pieces_assemble_per_index_even_interleaved() {
        let mut d = Decoder::default();
        let chunk = |delta: serde_json::Value, finish: serde_json::Value| {
            json!({"choices":[{"index":0,"delta":delta,"finish_reason":finish}]}).to_string()
        };
        let chunks = [
            chunk(
                json!({"role":"assistant","content":null,"tool_calls":[
                {"index":0,"id":"call_a","type":"function","function":{"name":"read_file","arguments":""}}]}),
                json!(null),
            ),
            chunk(
                json!({"tool_calls":[{"index":0,"function":{"arguments":"{\"path\":"}}]}),
                json!(null),
            ),
            chunk(
                json!({"tool_calls":[
                {"index":1,"id":"call_b","type":"function","function":{"name":"run_command","arguments":"{\"comm"}}]}),
                json!(null),
            ),
            chunk(
                json!({"tool_calls":[{"index":0,"function":{"arguments":" \"a.rs\"}"}}]}),
                json!(null),
            ),
            chunk(
                json!({"tool_calls":[{"index":1,"function":{"arguments":"and\": \"ls\"}"}}]}),
                json!(null),
            ),
            chunk(json!({}), json!("tool_calls")),
            json!({"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":8}}).to_string(),
        ];
        for c in &chunks {
            assert_eq!(d.on_event(&data(c)).unwrap(), None);
        }
        d.on_event(&data("[DONE]")).unwrap();
        let summary = d.finish().unwrap();
        assert_eq!(summary.stop_reason, StopReason::ToolUse);
        assert_eq!(
            (summary.input_tokens, summary.output_tokens),
            (Some(12), Some(8))
        );
        let calls = summary.tool_calls;
        assert_eq!(calls.len(), 2);
        assert_eq!(
            (calls[0].id.as_str(), calls[0].name.as_str()),
            ("call_a", "read_file")
        );
        assert_eq!(calls[0].input().unwrap(), &json!({"path": "a.rs"}));
        assert_eq!(
            (calls[1].id.as_str(), calls[1].name.as_str()),
            ("call_b", "run_command")
        );
        assert_eq!(calls[1].input().unwrap(), &json!({"command": "ls"}));
    }

    #[test]
    fn stop_with_calls_is_tool_use_and_length_is_max_tokens() {
        let mut d = Decoder::default();
        d.on_event(&data(
            r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"function":{"name":"f","arguments":{"x":1}}}]},"finish_reason":"stop"}]}"#,
        ))
        .unwrap();
        let summary = d.finish().unwrap();
        assert_eq!(summary.stop_reason, StopReason::ToolUse);
        assert_eq!(summary.tool_calls[0].id, "call_0");
        assert_eq!(summary.tool_calls[0].input().unwrap(), &json!({"x": 1}));
        let mut cut = Decoder::default();
        cut.on_event(&data(
            r#"{"choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"length"}]}"#,
        ))
        .unwrap();
        assert_eq!(cut.finish().unwrap().stop_reason, StopReason::MaxTokens);
    }

    #[test]
    fn conversations_carry_tool_calls_and_tool_messages() {
        use crate::provider::tool::{ToolArguments, ToolDefinition};
        let request = TurnRequest {
            system: "sys".into(),
            messages: vec![
                Message::User { text: "go".into() },
                Message::Assistant {
                    text: String::new(),
                    tool_calls: vec![
                        ToolCall {
                            id: "c1".into(),
                            name: "read_file".into(),
                            arguments: ToolArguments::parse(r#"{"path":"x"}"#),
                        },
                        ToolCall {
                            id: "c2".into(),
                            name: "read_file".into(),
                            arguments: ToolArguments::parse("{bad"),
                        },
                    ],
                },
                Message::ToolResult(ToolResult {
                    call_id: "c1".into(),
                    content: "text".into(),
                    is_error: false,
                }),
                Message::ToolResult(ToolResult {
                    call_id: "c2".into(),
                    content: "bad arguments".into(),
                    is_error: true,
                }),
            ],
            tools: vec![ToolDefinition {
                name: "read_file".into(),
                description: "Reads.".into(),
                input_schema: json!({"type":"object"}),
            }],
            max_tokens: 10,
            scope: None,
        };
        let body = ChatCompletions.request_body("gpt", &request);
        assert_eq!(
            body["messages"],
            json!([
                {"role":"system","content":"sys"},
                {"role":"user","content":"go"},
                {"role":"assistant","content":null,"tool_calls":[
                    {"id":"c1","type":"function","function":{"name":"read_file","arguments":"{\"path\":\"x\"}"}},
                    {"id":"c2","type":"function","function":{"name":"read_file","arguments":"{bad"}}]},
                {"role":"tool","tool_call_id":"c1","content":"text"},
                {"role":"tool","tool_call_id":"c2","content":"Error: bad arguments"}
            ])
        );
        assert_eq!(
            body["tools"],
            json!([{"type":"function","function":{"name":"read_file","description":"Reads.","parameters":{"type":"object"}}}])
        );
    }
}
