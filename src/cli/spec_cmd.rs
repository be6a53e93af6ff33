//! `spec show`, `spec apply`, `spec history`.

use super::{Ctx, SpecCommand, output};
use crate::cli::CliError;
use crate::model::RunId;

pub fn run(ctx: &Ctx, command: SpecCommand) -> Result<i32, CliError> {
    let app = ctx.app()?;
    let spec = match command {
        SpecCommand::Show { session } => app.show_spec(&session)?,
        SpecCommand::Apply { run_id, force } => {
            app.apply_draft(&RunId::new(run_id.as_str()), force)?
        }
        SpecCommand::History { session } => {
            let revisions = app.spec_history(&session)?;
            if ctx.json {
                output::json(&revisions, false)?;
            } else if revisions.is_empty() {
                output::text("the spec has no revisions yet");
            } else {
                for spec in &revisions {
                    let from = spec.applied_from_run.as_ref().map_or_else(
                        || "edited by hand".to_owned(),
                        |r| format!("applied from run {r}"),
                    );
                    output::text(&format!(
                        "revision {}  {}  {from}",
                        spec.revision, spec.updated_at
                    ));
                }
            }
            return Ok(0);
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
