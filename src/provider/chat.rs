//! The streaming chat client shared by every model provider: one HTTP request per attempt, server-sent
//! events decoded as they arrive, typed failures, bounded retries, and model listing.
//!
//! Failure mapping: HTTP 401/403 → auth; 429 → rate_limited (with `Retry-After`); 408 → timeout; 5xx (and
//! Anthropic's 529) → server; other 4xx → invalid_request; connection refused or DNS → unavailable; no
//! response or an idle stream past the timeout → timeout; a stream that breaks off, sends bad JSON or an
//! error event → protocol (an error event of a known type keeps it). Nothing the provider sent reaches the
//! caller unscrubbed: error bodies, stream errors, streamed text and tool calls lose the key and fragments of
//! it (and base URL credentials), and base URLs are shown without their credentials.

use std::time::{Duration, Instant, SystemTime};

use eventsource_stream::Eventsource as _;
use futures::StreamExt as _;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::choice::ProviderChoice;
use super::conversation::{AssistantTurn, TurnRequest};
use super::credentials::ApiKey;
use super::delta_sink::DeltaSink;
use super::error::ProviderError;
use super::retry::{AttemptError, RetryPolicy, parse_retry_after, with_retries};
use super::secret_scrubber::{SecretScrubber, redact_url, url_credentials};
use super::tls::install_crypto_provider;
use super::tool::{ToolArguments, ToolCall};
use super::usage::Usage;
use super::wire::error_event::describe_error;
use super::wire::{self, StreamDecoder, StreamSummary, WireFormat};

pub use super::wire::ChatRequest;
pub use super::wire::model_list::parse_models;

/// How much of an error body is read and quoted.
const ERROR_BODY_LIMIT: usize = 16 * 1024;
const ERROR_MESSAGE_LIMIT: usize = 300;

/// Where and how to reach one model provider.
#[derive(Clone)]
pub struct ChatEndpoint {
    /// `Anthropic` speaks the Messages API; `OpenAi` and `OpenAiCompatible` speak Chat Completions.
    pub kind: ProviderChoice,
    /// Without a trailing slash: `https://api.anthropic.com`, `https://api.openai.com/v1`.
    pub base_url: String,
    pub key: Option<ApiKey>,
    pub model: String,
}

impl std::fmt::Debug for ChatEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatEndpoint")
            .field("kind", &self.kind)
            .field("base_url", &redact_url(&self.base_url))
            .field("key", &self.key)
            .field("model", &self.model)
            .finish()
    }
}

impl ChatEndpoint {
    /// The base URL as it may be shown: without user name and password.
    pub fn shown_url(&self) -> String {
        redact_url(&self.base_url)
    }

    /// What must never leave in provider text: the key and the base URL's credentials.
    pub fn scrubber(&self) -> SecretScrubber {
        let key = self.key.as_ref().map(|k| k.expose().to_owned());
        SecretScrubber::new(key.into_iter().chain(url_credentials(&self.base_url)))
    }
}

/// A call's outcome and what it cost, also when it failed (retries made, time spent).
#[derive(Debug)]
pub struct ChatOutcome {
    pub result: Result<String, ProviderError>,
    pub usage: Usage,
}

/// An assistant turn and what it cost, also when it failed (retries made, time spent).
#[derive(Debug)]
pub struct TurnOutcome {
    pub result: Result<AssistantTurn, ProviderError>,
    pub usage: Usage,
}

/// A streaming chat client for one endpoint.
#[derive(Clone, Debug)]
pub struct ChatClient {
    http: reqwest::Client,
    endpoint: ChatEndpoint,
    wire: &'static dyn WireFormat,
    scrubber: SecretScrubber,
    timeout: Duration,
    policy: RetryPolicy,
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl ChatClient {
    pub fn new(
        endpoint: ChatEndpoint,
        timeout: Duration,
        policy: RetryPolicy,
    ) -> Result<Self, ProviderError> {
        install_crypto_provider();
        let http = reqwest::Client::builder()
            .connect_timeout(timeout)
            .user_agent(concat!("kata-cloud/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ProviderError::NotConfigured {
                message: format!("could not set up the HTTP client: {}", chain(&e)),
                remediation: "Check the system's TLS configuration and try again.".to_owned(),
            })?;
        Ok(Self {
            http,
            wire: wire::for_provider(endpoint.kind),
            scrubber: endpoint.scrubber(),
            endpoint,
            timeout,
            policy,
        })
    }

    pub fn endpoint(&self) -> &ChatEndpoint {
        &self.endpoint
    }

    fn headers(&self) -> HeaderMap {
        self.wire.headers(self.endpoint.key.as_ref())
    }

    fn chat_url(&self) -> String {
        format!("{}{}", self.endpoint.base_url, self.wire.chat_path())
    }

    fn models_url(&self) -> String {
        format!("{}{}", self.endpoint.base_url, self.wire.models_path())
    }

    /// Streams one answer into `sink`, retrying per the policy while nothing has been streamed.
    pub async fn chat(
        &self,
        request: &ChatRequest<'_>,
        sink: &DeltaSink,
        cancel: &CancellationToken,
    ) -> ChatOutcome {
        let outcome = self.turn(&request.to_turn(), sink, cancel).await;
        ChatOutcome {
            result: outcome.result.map(|turn| turn.text),
            usage: outcome.usage,
        }
    }

    /// Streams one assistant turn of a conversation (text to `sink`, tool calls assembled), retrying per
    /// the policy while no text has been streamed.
    pub async fn turn(
        &self,
        request: &TurnRequest,
        sink: &DeltaSink,
        cancel: &CancellationToken,
    ) -> TurnOutcome {
        let started = Instant::now();
        let outcome =
            with_retries(&self.policy, cancel, || self.attempt(request, sink, cancel)).await;
        let mut usage = Usage {
            latency_ms: millis(started.elapsed()),
            retries: outcome.retries,
            ..Usage::default()
        };
        let result = outcome
            .result
            .map(|(text, summary)| {
                usage.input_tokens = summary.input_tokens;
                usage.output_tokens = summary.output_tokens;
                AssistantTurn {
                    text,
                    tool_calls: summary
                        .tool_calls
                        .into_iter()
                        .map(|c| self.scrub_call(c))
                        .collect(),
                    stop_reason: summary.stop_reason,
                    usage,
                }
            })
            .map_err(|e| self.scrub_error(e));
        TurnOutcome { result, usage }
    }

    async fn attempt(
        &self,
        request: &TurnRequest,
        sink: &DeltaSink,
        cancel: &CancellationToken,
    ) -> Result<(String, StreamSummary), AttemptError> {
        let fresh = |error| AttemptError {
            error,
            streamed: false,
        };
        let body = self.wire.request_body(&self.endpoint.model, request);
        let send = self
            .http
            .post(self.chat_url())
            .headers(self.headers())
            .header(reqwest::header::ACCEPT, "text/event-stream")
            .json(&body)
            .send();
        let response = self.within_timeout(send, cancel).await.map_err(fresh)?;
        let response = self.check_status(response, cancel).await.map_err(fresh)?;
        let mut streamed = StreamedText::default();
        let summary = self
            .read_stream(response, sink, cancel, &mut streamed)
            .await
            .map_err(|error| AttemptError {
                error,
                streamed: streamed.any,
            })?;
        Ok((streamed.text, summary))
    }

    /// Decodes the event stream of one answer, passing its text to `sink` as it arrives (scrubbed, so a
    /// secret split across events is caught too).
    async fn read_stream(
        &self,
        response: reqwest::Response,
        sink: &DeltaSink,
        cancel: &CancellationToken,
        streamed: &mut StreamedText,
    ) -> Result<StreamSummary, ProviderError> {
        let mut decoder: Box<dyn StreamDecoder> = self.wire.decoder();
        let mut scrub = self.scrubber.stream();
        let mut events = response.bytes_stream().eventsource();
        while !decoder.is_done() {
            let next = tokio::select! {
                () = cancel.cancelled() => return Err(ProviderError::Cancelled),
                next = tokio::time::timeout(self.timeout, events.next()) => next,
            };
            let event = match next {
                Err(_) => {
                    return Err(ProviderError::Timeout {
                        message: format!(
                            "the {} stream sent nothing for {} ms",
                            self.endpoint.kind,
                            millis(self.timeout)
                        ),
                    });
                }
                Ok(None) => break,
                Ok(Some(Err(e))) => {
                    return Err(ProviderError::Protocol {
                        message: self.scrub(&format!(
                            "the {} stream broke off: {}",
                            self.endpoint.kind,
                            chain(&e)
                        )),
                    });
                }
                Ok(Some(Ok(event))) => event,
            };
            match decoder.on_event(&event) {
                Ok(Some(delta)) => streamed.pass_on(&scrub.push(&delta), sink),
                Ok(None) => {}
                Err(error) => return Err(self.scrub_error(error)),
            }
        }
        let summary = decoder.finish().map_err(|e| self.scrub_error(e))?;
        streamed.pass_on(&scrub.finish(), sink);
        Ok(summary)
    }

    /// Awaits the response head within the timeout, unless cancelled.
    async fn within_timeout(
        &self,
        send: impl Future<Output = reqwest::Result<reqwest::Response>>,
        cancel: &CancellationToken,
    ) -> Result<reqwest::Response, ProviderError> {
        let answered = tokio::select! {
            () = cancel.cancelled() => return Err(ProviderError::Cancelled),
            answered = tokio::time::timeout(self.timeout, send) => answered,
        };
        match answered {
            Err(_) => Err(ProviderError::Timeout {
                message: format!(
                    "no response from the {} API at {} within {} ms",
                    self.endpoint.kind,
                    self.endpoint.shown_url(),
                    millis(self.timeout)
                ),
            }),
            Ok(Err(e)) => Err(self.send_error(&e)),
            Ok(Ok(response)) => Ok(response),
        }
    }

    /// Turns a non-success status into its typed error (reading a bounded piece of the body for details).
    async fn check_status(
        &self,
        response: reqwest::Response,
        cancel: &CancellationToken,
    ) -> Result<reqwest::Response, ProviderError> {
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        let body = tokio::select! {
            () = cancel.cancelled() => return Err(ProviderError::Cancelled),
            body = tokio::time::timeout(self.timeout, read_limited(response)) => body.unwrap_or_default(),
        };
        let detail = serde_json::from_str::<Value>(&body)
            .ok()
            .and_then(|v| describe_error(&v))
            .unwrap_or(body);
        Err(self.status_error(status, retry_after, &detail))
    }

    fn status_error(
        &self,
        status: StatusCode,
        retry_after: Option<Duration>,
        detail: &str,
    ) -> ProviderError {
        let detail = limit(&self.scrub(detail.trim()), ERROR_MESSAGE_LIMIT);
        let what = format!(
            "the {} API answered HTTP {}",
            self.endpoint.kind,
            status.as_u16()
        );
        let message = if detail.is_empty() {
            what
        } else {
            format!("{what}: {detail}")
        };
        match status.as_u16() {
            401 | 403 => ProviderError::Auth { message },
            429 => ProviderError::RateLimited {
                message,
                retry_after,
            },
            408 => ProviderError::Timeout { message },
            500..=599 => ProviderError::Server { message },
            400..=499 => ProviderError::InvalidRequest { message },
            _ => ProviderError::Protocol { message },
        }
    }

    fn send_error(&self, e: &reqwest::Error) -> ProviderError {
        let message = self.scrub(&format!(
            "could not reach the {} API at {}: {}",
            self.endpoint.kind,
            self.endpoint.shown_url(),
            chain(e)
        ));
        if e.is_timeout() {
            ProviderError::Timeout { message }
        } else if e.is_builder() {
            ProviderError::InvalidRequest { message }
        } else {
            ProviderError::Unavailable { message }
        }
    }

    fn scrub(&self, text: &str) -> String {
        self.scrubber.scrub(text)
    }

    fn scrub_error(&self, error: ProviderError) -> ProviderError {
        self.scrubber.scrub_error(error)
    }

    /// A tool call without secrets in its id, name or arguments.
    fn scrub_call(&self, call: ToolCall) -> ToolCall {
        let arguments = match call.arguments {
            ToolArguments::Json { mut value } => {
                self.scrubber.scrub_json(&mut value);
                ToolArguments::Json { value }
            }
            ToolArguments::Malformed { raw, error } => ToolArguments::Malformed {
                raw: self.scrub(&raw),
                error: self.scrub(&error),
            },
        };
        ToolCall {
            id: self.scrub(&call.id),
            name: self.scrub(&call.name),
            arguments,
        }
    }

    /// Lists the model ids the endpoint offers (`GET /v1/models`, `GET {base}/models`), in its order.
    pub async fn list_models(
        &self,
        cancel: &CancellationToken,
    ) -> Result<Vec<String>, ProviderError> {
        match self.fetch_models(cancel).await {
            Ok(ids) => Ok(ids.iter().map(|id| self.scrub(id)).collect()),
            Err(e) => Err(self.scrub_error(e)),
        }
    }

    async fn fetch_models(&self, cancel: &CancellationToken) -> Result<Vec<String>, ProviderError> {
        let send = self
            .http
            .get(self.models_url())
            .headers(self.headers())
            .send();
        let response = self.within_timeout(send, cancel).await?;
        let response = self.check_status(response, cancel).await?;
        let body = tokio::select! {
            () = cancel.cancelled() => return Err(ProviderError::Cancelled),
            body = tokio::time::timeout(self.timeout, response.bytes()) => body,
        };
        let bytes = match body {
            Err(_) => {
                return Err(ProviderError::Timeout {
                    message: format!(
                        "the {} model list did not arrive in time",
                        self.endpoint.kind
                    ),
                });
            }
            Ok(Err(e)) => {
                return Err(ProviderError::Protocol {
                    message: self.scrub(&format!("the model list broke off: {}", chain(&e))),
                });
            }
            Ok(Ok(bytes)) => bytes,
        };
        parse_models(&bytes).map_err(|message| ProviderError::Protocol {
            message: format!(
                "the {} model list is malformed: {message}",
                self.endpoint.kind
            ),
        })
    }
}

/// The text one attempt streamed so far, and whether any reached the sink (then it is not retried).
#[derive(Default)]
struct StreamedText {
    text: String,
    any: bool,
}

impl StreamedText {
    fn pass_on(&mut self, text: &str, sink: &DeltaSink) {
        if text.is_empty() {
            return;
        }
        sink(text);
        self.text.push_str(text);
        self.any = true;
    }
}

async fn read_limited(response: reqwest::Response) -> String {
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(Ok(chunk)) = stream.next().await {
        body.extend_from_slice(&chunk);
        if body.len() >= ERROR_BODY_LIMIT {
            body.truncate(ERROR_BODY_LIMIT);
            break;
        }
    }
    String::from_utf8_lossy(&body).into_owned()
}

/// An error and its sources on one line (reqwest's own message alone rarely says what went wrong).
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// At most `max` characters of `text`, with an ellipsis when cut.
pub fn limit(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", text.get(..at).unwrap_or(text).trim_end()),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(kind: ProviderChoice, key: Option<&str>) -> ChatClient {
        ChatClient::new(
            ChatEndpoint {
                kind,
                base_url: "http://127.0.0.1:9".into(),
                key: key.and_then(ApiKey::new),
                model: "m".into(),
            },
            Duration::from_secs(1),
            RetryPolicy::default(),
        )
        .unwrap()
    }

    #[test]
    fn statuses_map_to_codes() {
        let c = client(ProviderChoice::OpenAi, Some("sk-test"));
        let code = |s: u16| {
            c.status_error(StatusCode::from_u16(s).unwrap(), None, "")
                .code()
        };
        assert_eq!(code(401), "auth");
        assert_eq!(code(403), "auth");
        assert_eq!(code(429), "rate_limited");
        assert_eq!(code(408), "timeout");
        assert_eq!(code(500), "server");
        assert_eq!(code(503), "server");
        assert_eq!(code(529), "server");
        assert_eq!(code(400), "invalid_request");
        assert_eq!(code(404), "invalid_request");
        assert_eq!(code(422), "invalid_request");
        let e = c.status_error(
            StatusCode::TOO_MANY_REQUESTS,
            Some(Duration::from_secs(2)),
            "slow down",
        );
        assert_eq!(
            e,
            ProviderError::RateLimited {
                message: "the openai API answered HTTP 429: slow down".into(),
                retry_after: Some(Duration::from_secs(2)),
            }
        );
    }

    #[test]
    fn error_bodies_are_scrubbed_of_the_key() {
        let c = client(ProviderChoice::Anthropic, Some("sk-ant-secret"));
        let e = c.status_error(
            StatusCode::UNAUTHORIZED,
            None,
            "invalid x-api-key sk-ant-secret",
        );
        assert_eq!(
            e.to_string(),
            "the anthropic API answered HTTP 401: invalid x-api-key [redacted]"
        );
    }

    #[test]
    fn key_headers_per_wire_format() {
        let a = client(ProviderChoice::Anthropic, Some("k1")).headers();
        assert_eq!(a["x-api-key"], "k1");
        assert!(a["x-api-key"].is_sensitive());
        assert_eq!(a["anthropic-version"], "2023-06-01");
        assert!(a.get("authorization").is_none());
        let o = client(ProviderChoice::OpenAiCompatible, Some("k2")).headers();
        assert_eq!(o["authorization"], "Bearer k2");
        assert!(
            client(ProviderChoice::OpenAiCompatible, None)
                .headers()
                .is_empty()
        );
    }

    #[test]
    fn urls_per_wire_format() {
        let a = client(ProviderChoice::Anthropic, None);
        assert_eq!(a.chat_url(), "http://127.0.0.1:9/v1/messages");
        assert_eq!(a.models_url(), "http://127.0.0.1:9/v1/models");
        let o = client(ProviderChoice::OpenAi, None);
        assert_eq!(o.chat_url(), "http://127.0.0.1:9/chat/completions");
        assert_eq!(o.models_url(), "http://127.0.0.1:9/models");
    }

    #[test]
    fn limit_cuts_on_characters() {
        assert_eq!(limit("héllo", 10), "héllo");
        assert_eq!(limit("héllo wörld", 6), "héllo…");
    }
}
