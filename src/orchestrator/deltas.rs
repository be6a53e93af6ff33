//! Streamed model text is batched: collected as it arrives, then committed and published every
//! [`FLUSH_EVERY`] (and when the step ends), so a fast stream costs a few transactions a second.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::persist::SharedPersist;
use crate::model::{RunId, TaskId};
use crate::protocol::Event;
use crate::provider::DeltaSink;
use crate::store::StoreError;

pub const FLUSH_EVERY: Duration = Duration::from_millis(100);

/// Collects deltas of one step and flushes them in batches until [`DeltaBatcher::finish`].
pub struct DeltaBatcher {
    buffer: Arc<Mutex<String>>,
    persist: SharedPersist,
    run_id: RunId,
    task_id: Option<TaskId>,
    stop: CancellationToken,
    ticker: JoinHandle<()>,
}

async fn flush(
    persist: &SharedPersist,
    buffer: &Mutex<String>,
    run_id: &RunId,
    task_id: &Option<TaskId>,
) -> Result<(), StoreError> {
    let text = match buffer.lock() {
        Ok(mut b) => std::mem::take(&mut *b),
        Err(_) => return Ok(()),
    };
    if text.is_empty() {
        return Ok(());
    }
    let event = Event::ModelDelta {
        run_id: run_id.clone(),
        task_id: task_id.clone(),
        text,
    };
    persist.record(vec![event]).await
}

impl DeltaBatcher {
    pub fn start(persist: SharedPersist, run_id: RunId, task_id: Option<TaskId>) -> Self {
        let buffer = Arc::new(Mutex::new(String::new()));
        let stop = CancellationToken::new();
        let ticker = {
            let (persist, buffer, run_id, task_id, stop) = (
                persist.clone(),
                buffer.clone(),
                run_id.clone(),
                task_id.clone(),
                stop.clone(),
            );
            tokio::spawn(async move {
                let mut interval = tokio::time::interval(FLUSH_EVERY);
                interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tokio::select! {
                        () = stop.cancelled() => break,
                        _ = interval.tick() => {
                            if let Err(e) = flush(&persist, &buffer, &run_id, &task_id).await {
                                tracing::warn!(error = %e, "could not record streamed text");
                            }
                        }
                    }
                }
            })
        };
        Self {
            buffer,
            persist,
            run_id,
            task_id,
            stop,
            ticker,
        }
    }

    /// The callback a provider streams into.
    pub fn sink(&self) -> DeltaSink {
        let buffer = self.buffer.clone();
        Arc::new(move |text: &str| {
            if let Ok(mut b) = buffer.lock() {
                b.push_str(text);
            }
        })
    }

    /// Stops the ticker and commits whatever is left.
    pub async fn finish(self) -> Result<(), StoreError> {
        self.stop.cancel();
        let _ = self.ticker.await;
        flush(&self.persist, &self.buffer, &self.run_id, &self.task_id).await
    }
}
