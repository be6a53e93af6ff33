//! `doctor`: what works, what does not, and what to do about it.

use serde::Serialize;

use super::{App, AppError};
use crate::provider::registry::{ProviderChoice, ProviderReport};
use crate::store::CURRENT_VERSION;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Ok,
    Warn,
    Fail,
}

/// One line of the report.
#[derive(Clone, Debug, Serialize)]
pub struct Check {
    pub name: String,
    pub status: CheckStatus,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remediation: Option<String>,
    /// For `provider ...` checks: configured?, default?, key source, base URL, model (never the key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<ProviderReport>,
}

fn check(
    name: &str,
    status: CheckStatus,
    detail: impl Into<String>,
    remediation: Option<&str>,
) -> Check {
    Check {
        name: name.to_owned(),
        status,
        detail: detail.into(),
        remediation: remediation.map(str::to_owned),
        provider: None,
    }
}

impl App {
    /// What works and what does not (store, recovery, quarantine, spaces, providers, git, display), each
    /// with what to do about it.
    pub fn doctor(&self) -> Result<Vec<Check>, AppError> {
        let mut checks = Vec::new();
        self.store_checks(&mut checks)?;
        self.space_checks(&mut checks)?;
        self.provider_checks(&mut checks);
        environment_checks(&mut checks);
        Ok(checks)
    }

    /// The store, what recovery did, quarantined records, runs marked live that no engine owns.
    fn store_checks(&self, checks: &mut Vec<Check>) -> Result<(), AppError> {
        let migration = self.store().migration();
        let mut store_detail = format!(
            "{} (schema {CURRENT_VERSION})",
            self.store().path().display()
        );
        if !migration.applied.is_empty() {
            store_detail.push_str(&format!("; migrated now: {}", migration.applied.join(", ")));
        }
        checks.push(check("store", CheckStatus::Ok, store_detail, None));

        let rec = self.reconciled();
        checks.push(check(
        "recovery",
        CheckStatus::Ok,
        format!(
            "{} run(s) and {} task(s) left live by a stopped engine were marked interrupted; {} run(s) are live in another process",
            rec.runs.len(),
            rec.tasks,
            rec.owned_elsewhere.len()
        ),
        None,
    ));

        let (quarantined, runs, active) = self
            .store()
            .read(|rx| Ok((rx.quarantine()?, rx.runs()?, rx.active_runs()?)))?;
        if quarantined.is_empty() {
            checks.push(check(
                "quarantine",
                CheckStatus::Ok,
                "no damaged records",
                None,
            ));
        }
        for q in &quarantined {
            checks.push(check(
            "quarantine",
            CheckStatus::Warn,
            format!(
                "{} record {:?} could not be read ({}); moved aside at {}",
                q.table, q.key, q.reason, q.quarantined_at
            ),
            Some("The rest of the store is unaffected. The damaged bytes are kept in the quarantine table."),
        ));
        }
        let unindexed: Vec<String> = runs
            .iter()
            .filter(|r| r.status.is_active() && !active.iter().any(|(id, _)| id == &r.id))
            .map(|r| r.id.to_string())
            .collect();
        if !unindexed.is_empty() {
            checks.push(check(
                "live runs",
                CheckStatus::Warn,
                format!(
                    "runs marked live but not owned by any engine: {}",
                    unindexed.join(", ")
                ),
                Some("Resume or cancel them; please report this."),
            ));
        }

        Ok(())
    }

    /// Spaces whose folder is gone.
    fn space_checks(&self, checks: &mut Vec<Check>) -> Result<(), AppError> {
        let spaces = self.store().read(|rx| rx.spaces())?;
        for space in &spaces {
            if !space.root_path.is_dir() {
                checks.push(check(
                "space",
                CheckStatus::Warn,
                format!("{} ({}): {} is gone", space.name, space.id, space.root_path.display()),
                Some("Restore the directory or link the new location with `kata-cloud space relink ID PATH`."),
            ));
                continue;
            }
            match self.orphaned_worktrees(space) {
                Ok(orphans) => {
                    for orphan in orphans {
                        checks.push(check(
                            "worktree",
                            CheckStatus::Warn,
                            format!(
                                "{}: {} ({}) belongs to no session",
                                space.name,
                                orphan.path.display(),
                                orphan.branch.as_deref().unwrap_or("no branch")
                            ),
                            Some("Remove it with `git worktree remove` (unlock it first if it is locked) once nothing in it is needed."),
                        ));
                    }
                }
                Err(e) => checks.push(check(
                    "worktree",
                    CheckStatus::Warn,
                    format!("{}: cannot list its worktrees ({e})", space.name),
                    None,
                )),
            }
        }

        Ok(())
    }

    /// Each provider: configured or not, key source, base URL, model, default.
    fn provider_checks(&self, checks: &mut Vec<Check>) {
        for choice in ProviderChoice::ALL {
            let report = self.providers().report(choice);
            let mut detail = match choice {
                ProviderChoice::Offline => "built in, deterministic".to_owned(),
                _ if report.configured => format!("configured · key: {}", report.key_source),
                _ => format!("not configured · key: {}", report.key_source),
            };
            if let Some(base) = &report.base_url {
                detail.push_str(&format!(" · base URL: {base}"));
            }
            detail.push_str(&format!(" · model: {}", report.model));
            if report.default {
                detail.push_str(" (default)");
            }
            let status = if report.configured {
                CheckStatus::Ok
            } else {
                CheckStatus::Warn
            };
            let mut c = check(
                &format!("provider {choice}"),
                status,
                detail,
                report.remediation.as_deref().filter(|_| !report.configured),
            );
            c.provider = Some(report);
            checks.push(c);
        }
    }
}

/// git and the display.
fn environment_checks(checks: &mut Vec<Check>) {
    checks.push(check(
        "git",
        CheckStatus::Ok,
        format!("libgit2 {:?}", git2::Version::get().libgit2_version()),
        None,
    ));

    let display = std::env::var_os("WAYLAND_DISPLAY")
        .map(|d| format!("Wayland {}", d.to_string_lossy()))
        .or_else(|| std::env::var_os("DISPLAY").map(|d| format!("X11 {}", d.to_string_lossy())));
    checks.push(match display {
    Some(d) => check("display", CheckStatus::Ok, d, None),
    None => check(
        "display",
        CheckStatus::Warn,
        "no DISPLAY or WAYLAND_DISPLAY: the window cannot open here",
        Some("Run from a desktop session, or use `xvfb-run kata-cloud` on a headless machine; headless commands work anyway."),
    ),
});
}
