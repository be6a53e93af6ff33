//! Where the GitHub token comes from, in order: `GITHUB_TOKEN`, `GH_TOKEN`, a stored token (the caller plugs
//! in its keyring lookup), then `gh auth token` when the GitHub CLI is installed. The token is wrapped in an
//! [`ApiKey`] at once, so it is never printed or logged; only the source is reported.

use std::fmt;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use super::error::GithubError;
use crate::provider::credentials::ApiKey;

/// How long `gh auth token` may take (it reads a file or the OS keyring; it never prompts).
const GH_TIMEOUT: Duration = Duration::from_secs(10);

/// Where a token was found (shown by `doctor`-like reports; never the token).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenSource {
    GithubTokenEnv,
    GhTokenEnv,
    Stored,
    GhCli,
}

impl TokenSource {
    pub const fn as_str(self) -> &'static str {
        match self {
            TokenSource::GithubTokenEnv => "GITHUB_TOKEN",
            TokenSource::GhTokenEnv => "GH_TOKEN",
            TokenSource::Stored => "stored",
            TokenSource::GhCli => "gh",
        }
    }
}

impl fmt::Display for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored GitHub token, looked up on demand (the keyring, a key file, a test double).
pub trait TokenStore: Send + Sync {
    fn github_token(&self) -> Option<ApiKey>;
}

impl<F> TokenStore for F
where
    F: Fn() -> Option<ApiKey> + Send + Sync,
{
    fn github_token(&self) -> Option<ApiKey> {
        self()
    }
}

type EnvLookup<'a> = Box<dyn Fn(&str) -> Option<String> + Send + Sync + 'a>;

/// The places a token is looked for, in order. Built from the process environment by default; every source
/// can be replaced, so tests and the window decide what is consulted.
pub struct TokenDiscovery<'a> {
    env: EnvLookup<'a>,
    store: Option<&'a dyn TokenStore>,
    /// The GitHub CLI to ask; `None` to not ask it.
    gh: Option<PathBuf>,
    gh_timeout: Duration,
}

impl fmt::Debug for TokenDiscovery<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenDiscovery")
            .field("store", &self.store.is_some())
            .field("gh", &self.gh)
            .finish_non_exhaustive()
    }
}

impl Default for TokenDiscovery<'_> {
    fn default() -> Self {
        Self {
            env: Box::new(|name| std::env::var(name).ok()),
            store: None,
            gh: Some(PathBuf::from("gh")),
            gh_timeout: GH_TIMEOUT,
        }
    }
}

impl<'a> TokenDiscovery<'a> {
    /// Reads variables through `lookup` instead of the process environment.
    pub fn with_env(mut self, lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'a) -> Self {
        self.env = Box::new(lookup);
        self
    }

    /// Consults `store` after the environment.
    pub fn with_store(mut self, store: &'a dyn TokenStore) -> Self {
        self.store = Some(store);
        self
    }

    /// Asks this GitHub CLI program (a path or a name on PATH) last; `None` skips it.
    pub fn with_gh(mut self, program: Option<PathBuf>) -> Self {
        self.gh = program;
        self
    }

    /// Finds a token for `host` (the web host, `github.com` or an Enterprise host, which `gh` is asked about).
    pub async fn discover(&self, host: &str) -> Result<(ApiKey, TokenSource), GithubError> {
        for (name, source) in [
            ("GITHUB_TOKEN", TokenSource::GithubTokenEnv),
            ("GH_TOKEN", TokenSource::GhTokenEnv),
        ] {
            if let Some(token) = (self.env)(name).and_then(ApiKey::new) {
                return Ok((token, source));
            }
        }
        if let Some(token) = self.store.and_then(|s| s.github_token()) {
            return Ok((token, TokenSource::Stored));
        }
        let gh = match &self.gh {
            Some(program) => self.ask_gh(program, host).await,
            None => GhAnswer::NotAsked,
        };
        match gh {
            GhAnswer::Token(token) => Ok((token, TokenSource::GhCli)),
            other => Err(GithubError::MissingToken {
                message: format!(
                    "no GitHub token: GITHUB_TOKEN and GH_TOKEN are not set, {}, and {}",
                    if self.store.is_some() {
                        "no token is stored"
                    } else {
                        "no token store was given"
                    },
                    other.describe(host)
                ),
            }),
        }
    }

    async fn ask_gh(&self, program: &PathBuf, host: &str) -> GhAnswer {
        let child = tokio::process::Command::new(program)
            .args(["auth", "token", "--hostname", host])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .env("GH_PROMPT_DISABLED", "1")
            .env("NO_COLOR", "1")
            .kill_on_drop(true)
            .spawn();
        let child = match child {
            Ok(child) => child,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return GhAnswer::NotInstalled,
            Err(_) => return GhAnswer::Failed,
        };
        match tokio::time::timeout(self.gh_timeout, child.wait_with_output()).await {
            Err(_) => GhAnswer::TimedOut,
            Ok(Err(_)) => GhAnswer::Failed,
            Ok(Ok(output)) if !output.status.success() => GhAnswer::LoggedOut,
            Ok(Ok(output)) => {
                let text = String::from_utf8_lossy(&output.stdout);
                // One line, no spaces: anything else is not a token.
                let token = text.trim();
                if token.is_empty() || token.contains(char::is_whitespace) {
                    GhAnswer::LoggedOut
                } else {
                    ApiKey::new(token).map_or(GhAnswer::LoggedOut, GhAnswer::Token)
                }
            }
        }
    }
}

/// What `gh auth token` said.
enum GhAnswer {
    Token(ApiKey),
    NotAsked,
    NotInstalled,
    LoggedOut,
    TimedOut,
    Failed,
}

impl GhAnswer {
    fn describe(&self, host: &str) -> String {
        match self {
            GhAnswer::Token(_) => "the GitHub CLI gave a token".to_owned(),
            GhAnswer::NotAsked => "the GitHub CLI was not asked".to_owned(),
            GhAnswer::NotInstalled => "the GitHub CLI (gh) is not installed".to_owned(),
            GhAnswer::LoggedOut => format!("`gh auth token` has no token for {host}"),
            GhAnswer::TimedOut => "`gh auth token` did not answer in time".to_owned(),
            GhAnswer::Failed => "`gh auth token` could not be run".to_owned(),
        }
    }
}
