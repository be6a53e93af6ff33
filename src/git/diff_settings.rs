//! The git configuration that changes what `git status` and `git diff` print, read once per operation so our
//! answers equal git's on the same repository.

use git2::{Config, Repository};

/// Whether and how renames are detected (`diff.renames` / `status.renames`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RenameMode {
    Off,
    Renames,
    /// Renames and copies (from modified files, as `-C` does).
    Copies,
}

/// Diff settings from the repository's configuration (local, global, system), with git's defaults.
#[derive(Clone, Debug)]
pub(crate) struct DiffSettings {
    pub diff_renames: RenameMode,
    pub status_renames: RenameMode,
    pub diff_rename_limit: usize,
    pub status_rename_limit: usize,
    pub context_lines: u32,
    pub interhunk_lines: u32,
    pub indent_heuristic: bool,
    pub patience: bool,
    pub minimal: bool,
    /// `core.quotePath`: quote bytes >= 0x80 in path names.
    pub quote_path: bool,
    /// `core.abbrev` when set to a number (or `no` → 40); `None` for git's automatic length.
    pub abbrev: Option<usize>,
}

/// git's default `diff.renameLimit`.
const DEFAULT_RENAME_LIMIT: usize = 1000;

impl DiffSettings {
    pub(crate) fn read(repo: &Repository) -> DiffSettings {
        let Ok(config) = repo.config().and_then(|mut c| c.snapshot()) else {
            return DiffSettings::defaults();
        };
        let diff_renames = rename_mode(&config, "diff.renames").unwrap_or(RenameMode::Renames);
        let status_renames = rename_mode(&config, "status.renames").unwrap_or(diff_renames);
        let diff_rename_limit = limit(&config, "diff.renameLimit").unwrap_or(DEFAULT_RENAME_LIMIT);
        let status_rename_limit = limit(&config, "status.renameLimit").unwrap_or(diff_rename_limit);
        let algorithm = config
            .get_string("diff.algorithm")
            .unwrap_or_default()
            .to_ascii_lowercase();
        DiffSettings {
            diff_renames,
            status_renames,
            diff_rename_limit,
            status_rename_limit,
            context_lines: config
                .get_i64("diff.context")
                .ok()
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(3),
            interhunk_lines: config
                .get_i64("diff.interHunkContext")
                .ok()
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(0),
            indent_heuristic: config.get_bool("diff.indentHeuristic").unwrap_or(true),
            // libgit2 has no histogram algorithm; patience is its closest.
            patience: matches!(algorithm.as_str(), "patience" | "histogram"),
            minimal: algorithm == "minimal",
            quote_path: config.get_bool("core.quotePath").unwrap_or(true),
            abbrev: abbrev(&config),
        }
    }

    fn defaults() -> DiffSettings {
        DiffSettings {
            diff_renames: RenameMode::Renames,
            status_renames: RenameMode::Renames,
            diff_rename_limit: DEFAULT_RENAME_LIMIT,
            status_rename_limit: DEFAULT_RENAME_LIMIT,
            context_lines: 3,
            interhunk_lines: 0,
            indent_heuristic: true,
            patience: false,
            minimal: false,
            quote_path: true,
            abbrev: None,
        }
    }

    /// libgit2 diff options carrying these settings (hunk shape only; the caller adds what to compare).
    pub(crate) fn diff_options(&self) -> git2::DiffOptions {
        let mut options = git2::DiffOptions::new();
        options
            .context_lines(self.context_lines)
            .interhunk_lines(self.interhunk_lines)
            .indent_heuristic(self.indent_heuristic)
            .patience(self.patience)
            .minimal(self.minimal)
            .include_typechange(false)
            .ignore_submodules(false);
        options
    }
}

fn rename_mode(config: &Config, key: &str) -> Option<RenameMode> {
    let value = config.get_string(key).ok()?;
    Some(match value.trim().to_ascii_lowercase().as_str() {
        "copies" | "copy" => RenameMode::Copies,
        "false" | "no" | "off" | "0" => RenameMode::Off,
        _ => RenameMode::Renames,
    })
}

fn limit(config: &Config, key: &str) -> Option<usize> {
    let n = config.get_i64(key).ok()?;
    // git treats 0 (and negatives) as "no limit", which it caps at 32767.
    Some(if n <= 0 {
        32767
    } else {
        usize::try_from(n).ok()?
    })
}

fn abbrev(config: &Config) -> Option<usize> {
    let value = config.get_string("core.abbrev").ok()?;
    let value = value.trim().to_ascii_lowercase();
    match value.as_str() {
        "auto" => None,
        "no" | "false" | "off" => Some(40),
        number => number.parse::<usize>().ok().map(|n| n.clamp(4, 40)),
    }
}
