//! The suppression list: addresses that bounced for good or complained.
use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::{
    Result,
    audit::{self, NewAuditEntry},
};
use crate::domain::DeliveryId;

#[derive(Debug, Clone)]
pub struct Suppression {
    pub seq: i64,
    pub email: String,
    pub reason: String,
    pub provider: String,
    pub delivery_id: Option<DeliveryId>,
    pub created_at: DateTime<Utc>,
}

pub async fn find(pool: &PgPool, email: &str) -> Result<Option<Suppression>> {
    Ok(sqlx::query_as!(
        Suppression,
        r#"SELECT seq, email, reason, provider, delivery_id AS "delivery_id: DeliveryId",
                created_at
           FROM suppressions WHERE email = lower($1)"#,
        email,
    )
    .fetch_optional(pool)
    .await?)
}

/// Where a page starts: after this address, or after the row with this number.
#[derive(Debug, Clone)]
pub enum After {
    Email(String),
    Seq(i64),
}

/// By address; `limit + 1` rows so the caller knows whether more follow.
pub async fn list(pool: &PgPool, after: Option<&After>, limit: i64) -> Result<Vec<Suppression>> {
    let (email, seq) = match after {
        None => (None, None),
        Some(After::Email(e)) => (Some(e.as_str()), None),
        Some(After::Seq(s)) => (None, Some(*s)),
    };
    Ok(sqlx::query_as!(
        Suppression,
        r#"SELECT seq, email, reason, provider, delivery_id AS "delivery_id: DeliveryId",
                created_at
           FROM suppressions
           WHERE ($1::text IS NULL OR email > $1)
             AND ($2::bigint IS NULL OR email > (SELECT email FROM suppressions WHERE seq = $2))
           ORDER BY email LIMIT $3"#,
        email,
        seq,
        limit + 1,
    )
    .fetch_all(pool)
    .await?)
}

/// Takes the address off the list and writes the audit entry, together. True when the
/// address was on the list (no entry is written when it was not). The lifting is
/// remembered for a week, so a bounce of an email sent before it cannot suppress the
/// address again.
pub async fn remove(pool: &PgPool, email: &str, audit_entry: &NewAuditEntry) -> Result<bool> {
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
    if lifted.is_none() {
        return Ok(false);
    }
    audit::record(&mut tx, audit_entry).await?;
    tx.commit().await?;
    Ok(true)
}

/// Liftings older than a week no longer matter (see the migration; the bounce's own query
/// ignores them too). Pruned when an operator lifts one, not on the bounce path.
pub(super) async fn prune_lifts(conn: &mut sqlx::PgConnection) -> Result<()> {
    sqlx::query!("DELETE FROM suppression_lifts WHERE lifted_at < now() - interval '7 days'")
        .execute(conn)
        .await?;
    Ok(())
}
