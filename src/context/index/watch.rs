//! Directory watches that let a long-lived process skip walks while nothing changed.

use std::path::{Path, PathBuf};

/// Directory watches (inotify and the like, through `notify`) on every directory the walk visits: while
/// none of them reported a change, a refresh does not need to walk. Any event, error or dropped event
/// marks the tree changed; so does a new directory (its parent reports it). The watch is an optimisation
/// only: results are still re-read and hash-checked, and without a watch every refresh walks.
pub(super) struct TreeWatch {
    watcher: notify::RecommendedWatcher,
    changed: std::sync::Arc<std::sync::atomic::AtomicBool>,
    pub(super) dirs: std::collections::HashSet<PathBuf>,
}

impl TreeWatch {
    pub(super) fn start() -> Option<Self> {
        use notify::event::{AccessKind, AccessMode, EventKind, ModifyKind};
        use std::sync::atomic::{AtomicBool, Ordering};
        let changed = std::sync::Arc::new(AtomicBool::new(true));
        let flag = changed.clone();
        let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            let relevant = match event {
                // Our own reads open files and, on first read after a write, bump the access time
                // (an attribute event): neither changes content. Only a finished write among access
                // events, and every create, delete, rename and data modification, matter.
                Ok(e) => match e.kind {
                    EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
                    EventKind::Access(_) | EventKind::Modify(ModifyKind::Metadata(_)) => false,
                    _ => true,
                },
                Err(_) => true,
            };
            if relevant {
                flag.store(true, Ordering::SeqCst);
            }
        })
        .map_err(|e| tracing::debug!(error = %e, "no file watching; every query walks the tree"))
        .ok()?;
        Some(Self {
            watcher,
            changed,
            dirs: Default::default(),
        })
    }

    /// Takes the changed flag (clearing it).
    pub(super) fn take_changed(&self) -> bool {
        self.changed
            .swap(false, std::sync::atomic::Ordering::SeqCst)
    }

    pub(super) fn add(&mut self, dir: &Path) {
        use notify::Watcher;
        if self.dirs.contains(dir) {
            return;
        }
        match self.watcher.watch(dir, notify::RecursiveMode::NonRecursive) {
            Ok(()) => {
                self.dirs.insert(dir.to_path_buf());
            }
            // Unwatched, a change there could go unseen: keep walking every time instead.
            Err(_) => self
                .changed
                .store(true, std::sync::atomic::Ordering::SeqCst),
        }
    }
}
