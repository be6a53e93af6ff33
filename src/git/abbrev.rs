//! Abbreviated object ids as `git diff` prints them on its `index` lines: git's automatic length (from the
//! number of packed objects, at least 7) or `core.abbrev`, extended until no other object shares the prefix.

use git2::{Oid, Repository};

/// Abbreviates object ids for one diff.
pub(crate) struct Abbreviator<'r> {
    odb: Option<git2::Odb<'r>>,
    length: usize,
}

impl<'r> Abbreviator<'r> {
    pub(crate) fn new(repo: &'r Repository, configured: Option<usize>) -> Abbreviator<'r> {
        let length = configured.unwrap_or_else(|| automatic_length(repo));
        Abbreviator {
            odb: repo.odb().ok(),
            length,
        }
    }

    /// The shortest prefix of at least the base length that no other object in the repository shares.
    pub(crate) fn abbreviate(&self, oid: Oid) -> String {
        let hex = oid.to_string();
        if oid.is_zero() {
            return "0".repeat(self.length);
        }
        let Some(odb) = &self.odb else {
            return hex.get(..self.length).unwrap_or(&hex).to_owned();
        };
        let mut len = self.length;
        while len < hex.len() {
            let prefix = hex.get(..len).unwrap_or(&hex);
            let unique = match Oid::from_str(prefix) {
                Ok(short) => match odb.exists_prefix(short, len) {
                    Ok(found) => found == oid,
                    Err(e) => e.code() == git2::ErrorCode::NotFound,
                },
                Err(_) => true,
            };
            if unique {
                return prefix.to_owned();
            }
            len += 1;
        }
        hex
    }
}

/// git's automatic abbreviation: enough hex digits for the approximate object count (packed objects only),
/// never fewer than 7.
fn automatic_length(repo: &Repository) -> usize {
    length_for_count(packed_object_count(
        &repo.commondir().join("objects").join("pack"),
    ))
}

/// Half the bits needed to count `count` objects, in hex digits (a collision is expected around the square
/// root of the object count), at least 7.
fn length_for_count(count: u64) -> usize {
    let bits = if count == 0 {
        1
    } else {
        64 - count.leading_zeros() as usize
    };
    bits.div_ceil(2).max(7)
}

/// The number of objects in the pack indexes under `pack_dir` (each `.idx` stores it in its fan-out table).
fn packed_object_count(pack_dir: &std::path::Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(pack_dir) else {
        return 0;
    };
    entries
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "idx"))
        .filter_map(|e| idx_object_count(&e.path()))
        .sum()
}

fn idx_object_count(path: &std::path::Path) -> Option<u64> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::fs::File::open(path).ok()?;
    let mut head = [0u8; 4];
    file.read_exact(&mut head).ok()?;
    // Version 2+ indexes start with "\377tOc" and a version word; version 1 starts with the fan-out table.
    let fanout_start = if head == [0xff, b't', b'O', b'c'] {
        8
    } else {
        0
    };
    file.seek(SeekFrom::Start(fanout_start + 255 * 4)).ok()?;
    let mut last = [0u8; 4];
    file.read_exact(&mut last).ok()?;
    Some(u64::from(u32::from_be_bytes(last)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn automatic_length_follows_the_object_count() {
        let length = length_for_count;
        assert_eq!(length(0), 7);
        assert_eq!(length(16_383), 7);
        assert_eq!(length(16_384), 8);
        assert_eq!(length(20_000), 8);
        assert_eq!(length(70_000), 9);
    }
}
