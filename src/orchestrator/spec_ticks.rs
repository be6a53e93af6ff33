//! The spec follows the work: a task that starts marks its spec line `[/]`, a task that is done marks it
//! `[x]` — each a new spec revision recording the run and task, written in the same transaction as the task's
//! status, so a crash can neither lose a tick nor make a resumed run tick twice (a tick that changes nothing
//! writes nothing).
//!
//! "Done" waits for verification: a completed task that a verify task of its run depends on (directly or
//! through other tasks) stays `[/]` until a verify task passes; a verify task that passes marks itself and
//! every completed task of its run `[x]`. A tick rewrites only its own line of the spec as it is at commit
//! time, so a hand edit saved meanwhile is kept.

use std::collections::HashSet;

use crate::model::spec_task::{set_mark, with_task_ids};
use crate::model::{
    SessionId, SpecRecord, SpecTick, TaskId, TaskKind, TaskMark, TaskRecord, TaskStatus, Timestamp,
};
use crate::store::{StoreError, Tx};

/// Sets spec task `spec_task`'s mark in the session's current spec as a new revision. Returns the new
/// revision, or `None` when the spec has no such line or it already has that mark.
pub fn write_mark(
    tx: &mut Tx,
    session: &SessionId,
    spec_task: &str,
    mark: TaskMark,
    tick: Option<SpecTick>,
    at: Timestamp,
) -> Result<Option<SpecRecord>, StoreError> {
    let Some(current) = tx.spec(session)? else {
        return Ok(None);
    };
    let Ok(content) = set_mark(&current.content, spec_task, mark) else {
        return Ok(None);
    };
    if content == current.content {
        return Ok(None);
    }
    let is_tick = tick.is_some();
    let spec = SpecRecord {
        session_id: session.clone(),
        content,
        revision: current.revision + 1,
        // A tick keeps what the spec was applied from and when it was last edited: only its marks moved.
        applied_from_run: if is_tick {
            current.applied_from_run.clone()
        } else {
            None
        },
        updated_at: at,
        tick,
        edited_at: if is_tick {
            Some(current.edited_at())
        } else {
            Some(at)
        },
    };
    tx.put_spec(&spec)?;
    Ok(Some(spec))
}

/// The marks a change of `changed` earns, given all of its run's tasks as they are now.
pub fn marks_for(changed: &TaskRecord, tasks: &[TaskRecord]) -> Vec<(TaskId, String, TaskMark)> {
    let line = |t: &TaskRecord, mark| {
        t.spec_task
            .clone()
            .map(|spec_task| (t.id.clone(), spec_task, mark))
    };
    match changed.status {
        TaskStatus::Running => line(changed, TaskMark::InProgress).into_iter().collect(),
        TaskStatus::Completed if changed.kind == TaskKind::Verify => {
            let mut out: Vec<(TaskId, String, TaskMark)> =
                line(changed, TaskMark::Done).into_iter().collect();
            for task in tasks.iter().filter(|t| t.id != changed.id) {
                let verified = task.status == TaskStatus::Completed
                    || (task.kind == TaskKind::Verify && task.spec_task == changed.spec_task);
                if verified && let Some(entry) = line(task, TaskMark::Done) {
                    out.push(entry);
                }
            }
            out
        }
        TaskStatus::Completed if !awaits_verification(changed, tasks) => {
            line(changed, TaskMark::Done).into_iter().collect()
        }
        _ => Vec::new(),
    }
}

/// Whether a verify task of the run depends on `task`, directly or through other tasks.
fn awaits_verification(task: &TaskRecord, tasks: &[TaskRecord]) -> bool {
    let mut reached: HashSet<&TaskId> = HashSet::from([&task.id]);
    let mut grew = true;
    while grew {
        grew = false;
        for t in tasks {
            if !reached.contains(&t.id) && t.depends_on.iter().any(|d| reached.contains(d)) {
                if t.kind == TaskKind::Verify {
                    return true;
                }
                reached.insert(&t.id);
                grew = true;
            }
        }
    }
    false
}

/// A draft as a spec: ids on every task line (numbered after `reserved`, the ids the session used), and
/// the marks its run's tasks have earned so far (worked on: `[/]`; done as [`marks_for`] says).
pub fn draft_with_marks(draft: &str, reserved: &[String], tasks: &[TaskRecord]) -> String {
    let mut content = with_task_ids(draft, reserved.iter().map(String::as_str));
    let mut set = |spec_task: &str, mark| {
        if let Ok(marked) = set_mark(&content, spec_task, mark) {
            content = marked;
        }
    };
    for task in tasks.iter().filter(|t| {
        t.status == TaskStatus::Running
            || (t.status == TaskStatus::Completed && awaits_verification(t, tasks))
    }) {
        if let Some(spec_task) = &task.spec_task {
            set(spec_task, TaskMark::InProgress);
        }
    }
    for task in tasks.iter().filter(|t| t.status == TaskStatus::Completed) {
        for (_, spec_task, mark) in marks_for(task, tasks) {
            set(&spec_task, mark);
        }
    }
    content
}

/// When a run stops short (failed, cancelled, interrupted), the lines its tasks left `[/]` go back to
/// `[ ]`: nothing shows as in progress that is not. Lines already `[x]` keep their mark. Called inside the
/// transaction that ends the run.
pub fn release_for_run(
    tx: &mut Tx,
    run: &crate::model::RunRecord,
    at: Timestamp,
) -> Result<Vec<SpecRecord>, StoreError> {
    let Some(current) = tx.spec(&run.session_id)? else {
        return Ok(Vec::new());
    };
    let marks = crate::model::spec_task::marks(&current.content);
    let mut written = Vec::new();
    for task in tx.tasks(&run.id)? {
        let Some(spec_task) = task.spec_task.clone() else {
            continue;
        };
        if marks.get(&spec_task) != Some(&TaskMark::InProgress) {
            continue;
        }
        let tick = SpecTick {
            run_id: run.id.clone(),
            task_id: task.id.clone(),
            spec_task: spec_task.clone(),
            mark: TaskMark::Open,
        };
        if let Some(spec) = write_mark(
            tx,
            &run.session_id,
            &spec_task,
            TaskMark::Open,
            Some(tick),
            at,
        )? {
            written.push(spec);
        }
    }
    Ok(written)
}

/// Writes the ticks a task's new status earns, one revision each. Called inside the transaction that
/// records the status.
pub fn tick_for(
    tx: &mut Tx,
    changed: &TaskRecord,
    at: Timestamp,
) -> Result<Vec<SpecRecord>, StoreError> {
    if changed.spec_task.is_none() && changed.kind != TaskKind::Verify {
        return Ok(Vec::new());
    }
    let run = tx.existing_run(&changed.run_id)?;
    let tasks = tx.tasks(&changed.run_id)?;
    let mut written = Vec::new();
    for (task_id, spec_task, mark) in marks_for(changed, &tasks) {
        let tick = SpecTick {
            run_id: run.id.clone(),
            task_id,
            spec_task: spec_task.clone(),
            mark,
        };
        if let Some(spec) = write_mark(tx, &run.session_id, &spec_task, mark, Some(tick), at)? {
            written.push(spec);
        }
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{PlannedTask, RunId};

    fn task(n: usize, kind: TaskKind, deps: &[usize], status: TaskStatus) -> TaskRecord {
        let mut t = TaskRecord::queued(
            RunId::new("r"),
            PlannedTask {
                id: TaskId::numbered(n),
                kind,
                title: "x".into(),
                wave: 1,
                depends_on: deps.iter().map(|d| TaskId::numbered(*d)).collect(),
                round: 1,
                spec_task: Some(format!("s{n}")),
            },
            1,
            Timestamp::from_unix_millis(0),
        );
        t.status = status;
        t
    }

    fn ids(marks: Vec<(TaskId, String, TaskMark)>) -> Vec<(String, TaskMark)> {
        marks.into_iter().map(|(_, s, m)| (s, m)).collect()
    }

    #[test]
    fn done_waits_for_the_verify_task_that_depends_on_it() {
        let tasks = vec![
            task(1, TaskKind::Implement, &[], TaskStatus::Completed),
            task(2, TaskKind::Implement, &[1], TaskStatus::Completed),
            task(3, TaskKind::Verify, &[2], TaskStatus::Queued),
            task(4, TaskKind::Implement, &[], TaskStatus::Completed),
        ];
        assert!(ids(marks_for(&tasks[0], &tasks)).is_empty());
        assert_eq!(
            ids(marks_for(&tasks[3], &tasks)),
            vec![("s4".into(), TaskMark::Done)]
        );
        let mut verified = tasks.clone();
        verified[2].status = TaskStatus::Completed;
        assert_eq!(
            ids(marks_for(&verified[2], &verified)),
            vec![
                ("s3".into(), TaskMark::Done),
                ("s1".into(), TaskMark::Done),
                ("s2".into(), TaskMark::Done),
                ("s4".into(), TaskMark::Done),
            ]
        );
        let mut running = tasks;
        running[2].status = TaskStatus::Running;
        assert_eq!(
            ids(marks_for(&running[2], &running)),
            vec![("s3".into(), TaskMark::InProgress)]
        );
    }

    #[test]
    fn a_draft_marks_only_work_in_progress_never_failed_or_cancelled_tasks() {
        let draft = "# Spec\n\n## Tasks\n- [ ] Implement: a\n- [ ] Implement: b\n- [ ] Implement: c\n- [ ] Verify: d (depends on t1)\n";
        let tasks = vec![
            task(1, TaskKind::Implement, &[], TaskStatus::Completed),
            task(2, TaskKind::Implement, &[], TaskStatus::Failed),
            task(3, TaskKind::Implement, &[], TaskStatus::Running),
            task(4, TaskKind::Verify, &[1], TaskStatus::Cancelled),
        ];
        let marked = draft_with_marks(draft, &[], &tasks);
        let marks = crate::model::spec_task::marks(&marked);
        assert_eq!(marks.get("s1"), Some(&TaskMark::InProgress), "{marked}");
        assert_eq!(marks.get("s2"), Some(&TaskMark::Open), "{marked}");
        assert_eq!(marks.get("s3"), Some(&TaskMark::InProgress), "{marked}");
        assert_eq!(marks.get("s4"), Some(&TaskMark::Open), "{marked}");
    }
}
