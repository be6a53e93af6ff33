//! The provider names of the contract, shared by the registry, the credential store and the wire formats.

use std::fmt;
use std::str::FromStr;

/// The provider names of the contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProviderChoice {
    Offline,
    Anthropic,
    OpenAi,
    OpenAiCompatible,
}

impl ProviderChoice {
    pub const ALL: [ProviderChoice; 4] = [
        ProviderChoice::Offline,
        ProviderChoice::Anthropic,
        ProviderChoice::OpenAi,
        ProviderChoice::OpenAiCompatible,
    ];

    /// The providers that call a model over HTTP.
    pub const MODEL_PROVIDERS: [ProviderChoice; 3] = [
        ProviderChoice::Anthropic,
        ProviderChoice::OpenAi,
        ProviderChoice::OpenAiCompatible,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            ProviderChoice::Offline => "offline",
            ProviderChoice::Anthropic => "anthropic",
            ProviderChoice::OpenAi => "openai",
            ProviderChoice::OpenAiCompatible => "openai-compatible",
        }
    }
}

impl fmt::Display for ProviderChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ProviderChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ProviderChoice::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown provider {s:?}: use one of offline, anthropic, openai, openai-compatible"
                )
            })
    }
}
