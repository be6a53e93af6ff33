//! Who commits: author and committer as git itself would choose them (environment overrides, then the
//! configuration), with an error naming exactly what is missing.

use git2::{Repository, Signature};

use super::error::GitError;

/// The author and committer for a new commit in `repo`.
pub(crate) fn signatures(
    repo: &Repository,
) -> Result<(Signature<'static>, Signature<'static>), GitError> {
    match (repo.author_from_env(), repo.committer_from_env()) {
        (Ok(author), Ok(committer)) => Ok((author, committer)),
        (Err(e), _) | (_, Err(e)) if e.code() == git2::ErrorCode::NotFound => {
            Err(GitError::IdentityMissing {
                missing: missing_keys(repo),
            })
        }
        (Err(e), _) | (_, Err(e)) => Err(GitError::git("read the commit identity")(e)),
    }
}

/// Which of `user.name` / `user.email` neither the configuration nor the environment provides.
fn missing_keys(repo: &Repository) -> Vec<&'static str> {
    let config = repo.config().ok();
    let configured = |key: &str| {
        config
            .as_ref()
            .and_then(|c| c.get_string(key).ok())
            .is_some_and(|v| !v.trim().is_empty())
    };
    let from_env = |vars: &[&str]| {
        vars.iter()
            .any(|v| std::env::var_os(v).is_some_and(|value| !value.is_empty()))
    };
    let mut missing = Vec::new();
    if !configured("user.name") && !from_env(&["GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"]) {
        missing.push("user.name");
    }
    if !configured("user.email") && !from_env(&["GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL", "EMAIL"])
    {
        missing.push("user.email");
    }
    if missing.is_empty() {
        // One side is set only for the author or only for the committer: name both keys.
        missing = vec!["user.name", "user.email"];
    }
    missing
}
