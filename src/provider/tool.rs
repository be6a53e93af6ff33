//! The tool-calling types every wire format maps: they are plain data and live in the model (the engine
//! records them too); re-exported here under the provider's paths.

pub use crate::model::tool::{ToolArguments, ToolCall, ToolDefinition, ToolResult};
