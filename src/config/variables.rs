//! Every variable the service reads, with its default and range: what `serve --help`,
//! `worker --help` and `check --help` list (a test holds it to what the code reads).

/// A command whose `--help` lists variables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Serve,
    Worker,
    Check,
}

#[derive(Debug)]
pub struct Variable {
    pub name: &'static str,
    /// `required`, `unset`, or the value used when unset.
    pub default: &'static str,
    pub meaning: &'static str,
    /// Read by `serve` (and `check`) only: the HTTP side.
    pub http_only: bool,
}

const fn core(name: &'static str, default: &'static str, meaning: &'static str) -> Variable {
    Variable {
        name,
        default,
        meaning,
        http_only: false,
    }
}

const fn http(name: &'static str, default: &'static str, meaning: &'static str) -> Variable {
    Variable {
        name,
        default,
        meaning,
        http_only: true,
    }
}

#[rustfmt::skip]
pub const VARIABLES: &[Variable] = &[
    core("DATABASE_URL", "postgres://postgres@localhost:5432/esim_courier", "PostgreSQL; created and migrated at start"),
    core("DATABASE_MAX_CONNECTIONS", "24", "pool size per process (1-1000)"),
    http("LISTEN_ADDR", "0.0.0.0:8080", "HTTP listen address (host:port)"),
    core("GIGS_API_URL", "https://api.gigs.com", "Gigs API base URL"),
    core("GIGS_PROJECT", "required", "Gigs project id"),
    core("GIGS_API_KEY", "required", "Gigs API key (secret)"),
    http("GIGS_WEBHOOK_SECRETS", "required", "whsec_ secrets, separated by commas or spaces"),
    http("WEBHOOK_TOLERANCE_SECS", "300", "accepted clock skew of webhook-timestamp (10-3600 s)"),
    http("TRIGGER_EVENTS", "created, activated, subscriptionChange.applied", "event types that send the email (at least one)"),
    core("SMTP_URL", "required", "smtp://[user:pass@]host[:port][?tls=required], smtps://host or file:///dir"),
    core("SMTP_MAX_PER_SECOND", "unset (no limit)", "messages to the relay per second, all processes together (1-10000)"),
    core("EMAIL_FROM", "required", "sender, e.g. \"Acme Mobile <esim@acme.example>\""),
    core("EMAIL_REPLY_TO", "unset", "Reply-To address"),
    core("BRAND_NAME", "Your mobile provider", "brand named in the email"),
    core("SUPPORT_URL", "unset", "support link: http(s) URL or mailto:address"),
    core("PUBLIC_BASE_URL", "unset", "enables the device-aware /install/{token} link"),
    core("TEMPLATES_DIR", "unset (built-in)", "folder whose files replace the built-in templates"),
    core("INSTALL_LINK_TTL_DAYS", "30", "how long an install link works (1-3650 days)"),
    core("INSTALL_LINK_SECRET", "GIGS_API_KEY", "key install-link tokens are derived from"),
    http("STATUS_API_TOKENS", "required", "bearer tokens, [name:]token, at least 16 characters each"),
    http("STATUS_API_ROLES", "unset (all admin)", "name=viewer|support|admin for named tokens"),
    http("CONSOLE_SESSION_HOURS", "12", "console session length (1-720 hours)"),
    http("RESEND_MIN_INTERVAL_SECS", "60", "one resend per SIM per this long (0-2592000 s)"),
    http("REQUEST_BODY_TIMEOUT_SECS", "10", "a body must arrive within this, else 408 (1-300 s)"),
    http("HTTP_MAX_CONNECTIONS", "1000", "connections open at once (1-100000)"),
    http("WRONG_TOKENS_PER_MINUTE", "20", "wrong bearer tokens from one address, then 429 (1-100000)"),
    core("WORKER_CONCURRENCY", "16", "deliveries processed at once per process (1-1024)"),
    core("DELIVERY_MAX_ATTEMPTS", "10", "attempts before a delivery is failed (1-100)"),
    core("DELIVERY_LEASE_SECS", "25", "a claim's lease (5-600 s)"),
    core("SHUTDOWN_GRACE_SECS", "20", "time in-flight work gets at SIGTERM (0-600 s)"),
    core("RECONCILE_INTERVAL_MINS", "60", "reconciliation against Gigs (0-10080 min; 0: off)"),
    core("REMINDER_MIN_INTERVAL_HOURS", "20", "wait after the last email before a reminder (0-8760 h)"),
    core("REMINDER_MAX", "3", "reminders per SIM (0-100; 0: off)"),
    http("BOUNCE_SNS_TOPIC_ARNS", "unset", "SNS topics of SES bounces (/webhooks/bounces/ses)"),
    http("BOUNCE_SNS_CERT_PREFIXES", "unset", "more https URL prefixes (ending in /) for SNS certificates"),
    http("BOUNCE_WEBHOOK_BASIC_AUTH", "unset", "user:password of Postmark's bounce webhook"),
    http("BOUNCE_WEBHOOK_SECRETS", "unset", "whsec_ secrets of Resend's bounce webhook"),
    core("ALERT_WEBHOOK_URL", "unset (no alerts)", "where alerts are posted (Slack-compatible)"),
    core("ALERT_QUIET_HOURS", "24", "alert when no webhook came this long (0-8760 h; 0: off)"),
    core("RETENTION_DAYS", "90", "personal data kept this long (0-36500 days; 0: for good)"),
    core("METRICS_ADDR", "unset", "host:port of a /metrics listener of its own"),
    core("LOG_FORMAT", "json", "json or pretty"),
    core("RUST_LOG", "info", "log level filter"),
];

/// The `--help` text listing what `command` reads.
pub fn help(command: Command) -> String {
    let mut text = String::from("Environment variables (a problem with any of them: exit 2):\n");
    let shown = VARIABLES
        .iter()
        .filter(|v| command != Command::Worker || !v.http_only);
    for v in shown {
        text.push_str(&format!(
            "  {:<28} {} [default: {}]\n",
            v.name, v.meaning, v.default
        ));
    }
    text
}
