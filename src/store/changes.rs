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
