//! Which GitHub repository a git remote points at: `owner/repo` from the URL forms git accepts.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::error::GithubError;

/// A repository on a GitHub host.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoSlug {
    /// The host of the remote (`github.com`, `ghe.example.com`); informative, the API base decides where
    /// requests go.
    pub host: String,
    pub owner: String,
    pub repo: String,
}

impl RepoSlug {
    /// A slug from its parts, checked like GitHub names are.
    pub fn new(host: &str, owner: &str, repo: &str) -> Result<Self, GithubError> {
        let owner_ok = !owner.is_empty()
            && owner
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'));
        let repo_ok = !repo.is_empty()
            && repo != "."
            && repo != ".."
            && repo
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if !owner_ok || !repo_ok {
            return Err(GithubError::InvalidRemote {
                message: format!("`{owner}/{repo}` is not a GitHub owner/repository name"),
            });
        }
        Ok(Self {
            host: host.to_owned(),
            owner: owner.to_owned(),
            repo: repo.to_owned(),
        })
    }

    /// Parses a remote URL: `https://HOST/OWNER/REPO[.git]`, `git@HOST:OWNER/REPO.git`,
    /// `ssh://git@HOST[:PORT]/OWNER/REPO[.git]` (also `http`, `git`, `git+ssh`). Credentials in the URL are
    /// ignored and never repeated in an error.
    pub fn parse_remote(url: &str) -> Result<Self, GithubError> {
        let trimmed = url.trim();
        let invalid = |why: &str| GithubError::InvalidRemote {
            message: format!(
                "the remote `{}` {why} (expected https://HOST/OWNER/REPO, git@HOST:OWNER/REPO.git or \
                 ssh://git@HOST/OWNER/REPO)",
                without_credentials(trimmed)
            ),
        };
        let (host, path) = if let Some((scheme, rest)) = trimmed.split_once("://") {
            if !matches!(scheme, "https" | "http" | "ssh" | "git" | "git+ssh") {
                return Err(invalid("is not a network URL"));
            }
            let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
            let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            let host = host_port.split(':').next().unwrap_or(host_port);
            (host, path)
        } else {
            // scp-like: [user@]host:path, where the colon comes before any slash.
            match trimmed.split_once(':') {
                Some((before, path)) if !before.contains('/') && !before.is_empty() => {
                    let host = before.rsplit_once('@').map_or(before, |(_, h)| h);
                    (host, path)
                }
                _ => return Err(invalid("is a local path, not a GitHub URL")),
            }
        };
        if host.is_empty() {
            return Err(invalid("has no host"));
        }
        let path = path.trim_matches('/');
        let path = path.strip_suffix(".git").unwrap_or(path);
        let segments: Vec<&str> = path.split('/').collect();
        match segments.as_slice() {
            [owner, repo] => {
                Self::new(host, owner, repo).map_err(|_| invalid("has no valid OWNER/REPO"))
            }
            _ => Err(invalid("does not end in OWNER/REPO")),
        }
    }

    /// `owner/repo`, as GitHub writes it.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.repo)
    }
}

impl fmt::Display for RepoSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.repo)
    }
}

/// `url` with any `user:password@` removed, so an error can name it.
fn without_credentials(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            let slash = if rest.contains('/') { "/" } else { "" };
            format!("{scheme}://{host}{slash}{path}")
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_remote_form_gives_owner_and_repo() {
        for (url, host) in [
            ("https://github.com/octo/widgets", "github.com"),
            ("https://github.com/octo/widgets.git", "github.com"),
            ("https://github.com/octo/widgets/", "github.com"),
            (
                "https://x-access-token:secret@github.com/octo/widgets.git",
                "github.com",
            ),
            (
                "http://ghe.example.com:8080/octo/widgets",
                "ghe.example.com",
            ),
            ("git@github.com:octo/widgets.git", "github.com"),
            ("git@ghe.example.com:octo/widgets", "ghe.example.com"),
            ("ssh://git@github.com/octo/widgets", "github.com"),
            ("ssh://git@github.com:22/octo/widgets.git", "github.com"),
            ("git+ssh://git@github.com/octo/widgets.git", "github.com"),
            ("  https://github.com/octo/widgets.git\n", "github.com"),
        ] {
            let slug = RepoSlug::parse_remote(url).unwrap_or_else(|e| panic!("{url}: {e}"));
            assert_eq!(
                (slug.host.as_str(), slug.full_name().as_str()),
                (host, "octo/widgets"),
                "{url}"
            );
        }
        let dotted = RepoSlug::parse_remote("git@github.com:my-org/site.github.io.git").unwrap();
        assert_eq!(dotted.to_string(), "my-org/site.github.io");
    }

    #[test]
    fn what_is_not_a_github_repo_is_refused_without_credentials() {
        for url in [
            "/srv/git/widgets.git",
            "file:///srv/git/widgets.git",
            "https://github.com/octo",
            "https://github.com/octo/widgets/tree/main",
            "https://token123@github.com/a b/c",
            "",
        ] {
            let error = RepoSlug::parse_remote(url).unwrap_err();
            assert_eq!(error.code(), "invalid_remote", "{url}");
            assert!(!error.to_string().contains("token123"), "{error}");
        }
    }
}
