//! Settings read from the environment, each checked once at start.
mod env;
mod smtp;

use std::{path::PathBuf, str::FromStr, time::Duration};

pub use env::Env;
use env::malformed;
pub use smtp::{SmtpServer, SmtpTls, SmtpUrl};

use lettre::message::Mailbox;
use secrecy::SecretString;
use url::Url;

use crate::domain::{ProjectId, WebhookSecret};

pub const DEFAULT_TRIGGER_EVENTS: [&str; 2] = [
    "com.gigs.subscription.activated",
    "com.gigs.subscriptionChange.applied",
];

/// A missing or malformed variable; its `Display` is the one line printed before exit 2.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {var} {problem}")]
pub struct ConfigError {
    pub var: &'static str,
    pub problem: String,
}

#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    pub url: SecretString,
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl DatabaseSettings {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let url = env
            .get("DATABASE_URL")
            .unwrap_or("postgres://postgres@localhost:5432/esim_courier");
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(malformed("DATABASE_URL", "expected a postgres:// URL"));
        }
        let options = <sqlx::postgres::PgConnectOptions as FromStr>::from_str(url)
            .map_err(|_| malformed("DATABASE_URL", "not a valid PostgreSQL URL"))?;
        // Without one, the server's default (the user's name, often the maintenance
        // database `postgres`) would silently receive the service's tables.
        if options.get_database().is_none_or(str::is_empty) {
            return Err(malformed(
                "DATABASE_URL",
                "names no database; expected postgres://user@host:5432/esim_courier",
            ));
        }
        let max_connections: u32 = env.parsed("DATABASE_MAX_CONNECTIONS", 24)?;
        if !(1..=1000).contains(&max_connections) {
            return Err(malformed("DATABASE_MAX_CONNECTIONS", "must be 1 to 1000"));
        }
        Ok(Self {
            url: SecretString::from(url.to_owned()),
            max_connections,
            acquire_timeout: Duration::from_secs(3),
        })
    }
}

#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub listen_addr: String,
    pub webhook_secrets: Vec<WebhookSecret>,
    pub webhook_tolerance: Duration,
    pub trigger_events: Vec<String>,
    pub status_api_tokens: Vec<SecretString>,
    /// At most one resend per SIM per this long.
    pub resend_min_interval: Duration,
    /// A request body must arrive within this, or the connection is cut (408).
    pub body_timeout: Duration,
}

impl HttpSettings {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let webhook_secrets = env
            .required_list("GIGS_WEBHOOK_SECRETS")?
            .into_iter()
            .map(|s| WebhookSecret::parse(s).map_err(|e| malformed("GIGS_WEBHOOK_SECRETS", e)))
            .collect::<Result<_, _>>()?;
        let trigger_events = env
            .list("TRIGGER_EVENTS")
            .map(|l| l.into_iter().map(str::to_owned).collect())
            .unwrap_or_else(|| DEFAULT_TRIGGER_EVENTS.map(str::to_owned).to_vec());
        let status_api_tokens: Vec<SecretString> = env
            .required_list("STATUS_API_TOKENS")?
            .into_iter()
            .map(|t| SecretString::from(t.to_owned()))
            .collect();
        let listen_addr = env.get("LISTEN_ADDR").unwrap_or("0.0.0.0:8080");
        check_listen_addr(listen_addr).map_err(|e| malformed("LISTEN_ADDR", e))?;
        Ok(Self {
            listen_addr: listen_addr.to_owned(),
            webhook_secrets,
            webhook_tolerance: Duration::from_secs(env.parsed("WEBHOOK_TOLERANCE_SECS", 300)?),
            trigger_events,
            status_api_tokens,
            resend_min_interval: Duration::from_secs(env.parsed("RESEND_MIN_INTERVAL_SECS", 60)?),
            body_timeout: Duration::from_secs(
                env.parsed::<u64>("REQUEST_BODY_TIMEOUT_SECS", 10)?
                    .clamp(1, 300),
            ),
        })
    }

    /// Settings that are valid but probably a mistake, for a warning at start.
    pub fn warnings(&self) -> Vec<String> {
        self.trigger_events
            .iter()
            .filter(|t| !KNOWN_TRIGGER_EVENTS.contains(&t.as_str()))
            .map(|t| {
                format!(
                    "TRIGGER_EVENTS names {t:?}, which is not a Gigs event that carries a new \
                     SIM ({}); its events send nothing unless their data names an eSIM",
                    KNOWN_TRIGGER_EVENTS.join(", ")
                )
            })
            .collect()
    }
}

/// Gigs event types whose data names a subscription's new SIM.
pub const KNOWN_TRIGGER_EVENTS: [&str; 3] = [
    "com.gigs.subscription.created",
    "com.gigs.subscription.activated",
    "com.gigs.subscriptionChange.applied",
];

/// `host:port`, with a port number; the host is resolved when binding.
fn check_listen_addr(v: &str) -> Result<(), &'static str> {
    if v.parse::<std::net::SocketAddr>().is_ok() {
        return Ok(());
    }
    match v.rsplit_once(':') {
        Some((host, port))
            if !host.is_empty()
                && port.parse::<u16>().is_ok()
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-')) =>
        {
            Ok(())
        }
        _ => Err("expected host:port, e.g. 0.0.0.0:8080"),
    }
}

#[derive(Debug, Clone)]
pub struct GigsSettings {
    pub api_url: Url,
    pub project: ProjectId,
    pub api_key: SecretString,
    pub timeout: Duration,
}

impl GigsSettings {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let api_url = parse_http_url(
            "GIGS_API_URL",
            env.get("GIGS_API_URL").unwrap_or("https://api.gigs.com"),
        )?;
        let project = ProjectId::parse(env.required("GIGS_PROJECT")?)
            .map_err(|e| malformed("GIGS_PROJECT", e))?;
        Ok(Self {
            api_url,
            project,
            api_key: SecretString::from(env.required("GIGS_API_KEY")?.to_owned()),
            timeout: Duration::from_secs(10),
        })
    }
}

#[derive(Debug, Clone)]
pub struct EmailSettings {
    pub smtp_url: SmtpUrl,
    pub from: Mailbox,
    pub reply_to: Option<Mailbox>,
    pub brand_name: String,
    pub support_url: Option<Url>,
    /// Enables the device-aware `/install/{token}` link in emails.
    pub public_base_url: Option<Url>,
    /// Files here replace the built-in templates and strings of the same name.
    pub templates_dir: Option<PathBuf>,
    /// How long an install link works.
    pub install_link_ttl: Duration,
    /// Derives each delivery's install-link token: `INSTALL_LINK_SECRET`, else
    /// `GIGS_API_KEY` (every process that sends has it).
    pub install_link_key: SecretString,
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
        if let Some(dir) = &templates_dir {
            check_templates(dir)?;
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
        Ok(Self {
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

/// Loads the overrides and renders every email and page with them, so a broken file stops
/// the start (exit 2, naming it) rather than a delivery.
fn check_templates(dir: &std::path::Path) -> Result<(), ConfigError> {
    let problem = |e: crate::email::TemplateError| ConfigError {
        var: "TEMPLATES_DIR",
        problem: format!("file {e}"),
    };
    let templates = crate::email::Templates::load(Some(dir)).map_err(problem)?;
    crate::install::check_pages(templates).map_err(problem)
}

#[derive(Debug, Clone)]
pub struct WorkerSettings {
    pub concurrency: usize,
    pub max_attempts: i32,
    /// How long a claim stays valid without renewal; a living worker renews its claims five
    /// times a lease, so a worker that dies loses its deliveries within one lease.
    pub lease: Duration,
    /// First retry delay; doubles each attempt up to `backoff_max`, with jitter.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// How often to look for due retries when no notification arrives.
    pub poll_interval: Duration,
    /// At shutdown, how long in-flight deliveries may finish before their leases are
    /// handed back.
    pub shutdown_grace: Duration,
}

impl WorkerSettings {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let concurrency: usize = env.parsed("WORKER_CONCURRENCY", 16)?;
        if concurrency == 0 || concurrency > 1024 {
            return Err(malformed("WORKER_CONCURRENCY", "must be 1 to 1024"));
        }
        let max_attempts: i32 = env.parsed("DELIVERY_MAX_ATTEMPTS", 10)?;
        if !(1..=100).contains(&max_attempts) {
            return Err(malformed("DELIVERY_MAX_ATTEMPTS", "must be 1 to 100"));
        }
        let lease: u64 = env.parsed("DELIVERY_LEASE_SECS", 25)?;
        if !(5..=600).contains(&lease) {
            return Err(malformed("DELIVERY_LEASE_SECS", "must be 5 to 600"));
        }
        Ok(Self {
            concurrency,
            max_attempts,
            lease: Duration::from_secs(lease),
            shutdown_grace: Duration::from_secs(env.parsed("SHUTDOWN_GRACE_SECS", 20)?),
            ..Self::default()
        })
    }
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            concurrency: 16,
            max_attempts: 10,
            lease: Duration::from_secs(25),
            backoff_base: Duration::from_secs(30),
            backoff_max: Duration::from_secs(3600),
            poll_interval: Duration::from_secs(1),
            shutdown_grace: Duration::from_secs(20),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

impl LogFormat {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        match env.get("LOG_FORMAT").unwrap_or("json") {
            "json" => Ok(Self::Json),
            "pretty" => Ok(Self::Pretty),
            other => Err(malformed(
                "LOG_FORMAT",
                format!("{other:?} is not json or pretty"),
            )),
        }
    }
}

fn parse_http_url(var: &'static str, v: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(v).map_err(|e| malformed(var, e))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(malformed(var, "expected an http(s) URL"));
    }
    Ok(url)
}

/// Everything `serve` needs; `worker` and `migrate` load only their parts.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub http: HttpSettings,
    pub gigs: GigsSettings,
    pub email: EmailSettings,
    pub worker: WorkerSettings,
}

impl Settings {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            database: DatabaseSettings::from_env(env)?,
            http: HttpSettings::from_env(env)?,
            gigs: GigsSettings::from_env(env)?,
            email: EmailSettings::from_env(env)?,
            worker: WorkerSettings::from_env(env)?,
        })
    }
}

#[cfg(test)]
mod tests;
