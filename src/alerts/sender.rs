//! Posting alerts to `ALERT_WEBHOOK_URL` (Slack-compatible JSON), retried with backoff,
//! from the outbox any process may serve, several at once, a burst as one summary; and
//! the quiet-webhooks watch.
use std::{sync::Arc, time::Duration};

use chrono::Utc;
use futures_util::{StreamExt, future::BoxFuture, stream};
use serde::Serialize;
use sqlx::PgPool;
use url::Url;

use super::{
    Alerts,
    burst::{self, Burst},
};
use crate::jobs::Periodic;
use crate::{
    store::alerts::{self, Alert},
    telemetry::Metrics,
};

/// Tries per alert before it is given up (about a day of backoff).
const MAX_TRIES: i32 = 20;
const POLL: Duration = Duration::from_secs(5);
/// Alerts sent one by one per round, and how many of them are in flight at once: a
/// receiver answering in 250 ms then takes ~30 a second instead of 4.
const BATCH: usize = 50;
const CONCURRENCY: usize = 8;
/// Due alerts a round plans over: enough for a large burst to be summarised whole.
const PLANNED: i64 = 5_000;
/// Rounds per tick at most, so a backlog drains without waiting a tick per batch.
const ROUNDS: usize = 40;

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
        for _ in 0..ROUNDS {
            match self.send_due().await {
                Ok(round) if round.singles == BATCH || round.bursts > 0 => {}
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "sending alerts failed; retrying");
                    break;
                }
            }
        }
    }

    /// One round: each burst of the due alerts as one summary, then up to `BATCH` others,
    /// `CONCURRENCY` at a time. Returns how many alerts the receiver took (a summary
    /// counts all it stands for).
    pub async fn send_due(&self) -> crate::store::Result<Round> {
        let due = alerts::due(&self.pool, PLANNED).await?;
        let plan = burst::plan(&due, Utc::now(), BATCH);
        let mut round = Round {
            bursts: plan.bursts.len(),
            ..Round::default()
        };
        for burst in &plan.bursts {
            round.accepted += self.send_burst(burst).await?;
        }
        let claimed = alerts::claim(&self.pool, &plan.singles).await?;
        round.singles = claimed.len();
        let posted: Vec<(Alert, Result<(), String>)> = stream::iter(claimed)
            .map(|alert| async move {
                let result = self.post(&payload(&alert)).await;
                (alert, result)
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        let (ok, failed): (Vec<_>, Vec<_>) = posted.into_iter().partition(|(_, r)| r.is_ok());
        let ok: Vec<Alert> = ok.into_iter().map(|(alert, _)| alert).collect();
        self.record(&ok, true).await?;
        for (alert, result) in failed {
            self.retry_later(&[alert], &result.err().unwrap_or_default())
                .await?;
        }
        round.accepted += ok.len();
        Ok(round)
    }

    /// Claims a burst's alerts and posts one summary for them all.
    async fn send_burst(&self, burst: &Burst) -> crate::store::Result<usize> {
        let claimed = alerts::claim(&self.pool, &burst.seqs).await?;
        if claimed.is_empty() {
            return Ok(0);
        }
        let ids: Vec<&str> = claimed
            .iter()
            .filter_map(|a| a.delivery_id.as_ref().map(|d| d.as_str()))
            .collect();
        let text = super::burst_summary(burst.kind, burst.minute, claimed.len(), &ids);
        let summary = Payload {
            text: &text,
            delivery: None,
            kind: burst.kind.as_str(),
        };
        match self.post(&summary).await {
            Ok(()) => {
                self.record(&claimed, false).await?;
                self.metrics.operations.alert(true);
                Ok(claimed.len())
            }
            Err(error) => {
                self.retry_later(&claimed, &error).await?;
                Ok(0)
            }
        }
    }

    /// Marks `sent` as taken by the receiver; `each` counts one accepted post per alert.
    async fn record(&self, sent: &[Alert], each: bool) -> crate::store::Result<()> {
        if sent.is_empty() {
            return Ok(());
        }
        let seqs: Vec<i64> = sent.iter().map(|a| a.seq).collect();
        alerts::sent(&self.pool, &seqs).await?;
        if each {
            sent.iter()
                .for_each(|_| self.metrics.operations.alert(true));
        }
        Ok(())
    }

    /// One refused post: each alert it carried is tried again after its own backoff.
    async fn retry_later(&self, refused: &[Alert], error: &str) -> crate::store::Result<()> {
        self.metrics.operations.alert(false);
        for alert in refused {
            let retry_in = (alert.attempts < MAX_TRIES).then(|| backoff(alert.attempts));
            alerts::failed(&self.pool, alert.seq, error, retry_in).await?;
        }
        tracing::warn!(
            error,
            alerts = refused.len(),
            attempt = refused.first().map(|a| a.attempts),
            "alert not accepted"
        );
        Ok(())
    }

    async fn post(&self, payload: &Payload<'_>) -> Result<(), String> {
        let response = self
            .http
            .post(self.url.clone())
            .json(payload)
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

/// What one round of the sender did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    /// Alerts the receiver took, summarised ones included.
    pub accepted: usize,
    /// Alerts posted one by one (taken or not).
    pub singles: usize,
    /// Summaries of bursts posted.
    pub bursts: usize,
}

fn payload(alert: &Alert) -> Payload<'_> {
    Payload {
        text: &alert.text,
        delivery: alert.delivery_id.as_ref().map(|d| d.as_str()),
        kind: alert.kind.as_str(),
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
