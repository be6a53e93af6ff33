//! Read transactions: a consistent snapshot of the store.

use std::cell::RefCell;

use redb::{ReadTransaction, ReadableTable};
use serde::de::DeserializeOwned;

use super::quarantine::{BadRow, QuarantineRecord};
use super::rows;
use super::tables::{self, names};
use super::{EventRecord, StoreError};
use crate::model::{Event, OwnerId, RunId, RunRecord, SessionId, SpecRecord};

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

    pub fn spec_revisions(&self, session: &SessionId) -> Result<Vec<SpecRecord>, StoreError> {
        rows::all_in_sequence(
            &self.txn.open_table(tables::SPEC_REVISIONS)?,
            names::SPEC_REVISIONS,
            session.as_str(),
            &self.bad,
        )
    }

    /// A run's event log in order, `context_resolved` events with their items (from the snapshot).
    pub fn events(&self, run: &RunId) -> Result<Vec<EventRecord>, StoreError> {
        let mut events: Vec<EventRecord> = rows::all_in_sequence(
            &self.txn.open_table(tables::RUN_EVENTS)?,
            names::RUN_EVENTS,
            run.as_str(),
            &self.bad,
        )?;
        for record in &mut events {
            self.fill_items(&mut record.event)?;
        }
        Ok(events)
    }

    /// The sequence number of the newest event in a run's log.
    pub fn last_event(&self, run: &RunId) -> Result<Option<u64>, StoreError> {
        rows::last_in_sequence(&self.txn.open_table(tables::RUN_EVENTS)?, run.as_str())
    }

    /// How many runs a session holds (from the session index, without reading them).
    pub fn session_run_count(&self, session: &SessionId) -> Result<usize, StoreError> {
        let index = self.txn.open_table(tables::SESSION_RUNS)?;
        let mut n = 0;
        for entry in index.range((session.as_str(), "")..)? {
            if entry?.0.value().0 != session.as_str() {
                break;
            }
            n += 1;
        }
        Ok(n)
    }

    /// How many runs the store holds (without reading them).
    pub fn run_count(&self) -> Result<u64, StoreError> {
        use redb::ReadableTableMetadata as _;
        Ok(self.txn.open_table(tables::RUNS)?.len()?)
    }

    /// One event of a run's log (with its items, as [`Rx::events`]).
    pub fn event(&self, run: &RunId, seq: u64) -> Result<Option<EventRecord>, StoreError> {
        let table = self.txn.open_table(tables::RUN_EVENTS)?;
        let Some(raw) = table.get((run.as_str(), seq))? else {
            return Ok(None);
        };
        let key = super::quarantine::BadKey::Seq(run.to_string(), seq);
        let Some(mut record) =
            rows::decode_or_report::<EventRecord>(names::RUN_EVENTS, key, raw.value(), &self.bad)
        else {
            return Ok(None);
        };
        self.fill_items(&mut record.event)?;
        Ok(Some(record))
    }

    /// Fills a stored `context_resolved` event's items from the snapshot it names.
    fn fill_items(&self, event: &mut Event) -> Result<(), StoreError> {
        if let Event::ContextResolved { context, .. } = event
            && context.items.is_empty()
            && let Some(id) = &context.resolved.snapshot_id
        {
            match self.snapshot(id) {
                Ok(Some(snapshot)) => context.items = snapshot.items,
                Ok(None) | Err(StoreError::Damaged { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
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
