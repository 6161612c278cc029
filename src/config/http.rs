//! Settings of the HTTP side: listen address, webhook secrets and triggers, status API.
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use super::{ConfigError, Env, env::malformed};
use crate::domain::{Role, WebhookSecret};

/// Whichever comes first for a SIM sends its email: on some plans a subscription is
/// activated only once its eSIM is in use, so `created` must trigger too.
pub const DEFAULT_TRIGGER_EVENTS: [&str; 3] = [
    "com.gigs.subscription.created",
    "com.gigs.subscription.activated",
    "com.gigs.subscriptionChange.applied",
];

#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub listen_addr: String,
    pub webhook_secrets: Vec<WebhookSecret>,
    pub webhook_tolerance: Duration,
    pub trigger_events: Vec<String>,
    pub status_api_tokens: Vec<SecretString>,
    /// `STATUS_API_ROLES`: the role of each named token listed; the others are admins.
    pub status_api_roles: Vec<(String, Role)>,
    /// At most one resend per SIM per this long.
    pub resend_min_interval: Duration,
    /// A request body must arrive within this, or the connection is cut (408).
    pub body_timeout: Duration,
    /// Connections open at once; more wait in the listen backlog until one closes.
    pub max_connections: usize,
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
        let status_api_roles = roles(env, &status_api_tokens)?;
        let listen_addr = env.get("LISTEN_ADDR").unwrap_or("0.0.0.0:8080");
        check_listen_addr(listen_addr).map_err(|e| malformed("LISTEN_ADDR", e))?;
        // A stalled client costs up to ~0.5 MB until its deadline: this bounds a flood.
        let max_connections: usize = env.parsed("HTTP_MAX_CONNECTIONS", 1_000)?;
        if !(1..=100_000).contains(&max_connections) {
            return Err(malformed("HTTP_MAX_CONNECTIONS", "must be 1 to 100000"));
        }
        Ok(Self {
            listen_addr: listen_addr.to_owned(),
            webhook_secrets,
            webhook_tolerance: Duration::from_secs(env.parsed("WEBHOOK_TOLERANCE_SECS", 300)?),
            trigger_events,
            status_api_tokens,
            status_api_roles,
            resend_min_interval: Duration::from_secs(
                env.parsed::<u64>("RESEND_MIN_INTERVAL_SECS", 60)?
                    .min(30 * 86_400),
            ),
            body_timeout: Duration::from_secs(
                env.parsed::<u64>("REQUEST_BODY_TIMEOUT_SECS", 10)?
                    .clamp(1, 300),
            ),
            max_connections,
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

/// `name=role` pairs; each name must be the name of a `STATUS_API_TOKENS` entry.
fn roles(env: &Env, tokens: &[SecretString]) -> Result<Vec<(String, Role)>, ConfigError> {
    let Some(list) = env.get("STATUS_API_ROLES") else {
        return Ok(Vec::new());
    };
    let names: Vec<&str> = tokens
        .iter()
        .filter_map(|t| t.expose_secret().split_once(':').map(|(n, _)| n))
        .collect();
    let mut roles = Vec::new();
    for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let (name, role) = entry
            .split_once('=')
            .ok_or_else(|| malformed("STATUS_API_ROLES", format!("{entry:?} is not name=role")))?;
        let role: Role = role
            .trim()
            .parse()
            .map_err(|e| malformed("STATUS_API_ROLES", e))?;
        let name = name.trim();
        if !names.contains(&name) {
            return Err(malformed(
                "STATUS_API_ROLES",
                format!("{name:?} is not the name of a STATUS_API_TOKENS entry (name:token)"),
            ));
        }
        roles.push((name.to_owned(), role));
    }
    Ok(roles)
}

/// Gigs event types whose data names a subscription's new SIM.
pub const KNOWN_TRIGGER_EVENTS: [&str; 3] = DEFAULT_TRIGGER_EVENTS;

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
