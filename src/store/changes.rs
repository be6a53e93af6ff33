//! The change feed in the store (`changes_v1`, see `tables.rs`): appending a change in the transaction
//! that makes it, reading changes after a cursor, and the in-process signal that wakes readers as soon as a
//! commit lands (readers in other processes are woken by a watch on the file, or by their poll).

use std::sync::{Condvar, Mutex};
use std::time::Duration;

use redb::ReadableTable;

use super::codec::encode;
use super::rows::decode_or_report;
use super::tables::{self, names};
use super::{Rx, StoreError, Tx};
use crate::model::{Change, ChangeRecord, Timestamp};

/// How many feed rows are kept; older ones are pruned as new ones arrive.
pub const FEED_RETAIN: u64 = 50_000;
/// Pruning runs on every this many appends.
const PRUNE_EVERY: u64 = 1_024;

impl Tx {
    /// Appends `change` to the feed; it becomes visible with this transaction's commit.
    pub fn record_change(&mut self, change: Change, at: Timestamp) -> Result<u64, StoreError> {
        let mut table = self.txn.open_table(tables::CHANGES)?;
        let seq = match table.last()? {
            Some((k, _)) => k.value() + 1,
            None => 1,
        };
        let record = ChangeRecord { seq, at, change };
        table.insert(seq, encode(&record)?.as_slice())?;
        if seq % PRUNE_EVERY == 0 && seq > FEED_RETAIN {
            let cutoff = seq - FEED_RETAIN;
            table.retain_in(..cutoff, |_, _| false)?;
        }
        self.changes += 1;
        Ok(seq)
    }
}

/// What a reader found after its cursor.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FeedPage {
    pub changes: Vec<ChangeRecord>,
    /// The rows right after the cursor were pruned: the reader missed changes and must reload.
    pub gap: bool,
    /// The newest sequence number in the feed (0 when empty).
    pub last: u64,
}

impl Rx {
    /// Up to `limit` changes with a sequence number above `cursor`, oldest first.
    pub fn changes_after(&self, cursor: u64, limit: usize) -> Result<FeedPage, StoreError> {
        let table = self.txn.open_table(tables::CHANGES)?;
        let last = table.last()?.map_or(0, |(k, _)| k.value());
        let first = table.first()?.map_or(0, |(k, _)| k.value());
        let mut page = FeedPage {
            changes: Vec::new(),
            gap: first > cursor.saturating_add(1) && last > cursor,
            last,
        };
        for entry in table.range(cursor.saturating_add(1)..)? {
            if page.changes.len() >= limit {
                break;
            }
            let (k, v) = entry?;
            let key = super::quarantine::BadKey::Str(k.value().to_string());
            if let Some(record) =
                decode_or_report::<ChangeRecord>(names::CHANGES, key, v.value(), &self.bad)
            {
                page.changes.push(record);
            }
        }
        Ok(page)
    }

    /// The newest sequence number in the feed (0 when empty): where a new reader starts.
    pub fn last_change(&self) -> Result<u64, StoreError> {
        let table = self.txn.open_table(tables::CHANGES)?;
        Ok(table.last()?.map_or(0, |(k, _)| k.value()))
    }
}

/// Wakes feed readers in this process: bumped after every commit that recorded changes, and by the file
/// watch when another process commits.
#[derive(Debug, Default)]
pub struct ChangeSignal {
    generation: Mutex<u64>,
    bumped: Condvar,
}

impl ChangeSignal {
    pub fn bump(&self) {
        if let Ok(mut g) = self.generation.lock() {
            *g += 1;
            self.bumped.notify_all();
        }
    }

    /// The current generation, to wait for a later one.
    pub fn generation(&self) -> u64 {
        self.generation.lock().map_or(0, |g| *g)
    }

    /// Waits until the generation moves past `seen`, or `timeout` passes (the poll fallback). Returns the
    /// generation now.
    pub fn wait_past(&self, seen: u64, timeout: Duration) -> u64 {
        let Ok(guard) = self.generation.lock() else {
            return seen;
        };
        match self
            .bumped
            .wait_timeout_while(guard, timeout, |g| *g <= seen)
        {
            Ok((g, _)) => *g,
            Err(_) => seen,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::model::{ManualClock, SessionId, SpaceId, SpecRecord};
    use crate::store::Store;

    fn spec(session: &str, revision: u64) -> SpecRecord {
        SpecRecord {
            session_id: SessionId::new(session),
            content: format!("revision {revision}"),
            revision,
            applied_from_run: None,
            updated_at: Timestamp::from_unix_millis(1_000 + revision as i64),
            tick: None,
            edited_at: None,
        }
    }

    #[test]
    fn changes_are_numbered_in_commit_order_and_read_after_a_cursor() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(
            dir.path(),
            Arc::new(ManualClock::new(Timestamp::from_unix_millis(1), 1)),
        )
        .unwrap();
        let start = store.read(|rx| rx.last_change()).unwrap();
        let before = store.change_signal().generation();
        store.write(|tx| tx.put_spec(&spec("se1", 1))).unwrap();
        assert!(
            store.change_signal().generation() > before,
            "readers are woken"
        );
        store
            .write(|tx| {
                tx.put_spec(&spec("se1", 2))?;
                tx.remove_space(&SpaceId::new("sp-none"), Timestamp::from_unix_millis(5))?;
                tx.put_spec(&spec("se2", 1))
            })
            .unwrap();
        // A transaction that fails records nothing.
        let failed: Result<(), StoreError> = store.write(|tx| {
            tx.put_spec(&spec("se3", 1))?;
            Err(StoreError::WorkerStopped("test"))
        });
        assert!(failed.is_err());

        let page = store.read(|rx| rx.changes_after(start, 10)).unwrap();
        assert!(!page.gap);
        let seen: Vec<(u64, Change)> = page
            .changes
            .iter()
            .map(|c| (c.seq, c.change.clone()))
            .collect();
        assert_eq!(
            seen,
            vec![
                (
                    start + 1,
                    Change::Spec {
                        session_id: SessionId::new("se1"),
                        revision: 1
                    }
                ),
                (
                    start + 2,
                    Change::Spec {
                        session_id: SessionId::new("se1"),
                        revision: 2
                    }
                ),
                (
                    start + 3,
                    Change::Spec {
                        session_id: SessionId::new("se2"),
                        revision: 1
                    }
                ),
            ],
            "removing a space that is not there is no change"
        );
        assert_eq!(page.last, start + 3);
        let rest = store.read(|rx| rx.changes_after(start + 2, 10)).unwrap();
        assert_eq!(rest.changes.len(), 1);
        let limited = store.read(|rx| rx.changes_after(start, 2)).unwrap();
        assert_eq!(limited.changes.len(), 2);
    }

    #[test]
    fn a_reader_behind_the_pruned_rows_is_told_to_reload() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(
            dir.path(),
            Arc::new(ManualClock::new(Timestamp::from_unix_millis(1), 1)),
        )
        .unwrap();
        store
            .write(|tx| {
                for revision in 1..=5 {
                    tx.put_spec(&spec("se1", revision))?;
                }
                Ok(())
            })
            .unwrap();
        store
            .write(|tx| {
                tx.txn
                    .open_table(tables::CHANGES)?
                    .retain_in(..3u64, |_, _| false)?;
                Ok(())
            })
            .unwrap();
        let behind = store.read(|rx| rx.changes_after(1, 10)).unwrap();
        assert!(behind.gap, "rows 2 was pruned");
        assert_eq!(behind.changes.first().map(|c| c.seq), Some(3));
        let current = store.read(|rx| rx.changes_after(2, 10)).unwrap();
        assert!(!current.gap);
        let caught_up = store.read(|rx| rx.changes_after(5, 10)).unwrap();
        assert!(!caught_up.gap && caught_up.changes.is_empty());
    }
}
