//! Posting alerts to `ALERT_WEBHOOK_URL` (Slack-compatible JSON), retried with backoff,
//! from the outbox any process may serve; and the quiet-webhooks watch.
use std::{sync::Arc, time::Duration};

use futures_util::future::BoxFuture;
use serde::Serialize;
use sqlx::PgPool;
use url::Url;

use super::Alerts;
use crate::jobs::Periodic;
use crate::{
    store::alerts::{self, Alert},
    telemetry::Metrics,
};

/// Tries per alert before it is given up (about a day of backoff).
const MAX_TRIES: i32 = 20;
const POLL: Duration = Duration::from_secs(5);

#[derive(Serialize)]
struct Payload<'a> {
    text: &'a str,
    delivery: Option<&'a str>,
    kind: &'a str,
}

pub struct AlertSender {
    pool: PgPool,
    url: Url,
    http: reqwest::Client,
    metrics: Arc<Metrics>,
    quiet: Option<Duration>,
}

/// Every few seconds: the outbox is served by whichever process gets to it first.
impl Periodic for AlertSender {
    fn name(&self) -> &'static str {
        "alerts"
    }

    fn interval(&self) -> Duration {
        POLL
    }

    fn run_once(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.tick())
    }
}

impl AlertSender {
    pub fn new(pool: PgPool, url: Url, metrics: Arc<Metrics>) -> anyhow::Result<Self> {
        let http = crate::tls::client_builder()
            .timeout(Duration::from_secs(10))
            .build()?;
        Ok(Self {
            pool,
            url,
            http,
            metrics,
            quiet: None,
        })
    }

    /// Also watch for webhooks gone quiet this long (`ALERT_QUIET_HOURS`).
    pub fn watching_quiet(mut self, quiet: Option<Duration>) -> Self {
        self.quiet = quiet;
        self
    }

    /// Queues a quiet alert when webhooks stopped, then sends what is due.
    async fn tick(&self) {
        if let Some(quiet) = self.quiet
            && let Some(alert) = Alerts::new(true).quiet(quiet)
            && let Err(e) = alerts::enqueue_quiet(&self.pool, quiet, &alert).await
        {
            tracing::warn!(error = %e, "checking for quiet webhooks failed");
        }
        if let Err(e) = self.send_due().await {
            tracing::warn!(error = %e, "sending alerts failed; retrying");
        }
    }

    /// Sends every due alert once; returns how many the receiver accepted.
    pub async fn send_due(&self) -> crate::store::Result<usize> {
        let mut sent = 0;
        for alert in alerts::claim(&self.pool, 20).await? {
            match self.post(&alert).await {
                Ok(()) => {
                    alerts::sent(&self.pool, alert.seq).await?;
                    self.metrics.operations.alert(true);
                    sent += 1;
                }
                Err(error) => {
                    self.metrics.operations.alert(false);
                    let retry_in = (alert.attempts < MAX_TRIES).then(|| backoff(alert.attempts));
                    tracing::warn!(error, attempt = alert.attempts, "alert not accepted");
                    alerts::failed(&self.pool, alert.seq, &error, retry_in).await?;
                }
            }
        }
        Ok(sent)
    }

    async fn post(&self, alert: &Alert) -> Result<(), String> {
        let payload = Payload {
            text: &alert.text,
            delivery: alert.delivery_id.as_ref().map(|d| d.as_str()),
            kind: alert.kind.as_str(),
        };
        let response = self
            .http
            .post(self.url.clone())
            .json(&payload)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "cannot reach the alert receiver ({})",
                    if e.is_timeout() { "timeout" } else { "network" }
                )
            })?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(format!(
                "the alert receiver answered {}",
                response.status().as_u16()
            ))
        }
    }
}

/// 10 s doubling, at most an hour.
fn backoff(attempts: i32) -> Duration {
    let exp = attempts.clamp(1, 20) as u32 - 1;
    Duration::from_secs(10u64.saturating_mul(1 << exp.min(12))).min(Duration::from_secs(3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff(1), Duration::from_secs(10));
        assert_eq!(backoff(2), Duration::from_secs(20));
        assert_eq!(backoff(20), Duration::from_secs(3600));
    }
}
