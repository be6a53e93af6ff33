//! The session spec: reading it, applying a run's draft, saving hand edits, its revisions. One
//! implementation for every client, so all keep the same revision rules.

use super::{App, AppError};
use crate::model::{RunId, SessionId, SpecRecord};
use crate::store::{Store, StoreError};

impl App {
    /// A session's current spec (revision 0 and empty when nothing was applied or written yet).
    pub fn show_spec(&self, session: &str) -> Result<SpecRecord, AppError> {
        let found = self.session(session)?;
        let spec = self.store().read(|rx| rx.spec(&found.id))?;
        Ok(spec.unwrap_or(SpecRecord {
            session_id: found.id,
            content: String::new(),
            revision: 0,
            applied_from_run: None,
            updated_at: found.created_at,
        }))
    }

    /// Every revision of a session's spec, oldest first.
    pub fn spec_history(&self, session: &str) -> Result<Vec<SpecRecord>, AppError> {
        let found = self.session(session)?;
        Ok(self.store().read(|rx| rx.spec_revisions(&found.id))?)
    }

    /// Makes run `id`'s draft the session spec. A stale draft (its sources changed, the spec was edited
    /// since, a newer draft exists) is applied only when `force` is set: the client asked the user.
    pub fn apply_draft(&self, id: &RunId, force: bool) -> Result<SpecRecord, AppError> {
        let view = self.show_run(id)?;
        if view.run.draft.is_none() {
            return Err(AppError::NoDraft {
                run: id.to_string(),
                status: view.run.status,
            });
        }
        if view.stale.is_stale && !force {
            return Err(AppError::StaleDraft {
                run: id.to_string(),
                short: id.short().to_owned(),
                reasons: view.stale.reasons,
            });
        }
        apply_draft(self.store(), id, self.now()).map_err(|e| match e {
            StoreError::NotFound { .. } => AppError::UnknownRun(id.to_string()),
            other => AppError::Store(other),
        })
    }

    /// Saves a hand edit of the session spec as a new revision.
    pub fn save_spec(&self, session: &SessionId, content: String) -> Result<SpecRecord, AppError> {
        let now = self.now();
        Ok(self.store().write(|tx| {
            let revision = tx.spec(session)?.map_or(0, |s| s.revision) + 1;
            let spec = SpecRecord {
                session_id: session.clone(),
                content,
                revision,
                applied_from_run: None,
                updated_at: now,
            };
            tx.put_spec(&spec)?;
            Ok(spec)
        })?)
    }
}

/// Makes run `id`'s draft the session spec (a new revision) and marks the draft applied, in one durable
/// transaction. Applying the draft that already is the spec changes nothing (no new revision).
fn apply_draft(
    store: &Store,
    id: &RunId,
    now: crate::model::Timestamp,
) -> Result<SpecRecord, StoreError> {
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
