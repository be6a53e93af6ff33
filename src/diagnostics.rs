//! Logging and crash reporting for the binary: logs go to stderr (never stdout), a panic prints one line.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use tracing_subscriber::EnvFilter;

/// Set by headless commands: a panic inside the storage engine is then reported as a damaged store.
static CATCH_STORE_PANICS: AtomicBool = AtomicBool::new(false);
/// The last panic raised inside the storage engine (message and location), for the command to report.
static STORE_PANIC: Mutex<Option<String>> = Mutex::new(None);

/// Our warnings, and only errors from the windowing and GPU stacks: their warnings ("software rasterizer
/// detected", X11 settings) describe the machine, not something the user must act on.
const DEFAULT_LEVEL: &str = "warn";

/// Logs at `KATA_LOG` (or `RUST_LOG`) level to stderr; by default our warnings, and only errors from the
/// `quiet` targets (the window's stacks, which warn about things a user cannot act on).
pub fn init_logging(quiet: &[&str]) {
    let default = quiet
        .iter()
        .fold(DEFAULT_LEVEL.to_owned(), |f, t| format!("{f},{t}=error"));
    let filter = std::env::var("KATA_LOG")
        .ok()
        .or_else(|| std::env::var("RUST_LOG").ok())
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

/// From now on, a panic inside redb (which it raises on some damaged files instead of returning an error)
/// prints nothing: the command takes it with [`take_store_panic`] and reports a damaged store (exit 3).
pub fn catch_store_panics() {
    CATCH_STORE_PANICS.store(true, Ordering::SeqCst);
}

/// The panic redb raised since the last call, if any (see [`catch_store_panics`]).
pub fn take_store_panic() -> Option<String> {
    STORE_PANIC.lock().ok().and_then(|mut p| p.take())
}

/// Whether redb has panicked since the last [`take_store_panic`] (without taking it).
pub fn store_panicked() -> bool {
    STORE_PANIC.lock().is_ok_and(|p| p.is_some())
}

/// Whether a panic location is inside the redb crate's sources.
fn in_storage_engine(file: &str) -> bool {
    file.replace('\\', "/")
        .split('/')
        .any(|part| part.starts_with("redb-"))
}

/// A bug must not dump a backtrace on a user: print one line that says what to do, log the details.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let in_redb = info.location().is_some_and(|l| in_storage_engine(l.file()));
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown".to_owned());
        if in_redb && CATCH_STORE_PANICS.load(Ordering::SeqCst) {
            tracing::debug!(%message, %location, "the storage engine panicked on a damaged file");
            if let Ok(mut slot) = STORE_PANIC.lock() {
                slot.get_or_insert(message);
            }
            return;
        }
        tracing::error!(%message, %location, "internal error");
        eprintln!(
            "error: internal error ({message}{location}); your data is safe in the store — please report this"
        );
    }));
}

#[cfg(test)]
mod tests {
    use super::in_storage_engine;

    #[test]
    fn only_redb_sources_count_as_the_storage_engine() {
        assert!(in_storage_engine(
            "/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/redb-4.6.0/src/types.rs"
        ));
        assert!(in_storage_engine(
            "C:\\cargo\\registry\\src\\x\\redb-4.6.0\\src\\types.rs"
        ));
        assert!(!in_storage_engine("src/store/mod.rs"));
        assert!(!in_storage_engine("/work/redbook/src/main.rs"));
    }
}
