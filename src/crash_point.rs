//! Named points where the process can be made to die at once, as `kill -9` would, so crash tests can stop
//! it exactly between two durable steps (an effect's intent and its result) instead of hoping a timer lands
//! there. Off unless `KATA_CRASH_AT` names the point; the value is read once per process.
//!
//! | point                     | where                                                            |
//! |---------------------------|------------------------------------------------------------------|
//! | `intent:<tool>`           | after a `<tool>` effect's intent is committed, before it happens |
//! | `effect:<tool>`           | after the effect happened, before its result is committed       |

use std::sync::OnceLock;

static CRASH_AT: OnceLock<Option<String>> = OnceLock::new();

/// Dies here (no unwinding, no cleanup, no flushing) when `KATA_CRASH_AT` names this point.
pub fn here(point: &str) {
    let wanted = CRASH_AT.get_or_init(|| std::env::var("KATA_CRASH_AT").ok());
    if wanted.as_deref() == Some(point) {
        eprintln!("crash point {point}: stopping the process as a kill -9 would");
        std::process::abort();
    }
}
