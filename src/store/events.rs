//! The one writer of events and the deliveries they create: a batch of distinct rows in
//! one autocommit statement (`record_events.sql`).
use sqlx::PgPool;

use super::{NOTIFY_CHANNEL, Result};
use crate::domain::{DeliveryId, DeliveryStatus, SimId, SubscriptionId, UserId};

/// A verified event to record, with the delivery it creates, if any.
#[derive(Debug)]
pub struct NewEvent {
    pub webhook_id: String,
    pub event_id: String,
    pub event_type: String,
    pub project: Option<String>,
    pub payload: String,
    pub delivery: Option<NewDelivery>,
}

#[derive(Debug)]
pub struct NewDelivery {
    pub id: DeliveryId,
    pub status: DeliveryStatus,
    pub reason: Option<String>,
    pub project: String,
    pub sim: Option<SimId>,
    pub subscription: Option<SubscriptionId>,
    pub user: Option<UserId>,
    pub recipient: Option<String>,
    pub iccid: Option<String>,
    pub phone_number: Option<String>,
    /// The delivery's first history line.
    pub history: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IngestKind {
    /// New event with a new delivery (pending or skipped).
    Accepted,
    /// New event, not acted on (not a trigger, another project, or no new SIM).
    Ignored,
    /// New trigger event for a SIM that already has its automatic delivery.
    SameSim,
    /// The same webhook or event seen before.
    Duplicate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestOutcome {
    pub kind: IngestKind,
    pub delivery: Option<DeliveryId>,
    /// The status of the delivery this event created, if it created one.
    pub created: Option<DeliveryStatus>,
}

/// Records every event, its new delivery and history, and notes repeats for SIMs that
/// already have their delivery. The rows must be distinct: no two share a webhook id,
/// event id or SIM. A row that races another process on its SIM fails the whole
/// statement (a foreign key), and the caller retries it.
pub async fn record(
    pool: &PgPool,
    rows: &[NewEvent],
    same_sim_note: &str,
) -> Result<Vec<Result<IngestOutcome>>> {
    let col = |f: &dyn Fn(&NewEvent) -> Option<String>| -> Vec<Option<String>> {
        rows.iter().map(f).collect()
    };
    let d = |f: &dyn Fn(&NewDelivery) -> Option<String>| col(&|e| e.delivery.as_ref().and_then(f));
    let answers = sqlx::query_file!(
        "src/store/record_events.sql",
        &col(&|e| Some(e.webhook_id.clone())) as &[Option<String>],
        &col(&|e| Some(e.event_id.clone())) as &[Option<String>],
        &col(&|e| Some(e.event_type.clone())) as &[Option<String>],
        &col(&|e| e.project.clone()) as &[Option<String>],
        &col(&|e| Some(e.payload.clone())) as &[Option<String>],
        &d(&|r| Some(r.id.to_string())) as &[Option<String>],
        &d(&|r| Some(r.status.as_str().to_owned())) as &[Option<String>],
        &d(&|r| r.reason.clone()) as &[Option<String>],
        &d(&|r| Some(r.project.clone())) as &[Option<String>],
        &d(&|r| r.sim.as_ref().map(|s| s.to_string())) as &[Option<String>],
        &d(&|r| r.subscription.as_ref().map(|s| s.to_string())) as &[Option<String>],
        &d(&|r| r.user.as_ref().map(|u| u.to_string())) as &[Option<String>],
        &d(&|r| r.recipient.clone()) as &[Option<String>],
        &d(&|r| r.iccid.clone()) as &[Option<String>],
        &d(&|r| r.phone_number.clone()) as &[Option<String>],
        &d(&|r| Some(r.history.clone())) as &[Option<String>],
        NOTIFY_CHANNEL,
        same_sim_note,
    )
    .fetch_all(pool)
    .await?;
    let outcomes: Vec<IngestOutcome> = answers
        .into_iter()
        .map(|a| IngestOutcome {
            kind: match (a.inserted, &a.created, &a.delivery) {
                (false, _, _) => IngestKind::Duplicate,
                (true, Some(_), _) => IngestKind::Accepted,
                (true, None, Some(_)) => IngestKind::SameSim,
                (true, None, None) => IngestKind::Ignored,
            },
            delivery: a.delivery,
            created: a.created,
        })
        .collect();
    Ok(with_repeats_answered(pool, rows, outcomes).await)
}

/// A repeat answers with the delivery of the event it repeats. The batch is committed by
/// now: a failed lookup fails only the repeats (503, and the sender asks again), never
/// the rows already recorded.
async fn with_repeats_answered(
    pool: &PgPool,
    rows: &[NewEvent],
    mut outcomes: Vec<IngestOutcome>,
) -> Vec<Result<IngestOutcome>> {
    let repeats: Vec<usize> = (0..outcomes.len())
        .filter(|&i| outcomes[i].kind == IngestKind::Duplicate)
        .collect();
    if repeats.is_empty() {
        return outcomes.into_iter().map(Ok).collect();
    }
    let pick = |f: fn(&NewEvent) -> &str| -> Vec<String> {
        repeats.iter().map(|&i| f(&rows[i]).to_owned()).collect()
    };
    let known = sqlx::query_scalar!(
        r#"SELECT (SELECT e.delivery_id FROM webhook_events e
                   WHERE e.webhook_id = j.wid OR e.event_id = j.eid ORDER BY e.seq LIMIT 1)
               AS "delivery: DeliveryId"
           FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS j(wid, eid, n) ORDER BY j.n"#,
        &pick(|e| &e.webhook_id),
        &pick(|e| &e.event_id),
    )
    .fetch_all(pool)
    .await;
    match known {
        Ok(known) => {
            for (&i, delivery) in repeats.iter().zip(known) {
                outcomes[i].delivery = delivery;
            }
            outcomes.into_iter().map(Ok).collect()
        }
        Err(e) => {
            let e = super::Error::from(e);
            let mut answers: Vec<Result<IngestOutcome>> = outcomes.into_iter().map(Ok).collect();
            for &i in &repeats {
                answers[i] = Err(e.clone());
            }
            answers
        }
    }
}
