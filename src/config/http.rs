//! Settings of the HTTP side: listen address, webhook secrets and triggers, status API,
//! console sessions.
use std::{ops::RangeInclusive, time::Duration};

use super::{
    ConfigErrors, Env,
    reader::{Range, Reader, host_port},
    tokens::{self, StatusToken},
};
use crate::domain::WebhookSecret;

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
    /// `STATUS_API_TOKENS`, each with its role from `STATUS_API_ROLES`.
    pub status_api_tokens: Vec<StatusToken>,
    /// At most one resend per SIM per this long.
    pub resend_min_interval: Duration,
    /// A request body must arrive within this, or the connection is cut (408).
    pub body_timeout: Duration,
    /// Connections open at once; more wait in the listen backlog until one closes.
    pub max_connections: usize,
    /// A console session ends this long after sign-in.
    pub console_session: Duration,
    /// Wrong bearer tokens a minute from one client address before it gets `429`.
    pub wrong_tokens_per_minute: usize,
}

impl HttpSettings {
    pub fn read(env: &Env) -> Result<Self, ConfigErrors> {
        let mut r = Reader::new(env);
        let webhook_secrets = webhook_secrets(&mut r);
        let trigger_events = trigger_events(&mut r);
        let status_api_tokens = tokens::read(&mut r);
        let listen_addr = r.parsed(
            "LISTEN_ADDR",
            host_port(r.value("LISTEN_ADDR").unwrap_or("0.0.0.0:8080")),
        );
        // A stalled client costs up to ~0.5 MB until its deadline: this bounds a flood.
        let max_connections = r.number(
            "HTTP_MAX_CONNECTIONS",
            1_000,
            Range::new(1..=100_000, "connections"),
        );
        let webhook_tolerance = secs(&mut r, "WEBHOOK_TOLERANCE_SECS", 300, 10..=3600);
        let resend_min_interval = secs(&mut r, "RESEND_MIN_INTERVAL_SECS", 60, 0..=2_592_000);
        let body_timeout = secs(&mut r, "REQUEST_BODY_TIMEOUT_SECS", 10, 1..=300);
        let session_hours: u64 =
            r.number("CONSOLE_SESSION_HOURS", 12, Range::new(1..=720, "hours"));
        let wrong_tokens_per_minute = r.number(
            "WRONG_TOKENS_PER_MINUTE",
            20,
            Range::new(1..=100_000, "wrong tokens"),
        );
        r.finish(|| {
            Some(Self {
                listen_addr: listen_addr?,
                webhook_secrets: webhook_secrets?,
                webhook_tolerance,
                trigger_events: trigger_events?,
                status_api_tokens: status_api_tokens?,
                resend_min_interval,
                body_timeout,
                max_connections,
                console_session: Duration::from_secs(session_hours * 3600),
                wrong_tokens_per_minute,
            })
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

fn secs(
    r: &mut Reader<'_>,
    var: &'static str,
    default: u64,
    range: RangeInclusive<u64>,
) -> Duration {
    Duration::from_secs(r.number(var, default, Range::new(range, "seconds")))
}

/// Gigs event types whose data names a subscription's new SIM.
pub const KNOWN_TRIGGER_EVENTS: [&str; 3] = DEFAULT_TRIGGER_EVENTS;

fn webhook_secrets(r: &mut Reader<'_>) -> Option<Vec<WebhookSecret>> {
    const VAR: &str = "GIGS_WEBHOOK_SECRETS";
    let Some(entries) = r.list(VAR) else {
        r.problem(VAR, "is required but not set");
        return None;
    };
    let parsed: Result<Vec<_>, _> = entries.into_iter().map(WebhookSecret::parse).collect();
    r.parsed(VAR, parsed.map_err(|e| format!("holds a bad secret: {e}")))
}

/// Unset: the defaults. Set, it must name at least one event: a value naming none would
/// turn every email off without a word.
fn trigger_events(r: &mut Reader<'_>) -> Option<Vec<String>> {
    const VAR: &str = "TRIGGER_EVENTS";
    let Some(events) = r.list(VAR) else {
        return Some(DEFAULT_TRIGGER_EVENTS.map(str::to_owned).to_vec());
    };
    if events.is_empty() {
        r.problem(
            VAR,
            format!(
                "names no event; expected comma-separated Gigs event types, e.g. {}",
                DEFAULT_TRIGGER_EVENTS.join(",")
            ),
        );
        return None;
    }
    Some(events.into_iter().map(str::to_owned).collect())
}
