//! Engines and applications on a data directory, with the system clock or a clock pinned in time, and raw
//! redb access for the tests that age or damage a store on purpose.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use kata_cloud::app::App;
use kata_cloud::model::{ManualClock, SharedClock, SystemClock, Timestamp};
use kata_cloud::orchestrator::{Engine, EngineConfig};
use kata_cloud::provider::ProviderRegistry;
use kata_cloud::provider::registry::ProviderSettings;

/// 2026-11-24 09:12:00 UTC in unix milliseconds: the time of a pinned clock, so pictures and texts that
/// show times are the same on every run.
pub const PINNED_NOW: i64 = 1_795_511_520_000;

/// A clock that stays at [`PINNED_NOW`].
pub fn pinned_clock() -> SharedClock {
    Arc::new(ManualClock::new(Timestamp::from_unix_millis(PINNED_NOW), 0))
}

/// The real clock.
pub fn system_clock() -> SharedClock {
    Arc::new(SystemClock)
}

/// What an engine on `data` is opened with: the offline provider (each of its steps takes `step_ms`), no
/// provider keys from the environment.
// Built field by field so settings added later keep their defaults.
#[allow(clippy::field_reassign_with_default)]
pub fn engine_config(data: &Path, clock: SharedClock, step_ms: u64) -> EngineConfig {
    let mut settings = ProviderSettings::default();
    settings.offline_step = Duration::from_millis(step_ms);
    EngineConfig {
        data_dir: data.to_path_buf(),
        clock,
        providers: ProviderRegistry::new(settings),
    }
}

/// An engine on `data` with the system clock (opened and reconciled, like every client).
pub fn engine(data: &Path, step_ms: u64) -> Engine {
    Engine::open(engine_config(data, system_clock(), step_ms)).unwrap()
}

/// An engine on `data` whose clock stays at [`PINNED_NOW`].
pub fn pinned_engine(data: &Path, step_ms: u64) -> Engine {
    Engine::open(engine_config(data, pinned_clock(), step_ms)).unwrap()
}

/// The application on `data`, with the system clock and an offline provider without delays.
pub fn app(data: &Path) -> App {
    App::new(engine(data, 0))
}

fn raw_db(data_dir: &Path) -> redb::Database {
    redb::Builder::new()
        .set_concurrency_mode(redb::ConcurrencyMode::MultiWriter)
        .open(data_dir.join("kata.redb"))
        .unwrap()
}

/// Opens the store file under `data_dir` with redb directly (no migrations, no checks) and commits what
/// `f` writes: how tests damage or age a store on purpose.
pub fn write_raw(data_dir: &Path, f: impl FnOnce(&redb::WriteTransaction)) {
    let db = raw_db(data_dir);
    let txn = db.begin_write().unwrap();
    f(&txn);
    txn.commit().unwrap();
}

/// Reads the store file under `data_dir` with redb directly (no migrations, no reconciliation): what is
/// really in the file.
pub fn read_raw<R>(data_dir: &Path, f: impl FnOnce(&redb::ReadTransaction) -> R) -> R {
    use redb::ReadableDatabase as _;
    let db = raw_db(data_dir);
    let txn = db.begin_read().unwrap();
    f(&txn)
}
