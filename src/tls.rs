//! The one TLS crypto provider (ring) of every HTTP client, installed once per process.

/// A reqwest builder whose TLS uses ring: reqwest is built without a provider of its
/// own, so the process compiles one crypto library (lettre and sqlx use ring too).
pub fn client_builder() -> reqwest::ClientBuilder {
    // Fails only when a provider is already installed, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
}
