//! The [`ChatModel`] of the HTTP providers (anthropic, openai, openai-compatible): one streamed request per
//! turn on the shared client, with its retries, Retry-After and typed errors.

use std::sync::Mutex;

use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;

use super::chat::ChatClient;
use super::chat_model::ChatModel;
use super::conversation::{AssistantTurn, TurnRequest};
use super::delta_sink::DeltaSink;
use super::error::ProviderError;
use super::usage::Usage;

pub struct HttpChatModel {
    client: ChatClient,
    provider: String,
    model: String,
    /// What failed turns cost (retries, time), handed over by `take_failed_usage`.
    failed: Mutex<Usage>,
}

impl HttpChatModel {
    pub fn new(client: ChatClient) -> Self {
        let provider = client.endpoint().kind.as_str().to_owned();
        let model = client.endpoint().model.clone();
        Self {
            client,
            provider,
            model,
            failed: Mutex::new(Usage::default()),
        }
    }
}

impl ChatModel for HttpChatModel {
    fn provider_name(&self) -> &str {
        &self.provider
    }

    fn model_name(&self) -> &str {
        &self.model
    }

    fn respond<'a>(
        &'a self,
        request: &'a TurnRequest,
        deltas: DeltaSink,
        cancel: &'a CancellationToken,
    ) -> BoxFuture<'a, Result<AssistantTurn, ProviderError>> {
        Box::pin(async move {
            let outcome = self.client.turn(request, &deltas, cancel).await;
            if outcome.result.is_err()
                && let Ok(mut failed) = self.failed.lock()
            {
                failed.add(outcome.usage);
            }
            outcome.result
        })
    }

    fn take_failed_usage(&self) -> Usage {
        self.failed
            .lock()
            .map(|mut f| std::mem::take(&mut *f))
            .unwrap_or_default()
    }
}
