//! Turning command arguments into records, with errors that name the bad input.

use super::error::{CliError, Exit};
use crate::spaces::SpaceError;
use crate::store::StoreError;

impl From<SpaceError> for CliError {
    fn from(e: SpaceError) -> Self {
        match e {
            SpaceError::Store(store) => store.into(),
            other => CliError {
                exit: Exit::Usage,
                message: other.to_string(),
            },
        }
    }
}

/// A run id that does not exist is a usage error naming it.
pub fn unknown_run(id: &str) -> CliError {
    let hint = crate::model::ids::wrong_kind_hint(id, "a run");
    CliError::usage(format!(
        "no run {id:?}{hint}: list run ids with `kata-cloud runs list`"
    ))
}

/// Maps "not found" store errors for a run to the usage error above.
pub fn run_lookup(id: &str, e: StoreError) -> CliError {
    match e {
        StoreError::NotFound { .. } => unknown_run(id),
        other => other.into(),
    }
}
