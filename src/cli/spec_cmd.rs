//! `spec show` and `spec apply`.

use super::resolve::unknown_run;
use super::{Ctx, SpecCommand, output};
use crate::cli::CliError;
use crate::context::SourceChecker;
use crate::history;
use crate::model::{RunId, SessionId, SpecRecord};
use crate::store::StoreError;

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
            let now = engine.clock.now();
            engine.store.write(|tx| {
                let mut run = tx.existing_run(&id)?;
                let Some(draft) = run.draft.as_mut() else {
                    return Err(StoreError::NotFound {
                        kind: "draft",
                        id: id.to_string(),
                    });
                };
                let current = tx.spec(&run.session_id)?;
                // Applying the draft that is already the spec changes nothing (no new revision).
                if let Some(spec) = current.as_ref().filter(|s| {
                    s.applied_from_run.as_ref() == Some(&id) && s.content == draft.content
                }) {
                    return Ok(spec.clone());
                }
                draft.applied_at = Some(now);
                draft.apply_error = None;
                let content = draft.content.clone();
                let revision = current.map_or(0, |s| s.revision) + 1;
                let spec = SpecRecord {
                    session_id: run.session_id.clone(),
                    content,
                    revision,
                    applied_from_run: Some(id.clone()),
                    updated_at: now,
                };
                tx.put_spec(&spec)?;
                tx.put_run(&run)?;
                Ok(spec)
            })?
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
