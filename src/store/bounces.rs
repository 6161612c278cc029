//! Bounces and complaints: finding the delivery they are about, and recording them.
use sqlx::PgPool;

use super::{
    Result,
    alerts::{self, NewAlert},
    history,
};
use crate::domain::{DeliveryId, DeliveryStatus};

/// The delivery a bounce is about, and the address it went to.
#[derive(Debug)]
pub struct Bounced {
    pub id: DeliveryId,
    pub status: DeliveryStatus,
    pub recipient: Option<String>,
}

/// By our delivery id, when the provider echoes the metadata we sent.
pub async fn by_id(pool: &PgPool, id: &DeliveryId) -> Result<Option<Bounced>> {
    sqlx::query_as!(
        Bounced,
        r#"SELECT id AS "id: DeliveryId", status AS "status: DeliveryStatus", recipient
           FROM deliveries WHERE id = $1"#,
        id as _,
    )
    .fetch_optional(pool)
    .await
    .map_err(Into::into)
}

/// By our `Message-ID`, when the provider passes it back.
pub async fn by_message_id(pool: &PgPool, message_id: &str) -> Result<Option<Bounced>> {
    sqlx::query_as!(
        Bounced,
        r#"SELECT id AS "id: DeliveryId", status AS "status: DeliveryStatus", recipient
           FROM deliveries
           WHERE message_id = $1 ORDER BY seq DESC LIMIT 1"#,
        message_id,
    )
    .fetch_optional(pool)
    .await
    .map_err(Into::into)
}

/// Else by recipient: the latest delivery delivered to it within a week.
pub async fn by_recipient(pool: &PgPool, email: &str) -> Result<Option<Bounced>> {
    sqlx::query_as!(
        Bounced,
        r#"SELECT id AS "id: DeliveryId", status AS "status: DeliveryStatus", recipient
           FROM deliveries
           WHERE lower(recipient) = lower($1) AND status IN ('delivered', 'bounced')
             AND delivered_at > now() - interval '7 days'
           ORDER BY delivered_at DESC LIMIT 1"#,
        email,
    )
    .fetch_optional(pool)
    .await
    .map_err(Into::into)
}

/// A hard bounce or complaint to record, as the caller decided it.
#[derive(Debug)]
pub struct HardBounce<'a> {
    pub email: &'a str,
    pub provider: &'a str,
    pub reason: &'a str,
    /// The delivery it matched, if any (kept on the suppression row).
    pub delivery: Option<&'a DeliveryId>,
    /// Set the matched delivery `bounced`, if it still has the status it was read with;
    /// its history gets `reason` and the alert is queued, in the same transaction.
    pub mark_bounced: Option<(&'a DeliveryId, DeliveryStatus)>,
    pub alert: Option<&'a NewAlert>,
}

/// Suppresses the address and marks the delivery as asked. True when the address was
/// added to the suppression list now. An address whose suppression an operator lifted
/// after the bounced email went out (or, with no delivery matched, within the week) is
/// not suppressed again: the bounce is about the address as it was before the lifting.
pub async fn record_hard(pool: &PgPool, b: &HardBounce<'_>) -> Result<bool> {
    let mut tx = pool.begin().await?;
    let suppressed = sqlx::query!(
        "INSERT INTO suppressions (email, reason, provider, delivery_id, user_id)
         SELECT lower($1), $2, $3, $4, (SELECT user_id FROM deliveries WHERE id = $4)
         WHERE NOT EXISTS (
             SELECT 1 FROM suppression_lifts l
             WHERE l.email = lower($1)
               AND l.lifted_at > now() - interval '7 days'
               AND l.lifted_at > coalesce(
                   (SELECT coalesce(d.delivered_at, d.created_at)
                    FROM deliveries d WHERE d.id = $4),
                   '-infinity'))
         ON CONFLICT (email) DO NOTHING",
        b.email,
        b.reason,
        b.provider,
        b.delivery as Option<&DeliveryId>,
    )
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if let Some((id, read_as)) = b.mark_bounced {
        let changed = sqlx::query!(
            "UPDATE deliveries SET status = 'bounced', reason = $2, updated_at = now()
             WHERE id = $1 AND status = $3",
            id as _,
            b.reason,
            read_as as _,
        )
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if changed {
            history::append(&mut tx, id, b.reason).await?;
            if let Some(alert) = b.alert {
                alerts::enqueue(&mut tx, alert).await?;
            }
        }
    }
    tx.commit().await?;
    Ok(suppressed)
}

/// A soft bounce: noted in the history, nothing else changes.
pub async fn record_soft(pool: &PgPool, id: &DeliveryId, detail: &str) -> Result<()> {
    let mut conn = pool.acquire().await?;
    history::append(&mut conn, id, detail).await
}
