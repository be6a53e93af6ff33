//! Sessions: the conversations of a space. Each owns its spec and its runs.

use serde::Serialize;

use super::{App, AppError};
use crate::model::{Session, SessionId, Space, SpaceId, Timestamp};

/// A session as a switcher lists it: the record, how many runs it holds, when it was last active.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SessionSummary {
    #[serde(flatten)]
    pub session: Session,
    pub runs: usize,
    pub last_activity: Timestamp,
}

/// A new session record for `space`.
fn fresh_session(id: SessionId, space: &Space, label: String, now: Timestamp) -> Session {
    Session {
        id,
        space_id: space.id.clone(),
        label,
        context_provider: None,
        worktree: None,
        created_at: now,
        updated_at: now,
        last_used_at: now,
        archived_at: None,
    }
}

/// The default name of the space's next session: `Session N`, N one more than the sessions it has.
fn next_label(existing: &[Session]) -> String {
    format!("Session {}", existing.len() + 1)
}

impl App {
    /// The sessions of a space, most recently used first; archived ones only when asked for.
    pub fn list_sessions(
        &self,
        space: &SpaceId,
        include_archived: bool,
    ) -> Result<Vec<Session>, AppError> {
        let mut sessions = self.store().read(|rx| rx.sessions(space))?;
        if !include_archived {
            sessions.retain(|s| !s.is_archived());
        }
        Ok(sessions)
    }

    /// The sessions of a space with their run counts, most recently used first; archived ones only when
    /// asked for.
    pub fn session_summaries(
        &self,
        space: &SpaceId,
        include_archived: bool,
    ) -> Result<Vec<SessionSummary>, AppError> {
        Ok(self.store().read(|rx| {
            let mut out = Vec::new();
            for session in rx.sessions(space)? {
                if session.is_archived() && !include_archived {
                    continue;
                }
                let runs = rx.session_run_count(&session.id)?;
                let last_activity = session.last_used_at.max(session.updated_at);
                out.push(SessionSummary {
                    session,
                    runs,
                    last_activity,
                });
            }
            Ok(out)
        })?)
    }

    /// A session by id, or by name within `space`.
    pub fn find_session(
        &self,
        space: &Space,
        id_or_name: &str,
    ) -> Result<Option<Session>, AppError> {
        Ok(self.store().read(|rx| {
            if let Some(session) = rx.session(&SessionId::new(id_or_name))? {
                return Ok(Some(session));
            }
            Ok(rx
                .sessions(&space.id)?
                .into_iter()
                .find(|s| s.label == id_or_name))
        })?)
    }

    /// A session by id (any space), or [`AppError::UnknownSession`].
    pub fn session(&self, id: &str) -> Result<Session, AppError> {
        self.store()
            .read(|rx| rx.session(&SessionId::new(id)))?
            .ok_or_else(|| AppError::UnknownSession(id.to_owned()))
    }

    /// The session a run goes to: the named one (by id or name; it must belong to the space), or the
    /// space's most recently used session that is not archived, created if there is none.
    pub fn session_for(&self, space: &Space, requested: Option<&str>) -> Result<Session, AppError> {
        if let Some(wanted) = requested {
            return match self.find_session(space, wanted)? {
                Some(session) if session.space_id == space.id => Ok(session),
                Some(session) => {
                    let other = self.store().read(|rx| rx.space(&session.space_id))?;
                    match other {
                        Some(other) => Err(AppError::SessionOfOtherSpace {
                            session: wanted.to_owned(),
                            other: other.id.to_string(),
                            other_name: other.name,
                            this: space.name.clone(),
                        }),
                        None => Err(AppError::UnknownSessionInSpace(wanted.to_owned())),
                    }
                }
                None => Err(AppError::UnknownSessionInSpace(wanted.to_owned())),
            };
        }
        let now = self.now();
        let id = SessionId::generate(self.ids(), now);
        Ok(self.store().write(|tx| {
            let sessions = tx.sessions(&space.id)?;
            if let Some(latest) = sessions.iter().find(|s| !s.is_archived()) {
                return Ok(latest.clone());
            }
            let session = fresh_session(id, space, next_label(&sessions), now);
            tx.put_session(&session)?;
            Ok(session)
        })?)
    }

    /// Creates a session in a space (named `Session N` unless a name is given). It becomes the most
    /// recently used one.
    pub fn new_session(&self, space: &Space, name: Option<&str>) -> Result<Session, AppError> {
        let name = match name.map(str::trim) {
            Some("") => return Err(AppError::EmptySessionName),
            other => other.map(str::to_owned),
        };
        let now = self.now();
        let id = SessionId::generate(self.ids(), now);
        Ok(self.store().write(|tx| {
            let existing = tx.sessions(&space.id)?;
            let label = name.unwrap_or_else(|| next_label(&existing));
            let session = fresh_session(id, space, label, now);
            tx.put_session(&session)?;
            Ok(session)
        })?)
    }

    /// Renames a session.
    pub fn rename_session(&self, id: &SessionId, name: &str) -> Result<Session, AppError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(AppError::EmptySessionName);
        }
        self.update_session(id, |s, now| {
            s.label = name.to_owned();
            s.updated_at = now;
        })
    }

    /// Archives a session: its history stays, it leaves the lists and is never picked for a new run.
    pub fn archive_session(&self, id: &SessionId) -> Result<Session, AppError> {
        self.update_session(id, |s, now| {
            if s.archived_at.is_none() {
                s.archived_at = Some(now);
                s.updated_at = now;
            }
        })
    }

    /// Brings an archived session back.
    pub fn unarchive_session(&self, id: &SessionId) -> Result<Session, AppError> {
        self.update_session(id, |s, now| {
            if s.archived_at.is_some() {
                s.archived_at = None;
                s.updated_at = now;
            }
        })
    }

    /// Marks a session as the one the user is in (the next run without a named session goes there).
    pub fn touch_session(&self, id: &SessionId) -> Result<Session, AppError> {
        self.update_session(id, |s, now| s.last_used_at = now)
    }

    fn update_session(
        &self,
        id: &SessionId,
        change: impl FnOnce(&mut Session, Timestamp),
    ) -> Result<Session, AppError> {
        let now = self.now();
        self.store().write(|tx| {
            let Some(mut session) = tx.session(id)? else {
                return Ok(Err(AppError::UnknownSession(id.to_string())));
            };
            let before = session.clone();
            change(&mut session, now);
            if session != before {
                tx.put_session(&session)?;
            }
            Ok(Ok(session))
        })?
    }
}
