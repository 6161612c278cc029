//! Reminders: whether a SIM may get one now, and creating it, in one transaction.
use super::Result;
use std::time::Duration;

use sqlx::PgPool;

use super::{
    deliveries::{self, NewDelivery},
    history,
};
use crate::domain::{DeliveryId, DeliveryKind, SimId, SubscriptionId, UserId};

/// The limits a reminder must pass (`REMINDER_MIN_INTERVAL_HOURS`, `REMINDER_MAX`).
#[derive(Debug, Clone, Copy)]
pub struct ReminderLimits {
    pub min_interval: Duration,
    pub max: u32,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Reminder {
    /// Queued now (`new`), or by an earlier delivery of the same event.
    Queued { id: DeliveryId, new: bool },
    /// Not sent, and why; noted on the SIM's latest delivery when there is one.
    NotSent {
        reason: String,
        latest: Option<DeliveryId>,
    },
}

/// A reminder for the subscription's SIM, when its eSIM is not installed, its last email
/// was delivered at least `min_interval` ago, no reminder is under way, and fewer than
/// `max` were delivered. Redelivering the same event queues nothing more.
pub async fn remind(
    pool: &PgPool,
    project: &str,
    subscription: &SubscriptionId,
    event_type: &str,
    event_id: &str,
    limits: ReminderLimits,
) -> Result<Reminder> {
    let mut tx = pool.begin().await?;
    let latest = sqlx::query!(
        r#"SELECT id AS "id: DeliveryId", sim_id AS "sim_id!: SimId",
                user_id AS "user_id: UserId", recipient
           FROM deliveries
           WHERE project = $1 AND subscription_id = $2 AND sim_id IS NOT NULL
             AND status = 'delivered'
           ORDER BY seq DESC LIMIT 1"#,
        project,
        subscription as _,
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(latest) = latest else {
        let reason = "no email to this subscription was delivered yet".to_owned();
        return Ok(Reminder::NotSent {
            reason,
            latest: None,
        });
    };
    // Reminders of one SIM queue here, so two events at once cannot both pass.
    let key = format!("reminder/{project}/{}", latest.sim_id);
    sqlx::query!("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", key)
        .execute(&mut *tx)
        .await?;
    let state = sqlx::query!(
        r#"SELECT
            (SELECT id FROM deliveries WHERE event_id = $3 AND kind = 'reminder')
                AS "this_event: DeliveryId",
            (SELECT installed_at IS NOT NULL FROM sim_installs WHERE project = $1 AND sim_id = $2)
                AS installed,
            (SELECT extract(epoch FROM now() - max(delivered_at))::float8 FROM deliveries
             WHERE project = $1 AND sim_id = $2) AS since_last_s,
            (SELECT count(*) FROM deliveries WHERE project = $1 AND sim_id = $2
             AND kind = 'reminder' AND status = 'delivered') AS "delivered_reminders!",
            (SELECT count(*) FROM deliveries WHERE project = $1 AND sim_id = $2
             AND kind = 'reminder' AND status IN ('pending', 'processing', 'retrying'))
                AS "open_reminders!""#,
        project,
        &latest.sim_id as _,
        event_id,
    )
    .fetch_one(&mut *tx)
    .await?;
    if let Some(id) = state.this_event {
        return Ok(Reminder::Queued { id, new: false });
    }
    let hours = limits.min_interval.as_secs() / 3600;
    let refused = if limits.max == 0 {
        Some("reminders are off (REMINDER_MAX=0)".to_owned())
    } else if state.installed == Some(true) {
        Some("the eSIM is installed".to_owned())
    } else if state.open_reminders > 0 {
        Some("a reminder is already on its way".to_owned())
    } else if state.delivered_reminders >= i64::from(limits.max) {
        Some(format!(
            "{} reminders were sent already (REMINDER_MAX)",
            limits.max
        ))
    } else if state.since_last_s.unwrap_or(0.0) < limits.min_interval.as_secs_f64() {
        Some(format!("the last email went less than {hours} h ago"))
    } else {
        None
    };
    if let Some(reason) = refused {
        history::append(
            &mut tx,
            &latest.id,
            &format!("{event_type} {event_id}: no reminder: {reason}"),
        )
        .await?;
        tx.commit().await?;
        return Ok(Reminder::NotSent {
            reason,
            latest: Some(latest.id),
        });
    }
    let first_line = format!("{event_type} {event_id}: reminder of {}", latest.id);
    let new = NewDelivery {
        kind: DeliveryKind::Reminder,
        event_id,
        event_type,
        project,
        sim: Some(&latest.sim_id),
        subscription: Some(subscription),
        user: latest.user_id.as_ref(),
        recipient: latest.recipient.as_deref(),
        automatic: false,
        resend_of: None,
        reminder_of: Some(&latest.id),
        first_line: &first_line,
    };
    let id = deliveries::insert(&mut tx, &new)
        .await?
        .ok_or_else(super::Error::missing_row)?;
    history::append(&mut tx, &latest.id, &format!("reminder queued as {id}")).await?;
    tx.commit().await?;
    Ok(Reminder::Queued { id, new: true })
}
