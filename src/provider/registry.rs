//! Which provider a run uses, and building it from settings.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::chat::{ChatClient, ChatEndpoint};
use super::chat_coordinator::ChatCoordinator;
use super::chat_model::ChatModel;
pub use super::choice::ProviderChoice;
use super::coordinator::Coordinator;
use super::credentials::{ApiKey, CredentialStore, KeySource};
use super::error::ProviderError;
use super::http_chat_model::HttpChatModel;
use super::limits::AgentLimits;
use super::offline::{OFFLINE_MODEL, OfflineChatModel, OfflineCoordinator, OfflineScript};
use super::retry::RetryPolicy;
use super::secret_scrubber::{SecretScrubber, redact_url, url_credentials};

/// Default models when neither `--model` nor `KATA_MODEL` names one.
pub const DEFAULT_ANTHROPIC_MODEL: &str = "claude-sonnet-4-5";
pub const DEFAULT_OPENAI_MODEL: &str = "gpt-4.1";
pub const DEFAULT_OPENAI_COMPATIBLE_MODEL: &str = "llama3.2";
/// Default public endpoints.
pub const ANTHROPIC_BASE_URL: &str = "https://api.anthropic.com";
pub const OPENAI_BASE_URL: &str = "https://api.openai.com/v1";
/// How long a provider may stay silent (no response, or an idle stream) by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// One model provider's settings from the environment.
#[derive(Clone, Default)]
pub struct EndpointSettings {
    pub key: Option<ApiKey>,
    pub base_url: Option<String>,
}

impl std::fmt::Debug for EndpointSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EndpointSettings")
            .field("key", &self.key)
            .field("base_url", &self.base_url.as_deref().map(redact_url))
            .finish()
    }
}

/// Provider configuration, read once at the edge (environment, settings) and injected.
#[derive(Clone, Debug)]
pub struct ProviderSettings {
    /// `KATA_OFFLINE_STEP_MS`: how long the offline provider sleeps inside each step.
    pub offline_step: Duration,
    /// `KATA_OFFLINE_SCRIPT` (or `run --script`): the tool calls the offline provider makes per task.
    pub offline_script: Option<PathBuf>,
    /// `KATA_MODEL`: the model for the chosen model provider when a run names none.
    pub model: Option<String>,
    /// `ANTHROPIC_API_KEY`, `ANTHROPIC_BASE_URL`.
    pub anthropic: EndpointSettings,
    /// `OPENAI_API_KEY`, `OPENAI_BASE_URL`.
    pub openai: EndpointSettings,
    /// `KATA_OPENAI_COMPATIBLE_API_KEY`, `KATA_OPENAI_COMPATIBLE_BASE_URL`.
    pub openai_compatible: EndpointSettings,
    /// `KATA_PROVIDER_TIMEOUT_MS`: no response or an idle stream for this long is a timeout.
    pub timeout: Duration,
    /// Retries of retryable failures; `KATA_PROVIDER_BACKOFF_MS` sets the first backoff.
    pub retry: RetryPolicy,
    /// `KATA_KEYRING=off` keeps the OS keyring out of it (stored keys then come from files only).
    pub keyring: bool,
    /// Stored keys (keyring, `<data_dir>/credentials/<provider>.key`), used when the environment has none.
    pub credentials: CredentialStore,
    /// How far a specialist's tool loop may go.
    pub agent: AgentLimits,
}

impl Default for ProviderSettings {
    fn default() -> Self {
        Self {
            offline_step: Duration::ZERO,
            offline_script: None,
            model: None,
            anthropic: EndpointSettings::default(),
            openai: EndpointSettings::default(),
            openai_compatible: EndpointSettings::default(),
            timeout: DEFAULT_TIMEOUT,
            retry: RetryPolicy::default(),
            keyring: false,
            credentials: CredentialStore::default(),
            agent: AgentLimits::default(),
        }
    }
}

impl ProviderSettings {
    /// Reads the provider environment variables of the contract (and this build's extensions).
    pub fn from_env() -> Self {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `var` (the environment, or a map in tests). Blank values count as unset.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Self {
        let text = |name: &str| {
            var(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let millis = |name: &str| {
            let value = text(name)?;
            match value.parse::<u64>() {
                Ok(ms) => Some(Duration::from_millis(ms)),
                Err(_) => {
                    // These are timings, not secrets, so the value can be named.
                    tracing::warn!(
                        "{name}={value:?} is not a whole number of milliseconds; using the default"
                    );
                    None
                }
            }
        };
        let endpoint = |key: &str, base: &str| EndpointSettings {
            key: var(key).and_then(ApiKey::new),
            base_url: text(base),
        };
        let keyring = !text("KATA_KEYRING").is_some_and(|v| {
            matches!(
                v.to_ascii_lowercase().as_str(),
                "off" | "0" | "false" | "no"
            )
        });
        Self {
            offline_step: millis("KATA_OFFLINE_STEP_MS").unwrap_or_default(),
            offline_script: text("KATA_OFFLINE_SCRIPT").map(PathBuf::from),
            model: text("KATA_MODEL"),
            anthropic: endpoint("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"),
            openai: endpoint("OPENAI_API_KEY", "OPENAI_BASE_URL"),
            openai_compatible: endpoint(
                "KATA_OPENAI_COMPATIBLE_API_KEY",
                "KATA_OPENAI_COMPATIBLE_BASE_URL",
            ),
            timeout: millis("KATA_PROVIDER_TIMEOUT_MS")
                .filter(|d| !d.is_zero())
                .unwrap_or(DEFAULT_TIMEOUT),
            retry: millis("KATA_PROVIDER_BACKOFF_MS")
                .map(RetryPolicy::with_base)
                .unwrap_or_default(),
            keyring,
            credentials: CredentialStore::new(None, keyring),
            agent: AgentLimits::from_vars(&var),
        }
    }

    /// Looks for stored keys under `data_dir` (and in the keyring unless disabled).
    pub fn with_data_dir(mut self, data_dir: &Path) -> Self {
        self.credentials = CredentialStore::new(Some(data_dir), self.keyring);
        self
    }

    fn endpoint(&self, choice: ProviderChoice) -> Option<&EndpointSettings> {
        match choice {
            ProviderChoice::Offline => None,
            ProviderChoice::Anthropic => Some(&self.anthropic),
            ProviderChoice::OpenAi => Some(&self.openai),
            ProviderChoice::OpenAiCompatible => Some(&self.openai_compatible),
        }
    }
}

/// The environment variables of a model provider: (key, base URL).
pub const fn env_vars(choice: ProviderChoice) -> Option<(&'static str, &'static str)> {
    match choice {
        ProviderChoice::Offline => None,
        ProviderChoice::Anthropic => Some(("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL")),
        ProviderChoice::OpenAi => Some(("OPENAI_API_KEY", "OPENAI_BASE_URL")),
        ProviderChoice::OpenAiCompatible => Some((
            "KATA_OPENAI_COMPATIBLE_API_KEY",
            "KATA_OPENAI_COMPATIBLE_BASE_URL",
        )),
    }
}

/// What `doctor` and the settings UI show about one provider (never the key).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ProviderReport {
    pub provider: &'static str,
    pub configured: bool,
    pub default: bool,
    /// `env`, `keyring`, `file` or `none`.
    pub key_source: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    pub model: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remediation: Option<String>,
}

/// Builds the coordinator for a run from its requested provider and model.
#[derive(Clone, Debug, Default)]
pub struct ProviderRegistry {
    settings: ProviderSettings,
    /// Stored keys, looked up once per provider and only when needed (the keyring can be slow).
    stored: Arc<Mutex<StoredKeys>>,
}

/// Stored keys looked up so far: `None` means looked up and not found.
type StoredKeys = HashMap<ProviderChoice, Option<(ApiKey, KeySource)>>;

impl ProviderRegistry {
    pub fn new(settings: ProviderSettings) -> Self {
        Self {
            settings,
            stored: Arc::default(),
        }
    }

    pub fn settings(&self) -> &ProviderSettings {
        &self.settings
    }

    /// The key of `choice` and where it came from: the environment wins over stored keys.
    pub fn key(&self, choice: ProviderChoice) -> (Option<ApiKey>, KeySource) {
        let Some(endpoint) = self.settings.endpoint(choice) else {
            return (None, KeySource::None);
        };
        if let Some(key) = &endpoint.key {
            return (Some(key.clone()), KeySource::Env);
        }
        let Ok(mut stored) = self.stored.lock() else {
            return (None, KeySource::None);
        };
        let found = stored
            .entry(choice)
            .or_insert_with(|| self.settings.credentials.load(choice));
        match found {
            Some((key, source)) => (Some(key.clone()), *source),
            None => (None, KeySource::None),
        }
    }

    /// The base URL `choice` would use, as configured (not yet validated).
    pub fn base_url(&self, choice: ProviderChoice) -> Option<String> {
        let configured = self.settings.endpoint(choice)?.base_url.clone();
        match choice {
            ProviderChoice::Offline => None,
            ProviderChoice::Anthropic => configured.or_else(|| Some(ANTHROPIC_BASE_URL.to_owned())),
            ProviderChoice::OpenAi => configured.or_else(|| Some(OPENAI_BASE_URL.to_owned())),
            ProviderChoice::OpenAiCompatible => configured,
        }
    }

    /// The model a run on `choice` uses: `--model`, else `KATA_MODEL`, else the provider's default.
    pub fn model(&self, choice: ProviderChoice, requested: Option<&str>) -> String {
        let requested = requested.map(str::trim).filter(|m| !m.is_empty());
        if choice == ProviderChoice::Offline {
            return requested.unwrap_or(OFFLINE_MODEL).to_owned();
        }
        let default = match choice {
            ProviderChoice::Anthropic => DEFAULT_ANTHROPIC_MODEL,
            ProviderChoice::OpenAi => DEFAULT_OPENAI_MODEL,
            ProviderChoice::OpenAiCompatible | ProviderChoice::Offline => {
                DEFAULT_OPENAI_COMPATIBLE_MODEL
            }
        };
        requested
            .or(self.settings.model.as_deref())
            .unwrap_or(default)
            .to_owned()
    }

    /// Whether `choice` can be used: offline always; anthropic and openai with a key; openai-compatible
    /// with a base URL (its key is optional).
    pub fn configured(&self, choice: ProviderChoice) -> bool {
        match choice {
            ProviderChoice::Offline => true,
            ProviderChoice::Anthropic | ProviderChoice::OpenAi => self.key(choice).0.is_some(),
            ProviderChoice::OpenAiCompatible => self.base_url(choice).is_some(),
        }
    }

    /// The provider used when a run names none: the one configured model provider when there is exactly
    /// one, else offline (also when nothing is configured).
    pub fn default_choice(&self) -> ProviderChoice {
        let configured: Vec<ProviderChoice> = ProviderChoice::MODEL_PROVIDERS
            .into_iter()
            .filter(|c| self.configured(*c))
            .collect();
        match configured.as_slice() {
            [only] => *only,
            _ => ProviderChoice::Offline,
        }
    }

    /// Parses and checks a provider name before a run is created, so bad input fails fast.
    pub fn choose(&self, requested: Option<&str>) -> Result<ProviderChoice, ProviderError> {
        let choice = match requested {
            None => self.default_choice(),
            Some(name) => {
                name.parse::<ProviderChoice>()
                    .map_err(|message| ProviderError::NotConfigured {
                        message,
                        remediation: "`kata-cloud doctor` shows which providers are configured."
                            .to_owned(),
                    })?
            }
        };
        Ok(choice)
    }

    fn remediation(choice: ProviderChoice) -> String {
        match choice {
            ProviderChoice::Offline => String::new(),
            ProviderChoice::Anthropic | ProviderChoice::OpenAi => {
                let (key, _) = env_vars(choice).unwrap_or(("", ""));
                format!(
                    "Set {key}, or store the key with `kata-cloud key set --provider {choice}` (OS keyring, or \
                     DATA_DIR/credentials/{choice}.key with mode 0600 when no keyring runs); or use --provider \
                     offline."
                )
            }
            ProviderChoice::OpenAiCompatible => "Set KATA_OPENAI_COMPATIBLE_BASE_URL to the server's API base \
                 (e.g. http://127.0.0.1:11434/v1) and, if it needs one, KATA_OPENAI_COMPATIBLE_API_KEY; or use \
                 --provider offline."
                .to_owned(),
        }
    }

    /// Where and how to reach `choice` with `model`, or why it cannot be used.
    pub fn endpoint(
        &self,
        choice: ProviderChoice,
        model: Option<&str>,
    ) -> Result<ChatEndpoint, ProviderError> {
        let not_configured = |message: String| ProviderError::NotConfigured {
            message,
            remediation: Self::remediation(choice),
        };
        let Some((key_var, base_var)) = env_vars(choice) else {
            return Err(not_configured(
                "the offline provider does not call a model".to_owned(),
            ));
        };
        let Some(base) = self.base_url(choice) else {
            return Err(not_configured(format!(
                "the {choice} provider is not configured: {base_var} is not set"
            )));
        };
        let base = validate_base_url(&base).map_err(|why| ProviderError::NotConfigured {
            message: format!("{base_var} is not usable: {why}"),
            remediation: format!(
                "Set {base_var} to an http(s) URL such as {}.",
                match choice {
                    ProviderChoice::Anthropic => ANTHROPIC_BASE_URL,
                    ProviderChoice::OpenAi => OPENAI_BASE_URL,
                    _ => "http://127.0.0.1:11434/v1",
                }
            ),
        })?;
        let (key, _) = self.key(choice);
        if key.is_none() && choice != ProviderChoice::OpenAiCompatible {
            return Err(not_configured(format!(
                "the {choice} provider is not configured: no API key ({key_var}, keyring or key file)"
            )));
        }
        Ok(ChatEndpoint {
            kind: choice,
            base_url: base,
            key,
            model: self.model(choice, model),
        })
    }

    /// A chat client for `choice` with the configured timeout and retry policy.
    pub fn client(
        &self,
        choice: ProviderChoice,
        model: Option<&str>,
    ) -> Result<ChatClient, ProviderError> {
        let endpoint = self.endpoint(choice, model)?;
        ChatClient::new(endpoint, self.settings.timeout, self.settings.retry)
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
            | ProviderChoice::OpenAiCompatible) => {
                let client = self.client(other, model)?;
                Ok(Arc::new(ChatCoordinator::new(client)))
            }
        }
    }

    /// The offline script named in the settings, read and checked now (so a bad one fails before a run
    /// starts); `None` when there is none.
    pub fn offline_script(&self) -> Result<Option<OfflineScript>, ProviderError> {
        match &self.settings.offline_script {
            None => Ok(None),
            Some(path) => Ok(Some(OfflineScript::load(path)?)),
        }
    }

    /// Builds the tool-calling model for `requested` (or the default) and `model`: the HTTP providers on
    /// the streaming client, offline following the offline script (read now) when one is set.
    pub fn chat_model(
        &self,
        requested: Option<&str>,
        model: Option<&str>,
    ) -> Result<Arc<dyn ChatModel>, ProviderError> {
        match self.choose(requested)? {
            ProviderChoice::Offline => {
                let script = self.offline_script()?.map(Arc::new);
                let name = self.model(ProviderChoice::Offline, model);
                Ok(Arc::new(OfflineChatModel::new(
                    script,
                    self.settings.offline_step,
                    &name,
                )))
            }
            other @ (ProviderChoice::Anthropic
            | ProviderChoice::OpenAi
            | ProviderChoice::OpenAiCompatible) => {
                let client = self.client(other, model)?;
                Ok(Arc::new(HttpChatModel::new(client)))
            }
        }
    }

    /// The tool-calling model the specialists of a run on `requested` use: every model provider's, and the
    /// offline one when a script is set. `None`: offline without a script, whose tasks stay reports (the
    /// deterministic default).
    /// Whether a run on `requested` gives its specialists tools (see [`ProviderRegistry::tool_model`]).
    pub fn uses_tools(
        &self,
        requested: Option<&str>,
        script: Option<&Path>,
    ) -> Result<bool, ProviderError> {
        Ok(self.choose(requested)? != ProviderChoice::Offline
            || script.is_some()
            || self.settings.offline_script.is_some())
    }

    /// `script` (a run's own) wins over `KATA_OFFLINE_SCRIPT`.
    pub fn tool_model(
        &self,
        requested: Option<&str>,
        model: Option<&str>,
        script: Option<&Path>,
    ) -> Result<Option<Arc<dyn ChatModel>>, ProviderError> {
        if self.choose(requested)? != ProviderChoice::Offline {
            return self.chat_model(requested, model).map(Some);
        }
        let Some(path) = script.or(self.settings.offline_script.as_deref()) else {
            return Ok(None);
        };
        let script = OfflineScript::load(path)?;
        let name = self.model(ProviderChoice::Offline, model);
        Ok(Some(Arc::new(OfflineChatModel::new(
            Some(Arc::new(script)),
            self.settings.offline_step,
            &name,
        ))))
    }

    /// The models `choice` offers, as its API lists them.
    pub async fn list_models(
        &self,
        choice: ProviderChoice,
        cancel: &CancellationToken,
    ) -> Result<Vec<String>, ProviderError> {
        if choice == ProviderChoice::Offline {
            return Ok(vec![OFFLINE_MODEL.to_owned()]);
        }
        self.client(choice, None)?.list_models(cancel).await
    }

    /// Scrubs every configured secret — each provider's key (environment or stored) and the credentials
    /// in base URLs — and recognisable fragments of them from text: for tool output and anything else that
    /// may echo a key before it is shown or stored.
    pub fn scrubber(&self) -> SecretScrubber {
        let mut secrets: Vec<String> = Vec::new();
        for choice in ProviderChoice::MODEL_PROVIDERS {
            if let (Some(key), _) = self.key(choice) {
                secrets.push(key.expose().to_owned());
            }
            if let Some(url) = self
                .settings
                .endpoint(choice)
                .and_then(|e| e.base_url.as_deref())
            {
                secrets.extend(url_credentials(url));
            }
        }
        SecretScrubber::new(secrets)
    }

    /// What `doctor` shows about `choice`.
    pub fn report(&self, choice: ProviderChoice) -> ProviderReport {
        let configured = self.configured(choice);
        let (_, source) = self.key(choice);
        let remediation = match self.endpoint(choice, None) {
            Err(e) if choice != ProviderChoice::Offline => Some(e.remediation()),
            _ => None,
        };
        ProviderReport {
            provider: choice.as_str(),
            configured,
            default: self.default_choice() == choice,
            key_source: source.as_str(),
            base_url: self.base_url(choice).as_deref().map(redact_url),
            model: self.model(choice, None),
            remediation,
        }
    }
}

/// Checks a base URL is http(s) and drops a trailing slash. Errors show it without credentials.
fn validate_base_url(raw: &str) -> Result<String, String> {
    let shown = redact_url(raw.trim());
    let url =
        reqwest::Url::parse(raw.trim()).map_err(|e| format!("{shown:?} is not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("{shown:?} is not an http or https URL"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("{shown:?} has no host"));
    }
    Ok(raw.trim().trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)]) -> ProviderSettings {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        ProviderSettings::from_vars(|name| map.get(name).cloned())
    }

    #[test]
    fn nothing_configured_means_offline() {
        let r = ProviderRegistry::new(settings(&[]));
        assert_eq!(r.default_choice(), ProviderChoice::Offline);
        assert!(!r.configured(ProviderChoice::Anthropic));
        let e = r.coordinator(Some("anthropic"), None).err().unwrap();
        assert_eq!(e.code(), "not_configured");
        assert!(e.remediation().contains("ANTHROPIC_API_KEY"));
        assert!(!e.retryable());
    }

    #[test]
    fn one_configured_provider_becomes_the_default() {
        let r = ProviderRegistry::new(settings(&[("OPENAI_API_KEY", "sk-x")]));
        assert_eq!(r.default_choice(), ProviderChoice::OpenAi);
        let c = r.coordinator(None, None).unwrap();
        assert_eq!((c.provider_name(), c.model_name()), ("openai", "gpt-4.1"));
        let two = ProviderRegistry::new(settings(&[
            ("OPENAI_API_KEY", "sk-x"),
            ("KATA_OPENAI_COMPATIBLE_BASE_URL", "http://127.0.0.1:1/v1"),
        ]));
        assert_eq!(two.default_choice(), ProviderChoice::Offline);
    }

    #[test]
    fn models_come_from_flag_then_env_then_default() {
        let r = ProviderRegistry::new(settings(&[("KATA_MODEL", "m-env")]));
        assert_eq!(r.model(ProviderChoice::Anthropic, Some("m-flag")), "m-flag");
        assert_eq!(r.model(ProviderChoice::Anthropic, None), "m-env");
        let plain = ProviderRegistry::new(settings(&[]));
        assert_eq!(
            plain.model(ProviderChoice::Anthropic, None),
            "claude-sonnet-4-5"
        );
        assert_eq!(plain.model(ProviderChoice::OpenAi, None), "gpt-4.1");
        assert_eq!(
            plain.model(ProviderChoice::OpenAiCompatible, None),
            "llama3.2"
        );
        assert_eq!(plain.model(ProviderChoice::Offline, None), OFFLINE_MODEL);
    }

    #[test]
    fn base_urls_default_validate_and_lose_trailing_slashes() {
        let r = ProviderRegistry::new(settings(&[
            ("ANTHROPIC_API_KEY", "k"),
            ("OPENAI_API_KEY", "k"),
            ("OPENAI_BASE_URL", "ftp://x"),
            (
                "KATA_OPENAI_COMPATIBLE_BASE_URL",
                "http://127.0.0.1:11434/v1/",
            ),
        ]));
        let a = r.endpoint(ProviderChoice::Anthropic, None).unwrap();
        assert_eq!(a.base_url, "https://api.anthropic.com");
        let c = r.endpoint(ProviderChoice::OpenAiCompatible, None).unwrap();
        assert_eq!(c.base_url, "http://127.0.0.1:11434/v1");
        assert!(c.key.is_none());
        let e = r.endpoint(ProviderChoice::OpenAi, None).unwrap_err();
        assert_eq!(e.code(), "not_configured");
        assert!(e.to_string().contains("OPENAI_BASE_URL"), "{e}");
    }

    #[test]
    fn env_keys_win_over_stored_ones_and_reports_never_show_keys() {
        let dir = tempfile::tempdir().unwrap();
        let stored = CredentialStore::new(Some(dir.path()), false);
        stored
            .save(
                ProviderChoice::Anthropic,
                &ApiKey::new("sk-stored").unwrap(),
            )
            .unwrap();
        stored
            .save(ProviderChoice::OpenAi, &ApiKey::new("sk-stored-o").unwrap())
            .unwrap();
        let r = ProviderRegistry::new(
            settings(&[("KATA_KEYRING", "off"), ("OPENAI_API_KEY", "sk-env")])
                .with_data_dir(dir.path()),
        );
        assert_eq!(r.key(ProviderChoice::OpenAi).1, KeySource::Env);
        assert_eq!(r.key(ProviderChoice::OpenAi).0.unwrap().expose(), "sk-env");
        assert_eq!(r.key(ProviderChoice::Anthropic).1, KeySource::File);
        let report = r.report(ProviderChoice::Anthropic);
        assert_eq!(report.key_source, "file");
        assert!(report.configured);
        let text = format!("{:?} {}", r, serde_json::to_string(&report).unwrap());
        assert!(!text.contains("sk-"), "{text}");
    }

    #[test]
    fn the_scrubber_knows_env_and_stored_keys_and_url_passwords() {
        let dir = tempfile::tempdir().unwrap();
        CredentialStore::new(Some(dir.path()), false)
            .save(
                ProviderChoice::Anthropic,
                &ApiKey::new("sk-stored-anthropic-123").unwrap(),
            )
            .unwrap();
        let r = ProviderRegistry::new(
            settings(&[
                ("KATA_KEYRING", "off"),
                ("OPENAI_API_KEY", "sk-env-openai-456"),
                (
                    "KATA_OPENAI_COMPATIBLE_BASE_URL",
                    "http://u:local-pass-789@127.0.0.1:1/v1",
                ),
            ])
            .with_data_dir(dir.path()),
        );
        let text = "a sk-stored-anthropic-123 b sk-env-openai-456 c local-pass-789 d u";
        assert_eq!(
            r.scrubber().scrub(text),
            "a [redacted] b [redacted] c [redacted] d u"
        );
        let nothing = ProviderRegistry::new(settings(&[("KATA_KEYRING", "off")]));
        assert!(nothing.scrubber().is_empty());
    }
}
