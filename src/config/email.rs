//! Settings of the email: SMTP server and pace, sender, brand, install links.
use std::{path::PathBuf, time::Duration};

use lettre::message::Mailbox;
use secrecy::SecretString;
use url::Url;

use super::{
    ConfigError, ConfigErrors, Env, SmtpUrl,
    reader::{Range, Reader, http_url},
    smtp,
};

#[derive(Debug, Clone)]
pub struct EmailSettings {
    pub smtp_url: SmtpUrl,
    pub from: Mailbox,
    pub reply_to: Option<Mailbox>,
    pub brand_name: String,
    /// An http(s) page or a `mailto:` address.
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
    /// Messages handed to the relay per second by all processes together; `None`: no limit.
    pub smtp_max_per_second: Option<u32>,
}

/// `BRAND_NAME` when unset: the email then uses its wording that names no brand.
pub const DEFAULT_BRAND_NAME: &str = "Your mobile provider";

impl EmailSettings {
    /// The brand to name, if one is configured.
    pub fn brand(&self) -> Option<&str> {
        Some(self.brand_name.as_str()).filter(|b| *b != DEFAULT_BRAND_NAME)
    }

    /// The first problem only: for `preview`, which reports one. `read` reports all.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Self::read(env).map_err(ConfigErrors::into_first)
    }

    pub fn read(env: &Env) -> Result<Self, ConfigErrors> {
        let mut r = Reader::new(env);
        let templates_dir = r.optional("TEMPLATES_DIR", |v| match PathBuf::from(v) {
            dir if dir.is_dir() => Ok(dir),
            dir => Err(format!("is {}, which is not a folder", dir.display())),
        });
        let smtp_url = r.required("SMTP_URL", smtp::parse);
        let from = r.required("EMAIL_FROM", mailbox);
        let reply_to = r.optional("EMAIL_REPLY_TO", mailbox);
        let support_url = r.optional("SUPPORT_URL", support_url);
        let public_base_url = r.optional("PUBLIC_BASE_URL", http_url);
        let ttl_days: u64 = r.number("INSTALL_LINK_TTL_DAYS", 30, Range::new(1..=3650, "days"));
        let smtp_max_per_second = r.optional_number(
            "SMTP_MAX_PER_SECOND",
            Range::new(1..=10_000, "messages a second"),
        );
        let install_link_key = r
            .value("INSTALL_LINK_SECRET")
            .or_else(|| r.value("GIGS_API_KEY"))
            .unwrap_or_default();
        let brand_name = r.value("BRAND_NAME").unwrap_or(DEFAULT_BRAND_NAME);
        r.finish(|| {
            Some(Self {
                smtp_url: smtp_url?,
                from: from?,
                reply_to,
                brand_name: brand_name.to_owned(),
                support_url,
                public_base_url,
                templates_dir,
                install_link_ttl: Duration::from_secs(86_400 * ttl_days),
                install_link_key: SecretString::from(install_link_key.to_owned()),
                smtp_max_per_second,
            })
        })
    }
}

fn mailbox(v: &str) -> Result<Mailbox, String> {
    v.parse::<Mailbox>()
        .map_err(|_| format!("is {v:?}; expected \"Name <address@domain>\" or \"address@domain\""))
}

/// A support page, or an address to write to (`mailto:help@acme.example`).
fn support_url(v: &str) -> Result<Url, String> {
    match Url::parse(v) {
        Ok(url) if url.scheme() == "mailto" && url.path().contains('@') => Ok(url),
        _ => http_url(v).map_err(|_| {
            format!(
                "is {v:?}; expected an absolute http(s) URL (https://acme.example/help) or \
                 mailto:address@domain"
            )
        }),
    }
}
