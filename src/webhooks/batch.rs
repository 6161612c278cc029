//! Group commit for ingest: webhooks that arrive together are recorded by one statement
//! and one commit, and each 2xx still waits for the commit that holds its event.
use std::{collections::HashSet, sync::Arc};

use sqlx::PgPool;
use tokio::sync::{Mutex, mpsc, oneshot};

use super::{
    GigsEvent, IngestKind, IngestOutcome, IngestPolicy,
    event::DeliveryPlan,
    ingest::{SAME_SIM_NOTE, decide, history_line, ingest},
};
use crate::{
    deliveries::NOTIFY_CHANNEL,
    domain::{DeliveryId, DeliveryStatus},
};

/// Enough to amortise a commit; small enough that one statement stays quick.
const MAX_BATCH: usize = 256;
/// Batches in flight at once: while one commits, the next is being written.
const BATCHERS: usize = 2;

struct Job {
    webhook_id: String,
    event: GigsEvent,
    raw: String,
    done: oneshot::Sender<sqlx::Result<IngestOutcome>>,
}

/// Hands verified events to the batchers and waits for their commit.
#[derive(Clone)]
pub struct Ingestor {
    jobs: mpsc::Sender<Job>,
}

impl Ingestor {
    /// Spawns the batchers on the current tokio runtime.
    pub fn start(pool: PgPool, policy: IngestPolicy) -> Self {
        let (jobs, rx) = mpsc::channel::<Job>(MAX_BATCH * BATCHERS * 4);
        let rx = Arc::new(Mutex::new(rx));
        let policy = Arc::new(policy);
        for _ in 0..BATCHERS {
            let (rx, pool, policy) = (rx.clone(), pool.clone(), policy.clone());
            tokio::spawn(async move {
                while let Some(batch) = next_batch(&rx).await {
                    run_batch(&pool, &policy, batch).await;
                }
            });
        }
        Self { jobs }
    }

    pub async fn submit(
        &self,
        webhook_id: &str,
        event: GigsEvent,
        raw: &str,
    ) -> sqlx::Result<IngestOutcome> {
        let (done, answer) = oneshot::channel();
        let job = Job {
            webhook_id: webhook_id.to_owned(),
            event,
            raw: raw.to_owned(),
            done,
        };
        self.jobs
            .send(job)
            .await
            .map_err(|_| sqlx::Error::PoolClosed)?;
        answer.await.unwrap_or(Err(sqlx::Error::PoolClosed))
    }
}

/// Waits for one job, then takes whatever else is already queued.
async fn next_batch(rx: &Mutex<mpsc::Receiver<Job>>) -> Option<Vec<Job>> {
    let mut rx = rx.lock().await;
    let first = rx.recv().await?;
    let mut batch = vec![first];
    while batch.len() < MAX_BATCH {
        match rx.try_recv() {
            Ok(job) => batch.push(job),
            Err(_) => break,
        }
    }
    Some(batch)
}

/// A job with its plan, in the column form the statement takes.
struct Planned {
    job: Job,
    delivery: Option<NewRow>,
}

struct NewRow {
    id: String,
    status: DeliveryStatus,
    reason: Option<String>,
    sim: Option<String>,
    subscription: Option<String>,
    user: Option<String>,
    recipient: Option<String>,
    history: String,
}

fn plan(policy: &IngestPolicy, job: Job) -> Planned {
    let (target, status, reason) = match decide(policy, &job.event) {
        DeliveryPlan::Ignore => {
            return Planned {
                job,
                delivery: None,
            };
        }
        DeliveryPlan::Deliver(t) => (t, DeliveryStatus::Pending, None),
        DeliveryPlan::Skip { target, reason } => (target, DeliveryStatus::Skipped, Some(reason)),
    };
    let history = history_line(&job.event, reason.as_deref());
    let delivery = NewRow {
        id: DeliveryId::generate().to_string(),
        status,
        reason,
        sim: target.sim.map(String::from),
        subscription: target.subscription.map(String::from),
        user: target.user.map(String::from),
        recipient: target.recipient,
        history,
    };
    Planned {
        job,
        delivery: Some(delivery),
    }
}

async fn run_batch(pool: &PgPool, policy: &IngestPolicy, batch: Vec<Job>) {
    // Jobs that collide inside the batch (same webhook, event or SIM) go one by one
    // afterwards, so the statement only sees distinct rows.
    let (mut seen_webhooks, mut seen_events, mut seen_sims) =
        (HashSet::new(), HashSet::new(), HashSet::new());
    let (mut together, mut alone) = (Vec::new(), Vec::new());
    for job in batch {
        let planned = plan(policy, job);
        let sim = planned.delivery.as_ref().and_then(|d| d.sim.clone());
        let distinct = seen_webhooks.insert(planned.job.webhook_id.clone())
            & seen_events.insert(planned.job.event.id.clone())
            & sim.is_none_or(|s| seen_sims.insert(s));
        if distinct {
            together.push(planned);
        } else {
            alone.push(planned.job);
        }
    }
    match record(pool, policy, &together).await {
        Ok(outcomes) => {
            for (planned, outcome) in together.into_iter().zip(outcomes) {
                let _ = planned.job.done.send(outcome);
            }
        }
        // A row the batch statement cannot take (e.g. a race on a SIM with another
        // process) must not fail the others: each goes the single-event way.
        Err(sqlx::Error::Database(e)) => {
            tracing::debug!(error = %e, "batch fell back to single events");
            alone.extend(together.into_iter().map(|p| p.job));
        }
        Err(e) => {
            let shown = e.to_string();
            for planned in together {
                let _ = planned
                    .job
                    .done
                    .send(Err(sqlx::Error::Protocol(shown.clone())));
            }
        }
    }
    for job in alone {
        let outcome = ingest(pool, policy, &job.webhook_id, &job.event, &job.raw).await;
        let _ = job.done.send(outcome);
    }
}

type Row = (String, bool, Option<String>, Option<String>, i64);

/// One autocommit statement records every event, its new delivery and history, and
/// notes repeats for SIMs that already have their delivery.
async fn record(
    pool: &PgPool,
    policy: &IngestPolicy,
    rows: &[Planned],
) -> sqlx::Result<Vec<sqlx::Result<IngestOutcome>>> {
    let col = |f: &dyn Fn(&Planned) -> Option<String>| -> Vec<Option<String>> {
        rows.iter().map(f).collect()
    };
    let d = |f: &dyn Fn(&NewRow) -> Option<String>| col(&|p| p.delivery.as_ref().and_then(f));
    let project = policy.project.as_str();
    let answers: Vec<Row> = sqlx::query_as(include_str!("batch.sql"))
        .bind(col(&|p| Some(p.job.webhook_id.clone())))
        .bind(col(&|p| Some(p.job.event.id.clone())))
        .bind(col(&|p| Some(p.job.event.event_type.clone())))
        .bind(col(&|p| p.job.event.project.clone()))
        .bind(col(&|p| Some(p.job.raw.clone())))
        .bind(d(&|r| Some(r.id.clone())))
        .bind(d(&|r| Some(r.status.as_str().to_owned())))
        .bind(d(&|r| r.reason.clone()))
        .bind(d(&|_| Some(project.to_owned())))
        .bind(d(&|r| r.sim.clone()))
        .bind(d(&|r| r.subscription.clone()))
        .bind(d(&|r| r.user.clone()))
        .bind(d(&|r| r.recipient.clone()))
        .bind(d(&|r| Some(r.history.clone())))
        .bind(NOTIFY_CHANNEL)
        .bind(SAME_SIM_NOTE)
        .fetch_all(pool)
        .await?;
    let mut outcomes: Vec<IngestOutcome> = answers
        .into_iter()
        .map(|(_, inserted, delivery, created, _)| IngestOutcome {
            kind: match (inserted, &created, &delivery) {
                (false, _, _) => IngestKind::Duplicate,
                (true, Some(_), _) => IngestKind::Accepted,
                (true, None, Some(_)) => IngestKind::SameSim,
                (true, None, None) => IngestKind::Ignored,
            },
            delivery,
            created: created.and_then(|c| c.parse().ok()),
        })
        .collect();
    // A repeat answers with the delivery of the event it repeats.
    let repeats: Vec<usize> = (0..outcomes.len())
        .filter(|&i| outcomes[i].kind == IngestKind::Duplicate)
        .collect();
    if !repeats.is_empty() {
        let known: sqlx::Result<Vec<Option<String>>> = sqlx::query_scalar(
            "SELECT (SELECT e.delivery_id FROM webhook_events e
                     WHERE e.webhook_id = j.wid OR e.event_id = j.eid ORDER BY e.seq LIMIT 1)
             FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS j(wid, eid, n) ORDER BY j.n",
        )
        .bind(
            repeats
                .iter()
                .map(|&i| rows[i].job.webhook_id.clone())
                .collect::<Vec<_>>(),
        )
        .bind(
            repeats
                .iter()
                .map(|&i| rows[i].job.event.id.clone())
                .collect::<Vec<_>>(),
        )
        .fetch_all(pool)
        .await;
        // The batch is committed by now: a failed lookup fails only the repeats (503, and
        // the sender asks again), never sends the batch down the single-event path.
        match known {
            Ok(known) => {
                for (&i, delivery) in repeats.iter().zip(known) {
                    outcomes[i].delivery = delivery;
                }
            }
            Err(e) => {
                let shown = e.to_string();
                let mut answers: Vec<sqlx::Result<IngestOutcome>> =
                    outcomes.into_iter().map(Ok).collect();
                for &i in &repeats {
                    answers[i] = Err(sqlx::Error::Protocol(shown.clone()));
                }
                return Ok(answers);
            }
        }
    }
    Ok(outcomes.into_iter().map(Ok).collect())
}
