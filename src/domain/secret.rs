//! A Standard Webhooks signing secret: decoded once, redacted in Debug, never logged.
use std::fmt;

use base64::{Engine, engine::general_purpose::STANDARD as B64};
use secrecy::{ExposeSecret, SecretSlice};

/// One signing secret: `whsec_` + base64, or the bare base64.
#[derive(Clone)]
pub struct WebhookSecret(SecretSlice<u8>);

#[derive(Debug, thiserror::Error)]
pub enum InvalidSecret {
    #[error("a webhook secret is not base64 (expected whsec_…)")]
    NotBase64,
    #[error("a webhook secret of {0} bytes is too short (at least {MIN_KEY_BYTES}; Gigs' are 24)")]
    TooShort(usize),
}

/// Shorter keys can be guessed; Standard Webhooks secrets are 24 to 64 bytes.
const MIN_KEY_BYTES: usize = 16;

impl WebhookSecret {
    pub fn parse(s: &str) -> Result<Self, InvalidSecret> {
        let b64 = s.strip_prefix("whsec_").unwrap_or(s);
        let key = B64.decode(b64).map_err(|_| InvalidSecret::NotBase64)?;
        if key.len() < MIN_KEY_BYTES {
            return Err(InvalidSecret::TooShort(key.len()));
        }
        Ok(Self(key.into()))
    }

    /// The HMAC key; only the verifier and signer read it.
    pub fn key(&self) -> &[u8] {
        self.0.expose_secret()
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret([REDACTED])")
    }
}
