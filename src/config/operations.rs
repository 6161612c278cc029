//! Settings of operator features: bounce webhooks, alerts, retention.
use std::time::Duration;

use secrecy::SecretString;
use url::Url;

use super::{ConfigError, Env, env::malformed};
use crate::domain::WebhookSecret;

#[derive(Debug, Clone, Default)]
pub struct BounceSettings {
    /// Postmark: `user:password` for HTTP Basic.
    pub basic_auth: Option<(String, SecretString)>,
    /// Resend: Standard Webhooks secrets.
    pub secrets: Vec<WebhookSecret>,
    /// SES through SNS: the topics whose messages are taken.
    pub sns_topic_arns: Vec<String>,
    /// URL prefixes a signing certificate may also come from (tests, private endpoints).
    pub sns_cert_prefixes: Vec<String>,
}

impl BounceSettings {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let basic_auth = env
            .get("BOUNCE_WEBHOOK_BASIC_AUTH")
            .map(|v| match v.split_once(':') {
                Some((user, password)) if !user.is_empty() && !password.is_empty() => {
                    Ok((user.to_owned(), SecretString::from(password.to_owned())))
                }
                _ => Err(malformed(
                    "BOUNCE_WEBHOOK_BASIC_AUTH",
                    "expected user:password",
                )),
            })
            .transpose()?;
        let secrets = env
            .list("BOUNCE_WEBHOOK_SECRETS")
            .unwrap_or_default()
            .into_iter()
            .map(|s| WebhookSecret::parse(s).map_err(|e| malformed("BOUNCE_WEBHOOK_SECRETS", e)))
            .collect::<Result<_, _>>()?;
        let sns_topic_arns: Vec<String> = env
            .list("BOUNCE_SNS_TOPIC_ARNS")
            .unwrap_or_default()
            .into_iter()
            .map(str::to_owned)
            .collect();
        if let Some(bad) = sns_topic_arns.iter().find(|a| !a.starts_with("arn:aws")) {
            return Err(malformed(
                "BOUNCE_SNS_TOPIC_ARNS",
                format!("{bad:?} is not a topic ARN (arn:aws:sns:region:account:name)"),
            ));
        }
        let sns_cert_prefixes = env
            .list("BOUNCE_SNS_CERT_PREFIXES")
            .unwrap_or_default()
            .into_iter()
            .map(|p| match Url::parse(p) {
                // Ending in a slash, so `https://certs.example` cannot also admit
                // `https://certs.example.evil.net/`.
                Ok(u) if matches!(u.scheme(), "http" | "https") && p.ends_with('/') => {
                    Ok(p.to_owned())
                }
                _ => Err(malformed(
                    "BOUNCE_SNS_CERT_PREFIXES",
                    "expected http(s) URL prefixes ending in /",
                )),
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            basic_auth,
            secrets,
            sns_topic_arns,
            sns_cert_prefixes,
        })
    }
}

#[derive(Debug, Clone, Default)]
pub struct OperationsSettings {
    /// `ALERT_WEBHOOK_URL`; unset: no alerts.
    pub alert_url: Option<Url>,
    /// Alert once when no verified webhook came for this long; `None`: never.
    pub alert_quiet: Option<Duration>,
    /// Personal data of finished deliveries is erased after this; `None`: kept.
    pub retention: Option<Duration>,
}

impl OperationsSettings {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let alert_url = env
            .get("ALERT_WEBHOOK_URL")
            .map(|u| super::parse_http_url("ALERT_WEBHOOK_URL", u))
            .transpose()?;
        let quiet_hours: u64 = env.parsed("ALERT_QUIET_HOURS", 24)?;
        if quiet_hours > 24 * 365 {
            return Err(malformed("ALERT_QUIET_HOURS", "must be 0 to 8760"));
        }
        let days: u64 = env.parsed("RETENTION_DAYS", 90)?;
        if days > 36_500 {
            return Err(malformed("RETENTION_DAYS", "must be 0 to 36500"));
        }
        Ok(Self {
            alert_url,
            alert_quiet: (quiet_hours > 0).then(|| Duration::from_secs(quiet_hours * 3600)),
            retention: (days > 0).then(|| Duration::from_secs(days * 86_400)),
        })
    }
}
