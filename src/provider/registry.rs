//! Which provider a run uses, and building it from settings.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use super::offline::OfflineCoordinator;
use super::{Coordinator, ProviderError};

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

/// Provider configuration, read once at the edge (environment, settings) and injected.
#[derive(Clone, Debug, Default)]
pub struct ProviderSettings {
    /// `KATA_OFFLINE_STEP_MS`: how long the offline provider sleeps inside each step.
    pub offline_step: Duration,
}

impl ProviderSettings {
    /// Reads the provider environment variables of the contract.
    pub fn from_env() -> Self {
        let offline_step = std::env::var("KATA_OFFLINE_STEP_MS")
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_millis)
            .unwrap_or_default();
        Self { offline_step }
    }
}

/// Builds the coordinator for a run from its requested provider and model.
#[derive(Clone, Debug, Default)]
pub struct ProviderRegistry {
    settings: ProviderSettings,
}

impl ProviderRegistry {
    pub fn new(settings: ProviderSettings) -> Self {
        Self { settings }
    }

    pub fn settings(&self) -> &ProviderSettings {
        &self.settings
    }

    /// The provider used when a run names none: offline until a model provider is configured.
    pub fn default_choice(&self) -> ProviderChoice {
        ProviderChoice::Offline
    }

    /// Parses and checks a provider name before a run is created, so bad input fails fast.
    pub fn choose(&self, requested: Option<&str>) -> Result<ProviderChoice, ProviderError> {
        let choice = match requested {
            None => self.default_choice(),
            Some(name) => {
                name.parse::<ProviderChoice>()
                    .map_err(|message| ProviderError::NotConfigured {
                        message,
                        remediation:
                            "Pass --provider offline, anthropic, openai or openai-compatible."
                                .to_owned(),
                    })?
            }
        };
        Ok(choice)
    }

    /// Builds the coordinator for `requested` (or the default) and `model`.
    pub fn coordinator(
        &self,
        requested: Option<&str>,
        model: Option<&str>,
    ) -> Result<Arc<dyn Coordinator>, ProviderError> {
        match self.choose(requested)? {
            ProviderChoice::Offline => Ok(Arc::new(OfflineCoordinator::new(
                self.settings.offline_step,
                model,
            ))),
            other @ (ProviderChoice::Anthropic
            | ProviderChoice::OpenAi
            | ProviderChoice::OpenAiCompatible) => Err(ProviderError::NotConfigured {
                message: format!("the {other} provider is not available in this build"),
                remediation: "Use --provider offline.".to_owned(),
            }),
        }
    }
}
