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
}
