//! The offline provider following a script from `KATA_OFFLINE_SCRIPT`: the turns of a task driven to the
//! end as a tool loop would, the same on every run, per round for verify tasks; bad scripts named with the
//! file and the entry; and without a script, no tool calls.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use kata_cloud::model::{TaskId, TaskKind};
use kata_cloud::provider::registry::{ProviderRegistry, ProviderSettings};
use kata_cloud::provider::{
    ChatModel, DeltaSink, Message, StopReason, ToolArguments, ToolResult, TurnRequest, TurnScope,
};
use serde_json::json;
use tokio_util::sync::CancellationToken;

const SCRIPT: &str = r#"{
  "tasks": {
    "t1": [
      {"text": "Writing the two files.", "calls": [
        {"tool": "write_file", "input": {"path": "src/a.rs", "content": "pub fn a() {}\n"}},
        {"tool": "write_file", "input": {"path": "src/b.rs", "content": "pub fn b() {}\n"}}]},
      {"tool": "edit_file", "raw_input": "{\"path\": \"src/a.rs\", \"old\": "},
      {"tool": "read_file", "id": "my-read", "input": {"path": "src/a.rs"}}
    ]
  },
  "kinds": {
    "verify": {"rounds": [
      [{"tool": "run_command", "input": {"command": "cargo test"}}],
      [{"tool": "run_command", "input": {"command": "cargo test"}}, {"say": "The check passes."}]
    ]},
    "debug": [{"tool": "edit_file", "input": {"path": "src/b.rs", "old": "b", "new": "c"}}]
  }
}"#;

fn registry(script: Option<&Path>) -> ProviderRegistry {
    let mut vars: HashMap<String, String> = HashMap::new();
    if let Some(path) = script {
        vars.insert(
            "KATA_OFFLINE_SCRIPT".into(),
            path.to_string_lossy().into_owned(),
        );
    }
    ProviderRegistry::new(ProviderSettings::from_vars(|n| vars.get(n).cloned()))
}

fn write_script(dir: &Path, text: &str) -> std::path::PathBuf {
    let path = dir.join("script.json");
    std::fs::write(&path, text).unwrap();
    path
}

/// Drives one task's turns to the end as the tool loop will: each call answered (an error for malformed
/// arguments); returns the turns and all streamed text.
fn drive(model: &dyn ChatModel, id: &str, kind: TaskKind, round: u32) -> (Vec<Message>, String) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let streamed = Arc::new(std::sync::Mutex::new(String::new()));
    let s = streamed.clone();
    let sink: DeltaSink = Arc::new(move |t: &str| s.lock().unwrap().push_str(t));
    let mut request = TurnRequest {
        system: "You are the specialist.".into(),
        messages: vec![Message::User { text: "go".into() }],
        tools: Vec::new(),
        max_tokens: 1000,
        scope: Some(TurnScope {
            task_id: TaskId::new(id),
            kind,
            round,
        }),
    };
    for _ in 0..20 {
        let turn = runtime
            .block_on(model.respond(&request, sink.clone(), &CancellationToken::new()))
            .unwrap();
        request.messages.push(turn.to_message());
        if turn.stop_reason == StopReason::EndTurn {
            let text = streamed.lock().unwrap().clone();
            return (request.messages, text);
        }
        assert_eq!(turn.stop_reason, StopReason::ToolUse);
        for call in &turn.tool_calls {
            let (content, is_error) = match call.input() {
                Ok(_) => (format!("{} done", call.name), false),
                Err(e) => (e, true),
            };
            request.messages.push(Message::ToolResult(ToolResult {
                call_id: call.id.clone(),
                content,
                is_error,
            }));
        }
    }
    panic!("the scripted task never ended its turn");
}

/// The calls of a conversation as (id, tool, input or "malformed").
fn calls(messages: &[Message]) -> Vec<(String, String, String)> {
    messages
        .iter()
        .filter_map(|m| match m {
            Message::Assistant { tool_calls, .. } => Some(tool_calls),
            _ => None,
        })
        .flatten()
        .map(|c| {
            let input = match &c.arguments {
                ToolArguments::Json { value } => value.to_string(),
                ToolArguments::Malformed { .. } => "malformed".to_owned(),
            };
            (c.id.clone(), c.name.clone(), input)
        })
        .collect()
}

fn last_text(messages: &[Message]) -> &str {
    match messages.last() {
        Some(Message::Assistant { text, .. }) => text,
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_task_follows_its_steps_then_ends_with_a_summary_the_same_every_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_script(dir.path(), SCRIPT);
    let model = registry(Some(&path))
        .chat_model(Some("offline"), None)
        .unwrap();
    assert_eq!(model.provider_name(), "offline");
    let (messages, streamed) = drive(&*model, "t1", TaskKind::Implement, 1);
    assert_eq!(
        calls(&messages),
        [
            (
                "call_t1_1_1_1".to_owned(),
                "write_file".to_owned(),
                json!({"path": "src/a.rs", "content": "pub fn a() {}\n"}).to_string()
            ),
            (
                "call_t1_1_1_2".to_owned(),
                "write_file".to_owned(),
                json!({"path": "src/b.rs", "content": "pub fn b() {}\n"}).to_string()
            ),
            (
                "call_t1_1_2_1".to_owned(),
                "edit_file".to_owned(),
                "malformed".to_owned()
            ),
            (
                "my-read".to_owned(),
                "read_file".to_owned(),
                json!({"path": "src/a.rs"}).to_string()
            ),
        ]
    );
    let summary = "Followed the offline script (tasks.t1, round 1) for t1: 4 tool calls, 1 answered with an error.";
    assert_eq!(last_text(&messages), summary);
    assert_eq!(streamed, format!("Writing the two files.{summary}"));

    let again = registry(Some(&path)).chat_model(None, None).unwrap();
    assert_eq!(drive(&*again, "t1", TaskKind::Implement, 1).0, messages);
}

#[test]
fn kinds_cover_tasks_without_an_entry_and_rounds_differ() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_script(dir.path(), SCRIPT);
    let model = registry(Some(&path))
        .chat_model(Some("offline"), None)
        .unwrap();
    let (first, _) = drive(&*model, "t3", TaskKind::Verify, 1);
    assert_eq!(
        calls(&first),
        [(
            "call_t3_1_1_1".to_owned(),
            "run_command".to_owned(),
            json!({"command": "cargo test"}).to_string()
        )]
    );
    assert_eq!(
        last_text(&first),
        "Followed the offline script (kinds.verify, round 1) for t3: 1 tool call."
    );
    let (second, _) = drive(&*model, "t5", TaskKind::Verify, 2);
    assert_eq!(calls(&second)[0].0, "call_t5_2_1_1");
    assert_eq!(last_text(&second), "The check passes.");
    let (debug, _) = drive(&*model, "t4", TaskKind::Debug, 1);
    assert_eq!(calls(&debug)[0].1, "edit_file");
}

#[test]
fn bad_scripts_name_the_file_and_the_entry() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write_script(
        dir.path(),
        r#"{"tasks": {"t2": [{"tool": "read_file", "input": {"path": "a"}}, {"tool": "x", "inptu": {}}]}}"#,
    );
    let e = registry(Some(&bad))
        .chat_model(Some("offline"), None)
        .err()
        .unwrap();
    assert_eq!(e.code(), "not_configured");
    let message = e.to_string();
    assert!(message.contains(&bad.display().to_string()), "{message}");
    assert!(
        message.contains("tasks.t2 step 2: unknown field `inptu`"),
        "{message}"
    );
    assert!(e.remediation().contains("docs/PROVIDERS.md"));

    let missing = dir.path().join("nope.json");
    let e = registry(Some(&missing)).offline_script().unwrap_err();
    assert!(
        e.to_string().starts_with(&format!(
            "the offline script {} could not be read",
            missing.display()
        )),
        "{e}"
    );
}

#[test]
fn without_a_script_the_offline_model_calls_no_tools() {
    let model = registry(None).chat_model(Some("offline"), None).unwrap();
    let (messages, _) = drive(&*model, "t1", TaskKind::Implement, 1);
    assert_eq!(messages.len(), 2);
    assert!(calls(&messages).is_empty());
    assert!(last_text(&messages).contains("without a script"));
    assert!(registry(None).offline_script().unwrap().is_none());
}
