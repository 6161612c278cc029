//! The worker: claims due deliveries, runs attempts concurrently, records outcomes.
use std::{
    collections::HashSet,
    panic::AssertUnwindSafe,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use chrono::Utc;
use futures_util::FutureExt;
use sqlx::{PgPool, postgres::PgListener};
use tokio::{sync::Semaphore, task::JoinSet};
use tokio_util::sync::CancellationToken;

use super::{
    attempt::{Attempt, AttemptError, Resolved},
    decide::{self, Decision, Outcome, RetryPolicy, Sent},
};
use crate::{
    config::{EmailSettings, Settings, WorkerSettings},
    email::{EmailComposer, Mailer},
    gigs::GigsClient,
    install::InstallLinks,
    store::{
        Claimed, NOTIFY_CHANNEL,
        queue::{self, Finish},
    },
    telemetry::{Metrics, mask_email},
};

pub struct Worker {
    pool: PgPool,
    gigs: GigsClient,
    composer: EmailComposer,
    mailer: Mailer,
    links: Option<InstallLinks>,
    settings: WorkerSettings,
    metrics: Arc<Metrics>,
    in_flight: Mutex<HashSet<String>>,
}

impl Worker {
    pub fn new(settings: &Settings, pool: PgPool, metrics: Arc<Metrics>) -> anyhow::Result<Self> {
        let gigs = GigsClient::new(&settings.gigs, metrics.clone())?;
        Self::from_parts(gigs, &settings.email, &settings.worker, pool, metrics)
    }

    /// With a Gigs client the caller may share (`serve` also answers install links).
    pub fn from_parts(
        gigs: GigsClient,
        email: &EmailSettings,
        worker: &WorkerSettings,
        pool: PgPool,
        metrics: Arc<Metrics>,
    ) -> anyhow::Result<Self> {
        let links = email
            .public_base_url
            .clone()
            .map(|base| InstallLinks::new(pool.clone(), base, email.install_link_ttl));
        Ok(Self {
            links,
            pool,
            gigs,
            composer: EmailComposer::new(email)?,
            mailer: Mailer::new(email, worker.concurrency as u32)?,
            settings: worker.clone(),
            metrics,
            in_flight: Mutex::new(HashSet::new()),
        })
    }

    /// Claims one batch of due deliveries and processes it to the end; returns how many.
    /// Tests drive the queue with this instead of sleeping.
    pub async fn process_due(&self) -> anyhow::Result<usize> {
        let batch = queue::claim(
            &self.pool,
            self.settings.concurrency as i64,
            self.settings.lease,
        )
        .await?;
        let n = batch.len();
        futures_util::future::join_all(batch.into_iter().map(|c| self.process(c))).await;
        Ok(n)
    }

    /// Runs until `cancel`, waking on new deliveries (LISTEN) and polling for retries.
    pub async fn run(self: Arc<Self>, cancel: CancellationToken) {
        let permits = Arc::new(Semaphore::new(self.settings.concurrency));
        let mut tasks = JoinSet::new();
        let mut listener = self.listen().await;
        let mut listen_tried = Instant::now();
        while !cancel.is_cancelled() {
            let free = permits.available_permits();
            // Under a backlog, claim a few at a time rather than one per finished task:
            // each claim is a statement and a commit.
            let worth_claiming = free >= (self.settings.concurrency / 4).max(1) || tasks.is_empty();
            if free > 0 && worth_claiming {
                match queue::claim(&self.pool, free as i64, self.settings.lease).await {
                    Ok(batch) => {
                        let full = batch.len() == free;
                        for claimed in batch {
                            let permit =
                                permits.clone().try_acquire_owned().expect("a free permit");
                            let me = self.clone();
                            tasks.spawn(async move {
                                me.process(claimed).await;
                                drop(permit);
                            });
                        }
                        if full {
                            continue;
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "claiming deliveries failed"),
                }
            }
            if listener.is_none() && listen_tried.elapsed() > Duration::from_secs(10) {
                listener = self.listen().await;
                listen_tried = Instant::now();
            }
            tokio::select! {
                _ = cancel.cancelled() => break,
                Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
                _ = notified(&mut listener, self.settings.poll_interval) => {}
                _ = tokio::time::sleep(self.settings.poll_interval) => {}
            }
        }
        self.drain(tasks).await;
    }

    async fn listen(&self) -> Option<PgListener> {
        let mut listener = PgListener::connect_with(&self.pool).await.ok()?;
        listener.listen(NOTIFY_CHANNEL).await.ok()?;
        Some(listener)
    }

    /// Lets in-flight attempts finish within the grace period, then hands back the rest.
    async fn drain(&self, mut tasks: JoinSet<()>) {
        let deadline = tokio::time::sleep(self.settings.shutdown_grace);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                next = tasks.join_next() => if next.is_none() { break },
                _ = &mut deadline => {
                    tasks.abort_all();
                    while tasks.join_next().await.is_some() {}
                    break;
                }
            }
        }
        let left: Vec<String> = self.in_flight.lock().expect("lock").drain().collect();
        match queue::release(&self.pool, &left).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(released = n, "released unfinished deliveries"),
            Err(e) => {
                tracing::warn!(error = %e, "releasing leases failed; they expire on their own")
            }
        }
    }

    fn policy(&self) -> RetryPolicy {
        RetryPolicy {
            max_attempts: self.settings.max_attempts,
            backoff_base: self.settings.backoff_base,
            backoff_max: self.settings.backoff_max,
        }
    }

    #[tracing::instrument(skip_all, fields(delivery.id = %claimed.id, attempt = claimed.attempts))]
    async fn process(&self, claimed: Claimed) {
        self.in_flight
            .lock()
            .expect("lock")
            .insert(claimed.lease_token.clone());
        let mut resolved = Resolved::default();
        let started = Instant::now();
        let policy = self.policy();
        let decided = match decide::exhausted(claimed.attempts, &policy) {
            Some(exhausted) => Some(exhausted),
            None => {
                let result = guarded(self.attempt(&claimed, &mut resolved)).await;
                decide::decide(
                    result,
                    claimed.attempts,
                    &policy,
                    Utc::now(),
                    rand::random(),
                )
            }
        };
        match decided {
            Some(decision) => {
                log(&decision);
                self.record(&claimed, &decision, &resolved, started).await;
            }
            None => tracing::warn!("the lease ran out before sending; another worker has it"),
        }
        self.in_flight
            .lock()
            .expect("lock")
            .remove(&claimed.lease_token);
    }

    async fn attempt(&self, c: &Claimed, resolved: &mut Resolved) -> Result<Sent, AttemptError> {
        let attempt = Attempt {
            gigs: &self.gigs,
            composer: &self.composer,
            links: self.links.as_ref(),
        };
        let prepared = attempt.prepare(c, resolved).await?;
        // The steps before took an unknown share of the lease: renew it, so the send
        // (bounded by the mailer's own timeout, well under a lease) runs under a fresh one.
        match queue::renew(&self.pool, c, self.settings.lease).await {
            Ok(true) => {}
            Ok(false) => return Err(AttemptError::LeaseLost),
            Err(e) => {
                return Err(AttemptError::Transient {
                    reason: format!("the lease could not be renewed: {e}"),
                    retry_after: None,
                });
            }
        }
        self.mailer.send(prepared.message).await?;
        Ok(Sent {
            message_id: prepared.message_id,
            locale: prepared.locale,
            to: resolved
                .recipient
                .as_deref()
                .map(mask_email)
                .unwrap_or_default(),
        })
    }

    async fn record(
        &self,
        claimed: &Claimed,
        decision: &Decision,
        resolved: &Resolved,
        started: Instant,
    ) {
        let outcome = &decision.outcome;
        let status = outcome.status();
        self.metrics.attempt(status.as_str(), started.elapsed());
        self.metrics.delivery_status(status.as_str());
        let finish = Finish {
            status,
            reason: outcome.reason(),
            next_attempt_at: match outcome {
                Outcome::Retry { at, .. } => Some(*at),
                _ => None,
            },
            message_id: match outcome {
                Outcome::Delivered { message_id } => Some(message_id),
                _ => None,
            },
            user_id: resolved.user_id.as_ref(),
            recipient: resolved.recipient.as_deref(),
            detail: &decision.detail,
        };
        match queue::finish(&self.pool, claimed, &finish).await {
            Ok(true) => {}
            Ok(false) => tracing::warn!("the lease ran out before the outcome was recorded"),
            // The lease runs out and another attempt follows: at-least-once.
            Err(e) => tracing::error!(error = %e, "recording the outcome failed"),
        }
    }
}

/// A panic is a bug, and would repeat on every claim: it ends the attempt like any
/// permanent error, with a reason, instead of leaving the delivery to its lease.
async fn guarded(
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

fn log(decision: &Decision) {
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

/// Resolves when a notification arrives; without a listener, never (polling covers it).
async fn notified(listener: &mut Option<PgListener>, backoff: Duration) {
    match listener {
        Some(l) => {
            if l.recv().await.is_err() {
                tokio::time::sleep(backoff).await;
            }
        }
        None => std::future::pending().await,
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
