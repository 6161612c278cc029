//! Settings of the email: SMTP server, sender, brand, install links.
use std::{path::PathBuf, time::Duration};

use lettre::message::Mailbox;
use secrecy::SecretString;
use url::Url;

use super::{ConfigError, Env, SmtpUrl, env::malformed, parse_http_url, smtp};

#[derive(Debug, Clone)]
pub struct EmailSettings {
    pub smtp_url: SmtpUrl,
    pub from: Mailbox,
    pub reply_to: Option<Mailbox>,
    pub brand_name: String,
    pub support_url: Option<Url>,
    /// Enables the device-aware `/install/{token}` link in emails.
    pub public_base_url: Option<Url>,
    /// Files here replace the built-in templates and strings of the same name; they are
    /// rendered once at start (see `email::check_overrides`).
    pub templates_dir: Option<PathBuf>,
    /// How long an install link works.
    pub install_link_ttl: Duration,
    /// Derives each delivery's install-link token: `INSTALL_LINK_SECRET`, else
    /// `GIGS_API_KEY` (every process that sends has it).
    pub install_link_key: SecretString,
    /// `SMTP_MAX_PER_SECOND`: messages handed to the relay per second by all processes on
    /// the database together; unset, no limit.
    pub smtp_max_per_second: Option<u32>,
}

/// `BRAND_NAME` when unset: the email then uses its wording that names no brand.
pub const DEFAULT_BRAND_NAME: &str = "Your mobile provider";

impl EmailSettings {
    /// The brand to name, if one is configured.
    pub fn brand(&self) -> Option<&str> {
        Some(self.brand_name.as_str()).filter(|b| *b != DEFAULT_BRAND_NAME)
    }

    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let templates_dir = env.get("TEMPLATES_DIR").map(PathBuf::from);
        if let Some(dir) = templates_dir.as_ref().filter(|d| !d.is_dir()) {
            return Err(malformed(
                "TEMPLATES_DIR",
                format!("{} is not a folder", dir.display()),
            ));
        }
        let smtp_url =
            smtp::parse(env.required("SMTP_URL")?).map_err(|e| malformed("SMTP_URL", e))?;
        let mailbox = |var: &'static str, v: &str| {
            v.parse::<Mailbox>().map_err(|_| {
                malformed(
                    var,
                    format!(
                        "{v:?} is not an address; expected \"Name <address@domain>\" or \
                         \"address@domain\""
                    ),
                )
            })
        };
        let smtp_max_per_second = match env.get("SMTP_MAX_PER_SECOND") {
            None => None,
            Some(v) => Some(
                v.parse::<u32>()
                    .ok()
                    .filter(|n| (1..=10_000).contains(n))
                    .ok_or_else(|| {
                        malformed(
                            "SMTP_MAX_PER_SECOND",
                            "must be a whole number from 1 to 10000",
                        )
                    })?,
            ),
        };
        Ok(Self {
            smtp_max_per_second,
            smtp_url,
            from: mailbox("EMAIL_FROM", env.required("EMAIL_FROM")?)?,
            reply_to: env
                .get("EMAIL_REPLY_TO")
                .map(|v| mailbox("EMAIL_REPLY_TO", v))
                .transpose()?,
            brand_name: env
                .get("BRAND_NAME")
                .unwrap_or(DEFAULT_BRAND_NAME)
                .to_owned(),
            support_url: env
                .get("SUPPORT_URL")
                .map(|u| parse_http_url("SUPPORT_URL", u))
                .transpose()?,
            public_base_url: env
                .get("PUBLIC_BASE_URL")
                .map(|u| parse_http_url("PUBLIC_BASE_URL", u))
                .transpose()?,
            templates_dir,
            install_link_ttl: Duration::from_secs(
                86_400
                    * env
                        .parsed::<u64>("INSTALL_LINK_TTL_DAYS", 30)?
                        .clamp(1, 3650),
            ),
            install_link_key: SecretString::from(
                env.get("INSTALL_LINK_SECRET")
                    .or_else(|| env.get("GIGS_API_KEY"))
                    .unwrap_or_default()
                    .to_owned(),
            ),
        })
    }
}
