//! Git: what a space's repository is. (Worktrees, changes and pull requests build on this.)

use std::path::Path;

use crate::model::RepoInfo;

/// The repository containing `root`, if any: its `origin` URL and current branch.
pub fn repo_info(root: &Path) -> Option<RepoInfo> {
    let repo = git2::Repository::discover(root).ok()?;
    let origin = repo
        .find_remote("origin")
        .ok()
        .and_then(|r| r.url().ok().map(str::to_owned));
    let default_branch = repo
        .head()
        .ok()
        .and_then(|h| h.shorthand().ok().map(str::to_owned))
        .or_else(|| {
            // A fresh repository has an unborn HEAD: read the branch it points at.
            let head = repo.find_reference("HEAD").ok()?;
            let target = head.symbolic_target().ok()??;
            target.strip_prefix("refs/heads/").map(str::to_owned)
        });
    Some(RepoInfo {
        origin,
        default_branch,
    })
}
