//! Settings of the bounce webhooks: SES through SNS, Postmark, Resend.
use secrecy::SecretString;

use super::{ConfigErrors, Env, reader::Reader};
use crate::{bounces::sns::CertPrefix, domain::WebhookSecret};

#[derive(Debug, Clone, Default)]
pub struct BounceSettings {
    /// Postmark: `user:password` for HTTP Basic.
    pub basic_auth: Option<(String, SecretString)>,
    /// Resend: Standard Webhooks secrets.
    pub secrets: Vec<WebhookSecret>,
    /// SES through SNS: the topics whose messages are taken.
    pub sns_topic_arns: Vec<String>,
    /// URL prefixes a signing certificate may also come from (tests, private endpoints):
    /// https, or http on loopback.
    pub sns_cert_prefixes: Vec<CertPrefix>,
}

impl BounceSettings {
    pub fn read(env: &Env) -> Result<Self, ConfigErrors> {
        let mut r = Reader::new(env);
        let basic_auth = r.optional("BOUNCE_WEBHOOK_BASIC_AUTH", |v| match v.split_once(':') {
            Some((user, password)) if !user.is_empty() && !password.is_empty() => {
                Ok((user.to_owned(), SecretString::from(password.to_owned())))
            }
            _ => Err("is not user:password".into()),
        });
        let secrets = r.list("BOUNCE_WEBHOOK_SECRETS").unwrap_or_default();
        let secrets: Result<Vec<_>, _> = secrets.into_iter().map(WebhookSecret::parse).collect();
        let secrets = r.parsed(
            "BOUNCE_WEBHOOK_SECRETS",
            secrets.map_err(|e| format!("holds a bad secret: {e}")),
        );
        let arns = r.list("BOUNCE_SNS_TOPIC_ARNS").unwrap_or_default();
        if let Some(bad) = arns.iter().find(|a| !a.starts_with("arn:aws")) {
            r.problem(
                "BOUNCE_SNS_TOPIC_ARNS",
                format!("holds {bad:?}; expected topic ARNs (arn:aws:sns:region:account:name)"),
            );
        }
        let (prefixes, bad): (Vec<_>, Vec<_>) = r
            .list("BOUNCE_SNS_CERT_PREFIXES")
            .unwrap_or_default()
            .into_iter()
            .map(CertPrefix::parse)
            .partition(Result::is_ok);
        if !bad.is_empty() {
            let bad: Vec<String> = bad.into_iter().filter_map(Result::err).collect();
            r.problem("BOUNCE_SNS_CERT_PREFIXES", bad.join("; "));
        }
        r.finish(|| {
            Some(Self {
                basic_auth,
                secrets: secrets?,
                sns_topic_arns: arns.into_iter().map(str::to_owned).collect(),
                sns_cert_prefixes: prefixes.into_iter().filter_map(Result::ok).collect(),
            })
        })
    }
}
