//! The configured mail providers, each authenticated the way it signs its notifications:
//! one `precheck` on the headers before a body is read, one `authenticate_and_parse`.
use base64::{Engine, engine::general_purpose::STANDARD as B64};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{
    Notice,
    sns::{SnsError, SnsVerifier},
};
use crate::{alerts::Alerts, webhooks::WebhookVerifier};

/// Why a bounce notification was refused; the HTTP wing maps each to a status.
#[derive(Debug, thiserror::Error)]
pub enum BounceError {
    #[error("no such bounce provider here")]
    NotConfigured,
    #[error("{0}")]
    Malformed(String),
    #[error("{0}")]
    Unauthenticated(String),
    #[error("HTTP Basic credentials required")]
    BasicRequired,
    #[error("{0}")]
    ForeignTopic(String),
    #[error("{0}")]
    Unavailable(String),
}

impl From<SnsError> for BounceError {
    fn from(e: SnsError) -> Self {
        let shown = e.to_string();
        match e {
            SnsError::Malformed(_) => Self::Malformed(shown),
            SnsError::ForeignTopic => Self::ForeignTopic(shown),
            SnsError::CertUrl | SnsError::BadSignature => Self::Unauthenticated(shown),
            SnsError::CertFetch => Self::Unavailable(shown),
        }
    }
}

/// One provider's way in.
pub enum Provider {
    /// Amazon SES through SNS: a signed message, certificates fetched from AWS. `topics`
    /// (`BOUNCE_SNS_TOPIC_ARNS`) are also checked on SNS's headers before the body.
    Ses {
        verifier: SnsVerifier,
        topics: Vec<String>,
    },
    /// Postmark: HTTP Basic credentials (`BOUNCE_WEBHOOK_BASIC_AUTH`).
    Postmark {
        user: String,
        password: SecretString,
    },
    /// Resend: Standard Webhooks signatures (`BOUNCE_WEBHOOK_SECRETS`).
    Resend(WebhookVerifier),
}

impl Provider {
    /// What the headers alone can refuse, before any body is read.
    pub fn precheck<'a>(
        &self,
        header: impl Fn(&str) -> Option<&'a str>,
        now: i64,
    ) -> Result<(), BounceError> {
        match self {
            Self::Ses { topics, .. } => sns_headers(&header, topics),
            Self::Postmark { user, password } => basic_auth(&header, user, password),
            Self::Resend(verifier) => verifier
                .precheck(header, now)
                .map_err(|e| resend_error(e.is_authentication_failure(), e.to_string())),
        }
    }

    /// Authenticates the notification and reads its notices; an SNS subscription
    /// confirmation is confirmed here and carries none.
    pub async fn authenticate_and_parse<'a>(
        &self,
        header: impl Fn(&str) -> Option<&'a str>,
        body: &[u8],
        now: i64,
    ) -> Result<Vec<Notice>, BounceError> {
        match self {
            Self::Ses { verifier, .. } => ses(verifier, body).await,
            Self::Postmark { user, password } => {
                basic_auth(&header, user, password)?;
                super::parse_postmark(body).map_err(BounceError::Malformed)
            }
            Self::Resend(verifier) => {
                verifier
                    .verify(header, body, now)
                    .map_err(|e| resend_error(e.is_authentication_failure(), e.to_string()))?;
                super::parse_resend(body).map_err(BounceError::Malformed)
            }
        }
    }
}

/// SNS names the message's type and topic in headers: a request without them, or for a
/// topic not configured, is refused before its body is read. (The body's signed topic is
/// checked again after.)
fn sns_headers<'a>(
    header: &impl Fn(&str) -> Option<&'a str>,
    topics: &[String],
) -> Result<(), BounceError> {
    let kind = header("x-amz-sns-message-type").unwrap_or_default();
    if !matches!(
        kind,
        "Notification" | "SubscriptionConfirmation" | "UnsubscribeConfirmation"
    ) {
        return Err(BounceError::Malformed(
            "not an SNS message (x-amz-sns-message-type)".into(),
        ));
    }
    let topic = header("x-amz-sns-topic-arn").unwrap_or_default();
    if !topics.iter().any(|t| t == topic) {
        return Err(BounceError::ForeignTopic(
            "the SNS topic is not one of BOUNCE_SNS_TOPIC_ARNS".into(),
        ));
    }
    Ok(())
}

fn resend_error(authentication: bool, shown: String) -> BounceError {
    if authentication {
        BounceError::Unauthenticated(shown)
    } else {
        BounceError::Malformed(shown)
    }
}

async fn ses(verifier: &SnsVerifier, body: &[u8]) -> Result<Vec<Notice>, BounceError> {
    let message = verifier.verify(body).await?;
    match message.kind.as_str() {
        "SubscriptionConfirmation" => {
            verifier.confirm(&message).await?;
            tracing::info!(topic = message.topic_arn, "SNS subscription confirmed");
            Ok(Vec::new())
        }
        "Notification" => super::parse_ses(&message.message).map_err(BounceError::Malformed),
        _ => Ok(Vec::new()),
    }
}

fn basic_auth<'a>(
    header: &impl Fn(&str) -> Option<&'a str>,
    user: &str,
    password: &SecretString,
) -> Result<(), BounceError> {
    let expected = format!("{user}:{}", password.expose_secret());
    let presented = header("authorization")
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b64| B64.decode(b64.trim()).ok())
        .unwrap_or_default();
    // Digests have one length, so the comparison tells nothing about the password's.
    let same: bool = Sha256::digest(&presented)
        .ct_eq(&Sha256::digest(expected.as_bytes()))
        .into();
    if same {
        Ok(())
    } else {
        Err(BounceError::BasicRequired)
    }
}

/// The providers configured (a route for another answers 404), and whether what they
/// report raises alerts.
#[derive(Default)]
pub struct BounceProviders {
    pub ses: Option<Provider>,
    pub postmark: Option<Provider>,
    pub resend: Option<Provider>,
    pub alerts: Alerts,
}

impl BounceProviders {
    pub fn get(&self, name: &str) -> Result<&Provider, BounceError> {
        match name {
            "ses" => self.ses.as_ref(),
            "postmark" => self.postmark.as_ref(),
            "resend" => self.resend.as_ref(),
            _ => None,
        }
        .ok_or(BounceError::NotConfigured)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn postmark() -> Provider {
        Provider::Postmark {
            user: "pm".into(),
            password: SecretString::from("s3cret-password"),
        }
    }

    #[test]
    fn postmark_needs_its_basic_credentials_before_the_body() {
        let good = format!("Basic {}", B64.encode("pm:s3cret-password"));
        let bad = format!("Basic {}", B64.encode("pm:guess"));
        let check =
            |value: &str| postmark().precheck(|n| (n == "authorization").then_some(value), 0);
        assert!(check(&good).is_ok());
        assert!(matches!(check(&bad), Err(BounceError::BasicRequired)));
        assert!(matches!(
            postmark().precheck(|_| None, 0),
            Err(BounceError::BasicRequired)
        ));
    }

    #[test]
    fn an_unconfigured_provider_is_not_found() {
        let none = BounceProviders::default();
        for name in ["ses", "postmark", "resend", "mailgun"] {
            assert!(matches!(none.get(name), Err(BounceError::NotConfigured)));
        }
        let some = BounceProviders {
            postmark: Some(postmark()),
            ..Default::default()
        };
        assert!(some.get("postmark").is_ok());
    }
}
