//! What a specialist is told: its role, its workspace, how to use the tools, and the project's
//! instructions.

use super::instructions::{Instruction, render};
use crate::model::TaskKind;

/// The system prompt of a specialist's tool loop.
pub fn system(kind: TaskKind, writable: bool, instructions: &[Instruction]) -> String {
    let role = match kind {
        TaskKind::Implement => {
            "Implement your task: read and search before you change anything, make the smallest change \
             that does the task, and keep the code's style."
        }
        TaskKind::Verify => {
            "Verify the work against the spec's acceptance criteria: read what changed and run the \
             project's tests or checks. Fix nothing yourself; report what passes and what fails."
        }
        TaskKind::Debug => {
            "A check failed; its output is below. Find the cause in the code and fix it with the smallest \
             change, then run the check again."
        }
    };
    let workspace = if writable {
        "You work in a git worktree of the user's repository made for this session: your changes stay \
         there until the user reviews them."
    } else {
        "This workspace is read-only: you can read, list and search, but not change files or run \
         commands. Report what should change and where."
    };
    let mut out = format!(
        "You are the {} of a team of coding agents, given one task of a spec.\n\n{role}\n\n{workspace} \
         Paths are relative to the repository root; you cannot leave it. Commands run with a time limit, \
         without input and without network credentials.\n\nWhen you are done, answer without calling a \
         tool: a short report (at most 200 words) of what you did, where (`path:start-end`), and how you \
         checked it.",
        kind.specialist()
    );
    if !instructions.is_empty() {
        out.push_str("\n\n");
        out.push_str(&render(instructions));
    }
    out
}
