//! `key set|delete --provider P`: store a provider's API key in the OS keyring (or a 0600 key file when no
//! keyring service is running), or remove it. The key is read from stdin and never printed (an extension).

use std::io::Read as _;

use serde::Serialize;

use super::{Ctx, KeyCommand, output};
use crate::cli::CliError;
use crate::provider::credentials::ApiKey;
use crate::provider::registry::ProviderChoice;

#[derive(Debug, Serialize)]
struct KeyStored {
    provider: &'static str,
    /// `keyring` or `file`; `none` after a delete.
    stored_in: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    removed: Option<bool>,
}

fn model_provider(name: &str) -> Result<ProviderChoice, CliError> {
    let choice: ProviderChoice = name
        .parse()
        .map_err(|e: String| CliError::usage(format!("--provider: {e}")))?;
    if choice == ProviderChoice::Offline {
        return Err(CliError::usage(
            "--provider offline needs no key: use anthropic, openai or openai-compatible",
        ));
    }
    Ok(choice)
}

pub fn run(ctx: &Ctx, command: KeyCommand) -> Result<i32, CliError> {
    // Like every command (docs/CLI.md, Global rules): open and reconcile the store first.
    ctx.app()?;
    let store = &ctx.providers.settings().credentials;
    let result = match command {
        KeyCommand::Set { provider } => {
            let choice = model_provider(&provider)?;
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| CliError::failed(format!("could not read the key from stdin: {e}")))?;
            let key = ApiKey::new(text).ok_or_else(|| {
                CliError::usage("no key on stdin: pipe it in, e.g. `printf %s \"$KEY\" | kata-cloud key set --provider P`")
            })?;
            let source = store.save(choice, &key).map_err(|e| {
                CliError::failed(format!("could not store the {choice} key: {e}. Check that the data directory is writable."))
            })?;
            KeyStored {
                provider: choice.as_str(),
                stored_in: source.as_str(),
                removed: None,
            }
        }
        KeyCommand::Delete { provider } => {
            let choice = model_provider(&provider)?;
            let removed = store
                .delete(choice)
                .map_err(|e| CliError::failed(format!("could not remove the {choice} key: {e}")))?;
            KeyStored {
                provider: choice.as_str(),
                stored_in: "none",
                removed: Some(removed),
            }
        }
    };
    if ctx.json {
        output::json(&result, false)?;
    } else if let Some(removed) = result.removed {
        output::text(&if removed {
            format!("removed the stored {} key", result.provider)
        } else {
            format!("no stored {} key to remove", result.provider)
        });
    } else {
        output::text(&format!(
            "stored the {} key ({})",
            result.provider, result.stored_in
        ));
    }
    Ok(0)
}
