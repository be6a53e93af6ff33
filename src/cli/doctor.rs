//! `doctor`: prints the application's checks.

use super::{Ctx, output};
use crate::app::doctor::CheckStatus;
use crate::cli::CliError;

pub fn run(ctx: &Ctx) -> Result<i32, CliError> {
    let app = ctx.app()?;
    let checks = app.doctor()?;
    if ctx.json {
        output::json(&checks, false)?;
    } else {
        let width = checks.iter().map(|c| c.name.len()).max().unwrap_or(0);
        for c in &checks {
            let mark = match c.status {
                CheckStatus::Ok => "ok  ",
                CheckStatus::Warn => "warn",
                CheckStatus::Fail => "FAIL",
            };
            let fix = c
                .remediation
                .as_deref()
                .map(|r| format!(" — {r}"))
                .unwrap_or_default();
            output::text(&format!("{mark}  {:<width$} {}{fix}", c.name, c.detail));
        }
    }
    Ok(if checks.iter().any(|c| c.status == CheckStatus::Fail) {
        1
    } else {
        0
    })
}
