//! Spaces: linking directories, listing, finding, relinking a moved folder, removing from the list.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{App, AppError};
use crate::model::{ContextProviderKind, RunStatus, Space, SpaceId};

/// Link a directory as a space. Given for a directory already linked, the options that are set update it
/// (the way to set or fix the MCP command that context errors point to).
#[derive(Clone, Debug, Default)]
pub struct AddSpace {
    pub path: PathBuf,
    pub name: Option<String>,
    pub context_provider: Option<ContextProviderKind>,
    pub mcp_command: Option<String>,
    /// The command the verifier runs to check the work.
    pub check_command: Option<String>,
}

/// What adding did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Linked {
    /// A new space.
    Created,
    /// The directory was linked already; the options changed it.
    Updated,
    /// The directory was linked already and nothing differed.
    Unchanged,
}

#[derive(Clone, Debug)]
pub struct SpaceAdded {
    pub space: Space,
    pub linked: Linked,
}

/// The absolute, canonical form of a directory path, checked.
pub fn canonical_dir(path: &Path) -> Result<PathBuf, AppError> {
    let canonical = match std::fs::canonicalize(path) {
        Ok(p) => p,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(AppError::PathMissing {
                path: path.to_path_buf(),
            });
        }
        Err(e) => {
            return Err(AppError::PathUnreadable {
                path: path.to_path_buf(),
                reason: e.to_string(),
            });
        }
    };
    if canonical.to_str().is_none() {
        return Err(AppError::PathNotUtf8 {
            path: path.to_path_buf(),
        });
    }
    if !canonical.is_dir() {
        return Err(AppError::NotADirectory {
            path: path.to_path_buf(),
        });
    }
    if let Err(e) = std::fs::read_dir(&canonical) {
        return Err(AppError::PathUnreadable {
            path: path.to_path_buf(),
            reason: e.to_string(),
        });
    }
    Ok(canonical)
}

/// The options of [`AddSpace`], checked: a trimmed MCP command that can be split, the context provider it
/// implies, a non-empty name.
struct CheckedOptions {
    name: Option<String>,
    context_provider: Option<ContextProviderKind>,
    mcp_command: Option<String>,
    check_command: Option<String>,
}

fn check_options(request: &AddSpace) -> Result<CheckedOptions, AppError> {
    let mcp_command = match request.mcp_command.as_deref().map(str::trim) {
        Some("") => return Err(AppError::McpCommandEmpty),
        Some(cmd) => {
            // A command that cannot be split would only fail later, at every run: refuse it now.
            crate::context::mcp::split_command(cmd)
                .map_err(|e| AppError::McpCommandInvalid(e.message))?;
            Some(cmd.to_owned())
        }
        None => None,
    };
    if request.context_provider == Some(ContextProviderKind::Mcp) && mcp_command.is_none() {
        return Err(AppError::McpCommandMissing);
    }
    let name = match request.name.as_deref().map(str::trim) {
        Some("") => return Err(AppError::EmptySpaceName),
        other => other.map(str::to_owned),
    };
    let check_command = match request.check_command.as_deref().map(str::trim) {
        Some("") => return Err(AppError::CheckCommandEmpty),
        other => other.map(str::to_owned),
    };
    Ok(CheckedOptions {
        name,
        context_provider: request.context_provider,
        mcp_command,
        check_command,
    })
}

impl App {
    /// Links a directory, or applies the given options to the space that already links it.
    pub fn add_space(&self, request: AddSpace) -> Result<SpaceAdded, AppError> {
        let root = canonical_dir(&request.path)?;
        let options = check_options(&request)?;
        let context_provider = match (options.context_provider, &options.mcp_command) {
            (Some(kind), _) => kind,
            (None, Some(_)) => ContextProviderKind::Mcp,
            (None, None) => ContextProviderKind::Filesystem,
        };
        let name = options.name.clone().unwrap_or_else(|| {
            root.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| root.display().to_string())
        });
        let repo = crate::git::repo_info(&root);
        let now = self.now();
        let fresh = Space {
            id: SpaceId::generate(self.ids(), now),
            name,
            root_path: root,
            repo,
            context_provider,
            mcp_command: options.mcp_command.clone(),
            check_command: options.check_command.clone(),
            created_at: now,
            updated_at: now,
        };
        Ok(self.store().write(|tx| {
            let Some(mut space) = tx
                .spaces()?
                .into_iter()
                .find(|s| s.root_path == fresh.root_path)
            else {
                tx.put_space(&fresh)?;
                return Ok(SpaceAdded {
                    space: fresh,
                    linked: Linked::Created,
                });
            };
            let before = space.clone();
            if let Some(name) = &options.name {
                space.name.clone_from(name);
            }
            if let Some(cmd) = &options.mcp_command {
                space.mcp_command = Some(cmd.clone());
                space.context_provider = ContextProviderKind::Mcp;
            }
            if let Some(kind) = options.context_provider {
                space.context_provider = kind;
            }
            if let Some(check) = &options.check_command {
                space.check_command = Some(check.clone());
            }
            if space == before {
                return Ok(SpaceAdded {
                    space,
                    linked: Linked::Unchanged,
                });
            }
            space.updated_at = now;
            tx.put_space(&space)?;
            Ok(SpaceAdded {
                space,
                linked: Linked::Updated,
            })
        })?)
    }

    /// Every space, oldest first.
    pub fn list_spaces(&self) -> Result<Vec<Space>, AppError> {
        Ok(self.store().read(|rx| rx.spaces())?)
    }

    /// A space by id, or by the directory it links (without linking it). A linked directory that is gone
    /// (or unreadable) is still found by the path it was linked with.
    pub fn find_space(&self, id_or_path: &str) -> Result<Option<Space>, AppError> {
        let by_id = self
            .store()
            .read(|rx| rx.space(&SpaceId::new(id_or_path)))?;
        if by_id.is_some() {
            return Ok(by_id);
        }
        let root = std::fs::canonicalize(id_or_path).or_else(|_| std::path::absolute(id_or_path));
        let Ok(root) = root else {
            return Ok(None);
        };
        Ok(self
            .store()
            .read(|rx| Ok(rx.spaces()?.into_iter().find(|s| s.root_path == root)))?)
    }

    /// A space by id (or linked path), or [`AppError::UnknownSpace`].
    pub fn space(&self, id_or_path: &str) -> Result<Space, AppError> {
        self.find_space(id_or_path)?
            .ok_or_else(|| AppError::UnknownSpace(id_or_path.to_owned()))
    }

    /// A space by id or path, linking the directory if it is not linked yet.
    pub fn find_or_link_space(&self, id_or_path: &str) -> Result<Space, AppError> {
        if let Some(space) = self.find_space(id_or_path)? {
            return Ok(space);
        }
        if !looks_like_path(id_or_path) {
            return Err(AppError::UnknownSpace(id_or_path.to_owned()));
        }
        Ok(self
            .add_space(AddSpace {
                path: PathBuf::from(id_or_path),
                ..AddSpace::default()
            })?
            .space)
    }

    /// Points a space at its folder's new location (after the folder moved). The space keeps its id,
    /// sessions and history.
    pub fn relink_space(&self, id: &SpaceId, path: &Path) -> Result<Space, AppError> {
        let root = canonical_dir(path)?;
        let repo = crate::git::repo_info(&root);
        let now = self.now();
        self.store().write(|tx| {
            let Some(mut space) = tx.space(id)? else {
                return Ok(Err(AppError::UnknownSpace(id.to_string())));
            };
            if let Some(other) = tx
                .spaces()?
                .into_iter()
                .find(|s| s.root_path == root && &s.id != id)
            {
                return Ok(Err(AppError::FolderLinkedElsewhere {
                    path: root.clone(),
                    space: other.id.to_string(),
                }));
            }
            space.root_path = root.clone();
            space.repo = repo.clone();
            space.updated_at = now;
            tx.put_space(&space)?;
            Ok(Ok(space))
        })?
    }

    /// Removes a space from the list. Its sessions, runs and specs stay in the history; a space with live
    /// runs is not removed.
    pub fn remove_space(&self, id: &SpaceId) -> Result<Space, AppError> {
        let now = self.now();
        self.store().write(|tx| {
            let Some(space) = tx.space(id)? else {
                return Ok(Err(AppError::UnknownSpace(id.to_string())));
            };
            let mut live = Vec::new();
            for session in tx.sessions(id)? {
                for run in tx.session_runs(&session.id)? {
                    if matches!(run.status, RunStatus::Queued | RunStatus::Running) {
                        live.push(run.id.to_string());
                    }
                }
            }
            if !live.is_empty() {
                return Ok(Err(AppError::SpaceHasLiveRuns {
                    space: space.name,
                    runs: live,
                }));
            }
            tx.remove_space(id, now)?;
            Ok(Ok(space))
        })?
    }
}

/// The spaces whose linked folder is no longer a directory (a filesystem check: not for the UI thread).
pub fn missing_folders(spaces: &[Space]) -> Vec<SpaceId> {
    spaces
        .iter()
        .filter(|s| !s.root_path.is_dir())
        .map(|s| s.id.clone())
        .collect()
}

/// Whether `text` names a directory rather than a space id.
pub fn looks_like_path(text: &str) -> bool {
    Path::new(text).exists() || text.contains(['/', '.', '\\'])
}
