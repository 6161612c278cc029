//! Records a verified event and its delivery in one synchronously committed transaction.
use sqlx::PgPool;

use super::event::{DeliveryPlan, GigsEvent, Target, plan_delivery};
use crate::{
    deliveries::store::{self, NewDelivery},
    domain::{DeliveryStatus, ProjectId},
};

/// Which events act, and for which project.
#[derive(Debug, Clone)]
pub struct IngestPolicy {
    pub project: ProjectId,
    pub trigger_events: Vec<String>,
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
    pub delivery: Option<String>,
    /// The status of the delivery this event created, if it created one.
    pub created: Option<DeliveryStatus>,
}

pub async fn ingest(
    pool: &PgPool,
    policy: &IngestPolicy,
    webhook_id: &str,
    event: &GigsEvent,
    raw_body: &str,
) -> sqlx::Result<IngestOutcome> {
    let mut tx = pool.begin().await?;
    let inserted: Option<i64> = sqlx::query_scalar(
        "INSERT INTO webhook_events (webhook_id, event_id, event_type, project, payload)
         VALUES ($1, $2, $3, $4, $5::jsonb)
         ON CONFLICT DO NOTHING
         RETURNING seq",
    )
    .bind(webhook_id)
    .bind(&event.id)
    .bind(&event.event_type)
    .bind(event.project.as_deref())
    .bind(raw_body)
    .fetch_optional(&mut *tx)
    .await?;

    let Some(event_seq) = inserted else {
        let delivery: Option<String> = sqlx::query_scalar(
            "SELECT delivery_id FROM webhook_events
             WHERE webhook_id = $1 OR event_id = $2 ORDER BY seq LIMIT 1",
        )
        .bind(webhook_id)
        .bind(&event.id)
        .fetch_one(&mut *tx)
        .await?;
        tx.rollback().await?;
        return Ok(IngestOutcome {
            kind: IngestKind::Duplicate,
            delivery,
            created: None,
        });
    };

    let outcome = match decide(policy, event) {
        DeliveryPlan::Ignore => IngestOutcome {
            kind: IngestKind::Ignored,
            delivery: None,
            created: None,
        },
        DeliveryPlan::Deliver(target) => {
            record_delivery(
                &mut tx,
                policy,
                event,
                &target,
                DeliveryStatus::Pending,
                None,
            )
            .await?
        }
        DeliveryPlan::Skip { target, reason } => {
            let status = DeliveryStatus::Skipped;
            record_delivery(&mut tx, policy, event, &target, status, Some(&reason)).await?
        }
    };
    if let Some(delivery) = &outcome.delivery {
        sqlx::query("UPDATE webhook_events SET delivery_id = $1 WHERE seq = $2")
            .bind(delivery)
            .bind(event_seq)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(outcome)
}

/// The first history line of a delivery created by `event`.
pub(super) fn history_line(event: &GigsEvent, reason: Option<&str>) -> String {
    format!(
        "{} {}: {}",
        event.event_type,
        event.id,
        reason.unwrap_or("queued")
    )
}

/// Noted on a SIM's delivery when another trigger event for the SIM arrives.
pub(super) const SAME_SIM_NOTE: &str =
    "this SIM already has its automatic email; use resend for another";

pub(super) fn decide(policy: &IngestPolicy, event: &GigsEvent) -> DeliveryPlan {
    if !policy.trigger_events.contains(&event.event_type) {
        return DeliveryPlan::Ignore;
    }
    if let Some(project) = event.project.as_deref()
        && project != policy.project.as_str()
    {
        // The API key reaches one project only; another project's SIMs are not ours.
        tracing::warn!(
            event.project = project,
            "trigger event for another project ignored"
        );
        return DeliveryPlan::Ignore;
    }
    plan_delivery(event)
}

async fn record_delivery(
    tx: &mut sqlx::PgConnection,
    policy: &IngestPolicy,
    event: &GigsEvent,
    target: &Target,
    status: DeliveryStatus,
    reason: Option<&str>,
) -> sqlx::Result<IngestOutcome> {
    let history = history_line(event, reason);
    let new = NewDelivery {
        status,
        reason,
        event_id: &event.id,
        event_type: &event.event_type,
        project: policy.project.as_str(),
        sim: target.sim.as_ref().map(|s| s.as_str()),
        subscription: target.subscription.as_ref().map(|s| s.as_str()),
        user: target.user.as_ref().map(|u| u.as_str()),
        recipient: target.recipient.as_deref(),
        automatic: true,
        resend_of: None,
        history: &history,
    };
    if let Some(id) = store::insert(tx, &new).await? {
        return Ok(IngestOutcome {
            kind: IngestKind::Accepted,
            delivery: Some(id.to_string()),
            created: Some(status),
        });
    }
    // Only a SIM with its automatic delivery already recorded gets here.
    let sim = new.sim.unwrap_or_default();
    let existing = store::automatic_for_sim(tx, new.project, sim).await?;
    if let Some(existing) = &existing {
        let note = format!("{} {}: {SAME_SIM_NOTE}", event.event_type, event.id);
        let current =
            sqlx::query_scalar::<_, String>("SELECT status FROM deliveries WHERE id = $1")
                .bind(existing)
                .fetch_one(&mut *tx)
                .await?;
        let current = current.parse().unwrap_or(DeliveryStatus::Pending);
        store::add_history(tx, existing, current, &note).await?;
    }
    Ok(IngestOutcome {
        kind: IngestKind::SameSim,
        delivery: existing,
        created: None,
    })
}
