//! Logging and crash reporting for the binary: logs go to stderr (never stdout), a panic prints one line.

use tracing_subscriber::EnvFilter;

/// Logs at `KATA_LOG` (or `RUST_LOG`) level, default `warn`, to stderr.
pub fn init_logging() {
    let filter = std::env::var("KATA_LOG")
        .ok()
        .or_else(|| std::env::var("RUST_LOG").ok())
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

/// A bug must not dump a backtrace on a user: print one line that says what to do, log the details.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown".to_owned());
        tracing::error!(%message, %location, "internal error");
        eprintln!(
            "error: internal error ({message}{location}); your data is safe in the store — please report this"
        );
    }));
}
