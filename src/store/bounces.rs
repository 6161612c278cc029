//! Bounces and complaints: finding the delivery they are about, and recording them.
use super::Result;
use sqlx::PgPool;

use super::{
    alerts::{self, NewAlert},
    history,
};
use crate::domain::DeliveryId;

/// The delivery a bounce is about, and the address it went to.
#[derive(Debug)]
pub struct Bounced {
    pub id: DeliveryId,
    pub recipient: Option<String>,
}

/// By our delivery id, when the provider echoes the metadata we sent.
pub async fn by_id(pool: &PgPool, id: &DeliveryId) -> Result<Option<Bounced>> {
    sqlx::query_as!(
        Bounced,
        r#"SELECT id AS "id: DeliveryId", recipient FROM deliveries WHERE id = $1"#,
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
        r#"SELECT id AS "id: DeliveryId", recipient FROM deliveries
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
        r#"SELECT id AS "id: DeliveryId", recipient FROM deliveries
           WHERE lower(recipient) = lower($1) AND status IN ('delivered', 'bounced')
             AND delivered_at > now() - interval '7 days'
           ORDER BY delivered_at DESC LIMIT 1"#,
        email,
    )
    .fetch_optional(pool)
    .await
    .map_err(Into::into)
}

/// A hard bounce or complaint: the address is suppressed and the delivery, when it was
/// delivered, becomes `bounced` with an alert queued when `alert` is given. True when the
/// address was added to the suppression list now.
pub async fn record_hard(
    pool: &PgPool,
    id: Option<&DeliveryId>,
    email: &str,
    provider: &str,
    reason: &str,
    alert: Option<&NewAlert>,
) -> Result<bool> {
    let mut tx = pool.begin().await?;
    let suppressed = sqlx::query!(
        "INSERT INTO suppressions (email, reason, provider, delivery_id)
         VALUES (lower($1), $2, $3, $4) ON CONFLICT (email) DO NOTHING",
        email,
        reason,
        provider,
        id as Option<&DeliveryId>,
    )
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    let changed = match id {
        Some(id) => {
            sqlx::query!(
                "UPDATE deliveries SET status = 'bounced', reason = $2, updated_at = now()
                 WHERE id = $1 AND status = 'delivered'",
                id as _,
                reason,
            )
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1
        }
        None => false,
    };
    if let Some(id) = id.filter(|_| changed) {
        history::append(&mut tx, id, reason).await?;
        if let Some(alert) = alert {
            alerts::enqueue(&mut tx, alert).await?;
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
