//! Read transactions: a consistent snapshot of the store.

use std::cell::RefCell;

use redb::{ReadTransaction, ReadableTable};
use serde::de::DeserializeOwned;

use super::quarantine::{BadRow, QuarantineRecord};
use super::rows;
use super::tables::{self, names};
use super::{EventRecord, StoreError};
use crate::model::{OwnerId, RunId, RunRecord, SessionId, SpecRecord};

super::readers::record_readers!(Rx);

/// A read transaction. Damaged values met while reading are collected and quarantined afterwards.
pub struct Rx {
    pub(super) txn: ReadTransaction,
    pub(super) bad: RefCell<Vec<BadRow>>,
}

impl Rx {
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
