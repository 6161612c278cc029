//! Standard Webhooks (Svix) signature verification on the raw request bytes.
use std::{fmt, time::Duration};

use base64::{Engine, engine::general_purpose::STANDARD as B64};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

pub use crate::domain::{InvalidSecret, WebhookSecret};

type HmacSha256 = Hmac<Sha256>;

/// Why a webhook was refused. The first two are the sender's formatting (400), the rest
/// mean the request is not provably from Gigs (401).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VerifyError {
    #[error("the {0} header is missing")]
    MissingHeader(&'static str),
    #[error("webhook-timestamp is not a non-negative integer")]
    InvalidTimestamp,
    #[error("webhook-timestamp is outside the accepted window")]
    TimestampOutOfTolerance,
    #[error("no signature matches")]
    NoMatchingSignature,
}

impl VerifyError {
    pub fn is_authentication_failure(&self) -> bool {
        matches!(
            self,
            Self::TimestampOutOfTolerance | Self::NoMatchingSignature
        )
    }
}

#[derive(Clone)]
pub struct WebhookVerifier {
    secrets: Vec<WebhookSecret>,
    tolerance: Duration,
}

impl fmt::Debug for WebhookVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookVerifier")
            .field("secrets", &self.secrets.len())
            .field("tolerance", &self.tolerance)
            .finish()
    }
}

/// Looks a header up by the `webhook-*` name, then by the `svix-*` one.
fn header<'a>(
    get: &impl Fn(&str) -> Option<&'a str>,
    name: &'static str,
) -> Result<&'a str, VerifyError> {
    let svix = format!("svix-{}", &name["webhook-".len()..]);
    get(name)
        .or_else(|| get(&svix))
        .filter(|v| !v.is_empty())
        .ok_or(VerifyError::MissingHeader(name))
}

impl WebhookVerifier {
    pub fn new(secrets: Vec<WebhookSecret>, tolerance: Duration) -> Self {
        Self { secrets, tolerance }
    }

    /// Checks what the headers alone can tell: all present, the timestamp inside the
    /// window, at least one well-formed `v1` signature. Run before the body is read, so a
    /// request that can never verify costs no body buffer.
    pub fn precheck<'a>(
        &self,
        get_header: impl Fn(&str) -> Option<&'a str>,
        now: i64,
    ) -> Result<(), VerifyError> {
        self.headers(&get_header, now).map(|_| ())
    }

    fn headers<'a>(
        &self,
        get_header: &impl Fn(&str) -> Option<&'a str>,
        now: i64,
    ) -> Result<(&'a str, &'a str, &'a str), VerifyError> {
        let id = header(get_header, "webhook-id")?;
        let timestamp = header(get_header, "webhook-timestamp")?;
        let signatures = header(get_header, "webhook-signature")?;

        if !timestamp.bytes().all(|b| b.is_ascii_digit()) {
            return Err(VerifyError::InvalidTimestamp);
        }
        let ts: i64 = timestamp
            .parse()
            .map_err(|_| VerifyError::InvalidTimestamp)?;
        if now.abs_diff(ts) > self.tolerance.as_secs() {
            return Err(VerifyError::TimestampOutOfTolerance);
        }
        let well_formed = signatures
            .split(' ')
            .filter_map(|entry| entry.strip_prefix("v1,"))
            .any(|b64| B64.decode(b64).is_ok_and(|mac| mac.len() == 32));
        if !well_formed {
            return Err(VerifyError::NoMatchingSignature);
        }
        Ok((id, timestamp, signatures))
    }

    /// Verifies the headers against the raw body at `now` (unix seconds) and returns the
    /// webhook id. The window is checked before any HMAC work.
    pub fn verify<'a>(
        &self,
        get_header: impl Fn(&str) -> Option<&'a str>,
        body: &[u8],
        now: i64,
    ) -> Result<&'a str, VerifyError> {
        let (id, timestamp, signatures) = self.headers(&get_header, now)?;

        let expected: Vec<[u8; 32]> = self
            .secrets
            .iter()
            .map(|s| signed_content_mac(s, id, timestamp, body))
            .collect();
        let candidates = signatures
            .split(' ')
            .filter_map(|entry| entry.strip_prefix("v1,"))
            .filter_map(|b64| B64.decode(b64).ok());
        for candidate in candidates {
            // Every secret is compared, so timing does not tell which one matched.
            let matched = expected.iter().fold(0u8, |acc, e| {
                acc | e.as_slice().ct_eq(&candidate).unwrap_u8()
            });
            if matched == 1 {
                return Ok(id);
            }
        }
        Err(VerifyError::NoMatchingSignature)
    }
}

fn signed_content_mac(secret: &WebhookSecret, id: &str, timestamp: &str, body: &[u8]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(secret.key()).expect("HMAC takes any key length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().into()
}

/// A POST of `body` signed as Gigs sends it, timestamped now: for `send-webhook`, the demo
/// and the benchmark.
pub fn signed_post(
    client: &reqwest::Client,
    url: &str,
    secret: &WebhookSecret,
    webhook_id: &str,
    body: Vec<u8>,
) -> reqwest::RequestBuilder {
    let timestamp = chrono::Utc::now().timestamp();
    let signature = sign(secret, webhook_id, timestamp, &body);
    client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", webhook_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body)
}

/// The `webhook-signature` value Gigs would send for this message.
pub fn sign(secret: &WebhookSecret, id: &str, timestamp: i64, body: &[u8]) -> String {
    let mac = signed_content_mac(secret, id, &timestamp.to_string(), body);
    format!("v1,{}", B64.encode(mac))
}

#[cfg(test)]
#[path = "verify_tests.rs"]
mod tests;
