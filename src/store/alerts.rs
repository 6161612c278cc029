//! The alert outbox: queued in the same transaction as their cause, sent by any process.
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use super::Result;
use crate::domain::{AlertKind, DeliveryId};

/// An alert to queue; built by the `alerts` module, the one place alert text is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAlert {
    pub kind: AlertKind,
    pub delivery: Option<DeliveryId>,
    pub text: String,
    /// One alert per cause: a delivery's failure, or its bounce.
    pub dedupe_key: String,
}

#[derive(Debug)]
pub struct Alert {
    pub seq: i64,
    pub kind: AlertKind,
    pub delivery_id: Option<DeliveryId>,
    pub text: String,
    pub attempts: i32,
}

/// Queues an alert once per `dedupe_key`.
pub async fn enqueue(conn: &mut PgConnection, alert: &NewAlert) -> Result<()> {
    sqlx::query!(
        "INSERT INTO alerts (kind, delivery_id, text, dedupe_key) VALUES ($1, $2, $3, $4)
         ON CONFLICT (dedupe_key) DO NOTHING",
        alert.kind as _,
        alert.delivery.as_ref() as Option<&DeliveryId>,
        alert.text,
        alert.dedupe_key,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Queues the one quiet alert (its kind and text from `alert`) of the current quiet
/// spell, when no verified webhook came for `quiet`; a webhook ends the spell, so the
/// spell's key is the time of the last one. True when one was queued now.
pub async fn enqueue_quiet(pool: &PgPool, quiet: Duration, alert: &NewAlert) -> Result<bool> {
    // The newest webhook's time from the two partial indexes on it (events kept, events
    // erased), each read from its end (written as ORDER BY … LIMIT 1 so that statistics
    // gathered before any erasure cannot turn it into a full read). No event at all: NULL,
    // nothing queued.
    let done = sqlx::query!(
        "INSERT INTO alerts (kind, text, dedupe_key)
         SELECT $2, $3, $4 || last::text FROM (
             SELECT greatest(
                 (SELECT received_at FROM webhook_events WHERE erased_at IS NULL
                  ORDER BY received_at DESC LIMIT 1),
                 (SELECT received_at FROM webhook_events WHERE erased_at IS NOT NULL
                  ORDER BY received_at DESC LIMIT 1)
             ) AS last
         ) newest
         WHERE last < now() - make_interval(secs => $1)
         ON CONFLICT (dedupe_key) DO NOTHING",
        quiet.as_secs_f64(),
        alert.kind as _,
        alert.text,
        alert.dedupe_key,
    )
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// An alert waiting to be sent, as the sender plans its round.
#[derive(Debug, Clone)]
pub struct Due {
    pub seq: i64,
    pub kind: AlertKind,
    pub created_at: DateTime<Utc>,
}

/// Up to `limit` unsent alerts that are due, the longest waiting first.
pub async fn due(pool: &PgPool, limit: i64) -> Result<Vec<Due>> {
    sqlx::query_as!(
        Due,
        r#"SELECT seq, kind AS "kind: AlertKind", created_at FROM alerts
           WHERE sent_at IS NULL AND next_attempt_at <= now()
           ORDER BY next_attempt_at, seq LIMIT $1"#,
        limit,
    )
    .fetch_all(pool)
    .await
    .map_err(Into::into)
}

/// Takes those of `seqs` still due for a minute, so another process does not send them
/// too; the ones another process took meanwhile are left out.
pub async fn claim(pool: &PgPool, seqs: &[i64]) -> Result<Vec<Alert>> {
    sqlx::query_as!(
        Alert,
        r#"WITH due AS (
            SELECT seq FROM alerts
            WHERE seq = ANY($1) AND sent_at IS NULL AND next_attempt_at <= now()
            FOR UPDATE SKIP LOCKED
        )
        UPDATE alerts a SET next_attempt_at = now() + interval '1 minute',
            attempts = a.attempts + 1
        FROM due WHERE a.seq = due.seq
        RETURNING a.seq, a.kind AS "kind: AlertKind", a.delivery_id AS "delivery_id: DeliveryId", a.text, a.attempts"#,
        seqs,
    )
    .fetch_all(pool)
    .await
    .map_err(Into::into)
}

pub async fn sent(pool: &PgPool, seqs: &[i64]) -> Result<()> {
    sqlx::query!(
        "UPDATE alerts SET sent_at = now(), last_error = NULL WHERE seq = ANY($1)",
        seqs
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Tried again after `retry_in`; `None` gives up on it.
pub async fn failed(
    pool: &PgPool,
    seq: i64,
    error: &str,
    retry_in: Option<Duration>,
) -> Result<()> {
    sqlx::query!(
        "UPDATE alerts SET last_error = $2,
            next_attempt_at = coalesce(now() + make_interval(secs => $3), 'infinity')
         WHERE seq = $1",
        seq,
        error,
        retry_in.map(|d| d.as_secs_f64()),
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// An alert as the console and `GET /alerts` show it.
#[derive(Debug, Clone)]
pub struct AlertRow {
    pub seq: i64,
    pub kind: AlertKind,
    pub delivery_id: Option<DeliveryId>,
    pub text: String,
    pub attempts: i32,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub sent_at: Option<chrono::DateTime<chrono::Utc>>,
    pub last_error: Option<String>,
}

/// Newest first, before `before_seq` if given; `limit + 1` rows so the caller knows
/// whether more follow.
pub async fn recent(pool: &PgPool, before_seq: Option<i64>, limit: i64) -> Result<Vec<AlertRow>> {
    Ok(sqlx::query_as!(
        AlertRow,
        r#"SELECT seq, kind AS "kind: AlertKind", delivery_id AS "delivery_id: DeliveryId", text,
                attempts, created_at, sent_at, last_error
           FROM alerts WHERE $1::bigint IS NULL OR seq < $1
           ORDER BY seq DESC LIMIT $2"#,
        before_seq,
        limit + 1,
    )
    .fetch_all(pool)
    .await?)
}
