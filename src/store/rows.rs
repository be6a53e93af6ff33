//! Decoding rows, shared by read and write transactions. A value that fails to decode is reported as a
//! [`BadRow`] (for quarantine) and skipped, never returned as an error that stops a listing.

use std::cell::RefCell;

use redb::ReadableTable;
use serde::de::DeserializeOwned;

use super::StoreError;
use super::codec::decode;
use super::quarantine::{BadKey, BadRow};

pub fn decode_or_report<T: DeserializeOwned>(
    table: &'static str,
    key: BadKey,
    raw: &[u8],
    bad: &RefCell<Vec<BadRow>>,
) -> Option<T> {
    match decode::<T>(raw) {
        Ok(v) => Some(v),
        Err(reason) => {
            bad.borrow_mut().push(BadRow {
                table,
                key,
                reason,
                raw: raw.to_vec(),
            });
            None
        }
    }
}

/// One record by string key. A damaged record is reported and returned as [`StoreError::Damaged`].
pub fn get<T: DeserializeOwned>(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    name: &'static str,
    key: &str,
    bad: &RefCell<Vec<BadRow>>,
) -> Result<Option<T>, StoreError> {
    let Some(raw) = table.get(key)? else {
        return Ok(None);
    };
    let raw = raw.value();
    match decode_or_report(name, BadKey::Str(key.to_owned()), raw, bad) {
        Some(v) => Ok(Some(v)),
        None => Err(StoreError::Damaged {
            table: name,
            key: key.to_owned(),
        }),
    }
}

/// Every decodable record of a string-keyed table, in key order (reversed when `newest_first`).
pub fn all<T: DeserializeOwned>(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    name: &'static str,
    newest_first: bool,
    bad: &RefCell<Vec<BadRow>>,
) -> Result<Vec<T>, StoreError> {
    let mut out = Vec::new();
    let mut push = |entry: Result<
        (
            redb::AccessGuard<'_, &'static str>,
            redb::AccessGuard<'_, &'static [u8]>,
        ),
        redb::StorageError,
    >|
     -> Result<(), StoreError> {
        let (k, v) = entry?;
        if let Some(rec) = decode_or_report(name, BadKey::Str(k.value().to_owned()), v.value(), bad)
        {
            out.push(rec);
        }
        Ok(())
    };
    if newest_first {
        for entry in table.iter()?.rev() {
            push(entry)?;
        }
    } else {
        for entry in table.iter()? {
            push(entry)?;
        }
    }
    Ok(out)
}

/// Every decodable record whose (first, second) key starts with `first`, in key order.
pub fn all_with_prefix<T: DeserializeOwned>(
    table: &impl ReadableTable<(&'static str, &'static str), &'static [u8]>,
    name: &'static str,
    first: &str,
    bad: &RefCell<Vec<BadRow>>,
) -> Result<Vec<T>, StoreError> {
    let mut out = Vec::new();
    for entry in table.range((first, "")..)? {
        let (k, v) = entry?;
        let (a, b) = k.value();
        if a != first {
            break;
        }
        if let Some(rec) = decode_or_report(
            name,
            BadKey::Pair(a.to_owned(), b.to_owned()),
            v.value(),
            bad,
        ) {
            out.push(rec);
        }
    }
    Ok(out)
}

/// Every decodable record keyed (first, n), in `n` order.
pub fn all_in_sequence<T: DeserializeOwned>(
    table: &impl ReadableTable<(&'static str, u64), &'static [u8]>,
    name: &'static str,
    first: &str,
    bad: &RefCell<Vec<BadRow>>,
) -> Result<Vec<T>, StoreError> {
    let mut out = Vec::new();
    for entry in table.range((first, 0)..=(first, u64::MAX))? {
        let (k, v) = entry?;
        let (a, n) = k.value();
        if let Some(rec) = decode_or_report(name, BadKey::Seq(a.to_owned(), n), v.value(), bad) {
            out.push(rec);
        }
    }
    Ok(out)
}

/// The highest `n` stored under `first`, if any.
pub fn last_in_sequence(
    table: &impl ReadableTable<(&'static str, u64), &'static [u8]>,
    first: &str,
) -> Result<Option<u64>, StoreError> {
    let last = table.range((first, 0)..=(first, u64::MAX))?.next_back();
    match last {
        Some(entry) => Ok(Some(entry?.0.value().1)),
        None => Ok(None),
    }
}
