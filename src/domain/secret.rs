//! A Standard Webhooks signing secret: decoded once, redacted in Debug, never logged.
use std::fmt;

use base64::{Engine, engine::general_purpose::STANDARD as B64};
use secrecy::{ExposeSecret, SecretSlice};

/// One signing secret: `whsec_` + base64, or the bare base64.
#[derive(Clone)]
pub struct WebhookSecret(SecretSlice<u8>);

#[derive(Debug, thiserror::Error)]
#[error("a webhook secret is not base64 (expected whsec_…)")]
pub struct InvalidSecret;

impl WebhookSecret {
    pub fn parse(s: &str) -> Result<Self, InvalidSecret> {
        let b64 = s.strip_prefix("whsec_").unwrap_or(s);
        let key = B64.decode(b64).map_err(|_| InvalidSecret)?;
        if key.is_empty() {
            return Err(InvalidSecret);
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
