//! Settings of operator features: alerts, retention, the metrics listener.
use std::time::Duration;

use url::Url;

use super::{
    ConfigErrors, Env,
    reader::{Range, Reader, host_port, http_url},
};

#[derive(Debug, Clone, Default)]
pub struct OperationsSettings {
    /// `ALERT_WEBHOOK_URL`; unset: no alerts.
    pub alert_url: Option<Url>,
    /// Alert once when no verified webhook came for this long; `None`: never.
    pub alert_quiet: Option<Duration>,
    /// Personal data of finished deliveries is erased after this; `None`: kept.
    pub retention: Option<Duration>,
    /// `METRICS_ADDR` (`host:port`): where a process serves `/metrics` on its own
    /// listener; `None`: nowhere but `serve`'s own port.
    pub metrics_addr: Option<String>,
}

impl OperationsSettings {
    pub fn read(env: &Env) -> Result<Self, ConfigErrors> {
        let mut r = Reader::new(env);
        let alert_url = r.optional("ALERT_WEBHOOK_URL", http_url);
        let quiet_hours: u64 = r.number("ALERT_QUIET_HOURS", 24, Range::new(0..=8760, "hours"));
        let days: u64 = r.number("RETENTION_DAYS", 90, Range::new(0..=36_500, "days"));
        let metrics_addr = r.optional("METRICS_ADDR", host_port);
        r.finish(|| {
            Some(Self {
                alert_url,
                alert_quiet: (quiet_hours > 0).then(|| Duration::from_secs(quiet_hours * 3600)),
                retention: (days > 0).then(|| Duration::from_secs(days * 86_400)),
                metrics_addr,
            })
        })
    }
}
