//! How far one specialist task may go: tool calls, tokens, wall time, the same failing call, and how many
//! debug-and-verify rounds a run may take. Read from the environment with the other provider settings.

use std::time::Duration;

/// The guards of a specialist's tool loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AgentLimits {
    /// `KATA_MAX_TOOL_CALLS`: tool calls per task.
    pub max_tool_calls: u32,
    /// `KATA_MAX_TASK_TOKENS`: input plus output tokens per task (summed over its turns).
    pub max_tokens: u64,
    /// `KATA_TASK_TIMEOUT_SECS`: wall time per task.
    pub wall_time: Duration,
    /// The same call failing this many times in a row ends the task.
    pub repeated_failures: u32,
    /// `KATA_VERIFY_ROUNDS`: after a failed check, at most this many debug-then-verify rounds.
    pub verify_rounds: u32,
    /// `KATA_CHECK_TIMEOUT_SECS`: how long the verifier's check command may run.
    pub check_timeout: Duration,
}

impl Default for AgentLimits {
    fn default() -> Self {
        Self {
            max_tool_calls: 60,
            max_tokens: 600_000,
            wall_time: Duration::from_secs(30 * 60),
            repeated_failures: 3,
            verify_rounds: 2,
            check_timeout: Duration::from_secs(20 * 60),
        }
    }
}

impl AgentLimits {
    /// The defaults, with what the environment sets (a value that is not a whole number is named in a
    /// warning and ignored).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Self {
        let number = |name: &str| {
            let value = var(name)?.trim().to_owned();
            if value.is_empty() {
                return None;
            }
            match value.parse::<u64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    tracing::warn!("{name}={value:?} is not a whole number; using the default");
                    None
                }
            }
        };
        let d = AgentLimits::default();
        AgentLimits {
            max_tool_calls: number("KATA_MAX_TOOL_CALLS")
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(d.max_tool_calls),
            max_tokens: number("KATA_MAX_TASK_TOKENS").unwrap_or(d.max_tokens),
            wall_time: number("KATA_TASK_TIMEOUT_SECS")
                .map(Duration::from_secs)
                .unwrap_or(d.wall_time),
            repeated_failures: d.repeated_failures,
            verify_rounds: number("KATA_VERIFY_ROUNDS")
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(d.verify_rounds),
            check_timeout: number("KATA_CHECK_TIMEOUT_SECS")
                .map(Duration::from_secs)
                .unwrap_or(d.check_timeout),
        }
    }
}
