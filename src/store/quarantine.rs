//! Values that cannot be decoded are moved aside, with their key and the reason, instead of crashing a
//! command or being silently dropped. `doctor` lists them.

use redb::{ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};

use super::tables::{self, names};
use super::{StoreError, codec};
use crate::model::Timestamp;

/// Where a damaged value was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BadKey {
    /// A table keyed by one string.
    Str(String),
    /// A table keyed by two strings.
    Pair(String, String),
    /// A table keyed by a string and a number.
    Seq(String, u64),
}

impl BadKey {
    pub fn display(&self) -> String {
        match self {
            BadKey::Str(k) => k.clone(),
            BadKey::Pair(a, b) => format!("{a}/{b}"),
            BadKey::Seq(a, n) => format!("{a}/{n}"),
        }
    }
}

/// A value that failed to decode, found while reading.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadRow {
    pub table: &'static str,
    pub key: BadKey,
    pub reason: String,
    pub raw: Vec<u8>,
}

/// A quarantined value as stored and reported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuarantineRecord {
    pub table: String,
    pub key: String,
    pub reason: String,
    pub quarantined_at: Timestamp,
    /// The damaged bytes, hex encoded, kept so nothing is lost.
    pub raw_hex: String,
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// Removes `row` from its table if it still holds the damaged bytes, and files it in quarantine.
pub fn move_to_quarantine(
    txn: &WriteTransaction,
    row: &BadRow,
    at: Timestamp,
) -> Result<bool, StoreError> {
    let still_there = match (&row.key, row.table) {
        (BadKey::Str(k), name) => {
            let def = match name {
                names::SPACES => tables::SPACES,
                names::SESSIONS => tables::SESSIONS,
                names::RUNS => tables::RUNS,
                names::SNAPSHOTS => tables::SNAPSHOTS,
                names::SPECS => tables::SPECS,
                names::APP_STATE => tables::APP_STATE,
                _ => return Ok(false),
            };
            let mut table = txn.open_table(def)?;
            let same = table
                .get(k.as_str())?
                .is_some_and(|v| v.value() == row.raw.as_slice());
            if same {
                table.remove(k.as_str())?;
                if name == names::RUNS {
                    txn.open_table(tables::ACTIVE_RUNS)?.remove(k.as_str())?;
                }
            }
            same
        }
        (BadKey::Pair(a, b), names::TASKS) => {
            let mut table = txn.open_table(tables::TASKS)?;
            let same = table
                .get((a.as_str(), b.as_str()))?
                .is_some_and(|v| v.value() == row.raw.as_slice());
            if same {
                table.remove((a.as_str(), b.as_str()))?;
            }
            same
        }
        (BadKey::Seq(a, n), name) => {
            let def = match name {
                names::RUN_EVENTS => tables::RUN_EVENTS,
                names::SPEC_REVISIONS => tables::SPEC_REVISIONS,
                _ => return Ok(false),
            };
            let mut table = txn.open_table(def)?;
            let same = table
                .get((a.as_str(), *n))?
                .is_some_and(|v| v.value() == row.raw.as_slice());
            if same {
                table.remove((a.as_str(), *n))?;
            }
            same
        }
        (BadKey::Pair(..), _) => false,
    };
    if still_there {
        let record = QuarantineRecord {
            table: row.table.to_owned(),
            key: row.key.display(),
            reason: row.reason.clone(),
            quarantined_at: at,
            raw_hex: hex(&row.raw),
        };
        let key = row.key.display();
        txn.open_table(tables::QUARANTINE)?.insert(
            (row.table, key.as_str()),
            codec::encode(&record)?.as_slice(),
        )?;
        tracing::warn!(table = row.table, key = %key, reason = %row.reason, "moved a damaged value to quarantine");
    }
    Ok(still_there)
}
