//! The headless CLI (the contract in docs/CLI.md): argument parsing, dispatch, output and exit codes.
//!
//! Every command opens the engine first, which reconciles the store before anything reads it. `--json`
//! prints one JSON document on stdout (JSON Lines for `run` and `runs resume`); human output otherwise.
//! Errors are one line on stderr; nothing is printed on stdout when a command fails.

pub mod changes_cmd;
pub mod context_cmd;
pub mod doctor;
pub mod error;
pub mod key_cmd;
pub mod merge_cmd;
pub mod models_cmd;
pub mod output;
pub mod pr_cmd;
pub mod run_cmd;
pub mod runs_cmd;
pub mod session_cmd;
pub mod space_cmd;
pub mod spec_cmd;
pub mod wording;

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};

use crate::app::App;
use crate::model::{ContextProviderKind, SharedClock, SystemClock};
use crate::orchestrator::EngineConfig;
use crate::provider::ProviderRegistry;
use crate::provider::registry::ProviderSettings;

pub use error::{CliError, Exit};

#[derive(Debug, Parser)]
#[command(
    name = "kata-cloud",
    version,
    about = "Orchestrate AI coding agents over a living spec. Without a command, opens the desktop window."
)]
pub struct Cli {
    /// Where the store and indexes live (default: the platform data directory).
    #[arg(long, global = true, env = "KATA_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Machine output: one JSON document on stdout (JSON Lines for streaming commands).
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the desktop window.
    Gui(GuiArgs),
    /// Link directories and list linked spaces.
    #[command(subcommand)]
    Space(SpaceCommand),
    /// A space's sessions: new, list, rename, archive, unarchive, and their worktrees.
    #[command(subcommand)]
    Session(SessionCommand),
    /// A session's changes: status, diff, stage, unstage, discard, commit, message, merge, update, pr.
    #[command(subcommand)]
    Changes(ChangesCommand),
    /// Start a run and wait for its terminal state.
    Run(RunArgs),
    /// Run history: list, show, resume, cancel.
    #[command(subcommand)]
    Runs(RunsCommand),
    /// Retrieve context without a run.
    #[command(subcommand)]
    Context(ContextCommand),
    /// Read a session's spec, its history, or apply a run's draft to it.
    #[command(subcommand)]
    Spec(SpecCommand),
    /// Check the store, providers, git and display.
    Doctor,
    /// Store or remove a provider's API key (OS keyring, else a 0600 file in the data directory).
    #[command(subcommand)]
    Key(KeyCommand),
    /// List the models a provider offers (default: the default provider).
    Models {
        /// offline, anthropic, openai or openai-compatible.
        #[arg(long)]
        provider: Option<String>,
    },
}

#[derive(Debug, Args, Default)]
pub struct GuiArgs {
    /// Close the window after this many frames (for smoke tests).
    #[arg(long, value_name = "N")]
    pub exit_after_frames: Option<u64>,
    /// Save a screenshot of the last frame to this PNG before exiting.
    #[arg(long, value_name = "PNG")]
    pub screenshot: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum SpaceCommand {
    /// Link a directory (a git repository or a plain directory).
    Add {
        path: PathBuf,
        /// Display name (default: the directory name).
        #[arg(long)]
        name: Option<String>,
        /// Where runs in this space get context.
        #[arg(long, value_parser = parse_context_provider)]
        context_provider: Option<ContextProviderKind>,
        /// Command that starts the space's MCP server over stdio (implies --context-provider mcp).
        #[arg(long, value_name = "CMD")]
        mcp_command: Option<String>,
        /// The command the verifier runs to check the work (default: from the spec's Verification Plan,
        /// or detected: cargo test, npm test, pytest, go test ./...).
        #[arg(long, value_name = "CMD")]
        check_command: Option<String>,
        /// What agents may do without asking: read-only, ask (default) or auto.
        #[arg(long, value_name = "MODE", value_parser = parse_approval_mode)]
        approval: Option<crate::model::ApprovalMode>,
    },
    /// List linked spaces.
    List,
    /// Point a space at its folder's new location (the space keeps its sessions and history).
    Relink {
        /// The space's id (or the path it was linked with).
        space: String,
        /// The folder's new location.
        path: PathBuf,
    },
    /// Remove a space from the list; its runs stay in the history.
    Remove {
        /// The space's id (or linked path).
        space: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum SessionCommand {
    /// Start a new session in a space.
    New {
        #[arg(long, value_name = "PATH_OR_ID")]
        space: String,
        /// Its name (default: "Session N").
        #[arg(long)]
        name: Option<String>,
    },
    /// A space's sessions, most recently used first.
    List {
        #[arg(long, value_name = "PATH_OR_ID")]
        space: String,
        /// Include archived sessions.
        #[arg(long)]
        all: bool,
    },
    /// Rename a session.
    Rename {
        /// The session's id (or its current name, with --space).
        session: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_name = "PATH_OR_ID")]
        space: Option<String>,
    },
    /// Archive a session: its history stays; it leaves the lists. Its worktree stays until pruned.
    Archive {
        session: String,
        #[arg(long, value_name = "PATH_OR_ID")]
        space: Option<String>,
        /// Archive even with uncommitted work in the worktree: the work is committed to the session branch
        /// first and the worktree removed (the branch stays).
        #[arg(long)]
        force: bool,
    },
    /// Bring an archived session back (its worktree is recreated if it was removed).
    Unarchive {
        session: String,
        #[arg(long, value_name = "PATH_OR_ID")]
        space: Option<String>,
    },
    /// Accept the session branch's current tip (commits made outside Kata Cloud) as the session's own.
    Rebind {
        session: String,
        #[arg(long, value_name = "PATH_OR_ID")]
        space: Option<String>,
    },
    /// Re-add the session's missing worktree folder on its existing branch.
    Recreate {
        session: String,
        #[arg(long, value_name = "PATH_OR_ID")]
        space: Option<String>,
    },
    /// Set the session's approval mode (read-only, ask, auto), or `default` to follow the space's.
    Mode {
        session: String,
        mode: String,
        #[arg(long, value_name = "PATH_OR_ID")]
        space: Option<String>,
    },
    /// The session's allow-list (what "Always" answers allowed); --remove takes a pattern off it.
    Allowed {
        session: String,
        #[arg(long, value_name = "PATTERN")]
        remove: Option<String>,
        #[arg(long, value_name = "PATH_OR_ID")]
        space: Option<String>,
    },
    /// Remove the worktrees of a space's archived sessions that are clean (their branches stay).
    Prune {
        #[arg(long, value_name = "PATH_OR_ID")]
        space: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ChangesCommand {
    /// Staged and unstaged files of the session's worktree, with status and +/- counts.
    Status {
        #[arg(long)]
        session: String,
    },
    /// A unified diff: unstaged (default), staged (--staged), or the whole session against its base.
    Diff {
        #[arg(long)]
        session: String,
        /// Only this file.
        path: Option<String>,
        /// Staged changes (HEAD → index).
        #[arg(long, conflicts_with = "against")]
        staged: bool,
        /// `base`: everything the session changed since its base commit.
        #[arg(long, value_name = "base")]
        against: Option<String>,
    },
    /// Stage a file, or one hunk of it (--hunk N with its header from `changes diff`).
    Stage {
        #[arg(long)]
        session: String,
        path: String,
        #[arg(long, value_name = "N", requires = "header")]
        hunk: Option<usize>,
        #[arg(long, value_name = "HEADER")]
        header: Option<String>,
    },
    /// Unstage a file, or one hunk of it.
    Unstage {
        #[arg(long)]
        session: String,
        path: String,
        #[arg(long, value_name = "N", requires = "header")]
        hunk: Option<usize>,
        #[arg(long, value_name = "HEADER")]
        header: Option<String>,
    },
    /// Throw away a file's unstaged change (an untracked file is deleted).
    Discard {
        #[arg(long)]
        session: String,
        path: String,
    },
    /// Commit what is staged to the session branch (the message drafted from the spec unless -m is given).
    Commit {
        #[arg(long)]
        session: String,
        /// The commit message (default: the draft `changes message` prints).
        #[arg(short = 'm', long = "message")]
        message: Option<String>,
    },
    /// Print the commit message drafted from the spec's goal, the tasks done and the files to commit.
    Message {
        #[arg(long)]
        session: String,
    },
    /// Merge the session branch into its base branch in your repository (refused on conflicts).
    Merge {
        #[arg(long)]
        session: String,
        /// One commit with the session's whole change (message drafted from the spec unless -m is given).
        #[arg(long)]
        squash: bool,
        /// The merge or squash commit's message.
        #[arg(short = 'm', long = "message")]
        message: Option<String>,
    },
    /// Bring the base branch's new commits into the session branch (a merge commit, or --rebase).
    Update {
        #[arg(long)]
        session: String,
        /// Replay the session's commits on the base instead of merging (a pushed branch then needs
        /// `changes pr create --force-with-lease`).
        #[arg(long)]
        rebase: bool,
    },
    /// The session's pull request on GitHub: draft, create (push and open or update), show.
    #[command(subcommand)]
    Pr(PrCommand),
}

#[derive(Debug, Subcommand)]
pub enum PrCommand {
    /// Print the drafted title and body (secrets redacted) without pushing anything.
    Draft {
        #[arg(long)]
        session: String,
    },
    /// Push the session branch and open its pull request; run again to push and update the same one.
    Create {
        #[arg(long)]
        session: String,
        /// Open the pull request as a draft (only when it is created).
        #[arg(long)]
        draft: bool,
        /// The title (default: drafted from the spec).
        #[arg(long)]
        title: Option<String>,
        /// A file with the body (default: drafted from the spec, the change and its provenance).
        #[arg(long, value_name = "FILE")]
        body_file: Option<PathBuf>,
        /// The git remote to push to.
        #[arg(long, default_value = "origin")]
        remote: String,
        /// Replace the remote branch if it is where it was last pushed (after `changes update --rebase`).
        #[arg(long)]
        force_with_lease: bool,
    },
    /// The pull request's number, URL, state and checks (or that the branch is pushed without one).
    Show {
        #[arg(long)]
        session: String,
    },
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The space: an id, or a directory path (linked on first use).
    #[arg(long, value_name = "PATH_OR_ID")]
    pub space: String,
    /// What to do; `-` reads it from stdin.
    #[arg(
        long,
        required_unless_present = "prompt_file",
        conflicts_with = "prompt_file"
    )]
    pub prompt: Option<String>,
    /// Read the prompt from this file (for prompts longer than a command line allows).
    #[arg(long, value_name = "FILE")]
    pub prompt_file: Option<PathBuf>,
    /// The session, by id or name (default: the space's most recently used one, created if none).
    #[arg(long)]
    pub session: Option<String>,
    /// offline, anthropic, openai or openai-compatible.
    #[arg(long)]
    pub provider: Option<String>,
    /// Model name for the provider.
    #[arg(long)]
    pub model: Option<String>,
    #[arg(long, value_parser = parse_context_provider)]
    pub context_provider: Option<ContextProviderKind>,
    /// Start the run in a background process and return at once.
    #[arg(long)]
    pub detach: bool,
    /// The offline provider follows this JSON script of tool calls per task (see docs/PROVIDERS.md);
    /// like KATA_OFFLINE_SCRIPT, and kept with the run so a resume follows it too.
    #[arg(long, value_name = "FILE")]
    pub script: Option<PathBuf>,
    /// Carry out this task of the session's spec alone (its id, `sN`, from `spec show`).
    #[arg(long, value_name = "TASK_ID")]
    pub spec_task: Option<String>,
    /// Use this id for the new run (used by --detach to follow its worker).
    #[arg(long, hide = true)]
    pub run_id: Option<String>,
    /// Grant every permission request once (deny-listed commands are refused instead).
    #[arg(long, conflicts_with_all = ["deny", "ask"])]
    pub yes: bool,
    /// Refuse every permission request; the agents are told so.
    #[arg(long, conflicts_with_all = ["yes", "ask"])]
    pub deny: bool,
    /// Requests wait for an answer from the window or `runs approve|deny` (the default).
    #[arg(long, conflicts_with_all = ["yes", "deny"])]
    pub ask: bool,
}

impl RunArgs {
    /// The permission policy the flags give (`None`: the default, ask).
    pub fn permission_policy(&self) -> Option<crate::model::PermissionPolicy> {
        use crate::model::PermissionPolicy;
        if self.yes {
            Some(PermissionPolicy::Yes)
        } else if self.deny {
            Some(PermissionPolicy::Deny)
        } else if self.ask {
            Some(PermissionPolicy::Ask)
        } else {
            None
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum RunsCommand {
    /// Run history, newest first.
    List {
        #[arg(long, value_name = "ID")]
        space: Option<String>,
        #[arg(long, value_name = "ID")]
        session: Option<String>,
    },
    /// One run in full, with derived staleness.
    Show { run_id: String },
    /// Continue an interrupted run; completed tasks are not run again.
    Resume {
        run_id: String,
        /// Resume in a background process and return at once.
        #[arg(long)]
        detach: bool,
    },
    /// Cancel a live run.
    Cancel { run_id: String },
    /// Grant a waiting permission request (once, or --always: its pattern joins the session's allow-list).
    Approve {
        run_id: String,
        request_id: String,
        #[arg(long)]
        always: bool,
    },
    /// Refuse a waiting permission request; the agent is told, with your feedback.
    Deny {
        run_id: String,
        request_id: String,
        /// Sent to the agent with the refusal.
        #[arg(long, value_name = "TEXT")]
        feedback: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Store the key read from stdin (never printed).
    Set {
        /// anthropic, openai or openai-compatible.
        #[arg(long)]
        provider: String,
    },
    /// Remove the stored key (the environment variable, if set, still wins).
    Delete {
        #[arg(long)]
        provider: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ContextCommand {
    /// Retrieve context for a prompt.
    Query {
        #[arg(long, value_name = "PATH_OR_ID")]
        space: String,
        #[arg(long)]
        prompt: String,
        /// 1 to 100. Signed so that a negative value gets the same range message as 0.
        #[arg(long, default_value_t = crate::context::DEFAULT_LIMIT as i64, allow_negative_numbers = true)]
        limit: i64,
        #[arg(long, value_parser = parse_context_provider)]
        provider: Option<ContextProviderKind>,
    },
}

#[derive(Debug, Subcommand)]
pub enum SpecCommand {
    /// Print a session's spec (or one of its revisions).
    Show {
        #[arg(long)]
        session: String,
        /// Print this revision instead of the current one.
        #[arg(long, value_name = "N")]
        revision: Option<u64>,
    },
    /// Make a run's draft the session's spec.
    Apply {
        run_id: String,
        /// Apply even when the draft is stale.
        #[arg(long)]
        force: bool,
    },
    /// Every revision of a session's spec, oldest first.
    History {
        #[arg(long)]
        session: String,
    },
    /// Mark one task of the spec done, or open again when it is done; only its line changes.
    Toggle {
        /// The task's id (`sN`, shown as `<!-- sN -->` at the end of its line).
        task_id: String,
        #[arg(long)]
        session: String,
        /// Set this mark instead of toggling: open, in-progress or done.
        #[arg(long, value_parser = parse_mark)]
        mark: Option<crate::model::TaskMark>,
    },
    /// Edit the spec in $EDITOR (or save the contents of --file) as a new revision.
    Edit {
        #[arg(long)]
        session: String,
        /// Take the new spec from this file instead of opening an editor.
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
        /// The revision the file was written from (default: the current one); marks runs ticked since are
        /// kept.
        #[arg(long, value_name = "N")]
        base: Option<u64>,
    },
    /// A unified diff between two revisions (0 is the empty spec).
    Diff {
        from: u64,
        to: u64,
        #[arg(long)]
        session: String,
    },
}

fn parse_mark(s: &str) -> Result<crate::model::TaskMark, String> {
    use crate::model::TaskMark;
    match s {
        "open" | " " => Ok(TaskMark::Open),
        "in-progress" | "in_progress" | "/" => Ok(TaskMark::InProgress),
        "done" | "x" => Ok(TaskMark::Done),
        other => Err(format!(
            "{other:?} is not a mark: use open, in-progress or done"
        )),
    }
}

fn parse_context_provider(s: &str) -> Result<ContextProviderKind, String> {
    s.parse()
}

fn parse_approval_mode(s: &str) -> Result<crate::model::ApprovalMode, String> {
    crate::model::ApprovalMode::parse(s)
        .ok_or_else(|| format!("{s:?} is not an approval mode: use read-only, ask or auto"))
}

/// What every command shares: where the store is, how to print, and the engine's settings.
pub struct Ctx {
    pub data_dir: PathBuf,
    pub json: bool,
    pub clock: SharedClock,
    pub providers: ProviderRegistry,
}

impl Ctx {
    /// What the application is opened with.
    pub fn config(&self) -> EngineConfig {
        EngineConfig {
            data_dir: self.data_dir.clone(),
            clock: self.clock.clone(),
            providers: self.providers.clone(),
        }
    }

    /// Opens the application: the store, reconciled (every command starts here).
    pub fn app(&self) -> Result<App, CliError> {
        Ok(App::open(self.config())?)
    }
}

/// The platform data directory (`~/.local/share/kata-cloud` on Linux).
pub fn default_data_dir() -> PathBuf {
    directories::ProjectDirs::from("", "", "kata-cloud")
        .map(|d| d.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".kata-cloud"))
}

/// What the binary should do after parsing.
pub enum Parsed {
    Gui {
        ctx: Ctx,
        args: GuiArgs,
    },
    Headless {
        ctx: Ctx,
        command: Command,
    },
    /// Help or version text was printed.
    Done(i32),
}

/// Parses arguments; usage errors become one line on stderr and exit code 2.
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Parsed, CliError> {
    let args: Vec<OsString> = args.into_iter().collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion)
                || e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            {
                let _ = e.print();
                let code = if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                    2
                } else {
                    0
                };
                return Ok(Parsed::Done(code));
            }
            if e.kind() == ErrorKind::InvalidUtf8 {
                return Err(not_utf8_argument(&args));
            }
            let rendered = e.render().to_string();
            let mut lines = rendered.lines().filter(|l| !l.trim().is_empty());
            let mut first = lines
                .next()
                .unwrap_or("invalid arguments")
                .trim()
                .trim_start_matches("error: ")
                .to_owned();
            // "the following required arguments were not provided:" names them on the next lines.
            if first.ends_with(':') {
                let named: Vec<&str> = lines
                    .take_while(|l| l.starts_with(' ') && !l.trim_start().starts_with("Usage"))
                    .map(str::trim)
                    .collect();
                if !named.is_empty() {
                    first = format!("{} {}", first, named.join(", "));
                }
            }
            if first.contains("'--data-dir <DIR>'")
                && std::env::var_os("KATA_DATA_DIR").is_some_and(|v| v.is_empty())
            {
                return Err(CliError::usage(
                    "KATA_DATA_DIR is set but empty: set it to a directory, or unset it to use the default",
                ));
            }
            return Err(CliError::usage(format!(
                "{first} (see `kata-cloud --help`)"
            )));
        }
    };
    let data_dir = cli.data_dir.unwrap_or_else(default_data_dir);
    let ctx = Ctx {
        providers: ProviderRegistry::new(ProviderSettings::from_env().with_data_dir(&data_dir)),
        data_dir,
        json: cli.json,
        clock: Arc::new(SystemClock),
    };
    Ok(match cli.command {
        None => Parsed::Gui {
            ctx,
            args: GuiArgs::default(),
        },
        Some(Command::Gui(args)) => Parsed::Gui { ctx, args },
        Some(command) => Parsed::Headless { ctx, command },
    })
}

/// Names the first argument that is not valid UTF-8 (and the flag it belongs to), which clap does not.
fn not_utf8_argument(args: &[OsString]) -> CliError {
    let found = args
        .windows(2)
        .find(|pair| pair.get(1).is_some_and(|a| a.to_str().is_none()));
    let Some((previous, bad)) = found.and_then(|pair| Some((pair.first()?, pair.get(1)?))) else {
        return CliError::usage("an argument is not valid UTF-8: pass text arguments as UTF-8");
    };
    let shown = bad.to_string_lossy();
    let message = match previous.to_str() {
        Some(flag) if flag.starts_with("--") => {
            format!("the value of {flag} ({shown:?}) is not valid UTF-8: pass it as UTF-8 text")
        }
        _ => format!("the argument {shown:?} is not valid UTF-8: pass it as UTF-8 text"),
    };
    CliError::usage(message)
}

/// Runs a headless command; returns the process exit code.
pub fn run_headless(ctx: &Ctx, command: Command) -> i32 {
    // redb panics on some damaged files instead of returning an error: that is a store that cannot be
    // used (exit 3, one line saying what to do), not a crash.
    crate::diagnostics::catch_store_panics();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| dispatch(ctx, command)));
    match (result, crate::diagnostics::take_store_panic()) {
        (Ok(Err(e)), _) if e.exit == Exit::Store => report(&e),
        (_, Some(reason)) => {
            report(&crate::store::StoreError::damaged_file(&ctx.data_dir, &reason).into())
        }
        (Ok(Ok(code)), None) => code,
        (Ok(Err(e)), None) => report(&e),
        // A bug: the panic hook has printed one line already; keep to the contract's exit codes.
        (Err(_), None) => Exit::Failed as i32,
    }
}

fn dispatch(ctx: &Ctx, command: Command) -> Result<i32, CliError> {
    match command {
        Command::Gui(_) => Err(CliError::usage("the window is opened by `kata-cloud gui`")),
        Command::Space(cmd) => space_cmd::run(ctx, cmd),
        Command::Session(cmd) => session_cmd::run(ctx, cmd),
        Command::Changes(cmd) => changes_cmd::run(ctx, cmd),
        Command::Run(args) => run_cmd::run(ctx, args),
        Command::Runs(cmd) => runs_cmd::run(ctx, cmd),
        Command::Context(cmd) => context_cmd::run(ctx, cmd),
        Command::Spec(cmd) => spec_cmd::run(ctx, cmd),
        Command::Doctor => doctor::run(ctx),
        Command::Key(cmd) => key_cmd::run(ctx, cmd),
        Command::Models { provider } => models_cmd::run(ctx, provider.as_deref()),
    }
}

/// Prints a failure as one line on stderr and returns its exit code.
pub fn report(e: &CliError) -> i32 {
    let line = e.message.replace('\n', " ");
    eprintln!("error: {}", output::terminal_safe(&line));
    e.exit as i32
}
