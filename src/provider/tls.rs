//! The TLS crypto provider the HTTP client needs before it is first built.

/// Installs rustls' ring crypto provider as the process default, once. reqwest is built without a provider
/// of its own, so this must run before the first HTTP client is built; calling it again does nothing.
pub fn install_crypto_provider() {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        // An error means another provider is installed already, which serves as well.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}
