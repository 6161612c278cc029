//! After an attempt: its outcome recorded (retried through a database outage), logged, and
//! a panic turned into an outcome.
use std::{
    panic::AssertUnwindSafe,
    time::{Duration, Instant},
};

use chrono::Utc;
use futures_util::FutureExt;
use sqlx::PgPool;

use super::{
    attempt::{AttemptError, Resolved},
    decide::{Decision, Outcome, Sent},
};
use crate::{
    alerts::Alerts,
    store::{
        Claimed,
        alerts::NewAlert,
        queue::{self, Finish},
    },
    telemetry::Metrics,
};

/// Records the outcome if this worker still holds the lease.
pub(super) async fn record(
    pool: &PgPool,
    metrics: &Metrics,
    claimed: &Claimed,
    decision: &Decision,
    resolved: &Resolved,
    started: Instant,
    alerts: Alerts,
) {
    let outcome = &decision.outcome;
    let status = outcome.status();
    metrics.attempt(status.as_str(), started.elapsed());
    metrics.delivery_status(status.as_str());
    let alert = match outcome {
        Outcome::Failed { reason } => alerts.failed(&claimed.id, reason),
        _ => None,
    };
    let finish = finish_of(decision, resolved, alert.as_ref());
    // A message the mail server accepted would be sent again if its outcome were lost:
    // while PostgreSQL is unreachable, keep trying (the heartbeat keeps the lease).
    let mut wait = Duration::from_millis(100);
    let mut failures = 0u32;
    loop {
        match queue::finish(pool, claimed, &finish).await {
            Ok(true) => break,
            Ok(false) => {
                tracing::warn!("the lease ran out before the outcome was recorded");
                break;
            }
            Err(e) if e.is_unavailable() => {
                failures += 1;
                if failures == 1 {
                    tracing::warn!(error = %e, "recording the outcome failed; retrying");
                }
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(2));
            }
            Err(e) => {
                tracing::error!(error = %e, "recording the outcome failed");
                break;
            }
        }
    }
    if failures > 0 {
        tracing::info!(failures, "outcome recorded once the database answered");
    }
}

/// The row's new state, as the decision has it.
fn finish_of<'a>(
    decision: &'a Decision,
    resolved: &'a Resolved,
    alert: Option<&'a NewAlert>,
) -> Finish<'a> {
    let outcome = &decision.outcome;
    let (message_id, locale, notice) = match outcome {
        Outcome::Delivered {
            message_id,
            locale,
            notice,
        } => (Some(message_id.as_str()), Some(*locale), notice.as_ref()),
        _ => (None, None, None),
    };
    Finish {
        alert,
        status: outcome.status(),
        reason: outcome.reason(),
        next_attempt_at: match outcome {
            Outcome::Retry { at, .. } => Some(*at),
            _ => None,
        },
        message_id,
        user_id: resolved.user_id.as_ref(),
        recipient: resolved.recipient.as_deref(),
        detail: &decision.detail,
        locale,
        notice,
    }
}

/// A panic is a bug, and would repeat on every claim: it ends the attempt like any
/// permanent error, with a reason, instead of leaving the delivery to its lease.
pub(super) async fn guarded(
    attempt: impl std::future::Future<Output = Result<Sent, AttemptError>>,
) -> Result<Sent, AttemptError> {
    AssertUnwindSafe(attempt)
        .catch_unwind()
        .await
        .unwrap_or_else(|_| {
            Err(AttemptError::Permanent(
                "internal error while preparing the email (see the logs)".into(),
            ))
        })
}

pub(super) fn log(decision: &Decision) {
    match &decision.outcome {
        Outcome::Delivered { .. } => tracing::info!(detail = %decision.detail, "delivered"),
        Outcome::Skipped { reason } => tracing::info!(reason, "skipped"),
        Outcome::Failed { reason } => tracing::warn!(reason, "failed"),
        Outcome::Retry { reason, at } => tracing::info!(
            reason,
            retry_in_s = (*at - Utc::now()).num_milliseconds() as f64 / 1000.0,
            "will retry"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_attempt_ends_as_a_permanent_error_with_a_reason() {
        let result = guarded(async { panic!("a bug") }).await;
        let Err(AttemptError::Permanent(reason)) = result else {
            panic!("expected a permanent error")
        };
        assert!(reason.contains("internal error"), "{reason}");
    }
}
