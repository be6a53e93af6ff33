//! The offline provider: deterministic, no network, the embedded default.
//!
//! `deterministic.rs` drafts the spec and writes task summaries as pure functions of the prompt and the
//! context. `script.rs` reads an offline script (`KATA_OFFLINE_SCRIPT`, format in `docs/PROVIDERS.md`), and
//! `scripted_model.rs` is the offline [`ChatModel`](crate::provider::chat_model::ChatModel) that follows it,
//! turn by turn, so the tool loop can be tested without a network.

pub mod deterministic;
pub mod script;
pub mod scripted_model;

pub use deterministic::{OFFLINE_MODEL, OfflineCoordinator, draft_spec};
pub use script::{OfflineScript, ScriptError};
pub use scripted_model::OfflineChatModel;
