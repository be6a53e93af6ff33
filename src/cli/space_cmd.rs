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
            if !created {
                warn_ignored_options(&space, &options);
            }
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

/// Linking an already linked directory returns it unchanged: say which of the given options did not apply,
/// so a user who meant to change them is not misled by exit 0 (a warning on stderr, stdout unchanged).
fn warn_ignored_options(space: &crate::model::Space, options: &LinkOptions) {
    let mut ignored = Vec::new();
    if options
        .name
        .as_deref()
        .is_some_and(|n| n.trim() != space.name)
    {
        ignored.push(format!("--name (it stays {:?})", space.name));
    }
    if options
        .context_provider
        .is_some_and(|c| c != space.context_provider)
    {
        ignored.push(format!(
            "--context-provider (it stays {})",
            space.context_provider
        ));
    }
    if options
        .mcp_command
        .as_deref()
        .is_some_and(|c| Some(c.trim()) != space.mcp_command.as_deref())
    {
        ignored.push("--mcp-command (the space keeps its own)".to_owned());
    }
    if !ignored.is_empty() {
        eprintln!(
            "warning: {} is already linked as {}; ignored {}. `run --context-provider` or `context query --provider` picks another provider for one request.",
            space.root_path.display(),
            space.id,
            ignored.join(", ")
        );
    }
}
