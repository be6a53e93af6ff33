//! Staleness: derived from the world as it is now, never stored as a flag (docs/DESIGN.md, Provenance and
//! staleness).

use serde::{Deserialize, Serialize};

use super::ids::RunId;

/// Why an artifact no longer reflects the current state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StaleKind {
    /// A source file changed since retrieval; detail names the path.
    SourceChanged,
    /// A source file is gone; detail names the path.
    SourceMissing,
    /// The session spec was edited after this draft was generated.
    SpecEdited,
    /// A newer run in the same session produced a draft; detail names that run.
    Superseded,
}

impl StaleKind {
    /// The contract's name of this kind (`stale.reasons[].kind`).
    pub const fn as_str(self) -> &'static str {
        match self {
            StaleKind::SourceChanged => "source_changed",
            StaleKind::SourceMissing => "source_missing",
            StaleKind::SpecEdited => "spec_edited",
            StaleKind::Superseded => "superseded",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaleReason {
    pub kind: StaleKind,
    pub detail: String,
}

/// Whether a run's artifacts still hold, and if not, why.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Staleness {
    pub is_stale: bool,
    pub reasons: Vec<StaleReason>,
}

/// How a source file compares with the hash recorded at retrieval.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceState {
    Unchanged,
    Changed,
    Missing,
}

/// Everything staleness is derived from, gathered by the caller (who does the I/O).
#[derive(Clone, Debug, Default)]
pub struct StalenessInputs<'a> {
    /// Each source of the run's snapshot with its current state, in path order.
    pub sources: Vec<(&'a str, SourceState)>,
    pub spec_edited_after_draft: bool,
    pub superseded_by: Option<&'a RunId>,
}

impl Staleness {
    pub fn derive(inputs: &StalenessInputs<'_>) -> Self {
        let mut reasons = Vec::new();
        for (path, state) in &inputs.sources {
            let kind = match state {
                SourceState::Unchanged => continue,
                SourceState::Changed => StaleKind::SourceChanged,
                SourceState::Missing => StaleKind::SourceMissing,
            };
            reasons.push(StaleReason {
                kind,
                detail: (*path).to_owned(),
            });
        }
        if inputs.spec_edited_after_draft {
            reasons.push(StaleReason {
                kind: StaleKind::SpecEdited,
                detail: "the session spec was edited after this draft was generated".to_owned(),
            });
        }
        if let Some(newer) = inputs.superseded_by {
            reasons.push(StaleReason {
                kind: StaleKind::Superseded,
                detail: newer.to_string(),
            });
        }
        Staleness {
            is_stale: !reasons.is_empty(),
            reasons,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_when_nothing_changed() {
        let s = Staleness::derive(&StalenessInputs {
            sources: vec![("a.rs", SourceState::Unchanged)],
            ..Default::default()
        });
        assert_eq!(s, Staleness::default());
    }

    #[test]
    fn every_reason_is_listed_in_order() {
        let newer = RunId::new("r2");
        let s = Staleness::derive(&StalenessInputs {
            sources: vec![
                ("a.rs", SourceState::Changed),
                ("b.rs", SourceState::Unchanged),
                ("c.rs", SourceState::Missing),
            ],
            spec_edited_after_draft: true,
            superseded_by: Some(&newer),
        });
        let kinds: Vec<_> = s
            .reasons
            .iter()
            .map(|r| (r.kind, r.detail.as_str()))
            .collect();
        assert!(s.is_stale);
        assert_eq!(kinds[0], (StaleKind::SourceChanged, "a.rs"));
        assert_eq!(kinds[1], (StaleKind::SourceMissing, "c.rs"));
        assert_eq!(kinds[2].0, StaleKind::SpecEdited);
        assert_eq!(kinds[3], (StaleKind::Superseded, "r2"));
        assert_eq!(
            serde_json::to_value(&s.reasons[0]).unwrap()["kind"],
            "source_changed"
        );
    }
}
