//! Reconciliation: eSIM subscriptions whose webhook never came get their email anyway.
use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use serde_json::Value;
use sqlx::PgPool;

use crate::{
    domain::{DeliveryId, ProjectId},
    gigs::{GigsClient, GigsError, ListPage},
    jobs::Periodic,
    store::{
        deliveries::{self, NewDelivery},
        locks,
    },
    telemetry::Metrics,
    webhooks::{DeliveryPlan, GigsEvent, plan_delivery},
};

const PAGE: u32 = 100;
/// A bound on one run, so a misbehaving cursor cannot page forever.
const MAX_PAGES: u32 = 1_000;
const LOCK: &str = "reconcile";
/// Tries of one page before a transient Gigs error ends the run: a blip on page 40 should
/// not send the run back to page 1 an interval later.
const PAGE_TRIES: u32 = 4;
/// The longest wait between two tries of a page: a longer `Retry-After` ends the run, and
/// the next run comes at its interval.
const MAX_PAGE_WAIT: Duration = Duration::from_secs(60);
/// What a reconciled delivery shows as its event.
pub const RECONCILE_EVENT_ID: &str = "reconcile";
pub const RECONCILE_EVENT_TYPE: &str = "esim-courier.reconcile";

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub checked: u64,
    pub created: u64,
    pub pages: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error("listing subscriptions failed: {0}")]
    Gigs(#[from] GigsError),
    #[error("the database failed: {0}")]
    Database(#[from] crate::store::Error),
}

pub struct Reconciler {
    pub gigs: GigsClient,
    pub pool: PgPool,
    pub project: ProjectId,
    pub metrics: Arc<Metrics>,
}

impl Reconciler {
    /// Runs unless another process is running it; `None` then.
    pub async fn run_exclusive(&self, since: Duration) -> Result<Option<Report>, ReconcileError> {
        let Some(lock) = locks::try_lock(&self.pool, LOCK).await? else {
            return Ok(None);
        };
        let report = self.run(since).await;
        if let Err(e) = lock.release().await {
            tracing::warn!(error = %e, "releasing the reconcile lock failed; it goes with its connection");
        }
        report.map(Some)
    }

    /// Pages through the project's subscriptions; each eSIM one created within `since`,
    /// pending or active, whose SIM has no delivery, gets one.
    async fn run(&self, since: Duration) -> Result<Report, ReconcileError> {
        let cutoff = Utc::now() - chrono::Duration::from_std(since).unwrap_or_default();
        let mut report = Report::default();
        let mut after: Option<String> = None;
        while report.pages < MAX_PAGES {
            let page = self.page(after.as_deref()).await?;
            report.pages += 1;
            for item in page.items {
                report.checked += 1;
                if self.reconcile_one(item, cutoff).await? {
                    report.created += 1;
                }
            }
            match page.more_items_after {
                Some(next) if after.as_deref() != Some(next.as_str()) => after = Some(next),
                _ => break,
            }
        }
        self.metrics
            .lifecycle
            .reconciled(report.checked, report.created);
        tracing::info!(
            checked = report.checked,
            created = report.created,
            pages = report.pages,
            "reconciled"
        );
        Ok(report)
    }

    /// One page, tried again on a transient error after its `Retry-After` or 1, 2, 4 s.
    async fn page(&self, after: Option<&str>) -> Result<ListPage, GigsError> {
        let mut tries = 1;
        loop {
            match self.gigs.subscriptions_page(after, PAGE).await {
                Err(e)
                    if !e.is_permanent()
                        && tries < PAGE_TRIES
                        && e.retry_after().is_none_or(|w| w <= MAX_PAGE_WAIT) =>
                {
                    let wait = e
                        .retry_after()
                        .unwrap_or(Duration::from_secs(1 << (tries - 1)));
                    tracing::warn!(error = %e, try_again_in_s = wait.as_secs(), "a subscriptions page failed");
                    tokio::time::sleep(wait).await;
                    tries += 1;
                }
                page => return page,
            }
        }
    }

    /// True when a delivery was created. Odd items (unknown status, no date) are passed
    /// over, never an error.
    async fn reconcile_one(&self, sub: Value, cutoff: DateTime<Utc>) -> crate::store::Result<bool> {
        let created_at = sub
            .get("createdAt")
            .and_then(Value::as_str)
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok());
        let in_window = created_at.is_some_and(|t| t >= cutoff);
        let status = sub.get("status").and_then(Value::as_str);
        if !in_window || !matches!(status, Some("pending" | "active")) {
            return Ok(false);
        }
        let id = sub
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let event = GigsEvent {
            object: None,
            id: RECONCILE_EVENT_ID.into(),
            event_type: RECONCILE_EVENT_TYPE.into(),
            project: None,
            data: sub,
        };
        let DeliveryPlan::Deliver(target) = plan_delivery(&event) else {
            return Ok(false);
        };
        let first_line = format!(
            "reconcile: subscription {id} (created {}) had no delivery; queued",
            created_at.map(|t| t.to_rfc3339()).unwrap_or_default()
        );
        let created = deliveries::create(
            &self.pool,
            &NewDelivery {
                id: DeliveryId::generate(),
                kind: crate::domain::DeliveryKind::Activation,
                event_id: RECONCILE_EVENT_ID,
                event_type: RECONCILE_EVENT_TYPE,
                project: self.project.as_str(),
                sim: target.sim.as_ref(),
                subscription: target.subscription.as_ref(),
                user: target.user.as_ref(),
                recipient: target.recipient.as_deref(),
                // The SIM's one automatic delivery: refused if it has one already.
                automatic: true,
                resend_of: None,
                reminder_of: None,
                first_line: &first_line,
                iccid: target.iccid.as_deref(),
                phone_number: target.phone_number.as_deref(),
                notice_of: None,
                locale: None,
            },
        )
        .await?;
        if let Some(delivery) = &created {
            tracing::info!(subscription = id, delivery.id = %delivery, "reconcile queued a delivery");
        }
        Ok(created.is_some())
    }
}

/// Reconciliation as a periodic job of `serve` and `worker`.
pub struct Reconciling {
    pub reconciler: Reconciler,
    pub interval: Duration,
    /// How far back each run looks.
    pub window: Duration,
}

impl Periodic for Reconciling {
    fn name(&self) -> &'static str {
        "reconcile"
    }

    fn interval(&self) -> Duration {
        self.interval
    }

    fn run_once(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {
            match self.reconciler.run_exclusive(self.window).await {
                Ok(Some(_)) => {}
                Ok(None) => tracing::debug!("another process is reconciling"),
                Err(e) => tracing::warn!(error = %e, "reconciliation failed; next run as planned"),
            }
        })
    }
}

/// `48h`, `90m`, `2d`, `3600s` (or plain seconds).
pub fn parse_since(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (number, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{s:?} is not a duration like 48h, 90m or 2d"))?;
    let unit_secs: u64 = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("{s:?} is not a duration like 48h, 90m or 2d")),
    };
    // A year at most: older subscriptions are not waiting for a first email.
    n.checked_mul(unit_secs)
        .filter(|secs| *secs <= 366 * 86_400)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("{s:?} is longer than a year"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_operators_write_them() {
        assert_eq!(parse_since("48h"), Ok(Duration::from_secs(172_800)));
        assert_eq!(parse_since("90m"), Ok(Duration::from_secs(5_400)));
        assert_eq!(parse_since("2d"), Ok(Duration::from_secs(172_800)));
        assert_eq!(parse_since("30"), Ok(Duration::from_secs(30)));
        for bad in [
            "",
            "h",
            "4w",
            "-1h",
            "1.5h",
            "400d",
            "99999999999999999999d",
        ] {
            assert!(parse_since(bad).is_err(), "{bad}");
        }
    }
}
