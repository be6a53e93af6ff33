//! Why a provider call produced no answer, as a closed set of typed failures with a code, a remediation and
//! whether retrying can help.

use std::time::Duration;

/// A provider call that did not produce an answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// The key is missing or was rejected (HTTP 401/403). Not retryable: fix the key.
    #[error("{message}")]
    Auth { message: String },
    /// Too many requests (HTTP 429). Retryable after `retry_after` (from the Retry-After header) or backoff.
    #[error("{message}")]
    RateLimited {
        message: String,
        retry_after: Option<Duration>,
    },
    /// No answer within the time limit. Retryable.
    #[error("{message}")]
    Timeout { message: String },
    /// The provider failed (HTTP 5xx). Retryable.
    #[error("{message}")]
    Server { message: String },
    /// The provider refused the request as malformed (HTTP 400/404/422): model name, parameters. Not retryable.
    #[error("{message}")]
    InvalidRequest { message: String },
    /// Could not connect (refused, DNS, TLS). Retryable.
    #[error("{message}")]
    Unavailable { message: String },
    /// The answer broke the wire format or the spec format (malformed or truncated stream, no Tasks
    /// section). Not retryable.
    #[error("{message}")]
    Protocol { message: String },
    /// The provider is not known or not configured (no key, no base URL). Not retryable.
    #[error("{message}")]
    NotConfigured {
        message: String,
        remediation: String,
    },
    /// The run was cancelled while the call was in flight.
    #[error("cancelled")]
    Cancelled,
}

impl ProviderError {
    pub fn code(&self) -> &'static str {
        match self {
            ProviderError::Auth { .. } => "auth",
            ProviderError::RateLimited { .. } => "rate_limited",
            ProviderError::Timeout { .. } => "timeout",
            ProviderError::Server { .. } => "server",
            ProviderError::InvalidRequest { .. } => "invalid_request",
            ProviderError::Unavailable { .. } => "unavailable",
            ProviderError::Protocol { .. } => "protocol",
            ProviderError::NotConfigured { .. } => "not_configured",
            ProviderError::Cancelled => "cancelled",
        }
    }

    pub fn retryable(&self) -> bool {
        matches!(
            self,
            ProviderError::RateLimited { .. }
                | ProviderError::Timeout { .. }
                | ProviderError::Server { .. }
                | ProviderError::Unavailable { .. }
        )
    }

    pub fn remediation(&self) -> String {
        match self {
            ProviderError::Auth { .. } => {
                "Check the provider's API key (environment variable or Settings) and that it has access to the model."
                    .to_owned()
            }
            ProviderError::RateLimited { .. } => {
                "The provider is rate limiting this key; wait a moment and resume or retry the run.".to_owned()
            }
            ProviderError::Timeout { .. } => {
                "The provider did not answer in time; check the network or the base URL and retry.".to_owned()
            }
            ProviderError::Server { .. } => {
                "The provider reported an internal error; retry later.".to_owned()
            }
            ProviderError::InvalidRequest { .. } => {
                "Check the model name (KATA_MODEL or the run's model) and the provider's base URL.".to_owned()
            }
            ProviderError::Unavailable { .. } => {
                "Could not reach the provider; check the base URL, the network, or that the local server is running."
                    .to_owned()
            }
            ProviderError::Protocol { .. } => {
                "The provider's answer was malformed or cut off; retry, or choose another model.".to_owned()
            }
            ProviderError::NotConfigured { remediation, .. } => remediation.clone(),
            ProviderError::Cancelled => "Start the run again if you still want it.".to_owned(),
        }
    }

    /// The same error with its message rewritten (kind, retry hint and remediation kept), e.g. to scrub it.
    pub fn map_message(self, f: impl FnOnce(String) -> String) -> ProviderError {
        match self {
            ProviderError::Auth { message } => ProviderError::Auth {
                message: f(message),
            },
            ProviderError::RateLimited {
                message,
                retry_after,
            } => ProviderError::RateLimited {
                message: f(message),
                retry_after,
            },
            ProviderError::Timeout { message } => ProviderError::Timeout {
                message: f(message),
            },
            ProviderError::Server { message } => ProviderError::Server {
                message: f(message),
            },
            ProviderError::InvalidRequest { message } => ProviderError::InvalidRequest {
                message: f(message),
            },
            ProviderError::Unavailable { message } => ProviderError::Unavailable {
                message: f(message),
            },
            ProviderError::Protocol { message } => ProviderError::Protocol {
                message: f(message),
            },
            ProviderError::NotConfigured {
                message,
                remediation,
            } => ProviderError::NotConfigured {
                message: f(message),
                remediation,
            },
            ProviderError::Cancelled => ProviderError::Cancelled,
        }
    }
}
