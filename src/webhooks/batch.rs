//! Group commit for ingest: webhooks that arrive together are recorded by one statement
//! and one commit, and each 2xx still waits for the commit that holds its event.
use std::{collections::HashSet, sync::Arc};

use sqlx::PgPool;
use tokio::sync::{Mutex, mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::{
    GigsEvent, follow_up,
    plan::{self, IngestPolicy, SAME_SIM_NOTE},
};
use crate::{
    store::{
        self, Fault,
        events::{self, IngestOutcome, NewEvent},
    },
    telemetry::Metrics,
};

/// Why an event could not be recorded.
#[derive(Debug, Clone, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Store(#[from] store::Error),
    /// The batchers have stopped: the process is shutting down.
    #[error("the process is shutting down")]
    Stopped,
}

impl IngestError {
    pub fn fault(&self) -> Fault {
        match self {
            Self::Store(e) => e.fault(),
            Self::Stopped => Fault::Unavailable,
        }
    }
}

/// Enough to amortise a commit; small enough that one statement stays quick.
const MAX_BATCH: usize = 256;
/// Batches in flight at once: while one commits, the next is being written.
const BATCHERS: usize = 2;
/// A single row refused for a race (another process took its SIM meanwhile) is tried
/// this often: the next try sees the winner's row and joins it.
const RACE_RETRIES: u32 = 3;

struct Job {
    row: NewEvent,
    done: oneshot::Sender<store::Result<IngestOutcome>>,
}

/// Hands verified events to the batchers and waits for their commit.
#[derive(Clone)]
pub struct Ingestor {
    jobs: mpsc::Sender<Job>,
    policy: Arc<IngestPolicy>,
    pool: PgPool,
    metrics: Arc<Metrics>,
}

/// The loops that record what the `Ingestor` hands them; run as one background job.
pub struct Batchers {
    rx: Arc<Mutex<mpsc::Receiver<Job>>>,
    pool: PgPool,
}

impl Batchers {
    /// Records batches until `stop`; then takes no more, records what is already queued,
    /// and returns. `serve` stops it after HTTP has stopped, so every webhook in flight
    /// during the shutdown is still recorded.
    pub async fn run(self, stop: CancellationToken) {
        let loops = (0..BATCHERS).map(|_| async {
            while let Some(batch) = next_batch(&self.rx, &stop).await {
                for round in rounds(batch) {
                    record(&self.pool, round).await;
                }
            }
        });
        futures_util::future::join_all(loops).await;
    }
}

impl Ingestor {
    /// The ingestor, and the batchers the caller runs (see `Batchers::run`).
    pub fn new(pool: PgPool, policy: IngestPolicy, metrics: Arc<Metrics>) -> (Self, Batchers) {
        let (jobs, rx) = mpsc::channel::<Job>(MAX_BATCH * BATCHERS * 4);
        let batchers = Batchers {
            rx: Arc::new(Mutex::new(rx)),
            pool: pool.clone(),
        };
        let ingestor = Self {
            jobs,
            policy: Arc::new(policy),
            pool,
            metrics,
        };
        (ingestor, batchers)
    }

    pub async fn submit(
        &self,
        webhook_id: &str,
        event: &GigsEvent,
        raw: &str,
    ) -> Result<IngestOutcome, IngestError> {
        let (done, answer) = oneshot::channel();
        let row = plan::rows(&self.policy, webhook_id, event, raw);
        self.jobs
            .send(Job { row, done })
            .await
            .map_err(|_| IngestError::Stopped)?;
        let mut outcome = answer.await.map_err(|_| IngestError::Stopped)??;
        if let Some(next) = plan::follow_up(&self.policy, event) {
            let (pool, policy, metrics) = (&self.pool, &self.policy, &self.metrics);
            follow_up::run(pool, policy, metrics, next, event, &mut outcome).await?;
        }
        Ok(outcome)
    }
}

/// Waits for one job, then takes whatever else is already queued. After `stop`, the queue
/// is closed and drained: `None` once it is empty.
async fn next_batch(rx: &Mutex<mpsc::Receiver<Job>>, stop: &CancellationToken) -> Option<Vec<Job>> {
    let mut rx = rx.lock().await;
    let first = tokio::select! {
        first = rx.recv() => first?,
        _ = stop.cancelled() => {
            rx.close();
            rx.recv().await?
        }
    };
    let mut batch = vec![first];
    while batch.len() < MAX_BATCH {
        match rx.try_recv() {
            Ok(job) => batch.push(job),
            Err(_) => break,
        }
    }
    Some(batch)
}

/// Splits a batch into rounds of distinct rows (no shared webhook id, event id or SIM),
/// in arrival order: a repeat goes in a later round and so meets the first one's row.
fn rounds(batch: Vec<Job>) -> Vec<Vec<Job>> {
    let mut rounds: Vec<(Vec<Job>, HashSet<String>)> = Vec::new();
    for job in batch {
        let keys = keys(&job.row);
        // After the last round holding any of its keys, so arrival order is kept.
        let after = rounds
            .iter()
            .rposition(|(_, seen)| keys.iter().any(|k| seen.contains(k)))
            .map_or(0, |i| i + 1);
        if after == rounds.len() {
            rounds.push((Vec::new(), HashSet::new()));
        }
        let (jobs, seen) = &mut rounds[after];
        seen.extend(keys);
        jobs.push(job);
    }
    rounds.into_iter().map(|(jobs, _)| jobs).collect()
}

fn keys(row: &NewEvent) -> Vec<String> {
    let mut keys = vec![
        format!("w:{}", row.webhook_id),
        format!("e:{}", row.event_id),
    ];
    if let Some(sim) = row.delivery.as_ref().and_then(|d| d.sim.as_ref()) {
        keys.push(format!("s:{sim}"));
    }
    keys
}

/// Records distinct rows through the one statement. A batch PostgreSQL refuses is
/// halved and tried again, so one bad row cannot fail its neighbours.
async fn record(pool: &PgPool, jobs: Vec<Job>) {
    let mut parts = vec![(jobs, 0u32)];
    while let Some((part, tries)) = parts.pop() {
        let (rows, dones): (Vec<NewEvent>, Vec<_>) =
            part.into_iter().map(|j| (j.row, j.done)).unzip();
        match events::record(pool, &rows, SAME_SIM_NOTE).await {
            Ok(outcomes) => {
                for (done, outcome) in dones.into_iter().zip(outcomes) {
                    let _ = done.send(outcome);
                }
            }
            // Refused by PostgreSQL itself, not for being out of reach.
            Err(e)
                if rows.len() > 1
                    && matches!(
                        e.fault(),
                        Fault::InvalidInput | Fault::Conflict | Fault::Other
                    ) =>
            {
                tracing::debug!(error = %e, rows = rows.len(), "batch refused; halving it");
                let mut jobs: Vec<Job> = rows
                    .into_iter()
                    .zip(dones)
                    .map(|(row, done)| Job { row, done })
                    .collect();
                let second = jobs.split_off(jobs.len() / 2);
                parts.push((second, tries));
                parts.push((jobs, tries));
            }
            Err(e) if e.fault() == Fault::Conflict && tries < RACE_RETRIES => {
                let job = rows
                    .into_iter()
                    .zip(dones)
                    .map(|(row, done)| Job { row, done });
                parts.push((job.collect(), tries + 1));
            }
            Err(e) => {
                // Each caller gets the same answer: one failure is one class.
                for done in dones {
                    let _ = done.send(Err(e.clone()));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        domain::{DeliveryId, DeliveryStatus, SimId},
        store::events::NewDelivery,
    };

    fn job(webhook: &str, event: &str, sim: Option<&str>) -> Job {
        let delivery = sim.map(|s| NewDelivery {
            id: DeliveryId::generate(),
            status: DeliveryStatus::Pending,
            reason: None,
            project: "p".into(),
            sim: Some(SimId::parse(s).unwrap()),
            subscription: None,
            user: None,
            recipient: None,
            iccid: None,
            phone_number: None,
            history: String::new(),
        });
        let row = NewEvent {
            webhook_id: webhook.into(),
            event_id: event.into(),
            event_type: "t".into(),
            project: None,
            payload: "{}".into(),
            delivery,
        };
        Job {
            row,
            done: oneshot::channel().0,
        }
    }

    fn ids(rounds: &[Vec<Job>]) -> Vec<Vec<&str>> {
        rounds
            .iter()
            .map(|r| r.iter().map(|j| j.row.webhook_id.as_str()).collect())
            .collect()
    }

    #[test]
    fn distinct_rows_share_one_round() {
        let batch = vec![
            job("a", "1", Some("s1")),
            job("b", "2", Some("s2")),
            job("c", "3", None),
        ];
        assert_eq!(ids(&rounds(batch)), [["a", "b", "c"]]);
    }

    #[test]
    fn colliding_rows_wait_for_a_later_round_in_arrival_order() {
        let batch = vec![
            job("a", "1", Some("s1")),
            job("a", "2", Some("s2")), // same webhook as a
            job("b", "1", None),       // same event as a
            job("c", "3", Some("s1")), // same SIM as a
            job("d", "4", Some("s1")), // same SIM as a and c
            job("e", "5", None),
        ];
        assert_eq!(
            ids(&rounds(batch)),
            vec![vec!["a", "e"], vec!["a", "b", "c"], vec!["d"]]
        );
    }
}
