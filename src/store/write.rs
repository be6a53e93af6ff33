//! Write transactions. Every store change goes through one; `Store::write` commits it durably.

use std::cell::RefCell;

use redb::{ReadableTable, WriteTransaction};
use serde::Serialize;

use super::codec::encode;
use super::quarantine::BadRow;
use super::rows;
use super::tables::{self, names};
use super::{EventRecord, StoreError};
use crate::model::{
    Change, ContextSnapshot, RunId, RunRecord, Session, Space, SpaceId, SpecRecord, TaskId,
    TaskRecord, Timestamp, ToolCallRecord,
};
use crate::protocol::Event;

super::readers::record_readers!(Tx);

/// A write transaction with typed accessors. Dropped without commit, it changes nothing.
pub struct Tx {
    pub(super) txn: WriteTransaction,
    pub(super) bad: RefCell<Vec<BadRow>>,
    /// How many feed rows this transaction appended (readers are woken after the commit if any).
    pub(super) changes: u64,
}

impl Tx {
    pub fn put_space(&mut self, space: &Space) -> Result<(), StoreError> {
        self.txn
            .open_table(tables::SPACES)?
            .insert(space.id.as_str(), encode(space)?.as_slice())?;
        self.record_change(
            Change::Space {
                space_id: space.id.clone(),
            },
            space.updated_at,
        )?;
        Ok(())
    }

    /// Removes a space from the list. Its sessions, runs and specs stay (history is never deleted).
    pub fn remove_space(&mut self, id: &SpaceId, at: Timestamp) -> Result<bool, StoreError> {
        let removed = self
            .txn
            .open_table(tables::SPACES)?
            .remove(id.as_str())?
            .is_some();
        if removed {
            self.record_change(
                Change::SpaceRemoved {
                    space_id: id.clone(),
                },
                at,
            )?;
        }
        Ok(removed)
    }

    pub fn put_session(&mut self, session: &Session) -> Result<(), StoreError> {
        self.txn
            .open_table(tables::SESSIONS)?
            .insert(session.id.as_str(), encode(session)?.as_slice())?;
        self.record_change(
            Change::Session {
                space_id: session.space_id.clone(),
                session_id: session.id.clone(),
            },
            session.updated_at,
        )?;
        Ok(())
    }

    /// The run, or [`StoreError::NotFound`].
    pub fn existing_run(&self, id: &RunId) -> Result<RunRecord, StoreError> {
        self.run(id)?.ok_or_else(|| StoreError::NotFound {
            kind: "run",
            id: id.to_string(),
        })
    }

    /// Stores the run and keeps the live-run index and the session index in step with it.
    pub fn put_run(&mut self, run: &RunRecord) -> Result<(), StoreError> {
        self.txn
            .open_table(tables::RUNS)?
            .insert(run.id.as_str(), encode(run)?.as_slice())?;
        let mut active = self.txn.open_table(tables::ACTIVE_RUNS)?;
        if run.status.is_active() {
            let owner = run.owner.as_ref().map_or("", |o| o.as_str());
            active.insert(run.id.as_str(), owner)?;
        } else {
            active.remove(run.id.as_str())?;
        }
        self.txn
            .open_table(tables::SESSION_RUNS)?
            .insert((run.session_id.as_str(), run.id.as_str()), ())?;
        Ok(())
    }

    pub fn existing_task(&self, run: &RunId, task: &TaskId) -> Result<TaskRecord, StoreError> {
        let table = self.txn.open_table(tables::TASKS)?;
        let Some(raw) = table.get((run.as_str(), task.as_str()))? else {
            return Err(StoreError::NotFound {
                kind: "task",
                id: format!("{run}/{task}"),
            });
        };
        let key = super::quarantine::BadKey::Pair(run.to_string(), task.to_string());
        rows::decode_or_report(names::TASKS, key, raw.value(), &self.bad).ok_or_else(|| {
            StoreError::Damaged {
                table: names::TASKS,
                key: format!("{run}/{task}"),
            }
        })
    }

    pub fn put_task(&mut self, task: &TaskRecord) -> Result<(), StoreError> {
        self.txn.open_table(tables::TASKS)?.insert(
            (task.run_id.as_str(), task.id.as_str()),
            encode(task)?.as_slice(),
        )?;
        Ok(())
    }

    /// Stores a tool call (its intent, then its result, under the same key).
    pub fn put_tool_call(&mut self, call: &ToolCallRecord) -> Result<(), StoreError> {
        self.txn.open_table(tables::TOOL_CALLS)?.insert(
            (call.run_id.as_str(), call.key().as_str()),
            encode(call)?.as_slice(),
        )?;
        Ok(())
    }

    pub fn put_snapshot(&mut self, snapshot: &ContextSnapshot) -> Result<(), StoreError> {
        self.txn
            .open_table(tables::SNAPSHOTS)?
            .insert(snapshot.id.as_str(), encode(snapshot)?.as_slice())?;
        let sources = crate::model::SnapshotSources::of(snapshot);
        self.txn
            .open_table(tables::SNAPSHOT_SOURCES)?
            .insert(snapshot.id.as_str(), encode(&sources)?.as_slice())?;
        Ok(())
    }

    /// Stores a new spec revision and makes it current.
    pub fn put_spec(&mut self, spec: &SpecRecord) -> Result<(), StoreError> {
        let bytes = encode(spec)?;
        self.txn
            .open_table(tables::SPECS)?
            .insert(spec.session_id.as_str(), bytes.as_slice())?;
        self.txn
            .open_table(tables::SPEC_REVISIONS)?
            .insert((spec.session_id.as_str(), spec.revision), bytes.as_slice())?;
        self.record_change(
            Change::Spec {
                session_id: spec.session_id.clone(),
                revision: spec.revision,
            },
            spec.updated_at,
        )?;
        Ok(())
    }

    /// Appends to a run's event log (and the change feed); returns the sequence number given to the
    /// event. A `context_resolved` event is stored without its items: they are stored once, in the snapshot
    /// the event names, and readers fill them back in.
    pub fn append_event(
        &mut self,
        run: &RunId,
        at: Timestamp,
        event: &Event,
    ) -> Result<u64, StoreError> {
        let seq = {
            let mut table = self.txn.open_table(tables::RUN_EVENTS)?;
            let seq = rows::last_in_sequence(&table, run.as_str())?.map_or(0, |s| s + 1);
            let mut event = event.clone();
            if let Event::ContextResolved { context, .. } = &mut event {
                context.items.clear();
            }
            let record = EventRecord { seq, at, event };
            table.insert((run.as_str(), seq), encode(&record)?.as_slice())?;
            seq
        };
        self.record_change(
            Change::RunEvent {
                run_id: run.clone(),
                seq,
            },
            at,
        )?;
        Ok(seq)
    }

    pub fn request_cancel(&mut self, run: &RunId, at: Timestamp) -> Result<(), StoreError> {
        self.txn
            .open_table(tables::CANCEL_REQUESTS)?
            .insert(run.as_str(), at.unix_millis())?;
        Ok(())
    }

    pub fn clear_cancel(&mut self, run: &RunId) -> Result<(), StoreError> {
        self.txn
            .open_table(tables::CANCEL_REQUESTS)?
            .remove(run.as_str())?;
        Ok(())
    }

    pub fn put_app_state<T: Serialize>(&mut self, name: &str, value: &T) -> Result<(), StoreError> {
        self.txn
            .open_table(tables::APP_STATE)?
            .insert(name, encode(value)?.as_slice())?;
        Ok(())
    }

    /// The raw write transaction, for migrations.
    pub(super) fn raw(&self) -> &WriteTransaction {
        &self.txn
    }
}

#[cfg(test)]
mod snapshot_sources_tests {
    use std::sync::Arc;

    use crate::model::{
        ContextItem, ContextProviderKind, ContextSnapshot, ManualClock, RunId, SnapshotId,
        Timestamp,
    };
    use crate::store::{Store, tables};

    fn item(path: &str, hash: &str) -> ContextItem {
        ContextItem {
            path: path.into(),
            start_line: 1,
            end_line: 2,
            content_hash: hash.into(),
            score: 1.0,
            rank: 1,
            excerpt: "a long excerpt ".repeat(50),
        }
    }

    #[test]
    fn sources_come_from_the_compact_row_and_a_damaged_row_falls_back_to_the_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(Timestamp::from_unix_millis(1000), 1));
        let store = Store::open(dir.path(), clock).unwrap();
        let snapshot = ContextSnapshot {
            id: SnapshotId::new("s1"),
            run_id: RunId::new("r1"),
            query: "q".into(),
            requested_provider: ContextProviderKind::Filesystem,
            provider: ContextProviderKind::Filesystem,
            fallback_from: None,
            error: None,
            items: vec![item("b.rs", "h2"), item("a.rs", "h1"), item("b.rs", "h2")],
            created_at: Timestamp::from_unix_millis(1000),
            root: None,
        };
        store.write(|tx| tx.put_snapshot(&snapshot)).unwrap();
        let expected = vec![("a.rs", "h1"), ("b.rs", "h2")];
        let compact = store
            .read(|rx| rx.snapshot_sources(&snapshot.id))
            .unwrap()
            .unwrap();
        assert_eq!(compact.sources(), expected);
        assert_eq!(compact.items.len(), 2, "stored deduplicated");

        // A damaged compact row: the snapshot itself answers (the row is derived, nothing is lost).
        store
            .write(|tx| {
                tx.txn
                    .open_table(tables::SNAPSHOT_SOURCES)?
                    .insert(snapshot.id.as_str(), b"{damaged".as_slice())?;
                Ok(())
            })
            .unwrap();
        let fallback = store
            .read(|rx| rx.snapshot_sources(&snapshot.id))
            .unwrap()
            .unwrap();
        assert_eq!(fallback.sources(), expected);
        assert!(store.read(|rx| rx.quarantine()).unwrap().is_empty());

        // No row means no snapshot (since schema 3 every snapshot has one): the snapshot is not read.
        store
            .write(|tx| {
                tx.txn
                    .open_table(tables::SNAPSHOT_SOURCES)?
                    .remove(snapshot.id.as_str())?;
                Ok(())
            })
            .unwrap();
        assert_eq!(
            store.read(|rx| rx.snapshot_sources(&snapshot.id)).unwrap(),
            None
        );
        assert_eq!(
            store
                .read(|rx| rx.snapshot_sources(&SnapshotId::new("nope")))
                .unwrap(),
            None
        );
    }
}
