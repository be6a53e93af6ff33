//! Errors reported inside a stream or in an error body, in either wire format, kept typed.

use serde_json::Value;

use super::format::protocol;
use crate::provider::error::ProviderError;

/// The typed error for an error reported inside a stream (`{"type":"error","error":{"type":..}}`, or an
/// OpenAI-style `{"error":{"type"|"code":..}}` chunk). The provider's error type says what went wrong, so
/// an overloaded or rate-limited provider stays retryable (the retry layer still never repeats a call that
/// already streamed text); an error type we do not know is a `protocol` error.
pub fn stream_error(wire: &str, value: &Value) -> ProviderError {
    let message = format!(
        "the {wire} stream reported an error: {}",
        describe_error(value).unwrap_or_else(|| "no details".to_owned())
    );
    let error = value.get("error");
    let kind = error
        .and_then(|e| e.get("type").or_else(|| e.get("code")))
        .and_then(Value::as_str)
        .unwrap_or_default();
    match kind {
        "overloaded_error" | "api_error" | "server_error" => ProviderError::Server { message },
        "rate_limit_error" | "rate_limit_exceeded" => ProviderError::RateLimited {
            message,
            retry_after: None,
        },
        "authentication_error" | "permission_error" | "invalid_api_key" => {
            ProviderError::Auth { message }
        }
        "invalid_request_error" | "not_found_error" | "request_too_large" => {
            ProviderError::InvalidRequest { message }
        }
        _ => protocol(message),
    }
}

/// `type: message` of an error body (`{"type":"error","error":{...}}`, also OpenAI's `{"error":{...}}`).
pub fn describe_error(value: &Value) -> Option<String> {
    let error = value.get("error")?;
    if let Some(text) = error.as_str() {
        return Some(text.to_owned());
    }
    let message = error.get("message").and_then(Value::as_str);
    let kind = error.get("type").and_then(Value::as_str);
    match (kind, message) {
        (Some(k), Some(m)) => Some(format!("{k}: {m}")),
        (None, Some(m)) => Some(m.to_owned()),
        (Some(k), None) => Some(k.to_owned()),
        (None, None) => None,
    }
}
