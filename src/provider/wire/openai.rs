//! The OpenAI Chat Completions wire format (also spoken by OpenAI-compatible servers such as Ollama and
//! vLLM): the streaming request and its `data:` chunks.
//!
//! Each chunk carries `choices[0].delta.content`; the last choice chunk has a `finish_reason`; with
//! `stream_options.include_usage` a final chunk with empty `choices` carries `usage`; then `data: [DONE]`.
//! A stream that ends before `[DONE]` or a `finish_reason`, a chunk that is not JSON, or an `error` chunk is a
//! [`ProviderError::Protocol`].

use eventsource_stream::Event;
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Value, json};

use super::error_event::stream_error;
use super::format::{ChatRequest, StreamDecoder, StreamSummary, WireFormat, protocol};
use crate::provider::credentials::ApiKey;
use crate::provider::error::ProviderError;

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

    fn request_body(&self, model: &str, request: &ChatRequest<'_>) -> Value {
        request_body(model, request)
    }

    fn decoder(&self) -> Box<dyn StreamDecoder> {
        Box::new(Decoder::default())
    }
}

/// The JSON body of a streaming Chat Completions request.
pub fn request_body(model: &str, request: &ChatRequest<'_>) -> Value {
    json!({
        "model": model,
        "stream": true,
        "stream_options": {"include_usage": true},
        "messages": [
            {"role": "system", "content": request.system},
            {"role": "user", "content": request.user},
        ],
    })
}

/// Folds the chunks of one streamed answer.
#[derive(Debug, Default)]
pub struct Decoder {
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    pub finish_reason: Option<String>,
    done: bool,
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
        if self.done || self.finish_reason.is_some() {
            Ok(StreamSummary {
                input_tokens: self.input_tokens,
                output_tokens: self.output_tokens,
            })
        } else {
            Err(protocol(
                "the chat completions stream ended before `[DONE]` or a finish_reason: the answer was cut off"
                    .to_owned(),
            ))
        }
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
}
