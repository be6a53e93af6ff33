//! What the thread shows of a task's tool calls: one row per call, in the order the task made them, then
//! the files the task changed. Kept apart from the drawing so another kind of row tied to a call (a
//! permission request waiting on it) can be placed next to the call's row by the same derivation.

use crate::model::{EffectDetail, RunView, TaskId, ToolCallRecord};

use super::model::ThreadItem;

/// The thread rows of task `task` (its index in `view.tasks`) of run `run` (its index in the session):
/// a [`ThreadItem::Tool`] per call, then a [`ThreadItem::TaskFiles`] when it changed files.
pub fn task_items(view: &RunView, run: usize, task: usize) -> Vec<ThreadItem> {
    let Some(id) = view.tasks.get(task).map(|t| &t.id) else {
        return Vec::new();
    };
    let mut items: Vec<ThreadItem> = view
        .tool_calls
        .iter()
        .enumerate()
        .filter(|(_, c)| &c.task_id == id)
        .map(|(i, _)| ThreadItem::Tool(run, i))
        .collect();
    if !changed_files(&view.tool_calls, id).is_empty() {
        items.push(ThreadItem::TaskFiles(run, task));
    }
    items
}

/// The files a task wrote or edited (calls that finished), once each, in the order first touched.
pub fn changed_files<'a>(calls: &'a [ToolCallRecord], task: &TaskId) -> Vec<&'a str> {
    let mut files: Vec<&str> = Vec::new();
    for call in calls.iter().filter(|c| &c.task_id == task) {
        if call.status != crate::model::ToolCallStatus::Done {
            continue;
        }
        if let Some(EffectDetail::File {
            path,
            before,
            after,
        }) = &call.effect
            && before != after
            && !files.contains(&path.as_str())
        {
            files.push(path);
        }
    }
    files
}

/// The verb a row shows for a tool (`Read`, `Edit`, `Run`, ...); an unknown tool shows its own name.
pub fn verb(tool: &str) -> &str {
    match tool {
        "read_file" => "Read",
        "write_file" => "Write",
        "edit_file" => "Edit",
        "run_command" => "Run",
        "list_files" => "List",
        "search" => "Search",
        other => other,
    }
}

/// At most `keep` lines from each end of `text`, with how many were left out between them.
pub fn head_and_tail(text: &str, keep: usize) -> (Vec<&str>, usize, Vec<&str>) {
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() <= 2 * keep {
        return (lines, 0, Vec::new());
    }
    let head = lines[..keep].to_vec();
    let tail = lines[lines.len() - keep..].to_vec();
    (head, lines.len() - 2 * keep, tail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_output_keeps_its_head_and_tail() {
        let text: String = (1..=50).map(|i| format!("line {i}\n")).collect();
        let (head, hidden, tail) = head_and_tail(&text, 5);
        assert_eq!(head, vec!["line 1", "line 2", "line 3", "line 4", "line 5"]);
        assert_eq!(hidden, 40);
        assert_eq!(tail.first(), Some(&"line 46"));
        assert_eq!(tail.last(), Some(&"line 50"));
        let (all, hidden, tail) = head_and_tail("a\nb\n", 5);
        assert_eq!((all.len(), hidden, tail.len()), (2, 0, 0));
    }

    #[test]
    fn verbs_name_known_tools_and_keep_unknown_ones() {
        assert_eq!(verb("edit_file"), "Edit");
        assert_eq!(verb("run_command"), "Run");
        assert_eq!(verb("mcp_lookup"), "mcp_lookup");
    }
}
