//! Waiting that a run's cancellation cuts short.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::error::ProviderError;

/// Sleeps for `duration` unless cancelled first.
pub async fn cancellable_sleep(
    duration: Duration,
    cancel: &CancellationToken,
) -> Result<(), ProviderError> {
    if duration.is_zero() {
        return if cancel.is_cancelled() {
            Err(ProviderError::Cancelled)
        } else {
            Ok(())
        };
    }
    tokio::select! {
        () = cancel.cancelled() => Err(ProviderError::Cancelled),
        () = tokio::time::sleep(duration) => Ok(()),
    }
}
