//! The offline script: which tool calls the offline provider makes, per task, turn by turn.
//!
//! A JSON file (named by `KATA_OFFLINE_SCRIPT`) with two optional maps: `tasks`, keyed by task id (`t1`),
//! and `kinds`, keyed by task kind (`implement`, `verify`, `debug`) for tasks without an entry of their own.
//! An entry is a list of steps, or `{"rounds": [[steps], ...]}` when a verify/debug task should act
//! differently in later rounds (round N uses the Nth list; later rounds the last). A step is one turn:
//! `{"tool": NAME, "input": {...}}` (or `"raw_input": "TEXT"` to send argument text as is, malformed
//! included), `{"calls": [{"tool": ..., "input": ...}, ...]}` for several calls in one turn (each may name
//! its `id`), or `{"say": "TEXT"}` to end the task's turn. A step may add `"text"` the model "says" first.
//! `docs/PROVIDERS.md` has the full format and an example.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use crate::model::TaskKind;
use crate::provider::conversation::TurnScope;
use crate::provider::error::ProviderError;
use crate::provider::tool::ToolArguments;

/// The largest script read, so a wrong path (a log, a device) cannot eat the memory.
const MAX_SCRIPT_BYTES: u64 = 16 * 1024 * 1024;

const KINDS: [TaskKind; 3] = [TaskKind::Implement, TaskKind::Verify, TaskKind::Debug];

/// A script that could not be used; each names the file and, for a bad entry, where in it.
#[derive(Debug, thiserror::Error)]
pub enum ScriptError {
    #[error("the offline script {path} could not be read: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the offline script {path} is larger than {limit} MiB", limit = MAX_SCRIPT_BYTES / (1024 * 1024))]
    TooLarge { path: PathBuf },
    #[error("the offline script {path} is not valid JSON: {error}")]
    Json { path: PathBuf, error: String },
    #[error("the offline script {path}: {entry}: {why}")]
    Entry {
        path: PathBuf,
        /// Where in the file: `tasks.t1 step 2`, `kinds.verify round 2 step 1`, `kinds.review`.
        entry: String,
        why: String,
    },
}

impl ScriptError {
    /// The contract's code: a script is configuration, so a bad one means the provider is not usable.
    pub fn code(&self) -> &'static str {
        "not_configured"
    }

    pub fn remediation(&self) -> String {
        match self {
            ScriptError::Read { .. } | ScriptError::TooLarge { .. } => {
                "Check the path in KATA_OFFLINE_SCRIPT (or run --script) names a readable JSON file."
                    .to_owned()
            }
            ScriptError::Json { .. } | ScriptError::Entry { .. } => {
                "Fix the script: docs/PROVIDERS.md describes the offline script format.".to_owned()
            }
        }
    }

    pub fn retryable(&self) -> bool {
        false
    }
}

impl From<ScriptError> for ProviderError {
    fn from(e: ScriptError) -> Self {
        ProviderError::NotConfigured {
            remediation: e.remediation(),
            message: e.to_string(),
        }
    }
}

/// One scripted tool call.
#[derive(Clone, Debug, PartialEq)]
pub struct ScriptedCall {
    /// The call id; made up from the task, round and turn when the script gives none.
    pub id: Option<String>,
    pub tool: String,
    pub arguments: ToolArguments,
}

/// One turn of a scripted task.
#[derive(Clone, Debug, PartialEq)]
pub enum ScriptStep {
    /// Say `text` (may be empty) and call the tools.
    Act {
        text: String,
        calls: Vec<ScriptedCall>,
    },
    /// End the task's turn with `text`.
    Say { text: String },
}

/// A task's (or a kind's) steps, per verify/debug round.
#[derive(Clone, Debug, PartialEq)]
pub struct ScriptEntry {
    rounds: Vec<Vec<ScriptStep>>,
}

impl ScriptEntry {
    /// The steps of `round` (1-based); rounds past the last use the last.
    pub fn steps(&self, round: u32) -> &[ScriptStep] {
        let index = usize::try_from(round.max(1) - 1).unwrap_or(usize::MAX);
        self.rounds
            .get(index)
            .or_else(|| self.rounds.last())
            .map_or(&[], Vec::as_slice)
    }
}

/// A loaded, checked script.
#[derive(Clone, Debug, PartialEq)]
pub struct OfflineScript {
    path: PathBuf,
    tasks: BTreeMap<String, ScriptEntry>,
    kinds: BTreeMap<&'static str, ScriptEntry>,
}

/// The file as written, before checking.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScript {
    #[serde(default)]
    tasks: BTreeMap<String, Value>,
    #[serde(default)]
    kinds: BTreeMap<String, Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRounds {
    rounds: Vec<Vec<Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    text: Option<String>,
    say: Option<String>,
    tool: Option<String>,
    id: Option<String>,
    input: Option<Value>,
    raw_input: Option<String>,
    calls: Option<Vec<RawCall>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCall {
    tool: String,
    id: Option<String>,
    input: Option<Value>,
    raw_input: Option<String>,
}

impl OfflineScript {
    /// Reads and checks the script at `path`.
    pub fn load(path: &Path) -> Result<Self, ScriptError> {
        let read_error = |source| ScriptError::Read {
            path: path.to_owned(),
            source,
        };
        let meta = std::fs::metadata(path).map_err(read_error)?;
        if meta.len() > MAX_SCRIPT_BYTES {
            return Err(ScriptError::TooLarge {
                path: path.to_owned(),
            });
        }
        let text = std::fs::read_to_string(path).map_err(read_error)?;
        Self::parse(path, &text)
    }

    /// Checks the script `text`; `path` is only used to name it in errors.
    pub fn parse(path: &Path, text: &str) -> Result<Self, ScriptError> {
        let raw: RawScript = serde_json::from_str(text).map_err(|e| ScriptError::Json {
            path: path.to_owned(),
            error: e.to_string(),
        })?;
        let bad = |entry: String, why: String| ScriptError::Entry {
            path: path.to_owned(),
            entry,
            why,
        };
        let mut tasks = BTreeMap::new();
        for (id, value) in raw.tasks {
            let name = format!("tasks.{id}");
            if id.trim().is_empty() || id.chars().any(char::is_whitespace) {
                return Err(bad(
                    name,
                    "a task id has no spaces (for example `t1`)".into(),
                ));
            }
            let entry = parse_entry(&name, value).map_err(|(at, why)| bad(at, why))?;
            tasks.insert(id, entry);
        }
        let mut kinds = BTreeMap::new();
        for (kind, value) in raw.kinds {
            let name = format!("kinds.{kind}");
            let Some(known) = KINDS.iter().find(|k| k.as_str() == kind) else {
                return Err(bad(
                    name,
                    "unknown task kind: use implement, verify or debug".into(),
                ));
            };
            let entry = parse_entry(&name, value).map_err(|(at, why)| bad(at, why))?;
            kinds.insert(known.as_str(), entry);
        }
        Ok(Self {
            path: path.to_owned(),
            tasks,
            kinds,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The entry for a task: its own (`tasks.<id>`), else its kind's (`kinds.<kind>`); with its name.
    pub fn entry_for(&self, scope: &TurnScope) -> Option<(String, &ScriptEntry)> {
        if let Some(entry) = self.tasks.get(scope.task_id.as_str()) {
            return Some((format!("tasks.{}", scope.task_id), entry));
        }
        let kind = scope.kind.as_str();
        self.kinds
            .get(kind)
            .map(|entry| (format!("kinds.{kind}"), entry))
    }
}

/// Where a problem is (`tasks.t1 step 2`) and what it is.
type EntryProblem = (String, String);

fn parse_entry(name: &str, value: Value) -> Result<ScriptEntry, EntryProblem> {
    let rounds: Vec<(String, Vec<Value>)> = match value {
        Value::Array(steps) => vec![(name.to_owned(), steps)],
        Value::Object(_) => {
            let raw: RawRounds = serde_json::from_value(value).map_err(|e| {
                (
                    name.to_owned(),
                    format!("{e} (an entry is a list of steps or {{\"rounds\": [[steps], ...]}})"),
                )
            })?;
            if raw.rounds.is_empty() {
                return Err((name.to_owned(), "`rounds` is empty".into()));
            }
            raw.rounds
                .into_iter()
                .enumerate()
                .map(|(n, steps)| (format!("{name} round {}", n + 1), steps))
                .collect()
        }
        _ => {
            return Err((
                name.to_owned(),
                "an entry is a list of steps or {\"rounds\": [[steps], ...]}".into(),
            ));
        }
    };
    let mut parsed = Vec::new();
    for (round_name, steps) in rounds {
        let count = steps.len();
        let mut round = Vec::new();
        for (n, value) in steps.into_iter().enumerate() {
            let at = format!("{round_name} step {}", n + 1);
            let step = parse_step(value).map_err(|why| (at.clone(), why))?;
            if matches!(step, ScriptStep::Say { .. }) && n + 1 < count {
                return Err((
                    at,
                    "`say` ends the task's turn, so it must be the last step".into(),
                ));
            }
            round.push(step);
        }
        parsed.push(round);
    }
    Ok(ScriptEntry { rounds: parsed })
}

fn parse_step(value: Value) -> Result<ScriptStep, String> {
    let raw: RawStep = serde_json::from_value(value).map_err(|e| e.to_string())?;
    let text = raw.text.unwrap_or_default();
    match (raw.say, raw.tool, raw.calls) {
        (Some(say), None, None) => {
            if raw.id.is_some() || raw.input.is_some() || raw.raw_input.is_some() {
                return Err("a `say` step takes no `id`, `input` or `raw_input`".into());
            }
            if !text.is_empty() {
                return Err("a `say` step has its text in `say`, not `text`".into());
            }
            Ok(ScriptStep::Say { text: say })
        }
        (None, Some(tool), None) => {
            let call = scripted_call(tool, raw.id, raw.input, raw.raw_input)?;
            Ok(ScriptStep::Act {
                text,
                calls: vec![call],
            })
        }
        (None, None, Some(calls)) => {
            if raw.id.is_some() || raw.input.is_some() || raw.raw_input.is_some() {
                return Err(
                    "a `calls` step has `id`, `input` and `raw_input` inside each call".into(),
                );
            }
            if calls.is_empty() {
                return Err("`calls` is empty".into());
            }
            let calls = calls
                .into_iter()
                .enumerate()
                .map(|(n, c)| {
                    scripted_call(c.tool, c.id, c.input, c.raw_input)
                        .map_err(|why| format!("call {}: {why}", n + 1))
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(ScriptStep::Act { text, calls })
        }
        _ => Err("a step has exactly one of `tool`, `calls` or `say`".into()),
    }
}

fn scripted_call(
    tool: String,
    id: Option<String>,
    input: Option<Value>,
    raw_input: Option<String>,
) -> Result<ScriptedCall, String> {
    if tool.trim().is_empty() {
        return Err("`tool` is empty".into());
    }
    let arguments = match (input, raw_input) {
        (Some(value @ Value::Object(_)), None) => ToolArguments::Json { value },
        (Some(_), None) => {
            return Err("`input` is a JSON object (use `raw_input` for anything else)".into());
        }
        (None, Some(raw)) => ToolArguments::parse(&raw),
        (None, None) => ToolArguments::Json {
            value: Value::Object(serde_json::Map::new()),
        },
        (Some(_), Some(_)) => return Err("a call has `input` or `raw_input`, not both".into()),
    };
    Ok(ScriptedCall {
        id,
        tool,
        arguments,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TaskId;
    use serde_json::json;

    fn parse(text: &str) -> Result<OfflineScript, ScriptError> {
        OfflineScript::parse(Path::new("/s/script.json"), text)
    }

    fn scope(id: &str, kind: TaskKind, round: u32) -> TurnScope {
        TurnScope {
            task_id: TaskId::new(id),
            kind,
            round,
        }
    }

    #[test]
    fn steps_are_found_by_task_then_kind_and_by_round() {
        let s = parse(
            r#"{"tasks": {"t1": [{"tool": "read_file", "input": {"path": "a"}, "text": "look"},
                                 {"calls": [{"tool": "x", "id": "c9"}, {"tool": "y", "raw_input": "{"}]},
                                 {"say": "done"}]},
                "kinds": {"verify": {"rounds": [[{"tool": "run_command", "input": {"command": "false"}}],
                                                [{"say": "ok"}]]}}}"#,
        )
        .unwrap();
        let (name, entry) = s.entry_for(&scope("t1", TaskKind::Implement, 1)).unwrap();
        assert_eq!(name, "tasks.t1");
        let steps = entry.steps(1);
        assert_eq!(steps.len(), 3);
        assert_eq!(
            steps[0],
            ScriptStep::Act {
                text: "look".into(),
                calls: vec![ScriptedCall {
                    id: None,
                    tool: "read_file".into(),
                    arguments: ToolArguments::Json {
                        value: json!({"path": "a"})
                    },
                }],
            }
        );
        let ScriptStep::Act { calls, .. } = &steps[1] else {
            panic!("{:?}", steps[1]);
        };
        assert_eq!(calls[0].id.as_deref(), Some("c9"));
        assert!(matches!(
            calls[1].arguments,
            ToolArguments::Malformed { .. }
        ));
        let (name, verify) = s.entry_for(&scope("t7", TaskKind::Verify, 2)).unwrap();
        assert_eq!(name, "kinds.verify");
        assert_eq!(verify.steps(2), &[ScriptStep::Say { text: "ok".into() }]);
        assert_eq!(verify.steps(9), verify.steps(2));
        assert!(matches!(verify.steps(1)[0], ScriptStep::Act { .. }));
        assert!(s.entry_for(&scope("t2", TaskKind::Debug, 1)).is_none());
    }

    #[test]
    fn bad_entries_are_named_with_the_file() {
        let cases = [
            (
                r#"{"tasks": {"t1": [{"tol": "x"}]}}"#,
                "the offline script /s/script.json: tasks.t1 step 1: unknown field `tol`",
            ),
            (
                r#"{"kinds": {"review": []}}"#,
                "the offline script /s/script.json: kinds.review: unknown task kind",
            ),
            (
                r#"{"tasks": {"t1": [{"say": "a"}, {"tool": "x"}]}}"#,
                "tasks.t1 step 1: `say` ends the task's turn",
            ),
            (
                r#"{"tasks": {"t1": [{"tool": "x", "say": "a"}]}}"#,
                "tasks.t1 step 1: a step has exactly one of",
            ),
            (
                r#"{"kinds": {"verify": {"rounds": [[], [{"tool": "x", "input": [1]}]]}}}"#,
                "kinds.verify round 2 step 1: `input` is a JSON object",
            ),
            (
                r#"{"tasks": {"t1": [{"calls": [{"tool": "a"}, {"tool": ""}]}]}}"#,
                "tasks.t1 step 1: call 2: `tool` is empty",
            ),
            (r#"{"tasks": {"t1": "x"}}"#, "tasks.t1: an entry is a list"),
            (r#"{"task": {}}"#, "unknown field `task`"),
        ];
        for (text, expected) in cases {
            let e = parse(text).unwrap_err().to_string();
            assert!(e.contains(expected), "{text}: {e}");
        }
        let e = parse("{\"tasks\": ").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("the offline script /s/script.json is not valid JSON: "),
            "{e}"
        );
        let p: ProviderError = e.into();
        assert_eq!(p.code(), "not_configured");
        assert!(p.remediation().contains("docs/PROVIDERS.md"));
    }

    #[test]
    fn a_missing_file_is_named() {
        let e = OfflineScript::load(Path::new("/nonexistent/kata-script.json")).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("the offline script /nonexistent/kata-script.json could not be read"),
            "{e}"
        );
        assert!(!e.retryable());
    }
}
