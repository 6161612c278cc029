//! The suppression list: addresses that bounced for good or complained.
use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::Result;
use crate::domain::DeliveryId;

#[derive(Debug, Clone)]
pub struct Suppression {
    pub email: String,
    pub reason: String,
    pub provider: String,
    pub delivery_id: Option<DeliveryId>,
    pub created_at: DateTime<Utc>,
}

pub async fn find(pool: &PgPool, email: &str) -> Result<Option<Suppression>> {
    sqlx::query_as!(
        Suppression,
        r#"SELECT email, reason, provider, delivery_id AS "delivery_id: DeliveryId", created_at
           FROM suppressions WHERE email = lower($1)"#,
        email,
    )
    .fetch_optional(pool)
    .await
    .map_err(Into::into)
}

/// By address; `limit + 1` rows so the caller knows whether more follow.
pub async fn list(pool: &PgPool, after: Option<&str>, limit: i64) -> Result<Vec<Suppression>> {
    sqlx::query_as!(
        Suppression,
        r#"SELECT email, reason, provider, delivery_id AS "delivery_id: DeliveryId", created_at
           FROM suppressions WHERE $1::text IS NULL OR email > $1
           ORDER BY email LIMIT $2"#,
        after,
        limit + 1,
    )
    .fetch_all(pool)
    .await
    .map_err(Into::into)
}

/// True when the address was on the list. The lifting is remembered for a week, so a
/// bounce of an email sent before it cannot suppress the address again.
pub async fn remove(pool: &PgPool, email: &str) -> Result<bool> {
    let mut tx = pool.begin().await?;
    prune_lifts(&mut tx).await?;
    let lifted = sqlx::query_scalar!(
        r#"WITH gone AS (DELETE FROM suppressions WHERE email = lower($1) RETURNING email)
           INSERT INTO suppression_lifts (email) SELECT email FROM gone
           ON CONFLICT (email) DO UPDATE SET lifted_at = now()
           RETURNING email"#,
        email,
    )
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(lifted.is_some())
}

/// Liftings older than a week no longer matter (see the migration).
pub(super) async fn prune_lifts(conn: &mut sqlx::PgConnection) -> Result<()> {
    sqlx::query!("DELETE FROM suppression_lifts WHERE lifted_at < now() - interval '7 days'")
        .execute(conn)
        .await?;
    Ok(())
}
