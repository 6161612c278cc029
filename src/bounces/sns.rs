//! Amazon SNS message signatures: the AWS string to sign, checked against the signing
//! certificate, fetched only from an SNS host (or a configured prefix) and cached.
mod urls;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};

use base64::{Engine, engine::general_purpose::STANDARD as B64};
use rustls_pki_types::{
    AlgorithmIdentifier, CertificateDer, InvalidSignature, SignatureVerificationAlgorithm, alg_id,
    pem::PemObject,
};
use serde::Deserialize;
use url::Url;
pub use urls::CertPrefix;

/// An SNS message as posted to an HTTP(S) subscriber.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SnsMessage {
    #[serde(rename = "Type")]
    pub kind: String,
    pub message_id: String,
    pub topic_arn: String,
    pub message: String,
    pub timestamp: String,
    #[serde(default)]
    pub subject: Option<String>,
    pub signature_version: String,
    pub signature: String,
    #[serde(rename = "SigningCertURL")]
    pub signing_cert_url: String,
    #[serde(default, rename = "SubscribeURL")]
    pub subscribe_url: Option<String>,
    #[serde(default)]
    pub token: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SnsError {
    #[error("not an SNS message: {0}")]
    Malformed(String),
    #[error("the SNS topic is not one of BOUNCE_SNS_TOPIC_ARNS")]
    ForeignTopic,
    #[error("the signing certificate URL is not an SNS one")]
    CertUrl,
    #[error("the signing certificate could not be fetched")]
    CertFetch,
    #[error("the SNS signature does not verify")]
    BadSignature,
}

pub struct SnsVerifier {
    topics: Vec<String>,
    cert_prefixes: Vec<CertPrefix>,
    http: reqwest::Client,
    certs: Mutex<HashMap<String, Arc<Vec<u8>>>>,
    fetches: Mutex<FetchWindow>,
}

/// Certificates kept at most: SNS rotates rarely, and a flood of URLs must not grow it.
const CACHE_MAX: usize = 16;
/// A certificate is a few KB: anything longer is not one, and is not read further.
const CERT_MAX_BYTES: usize = 16 * 1024;
/// Certificate fetches a minute at most (cache misses): SNS uses one certificate for
/// months, so more means forged messages each naming a new URL.
const FETCHES_PER_MINUTE: u32 = 5;
/// AWS retries a notification within an hour; an older one is a replay.
const MAX_AGE: Duration = Duration::from_secs(3600);
const MAX_AHEAD: Duration = Duration::from_secs(300);

/// Fetches made in the current minute.
struct FetchWindow {
    started: Instant,
    count: u32,
}

impl SnsVerifier {
    pub fn new(topics: Vec<String>, cert_prefixes: Vec<CertPrefix>) -> anyhow::Result<Self> {
        let http = crate::tls::client_builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self {
            topics,
            cert_prefixes,
            http,
            certs: Mutex::default(),
            fetches: Mutex::new(FetchWindow {
                started: Instant::now(),
                count: 0,
            }),
        })
    }

    /// Parses and authenticates a message; the topic is checked first (403), then its age
    /// (400), the certificate's origin and the signature (401). Nothing is fetched for a
    /// message refused before its signature is checked.
    pub async fn verify(&self, body: &[u8]) -> Result<SnsMessage, SnsError> {
        let message: SnsMessage =
            serde_json::from_slice(body).map_err(|e| SnsError::Malformed(e.to_string()))?;
        if !self.topics.contains(&message.topic_arn) {
            return Err(SnsError::ForeignTopic);
        }
        let sha1 = match message.signature_version.as_str() {
            "1" => true,
            "2" => false,
            _ => return Err(SnsError::BadSignature),
        };
        fresh(&message.timestamp, Utc::now())?;
        let cert_url = urls::admitted(&message.signing_cert_url, &self.cert_prefixes)
            .filter(|u| u.path().ends_with(".pem"))
            .ok_or(SnsError::CertUrl)?;
        let pem = self.certificate(cert_url).await?;
        let der = CertificateDer::from_pem_slice(&pem).map_err(|_| SnsError::CertFetch)?;
        let cert = webpki::EndEntityCert::try_from(&der).map_err(|_| SnsError::CertFetch)?;
        let signature = B64
            .decode(message.signature.trim())
            .map_err(|_| SnsError::BadSignature)?;
        let signed = string_to_sign(&message).ok_or(SnsError::BadSignature)?;
        cert.verify_signature(&RsaPkcs1 { sha1 }, signed.as_bytes(), &signature)
            .map_err(|_| SnsError::BadSignature)?;
        Ok(message)
    }

    async fn certificate(&self, url: Url) -> Result<Arc<Vec<u8>>, SnsError> {
        let key = url.to_string();
        if let Some(pem) = self.certs.lock().expect("lock").get(&key) {
            return Ok(pem.clone());
        }
        if !self.may_fetch() {
            tracing::warn!("SNS certificate fetches over {FETCHES_PER_MINUTE} a minute; refused");
            return Err(SnsError::CertFetch);
        }
        let pem = Arc::new(self.fetch(url).await?);
        let mut certs = self.certs.lock().expect("lock");
        if certs.len() >= CACHE_MAX {
            certs.clear();
        }
        certs.insert(key, pem.clone());
        Ok(pem)
    }

    /// Counts a fetch in the current minute, unless the minute's allowance is spent.
    fn may_fetch(&self) -> bool {
        let mut window = self.fetches.lock().expect("lock");
        if window.started.elapsed() >= Duration::from_secs(60) {
            window.started = Instant::now();
            window.count = 0;
        }
        window.count += 1;
        window.count <= FETCHES_PER_MINUTE
    }

    /// GETs an admitted URL, reading at most `CERT_MAX_BYTES`; any failure means SNS
    /// should try again later.
    async fn fetch(&self, url: Url) -> Result<Vec<u8>, SnsError> {
        let mut response = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|_| SnsError::CertFetch)?;
        let too_long = response
            .content_length()
            .is_some_and(|n| n > CERT_MAX_BYTES as u64);
        if !response.status().is_success() || too_long {
            return Err(SnsError::CertFetch);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|_| SnsError::CertFetch)? {
            if body.len() + chunk.len() > CERT_MAX_BYTES {
                return Err(SnsError::CertFetch);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// Visits `SubscribeURL`, which is how an SNS subscription is confirmed.
    pub async fn confirm(&self, message: &SnsMessage) -> Result<(), SnsError> {
        let url = message
            .subscribe_url
            .as_deref()
            .ok_or(SnsError::BadSignature)?;
        let url = urls::admitted(url, &self.cert_prefixes).ok_or(SnsError::CertUrl)?;
        self.fetch(url).await.map(|_| ())
    }
}

/// Refuses a message whose `Timestamp` is over an hour old (a replay) or more than five
/// minutes ahead, before any certificate is fetched for it.
fn fresh(timestamp: &str, now: DateTime<Utc>) -> Result<(), SnsError> {
    let at = DateTime::parse_from_rfc3339(timestamp)
        .map_err(|_| SnsError::Malformed("the SNS Timestamp is not an ISO 8601 time".into()))?
        .with_timezone(&Utc);
    if now
        .signed_duration_since(at)
        .to_std()
        .is_ok_and(|age| age > MAX_AGE)
    {
        return Err(SnsError::Malformed(
            "the SNS message is more than an hour old; refused as a replay".into(),
        ));
    }
    if at
        .signed_duration_since(now)
        .to_std()
        .is_ok_and(|ahead| ahead > MAX_AHEAD)
    {
        return Err(SnsError::Malformed(
            "the SNS message's Timestamp is more than 5 minutes ahead".into(),
        ));
    }
    Ok(())
}

/// The AWS string to sign: the named fields, each as `Name\nvalue\n`, in this order.
pub fn string_to_sign(m: &SnsMessage) -> Option<String> {
    let mut fields: Vec<(&str, &str)> = vec![("Message", &m.message), ("MessageId", &m.message_id)];
    match m.kind.as_str() {
        "Notification" => {
            if let Some(subject) = &m.subject {
                fields.push(("Subject", subject));
            }
            fields.push(("Timestamp", &m.timestamp));
        }
        "SubscriptionConfirmation" | "UnsubscribeConfirmation" => {
            fields.push(("SubscribeURL", m.subscribe_url.as_deref()?));
            fields.push(("Timestamp", &m.timestamp));
            fields.push(("Token", m.token.as_deref()?));
        }
        _ => return None,
    }
    fields.push(("TopicArn", &m.topic_arn));
    fields.push(("Type", &m.kind));
    Some(fields.iter().map(|(k, v)| format!("{k}\n{v}\n")).collect())
}

/// RSA PKCS#1 v1.5 with SHA-1 (SignatureVersion 1) or SHA-256 (2), by ring.
#[derive(Debug)]
struct RsaPkcs1 {
    sha1: bool,
}

impl SignatureVerificationAlgorithm for RsaPkcs1 {
    fn verify_signature(&self, key: &[u8], msg: &[u8], sig: &[u8]) -> Result<(), InvalidSignature> {
        let alg = if self.sha1 {
            &ring::signature::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY
        } else {
            &ring::signature::RSA_PKCS1_2048_8192_SHA256
        };
        ring::signature::UnparsedPublicKey::new(alg, key)
            .verify(msg, sig)
            .map_err(|_| InvalidSignature)
    }

    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        alg_id::RSA_ENCRYPTION
    }

    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        if self.sha1 {
            // sha1WithRSAEncryption (1.2.840.113549.1.1.5), parameters NULL.
            AlgorithmIdentifier::from_slice(&[
                0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05, 0x05, 0x00,
            ])
        } else {
            alg_id::RSA_PKCS1_SHA256
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_over_an_hour_old_or_five_minutes_ahead_are_refused() {
        let now = DateTime::parse_from_rfc3339("2026-12-03T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        for ok in [
            "2026-12-03T09:00:01.000Z",
            "2026-12-03T10:04:59Z",
            "2026-12-03T10:00:00Z",
        ] {
            assert!(fresh(ok, now).is_ok(), "{ok}");
        }
        for bad in [
            "2026-12-03T08:59:59Z",
            "2026-11-03T10:00:00Z",
            "2026-12-03T10:05:01Z",
            "yesterday",
        ] {
            assert!(
                matches!(fresh(bad, now), Err(SnsError::Malformed(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn certificate_fetches_are_limited_to_a_few_a_minute() {
        let v = SnsVerifier::new(vec![], vec![]).unwrap();
        let allowed = (0..10).filter(|_| v.may_fetch()).count();
        assert_eq!(allowed, FETCHES_PER_MINUTE as usize);
    }

    #[test]
    fn the_string_to_sign_is_the_aws_one() {
        let mut m: SnsMessage = serde_json::from_str(include_str!(
            "../../tests/fixtures/bounces/ses-sns.bounce.json"
        ))
        .unwrap();
        let s = string_to_sign(&m).unwrap();
        assert!(s.starts_with("Message\n{\"notificationType\""));
        assert!(s.ends_with("TopicArn\narn:aws:sns:us-east-1:123456789012:esim-courier-bounces\nType\nNotification\n"));
        assert!(!s.contains("Subject\n"));
        m.subject = Some("Hi".into());
        assert!(
            string_to_sign(&m).unwrap().contains(
                "MessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\nSubject\nHi\nTimestamp\n"
            )
        );
        let c: SnsMessage = serde_json::from_str(include_str!(
            "../../tests/fixtures/bounces/ses-sns.subscription-confirmation.json"
        ))
        .unwrap();
        let s = string_to_sign(&c).unwrap();
        assert!(s.contains(
            "\nSubscribeURL\nhttps://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription"
        ));
        assert!(s.contains("\nToken\n2336412f37-example-token\nTopicArn\n"));
    }
}
