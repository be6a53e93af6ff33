//! The Anthropic Messages API wire format: the streaming request and its server-sent events.
//!
//! A stream is `message_start` (input tokens), content blocks whose `content_block_delta` events carry
//! `text_delta`s, `message_delta` (output tokens, stop reason) and `message_stop`; `ping` may come at any
//! time. A stream that ends before `message_stop` or an event that is not JSON is a
//! [`ProviderError::Protocol`]: the answer is incomplete and must not be used. An `error` event keeps the
//! provider's error type (overloaded → `server`, rate limit → `rate_limited`, ...; see
//! [`stream_error`]).

use eventsource_stream::Event;
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Value, json};

use super::error_event::stream_error;
use super::format::{ChatRequest, StreamDecoder, StreamSummary, WireFormat, protocol};
use crate::provider::credentials::ApiKey;
use crate::provider::error::ProviderError;

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

    fn request_body(&self, model: &str, request: &ChatRequest<'_>) -> Value {
        request_body(model, request)
    }

    fn decoder(&self) -> Box<dyn StreamDecoder> {
        Box::new(Decoder::default())
    }
}

/// The JSON body of a streaming Messages request.
pub fn request_body(model: &str, request: &ChatRequest<'_>) -> Value {
    json!({
        "model": model,
        "max_tokens": request.max_tokens,
        "stream": true,
        "system": request.system,
        "messages": [{"role": "user", "content": request.user}],
    })
}

/// Folds the events of one streamed answer.
#[derive(Debug, Default)]
pub struct Decoder {
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    pub stop_reason: Option<String>,
    stopped: bool,
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
            "content_block_delta" => {
                let delta = value.get("delta");
                let is_text = delta
                    .and_then(|d| d.get("type"))
                    .and_then(Value::as_str)
                    .is_some_and(|t| t == "text_delta");
                if !is_text {
                    return Ok(None);
                }
                delta
                    .and_then(|d| d.get("text"))
                    .and_then(Value::as_str)
                    .map(|t| Some(t.to_owned()))
                    .ok_or_else(|| {
                        protocol("the anthropic stream sent a text_delta without text".to_owned())
                    })
            }
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
            // ping, content_block_start, content_block_stop and event types added later.
            _ => Ok(None),
        }
    }

    fn is_done(&self) -> bool {
        self.stopped
    }

    fn finish(&mut self) -> Result<StreamSummary, ProviderError> {
        if self.stopped {
            Ok(StreamSummary {
                input_tokens: self.input_tokens,
                output_tokens: self.output_tokens,
            })
        } else {
            Err(protocol(
                "the anthropic stream ended before `message_stop`: the answer was cut off"
                    .to_owned(),
            ))
        }
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
}
