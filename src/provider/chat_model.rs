//! A model that answers one turn of a conversation with tools: what the orchestrator's tool loop calls.
//!
//! The loop sends the system prompt, the conversation and the tool definitions; the model streams its text
//! to a [`DeltaSink`] and returns an [`AssistantTurn`] with its tool calls and stop reason. The loop runs
//! the calls, appends the turn and the results to the conversation, and asks again until the model ends
//! its turn. The same trait covers every provider: the HTTP ones (`http_chat_model.rs`) and the offline
//! one (`offline/scripted_model.rs`), so every tool path can be tested without a network.

use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;

use super::conversation::{AssistantTurn, TurnRequest};
use super::delta_sink::DeltaSink;
use super::error::ProviderError;
use super::usage::Usage;

/// Answers one turn of a conversation. Implementations must honour `cancel` promptly.
pub trait ChatModel: Send + Sync {
    /// Provider name as recorded in `provider_execution.provider`.
    fn provider_name(&self) -> &str;
    /// Model name as recorded in `provider_execution.model`.
    fn model_name(&self) -> &str;

    /// Streams the next assistant turn of `request`'s conversation.
    fn respond<'a>(
        &'a self,
        request: &'a TurnRequest,
        deltas: DeltaSink,
        cancel: &'a CancellationToken,
    ) -> BoxFuture<'a, Result<AssistantTurn, ProviderError>>;

    /// What calls that failed since the last take cost (retries, latency), so a failed task's telemetry
    /// is complete. Taken once: the next call starts from zero.
    fn take_failed_usage(&self) -> Usage {
        Usage::default()
    }
}
