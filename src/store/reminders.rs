//! Reminders: the SIM's state read under its lock, and the caller's choice written, in one
//! transaction.
use sqlx::{PgConnection, PgPool};

use super::{
    Result,
    deliveries::{self, NewDelivery},
    history,
};
use crate::domain::{DeliveryId, DeliveryKind, SimId, SubscriptionId, UserId};

/// What the policy reads about a SIM before a reminder, under the SIM's reminder lock.
#[derive(Debug, Clone)]
pub struct ReminderState {
    /// The reminder this same event queued already, if it was delivered before.
    pub this_event: Option<DeliveryId>,
    pub installed: bool,
    /// Seconds since the SIM's last email was delivered.
    pub since_last_email_s: Option<f64>,
    pub delivered_reminders: i64,
    pub open_reminders: i64,
}

/// The subscription's latest delivered email: what a reminder follows up.
#[derive(Debug, Clone)]
pub struct Latest {
    pub id: DeliveryId,
    pub sim_id: SimId,
    user_id: Option<UserId>,
    recipient: Option<String>,
    iccid: Option<String>,
    phone_number: Option<String>,
}

/// What to write, as the caller decided from the state.
#[derive(Debug)]
pub enum ReminderWrite {
    /// Nothing: the event's reminder exists already.
    Nothing,
    /// No reminder: this note goes on the latest delivery.
    Note(String),
    /// A reminder with this id and first history line; `note` goes on the latest delivery.
    Queue {
        id: DeliveryId,
        first_line: String,
        note: String,
    },
}

/// Reads the state of the subscription's SIM under a lock that makes reminders of one SIM
/// queue, lets `decide` choose, and writes its choice in the same transaction. When no
/// email to the subscription was delivered yet, `decide` is not asked and nothing is
/// written.
pub async fn remind(
    pool: &PgPool,
    project: &str,
    subscription: &SubscriptionId,
    event: (&str, &str),
    decide: impl FnOnce(&Latest, &ReminderState) -> ReminderWrite,
) -> Result<()> {
    let (event_type, event_id) = event;
    let mut tx = pool.begin().await?;
    let Some(latest) = latest_delivered(&mut tx, project, subscription).await? else {
        return Ok(());
    };
    let key = format!("reminder/{project}/{}", latest.sim_id);
    sqlx::query!("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", key)
        .execute(&mut *tx)
        .await?;
    let state = state(&mut tx, project, &latest.sim_id, event_id).await?;
    match decide(&latest, &state) {
        ReminderWrite::Nothing => return Ok(()),
        ReminderWrite::Note(note) => history::append(&mut tx, &latest.id, &note).await?,
        ReminderWrite::Queue {
            id,
            first_line,
            note,
        } => {
            let new = NewDelivery {
                id,
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
                iccid: latest.iccid.as_deref(),
                phone_number: latest.phone_number.as_deref(),
                notice_of: None,
                locale: None,
            };
            deliveries::insert(&mut tx, &new)
                .await?
                .ok_or_else(super::Error::missing_row)?;
            history::append(&mut tx, &latest.id, &note).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

async fn latest_delivered(
    conn: &mut PgConnection,
    project: &str,
    subscription: &SubscriptionId,
) -> Result<Option<Latest>> {
    sqlx::query_as!(
        Latest,
        r#"SELECT id AS "id: DeliveryId", sim_id AS "sim_id!: SimId",
                user_id AS "user_id: UserId", recipient, iccid, phone_number
           FROM deliveries
           WHERE project = $1 AND subscription_id = $2 AND sim_id IS NOT NULL
             AND status = 'delivered'
           ORDER BY seq DESC LIMIT 1"#,
        project,
        subscription as _,
    )
    .fetch_optional(conn)
    .await
    .map_err(Into::into)
}

async fn state(
    conn: &mut PgConnection,
    project: &str,
    sim: &SimId,
    event_id: &str,
) -> Result<ReminderState> {
    let row = sqlx::query!(
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
        sim as _,
        event_id,
    )
    .fetch_one(conn)
    .await?;
    Ok(ReminderState {
        this_event: row.this_event,
        installed: row.installed == Some(true),
        since_last_email_s: row.since_last_s,
        delivered_reminders: row.delivered_reminders,
        open_reminders: row.open_reminders,
    })
}
