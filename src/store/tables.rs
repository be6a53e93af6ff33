//! Every table of the store, with its versioned name and key/value layout. Nothing else in the code base
//! names a table.
//!
//! Values are JSON documents (see `codec.rs`): readable with any redb tool, and tolerant of fields added
//! later (`#[serde(default)]`). A table's name carries the version of its layout; a layout change makes a
//! new table and a migration that fills it (`migrations.rs`).
//!
//! | table                 | key                          | value                                  | since |
//! |-----------------------|------------------------------|----------------------------------------|-------|
//! | `kata_schema`         | `"schema_version"`           | `u64`                                  | 1     |
//! | `spaces_v1`           | space id                     | JSON `Space`                           | 1     |
//! | `sessions_v1`         | session id                   | JSON `Session`                         | 1     |
//! | `runs_v1`             | run id (time-sortable)       | JSON `RunRecord` (no tasks, no items)  | 1     |
//! | `tasks_v1`            | (run id, task id)            | JSON `TaskRecord`                      | 1     |
//! | `run_events_v1`       | (run id, seq)                | JSON `EventRecord`                     | 1     |
//! | `snapshots_v1`        | snapshot id                  | JSON `ContextSnapshot`                 | 1     |
//! | `specs_v1`            | session id                   | JSON `SpecRecord` (current revision)   | 1     |
//! | `spec_revisions_v1`   | (session id, revision)       | JSON `SpecRecord`                      | 1     |
//! | `active_runs_v1`      | run id                       | owner id (`&str`)                      | 1     |
//! | `cancel_requests_v1`  | run id                       | requested at, unix ms (`i64`)          | 1     |
//! | `app_state_v1`        | name (`"ui"`, ...)           | JSON, owned by the named component     | 1     |
//! | `quarantine_v1`       | (table name, key as text)    | JSON `QuarantineRecord`                | 1     |
//! | `session_runs_v1`     | (session id, run id)         | `()`                                   | 2     |
//! | `snapshot_sources_v1` | snapshot id                  | JSON `SnapshotSources` (see below)     | 3     |
//! | `changes_v1`          | store-wide sequence (`u64`)  | JSON `ChangeRecord` (see below)        | 4     |
//! | `tool_calls_v1`       | (run id, "task/000seq")      | JSON `ToolCallRecord`                  | 5     |
//!
//! `snapshot_sources_v1` is derived from `snapshots_v1`: one row per snapshot, written in the same
//! transaction as the snapshot (`Tx::put_snapshot`), holding only what staleness needs, so history
//! listings never decode excerpts. Value: `{"items": [{"path": "src/a.rs", "content_hash": "<blake3 hex>"},
//! ...]}`, the snapshot's distinct (path, hash) pairs in path order. Schema-2 builds created it lazily and
//! only for new snapshots; `m003_snapshot_sources` fills it for every older snapshot. A row that cannot be
//! decoded is answered from `snapshots_v1` instead (it is derived, so it is not quarantined).
//!
//! `changes_v1` is the change feed: every write transaction that changes what clients show (a space, a
//! session, a spec revision, an event in a run's log) appends one row per change in the same transaction,
//! numbered one after another across every process sharing the file (redb serialises write transactions).
//! A client reads the rows after its cursor to learn what changed; the rows name records and never copy
//! them. The oldest rows are pruned once the table holds more than `FEED_RETAIN` of them; a reader whose
//! cursor fell behind that reloads what it shows.
//!
//! `active_runs_v1` holds exactly the runs that are queued or running, with the engine instance that owns
//! them; it is maintained in the same transaction as every run status change, so startup reconciliation
//! reads only live runs instead of the whole history.

use redb::TableDefinition;

pub const SCHEMA: TableDefinition<&str, u64> = TableDefinition::new("kata_schema");
pub const SCHEMA_VERSION_KEY: &str = "schema_version";

pub const SPACES: TableDefinition<&str, &[u8]> = TableDefinition::new("spaces_v1");
pub const SESSIONS: TableDefinition<&str, &[u8]> = TableDefinition::new("sessions_v1");
pub const RUNS: TableDefinition<&str, &[u8]> = TableDefinition::new("runs_v1");
pub const TASKS: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("tasks_v1");
pub const RUN_EVENTS: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("run_events_v1");
pub const SNAPSHOTS: TableDefinition<&str, &[u8]> = TableDefinition::new("snapshots_v1");
pub const SPECS: TableDefinition<&str, &[u8]> = TableDefinition::new("specs_v1");
pub const SPEC_REVISIONS: TableDefinition<(&str, u64), &[u8]> =
    TableDefinition::new("spec_revisions_v1");
pub const ACTIVE_RUNS: TableDefinition<&str, &str> = TableDefinition::new("active_runs_v1");
pub const CANCEL_REQUESTS: TableDefinition<&str, i64> = TableDefinition::new("cancel_requests_v1");
pub const APP_STATE: TableDefinition<&str, &[u8]> = TableDefinition::new("app_state_v1");
pub const QUARANTINE: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("quarantine_v1");
pub const SESSION_RUNS: TableDefinition<(&str, &str), ()> = TableDefinition::new("session_runs_v1");
pub const SNAPSHOT_SOURCES: TableDefinition<&str, &[u8]> =
    TableDefinition::new("snapshot_sources_v1");
pub const CHANGES: TableDefinition<u64, &[u8]> = TableDefinition::new("changes_v1");
pub const TOOL_CALLS: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("tool_calls_v1");

/// Names of the tables whose values are JSON records, for quarantine reports.
pub mod names {
    pub const SPACES: &str = "spaces_v1";
    pub const SESSIONS: &str = "sessions_v1";
    pub const RUNS: &str = "runs_v1";
    pub const TASKS: &str = "tasks_v1";
    pub const RUN_EVENTS: &str = "run_events_v1";
    pub const SNAPSHOTS: &str = "snapshots_v1";
    pub const SPECS: &str = "specs_v1";
    pub const SPEC_REVISIONS: &str = "spec_revisions_v1";
    pub const APP_STATE: &str = "app_state_v1";
    pub const CHANGES: &str = "changes_v1";
    pub const TOOL_CALLS: &str = "tool_calls_v1";
}
