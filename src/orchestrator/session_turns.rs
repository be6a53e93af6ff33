//! What a follow-up's coordinator sees of its session: the earlier turns (each prompt and what its run
//! produced, summarised within a budget, newest kept first) and the spec it refines.

use crate::model::spec_task::marks;
use crate::model::{RunRecord, SpecRecord, TaskRecord, TaskStatus};
use crate::provider::EarlierTurn;

use super::spec_ticks::draft_with_marks;

/// The most characters all earlier turns together may take.
pub const TURNS_BUDGET: usize = 6_000;
/// The most characters one turn's outcome may take.
const OUTCOME_LIMIT: usize = 600;
/// The most characters one turn's prompt may take.
const PROMPT_LIMIT: usize = 600;

/// A run of the session with its tasks.
pub type Turn = (RunRecord, Vec<TaskRecord>);

/// `text` cut to at most `max` bytes at a character boundary, with `…` when cut.
fn shorten(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max.saturating_sub(3);
    while end > 0 && !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", text.get(..end).unwrap_or(""))
}

/// One run's outcome in a line or a few: its status, then each task's first line of summary or error.
fn outcome(run: &RunRecord, tasks: &[TaskRecord]) -> String {
    let mut out = format!("{}.", run.status);
    for task in tasks {
        let said = match task.status {
            TaskStatus::Completed => task.summary.as_deref(),
            _ => task.error.as_ref().map(|e| e.message.as_str()),
        };
        let first = said
            .and_then(|s| s.lines().map(str::trim).find(|l| !l.is_empty()))
            .unwrap_or("");
        out.push_str(&format!(
            " {} {} ({}): {}",
            task.id, task.title, task.status, first
        ));
        if !first.is_empty() && !first.ends_with(['.', '!', '?']) {
            out.push('.');
        }
    }
    shorten(&out, OUTCOME_LIMIT)
}

/// The earlier turns, oldest first, and how many older ones were left out: the newest turns are kept
/// whole while they fit the budget, then prompts alone, then none.
pub fn earlier_turns(turns: &[Turn]) -> (Vec<EarlierTurn>, usize) {
    let mut kept: Vec<EarlierTurn> = Vec::new();
    let mut used = 0;
    let mut left_out = 0;
    for (run, tasks) in turns.iter().rev() {
        let prompt = shorten(&run.prompt, PROMPT_LIMIT);
        let full = outcome(run, tasks);
        if used + prompt.len() + full.len() <= TURNS_BUDGET {
            used += prompt.len() + full.len();
            kept.push(EarlierTurn {
                prompt,
                outcome: full,
            });
        } else if used + prompt.len() <= TURNS_BUDGET {
            used += prompt.len();
            kept.push(EarlierTurn {
                prompt,
                outcome: "(left out for length)".to_owned(),
            });
        } else {
            left_out += 1;
        }
    }
    kept.reverse();
    (kept, left_out)
}

/// The spec a follow-up refines: the session's spec when it has content, else the newest earlier draft
/// with its run's progress marked (the user has not applied one yet), else nothing.
pub fn base_spec(spec: Option<&SpecRecord>, turns: &[Turn]) -> String {
    if let Some(spec) = spec.filter(|s| !s.content.trim().is_empty()) {
        return spec.content.clone();
    }
    turns
        .iter()
        .rev()
        .find_map(|(run, tasks)| {
            let draft = run.draft.as_ref()?;
            Some(draft_with_marks(&draft.content, &[], tasks))
        })
        .unwrap_or_default()
}

/// The ids the session's spec and drafts use, so new task lines get fresh ones.
pub fn used_ids(spec: &str, turns: &[Turn]) -> Vec<String> {
    let mut ids: Vec<String> = marks(spec).into_keys().collect();
    for (run, _) in turns {
        if let Some(draft) = &run.draft {
            ids.extend(marks(&draft.content).into_keys());
        }
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        ContextProviderKind, NewRun, OwnerId, RunId, RunOptions, SessionId, SpaceId, Timestamp,
    };

    fn run(n: usize, prompt: &str) -> Turn {
        let record = RunRecord::queued(
            NewRun {
                id: RunId::new(format!("r{n}")),
                space_id: SpaceId::new("sp"),
                session_id: SessionId::new("se"),
                prompt: prompt.to_owned(),
                requested_context: ContextProviderKind::Filesystem,
                options: RunOptions::default(),
                owner: OwnerId::new("o"),
            },
            Timestamp::from_unix_millis(n as i64),
        );
        (record, Vec::new())
    }

    #[test]
    fn newest_turns_are_kept_whole_and_the_oldest_left_out() {
        let long = "x".repeat(590);
        let turns: Vec<Turn> = (1..=20).map(|n| run(n, &format!("{n} {long}"))).collect();
        let (kept, left_out) = earlier_turns(&turns);
        assert!(left_out > 0, "twenty long turns do not fit");
        assert_eq!(kept.len() + left_out, 20);
        assert!(kept.last().unwrap().prompt.starts_with("20 "));
        assert!(kept.last().unwrap().outcome.starts_with("queued."));
        let total: usize = kept.iter().map(|t| t.prompt.len() + t.outcome.len()).sum();
        assert!(total <= TURNS_BUDGET);
    }

    #[test]
    fn shortening_respects_character_boundaries() {
        assert_eq!(shorten("ééééé", 6), "é…");
        assert_eq!(shorten("abc", 6), "abc");
    }
}
