//! Tool calls assembled from a stream: both formats send a call's id and name first and its arguments as
//! JSON text in pieces, keyed by a position (Anthropic's content block index, OpenAI's tool call index).

use std::collections::BTreeMap;

use crate::provider::error::ProviderError;
use crate::provider::tool::{ToolArguments, ToolCall};

/// The most argument text one call may stream; more is a broken stream, not a tool call.
pub const MAX_ARGUMENT_BYTES: usize = 8 * 1024 * 1024;

#[derive(Debug, Default)]
struct PendingCall {
    id: String,
    name: String,
    arguments: String,
    /// Arguments given whole when the call opened, used if no pieces follow.
    preset: Option<String>,
}

/// The calls of one answer under construction, in position order.
#[derive(Debug, Default)]
pub struct ToolCallBuilder {
    calls: BTreeMap<u64, PendingCall>,
}

impl ToolCallBuilder {
    /// Notes the id and name of the call at `index`. The first non-empty value of each wins, since some
    /// servers repeat them on every piece.
    pub fn identify(&mut self, index: u64, id: Option<&str>, name: Option<&str>) {
        let call = self.calls.entry(index).or_default();
        if let Some(id) = id.filter(|i| !i.is_empty())
            && call.id.is_empty()
        {
            id.clone_into(&mut call.id);
        }
        if let Some(name) = name.filter(|n| !n.is_empty())
            && call.name.is_empty()
        {
            name.clone_into(&mut call.name);
        }
    }

    /// Appends a piece of the arguments of the call at `index`.
    pub fn append(&mut self, wire: &str, index: u64, piece: &str) -> Result<(), ProviderError> {
        let call = self.calls.entry(index).or_default();
        if call.arguments.len() + piece.len() > MAX_ARGUMENT_BYTES {
            return Err(ProviderError::Protocol {
                message: format!(
                    "the {wire} stream sent more than {} MiB of arguments for one tool call",
                    MAX_ARGUMENT_BYTES / (1024 * 1024)
                ),
            });
        }
        call.arguments.push_str(piece);
        Ok(())
    }

    /// Arguments sent whole when the call opened; pieces that follow replace them.
    pub fn preset(&mut self, index: u64, arguments: String) {
        self.calls.entry(index).or_default().preset = Some(arguments);
    }

    /// The finished calls in position order; a call without an id gets `call_<position>` so its result
    /// can still refer to it.
    pub fn finish(&self) -> Vec<ToolCall> {
        self.calls
            .iter()
            .map(|(index, call)| ToolCall {
                id: if call.id.is_empty() {
                    format!("call_{index}")
                } else {
                    call.id.clone()
                },
                name: call.name.clone(),
                arguments: match &call.preset {
                    Some(preset) if call.arguments.is_empty() => ToolArguments::parse(preset),
                    _ => ToolArguments::parse(&call.arguments),
                },
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pieces_join_per_position_and_first_ids_win() {
        let mut b = ToolCallBuilder::default();
        b.identify(1, Some("b"), Some("second"));
        b.identify(0, Some("a"), Some("first"));
        b.append("w", 0, "{\"x\":").unwrap();
        b.append("w", 1, "{}").unwrap();
        b.append("w", 0, "1}").unwrap();
        b.identify(0, Some("other"), Some("other"));
        let calls = b.finish();
        assert_eq!(calls.len(), 2);
        assert_eq!(
            (calls[0].id.as_str(), calls[0].name.as_str()),
            ("a", "first")
        );
        assert_eq!(calls[0].input().unwrap(), &json!({"x": 1}));
        assert_eq!(calls[1].input().unwrap(), &json!({}));
    }

    #[test]
    fn missing_ids_are_made_from_the_position_and_huge_arguments_are_refused() {
        let mut b = ToolCallBuilder::default();
        b.identify(3, None, Some("t"));
        assert_eq!(b.finish()[0].id, "call_3");
        let big = "x".repeat(MAX_ARGUMENT_BYTES);
        b.append("w", 3, &big).unwrap();
        assert_eq!(b.append("w", 3, "y").unwrap_err().code(), "protocol");
    }
}
