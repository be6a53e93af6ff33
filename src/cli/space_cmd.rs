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
            let options = LinkOptions {
                name,
                context_provider,
                mcp_command,
            };
            let (space, created) = spaces::link(
                &engine.store,
                engine.clock.as_ref(),
                &engine.ids,
                &path,
                options.clone(),
            )?;
            // Options given for a directory that is already linked change it (the way to set or fix the
            // MCP command the context errors point to).
            let updated = if created {
                None
            } else {
                spaces::update_linked(&engine.store, engine.clock.as_ref(), &space.id, &options)?
            };
            let (space, verb) = match updated {
                Some(space) => (space, "updated"),
                None if created => (space, "linked"),
                None => (space, "already linked:"),
            };
            if ctx.json {
                output::json(&space, false)?;
            } else {
                output::text(&format!("{verb} {}", output::space_line(&space)));
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
