//! The redb store: the source of truth. Only this module touches redb.
//!
//! * One file, `kata.redb`, in the data dir; opened in multi-writer mode so the window and CLI commands can
//!   share it. Every write is a durable commit with quick repair on, so reopening after a crash is instant.
//! * Tables and their layouts: `tables.rs`. Schema versions and migrations: `migrations.rs`.
//! * Values that cannot be decoded are moved to quarantine (`quarantine.rs`), never dropped silently.
//! * Startup reconciliation (`reconcile.rs`) runs before anything reads state.

pub mod changes;
pub mod codec;
pub mod migrations;
pub mod ownership;
pub mod quarantine;
pub mod read;
mod readers;
pub mod reconcile;
mod rows;
pub mod tables;
pub mod write;

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use redb::{Builder, ConcurrencyMode, Database};
use serde::{Deserialize, Serialize};

use crate::model::{SharedClock, Timestamp, TransitionError};
use crate::protocol::Event;

pub use changes::{ChangeSignal, FeedPage};
pub use migrations::{CURRENT_VERSION, MigrationReport};
pub use quarantine::QuarantineRecord;
pub use read::Rx;
pub use reconcile::{Reconciled, reconcile};
pub use write::Tx;

/// File name of the store inside the data dir.
pub const STORE_FILE: &str = "kata.redb";
/// Page cache: small, this is a desktop app sharing the machine with editors and compilers.
pub const CACHE_BYTES: usize = 32 * 1024 * 1024;

/// One entry of a run's event log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    pub seq: u64,
    pub at: Timestamp,
    pub event: Event,
}

/// Store failures. `Open` and `NewerSchema` mean the store cannot be used at all (exit code 3). What a
/// person is told about each (code, remediation, retryable) is decided in one place, `crate::errors`.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the store at {path}: {reason}")]
    Open {
        path: PathBuf,
        reason: String,
        remediation: String,
    },
    #[error(
        "the store was written by a newer Kata Cloud (schema {found}; this build reads up to {supported})"
    )]
    NewerSchema { found: u64, supported: u64 },
    #[error("{kind} {id:?} does not exist")]
    NotFound { kind: &'static str, id: String },
    /// A record with this id exists already (ids are chosen by callers, e.g. `run --run-id`).
    #[error("{kind} {id:?} already exists")]
    AlreadyExists { kind: &'static str, id: String },
    #[error("the {table} record {key:?} is damaged and was moved to quarantine")]
    Damaged { table: &'static str, key: String },
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error("cannot encode a {what} record: {reason}")]
    Encode { what: &'static str, reason: String },
    /// redb reported a failure (I/O, a full disk, a damaged page, a lock).
    #[error("the database failed: {0}")]
    Database(#[from] Box<redb::Error>),
    /// The thread or task doing store work stopped before answering (it panicked or was cancelled).
    #[error("the {0} stopped before it finished")]
    WorkerStopped(&'static str),
}

impl StoreError {
    /// Whether the store itself is unusable (as opposed to one record or one request).
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            StoreError::Open { .. } | StoreError::NewerSchema { .. }
        )
    }
}

macro_rules! db_error {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                StoreError::Database(Box::new(e.into()))
            }
        }
    )*};
}
impl From<redb::Error> for StoreError {
    fn from(e: redb::Error) -> Self {
        StoreError::Database(Box::new(e))
    }
}
db_error!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

/// Handle to the open store. Cheap to clone; all clones share one database.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    db: Database,
    path: PathBuf,
    data_dir: PathBuf,
    migration: MigrationReport,
    clock: SharedClock,
    /// Bumped after every commit that appended to the change feed.
    signal: Arc<ChangeSignal>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.inner.path)
            .finish()
    }
}

fn open_error(
    path: &Path,
    reason: impl Into<String>,
    remediation: impl Into<String>,
) -> StoreError {
    StoreError::Open {
        path: path.to_path_buf(),
        reason: reason.into(),
        remediation: remediation.into(),
    }
}

/// What to do about a store file that is not a Kata Cloud store or is damaged.
fn damaged_file_remediation(path: &Path) -> String {
    format!(
        "The file is not a Kata Cloud store or is damaged. Move it aside (mv {} {}.damaged) to start \
         with an empty store, or restore a backup; nothing is deleted for you.",
        path.display(),
        path.display()
    )
}

/// "the file is damaged", with what redb said when it panicked on it (headless commands record that).
fn damaged_reason() -> String {
    match crate::diagnostics::take_store_panic() {
        Some(detail) => format!("the file is damaged ({detail})"),
        None => "the file is damaged".to_owned(),
    }
}

impl StoreError {
    /// The store file in `data_dir` turned out to be damaged while a command was using it (redb panicked
    /// reading it): the store cannot be used, like a file that cannot be opened.
    pub fn damaged_file(data_dir: &Path, reason: &str) -> StoreError {
        let path = data_dir.join(STORE_FILE);
        let remediation = damaged_file_remediation(&path);
        open_error(
            &path,
            format!("the file is damaged ({reason})"),
            remediation,
        )
    }
}

impl Store {
    /// Opens (creating if needed) the store in `data_dir` and brings its schema up to date.
    pub fn open(data_dir: &Path, clock: SharedClock) -> Result<Store, StoreError> {
        let now = clock.now();
        let path = data_dir.join(STORE_FILE);
        if data_dir.exists() && !data_dir.is_dir() {
            return Err(open_error(
                &path,
                format!("the data directory {} is a file", data_dir.display()),
                "Pass a directory with --data-dir (or KATA_DATA_DIR), or move the file aside.",
            ));
        }
        if path.is_dir() {
            return Err(open_error(
                &path,
                "it is a directory, not a store file",
                format!(
                    "Move it aside (mv {} {}.moved), or pass another --data-dir.",
                    path.display(),
                    path.display()
                ),
            ));
        }
        std::fs::create_dir_all(data_dir).map_err(|e| {
            open_error(
                &path,
                format!(
                    "cannot create the data directory {}: {e}",
                    data_dir.display()
                ),
                "Check the permissions of the directory, or pass another --data-dir.",
            )
        })?;
        let garbage_fix = damaged_file_remediation(&path);
        let opened = std::panic::catch_unwind(|| {
            Builder::new()
                .set_cache_size(CACHE_BYTES)
                .set_concurrency_mode(ConcurrencyMode::MultiWriter)
                .create(&path)
        });
        let db = match opened {
            Ok(Ok(db)) => db,
            Ok(Err(redb::DatabaseError::Storage(redb::StorageError::Io(e))))
                if e.kind() == std::io::ErrorKind::PermissionDenied =>
            {
                return Err(open_error(
                    &path,
                    format!("permission denied ({e})"),
                    "Make the file readable and writable by you, or pass another --data-dir.",
                ));
            }
            Ok(Err(
                redb::DatabaseError::LockProtocolMismatch
                | redb::DatabaseError::DatabaseAlreadyOpen,
            )) => {
                return Err(open_error(
                    &path,
                    "another program (or another Kata Cloud version) has it open exclusively",
                    "Close the other program, or pass another --data-dir.",
                ));
            }
            Ok(Err(redb::DatabaseError::UpgradeRequired(v))) => {
                return Err(open_error(
                    &path,
                    format!("the file uses an old storage format (version {v})"),
                    garbage_fix,
                ));
            }
            Ok(Err(e)) => return Err(open_error(&path, e.to_string(), garbage_fix)),
            Err(_) => return Err(open_error(&path, damaged_reason(), garbage_fix)),
        };
        let migration = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            migrations::migrate(&db, now)
        })) {
            Ok(Ok(report)) => report,
            Ok(Err(e @ StoreError::NewerSchema { .. })) => return Err(e),
            Ok(Err(e)) => return Err(open_error(&path, e.to_string(), garbage_fix)),
            Err(_) => return Err(open_error(&path, damaged_reason(), garbage_fix)),
        };
        Ok(Store {
            inner: Arc::new(Inner {
                db,
                path,
                data_dir: data_dir.to_path_buf(),
                migration,
                clock,
                signal: Arc::new(ChangeSignal::default()),
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    pub fn data_dir(&self) -> &Path {
        &self.inner.data_dir
    }

    pub fn clock(&self) -> &SharedClock {
        &self.inner.clock
    }

    pub fn migration(&self) -> &MigrationReport {
        &self.inner.migration
    }

    /// The signal that wakes this process's change-feed readers.
    pub fn change_signal(&self) -> &Arc<ChangeSignal> {
        &self.inner.signal
    }

    /// Runs `f` on a consistent snapshot. Damaged values it met are quarantined afterwards.
    pub fn read<R>(&self, f: impl FnOnce(&Rx) -> Result<R, StoreError>) -> Result<R, StoreError> {
        use redb::ReadableDatabase as _;
        let rx = Rx {
            txn: self.inner.db.begin_read()?,
            bad: RefCell::new(Vec::new()),
        };
        let result = f(&rx);
        let bad = rx.bad.take();
        drop(rx);
        self.quarantine(bad);
        result
    }

    /// Runs `f` in a write transaction and commits it durably if `f` succeeds; otherwise nothing changes.
    pub fn write<R>(
        &self,
        f: impl FnOnce(&mut Tx) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let mut txn = self.inner.db.begin_write()?;
        txn.set_quick_repair(true);
        let mut tx = Tx {
            txn,
            bad: RefCell::new(Vec::new()),
            changes: 0,
        };
        let result = f(&mut tx);
        let bad = tx.bad.take();
        let outcome = match result {
            Ok(value) => {
                let changed = tx.changes > 0;
                tx.txn.commit()?;
                if changed {
                    self.inner.signal.bump();
                }
                Ok(value)
            }
            Err(e) => {
                let _ = tx.txn.abort();
                Err(e)
            }
        };
        self.quarantine(bad);
        outcome
    }

    fn quarantine(&self, bad: Vec<quarantine::BadRow>) {
        if bad.is_empty() {
            return;
        }
        let now = self.inner.clock.now();
        let moved = (|| -> Result<(), StoreError> {
            let mut txn = self.inner.db.begin_write()?;
            txn.set_quick_repair(true);
            for row in &bad {
                quarantine::move_to_quarantine(&txn, row, now)?;
            }
            txn.commit()?;
            Ok(())
        })();
        if let Err(e) = moved {
            tracing::error!(error = %e, "could not quarantine damaged values");
        }
    }
}
