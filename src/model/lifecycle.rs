//! Run and task state machines (docs/DESIGN.md, Lifecycles).
//!
//! Run:  `queued -> running -> completed | failed | cancelled | interrupted`; a queued run may also be cancelled
//!       or interrupted before it starts; `interrupted -> queued` only through an explicit resume.
//! Task: `queued -> running -> completed | failed | cancelled | interrupted`; a queued task may be skipped (a
//!       dependency failed), cancelled or interrupted; `interrupted -> queued` only when its run is resumed.
//! Every other transition is rejected with a [`TransitionError`] naming both states.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Status of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Queued,
    Running,
    Completed,
    Failed,
    Cancelled,
    Interrupted,
}

/// Status of a delegated task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Queued,
    Running,
    Completed,
    Failed,
    Skipped,
    Cancelled,
    Interrupted,
}

impl RunStatus {
    pub const ALL: [RunStatus; 6] = [
        RunStatus::Queued,
        RunStatus::Running,
        RunStatus::Completed,
        RunStatus::Failed,
        RunStatus::Cancelled,
        RunStatus::Interrupted,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            RunStatus::Queued => "queued",
            RunStatus::Running => "running",
            RunStatus::Completed => "completed",
            RunStatus::Failed => "failed",
            RunStatus::Cancelled => "cancelled",
            RunStatus::Interrupted => "interrupted",
        }
    }

    /// Whether the transition `self -> to` is allowed.
    pub const fn can_become(self, to: RunStatus) -> bool {
        use RunStatus::*;
        matches!(
            (self, to),
            (Queued, Running | Cancelled | Interrupted)
                | (Running, Completed | Failed | Cancelled | Interrupted)
                | (Interrupted, Queued)
        )
    }

    pub fn transition(self, to: RunStatus) -> Result<RunStatus, TransitionError> {
        if self.can_become(to) {
            Ok(to)
        } else {
            Err(TransitionError::Run { from: self, to })
        }
    }

    /// Queued or running: something may still happen to it.
    pub const fn is_active(self) -> bool {
        matches!(self, RunStatus::Queued | RunStatus::Running)
    }

    /// Completed, failed or cancelled: nothing will ever happen to it again.
    pub const fn is_terminal(self) -> bool {
        matches!(
            self,
            RunStatus::Completed | RunStatus::Failed | RunStatus::Cancelled
        )
    }
}

impl TaskStatus {
    pub const ALL: [TaskStatus; 7] = [
        TaskStatus::Queued,
        TaskStatus::Running,
        TaskStatus::Completed,
        TaskStatus::Failed,
        TaskStatus::Skipped,
        TaskStatus::Cancelled,
        TaskStatus::Interrupted,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Queued => "queued",
            TaskStatus::Running => "running",
            TaskStatus::Completed => "completed",
            TaskStatus::Failed => "failed",
            TaskStatus::Skipped => "skipped",
            TaskStatus::Cancelled => "cancelled",
            TaskStatus::Interrupted => "interrupted",
        }
    }

    pub const fn can_become(self, to: TaskStatus) -> bool {
        use TaskStatus::*;
        matches!(
            (self, to),
            (Queued, Running | Skipped | Cancelled | Interrupted)
                | (Running, Completed | Failed | Cancelled | Interrupted)
                | (Interrupted, Queued)
        )
    }

    pub fn transition(self, to: TaskStatus) -> Result<TaskStatus, TransitionError> {
        if self.can_become(to) {
            Ok(to)
        } else {
            Err(TransitionError::Task { from: self, to })
        }
    }

    pub const fn is_active(self) -> bool {
        matches!(self, TaskStatus::Queued | TaskStatus::Running)
    }

    pub const fn is_terminal(self) -> bool {
        matches!(
            self,
            TaskStatus::Completed
                | TaskStatus::Failed
                | TaskStatus::Skipped
                | TaskStatus::Cancelled
        )
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for TaskStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rejected lifecycle transition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("a run cannot go from {from} to {to}")]
    Run { from: RunStatus, to: RunStatus },
    #[error("a task cannot go from {from} to {to}")]
    Task { from: TaskStatus, to: TaskStatus },
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUN_ALLOWED: &[(RunStatus, RunStatus)] = {
        use RunStatus::*;
        &[
            (Queued, Running),
            (Queued, Cancelled),
            (Queued, Interrupted),
            (Running, Completed),
            (Running, Failed),
            (Running, Cancelled),
            (Running, Interrupted),
            (Interrupted, Queued),
        ]
    };

    const TASK_ALLOWED: &[(TaskStatus, TaskStatus)] = {
        use TaskStatus::*;
        &[
            (Queued, Running),
            (Queued, Skipped),
            (Queued, Cancelled),
            (Queued, Interrupted),
            (Running, Completed),
            (Running, Failed),
            (Running, Cancelled),
            (Running, Interrupted),
            (Interrupted, Queued),
        ]
    };

    #[test]
    fn every_run_transition_is_allowed_or_rejected_by_name() {
        let mut allowed = 0;
        for from in RunStatus::ALL {
            for to in RunStatus::ALL {
                let expected = RUN_ALLOWED.contains(&(from, to));
                match from.transition(to) {
                    Ok(status) => {
                        assert!(expected, "{from} -> {to} must be rejected");
                        assert_eq!(status, to);
                        allowed += 1;
                    }
                    Err(err) => {
                        assert!(!expected, "{from} -> {to} must be allowed");
                        assert_eq!(err, TransitionError::Run { from, to });
                        assert_eq!(
                            err.to_string(),
                            format!("a run cannot go from {from} to {to}")
                        );
                    }
                }
            }
        }
        assert_eq!(allowed, RUN_ALLOWED.len());
    }

    #[test]
    fn every_task_transition_is_allowed_or_rejected_by_name() {
        let mut allowed = 0;
        for from in TaskStatus::ALL {
            for to in TaskStatus::ALL {
                let expected = TASK_ALLOWED.contains(&(from, to));
                match from.transition(to) {
                    Ok(status) => {
                        assert!(expected, "{from} -> {to} must be rejected");
                        assert_eq!(status, to);
                        allowed += 1;
                    }
                    Err(err) => {
                        assert!(!expected, "{from} -> {to} must be allowed");
                        assert_eq!(err, TransitionError::Task { from, to });
                        assert_eq!(
                            err.to_string(),
                            format!("a task cannot go from {from} to {to}")
                        );
                    }
                }
            }
        }
        assert_eq!(allowed, TASK_ALLOWED.len());
    }

    #[test]
    fn terminal_states_have_no_way_out() {
        for from in RunStatus::ALL.into_iter().filter(|s| s.is_terminal()) {
            assert!(
                RunStatus::ALL.iter().all(|to| !from.can_become(*to)),
                "{from}"
            );
        }
        for from in TaskStatus::ALL.into_iter().filter(|s| s.is_terminal()) {
            assert!(
                TaskStatus::ALL.iter().all(|to| !from.can_become(*to)),
                "{from}"
            );
        }
    }

    #[test]
    fn statuses_serialise_in_snake_case() {
        assert_eq!(
            serde_json::to_string(&RunStatus::Interrupted).unwrap(),
            "\"interrupted\""
        );
        assert_eq!(
            serde_json::to_string(&TaskStatus::Skipped).unwrap(),
            "\"skipped\""
        );
    }
}
