//! Opaque, time-sortable identifiers.
//!
//! An id is a short prefix naming the record kind, then 10 Crockford base32 characters of millisecond time and
//! 6 of randomness (`r01kmz3v0c4x7q2ab`). Sorting ids sorts records by creation time, which the store uses to
//! list history newest first without a separate index. Callers must still treat ids as opaque strings.

use std::fmt;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::time::Timestamp;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            /// Wraps an id read from user input or storage; no validation beyond being non-empty.
            pub fn new(raw: impl Into<String>) -> Self {
                Self(raw.into())
            }

            pub fn generate(ids: &IdGenerator, at: Timestamp) -> Self {
                Self(ids.next($prefix, at))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The last characters of the id: enough to tell runs apart on screen.
            pub fn short(&self) -> &str {
                let start = self.0.len().saturating_sub(6);
                self.0.get(start..).unwrap_or(&self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

id_type!(
    /// A linked repository or directory.
    SpaceId,
    "sp"
);
id_type!(
    /// A conversation inside a space; owns the spec and (later) a worktree.
    SessionId,
    "se"
);
id_type!(
    /// One coordinator run from prompt to terminal state.
    RunId,
    "r"
);
id_type!(
    /// A retrieved context snapshot: a run's provenance.
    SnapshotId,
    "cx"
);
id_type!(
    /// A live engine instance (one per process); owns the runs it executes.
    OwnerId,
    "ow"
);

/// Delegated task ids are scoped to their run (`t1`, `t2`, ...), so two runs with the same inputs produce the
/// same task list.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TaskId(String);

impl TaskId {
    pub fn numbered(n: usize) -> Self {
        Self(format!("t{n}"))
    }

    pub fn new(raw: impl Into<String>) -> Self {
        Self(raw.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

const CROCKFORD: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// Generates ids that sort by time and never repeat within a process (monotonic within one millisecond).
#[derive(Debug, Default)]
pub struct IdGenerator {
    last: Mutex<(i64, u32)>,
}

impl IdGenerator {
    pub fn new() -> Self {
        Self::default()
    }

    fn next(&self, prefix: &str, at: Timestamp) -> String {
        let ms = at.unix_millis().max(0);
        let random = {
            let mut last = match self.last.lock() {
                Ok(guard) => guard,
                Err(poisoned) => poisoned.into_inner(),
            };
            let value = if last.0 == ms {
                last.1.wrapping_add(1) & 0x3fff_ffff
            } else {
                rand::random::<u32>() & 0x1fff_ffff
            };
            *last = (ms, value);
            value
        };
        let mut out = String::with_capacity(prefix.len() + 16);
        out.push_str(prefix);
        // 50 bits of time: good until the year 37648.
        for shift in (0..10).rev() {
            let idx = ((ms as u64) >> (shift * 5)) & 31;
            out.push(char::from(CROCKFORD[idx as usize]));
        }
        for shift in (0..6).rev() {
            let idx = (random >> (shift * 5)) & 31;
            out.push(char::from(CROCKFORD[idx as usize]));
        }
        out
    }
}

/// What kind of record `id` names when it has the shape of an id this program generates ("a space", "a
/// session", "a run", "a context snapshot"), so an id used in the wrong place gets a precise hint.
pub fn kind_of(id: &str) -> Option<&'static str> {
    [
        (SpaceId::PREFIX, "a space"),
        (SessionId::PREFIX, "a session"),
        (SnapshotId::PREFIX, "a context snapshot"),
        (RunId::PREFIX, "a run"),
    ]
    .into_iter()
    .find(|(prefix, _)| {
        id.strip_prefix(prefix)
            .is_some_and(|rest| rest.len() == 16 && rest.bytes().all(|b| CROCKFORD.contains(&b)))
    })
    .map(|(_, kind)| kind)
}

/// " (that is a session id)" when `id` is a well-formed id of another kind than `expected`, else "".
pub fn wrong_kind_hint(id: &str, expected: &str) -> String {
    match kind_of(id) {
        Some(kind) if kind != expected => format!(" (that is {kind} id)"),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_by_time_and_are_unique() {
        let ids = IdGenerator::new();
        let t = Timestamp::from_unix_millis(1_795_000_000_000);
        let a = RunId::generate(&ids, t);
        let b = RunId::generate(&ids, t);
        let c = RunId::generate(&ids, Timestamp::from_unix_millis(1_795_000_000_001));
        assert!(a < b, "{a} < {b}");
        assert!(b < c, "{b} < {c}");
        assert!(a.as_str().starts_with('r'));
        assert_eq!(a.as_str().len(), 17);
        assert_eq!(a.short().len(), 6);
    }

    #[test]
    fn task_ids_are_numbered() {
        assert_eq!(TaskId::numbered(3).as_str(), "t3");
    }

    #[test]
    fn ids_of_the_wrong_kind_are_named() {
        let ids = IdGenerator::new();
        let at = Timestamp::from_unix_millis(1_764_000_000_000);
        let space = SpaceId::generate(&ids, at);
        let session = SessionId::generate(&ids, at);
        let run = RunId::generate(&ids, at);
        assert_eq!(kind_of(space.as_str()), Some("a space"));
        assert_eq!(kind_of(session.as_str()), Some("a session"));
        assert_eq!(kind_of(run.as_str()), Some("a run"));
        assert_eq!(kind_of("nope"), None);
        assert_eq!(kind_of("r-v1-bad"), None);
        assert_eq!(
            wrong_kind_hint(space.as_str(), "a run"),
            " (that is a space id)"
        );
        assert_eq!(wrong_kind_hint(run.as_str(), "a run"), "");
        assert_eq!(wrong_kind_hint("nope", "a run"), "");
    }
}
