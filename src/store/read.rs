//! Read transactions: a consistent snapshot of the store.

use std::cell::RefCell;

use redb::{ReadTransaction, ReadableTable};
use serde::de::DeserializeOwned;

use super::quarantine::{BadRow, QuarantineRecord};
use super::rows;
use super::tables::{self, names};
use super::{EventRecord, StoreError, sort_tasks};
use crate::model::{
    ContextSnapshot, OwnerId, RunId, RunRecord, Session, SessionId, SnapshotId, Space, SpaceId,
    SpecRecord, TaskRecord,
};

/// A read transaction. Damaged values met while reading are collected and quarantined afterwards.
pub struct Rx {
    pub(super) txn: ReadTransaction,
    pub(super) bad: RefCell<Vec<BadRow>>,
}

impl Rx {
    pub fn space(&self, id: &SpaceId) -> Result<Option<Space>, StoreError> {
        rows::get(
            &self.txn.open_table(tables::SPACES)?,
            names::SPACES,
            id.as_str(),
            &self.bad,
        )
    }

    /// All spaces, oldest first.
    pub fn spaces(&self) -> Result<Vec<Space>, StoreError> {
        rows::all(
            &self.txn.open_table(tables::SPACES)?,
            names::SPACES,
            false,
            &self.bad,
        )
    }

    pub fn session(&self, id: &SessionId) -> Result<Option<Session>, StoreError> {
        rows::get(
            &self.txn.open_table(tables::SESSIONS)?,
            names::SESSIONS,
            id.as_str(),
            &self.bad,
        )
    }

    /// The sessions of a space, most recently used first.
    pub fn sessions(&self, space: &SpaceId) -> Result<Vec<Session>, StoreError> {
        let mut all: Vec<Session> = rows::all(
            &self.txn.open_table(tables::SESSIONS)?,
            names::SESSIONS,
            false,
            &self.bad,
        )?;
        all.retain(|s| &s.space_id == space);
        all.sort_by(|a, b| {
            b.last_used_at
                .cmp(&a.last_used_at)
                .then_with(|| b.id.cmp(&a.id))
        });
        Ok(all)
    }

    pub fn run(&self, id: &RunId) -> Result<Option<RunRecord>, StoreError> {
        rows::get(
            &self.txn.open_table(tables::RUNS)?,
            names::RUNS,
            id.as_str(),
            &self.bad,
        )
    }

    /// All runs, newest first (run ids sort by creation time).
    pub fn runs(&self) -> Result<Vec<RunRecord>, StoreError> {
        rows::all(
            &self.txn.open_table(tables::RUNS)?,
            names::RUNS,
            true,
            &self.bad,
        )
    }

    /// The runs of one session, oldest first, through the session index.
    pub fn session_runs(&self, session: &SessionId) -> Result<Vec<RunRecord>, StoreError> {
        let index = self.txn.open_table(tables::SESSION_RUNS)?;
        let runs = self.txn.open_table(tables::RUNS)?;
        let mut out = Vec::new();
        for entry in index.range((session.as_str(), "")..)? {
            let (k, _) = entry?;
            let (s, run_id) = k.value();
            if s != session.as_str() {
                break;
            }
            match rows::get::<RunRecord>(&runs, names::RUNS, run_id, &self.bad) {
                Ok(Some(run)) => out.push(run),
                Ok(None) | Err(StoreError::Damaged { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// A run's tasks in plan order (`t1`, `t2`, ... `t10`).
    pub fn tasks(&self, run: &RunId) -> Result<Vec<TaskRecord>, StoreError> {
        let mut tasks: Vec<TaskRecord> = rows::all_with_prefix(
            &self.txn.open_table(tables::TASKS)?,
            names::TASKS,
            run.as_str(),
            &self.bad,
        )?;
        sort_tasks(&mut tasks);
        Ok(tasks)
    }

    pub fn snapshot(&self, id: &SnapshotId) -> Result<Option<ContextSnapshot>, StoreError> {
        rows::get(
            &self.txn.open_table(tables::SNAPSHOTS)?,
            names::SNAPSHOTS,
            id.as_str(),
            &self.bad,
        )
    }

    pub fn spec(&self, session: &SessionId) -> Result<Option<SpecRecord>, StoreError> {
        rows::get(
            &self.txn.open_table(tables::SPECS)?,
            names::SPECS,
            session.as_str(),
            &self.bad,
        )
    }

    pub fn spec_revisions(&self, session: &SessionId) -> Result<Vec<SpecRecord>, StoreError> {
        rows::all_in_sequence(
            &self.txn.open_table(tables::SPEC_REVISIONS)?,
            names::SPEC_REVISIONS,
            session.as_str(),
            &self.bad,
        )
    }

    /// A run's event log in order.
    pub fn events(&self, run: &RunId) -> Result<Vec<EventRecord>, StoreError> {
        rows::all_in_sequence(
            &self.txn.open_table(tables::RUN_EVENTS)?,
            names::RUN_EVENTS,
            run.as_str(),
            &self.bad,
        )
    }

    /// Runs that are queued or running, with the engine instance that owns each.
    pub fn active_runs(&self) -> Result<Vec<(RunId, OwnerId)>, StoreError> {
        let table = self.txn.open_table(tables::ACTIVE_RUNS)?;
        let mut out = Vec::new();
        for entry in table.iter()? {
            let (k, v) = entry?;
            out.push((RunId::new(k.value()), OwnerId::new(v.value())));
        }
        Ok(out)
    }

    pub fn cancel_requested(&self, run: &RunId) -> Result<bool, StoreError> {
        Ok(self
            .txn
            .open_table(tables::CANCEL_REQUESTS)?
            .get(run.as_str())?
            .is_some())
    }

    /// A component's saved state (window layout, last space, ...).
    pub fn app_state<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, StoreError> {
        match rows::get(
            &self.txn.open_table(tables::APP_STATE)?,
            names::APP_STATE,
            name,
            &self.bad,
        ) {
            Err(StoreError::Damaged { .. }) => Ok(None),
            other => other,
        }
    }

    pub fn quarantine(&self) -> Result<Vec<QuarantineRecord>, StoreError> {
        let table = self.txn.open_table(tables::QUARANTINE)?;
        let mut out = Vec::new();
        for entry in table.iter()? {
            let (_, v) = entry?;
            match super::codec::decode::<QuarantineRecord>(v.value()) {
                Ok(rec) => out.push(rec),
                Err(reason) => tracing::warn!(%reason, "unreadable quarantine record"),
            }
        }
        Ok(out)
    }
}
