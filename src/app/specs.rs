//! The session spec: reading it and its revisions, applying a run's draft, saving hand edits, toggling one
//! task line, comparing revisions. One implementation for every client, so all keep the same revision rules.

use super::{App, AppError};
use crate::model::spec_task::{TaskMark, marks, merge_marks, spec_tasks, with_task_ids};
use crate::model::{RunId, SessionId, SpecRecord, TaskRecord, Timestamp};
use crate::orchestrator::spec_ticks::{draft_with_marks, write_mark};
use crate::store::{Store, StoreError, Tx};

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
            tick: None,
            edited_at: None,
        }))
    }

    /// One revision of a session's spec.
    pub fn show_spec_revision(&self, session: &str, revision: u64) -> Result<SpecRecord, AppError> {
        let found = self.session(session)?;
        let revisions = self.store().read(|rx| rx.spec_revisions(&found.id))?;
        let latest = revisions.last().map_or(0, |s| s.revision);
        revisions
            .into_iter()
            .find(|s| s.revision == revision)
            .ok_or(AppError::UnknownSpecRevision {
                session: found.id.to_string(),
                revision,
                latest,
            })
    }

    /// Every revision of a session's spec, oldest first.
    pub fn spec_history(&self, session: &str) -> Result<Vec<SpecRecord>, AppError> {
        let found = self.session(session)?;
        Ok(self.store().read(|rx| rx.spec_revisions(&found.id))?)
    }

    /// A unified diff of revision `from` to revision `to` (revision 0 is the empty spec).
    pub fn spec_diff(&self, session: &str, from: u64, to: u64) -> Result<String, AppError> {
        let text = |revision: u64| -> Result<String, AppError> {
            if revision == 0 {
                return Ok(String::new());
            }
            Ok(self.show_spec_revision(session, revision)?.content)
        };
        let (old, new) = (text(from)?, text(to)?);
        let diff = similar::TextDiff::from_lines(&old, &new);
        Ok(diff
            .unified_diff()
            .context_radius(3)
            .header(&format!("revision {from}"), &format!("revision {to}"))
            .to_string())
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

    /// Saves a hand edit of the session spec as a new revision, as if made from the current revision.
    pub fn save_spec(&self, session: &SessionId, content: String) -> Result<SpecRecord, AppError> {
        self.save_spec_edit(session, content, None)
    }

    /// Saves a hand edit made from revision `base` (`None`: the current one). Marks that runs ticked since
    /// `base` are merged into the edit line by line (see `model::spec_task::merge_marks`), so neither is
    /// lost; task lines without an id get one. Saving the current content again writes nothing.
    pub fn save_spec_edit(
        &self,
        session: &SessionId,
        content: String,
        base: Option<u64>,
    ) -> Result<SpecRecord, AppError> {
        let now = self.now();
        // Revisions never change once written, so the base can be read before the write.
        let was = match base {
            Some(base) => self
                .store()
                .read(|rx| rx.spec_revisions(session))?
                .into_iter()
                .find(|s| s.revision == base),
            None => None,
        };
        Ok(self.store().write(|tx| {
            let current = tx.spec(session)?;
            let mut content = content;
            if let (Some(was), Some(current)) = (was.as_ref(), current.as_ref())
                && was.revision < current.revision
            {
                content = merge_marks(&was.content, &current.content, &content);
            }
            let reserved = current
                .as_ref()
                .map(|s| s.content.clone())
                .unwrap_or_default();
            let content = with_task_ids(&content, ids_in(&reserved).iter().map(String::as_str));
            if let Some(current) = current.as_ref().filter(|s| s.content == content) {
                return Ok(current.clone());
            }
            let spec = SpecRecord {
                session_id: session.clone(),
                content,
                revision: current.map_or(0, |s| s.revision) + 1,
                applied_from_run: None,
                updated_at: now,
                tick: None,
                edited_at: Some(now),
            };
            tx.put_spec(&spec)?;
            Ok(spec)
        })?)
    }

    /// Sets one task line's mark (`None`: toggles done/open) as a new revision; nothing else changes.
    pub fn toggle_spec_task(
        &self,
        session: &str,
        task: &str,
        mark: Option<TaskMark>,
    ) -> Result<SpecRecord, AppError> {
        let found = self.session(session)?;
        let now = self.now();
        let unknown = || AppError::UnknownSpecTask {
            session: found.id.to_string(),
            task: task.to_owned(),
        };
        self.store().write(|tx| {
            let Some(current) = tx.spec(&found.id)? else {
                return Ok(Err(unknown()));
            };
            let Some(line) = spec_tasks(&current.content)
                .into_iter()
                .find(|t| t.id.as_deref() == Some(task))
            else {
                return Ok(Err(unknown()));
            };
            let mark = mark.unwrap_or(line.mark.toggled());
            Ok(Ok(
                write_mark(tx, &found.id, task, mark, None, now)?.unwrap_or(current)
            ))
        })?
    }
}

/// The ids of a markdown's task lines.
fn ids_in(markdown: &str) -> Vec<String> {
    marks(markdown).into_keys().collect()
}

/// The draft's content as it becomes the spec: ids on every task line (numbered after the spec's), and the
/// marks the run's tasks have earned so far.
fn draft_as_spec(draft: &str, current: Option<&SpecRecord>, tasks: &[TaskRecord]) -> String {
    let reserved = current.map(|s| ids_in(&s.content)).unwrap_or_default();
    draft_with_marks(draft, &reserved, tasks)
}

/// Makes run `id`'s draft the session spec (a new revision) and marks the draft applied, in one durable
/// transaction. Applying the draft that already is the spec changes nothing (no new revision).
fn apply_draft(store: &Store, id: &RunId, now: Timestamp) -> Result<SpecRecord, StoreError> {
    store.write(|tx| apply_in(tx, id, now))
}

fn apply_in(tx: &mut Tx, id: &RunId, now: Timestamp) -> Result<SpecRecord, StoreError> {
    let mut run = tx.existing_run(id)?;
    let tasks = tx.tasks(id)?;
    let current = tx.spec(&run.session_id)?;
    let Some(draft) = run.draft.as_mut() else {
        return Err(StoreError::NotFound {
            kind: "draft",
            id: id.to_string(),
        });
    };
    let content = draft_as_spec(&draft.content, current.as_ref(), &tasks);
    if let Some(spec) = current
        .as_ref()
        .filter(|s| s.applied_from_run.as_ref() == Some(id) && s.content == content)
    {
        return Ok(spec.clone());
    }
    draft.applied_at = Some(now);
    draft.apply_error = None;
    let spec = SpecRecord {
        session_id: run.session_id.clone(),
        content,
        revision: current.map_or(0, |s| s.revision) + 1,
        applied_from_run: Some(id.clone()),
        updated_at: now,
        tick: None,
        edited_at: Some(now),
    };
    tx.put_spec(&spec)?;
    tx.put_run(&run)?;
    Ok(spec)
}
