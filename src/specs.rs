//! The session spec: applying a run's draft and saving hand edits. One implementation for the window and the
//! CLI, so both keep the same revision rules. Whether a stale draft may be applied is the caller's question
//! (it asks the user); these functions only write.

use crate::model::{RunId, SessionId, SpecRecord, Timestamp};
use crate::store::{Store, StoreError};

/// Makes run `id`'s draft the session spec (a new revision) and marks the draft applied, in one durable
/// transaction. Applying the draft that already is the spec changes nothing (no new revision).
pub fn apply_draft(store: &Store, id: &RunId, now: Timestamp) -> Result<SpecRecord, StoreError> {
    store.write(|tx| {
        let mut run = tx.existing_run(id)?;
        let Some(draft) = run.draft.as_mut() else {
            return Err(StoreError::NotFound {
                kind: "draft",
                id: id.to_string(),
            });
        };
        let current = tx.spec(&run.session_id)?;
        if let Some(spec) = current
            .as_ref()
            .filter(|s| s.applied_from_run.as_ref() == Some(id) && s.content == draft.content)
        {
            return Ok(spec.clone());
        }
        draft.applied_at = Some(now);
        draft.apply_error = None;
        let spec = SpecRecord {
            session_id: run.session_id.clone(),
            content: draft.content.clone(),
            revision: current.map_or(0, |s| s.revision) + 1,
            applied_from_run: Some(id.clone()),
            updated_at: now,
        };
        tx.put_spec(&spec)?;
        tx.put_run(&run)?;
        Ok(spec)
    })
}

/// Saves a hand edit of the session spec as a new revision; it is no longer the draft of any run.
pub fn save_edit(
    store: &Store,
    session: SessionId,
    content: String,
    now: Timestamp,
) -> Result<SpecRecord, StoreError> {
    store.write(|tx| {
        let revision = tx.spec(&session)?.map_or(0, |s| s.revision) + 1;
        let spec = SpecRecord {
            session_id: session,
            content,
            revision,
            applied_from_run: None,
            updated_at: now,
        };
        tx.put_spec(&spec)?;
        Ok(spec)
    })
}
