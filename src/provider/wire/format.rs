//! What a wire format is to the streaming client: a request shape and a stream decoder.

use std::fmt;

use eventsource_stream::Event;
use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::provider::conversation::{Message, StopReason, TurnRequest};
use crate::provider::credentials::ApiKey;
use crate::provider::error::ProviderError;
use crate::provider::tool::ToolCall;

/// One chat turn without tools: instructions and the user message.
#[derive(Clone, Copy, Debug)]
pub struct ChatRequest<'a> {
    pub system: &'a str,
    pub user: &'a str,
    pub max_tokens: u32,
}

impl ChatRequest<'_> {
    /// The same request as a one-message conversation.
    pub fn to_turn(&self) -> TurnRequest {
        TurnRequest {
            system: self.system.to_owned(),
            messages: vec![Message::User {
                text: self.user.to_owned(),
            }],
            tools: Vec::new(),
            max_tokens: self.max_tokens,
            scope: None,
        }
    }
}

/// What a finished stream reported besides its text.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamSummary {
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    pub tool_calls: Vec<ToolCall>,
    pub stop_reason: StopReason,
}

/// A provider's request and stream format.
pub trait WireFormat: Send + Sync + fmt::Debug {
    /// The path of the streaming chat endpoint, appended to the base URL.
    fn chat_path(&self) -> &'static str;
    /// The path of the model list, appended to the base URL.
    fn models_path(&self) -> &'static str;
    /// The headers that carry the key (marked sensitive) and the API version, if the format has one.
    fn headers(&self, key: Option<&ApiKey>) -> HeaderMap;
    /// The JSON body of a streaming request.
    fn request_body(&self, model: &str, request: &TurnRequest) -> Value;
    /// A fresh decoder for one streamed answer.
    fn decoder(&self) -> Box<dyn StreamDecoder>;
}

/// Folds the server-sent events of one streamed answer.
pub trait StreamDecoder: Send {
    /// Takes one event; returns the text it adds, if any.
    fn on_event(&mut self, event: &Event) -> Result<Option<String>, ProviderError>;
    /// Whether the terminal event arrived (nothing after it matters).
    fn is_done(&self) -> bool;
    /// Checks the stream ended properly and says what it reported.
    fn finish(&mut self) -> Result<StreamSummary, ProviderError>;
}

/// A malformed or cut-off answer.
pub(super) fn protocol(message: String) -> ProviderError {
    ProviderError::Protocol { message }
}
