//! Which engine instance owns a live run, and whether that instance is still alive.
//!
//! Several processes may have the store open at once (the window and a CLI command, say). Each engine holds
//! an exclusive lock on its own lease file `owners/<owner id>.lock` for as long as it lives; the operating
//! system drops the lock when the process dies, however it dies (`kill -9` included). Startup
//! reconciliation interrupts only runs whose owner's lock can be taken: their engine is gone.

use std::fs::{File, OpenOptions, TryLockError};
use std::io;
use std::path::{Path, PathBuf};

use crate::model::{IdGenerator, OwnerId, Timestamp};

const OWNERS_DIR: &str = "owners";

fn lease_path(data_dir: &Path, owner: &OwnerId) -> PathBuf {
    data_dir.join(OWNERS_DIR).join(format!("{owner}.lock"))
}

/// This engine's claim on the runs it executes. Dropping it releases the claim.
#[derive(Debug)]
pub struct OwnerLease {
    id: OwnerId,
    path: PathBuf,
    file: File,
}

impl OwnerLease {
    pub fn acquire(data_dir: &Path, ids: &IdGenerator, now: Timestamp) -> io::Result<Self> {
        std::fs::create_dir_all(data_dir.join(OWNERS_DIR))?;
        sweep_dead_leases(data_dir);
        let id = OwnerId::generate(ids, now);
        let path = lease_path(data_dir, &id);
        let file = OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .open(&path)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(io::Error::new(
                    io::ErrorKind::WouldBlock,
                    format!("lease file {} is locked by another process", path.display()),
                ));
            }
            Err(TryLockError::Error(e)) => return Err(e),
        }
        use std::io::Write as _;
        let mut f = &file;
        let _ = writeln!(f, "pid {}", std::process::id());
        Ok(Self { id, path, file })
    }

    pub fn id(&self) -> &OwnerId {
        &self.id
    }
}

impl Drop for OwnerLease {
    fn drop(&mut self) {
        let _ = self.file.unlock();
        let _ = std::fs::remove_file(&self.path);
    }
}

/// A lease file younger than this is never swept: its process may be between creating and locking it.
const SWEEP_MIN_AGE: std::time::Duration = std::time::Duration::from_secs(60);

/// Removes the lease files of processes that died (nobody holds their lock), so they do not pile up after
/// crashes. Runs they owned are found by reconciliation either way: a missing lease means a dead owner.
pub fn sweep_dead_leases(data_dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(data_dir.join(OWNERS_DIR)) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("lock") {
            continue;
        }
        let old_enough = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age >= SWEEP_MIN_AGE);
        if !old_enough {
            continue;
        }
        let Ok(file) = OpenOptions::new().write(true).open(&path) else {
            continue;
        };
        if file.try_lock().is_ok() {
            let _ = std::fs::remove_file(&path);
            let _ = file.unlock();
            removed += 1;
        }
    }
    removed
}

/// Whether the engine `owner` still holds its lease. A missing lease file means it is gone.
pub fn owner_alive(data_dir: &Path, owner: &OwnerId) -> bool {
    if owner.as_str().is_empty() || owner.as_str().contains(['/', '\\']) {
        return false;
    }
    let path = lease_path(data_dir, owner);
    let Ok(file) = OpenOptions::new().write(true).open(&path) else {
        return false;
    };
    match file.try_lock() {
        Ok(()) => {
            // Nobody holds it: the owner died. Clean the lease up.
            let _ = file.unlock();
            let _ = std::fs::remove_file(&path);
            false
        }
        Err(TryLockError::WouldBlock) => true,
        Err(TryLockError::Error(_)) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_is_alive_until_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let ids = IdGenerator::new();
        let lease = OwnerLease::acquire(dir.path(), &ids, Timestamp::from_unix_millis(1)).unwrap();
        let id = lease.id().clone();
        assert!(owner_alive(dir.path(), &id));
        drop(lease);
        assert!(!owner_alive(dir.path(), &id));
        assert!(!owner_alive(dir.path(), &OwnerId::new("ow-never-existed")));
        assert!(!owner_alive(dir.path(), &OwnerId::new("../escape")));
    }

    #[test]
    fn leases_of_dead_processes_are_swept_but_not_live_or_young_ones() {
        let dir = tempfile::tempdir().unwrap();
        let ids = IdGenerator::new();
        let live = OwnerLease::acquire(dir.path(), &ids, Timestamp::from_unix_millis(1)).unwrap();
        let owners = dir.path().join(OWNERS_DIR);
        let dead = owners.join("ow-dead.lock");
        let young = owners.join("ow-young.lock");
        std::fs::write(&dead, "pid 1").unwrap();
        std::fs::write(&young, "pid 2").unwrap();
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        for path in [&dead, &live.path] {
            File::options()
                .write(true)
                .open(path)
                .unwrap()
                .set_modified(old)
                .unwrap();
        }
        assert_eq!(sweep_dead_leases(dir.path()), 1);
        assert!(!dead.exists());
        assert!(young.exists(), "too young to be judged");
        assert!(live.path.exists(), "its process holds the lock");
        assert!(owner_alive(dir.path(), live.id()));
    }
}
