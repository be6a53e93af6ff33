//! Running the `git` program for what libgit2 should not do itself (talking to remotes with the user's own
//! credential helpers and SSH setup): never prompting, with a time limit, output collected.

use std::io::Read;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::error::GitError;

/// What a finished `git` run printed.
pub(crate) struct GitOutput {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// Outcome of a run: finished, or killed at the time limit.
pub(crate) enum GitRun {
    Finished(GitOutput),
    TimedOut { stderr: String },
}

/// Runs `git <args>` in `dir` without any prompt: no terminal prompts, SSH in batch mode (unless the user
/// configured their own SSH command), Git Credential Manager non-interactive, stdin closed, messages in
/// English for classification.
pub(crate) fn run_git(dir: &Path, args: &[&str], timeout: Duration) -> Result<GitRun, GitError> {
    let mut command = Command::new("git");
    command
        .current_dir(dir)
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GCM_INTERACTIVE", "never")
        .env("LC_ALL", "C")
        .env("LANGUAGE", "C")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if !user_configured_ssh(dir) {
        command.env("GIT_SSH_COMMAND", "ssh -o BatchMode=yes");
    }
    let mut child = command.spawn().map_err(|e| GitError::GitNotInstalled {
        detail: e.to_string(),
    })?;
    let stdout = drain("git-stdout", child.stdout.take())?;
    let stderr = drain("git-stderr", child.stderr.take())?;
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if started.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => {
                return Err(GitError::GitCommand {
                    command: args.join(" "),
                    stderr: e.to_string(),
                });
            }
        }
    };
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    Ok(match status {
        Some(status) => GitRun::Finished(GitOutput {
            status,
            stdout,
            stderr,
        }),
        None => GitRun::TimedOut { stderr },
    })
}

/// Reads a pipe to the end on a named thread (so neither pipe can fill up and block git).
fn drain(
    name: &str,
    pipe: Option<impl Read + Send + 'static>,
) -> Result<std::thread::JoinHandle<String>, GitError> {
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            String::from_utf8_lossy(&bytes).into_owned()
        })
        .map_err(|e| GitError::GitCommand {
            command: "git".to_owned(),
            stderr: format!("could not start a reader thread: {e}"),
        })
}

/// Whether the user chose how git runs SSH (then it is theirs to make non-interactive).
fn user_configured_ssh(dir: &Path) -> bool {
    if std::env::var_os("GIT_SSH_COMMAND").is_some() || std::env::var_os("GIT_SSH").is_some() {
        return true;
    }
    git2::Repository::discover(dir)
        .and_then(|r| r.config())
        .and_then(|c| c.get_string("core.sshCommand"))
        .is_ok()
}
