//! The queue's transitions: claim under a lease, finish, release at shutdown.
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::domain::DeliveryStatus;

/// A delivery this worker holds; only the holder of `lease_token` may finish it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Claimed {
    pub id: String,
    pub lease_token: String,
    pub attempts: i32,
    pub project: String,
    pub sim_id: Option<String>,
    pub subscription_id: Option<String>,
    pub user_id: Option<String>,
    /// The previous holder's lease ran out: its worker died or stalled.
    pub reclaimed: bool,
}

/// Claims up to `limit` due deliveries, and those whose lease ran out, in one short
/// statement. SKIP LOCKED lets several workers claim side by side without waiting.
pub async fn claim(pool: &PgPool, limit: i64, lease: Duration) -> sqlx::Result<Vec<Claimed>> {
    sqlx::query_as(
        "WITH expired AS (
            SELECT id, true AS reclaimed FROM deliveries
            WHERE status = 'processing' AND locked_until <= now()
            ORDER BY locked_until LIMIT $1 FOR UPDATE SKIP LOCKED
        ), fresh AS (
            SELECT id, false AS reclaimed FROM deliveries
            WHERE status IN ('pending', 'retrying') AND next_attempt_at <= now()
            ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED
        ), due AS (
            -- Two index-ordered scans, expired leases first, each stopping at the limit:
            -- one ORDER BY over both conditions would read and sort the whole backlog.
            SELECT * FROM expired UNION ALL SELECT * FROM fresh LIMIT $1
        ), claimed AS (
            UPDATE deliveries d SET
                status = 'processing',
                attempts = d.attempts + 1,
                lease_token = gen_random_uuid()::text,
                locked_until = now() + make_interval(secs => $2),
                next_attempt_at = NULL,
                reason = NULL,
                updated_at = now()
            FROM due WHERE d.id = due.id
            RETURNING d.id, d.lease_token, d.attempts, d.project, d.sim_id,
                d.subscription_id, d.user_id, due.reclaimed
        ), hist AS (
            INSERT INTO delivery_history (delivery_id, status, detail)
            SELECT id, 'processing',
                CASE WHEN reclaimed THEN 'lease expired; attempt ' || attempts
                     ELSE 'attempt ' || attempts END
            FROM claimed
        )
        SELECT * FROM claimed",
    )
    .bind(limit)
    .bind(lease.as_secs_f64())
    .fetch_all(pool)
    .await
}

/// Extends the lease right before the email goes out, so no other worker can claim the
/// delivery while it is being sent; false when this worker no longer holds it.
pub async fn renew(pool: &PgPool, claimed: &Claimed, lease: Duration) -> sqlx::Result<bool> {
    let renewed = sqlx::query(
        "UPDATE deliveries SET locked_until = now() + make_interval(secs => $3)
         WHERE id = $1 AND lease_token = $2 AND status = 'processing'",
    )
    .bind(&claimed.id)
    .bind(&claimed.lease_token)
    .bind(lease.as_secs_f64())
    .execute(pool)
    .await?;
    Ok(renewed.rows_affected() == 1)
}

/// How an attempt ended.
#[derive(Debug)]
pub enum Outcome {
    Delivered { message_id: String },
    Skipped { reason: String },
    Retry { reason: String, at: DateTime<Utc> },
    Failed { reason: String },
}

impl Outcome {
    pub fn status(&self) -> DeliveryStatus {
        match self {
            Self::Delivered { .. } => DeliveryStatus::Delivered,
            Self::Skipped { .. } => DeliveryStatus::Skipped,
            Self::Retry { .. } => DeliveryStatus::Retrying,
            Self::Failed { .. } => DeliveryStatus::Failed,
        }
    }

    fn reason(&self) -> Option<&str> {
        match self {
            Self::Delivered { .. } => None,
            Self::Skipped { reason } | Self::Retry { reason, .. } | Self::Failed { reason } => {
                Some(reason)
            }
        }
    }
}

/// What the attempt learnt from Gigs, kept whatever the outcome.
#[derive(Debug, Default)]
pub struct Resolved {
    pub user_id: Option<String>,
    pub recipient: Option<String>,
}

/// Records the outcome if this worker still holds the lease; false when it lost it.
pub async fn finish(
    pool: &PgPool,
    claimed: &Claimed,
    outcome: &Outcome,
    resolved: &Resolved,
    detail: &str,
) -> sqlx::Result<bool> {
    let (message_id, next_at) = match outcome {
        Outcome::Delivered { message_id } => (Some(message_id.as_str()), None),
        Outcome::Retry { at, .. } => (None, Some(*at)),
        _ => (None, None),
    };
    let updated: i64 = sqlx::query_scalar(
        "WITH upd AS (
            UPDATE deliveries SET
                status = $3, reason = $4, next_attempt_at = $5,
                message_id = coalesce($6, message_id),
                user_id = coalesce($7, user_id),
                recipient = coalesce($8, recipient),
                delivered_at = CASE WHEN $3 = 'delivered' THEN now() ELSE delivered_at END,
                lease_token = NULL, locked_until = NULL, updated_at = now()
            WHERE id = $1 AND lease_token = $2
            RETURNING id, status
        ), hist AS (
            INSERT INTO delivery_history (delivery_id, status, detail)
            SELECT id, status, $9 FROM upd
        )
        SELECT count(*) FROM upd",
    )
    .bind(&claimed.id)
    .bind(&claimed.lease_token)
    .bind(outcome.status().as_str())
    .bind(outcome.reason())
    .bind(next_at)
    .bind(message_id)
    .bind(resolved.user_id.as_deref())
    .bind(resolved.recipient.as_deref())
    .bind(detail)
    .fetch_one(pool)
    .await?;
    Ok(updated == 1)
}

/// Hands unfinished deliveries back at shutdown, so another worker need not wait out
/// the lease. The interrupted attempt is not counted.
pub async fn release(pool: &PgPool, lease_tokens: &[String]) -> sqlx::Result<u64> {
    if lease_tokens.is_empty() {
        return Ok(0);
    }
    let released: i64 = sqlx::query_scalar(
        "WITH rel AS (
            UPDATE deliveries SET
                status = CASE WHEN attempts <= 1 THEN 'pending' ELSE 'retrying' END,
                attempts = greatest(attempts - 1, 0),
                reason = NULL,
                next_attempt_at = now(), lease_token = NULL, locked_until = NULL,
                updated_at = now()
            WHERE lease_token = ANY($1)
            RETURNING id, status
        ), hist AS (
            INSERT INTO delivery_history (delivery_id, status, detail)
            SELECT id, status, 'released at shutdown before the attempt finished' FROM rel
        )
        SELECT count(*) FROM rel",
    )
    .bind(lease_tokens)
    .fetch_one(pool)
    .await?;
    Ok(released as u64)
}
