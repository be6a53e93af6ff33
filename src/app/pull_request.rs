//! A session's pull request: drafted from the spec and the session's change (secrets redacted), the session
//! branch pushed to the space's remote with the `git` program (the user's own credentials), then created or
//! updated through GitHub's REST API. What was pushed and the pull request's number are stored with the
//! session before and after the API call, so a push whose pull request failed is reported as such and the
//! next attempt updates the same pull request. See `docs/PULL_REQUESTS.md`.

use std::future::Future;
use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use super::error::PushedWithoutPullRequest;
use super::{App, AppError};
use crate::forge::github::{
    GithubClient, GithubError, GithubSettings, NewPullRequest, PrState, PublishAction, Published,
    PullRequest, PullRequestUpdate, RepoSlug, TokenDiscovery,
};
use crate::forge::pr_draft::{PrDraft, PrDraftInput};
use crate::forge::redact::{self, Redaction};
use crate::forge::{changed_files_from_diff, draft_pull_request};
use crate::git::{self, DiffScope, GitError, PushOutcome, PushRequest, UntrackedFiles};
use crate::model::{ErrorInfo, PublishState, PullRequestLink, Session, SessionId, Space};

/// The remote a session branch is pushed to when none is named.
pub const DEFAULT_REMOTE: &str = "origin";
/// How long a push may take.
const PUSH_TIMEOUT: Duration = Duration::from_secs(120);

/// A pull request drafted for a session: what the window shows for editing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SessionPrDraft {
    pub session_id: SessionId,
    /// The session branch (the pull request's head).
    pub head: String,
    /// The branch it merges into.
    pub base: String,
    pub title: String,
    pub body: String,
    /// What was redacted (kind, file, line; never the value), also listed at the end of the body.
    pub redactions: Vec<Redaction>,
}

/// How to publish.
#[derive(Clone, Debug, Default)]
pub struct PublishOptions {
    /// The git remote (default [`DEFAULT_REMOTE`]).
    pub remote: Option<String>,
    /// Open a new pull request as a draft (an existing one keeps its state).
    pub draft: bool,
    /// Replaces the drafted title (redacted like the draft).
    pub title: Option<String>,
    /// Replaces the drafted body (redacted like the draft), e.g. the draft as the user edited it.
    pub body: Option<String>,
    /// Overwrite the remote branch if it is where it was last seen (after the session was rebased).
    pub force_with_lease: bool,
}

/// What publishing did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PrPublished {
    pub session_id: SessionId,
    pub action: PublishAction,
    pub push: PushOutcome,
    pub pull_request: PullRequest,
    /// What was redacted from the title and body that were sent.
    pub redactions: Vec<Redaction>,
    /// Where the token came from (`GITHUB_TOKEN`, `GH_TOKEN`, `stored`, `gh`); never the token.
    pub token_source: &'static str,
}

/// A session's pushed branch and pull request as `changes pr show` reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PrStatus {
    pub session_id: SessionId,
    /// `pushed`: the branch is on the remote without a pull request (see `last_error`); `published`.
    pub state: PublishState,
    pub remote: String,
    pub repo: String,
    pub branch: String,
    pub base: String,
    pub pushed_commit: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<ErrorInfo>,
    /// The pull request as GitHub reports it now, with its head commit's checks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pull_request: Option<PullRequest>,
}

/// A client for the API named by the environment, with the first token found.
struct Github {
    client: GithubClient,
    token_source: &'static str,
}

impl App {
    /// Drafts the session's pull request from its spec, tasks, verification, provenance and whole change
    /// against its base (uncommitted work included, which `publish_pull_request` refuses).
    pub fn draft_session_pull_request(
        &self,
        session: &SessionId,
    ) -> Result<SessionPrDraft, AppError> {
        let (found, binding) = self.checked_binding(session)?;
        let drafted = self.pr_draft(&found, &binding)?;
        Ok(SessionPrDraft {
            session_id: found.id,
            head: binding.branch,
            base: binding.base_branch,
            title: drafted.title,
            body: drafted.body,
            redactions: drafted.redactions,
        })
    }

    /// Pushes the session branch and creates its pull request, or updates the one it has. Blocks until
    /// GitHub answers (call it off the window's thread). Refuses uncommitted work in the session's worktree
    /// and a branch without commits. A failure after the push is [`AppError::PullRequestFailed`]: the push
    /// is recorded, and calling again retries.
    pub fn publish_pull_request(
        &self,
        session: &SessionId,
        options: &PublishOptions,
    ) -> Result<PrPublished, AppError> {
        block_on(self.publish(session, options))?
    }

    /// The session's pushed branch and, when it has one, its pull request as GitHub reports it now (state
    /// and checks). Blocks until GitHub answers.
    pub fn pull_request_status(&self, session: &SessionId) -> Result<PrStatus, AppError> {
        block_on(self.status(session))?
    }

    async fn publish(
        &self,
        session: &SessionId,
        options: &PublishOptions,
    ) -> Result<PrPublished, AppError> {
        let (space, found) = self.space_and_session(session)?;
        let binding = self.binding(&found)?;
        git::check_binding(&space.root_path, &binding)?;
        let changes = git::worktree_changes(&binding, UntrackedFiles::All)?;
        if !changes.is_clean() {
            let mut files: Vec<String> = changes
                .staged
                .iter()
                .chain(&changes.unstaged)
                .map(|f| f.path.clone())
                .collect();
            files.dedup();
            return Err(AppError::Git(GitError::DirtyWorktree {
                path: binding.path.clone(),
                files,
                can_force: false,
            }));
        }
        if binding.head == binding.base_commit {
            return Err(AppError::NothingToPublish {
                branch: binding.branch.clone(),
                base: binding.base_branch.clone(),
            });
        }
        let remote = options.remote.as_deref().unwrap_or(DEFAULT_REMOTE);
        // Everything that can fail without touching the remote is settled before the push.
        let slug = remote_slug(&space, remote)?;
        let github = Github::connect().await?;
        let drafted = self.pr_draft(&found, &binding)?;
        let (title, body, redactions) = edited(drafted, options);
        if title.trim().is_empty() {
            return Err(AppError::EmptyTitle);
        }
        let push = git::push_session_branch(
            &space.root_path,
            &binding,
            &PushRequest {
                remote,
                force_with_lease: options.force_with_lease,
                timeout: PUSH_TIMEOUT,
            },
        )?;
        let previous = found
            .pull_request
            .map(|link| *link)
            .filter(|p| p.repo == slug.full_name() && p.branch == binding.branch);
        let number = previous.as_ref().and_then(|p| p.number);
        let mut link = PullRequestLink {
            state: if number.is_some() {
                PublishState::Published
            } else {
                PublishState::Pushed
            },
            remote: remote.to_owned(),
            repo: slug.full_name(),
            host: slug.host.clone(),
            branch: binding.branch.clone(),
            base: binding.base_branch.clone(),
            pushed_commit: binding.head.clone(),
            pushed_at: self.now(),
            number,
            url: previous.and_then(|p| p.url),
            last_error: None,
        };
        self.store_pull_request(&found.id, Some(link.clone()))?;
        let new = NewPullRequest {
            title,
            head: binding.branch.clone(),
            base: binding.base_branch.clone(),
            body,
            draft: options.draft,
        };
        match send(&github.client, &slug, number, &new).await {
            Ok(published) => {
                link.state = PublishState::Published;
                link.number = Some(published.pull_request.number);
                link.url = Some(published.pull_request.url.clone());
                self.store_pull_request(&found.id, Some(link))?;
                Ok(PrPublished {
                    session_id: found.id,
                    action: published.action,
                    push,
                    pull_request: published.pull_request,
                    redactions,
                    token_source: github.token_source,
                })
            }
            Err(source) => {
                link.last_error = Some(ErrorInfo::from(&source));
                self.store_pull_request(&found.id, Some(link))?;
                Err(AppError::PullRequestFailed(Box::new(
                    PushedWithoutPullRequest {
                        session: found.id.to_string(),
                        branch: binding.branch.clone(),
                        remote: remote.to_owned(),
                        commit: binding.head.get(..12).unwrap_or(&binding.head).to_owned(),
                        source,
                    },
                )))
            }
        }
    }

    async fn status(&self, session: &SessionId) -> Result<PrStatus, AppError> {
        let found = self.session(session.as_str())?;
        let link = found
            .pull_request
            .clone()
            .map(|link| *link)
            .ok_or_else(|| AppError::NoPullRequest {
                session: found.id.to_string(),
            })?;
        let pull_request = match link.number {
            Some(number) => {
                let slug = stored_slug(&link)?;
                let github = Github::connect().await?;
                Some(github.client.show_pull_request(&slug, number).await?)
            }
            None => None,
        };
        Ok(PrStatus {
            session_id: found.id,
            state: link.state,
            remote: link.remote,
            repo: link.repo,
            branch: link.branch,
            base: link.base,
            pushed_commit: link.pushed_commit,
            last_error: link.last_error,
            pull_request,
        })
    }

    /// The drafted pull request for the session's whole change against its base, with the diff quoted.
    fn pr_draft(
        &self,
        session: &Session,
        binding: &git::WorktreeBinding,
    ) -> Result<PrDraft, AppError> {
        let diff = git::diff_text(binding, DiffScope::AgainstBase, None)?;
        let diff = String::from_utf8_lossy(&diff).into_owned();
        let work = self.session_work(session)?;
        Ok(draft_pull_request(&PrDraftInput {
            spec: work.spec,
            tasks: work.tasks,
            verification: work.verification,
            changes: changed_files_from_diff(&diff),
            provenance: work.provenance,
            diff: (!diff.is_empty()).then_some(diff),
        }))
    }

    /// Records the session's push and pull request (published on the change feed with the session).
    fn store_pull_request(
        &self,
        session: &SessionId,
        link: Option<PullRequestLink>,
    ) -> Result<Session, AppError> {
        let now = self.now();
        self.store().write(|tx| {
            let Some(mut found) = tx.session(session)? else {
                return Ok(Err(AppError::UnknownSession(session.to_string())));
            };
            found.pull_request = link.map(Box::new);
            found.updated_at = now;
            tx.put_session(&found)?;
            Ok(Ok(found))
        })?
    }
}

impl Github {
    /// Settings from `GITHUB_API_URL`, the token from `GITHUB_TOKEN`, `GH_TOKEN` or `gh auth token`.
    async fn connect() -> Result<Self, GithubError> {
        let settings = GithubSettings::from_env()?;
        let (token, source) = TokenDiscovery::default()
            .discover(&settings.web_host())
            .await?;
        Ok(Self {
            client: GithubClient::new(&settings, token)?,
            token_source: source.as_str(),
        })
    }
}

/// Updates the session's open pull request `number`, or creates one (also when that one was closed or
/// merged meanwhile).
async fn send(
    client: &GithubClient,
    slug: &RepoSlug,
    number: Option<u64>,
    new: &NewPullRequest,
) -> Result<Published, GithubError> {
    if let Some(number) = number {
        let current = client.get_pull_request(slug, number).await?;
        if current.state == PrState::Open {
            let pull_request = client
                .update_pull_request(
                    slug,
                    number,
                    &PullRequestUpdate {
                        title: Some(new.title.clone()),
                        body: Some(new.body.clone()),
                        base: Some(new.base.clone()),
                    },
                )
                .await?;
            return Ok(Published {
                action: PublishAction::Updated,
                pull_request,
            });
        }
    }
    client.create_or_update(slug, new).await
}

/// The title and body to send: the user's when given (redacted the same way), else the draft's.
fn edited(drafted: PrDraft, options: &PublishOptions) -> (String, String, Vec<Redaction>) {
    let mut redactions = Vec::new();
    let title = match &options.title {
        Some(given) => {
            let clean = redact::redact_text(given);
            redactions.extend(clean.redactions);
            clean.text
        }
        None => drafted.title,
    };
    let body = match &options.body {
        Some(given) => {
            let clean = redact::redact_text(given);
            redactions.extend(clean.redactions);
            clean.text
        }
        None => {
            redactions.extend(drafted.redactions);
            drafted.body
        }
    };
    (title.trim().to_owned(), body, redactions)
}

/// The GitHub repository the space's remote `name` points at, from its configured URL (`remote.NAME.url`
/// as written: a `pushurl` or `insteadOf` may send the push elsewhere).
fn remote_slug(space: &Space, name: &str) -> Result<RepoSlug, AppError> {
    let url = configured_url(&space.root_path, name)?;
    Ok(RepoSlug::parse_remote(&url)?)
}

fn configured_url(root: &Path, name: &str) -> Result<String, AppError> {
    let repo = git2::Repository::discover(root).map_err(|_| GitError::NotARepository {
        path: root.to_owned(),
    })?;
    let config = repo
        .config()
        .map_err(GitError::git("read the repository's configuration"))?;
    config
        .get_string(&format!("remote.{name}.url"))
        .map_err(|_| {
            AppError::Git(GitError::NoRemote {
                remote: name.to_owned(),
            })
        })
}

/// The repository a stored link names.
fn stored_slug(link: &PullRequestLink) -> Result<RepoSlug, GithubError> {
    let (owner, repo) = link.repo.split_once('/').unwrap_or((&link.repo, ""));
    RepoSlug::new(&link.host, owner, repo)
}

/// Runs `future` to completion on a small runtime of its own, on a thread of its own so it works whether
/// or not the caller is inside a runtime.
fn block_on<F>(future: F) -> Result<F::Output, AppError>
where
    F: Future + Send,
    F::Output: Send,
{
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map(|runtime| runtime.block_on(future))
            })
            .join()
            .map_err(|_| runtime_error("its thread stopped"))?
            .map_err(|e| runtime_error(&e.to_string()))
    })
}

fn runtime_error(why: &str) -> AppError {
    AppError::Github(GithubError::NotConfigured {
        message: format!("could not run the GitHub requests: {why}"),
        remediation: "Check the system's resources (threads, file descriptors) and retry."
            .to_owned(),
    })
}
