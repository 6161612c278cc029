//! Erasing personal data: one user's on request, everyone's past the retention period.
//! Deliveries stay as anonymised records; each batch is its own short transaction.
use std::time::Duration;

use sqlx::PgPool;

use super::Result;
use crate::domain::UserId;

/// Rows touched per transaction: small enough that no lock is held for long.
const BATCH: i64 = 500;
/// Retention's batch is smaller: it runs beside live ingest, and a shorter write burst
/// (with the rest the job takes after it) keeps webhook p99 near its idle value.
const OLD_BATCH: i64 = 200;
/// An address, masked or not, wherever it stands in free text.
const ADDRESS: &str = r"\S+@\S+";

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Erased {
    pub deliveries: u64,
    pub events: u64,
    pub suppressions: u64,
    /// Open deliveries ended before they could send.
    pub cancelled: u64,
}

/// Erases the user's recipient addresses, stored payloads, addresses in history, reasons
/// and alerts, and the suppressions of their addresses. Their deliveries still open are
/// ended first (`skipped` with `cancelled`, leases revoked), so none is sent afterwards and
/// no attempt in flight can write an address back.
pub async fn user(pool: &PgPool, user: &UserId, cancelled: &str) -> Result<Erased> {
    let mut erased = Erased {
        cancelled: cancel_open(pool, user, cancelled).await?,
        ..Erased::default()
    };
    let mut after = 0i64;
    loop {
        let mut tx = pool.begin().await?;
        let batch = sqlx::query!(
            r#"SELECT seq, id, recipient FROM deliveries
               WHERE user_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"#,
            user as _,
            after,
            BATCH,
        )
        .fetch_all(&mut *tx)
        .await?;
        let Some(last) = batch.last() else { break };
        after = last.seq;
        let ids: Vec<String> = batch.iter().map(|r| r.id.clone()).collect();
        let emails: Vec<String> = batch.iter().filter_map(|r| r.recipient.clone()).collect();
        erased.suppressions += forget_addresses(&mut tx, &emails).await?;
        let (deliveries, events) = anonymise(&mut tx, &ids).await?;
        erased.deliveries += deliveries;
        erased.events += events;
        tx.commit().await?;
    }
    // Suppressions linked to the user whose deliveries retention has already cleared.
    erased.suppressions += sqlx::query!("DELETE FROM suppressions WHERE user_id = $1", user as _)
        .execute(pool)
        .await?
        .rows_affected();
    // Events that named the user but created no delivery of theirs (`user.*` events, a
    // change without a SIM…), found through the index on `event_user_id` (migration 7).
    erased.events += in_batches(|| async {
        let done = sqlx::query!(
            r#"WITH batch AS (
                SELECT seq FROM webhook_events
                WHERE erased_at IS NULL AND event_user_id(payload) = $1 LIMIT $2
            )
            UPDATE webhook_events e SET payload = '{"erased": true}', erased_at = now()
            FROM batch WHERE e.seq = batch.seq"#,
            user as _,
            BATCH,
        )
        .execute(pool)
        .await?;
        Ok(done.rows_affected())
    })
    .await?;
    Ok(erased)
}

/// Deletes the suppressions of `emails` and their liftings; returns the suppressions.
async fn forget_addresses(tx: &mut sqlx::PgConnection, emails: &[String]) -> Result<u64> {
    let suppressions = sqlx::query!(
        "DELETE FROM suppressions WHERE email IN (SELECT lower(e) FROM unnest($1::text[]) e)",
        emails,
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    // A lifting remembers the address for a week: the user's go too.
    sqlx::query!(
        "DELETE FROM suppression_lifts WHERE email IN (SELECT lower(e) FROM unnest($1::text[]) e)",
        emails,
    )
    .execute(&mut *tx)
    .await?;
    Ok(suppressions)
}

/// Erases the recipients, payloads and history addresses of one batch of finished
/// deliveries older than `keep`, in one transaction; `(0, 0)` when none is left.
pub async fn old_deliveries(pool: &PgPool, keep: Duration) -> Result<(u64, u64)> {
    let mut tx = pool.begin().await?;
    let ids = sqlx::query_scalar!(
        r#"SELECT id FROM deliveries
           WHERE recipient IS NOT NULL AND created_at < now() - make_interval(secs => $1)
             AND status IN ('delivered', 'failed', 'skipped', 'bounced')
           ORDER BY created_at LIMIT $2"#,
        keep.as_secs_f64(),
        OLD_BATCH,
    )
    .fetch_all(&mut *tx)
    .await?;
    if ids.is_empty() {
        return Ok((0, 0));
    }
    let erased = anonymise(&mut tx, &ids).await?;
    tx.commit().await?;
    Ok(erased)
}

/// Erases the payloads of one batch of stored events older than `keep` (those no delivery
/// erased: installs, failures, events that made none); 0 when none is left.
pub async fn old_events(pool: &PgPool, keep: Duration) -> Result<u64> {
    let done = sqlx::query!(
        r#"WITH batch AS (
            SELECT seq FROM webhook_events
            WHERE erased_at IS NULL AND received_at < now() - make_interval(secs => $1)
            ORDER BY received_at LIMIT $2
        )
        UPDATE webhook_events e SET payload = '{"erased": true}', erased_at = now()
        FROM batch WHERE e.seq = batch.seq"#,
        keep.as_secs_f64(),
        OLD_BATCH,
    )
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

/// Runs `batch` (one autocommit statement of at most `BATCH` rows) until a batch comes back
/// short; returns the rows touched.
async fn in_batches<F, Fut>(mut batch: F) -> Result<u64>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<u64>>,
{
    let mut total = 0;
    loop {
        let done = batch().await?;
        total += done;
        if done < BATCH as u64 {
            return Ok(total);
        }
    }
}

/// Ends the user's open deliveries with `reason`; a worker holding one loses its lease,
/// so it neither sends (the lease is checked before the send) nor records an outcome.
async fn cancel_open(pool: &PgPool, user: &UserId, reason: &str) -> Result<u64> {
    let done = sqlx::query!(
        "WITH upd AS (
            UPDATE deliveries SET status = 'skipped', reason = $2, next_attempt_at = NULL,
                lease_token = NULL, locked_until = NULL, updated_at = now()
            WHERE user_id = $1 AND status IN ('pending', 'processing', 'retrying')
            RETURNING id, status
        )
        INSERT INTO delivery_history (delivery_id, status, detail)
        SELECT id, status, $2 FROM upd",
        user as _,
        reason,
    )
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

/// Removes the personal data of these deliveries and of the events that created them;
/// returns how many deliveries held some, and how many events were erased.
async fn anonymise(tx: &mut sqlx::PgConnection, ids: &[String]) -> Result<(u64, u64)> {
    let deliveries = sqlx::query!(
        "UPDATE deliveries SET recipient = NULL, iccid = NULL, phone_number = NULL,
            reason = regexp_replace(reason, $2, '[erased]', 'g')
         WHERE id = ANY($1) AND (recipient IS NOT NULL OR iccid IS NOT NULL
            OR phone_number IS NOT NULL OR reason LIKE '%@%')",
        ids,
        ADDRESS,
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    sqlx::query!(
        "UPDATE delivery_history SET detail = regexp_replace(detail, $2, '[erased]', 'g')
         WHERE delivery_id = ANY($1) AND detail LIKE '%@%'",
        ids,
        ADDRESS,
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "UPDATE alerts SET text = regexp_replace(text, $2, '[erased]', 'g'),
            last_error = NULL
         WHERE delivery_id = ANY($1)",
        ids,
        ADDRESS,
    )
    .execute(&mut *tx)
    .await?;
    let events = sqlx::query!(
        r#"UPDATE webhook_events SET payload = '{"erased": true}', erased_at = now()
           WHERE delivery_id = ANY($1) AND erased_at IS NULL"#,
        ids,
    )
    .execute(&mut *tx)
    .await?;
    Ok((deliveries, events.rows_affected()))
}
