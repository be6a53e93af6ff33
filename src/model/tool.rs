//! Tools as a model sees them: what it may call, the calls it made, the results it is sent back, and why
//! it stopped. Plain data: the providers' wire formats map them to their JSON (see `docs/PROVIDERS.md`),
//! the engine records them in a run's event log so a task's conversation can be replayed. A call whose arguments are not a JSON object is kept, raw text and parse error
//! included, so the tool loop can answer the model with a tool error instead of failing the task.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A tool the model may call: its name, what it is for, and the JSON schema of its input object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ToolDefinition {
    pub name: String,
    pub description: String,
    /// A JSON schema with `"type": "object"` at the top, as both APIs require.
    pub input_schema: Value,
}

/// The arguments of one tool call as the model sent them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ToolArguments {
    /// A JSON object (an empty argument string counts as `{}`).
    Json { value: Value },
    /// Text that is not a JSON object: cut off, broken, or another JSON type. `error` says why.
    Malformed { raw: String, error: String },
}

impl ToolArguments {
    /// Parses the argument text a model streamed. Never fails: what is not a JSON object is `Malformed`.
    pub fn parse(raw: &str) -> Self {
        if raw.trim().is_empty() {
            return ToolArguments::Json {
                value: Value::Object(serde_json::Map::new()),
            };
        }
        match serde_json::from_str::<Value>(raw) {
            Ok(value @ Value::Object(_)) => ToolArguments::Json { value },
            Ok(other) => ToolArguments::Malformed {
                raw: raw.to_owned(),
                error: format!("expected a JSON object, got {}", json_type(&other)),
            },
            Err(e) => ToolArguments::Malformed {
                raw: raw.to_owned(),
                error: e.to_string(),
            },
        }
    }

    /// The arguments as JSON text, as they are sent back to the model in the conversation (malformed
    /// ones as the model sent them).
    pub fn to_json_text(&self) -> String {
        match self {
            ToolArguments::Json { value } => value.to_string(),
            ToolArguments::Malformed { raw, .. } => raw.clone(),
        }
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// One tool call the model made. `id` ties the result to it (`tool_use_id` / `tool_call_id`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    pub arguments: ToolArguments,
}

impl ToolCall {
    /// The input object, or the parse error a tool loop answers the model with.
    pub fn input(&self) -> Result<&Value, String> {
        match &self.arguments {
            ToolArguments::Json { value } => Ok(value),
            ToolArguments::Malformed { error, .. } => Err(format!(
                "the arguments of `{}` are not a JSON object: {error}",
                self.name
            )),
        }
    }
}

/// What running a tool gave, sent back to the model in the next request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolResult {
    /// The id of the call this answers.
    pub call_id: String,
    pub content: String,
    /// The tool failed (or the call was malformed); the model should see it as an error.
    pub is_error: bool,
}

/// Why the model stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// The model is done: its text is the answer.
    EndTurn,
    /// The model waits for the results of its tool calls.
    ToolUse,
    /// The answer hit `max_tokens` and was cut off (its last tool call may be malformed).
    MaxTokens,
}

impl StopReason {
    pub const fn as_str(self) -> &'static str {
        match self {
            StopReason::EndTurn => "end_turn",
            StopReason::ToolUse => "tool_use",
            StopReason::MaxTokens => "max_tokens",
        }
    }

    /// The stop reason of a turn from what the provider said and the calls it made. Some servers say
    /// `stop` with tool calls, so any call makes it `ToolUse` unless the answer was cut off.
    pub fn of_turn(max_tokens: bool, has_tool_calls: bool) -> Self {
        if max_tokens {
            StopReason::MaxTokens
        } else if has_tool_calls {
            StopReason::ToolUse
        } else {
            StopReason::EndTurn
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn arguments_parse_to_objects_or_say_why_not() {
        assert_eq!(
            ToolArguments::parse(r#"{"path":"a"}"#),
            ToolArguments::Json {
                value: json!({"path":"a"})
            }
        );
        assert_eq!(
            ToolArguments::parse("  "),
            ToolArguments::Json { value: json!({}) }
        );
        let ToolArguments::Malformed { raw, error } = ToolArguments::parse(r#"{"path": "a"#) else {
            panic!("cut-off JSON parsed");
        };
        assert_eq!(raw, r#"{"path": "a"#);
        assert!(error.contains("EOF"), "{error}");
        let ToolArguments::Malformed { error, .. } = ToolArguments::parse("[1]") else {
            panic!("an array is not an object");
        };
        assert_eq!(error, "expected a JSON object, got an array");
    }

    #[test]
    fn a_malformed_call_names_itself_in_its_input_error() {
        let call = ToolCall {
            id: "c1".into(),
            name: "read_file".into(),
            arguments: ToolArguments::parse("{"),
        };
        let e = call.input().unwrap_err();
        assert!(
            e.starts_with("the arguments of `read_file` are not a JSON object: "),
            "{e}"
        );
        assert_eq!(call.arguments.to_json_text(), "{");
    }
}
