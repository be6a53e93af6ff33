//! Linking directories as spaces, and choosing the session a run goes to. Shared by the CLI and the window.

use std::path::{Path, PathBuf};

use crate::model::{
    Clock, ContextProviderKind, IdGenerator, Session, SessionId, Space, SpaceId, Timestamp,
};
use crate::store::{Store, StoreError};

/// Why a directory cannot be linked, or a space or session cannot be found.
#[derive(Debug, thiserror::Error)]
pub enum SpaceError {
    #[error("{path:?} does not exist; pass the directory of a repository")]
    Missing { path: PathBuf },
    #[error("{path:?} is not a directory; pass the directory of a repository")]
    NotADirectory { path: PathBuf },
    #[error(
        "{path:?} is not valid UTF-8, which a space's path must be; rename the directory or link another one"
    )]
    NotUtf8 { path: PathBuf },
    #[error("{path:?} cannot be read ({reason}); check its permissions")]
    Unreadable { path: PathBuf, reason: String },
    #[error(
        "the mcp context provider needs the command that starts the server: pass --mcp-command \"CMD ARGS\""
    )]
    McpCommandMissing,
    #[error("the MCP command is empty; pass --mcp-command \"CMD ARGS\"")]
    McpCommandEmpty,
    #[error(
        "{0}; quote it like a shell command line, e.g. --mcp-command \"server --root 'my dir'\""
    )]
    McpCommandInvalid(String),
    #[error("the space name is empty; pass a name or omit --name")]
    EmptyName,
    #[error(
        "no space {0:?}{hint}: pass a space id from `kata-cloud space list` or a directory path",
        hint = crate::model::ids::wrong_kind_hint(.0, "a space")
    )]
    UnknownSpace(String),
    #[error(
        "no session {0:?} in this space{hint}: omit --session to use the latest one",
        hint = crate::model::ids::wrong_kind_hint(.0, "a session")
    )]
    UnknownSession(String),
    #[error(
        "session {session:?} belongs to space {other_name:?} ({other}), not {this:?}: omit --session to use \
         this space's latest session, or pass --space {other}"
    )]
    SessionOfOtherSpace {
        session: String,
        other: String,
        other_name: String,
        this: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Options for linking a directory.
#[derive(Clone, Debug, Default)]
pub struct LinkOptions {
    pub name: Option<String>,
    pub context_provider: Option<ContextProviderKind>,
    pub mcp_command: Option<String>,
}

/// The absolute, canonical form of a directory path, checked.
pub fn canonical_dir(path: &Path) -> Result<PathBuf, SpaceError> {
    let canonical = match std::fs::canonicalize(path) {
        Ok(p) => p,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(SpaceError::Missing {
                path: path.to_path_buf(),
            });
        }
        Err(e) => {
            return Err(SpaceError::Unreadable {
                path: path.to_path_buf(),
                reason: e.to_string(),
            });
        }
    };
    if canonical.to_str().is_none() {
        return Err(SpaceError::NotUtf8 {
            path: path.to_path_buf(),
        });
    }
    if !canonical.is_dir() {
        return Err(SpaceError::NotADirectory {
            path: path.to_path_buf(),
        });
    }
    if let Err(e) = std::fs::read_dir(&canonical) {
        return Err(SpaceError::Unreadable {
            path: path.to_path_buf(),
            reason: e.to_string(),
        });
    }
    Ok(canonical)
}

/// Links `path` as a space. A directory that is already linked returns its existing space (`false`).
pub fn link(
    store: &Store,
    clock: &dyn Clock,
    ids: &IdGenerator,
    path: &Path,
    options: LinkOptions,
) -> Result<(Space, bool), SpaceError> {
    let root = canonical_dir(path)?;
    let mcp_command = match options.mcp_command {
        Some(cmd) if cmd.trim().is_empty() => return Err(SpaceError::McpCommandEmpty),
        Some(cmd) => {
            // A command that cannot be split would only fail later, at every run: refuse it now.
            crate::context::mcp::split_command(cmd.trim())
                .map_err(|e| SpaceError::McpCommandInvalid(e.message))?;
            Some(cmd.trim().to_owned())
        }
        None => None,
    };
    let context_provider = match (options.context_provider, &mcp_command) {
        (Some(ContextProviderKind::Mcp), None) => return Err(SpaceError::McpCommandMissing),
        (Some(kind), _) => kind,
        (None, Some(_)) => ContextProviderKind::Mcp,
        (None, None) => ContextProviderKind::Filesystem,
    };
    let name = match options.name {
        Some(n) if n.trim().is_empty() => return Err(SpaceError::EmptyName),
        Some(n) => n.trim().to_owned(),
        None => root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| root.display().to_string()),
    };
    let repo = crate::git::repo_info(&root);
    let now = clock.now();
    let space = Space {
        id: SpaceId::generate(ids, now),
        name,
        root_path: root,
        repo,
        context_provider,
        mcp_command,
        created_at: now,
        updated_at: now,
    };
    Ok(store.write(|tx| {
        if let Some(existing) = tx
            .spaces()?
            .into_iter()
            .find(|s| s.root_path == space.root_path)
        {
            return Ok((existing, false));
        }
        tx.put_space(&space)?;
        Ok((space, true))
    })?)
}

/// Applies the options given explicitly to `space add` on a directory that is already linked (they were
/// validated by [`link`]): a new name, context provider or MCP command (which alone implies `mcp`).
/// Returns the updated space, or `None` when nothing differs.
pub fn update_linked(
    store: &Store,
    clock: &dyn Clock,
    id: &SpaceId,
    options: &LinkOptions,
) -> Result<Option<Space>, SpaceError> {
    let now = clock.now();
    Ok(store.write(|tx| {
        let Some(mut space) = tx.space(id)? else {
            return Ok(None);
        };
        let before = space.clone();
        if let Some(name) = options.name.as_deref().map(str::trim) {
            space.name = name.to_owned();
        }
        if let Some(cmd) = options.mcp_command.as_deref().map(str::trim) {
            space.mcp_command = Some(cmd.to_owned());
            space.context_provider = ContextProviderKind::Mcp;
        }
        if let Some(kind) = options.context_provider {
            space.context_provider = kind;
        }
        if space == before {
            return Ok(None);
        }
        space.updated_at = now;
        tx.put_space(&space)?;
        Ok(Some(space))
    })?)
}

/// Finds a space by id, or by the directory it links (without linking it).
pub fn find(store: &Store, id_or_path: &str) -> Result<Option<Space>, SpaceError> {
    let by_id = store.read(|rx| rx.space(&SpaceId::new(id_or_path)))?;
    if by_id.is_some() {
        return Ok(by_id);
    }
    // A linked directory that is gone (or unreadable) is still found by the path it was linked with.
    let root = std::fs::canonicalize(id_or_path).or_else(|_| std::path::absolute(id_or_path));
    let Ok(root) = root else {
        return Ok(None);
    };
    Ok(store.read(|rx| Ok(rx.spaces()?.into_iter().find(|s| s.root_path == root)))?)
}

/// Finds a space by id or path, linking the directory if it is not linked yet.
pub fn find_or_link(
    store: &Store,
    clock: &dyn Clock,
    ids: &IdGenerator,
    id_or_path: &str,
) -> Result<(Space, bool), SpaceError> {
    if let Some(space) = find(store, id_or_path)? {
        return Ok((space, false));
    }
    if !Path::new(id_or_path).exists() && !id_or_path.contains(['/', '.', '\\']) {
        return Err(SpaceError::UnknownSpace(id_or_path.to_owned()));
    }
    link(
        store,
        clock,
        ids,
        Path::new(id_or_path),
        LinkOptions::default(),
    )
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
    }
}

/// The session a run goes to: the named one (which must belong to the space), or the space's most recently
/// used session, created if the space has none.
pub fn session_for(
    store: &Store,
    clock: &dyn Clock,
    ids: &IdGenerator,
    space: &Space,
    requested: Option<&str>,
) -> Result<Session, SpaceError> {
    if let Some(id) = requested {
        let (found, owner) = store.read(|rx| {
            let found = rx.session(&SessionId::new(id))?;
            let owner = match &found {
                Some(session) if session.space_id != space.id => rx.space(&session.space_id)?,
                _ => None,
            };
            Ok((found, owner))
        })?;
        return match (found, owner) {
            (Some(session), _) if session.space_id == space.id => Ok(session),
            (Some(_), Some(other)) => Err(SpaceError::SessionOfOtherSpace {
                session: id.to_owned(),
                other: other.id.to_string(),
                other_name: other.name,
                this: space.name.clone(),
            }),
            _ => Err(SpaceError::UnknownSession(id.to_owned())),
        };
    }
    let now = clock.now();
    let id = SessionId::generate(ids, now);
    Ok(store.write(|tx| {
        if let Some(latest) = tx.sessions(&space.id)?.into_iter().next() {
            return Ok(latest);
        }
        let session = fresh_session(id, space, "Session 1".to_owned(), now);
        tx.put_session(&session)?;
        Ok(session)
    })?)
}

/// Creates a new session in a space.
pub fn new_session(
    store: &Store,
    clock: &dyn Clock,
    ids: &IdGenerator,
    space: &Space,
) -> Result<Session, SpaceError> {
    let now = clock.now();
    let id = SessionId::generate(ids, now);
    Ok(store.write(|tx| {
        let count = tx.sessions(&space.id)?.len();
        let session = fresh_session(id, space, format!("Session {}", count + 1), now);
        tx.put_session(&session)?;
        Ok(session)
    })?)
}
