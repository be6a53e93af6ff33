//! The two wire formats a model provider speaks, behind one trait the streaming client uses.
//!
//! A [`WireFormat`] says where a request goes, how it is authenticated, what its JSON body is, and gives a
//! [`StreamDecoder`] that folds the server-sent events of one answer. The client (`chat.rs`) does the HTTP,
//! the timeouts, the retries and the error mapping, the same for both. `docs/PROVIDERS.md` describes the
//! shapes the code relies on.

pub mod anthropic;
pub mod error_event;
pub mod format;
pub mod model_list;
pub mod openai;
pub mod tool_calls;

use super::choice::ProviderChoice;

pub use anthropic::AnthropicMessages;
pub use format::{ChatRequest, StreamDecoder, StreamSummary, WireFormat};
pub use openai::ChatCompletions;

/// The wire format a provider speaks: Anthropic's Messages API, or Chat Completions for the OpenAI kinds.
pub fn for_provider(kind: ProviderChoice) -> &'static dyn WireFormat {
    match kind {
        ProviderChoice::Anthropic => &AnthropicMessages,
        ProviderChoice::OpenAi | ProviderChoice::OpenAiCompatible | ProviderChoice::Offline => {
            &ChatCompletions
        }
    }
}
