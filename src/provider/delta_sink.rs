//! Where streamed model text goes as it arrives (the orchestrator batches it into events).

use std::sync::Arc;

/// Receives streamed model text as it arrives.
pub type DeltaSink = Arc<dyn Fn(&str) + Send + Sync>;
