//! Amazon SNS message signatures: the AWS string to sign, checked against the signing
//! certificate, fetched only from an SNS host (or a configured prefix) and cached.
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use base64::{Engine, engine::general_purpose::STANDARD as B64};
use rustls_pki_types::{
    AlgorithmIdentifier, CertificateDer, InvalidSignature, SignatureVerificationAlgorithm, alg_id,
    pem::PemObject,
};
use serde::Deserialize;
use url::Url;

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
    cert_prefixes: Vec<String>,
    http: reqwest::Client,
    certs: Mutex<HashMap<String, Arc<Vec<u8>>>>,
}

/// Certificates kept at most: SNS rotates rarely, and a flood of URLs must not grow it.
const CACHE_MAX: usize = 16;

impl SnsVerifier {
    pub fn new(topics: Vec<String>, cert_prefixes: Vec<String>) -> anyhow::Result<Self> {
        let http = crate::tls::client_builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self {
            topics,
            cert_prefixes,
            http,
            certs: Mutex::default(),
        })
    }

    /// A URL SNS itself would use (`https://sns.<region>.amazonaws.com/…`), or one under a
    /// configured prefix. Used for certificates and for confirming subscriptions.
    pub fn is_sns_url(&self, url: &str) -> bool {
        if self
            .cert_prefixes
            .iter()
            .any(|p| url.starts_with(p.as_str()))
        {
            return true;
        }
        let Ok(parsed) = Url::parse(url) else {
            return false;
        };
        let host = parsed.host_str().unwrap_or_default();
        let region = host.strip_prefix("sns.").and_then(|h| {
            h.strip_suffix(".amazonaws.com")
                .or(h.strip_suffix(".amazonaws.com.cn"))
        });
        parsed.scheme() == "https"
            && parsed.port().is_none()
            && region.is_some_and(|r| {
                !r.is_empty()
                    && r.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            })
    }

    /// Parses and authenticates a message; the topic is checked first (403), then the
    /// certificate's origin and the signature (401).
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
        if !self.is_sns_url(&message.signing_cert_url)
            || !message.signing_cert_url.ends_with(".pem")
        {
            return Err(SnsError::CertUrl);
        }
        let pem = self.certificate(&message.signing_cert_url).await?;
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

    async fn certificate(&self, url: &str) -> Result<Arc<Vec<u8>>, SnsError> {
        if let Some(pem) = self.certs.lock().expect("lock").get(url) {
            return Ok(pem.clone());
        }
        let pem = Arc::new(self.fetch(url).await?);
        let mut certs = self.certs.lock().expect("lock");
        if certs.len() >= CACHE_MAX {
            certs.clear();
        }
        certs.insert(url.to_owned(), pem.clone());
        Ok(pem)
    }

    /// GETs an SNS URL; any failure means SNS should try again later.
    async fn fetch(&self, url: &str) -> Result<Vec<u8>, SnsError> {
        let response = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|_| SnsError::CertFetch)?;
        if !response.status().is_success() {
            return Err(SnsError::CertFetch);
        }
        let body = response.bytes().await.map_err(|_| SnsError::CertFetch)?;
        Ok(body.to_vec())
    }

    /// Visits `SubscribeURL`, which is how an SNS subscription is confirmed.
    pub async fn confirm(&self, message: &SnsMessage) -> Result<(), SnsError> {
        let url = message
            .subscribe_url
            .as_deref()
            .ok_or(SnsError::BadSignature)?;
        if !self.is_sns_url(url) {
            return Err(SnsError::CertUrl);
        }
        self.fetch(url).await.map(|_| ())
    }
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

    fn verifier() -> SnsVerifier {
        SnsVerifier::new(vec![], vec!["http://127.0.0.1:9/certs/".into()]).unwrap()
    }

    #[test]
    fn certificates_come_only_from_sns_hosts_or_a_configured_prefix() {
        let v = verifier();
        for ok in [
            "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem",
            "https://sns.cn-north-1.amazonaws.com.cn/x.pem",
            "http://127.0.0.1:9/certs/test.pem",
        ] {
            assert!(v.is_sns_url(ok), "{ok}");
        }
        for bad in [
            "http://sns.us-east-1.amazonaws.com/x.pem",
            "https://sns.us-east-1.amazonaws.com.evil.example/x.pem",
            "https://evil.example/sns.us-east-1.amazonaws.com/x.pem",
            "https://sns..amazonaws.com/x.pem",
            "https://sns.us-east-1.amazonaws.com:8443/x.pem",
            "https://s3.amazonaws.com/x.pem",
            "http://127.0.0.1:9/other/test.pem",
        ] {
            assert!(!v.is_sns_url(bad), "{bad}");
        }
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
