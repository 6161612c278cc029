//! The queue's transitions: claim under a lease, renew, finish, release at shutdown.
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::{Claimed, NOTIFY_CHANNEL, Result, alerts::NewAlert};
use crate::domain::{
    AlertKind, DeliveryId, DeliveryKind, DeliveryStatus, SimId, SubscriptionId, UserId,
};

/// Claims up to `limit` due deliveries, and those whose lease ran out, in one statement.
pub async fn claim(pool: &PgPool, limit: i64, lease: Duration) -> Result<Vec<Claimed>> {
    sqlx::query_file_as!(Claimed, "src/store/claim.sql", limit, lease.as_secs_f64())
        .fetch_all(pool)
        .await
        .map_err(Into::into)
}

/// Extends the lease; false when this worker no longer holds the delivery.
pub async fn renew(pool: &PgPool, claimed: &Claimed, lease: Duration) -> Result<bool> {
    let renewed = sqlx::query!(
        "UPDATE deliveries SET locked_until = now() + make_interval(secs => $3)
         WHERE id = $1 AND lease_token = $2 AND status = 'processing'",
        &claimed.id as _,
        claimed.lease_token,
        lease.as_secs_f64(),
    )
    .execute(pool)
    .await?;
    Ok(renewed.rows_affected() == 1)
}

/// Extends the leases this process holds (its heartbeat); returns how many it still held.
pub async fn extend(pool: &PgPool, lease_tokens: &[String], lease: Duration) -> Result<u64> {
    let done = sqlx::query!(
        "UPDATE deliveries SET locked_until = now() + make_interval(secs => $2)
         WHERE lease_token = ANY($1) AND status = 'processing'",
        lease_tokens,
        lease.as_secs_f64(),
    )
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

/// How an attempt ended, as the row records it.
#[derive(Debug)]
pub struct Finish<'a> {
    pub status: DeliveryStatus,
    pub reason: Option<&'a str>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub message_id: Option<&'a str>,
    /// What the attempt learnt from Gigs, kept whatever the outcome.
    pub user_id: Option<&'a UserId>,
    pub recipient: Option<&'a str>,
    pub detail: &'a str,
    /// The language the email was sent in.
    pub locale: Option<&'a str>,
    /// Queued with the outcome, in the same statement.
    pub alert: Option<&'a NewAlert>,
    /// Queued with a delivered outcome, in the same transaction.
    pub notice: Option<&'a NewNotice>,
}

/// A notice to the SIM's previous address, queued when its credentials went elsewhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotice {
    pub id: DeliveryId,
    pub to: String,
    pub locale: Option<String>,
    pub first_line: String,
}

/// Records the outcome if this worker still holds the lease; false when it lost it.
/// A notice commits with the delivered outcome it tells about, in one transaction; every
/// other outcome is one statement: the notice's insert in every outcome's statement,
/// planned and set up for nothing, cost the pipeline about a tenth (docs/benchmarks.md).
pub async fn finish(pool: &PgPool, claimed: &Claimed, f: &Finish<'_>) -> Result<bool> {
    let notice = f.notice.filter(|_| f.status == DeliveryStatus::Delivered);
    let Some(notice) = notice else {
        return record(pool, claimed, f).await;
    };
    let mut tx = pool.begin().await?;
    if !record(&mut *tx, claimed, f).await? {
        return Ok(false);
    }
    sqlx::query_file_scalar!(
        "src/store/notice.sql",
        &claimed.id as _,
        &notice.id as _,
        notice.to,
        notice.locale,
        notice.first_line,
        NOTIFY_CHANNEL,
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}

async fn record(db: impl sqlx::PgExecutor<'_>, claimed: &Claimed, f: &Finish<'_>) -> Result<bool> {
    let updated = sqlx::query_file_scalar!(
        "src/store/finish.sql",
        &claimed.id as _,
        claimed.lease_token,
        f.status as _,
        f.reason,
        f.next_attempt_at,
        f.message_id,
        f.user_id as Option<&UserId>,
        f.recipient,
        f.detail,
        f.locale,
        f.alert.map(|a| a.kind) as Option<AlertKind>,
        f.alert.map(|a| a.text.as_str()),
        f.alert.map(|a| a.dedupe_key.as_str()),
    )
    .fetch_one(db)
    .await?;
    Ok(updated == 1)
}

/// Hands unfinished deliveries back at shutdown, so another worker need not wait out
/// the lease. The interrupted attempt is not counted.
pub async fn release(pool: &PgPool, lease_tokens: &[String], detail: &str) -> Result<u64> {
    if lease_tokens.is_empty() {
        return Ok(0);
    }
    let released = sqlx::query_scalar!(
        r#"WITH rel AS (
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
            SELECT id, status, $2 FROM rel
        )
        SELECT count(*) AS "released!" FROM rel"#,
        lease_tokens,
        detail,
    )
    .fetch_one(pool)
    .await?;
    Ok(released as u64)
}
