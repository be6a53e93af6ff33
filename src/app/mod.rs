//! The application API: every operation a client (the window, the CLI, tests) performs on spaces,
//! sessions, runs, specs and context is one method here, taking a typed request and returning a typed
//! result. Clients only parse input, call, and present: the CLI prints, the window draws. State changes
//! are committed to the store and published on the change feed ([`feed`]) in the same transaction, so every
//! client — in this process or another — sees them.
//!
//! | module      | operations                                                                      |
//! |-------------|---------------------------------------------------------------------------------|
//! | `spaces`    | add (link or update), list, find, relink, remove                                |
//! | `sessions`  | new, list, rename, archive, unarchive, the session a run goes to               |
//! | `runs`      | prepare and start, resume, cancel, list, show; a session with its runs          |
//! | `specs`     | show, apply a draft, save an edit, history                                       |
//! | `context`   | query without a run                                                              |
//! | `doctor`    | what works and what does not                                                     |
//! | `feed`      | the change feed: what changed since a cursor, woken within a second             |
//! | `history`   | runs as clients see them, with staleness derived on read                         |

pub mod changes;
pub mod context;
pub mod doctor;
pub mod error;
pub mod feed;
pub mod history;
pub mod runs;
pub mod sessions;
pub mod spaces;
pub mod specs;
pub mod worktrees;

use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::{broadcast, mpsc};

use crate::context::{ContextEngine, SourceChecker};
use crate::model::{IdGenerator, OwnerId, SharedClock, Timestamp};
use crate::orchestrator::{Engine, EngineConfig, Orchestrator};
use crate::protocol::{Command, Event};
use crate::provider::ProviderRegistry;
use crate::store::{Reconciled, Store, StoreError};

pub use error::AppError;

/// The running orchestrator's endpoints, once started.
#[derive(Clone)]
struct Live {
    commands: mpsc::Sender<Command>,
    events: broadcast::Sender<Event>,
    runtime: tokio::runtime::Handle,
}

/// The application: the engine (store, clock, ids, providers, context), and this process's orchestrator,
/// started on first use. Cheap to share (`Arc<App>`); every method is safe to call from any thread except
/// the ones that block on the orchestrator's runtime, which say so.
pub struct App {
    engine: Engine,
    checker: SourceChecker,
    orchestrator: Mutex<Option<Orchestrator>>,
    live: OnceLock<Live>,
}

impl App {
    /// Opens the store and reconciles it (every client starts here).
    pub fn open(config: EngineConfig) -> Result<App, StoreError> {
        Ok(App::new(Engine::open(config)?))
    }

    /// An application on an opened engine.
    pub fn new(engine: Engine) -> App {
        App {
            engine,
            checker: SourceChecker::new(),
            orchestrator: Mutex::new(None),
            live: OnceLock::new(),
        }
    }

    pub fn store(&self) -> &Store {
        &self.engine.store
    }

    pub fn clock(&self) -> &SharedClock {
        &self.engine.clock
    }

    pub fn now(&self) -> Timestamp {
        self.engine.clock.now()
    }

    pub fn ids(&self) -> &Arc<IdGenerator> {
        &self.engine.ids
    }

    pub fn providers(&self) -> &ProviderRegistry {
        &self.engine.providers
    }

    pub fn context_engine(&self) -> &ContextEngine {
        &self.engine.context
    }

    /// What startup reconciliation changed.
    pub fn reconciled(&self) -> &Reconciled {
        &self.engine.reconciled
    }

    /// This process's identity as the owner of the runs it executes.
    pub fn owner(&self) -> &OwnerId {
        self.engine.owner()
    }

    pub fn data_dir(&self) -> &Path {
        self.engine.data_dir()
    }

    pub(crate) fn checker(&self) -> &SourceChecker {
        &self.checker
    }

    /// This process's orchestrator, started on first use.
    fn live(&self) -> Result<&Live, AppError> {
        if let Some(live) = self.live.get() {
            return Ok(live);
        }
        let mut slot = self
            .orchestrator
            .lock()
            .map_err(|_| AppError::OrchestratorStopped("its lock was poisoned".into()))?;
        if let Some(live) = self.live.get() {
            return Ok(live);
        }
        let orchestrator = self
            .engine
            .start()
            .map_err(|e| AppError::OrchestratorStopped(format!("cannot start its runtime: {e}")))?;
        let runtime = orchestrator
            .handle()
            .ok_or_else(|| AppError::OrchestratorStopped("its runtime is gone".into()))?;
        let live = Live {
            commands: orchestrator.commands(),
            events: orchestrator.event_sender(),
            runtime,
        };
        *slot = Some(orchestrator);
        Ok(self.live.get_or_init(|| live))
    }

    /// Every event this process's orchestrator publishes from now on (subscribe before sending a command
    /// whose events you follow).
    pub fn subscribe(&self) -> Result<broadcast::Receiver<Event>, AppError> {
        Ok(self.live()?.events.subscribe())
    }

    /// The orchestrator's runtime, for clients that wait on it (the CLI following a run).
    pub fn runtime(&self) -> Result<tokio::runtime::Handle, AppError> {
        Ok(self.live()?.runtime.clone())
    }

    /// Hands a command to the orchestrator without waiting (a full queue is an error, never a block).
    pub(crate) fn send(&self, command: Command) -> Result<(), AppError> {
        match self.live()?.commands.try_send(command) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Full(_)) => Err(AppError::OrchestratorBusy),
            Err(mpsc::error::TrySendError::Closed(_)) => Err(AppError::OrchestratorStopped(
                "it no longer accepts commands".into(),
            )),
        }
    }

    /// Stops the orchestrator: live runs become interrupted (resumable). Also done when the App is dropped.
    pub fn shutdown(&self) {
        let taken = self.orchestrator.lock().ok().and_then(|mut o| o.take());
        if let Some(mut orchestrator) = taken {
            orchestrator.shutdown();
        }
    }

    /// A component's saved state (the window's layout, ...); unreadable state reads as none.
    pub fn load_state<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, AppError> {
        Ok(self.store().read(|rx| rx.app_state(name))?)
    }

    /// Saves a component's state.
    pub fn save_state<T: Serialize>(&self, name: &str, value: &T) -> Result<(), AppError> {
        Ok(self.store().write(|tx| tx.put_app_state(name, value))?)
    }
}

impl Drop for App {
    fn drop(&mut self) {
        self.shutdown();
    }
}
