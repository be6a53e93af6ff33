//! Schema versions and the steps between them.
//!
//! A fresh file gets every current table and the current version in one transaction. An older file is
//! brought forward one named step at a time; each step is idempotent and committed on its own, so a crash
//! between steps resumes at the next one. A file from a newer version is refused, never rewritten.
//!
//! | version | step                        | what it does                                                 |
//! |---------|-----------------------------|--------------------------------------------------------------|
//! | 1       | (initial layout)            | spaces, sessions, runs, tasks, events, snapshots, specs, ...  |
//! | 2       | `m002_session_runs_index`   | adds `session_runs_v1` and fills it from `runs_v1`           |
//! | 3       | `m003_snapshot_sources`     | fills `snapshot_sources_v1` from every `snapshots_v1` row    |
//! | 4       | `m004_change_feed`          | adds `changes_v1`, the change feed (starts empty)            |
//! | 5       | `m005_tool_calls`           | adds `tool_calls_v1`, the specialists' tool calls (empty)    |

use std::cell::RefCell;

use redb::{Database, ReadableDatabase, ReadableTable, TableHandle, WriteTransaction};

use super::codec::{decode, encode};
use super::quarantine::{BadKey, BadRow, move_to_quarantine};
use super::tables;
use super::{StoreError, Tx};
use crate::model::{ContextSnapshot, RunRecord, SnapshotSources, Timestamp};

/// The schema this build reads and writes.
pub const CURRENT_VERSION: u64 = 5;

struct Migration {
    to: u64,
    name: &'static str,
    apply: fn(&mut Tx, Timestamp) -> Result<(), StoreError>,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        to: 2,
        name: "m002_session_runs_index",
        apply: m002_session_runs_index,
    },
    Migration {
        to: 3,
        name: "m003_snapshot_sources",
        apply: m003_snapshot_sources,
    },
    Migration {
        to: 4,
        name: "m004_change_feed",
        apply: m004_change_feed,
    },
    Migration {
        to: 5,
        name: "m005_tool_calls",
        apply: m005_tool_calls,
    },
];

/// What opening did to the schema.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MigrationReport {
    pub from: Option<u64>,
    pub to: u64,
    pub applied: Vec<&'static str>,
}

/// Creates the tables of schema version 1 (used for fresh files and by tests that build old files).
pub fn create_v1_tables(txn: &WriteTransaction) -> Result<(), StoreError> {
    txn.open_table(tables::SCHEMA)?;
    txn.open_table(tables::SPACES)?;
    txn.open_table(tables::SESSIONS)?;
    txn.open_table(tables::RUNS)?;
    txn.open_table(tables::TASKS)?;
    txn.open_table(tables::RUN_EVENTS)?;
    txn.open_table(tables::SNAPSHOTS)?;
    txn.open_table(tables::SPECS)?;
    txn.open_table(tables::SPEC_REVISIONS)?;
    txn.open_table(tables::ACTIVE_RUNS)?;
    txn.open_table(tables::CANCEL_REQUESTS)?;
    txn.open_table(tables::APP_STATE)?;
    txn.open_table(tables::QUARANTINE)?;
    Ok(())
}

fn create_current_tables(txn: &WriteTransaction) -> Result<(), StoreError> {
    create_v1_tables(txn)?;
    txn.open_table(tables::SESSION_RUNS)?;
    txn.open_table(tables::SNAPSHOT_SOURCES)?;
    txn.open_table(tables::CHANGES)?;
    txn.open_table(tables::TOOL_CALLS)?;
    Ok(())
}

fn stored_version(db: &Database) -> Result<Option<u64>, StoreError> {
    let txn = db.begin_read()?;
    let exists = txn
        .list_tables()?
        .any(|t| t.name() == tables::SCHEMA.name());
    if !exists {
        return Ok(None);
    }
    let table = txn.open_table(tables::SCHEMA)?;
    Ok(table.get(tables::SCHEMA_VERSION_KEY)?.map(|v| v.value()))
}

fn set_version(txn: &WriteTransaction, version: u64) -> Result<(), StoreError> {
    txn.open_table(tables::SCHEMA)?
        .insert(tables::SCHEMA_VERSION_KEY, version)?;
    Ok(())
}

/// Brings the file to [`CURRENT_VERSION`].
pub fn migrate(db: &Database, now: Timestamp) -> Result<MigrationReport, StoreError> {
    let from = stored_version(db)?;
    let Some(mut version) = from else {
        let mut txn = db.begin_write()?;
        txn.set_quick_repair(true);
        create_current_tables(&txn)?;
        set_version(&txn, CURRENT_VERSION)?;
        txn.commit()?;
        return Ok(MigrationReport {
            from: None,
            to: CURRENT_VERSION,
            applied: Vec::new(),
        });
    };
    if version > CURRENT_VERSION {
        return Err(StoreError::NewerSchema {
            found: version,
            supported: CURRENT_VERSION,
        });
    }
    let mut applied = Vec::new();
    let start = version;
    for step in MIGRATIONS.iter().filter(|m| m.to > start) {
        let mut txn = db.begin_write()?;
        txn.set_quick_repair(true);
        let mut tx = Tx {
            txn,
            bad: RefCell::new(Vec::new()),
            changes: 0,
        };
        (step.apply)(&mut tx, now)?;
        set_version(tx.raw(), step.to)?;
        tx.txn.commit()?;
        tracing::info!(step = step.name, to = step.to, "applied store migration");
        applied.push(step.name);
        version = step.to;
    }
    Ok(MigrationReport {
        from,
        to: version,
        applied,
    })
}

/// Schema 2: index runs by session so a session's thread loads without scanning all history. Runs that
/// cannot be decoded are quarantined on the way.
fn m002_session_runs_index(tx: &mut Tx, now: Timestamp) -> Result<(), StoreError> {
    create_current_tables(tx.raw())?;
    let mut pairs = Vec::new();
    let mut bad = Vec::new();
    {
        let runs = tx.raw().open_table(tables::RUNS)?;
        for entry in runs.iter()? {
            let (k, v) = entry?;
            match decode::<RunRecord>(v.value()) {
                Ok(run) => pairs.push((run.session_id.to_string(), run.id.to_string())),
                Err(reason) => bad.push(BadRow {
                    table: tables::names::RUNS,
                    key: BadKey::Str(k.value().to_owned()),
                    reason,
                    raw: v.value().to_vec(),
                }),
            }
        }
    }
    {
        let mut index = tx.raw().open_table(tables::SESSION_RUNS)?;
        for (session, run) in &pairs {
            index.insert((session.as_str(), run.as_str()), ())?;
        }
    }
    for row in &bad {
        move_to_quarantine(tx.raw(), row, now)?;
    }
    Ok(())
}

/// Schema 3: every snapshot has its `snapshot_sources_v1` row, so history listings derive staleness from
/// the compact rows alone. Schema-2 builds wrote the row only for snapshots taken after the table was
/// added; this fills the rest (and rewrites the others to the same bytes, repairing any damaged row).
/// Snapshots that cannot be decoded are quarantined on the way.
fn m003_snapshot_sources(tx: &mut Tx, now: Timestamp) -> Result<(), StoreError> {
    create_current_tables(tx.raw())?;
    let mut bad = Vec::new();
    {
        let snapshots = tx.raw().open_table(tables::SNAPSHOTS)?;
        let mut sources = tx.raw().open_table(tables::SNAPSHOT_SOURCES)?;
        for entry in snapshots.iter()? {
            let (k, v) = entry?;
            match decode::<ContextSnapshot>(v.value()) {
                Ok(snapshot) => {
                    let row = encode(&SnapshotSources::of(&snapshot))?;
                    sources.insert(k.value(), row.as_slice())?;
                }
                Err(reason) => bad.push(BadRow {
                    table: tables::names::SNAPSHOTS,
                    key: BadKey::Str(k.value().to_owned()),
                    reason,
                    raw: v.value().to_vec(),
                }),
            }
        }
    }
    for row in &bad {
        move_to_quarantine(tx.raw(), row, now)?;
    }
    Ok(())
}

/// Adds the change feed. It starts empty: readers begin at its end, and older history is read from the
/// tables themselves.
fn m004_change_feed(tx: &mut Tx, _now: Timestamp) -> Result<(), StoreError> {
    tx.raw().open_table(tables::CHANGES)?;
    Ok(())
}

/// Adds the table of the specialists' tool calls (runs before schema 5 made none).
fn m005_tool_calls(tx: &mut Tx, _now: Timestamp) -> Result<(), StoreError> {
    tx.raw().open_table(tables::TOOL_CALLS)?;
    Ok(())
}
