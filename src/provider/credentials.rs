//! API keys: a redacting wrapper, and where stored keys live (OS keyring, else a 0600 file).
//!
//! Keys come from the environment first (read in `registry.rs`); a key stored here is only used when the
//! environment has none. The keyring is asked on a thread of its own with a time limit, because a desktop
//! session without a secret service can otherwise block or fail slowly; any keyring failure falls back to
//! `<data_dir>/credentials/<provider>.key`. Nothing in this module prints or logs a key.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use super::choice::ProviderChoice;
use super::secret_scrubber::SecretScrubber;

/// Keyring service name the keys are stored under (the user is the provider name).
pub const KEYRING_SERVICE: &str = "kata-cloud";

/// How long a keyring call may take before the file fallback is used.
const KEYRING_TIMEOUT: Duration = Duration::from_secs(3);

/// A secret API key. `Debug` and `Display` never show it; only [`ApiKey::expose`] does, for the request header.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key; surrounding whitespace (a trailing newline in a key file) is dropped. Empty keys are none.
    pub fn new(key: impl Into<String>) -> Option<Self> {
        let key = key.into();
        let trimmed = key.trim();
        (!trimmed.is_empty()).then(|| ApiKey(trimmed.to_owned()))
    }

    /// The key itself, for the one place that needs it: the HTTP header.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with the key and recognisable fragments of it replaced, so text that echoes it stays safe.
    pub fn scrub(&self, text: &str) -> String {
        SecretScrubber::new([self.expose()]).scrub(text)
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey([redacted])")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Where a provider's key came from (shown by `doctor`; never the key).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeySource {
    Env,
    Keyring,
    File,
    None,
}

impl KeySource {
    pub const fn as_str(self) -> &'static str {
        match self {
            KeySource::Env => "env",
            KeySource::Keyring => "keyring",
            KeySource::File => "file",
            KeySource::None => "none",
        }
    }
}

/// A failure to store a key.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error("no data directory to store the key file in")]
    NoDataDir,
    #[error("could not write the key file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Stored keys: the OS keyring (when enabled) and the key files under the data directory.
#[derive(Clone, Debug, Default)]
pub struct CredentialStore {
    /// `<data_dir>/credentials`; no file fallback without it.
    dir: Option<PathBuf>,
    /// Whether to ask the OS keyring (`KATA_KEYRING=off` disables it, e.g. in tests).
    keyring: bool,
}

impl CredentialStore {
    pub fn new(data_dir: Option<&Path>, keyring: bool) -> Self {
        Self {
            dir: data_dir.map(|d| d.join("credentials")),
            keyring,
        }
    }

    /// The key file of `provider`.
    pub fn file_path(&self, provider: ProviderChoice) -> Option<PathBuf> {
        self.dir
            .as_ref()
            .map(|d| d.join(format!("{}.key", provider.as_str())))
    }

    /// The stored key of `provider`: the keyring first, then the key file.
    pub fn load(&self, provider: ProviderChoice) -> Option<(ApiKey, KeySource)> {
        if self.keyring
            && let Some(key) = keyring_get(provider)
        {
            return Some((key, KeySource::Keyring));
        }
        let path = self.file_path(provider)?;
        let text = std::fs::read_to_string(&path).ok()?;
        warn_if_readable_by_others(&path);
        ApiKey::new(text).map(|k| (k, KeySource::File))
    }

    /// Stores `key` for `provider`: in the keyring when it works, else in the key file (mode 0600).
    pub fn save(
        &self,
        provider: ProviderChoice,
        key: &ApiKey,
    ) -> Result<KeySource, CredentialError> {
        if self.keyring && keyring_set(provider, key) {
            return Ok(KeySource::Keyring);
        }
        let path = self.file_path(provider).ok_or(CredentialError::NoDataDir)?;
        write_private(&path, key.expose()).map_err(|source| CredentialError::Io {
            path: path.clone(),
            source,
        })?;
        Ok(KeySource::File)
    }
}

impl CredentialStore {
    /// Removes the stored key of `provider` from the keyring and the key file; says whether one was there.
    pub fn delete(&self, provider: ProviderChoice) -> Result<bool, CredentialError> {
        let from_keyring = self.keyring && keyring_delete(provider);
        let mut from_file = false;
        if let Some(path) = self.file_path(provider) {
            match std::fs::remove_file(&path) {
                Ok(()) => from_file = true,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => return Err(CredentialError::Io { path, source }),
            }
        }
        Ok(from_keyring || from_file)
    }
}

fn keyring_delete(provider: ProviderChoice) -> bool {
    let user = provider.as_str();
    with_keyring(move || {
        let entry = keyring::Entry::new(KEYRING_SERVICE, user).ok()?;
        entry.delete_credential().ok()
    })
    .is_some()
}

/// Runs a keyring call on its own thread (no async runtime around it) and gives up after a time limit.
fn with_keyring<T: Send + 'static>(call: impl FnOnce() -> Option<T> + Send + 'static) -> Option<T> {
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("kata-keyring".to_owned())
        .spawn(move || {
            let _ = tx.send(call());
        });
    if spawned.is_err() {
        return None;
    }
    rx.recv_timeout(KEYRING_TIMEOUT).ok().flatten()
}

fn keyring_get(provider: ProviderChoice) -> Option<ApiKey> {
    let user = provider.as_str();
    with_keyring(move || {
        let entry = keyring::Entry::new(KEYRING_SERVICE, user).ok()?;
        match entry.get_password() {
            Ok(key) => ApiKey::new(key),
            Err(e) => {
                tracing::debug!(provider = user, error = %e, "no key in the OS keyring");
                None
            }
        }
    })
}

fn keyring_set(provider: ProviderChoice, key: &ApiKey) -> bool {
    let user = provider.as_str();
    let secret = key.expose().to_owned();
    with_keyring(move || {
        let entry = keyring::Entry::new(KEYRING_SERVICE, user).ok()?;
        match entry.set_password(&secret) {
            Ok(()) => Some(()),
            Err(e) => {
                tracing::info!(provider = user, error = %e, "the OS keyring is not usable; storing the key in a file");
                None
            }
        }
    })
    .is_some()
}

/// Writes `text` to `path` readable by the owner only (the directory too).
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        }
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(text.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}

fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(path = %path.display(), "the key file is readable by other users; run `chmod 600` on it");
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_redact() {
        let key = ApiKey::new("sk-secret-123").unwrap();
        assert_eq!(format!("{key:?}"), "ApiKey([redacted])");
        assert_eq!(format!("{key}"), "[redacted]");
        assert_eq!(
            format!("{:?}", Some(key.clone())),
            "Some(ApiKey([redacted]))"
        );
        assert_eq!(key.expose(), "sk-secret-123");
        assert_eq!(
            key.scrub("bad key sk-secret-123 given"),
            "bad key [redacted] given"
        );
    }

    #[test]
    fn blank_keys_are_none() {
        assert!(ApiKey::new("  \n").is_none());
        assert_eq!(ApiKey::new(" k \n").unwrap().expose(), "k");
    }

    #[test]
    fn file_fallback_round_trips_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let store = CredentialStore::new(Some(dir.path()), false);
        assert!(store.load(ProviderChoice::OpenAi).is_none());
        let key = ApiKey::new("sk-file-key").unwrap();
        assert_eq!(
            store.save(ProviderChoice::OpenAi, &key).unwrap(),
            KeySource::File
        );
        let (loaded, source) = store.load(ProviderChoice::OpenAi).unwrap();
        assert_eq!((loaded, source), (key, KeySource::File));
        let path = store.file_path(ProviderChoice::OpenAi).unwrap();
        assert!(path.ends_with("credentials/openai.key"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(store.load(ProviderChoice::Anthropic).is_none());
        assert!(store.delete(ProviderChoice::OpenAi).unwrap());
        assert!(store.load(ProviderChoice::OpenAi).is_none());
        assert!(!store.delete(ProviderChoice::OpenAi).unwrap());
    }

    #[test]
    fn no_data_dir_means_no_file() {
        let store = CredentialStore::new(None, false);
        let key = ApiKey::new("k").unwrap();
        assert!(matches!(
            store.save(ProviderChoice::Anthropic, &key),
            Err(CredentialError::NoDataDir)
        ));
    }
}
