//! The orchestrator: a background tokio runtime inside the process that executes runs.
//!
//! [`Engine::open`] opens the store, takes this process's ownership lease and reconciles what earlier
//! engines left behind — every command and the window start with it. [`Engine::start`] then starts the
//! runtime and the command loop, returning an [`Orchestrator`] handle: commands go in through a bounded
//! channel, events come out of a broadcast channel after they are committed (see `protocol.rs`).

pub mod agent;
pub mod command_loop;
pub mod deltas;
pub mod persist;
pub mod run_loop;
pub mod session_turns;
pub mod spec_ticks;
pub mod waves;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{broadcast, mpsc};

use crate::context::ContextEngine;
use crate::model::{IdGenerator, OwnerId, SharedClock};
use crate::protocol::{Command, Event};
use crate::provider::ProviderRegistry;
use crate::store::ownership::OwnerLease;
use crate::store::{Reconciled, Store, StoreError, reconcile};

/// Capacity of the command channel; senders use `try_send` from the UI thread.
pub const COMMAND_CAPACITY: usize = 64;
/// Capacity of the event channel; a receiver that falls further behind reloads from the store.
pub const EVENT_CAPACITY: usize = 4096;

/// What an engine is built from.
#[derive(Clone)]
pub struct EngineConfig {
    pub data_dir: PathBuf,
    pub clock: SharedClock,
    pub providers: ProviderRegistry,
}

/// The store, reconciled, plus this process's identity as an owner of runs.
pub struct Engine {
    pub store: Store,
    pub clock: SharedClock,
    pub ids: Arc<IdGenerator>,
    pub providers: ProviderRegistry,
    pub context: ContextEngine,
    /// What startup reconciliation changed.
    pub reconciled: Reconciled,
    lease: Arc<OwnerLease>,
}

impl Engine {
    /// Opens the store in `config.data_dir` and reconciles it before anything reads state.
    pub fn open(config: EngineConfig) -> Result<Engine, StoreError> {
        let store = Store::open(&config.data_dir, config.clock.clone())?;
        let ids = Arc::new(IdGenerator::new());
        let lease =
            OwnerLease::acquire(&config.data_dir, &ids, config.clock.now()).map_err(|e| {
                StoreError::Open {
                    path: config.data_dir.join("owners"),
                    reason: format!("cannot create this process's lease file: {e}"),
                    remediation:
                        "Check that the data directory is writable, or pass another --data-dir."
                            .to_owned(),
                }
            })?;
        let reconciled = reconcile(&store, &config.data_dir, lease.id(), config.clock.now())?;
        Ok(Engine {
            store,
            clock: config.clock,
            ids,
            providers: config.providers,
            context: ContextEngine::with_index_dir(config.data_dir.join("index")),
            reconciled,
            lease: Arc::new(lease),
        })
    }

    pub fn owner(&self) -> &OwnerId {
        self.lease.id()
    }

    pub fn data_dir(&self) -> &Path {
        self.store.data_dir()
    }

    /// Starts the runtime and the command loop.
    pub fn start(&self) -> std::io::Result<Orchestrator> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("kata-orchestrator")
            .enable_all()
            .build()?;
        let (events, _) = broadcast::channel(EVENT_CAPACITY);
        let (commands, receiver) = mpsc::channel(COMMAND_CAPACITY);
        let persist = Arc::new(persist::Persist::new(
            self.store.clone(),
            self.clock.clone(),
            events.clone(),
        ));
        let deps = Arc::new(run_loop::RunDeps {
            persist,
            providers: self.providers.clone(),
            context: self.context.clone(),
            ids: self.ids.clone(),
        });
        let command_loop = command_loop::CommandLoop::new(deps, self.owner().clone());
        let lease = self.lease.clone();
        let main = runtime.spawn(async move {
            command_loop.run(receiver).await;
            drop(lease);
        });
        Ok(Orchestrator {
            runtime: Some(runtime),
            commands,
            events,
            main: Some(main),
        })
    }
}

/// Handle to a running orchestrator. Dropping it shuts it down (live runs become interrupted).
pub struct Orchestrator {
    runtime: Option<tokio::runtime::Runtime>,
    commands: mpsc::Sender<Command>,
    events: broadcast::Sender<Event>,
    main: Option<tokio::task::JoinHandle<()>>,
}

impl Orchestrator {
    /// A sender for commands; cheap to clone.
    pub fn commands(&self) -> mpsc::Sender<Command> {
        self.commands.clone()
    }

    /// A receiver of every event published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// The publishing end, for clients that subscribe later from another thread.
    pub fn event_sender(&self) -> broadcast::Sender<Event> {
        self.events.clone()
    }

    pub fn handle(&self) -> Option<tokio::runtime::Handle> {
        self.runtime.as_ref().map(|r| r.handle().clone())
    }

    /// Runs a future to completion on the orchestrator's runtime (for the headless CLI).
    pub fn block_on<F: std::future::Future>(&self, future: F) -> Option<F::Output> {
        self.runtime.as_ref().map(|r| r.block_on(future))
    }

    /// Stops accepting commands, interrupts live runs (recording it), and stops the runtime.
    pub fn shutdown(&mut self) {
        let Some(runtime) = self.runtime.take() else {
            return;
        };
        let commands = self.commands.clone();
        let main = self.main.take();
        runtime.block_on(async move {
            let _ = commands.send(Command::Shutdown).await;
            if let Some(main) = main {
                let _ = tokio::time::timeout(
                    command_loop::SHUTDOWN_GRACE + Duration::from_secs(1),
                    main,
                )
                .await;
            }
        });
        runtime.shutdown_timeout(Duration::from_secs(1));
    }
}

impl Drop for Orchestrator {
    fn drop(&mut self) {
        self.shutdown();
    }
}
