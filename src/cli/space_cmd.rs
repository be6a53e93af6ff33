//! `space add|list|relink|remove`.

use super::{Ctx, SpaceCommand, output};
use crate::app::spaces::{AddSpace, Linked};
use crate::cli::CliError;

pub fn run(ctx: &Ctx, command: SpaceCommand) -> Result<i32, CliError> {
    let app = ctx.app()?;
    match command {
        SpaceCommand::Add {
            path,
            name,
            context_provider,
            mcp_command,
            check_command,
        } => {
            let added = app.add_space(AddSpace {
                path,
                name,
                context_provider,
                mcp_command,
                check_command,
            })?;
            let verb = match added.linked {
                Linked::Created => "linked",
                Linked::Updated => "updated",
                Linked::Unchanged => "already linked:",
            };
            if ctx.json {
                output::json(&added.space, false)?;
            } else {
                output::text(&format!("{verb} {}", output::space_line(&added.space)));
            }
        }
        SpaceCommand::List => {
            let spaces = app.list_spaces()?;
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
        SpaceCommand::Relink { space, path } => {
            let found = app.space(&space)?;
            let space = app.relink_space(&found.id, &path)?;
            if ctx.json {
                output::json(&space, false)?;
            } else {
                output::text(&format!("relinked {}", output::space_line(&space)));
            }
        }
        SpaceCommand::Remove { space } => {
            let found = app.space(&space)?;
            let space = app.remove_space(&found.id)?;
            if ctx.json {
                output::json(&space, false)?;
            } else {
                output::text(&format!(
                    "removed {} ({}); its runs stay in `kata-cloud runs list`",
                    space.name, space.id
                ));
            }
        }
    }
    Ok(0)
}
