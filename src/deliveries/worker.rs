//! The worker: claims due deliveries, runs attempts concurrently, records outcomes.
use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use chrono::Utc;
use sqlx::{PgPool, postgres::PgListener};
use tokio::{sync::Semaphore, task::JoinSet};
use tokio_util::sync::CancellationToken;

use super::{
    NOTIFY_CHANNEL,
    attempt::{Attempt, AttemptError},
    queue::{self, Claimed, Outcome, Resolved},
    retry,
};
use crate::{
    config::{EmailSettings, Settings, WorkerSettings},
    email::{EmailComposer, Mailer},
    gigs::GigsClient,
    install::InstallLinks,
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

    #[tracing::instrument(skip_all, fields(delivery.id = %claimed.id, attempt = claimed.attempts))]
    async fn process(&self, claimed: Claimed) {
        self.in_flight
            .lock()
            .expect("lock")
            .insert(claimed.lease_token.clone());
        let mut resolved = Resolved::default();
        let started = Instant::now();
        let decided = if claimed.attempts > self.settings.max_attempts {
            let reason = format!(
                "attempts exhausted ({}): the attempt kept being interrupted",
                claimed.attempts - 1
            );
            Some((
                Outcome::Failed {
                    reason: reason.clone(),
                },
                reason,
            ))
        } else {
            let attempt = Attempt {
                pool: &self.pool,
                lease: self.settings.lease,
                gigs: &self.gigs,
                composer: &self.composer,
                mailer: &self.mailer,
                links: self.links.as_ref(),
            };
            let result = attempt.run(&claimed, &mut resolved).await;
            self.outcome(
                &claimed,
                result.map(|s| (s.message_id, s.locale)),
                &resolved,
            )
        };
        if let Some((outcome, detail)) = decided {
            self.record(&claimed, &outcome, &resolved, &detail, started)
                .await;
        }
        self.in_flight
            .lock()
            .expect("lock")
            .remove(&claimed.lease_token);
    }

    async fn record(
        &self,
        claimed: &Claimed,
        outcome: &Outcome,
        resolved: &Resolved,
        detail: &str,
        started: Instant,
    ) {
        let status = outcome.status().as_str();
        self.metrics.attempt(status, started.elapsed());
        self.metrics.delivery_status(status);
        match queue::finish(&self.pool, claimed, outcome, resolved, detail).await {
            Ok(true) => {}
            Ok(false) => tracing::warn!("the lease ran out before the outcome was recorded"),
            // The lease runs out and another attempt follows: at-least-once.
            Err(e) => tracing::error!(error = %e, "recording the outcome failed"),
        }
    }

    /// What to record; `None` when another worker holds the delivery now.
    fn outcome(
        &self,
        claimed: &Claimed,
        result: Result<(String, &'static str), AttemptError>,
        resolved: &Resolved,
    ) -> Option<(Outcome, String)> {
        let to = resolved
            .recipient
            .as_deref()
            .map(mask_email)
            .unwrap_or_default();
        let decided = match result {
            Ok((message_id, locale)) => {
                tracing::info!(recipient = %to, locale, "delivered");
                let detail = format!("accepted by the mail server for {to} (locale {locale})");
                (Outcome::Delivered { message_id }, detail)
            }
            Err(AttemptError::Skip(reason)) => {
                tracing::info!(reason, "skipped");
                (
                    Outcome::Skipped {
                        reason: reason.clone(),
                    },
                    reason,
                )
            }
            Err(AttemptError::Permanent(reason)) => {
                tracing::warn!(reason, "failed");
                (
                    Outcome::Failed {
                        reason: reason.clone(),
                    },
                    reason,
                )
            }
            Err(AttemptError::Transient { reason, .. })
                if claimed.attempts >= self.settings.max_attempts =>
            {
                tracing::warn!(reason, "failed: attempts exhausted");
                let reason = format!("attempts exhausted ({}): {reason}", claimed.attempts);
                (
                    Outcome::Failed {
                        reason: reason.clone(),
                    },
                    reason,
                )
            }
            Err(AttemptError::Transient {
                reason,
                retry_after,
            }) => {
                let s = &self.settings;
                let delay =
                    retry::next_delay(claimed.attempts, s.backoff_base, s.backoff_max, retry_after);
                let at = Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default();
                tracing::info!(reason, retry_in_s = delay.as_secs_f64(), "will retry");
                let detail = format!(
                    "{reason}; next attempt at {}",
                    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                );
                (Outcome::Retry { reason, at }, detail)
            }
            Err(AttemptError::LeaseLost) => {
                tracing::warn!("the lease ran out before sending; another worker has it");
                return None;
            }
        };
        Some(decided)
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
