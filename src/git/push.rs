//! Pushing a session branch to the space's remote with the `git` program, so the user's own credential
//! helpers, SSH agent and configuration apply exactly as in their terminal. Exactly the recorded head is
//! pushed; failures are classified (rejected, authentication, network, no remote) from git's porcelain
//! output and messages.

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::binding::WorktreeBinding;
use super::binding_check::binding_problems;
use super::binding_problem::BindingProblem;
use super::error::GitError;
use super::git_command::{GitRun, run_git};
use super::repository::open_user_repo;

/// A push request.
#[derive(Clone, Debug)]
pub struct PushRequest<'a> {
    /// The remote's name (`origin`).
    pub remote: &'a str,
    /// Overwrite the remote branch if it still is where we last saw it (after a rebase of the session).
    pub force_with_lease: bool,
    /// How long the push may take before it is stopped and reported as a network failure.
    pub timeout: Duration,
}

/// What the push did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushOutcome {
    pub remote: String,
    pub branch: String,
    pub commit: String,
    /// The remote already had this commit.
    pub up_to_date: bool,
    /// The remote branch's history was replaced (force-with-lease).
    pub forced: bool,
}

/// Pushes the session branch's recorded head to the same branch name on `request.remote`.
pub fn push_session_branch(
    repo_root: &Path,
    binding: &WorktreeBinding,
    request: &PushRequest<'_>,
) -> Result<PushOutcome, GitError> {
    let repo = open_user_repo(repo_root)?;
    let branch_problems = binding_problems(&repo, binding)?
        .into_iter()
        .filter(|p| {
            matches!(
                p,
                BindingProblem::BranchDeleted { .. } | BindingProblem::BranchMoved { .. }
            )
        })
        .collect::<Vec<_>>();
    if !branch_problems.is_empty() {
        return Err(GitError::WorktreeBinding {
            problems: branch_problems,
        });
    }
    if let Err(e) = repo.find_remote(request.remote) {
        return Err(match e.code() {
            git2::ErrorCode::NotFound | git2::ErrorCode::InvalidSpec => GitError::NoRemote {
                remote: request.remote.to_owned(),
            },
            _ => GitError::git(format!("read remote {}", request.remote))(e),
        });
    }
    let dir = repo.workdir().unwrap_or(repo.path()).to_owned();
    let target = binding.branch_ref();
    let refspec = format!("{}:{target}", binding.head);
    let lease = format!("--force-with-lease={target}");
    let mut args = vec!["push", "--porcelain"];
    if request.force_with_lease {
        args.push(&lease);
    }
    args.extend([request.remote, refspec.as_str()]);
    let output = match run_git(&dir, &args, request.timeout)? {
        GitRun::Finished(output) => output,
        GitRun::TimedOut { stderr } => {
            return Err(GitError::Network {
                remote: request.remote.to_owned(),
                detail: format!(
                    "no answer within {} s{}",
                    request.timeout.as_secs(),
                    last_line(&stderr)
                        .map(|l| format!(" ({l})"))
                        .unwrap_or_default()
                ),
            });
        }
    };
    let line = ref_status(&output.stdout, &target);
    match line {
        Some(RefStatus { flag, summary }) if output.status.success() && flag != '!' => {
            Ok(PushOutcome {
                remote: request.remote.to_owned(),
                branch: binding.branch.clone(),
                commit: binding.head.clone(),
                up_to_date: flag == '=' || summary.contains("up to date"),
                forced: flag == '+',
            })
        }
        Some(RefStatus { flag: '!', summary }) => {
            let reason = summary
                .split_once('(')
                .and_then(|(_, r)| r.strip_suffix(')'))
                .unwrap_or(&summary)
                .to_owned();
            let non_fast_forward = ["non-fast-forward", "fetch first", "stale info"]
                .iter()
                .any(|r| reason.contains(r));
            Err(GitError::PushRejected {
                remote: request.remote.to_owned(),
                branch: binding.branch.clone(),
                reason,
                non_fast_forward,
            })
        }
        _ => Err(classify_failure(request.remote, &args, &output.stderr)),
    }
}

/// One ref's line of `git push --porcelain`: `<flag>\t<from>:<to>\t<summary>`.
struct RefStatus {
    flag: char,
    summary: String,
}

fn ref_status(stdout: &str, target: &str) -> Option<RefStatus> {
    stdout.lines().find_map(|line| {
        let mut fields = line.splitn(3, '\t');
        let flag = fields.next()?.chars().next()?;
        let refs = fields.next()?;
        if !refs.ends_with(&format!(":{target}")) {
            return None;
        }
        Some(RefStatus {
            flag,
            summary: fields.next().unwrap_or_default().to_owned(),
        })
    })
}

/// Sorts a push that failed before any ref was updated into authentication, network or other failures.
fn classify_failure(remote: &str, args: &[&str], stderr: &str) -> GitError {
    let lower = stderr.to_lowercase();
    let detail = || {
        stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                l.trim_start_matches("fatal: ")
                    .trim_start_matches("error: ")
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    const AUTH: [&str; 10] = [
        "authentication failed",
        "could not read username",
        "could not read password",
        "terminal prompts disabled",
        "permission denied",
        "access denied",
        "invalid username or password",
        "returned error: 401",
        "returned error: 403",
        "host key verification failed",
    ];
    const NETWORK: [&str; 9] = [
        "could not resolve host",
        "could not resolve hostname",
        "connection refused",
        "failed to connect",
        "connection timed out",
        "operation timed out",
        "network is unreachable",
        "connection reset",
        "no route to host",
    ];
    if AUTH.iter().any(|p| lower.contains(p)) {
        GitError::PushAuth {
            remote: remote.to_owned(),
            detail: detail(),
        }
    } else if NETWORK.iter().any(|p| lower.contains(p)) {
        GitError::Network {
            remote: remote.to_owned(),
            detail: detail(),
        }
    } else {
        GitError::GitCommand {
            command: args.join(" "),
            stderr: detail(),
        }
    }
}

fn last_line(text: &str) -> Option<&str> {
    text.lines().rev().find(|l| !l.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn porcelain_lines_are_found_by_target_ref() {
        let out =
            "To /tmp/remote.git\n!\tabc:refs/heads/kata/x\t[rejected] (non-fast-forward)\nDone\n";
        let status = ref_status(out, "refs/heads/kata/x").unwrap();
        assert_eq!(status.flag, '!');
        assert_eq!(status.summary, "[rejected] (non-fast-forward)");
        assert!(ref_status(out, "refs/heads/kata/y").is_none());
    }

    #[test]
    fn failures_are_classified_by_message() {
        let auth = classify_failure(
            "origin",
            &["push"],
            "fatal: could not read Username for 'https://example.com': terminal prompts disabled\n",
        );
        assert_eq!(auth.code(), "push_auth");
        let net = classify_failure(
            "origin",
            &["push"],
            "fatal: unable to access 'http://127.0.0.1:1/r.git/': Failed to connect to 127.0.0.1 port 1\n",
        );
        assert_eq!(net.code(), "network");
        assert!(net.retryable());
        let other = classify_failure("origin", &["push"], "fatal: something else\n");
        assert_eq!(other.code(), "git_failure");
        assert_eq!(other.to_string(), "git push failed: something else");
    }
}
