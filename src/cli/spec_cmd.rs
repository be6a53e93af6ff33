//! `spec show` and `spec apply`.

use super::resolve::unknown_run;
use super::{Ctx, SpecCommand, output};
use crate::cli::CliError;
use crate::context::SourceChecker;
use crate::history;
use crate::model::{RunId, SessionId, SpecRecord};

pub fn run(ctx: &Ctx, command: SpecCommand) -> Result<i32, CliError> {
    let engine = ctx.engine()?;
    let spec = match command {
        SpecCommand::Show { session } => {
            let id = SessionId::new(session.as_str());
            let (found, spec) = engine
                .store
                .read(|rx| Ok((rx.session(&id)?, rx.spec(&id)?)))?;
            let Some(found) = found else {
                return Err(CliError::usage(format!(
                    "no session {session:?}{}: `kata-cloud --json runs list` shows the session_id of each run",
                    crate::model::ids::wrong_kind_hint(&session, "a session")
                )));
            };
            spec.unwrap_or(SpecRecord {
                session_id: id,
                content: String::new(),
                revision: 0,
                applied_from_run: None,
                updated_at: found.created_at,
            })
        }
        SpecCommand::Apply { run_id, force } => {
            let id = RunId::new(run_id.as_str());
            let view = history::run_view(&engine.store, &SourceChecker::new(), &id)?
                .ok_or_else(|| unknown_run(&run_id))?;
            if view.run.draft.is_none() {
                return Err(CliError::usage(format!(
                    "run {run_id} has no draft (it is {}); apply a run that drafted a spec",
                    view.run.status
                )));
            }
            if view.stale.is_stale && !force {
                let reasons: Vec<String> = view
                    .stale
                    .reasons
                    .iter()
                    .map(|r| format!("{}: {}", r.kind.as_str(), r.detail))
                    .collect();
                return Err(CliError::usage(format!(
                    "the draft of run {run_id} is stale ({}); pass --force to apply it anyway",
                    reasons.join("; ")
                )));
            }
            crate::specs::apply_draft(&engine.store, &id, engine.clock.now())?
        }
    };
    if ctx.json {
        output::json(&spec, false)?;
    } else if spec.content.is_empty() {
        output::text("the spec is empty: apply a run's draft with `kata-cloud spec apply RUN_ID`");
    } else {
        output::text(&spec.content);
    }
    Ok(0)
}
