//! Sessions and their git worktrees. A session in a git space gets its worktree on its first run with tools
//! (a model provider, or an offline script): a folder `<data_dir>/worktrees/<space id>/<slug>` on a new branch
//! `kata/<slug>` made from the tip of the user's current branch. Sessions that only ever draft (offline
//! without a script) never make one, and a space that is not a git repository never has one (its agents are
//! read-only there).
//!
//! The binding is checked before every run and resume: a problem refuses the run with `worktree_binding`
//! and the fixes; nothing is repaired or recreated without being asked (`rebind`, `recreate`).

use std::path::PathBuf;

use super::{App, AppError};
use crate::git::{
    self, GitError, NewWorktree, PruneReport, RemoveOptions, WorktreeBinding, default_lock_reason,
    session_worktree_path,
};
use crate::model::{Session, SessionId, Space};

/// A session's branch name part: its name in letters and digits, and its id's tail so two sessions
/// with the same name never share a branch.
pub fn session_slug(session: &Session) -> String {
    let mut name = String::new();
    for c in session.label.chars() {
        if c.is_ascii_alphanumeric() {
            name.push(c.to_ascii_lowercase());
        } else if !name.ends_with('-') && !name.is_empty() {
            name.push('-');
        }
        if name.len() >= 40 {
            break;
        }
    }
    let name = name.trim_matches('-');
    let tail = session.id.short();
    if name.is_empty() {
        format!("session-{tail}")
    } else {
        format!("{name}-{tail}")
    }
}

impl App {
    /// Whether `space` is a git repository whose sessions get worktrees.
    pub fn space_has_git(&self, space: &Space) -> bool {
        git2::Repository::discover(&space.root_path).is_ok()
    }

    /// The session's worktree: the recorded one (checked), or a new one when the session has none and the
    /// space is a git repository. `None`: a plain folder (agents are read-only there).
    pub fn ensure_worktree(
        &self,
        space: &Space,
        session: &Session,
    ) -> Result<Option<WorktreeBinding>, AppError> {
        if let Some(binding) = &session.worktree {
            git::check_binding(&space.root_path, binding)?;
            return Ok(Some(binding.clone()));
        }
        if !self.space_has_git(space) {
            return Ok(None);
        }
        let base = crate::git::repo_info(&space.root_path)
            .and_then(|r| r.default_branch)
            .ok_or_else(|| {
                AppError::Git(GitError::InvalidInput {
                    what: "base branch",
                    message: format!(
                        "{} has no branch checked out (a detached HEAD); check out the branch the session \
                         should start from",
                        space.root_path.display()
                    ),
                })
            })?;
        let slug = session_slug(session);
        let path = session_worktree_path(self.data_dir(), space.id.as_str(), &slug);
        let branch = format!("{}{slug}", git::SESSION_BRANCH_PREFIX);
        let binding = git::create_session_worktree(&NewWorktree {
            repo_root: &space.root_path,
            path: &path,
            slug: &slug,
            base_branch: &base,
            lock_reason: &default_lock_reason(&branch),
        })?;
        let stored = binding.clone();
        self.store_binding(&session.id, Some(stored))?;
        self.seed_worktree_index(space, &binding);
        Ok(Some(binding))
    }

    /// Starts a new worktree's context index from the space's, so the first query in it does not pay a
    /// cold build. Only a speed-up: when it fails the first query builds the index itself.
    fn seed_worktree_index(&self, space: &Space, binding: &WorktreeBinding) {
        if let Err(e) = self
            .context_engine()
            .seed_index(&binding.path, &space.root_path)
        {
            tracing::warn!(worktree = %binding.path.display(), "index not seeded: {e}");
        }
    }

    /// Checks a session's recorded worktree (no worktree is fine: it is made on the first run that needs
    /// one).
    pub fn check_worktree(&self, space: &Space, session: &Session) -> Result<(), AppError> {
        match &session.worktree {
            Some(binding) => Ok(git::check_binding(&space.root_path, binding)?),
            None => Ok(()),
        }
    }

    /// The session's binding, or [`AppError::NoWorktree`].
    pub fn binding(&self, session: &Session) -> Result<WorktreeBinding, AppError> {
        session
            .worktree
            .clone()
            .ok_or_else(|| AppError::NoWorktree {
                session: session.id.to_string(),
            })
    }

    /// Accepts the session branch's current tip (commits someone else put there).
    pub fn rebind_session(&self, session: &SessionId) -> Result<Session, AppError> {
        let (space, found) = self.space_and_session(session)?;
        let binding = self.binding(&found)?;
        let rebound = git::rebind(&space.root_path, &binding)?;
        self.store_binding(session, Some(rebound))
    }

    /// Re-adds a missing worktree folder on the session's existing branch.
    pub fn recreate_worktree(&self, session: &SessionId) -> Result<Session, AppError> {
        let (space, found) = self.space_and_session(session)?;
        let binding = self.binding(&found)?;
        let reason = default_lock_reason(&binding.branch);
        let recreated = git::recreate_worktree(&space.root_path, &binding, &reason)?;
        self.seed_worktree_index(&space, &recreated);
        self.store_binding(session, Some(recreated))
    }

    /// Records that our own operation moved the session branch.
    pub fn store_binding(
        &self,
        session: &SessionId,
        binding: Option<WorktreeBinding>,
    ) -> Result<Session, AppError> {
        let now = self.now();
        self.store().write(|tx| {
            let Some(mut found) = tx.session(session)? else {
                return Ok(Err(AppError::UnknownSession(session.to_string())));
            };
            found.worktree = binding;
            found.updated_at = now;
            tx.put_session(&found)?;
            Ok(Ok(found))
        })?
    }

    /// A session and its space, or the error naming the missing one.
    pub fn space_and_session(&self, session: &SessionId) -> Result<(Space, Session), AppError> {
        let found = self.session(session.as_str())?;
        let space = self
            .store()
            .read(|rx| rx.space(&found.space_id))?
            .ok_or_else(|| AppError::UnknownSpace(found.space_id.to_string()))?;
        Ok((space, found))
    }

    /// Archives a session. Its worktree stays (locked) until pruned; uncommitted work in it refuses the
    /// archive unless `force`, and forced, the work is committed to the session branch and the worktree
    /// removed (the branch stays): uncommitted work is never deleted.
    pub fn archive_session_with(
        &self,
        session: &SessionId,
        force: bool,
    ) -> Result<Session, AppError> {
        let (space, found) = self.space_and_session(session)?;
        if let Some(binding) = &found.worktree
            && binding.path.exists()
        {
            let changes = git::worktree_changes(binding, git::UntrackedFiles::All)?;
            let dirty = !changes.staged.is_empty() || !changes.unstaged.is_empty();
            if dirty {
                if !force {
                    let files = changes
                        .staged
                        .iter()
                        .chain(changes.unstaged.iter())
                        .map(|f| f.path.clone())
                        .collect();
                    return Err(AppError::Git(GitError::DirtyWorktree {
                        path: binding.path.clone(),
                        files,
                        can_force: true,
                    }));
                }
                let removal = git::remove_session_worktree(
                    &space.root_path,
                    binding,
                    &RemoveOptions {
                        force: true,
                        save_message: &format!(
                            "Save uncommitted work of session \"{}\" before archiving it",
                            found.label
                        ),
                    },
                )?;
                self.store_binding(session, Some(removal.binding))?;
            }
        }
        self.archive_session(session)
    }

    /// Brings an archived session back; a worktree folder removed meanwhile is recreated on its branch.
    pub fn unarchive_session_with(&self, session: &SessionId) -> Result<Session, AppError> {
        let back = self.unarchive_session(session)?;
        if let Some(binding) = &back.worktree
            && !binding.path.exists()
        {
            return self.recreate_worktree(session);
        }
        Ok(back)
    }

    /// Removes the worktrees of the space's archived sessions that are clean (their branches stay).
    pub fn prune_sessions(&self, space: &Space) -> Result<PruneReport, AppError> {
        let archived: Vec<WorktreeBinding> = self
            .list_sessions(&space.id, true)?
            .into_iter()
            .filter(|s| s.is_archived())
            .filter_map(|s| s.worktree)
            .filter(|b| b.path.exists())
            .collect();
        Ok(git::prune_worktrees(&space.root_path, &archived)?)
    }

    /// Worktrees under this data directory's folder for `space` that no session references.
    pub fn orphaned_worktrees(
        &self,
        space: &Space,
    ) -> Result<Vec<git::OrphanedWorktree>, AppError> {
        if !self.space_has_git(space) {
            return Ok(Vec::new());
        }
        let bindings: Vec<WorktreeBinding> = self
            .list_sessions(&space.id, true)?
            .into_iter()
            .filter_map(|s| s.worktree)
            .collect();
        let under: PathBuf = self.data_dir().join("worktrees").join(space.id.as_str());
        Ok(git::orphaned_worktrees(
            &space.root_path,
            &under,
            &bindings,
        )?)
    }
}
