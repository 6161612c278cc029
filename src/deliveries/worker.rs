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
    attempt::{Attempt, AttemptError, Resolved},
    decide::{self, RetryPolicy, Sent},
    outcome,
    pace::Pacer,
};
use crate::{
    alerts::Alerts,
    config::{CoreSettings, EmailSettings, WorkerSettings},
    email::{EmailComposer, Mailer, SendError},
    gigs::GigsClient,
    install::InstallLinks,
    store::{Claimed, NOTIFY_CHANNEL, queue},
    telemetry::{Metrics, mask_email},
};

pub struct Worker {
    pool: PgPool,
    gigs: GigsClient,
    composer: EmailComposer,
    mailer: Mailer,
    links: Option<InstallLinks>,
    settings: WorkerSettings,
    alerts: Alerts,
    metrics: Arc<Metrics>,
    in_flight: Mutex<HashSet<String>>,
    pace: Pacer,
}

impl Worker {
    /// With a Gigs client of its own.
    pub fn new(
        settings: &CoreSettings,
        pool: PgPool,
        metrics: Arc<Metrics>,
    ) -> anyhow::Result<Self> {
        let gigs = GigsClient::new(&settings.gigs, metrics.clone())?;
        let alerts = Alerts::new(settings.operations.alert_url.is_some());
        Self::from_parts(
            gigs,
            &settings.email,
            &settings.worker,
            alerts,
            pool,
            metrics,
        )
    }

    /// With a Gigs client the caller may share (`serve` also answers install links).
    pub fn from_parts(
        gigs: GigsClient,
        email: &EmailSettings,
        worker: &WorkerSettings,
        alerts: Alerts,
        pool: PgPool,
        metrics: Arc<Metrics>,
    ) -> anyhow::Result<Self> {
        let links = email.public_base_url.clone().map(|base| {
            let key = email.install_link_key.clone();
            InstallLinks::new(pool.clone(), base, email.install_link_ttl, key)
        });
        let pool_for_pace = pool.clone();
        Ok(Self {
            links,
            pool,
            gigs,
            composer: EmailComposer::new(email)?,
            mailer: Mailer::new(email, worker.concurrency as u32)?,
            settings: worker.clone(),
            alerts,
            metrics,
            in_flight: Mutex::new(HashSet::new()),
            pace: Pacer::new(pool_for_pace, email.smtp_max_per_second),
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

    /// Runs until `cancel`, waking on new deliveries (LISTEN) and polling for retries,
    /// while its heartbeat renews the leases it holds. Both are this one future: a worker
    /// that is dropped stops renewing, like a dead one.
    pub async fn run(self: Arc<Self>, cancel: CancellationToken) {
        let beating = CancellationToken::new();
        let work = async {
            self.clone().work(cancel).await;
            beating.cancel();
        };
        tokio::join!(work, self.clone().heartbeat(beating.clone()));
    }

    /// Claims and runs attempts until `cancel`, then drains.
    async fn work(self: Arc<Self>, cancel: CancellationToken) {
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

    /// Renews the lease of every attempt in flight, five times a lease: a living attempt,
    /// however slow, keeps its delivery, and a dead process's deliveries are claimable
    /// within one lease of its last beat.
    async fn heartbeat(self: Arc<Self>, stop: CancellationToken) {
        let every = self.settings.lease / 5;
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(every) => {}
            }
            let tokens: Vec<String> = self
                .in_flight
                .lock()
                .expect("lock")
                .iter()
                .cloned()
                .collect();
            if tokens.is_empty() {
                continue;
            }
            if let Err(e) = queue::extend(&self.pool, &tokens, self.settings.lease).await {
                tracing::warn!(error = %e, "renewing the leases failed");
            }
        }
    }

    async fn listen(&self) -> Option<PgListener> {
        let mut listener = PgListener::connect_with(&self.pool).await.ok()?;
        listener.listen(NOTIFY_CHANNEL).await.ok()?;
        Some(listener)
    }

    /// Lets in-flight attempts finish within the grace period, then hands back the rest:
    /// a fifth of the grace (a second at most) is kept for that, so the process still
    /// exits within `SHUTDOWN_GRACE_SECS`.
    async fn drain(&self, mut tasks: JoinSet<()>) {
        let grace = self.settings.shutdown_grace;
        let deadline = tokio::time::sleep(grace - (grace / 5).min(Duration::from_secs(1)));
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
        let detail = "released at shutdown before the attempt finished";
        match queue::release(&self.pool, &left, detail).await {
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
                let result = outcome::guarded(self.attempt(&claimed, &mut resolved)).await;
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
                outcome::log(&decision);
                outcome::record(
                    &self.pool,
                    &self.metrics,
                    &claimed,
                    &decision,
                    &resolved,
                    started,
                    self.alerts,
                )
                .await;
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
            pool: &self.pool,
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
        self.pace.turn().await?;
        if let Err(e) = self.mailer.send(prepared.message).await {
            if matches!(e, SendError::Throttled(_)) {
                self.pace.throttled(&self.metrics);
            }
            return Err(e.into());
        }
        Ok(Sent {
            notice: prepared.notice,
            message_id: prepared.message_id,
            locale: prepared.locale,
            to: resolved
                .recipient
                .as_deref()
                .map(mask_email)
                .unwrap_or_default(),
        })
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
