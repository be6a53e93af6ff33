//! Model providers: what turns a prompt and its context into a plan, a spec draft and task results.
//!
//! The orchestrator talks to a [`Coordinator`]: one call drafts the spec (plan + markdown), then one call per
//! delegated task. The offline provider implements it deterministically; model-backed providers implement it
//! on top of a streaming chat client. Failures are [`ProviderError`]s, each with a code, remediation and
//! whether retrying can help.

pub mod anthropic;
pub mod chat;
pub mod chat_coordinator;
pub mod credentials;
pub mod offline;
pub mod openai;
pub mod registry;
pub mod retry;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;

use crate::model::{ContextItem, PlannedTask, TaskId};

pub use registry::{ProviderChoice, ProviderRegistry};

/// Token counts and timing of one provider call (or the sum of several).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    pub latency_ms: u64,
    pub retries: u32,
}

impl Usage {
    /// Adds another call's usage to this one.
    pub fn add(&mut self, other: Usage) {
        fn sum(a: Option<u64>, b: Option<u64>) -> Option<u64> {
            match (a, b) {
                (None, None) => None,
                (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
            }
        }
        self.input_tokens = sum(self.input_tokens, other.input_tokens);
        self.output_tokens = sum(self.output_tokens, other.output_tokens);
        self.latency_ms += other.latency_ms;
        self.retries += other.retries;
    }
}

/// Receives streamed model text as it arrives.
pub type DeltaSink = Arc<dyn Fn(&str) + Send + Sync>;

/// What the coordinator is asked to plan from.
#[derive(Clone, Debug)]
pub struct CoordinatorInput {
    pub prompt: String,
    pub space_name: String,
    /// The run's context snapshot items, in rank order.
    pub items: Vec<ContextItem>,
    /// Name of the context provider that answered (`filesystem`, `mcp`).
    pub context_provider: String,
}

/// The coordinator's answer: a plan and a spec draft with the six sections and a Tasks checklist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoordinatorOutput {
    pub plan: String,
    pub draft: String,
    pub usage: Usage,
}

/// One delegated task for a specialist.
#[derive(Clone, Debug)]
pub struct TaskInput {
    pub prompt: String,
    pub root: PathBuf,
    pub draft: String,
    pub task: PlannedTask,
    pub items: Vec<ContextItem>,
    /// Summaries of the tasks this one depends on, in dependency order.
    pub dependency_summaries: Vec<(TaskId, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskOutput {
    pub summary: String,
    pub usage: Usage,
}

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
                "Check the model name (KATA_MODEL or --model) and the provider's base URL.".to_owned()
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
}

/// Plans, drafts and executes delegated tasks. Implementations must honour `cancel` promptly.
pub trait Coordinator: Send + Sync {
    /// Provider name as recorded in `provider_execution.provider`.
    fn provider_name(&self) -> &str;
    /// Model name as recorded in `provider_execution.model`.
    fn model_name(&self) -> &str;

    /// Drafts the plan and the spec.
    fn draft<'a>(
        &'a self,
        input: &'a CoordinatorInput,
        deltas: DeltaSink,
        cancel: &'a CancellationToken,
    ) -> BoxFuture<'a, Result<CoordinatorOutput, ProviderError>>;

    /// Executes one delegated task as its specialist.
    fn execute_task<'a>(
        &'a self,
        input: &'a TaskInput,
        deltas: DeltaSink,
        cancel: &'a CancellationToken,
    ) -> BoxFuture<'a, Result<TaskOutput, ProviderError>>;

    /// What calls that failed since the last take cost (retries, latency, tokens of rejected answers), so a
    /// failed run's telemetry is complete. Taken once: the next call starts from zero.
    fn take_failed_usage(&self) -> Usage {
        Usage::default()
    }
}

/// Installs rustls' ring crypto provider as the process default, once. reqwest is built without a provider
/// of its own, so this must run before the first HTTP client is built; calling it again does nothing.
pub fn install_crypto_provider() {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        // An error means another provider is installed already, which serves as well.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// Sleeps for `duration` unless cancelled first.
pub async fn cancellable_sleep(
    duration: Duration,
    cancel: &CancellationToken,
) -> Result<(), ProviderError> {
    if duration.is_zero() {
        return if cancel.is_cancelled() {
            Err(ProviderError::Cancelled)
        } else {
            Ok(())
        };
    }
    tokio::select! {
        () = cancel.cancelled() => Err(ProviderError::Cancelled),
        () = tokio::time::sleep(duration) => Ok(()),
    }
}
