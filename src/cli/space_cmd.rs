//! `space add` and `space list`.

use super::{Ctx, SpaceCommand, output};
use crate::cli::CliError;
use crate::spaces::{self, LinkOptions};

pub fn run(ctx: &Ctx, command: SpaceCommand) -> Result<i32, CliError> {
    let engine = ctx.engine()?;
    match command {
        SpaceCommand::Add {
            path,
            name,
            context_provider,
            mcp_command,
        } => {
            let (space, created) = spaces::link(
                &engine.store,
                engine.clock.as_ref(),
                &engine.ids,
                &path,
                LinkOptions {
                    name,
                    context_provider,
                    mcp_command,
                },
            )?;
            if ctx.json {
                output::json(&space, false)?;
            } else if created {
                output::text(&format!("linked {}", output::space_line(&space)));
            } else {
                output::text(&format!("already linked: {}", output::space_line(&space)));
            }
        }
        SpaceCommand::List => {
            let spaces = engine.store.read(|rx| rx.spaces())?;
            if ctx.json {
                output::json(&spaces, false)?;
            } else if spaces.is_empty() {
                output::text("no spaces yet: link one with `kata-cloud space add PATH`");
            } else {
                // Names vary in length: pad them so the paths line up.
                let width = spaces
                    .iter()
                    .map(|s| s.name.chars().count())
                    .max()
                    .unwrap_or(0);
                for space in &spaces {
                    output::text(&format!(
                        "{}  {:<width$}  {}  context: {}",
                        space.id,
                        space.name,
                        space.root_path.display(),
                        space.context_provider
                    ));
                }
            }
        }
    }
    Ok(0)
}
