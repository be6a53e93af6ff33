//! `run_command`: a shell command in the workspace, with a time limit, no stdin, a scrubbed environment
//! (an allow-list: no provider keys, no tokens) and its output captured and bounded as head and tail.

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt as _;

use super::error::ToolError;
use super::workspace::Workspace;

/// The longest a command may run when the model asks for no limit.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);
/// The longest any command may run.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// Bytes of output kept from the start and from the end (the middle is cut).
pub const OUTPUT_HEAD: usize = 8 * 1024;
pub const OUTPUT_TAIL: usize = 8 * 1024;

/// Environment variables a command inherits; everything else (keys, tokens, credentials) is dropped.
pub const ENV_ALLOW: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "SHELL",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "TMPDIR",
    "CARGO_HOME",
    "RUSTUP_HOME",
    "RUSTUP_TOOLCHAIN",
    "GOPATH",
    "GOROOT",
    "GOCACHE",
    "JAVA_HOME",
    "NODE_PATH",
    "NVM_DIR",
    "PYENV_ROOT",
    "VIRTUAL_ENV",
    "PYTHONPATH",
    "XDG_CACHE_HOME",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
];

/// The environment a command gets: the allow-listed variables of this process, plus a dumb terminal and
/// no interactive git prompts.
pub fn scrubbed_env() -> BTreeMap<String, String> {
    scrubbed_env_from(std::env::vars())
}

/// [`scrubbed_env`] of a given environment.
pub fn scrubbed_env_from(
    vars: impl IntoIterator<Item = (String, String)>,
) -> BTreeMap<String, String> {
    let mut env: BTreeMap<String, String> = vars
        .into_iter()
        .filter(|(k, _)| ENV_ALLOW.contains(&k.as_str()))
        .collect();
    env.insert("TERM".into(), "dumb".into());
    env.insert("NO_COLOR".into(), "1".into());
    env.insert("GIT_TERMINAL_PROMPT".into(), "0".into());
    env.insert("CI".into(), "1".into());
    env
}

/// Variables a command sees besides the allow-listed ones (set here, or by the shell itself).
pub const ENV_ADDED: &[&str] = &[
    "TERM",
    "NO_COLOR",
    "GIT_TERMINAL_PROMPT",
    "CI",
    "PWD",
    "SHLVL",
    "_",
    "OLDPWD",
];

/// How a command ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandResult {
    pub command: String,
    /// `None` when it was killed (time limit, cancelled) or died from a signal.
    pub exit_code: Option<i32>,
    pub timed_out: bool,
    /// stdout and stderr interleaved as they arrived, head and tail kept.
    pub output: String,
    /// Bytes of output in all (before cutting).
    pub output_bytes: u64,
    pub duration_ms: u64,
}

impl CommandResult {
    /// What the model sees.
    pub fn text(&self) -> String {
        let status = match (self.exit_code, self.timed_out) {
            (_, true) => "timed out (killed)".to_owned(),
            (Some(code), _) => format!("exit code {code}"),
            (None, _) => "killed by a signal".to_owned(),
        };
        format!(
            "$ {}\n{status} after {} ms\n{}",
            self.command, self.duration_ms, self.output
        )
    }

    pub fn succeeded(&self) -> bool {
        self.exit_code == Some(0) && !self.timed_out
    }
}

/// Runs `command` with `sh -c` in the workspace root. Cancelling `cancel` kills it (its whole process
/// group).
pub async fn run_command(
    ws: &Workspace,
    command: &str,
    timeout: Option<Duration>,
    cancel: &tokio_util::sync::CancellationToken,
) -> Result<CommandResult, ToolError> {
    ws.check_writable()?;
    if command.trim().is_empty() {
        return Err(ToolError::InvalidArguments {
            tool: "run_command".into(),
            reason: "command is empty".into(),
        });
    }
    let limit = timeout.unwrap_or(DEFAULT_TIMEOUT).min(MAX_TIMEOUT);
    let started = Instant::now();
    let mut child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(format!("exec 2>&1; {command}"))
        .current_dir(ws.root())
        .env_clear()
        .envs(scrubbed_env())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| ToolError::CommandNotStarted(e.to_string()))?;
    let pid = child.id();
    let mut stdout = child.stdout.take();
    let mut capture = Capture::default();
    let mut buf = vec![0u8; 16 * 1024];
    let deadline = tokio::time::sleep(limit);
    tokio::pin!(deadline);
    let mut timed_out = false;
    let mut cancelled = false;
    while let Some(out) = stdout.as_mut() {
        tokio::select! {
            read = out.read(&mut buf) => match read {
                Ok(0) | Err(_) => break,
                Ok(n) => capture.push(buf.get(..n).unwrap_or(&[])),
            },
            () = &mut deadline => { timed_out = true; break; }
            () = cancel.cancelled() => { cancelled = true; break; }
        }
    }
    if timed_out || cancelled {
        kill_group(pid);
    }
    let status = tokio::select! {
        status = child.wait() => status.ok(),
        () = tokio::time::sleep(Duration::from_secs(5)) => {
            kill_group(pid);
            child.wait().await.ok()
        }
    };
    Ok(CommandResult {
        command: command.to_owned(),
        exit_code: if timed_out || cancelled {
            None
        } else {
            status.and_then(|s| s.code())
        },
        timed_out,
        output: capture.text(),
        output_bytes: capture.total,
        duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    })
}

/// Kills a command's whole process group (it runs in its own, so its children go too).
fn kill_group(pid: Option<u32>) {
    let Some(pid) = pid else { return };
    // `kill -KILL -PGID`: no unsafe code and no extra dependency for one signal.
    let _ = std::process::Command::new("kill")
        .args(["-KILL", "--", &format!("-{pid}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Output kept as head and tail.
#[derive(Default)]
struct Capture {
    head: Vec<u8>,
    tail: std::collections::VecDeque<u8>,
    total: u64,
}

impl Capture {
    fn push(&mut self, bytes: &[u8]) {
        self.total += bytes.len() as u64;
        let room = OUTPUT_HEAD.saturating_sub(self.head.len());
        let (to_head, rest) = bytes.split_at(room.min(bytes.len()));
        self.head.extend_from_slice(to_head);
        for b in rest {
            if self.tail.len() == OUTPUT_TAIL {
                self.tail.pop_front();
            }
            self.tail.push_back(*b);
        }
    }

    fn text(&self) -> String {
        let head = String::from_utf8_lossy(&self.head).into_owned();
        if self.tail.is_empty() {
            return head;
        }
        let kept = (self.head.len() + self.tail.len()) as u64;
        let tail: Vec<u8> = self.tail.iter().copied().collect();
        let cut = self.total.saturating_sub(kept);
        let marker = if cut > 0 {
            format!("\n… {cut} bytes of output cut …\n")
        } else {
            String::new()
        };
        format!("{head}{marker}{}", String::from_utf8_lossy(&tail))
    }
}
