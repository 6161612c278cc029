//! Reading deliveries for the status API, and creating the ones no event creates.
use std::time::Duration;

use chrono::{DateTime, Utc};

use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};

use super::{
    DeliveryRow, HistoryRow, NOTIFY_CHANNEL, Result,
    audit::{self, NewAuditEntry},
    history, install_links,
};
use crate::domain::{DeliveryId, DeliveryKind, DeliveryStatus, SimId, SubscriptionId, UserId};

pub async fn get(pool: &PgPool, id: &DeliveryId) -> Result<Option<DeliveryRow>> {
    sqlx::query_file_as!(DeliveryRow, "src/store/delivery_by_id.sql", id as _)
        .fetch_optional(pool)
        .await
        .map_err(Into::into)
}

/// A delivery and its history as of one moment: a worker claiming it meanwhile cannot
/// make the two disagree (a `pending` status above a `processing` line).
pub async fn get_with_history(
    pool: &PgPool,
    id: &DeliveryId,
) -> Result<Option<(DeliveryRow, Vec<HistoryRow>)>> {
    let mut tx = pool.begin().await?;
    sqlx::query!("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .execute(&mut *tx)
        .await?;
    let row = sqlx::query_file_as!(DeliveryRow, "src/store/delivery_by_id.sql", id as _)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let history = history::lines(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Some((row, history)))
}

pub async fn seq_of(pool: &PgPool, id: &DeliveryId) -> Result<Option<i64>> {
    sqlx::query_scalar!("SELECT seq FROM deliveries WHERE id = $1", id as _)
        .fetch_optional(pool)
        .await
        .map_err(Into::into)
}

/// Filters of `GET /deliveries`, already validated.
#[derive(Debug, Default)]
pub struct ListFilter {
    pub sim: Option<String>,
    pub subscription: Option<String>,
    pub user: Option<String>,
    pub email: Option<String>,
    pub status: Option<DeliveryStatus>,
    pub event: Option<String>,
    /// Only deliveries whose SIM is (or is not) installed.
    pub installed: Option<bool>,
    pub kind: Option<DeliveryKind>,
    /// Created at or after this…
    pub since: Option<DateTime<Utc>>,
    /// …and before this.
    pub until: Option<DateTime<Utc>>,
    /// Only deliveries older than this `seq` (the cursor's).
    pub before_seq: Option<i64>,
}

/// How far apart, at most, the `created_at` of two deliveries inserted in the opposite
/// order can be. `seq` is taken at insert, `created_at` is the inserting transaction's
/// start: the two orders disagree only across a transaction that was still open when a
/// later one inserted. Every statement that inserts a delivery is a short transaction
/// (a webhook batch, a resend, a reminder, a notice with its outcome), far below this.
const INSERT_SKEW: &str = "15 minutes";

/// The `seq` range that holds every delivery created in `[since, until)`, found through
/// `deliveries_by_created` in a few index pages; `None` when none was created there.
/// Deliveries created more than `INSERT_SKEW` before the last one before `until` were
/// inserted before it (so have a lower `seq`), and likewise after the first one from
/// `since`: only the deliveries within `INSERT_SKEW` of those two are read.
async fn seq_range(
    pool: &PgPool,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
) -> Result<Option<(Option<i64>, Option<i64>)>> {
    let mut range = (None, None);
    if let Some(since) = since {
        range.0 = sqlx::query_scalar!(
            // `seq + 0`: read the window through the time index, not the table backwards
            // through the `seq` one (the planner's min/max shortcut would).
            r#"SELECT min(seq + 0) FROM deliveries
               WHERE created_at >= $1 AND created_at <= (
                   SELECT created_at FROM deliveries WHERE created_at >= $1
                   ORDER BY created_at LIMIT 1) + $2::text::interval"#,
            since,
            INSERT_SKEW,
        )
        .fetch_one(pool)
        .await?;
        if range.0.is_none() {
            return Ok(None);
        }
    }
    if let Some(until) = until {
        range.1 = sqlx::query_scalar!(
            r#"SELECT max(seq + 0) FROM deliveries
               WHERE created_at < $1 AND created_at >= (
                   SELECT created_at FROM deliveries WHERE created_at < $1
                   ORDER BY created_at DESC LIMIT 1) - $2::text::interval"#,
            until,
            INSERT_SKEW,
        )
        .fetch_one(pool)
        .await?;
        if range.1.is_none() {
            return Ok(None);
        }
    }
    Ok(Some(range))
}

/// Newest first; fetches `limit + 1` rows so the caller knows whether more follow.
pub async fn list(pool: &PgPool, f: &ListFilter, limit: i64) -> Result<Vec<DeliveryRow>> {
    // A time filter also bounds `seq`, so the newest-first scan starts at the window
    // instead of reading every later delivery (`until`), and stops at its start (`since`).
    let (first_seq, last_seq) = match seq_range(pool, f.since, f.until).await? {
        Some(range) => range,
        None => return Ok(Vec::new()),
    };
    // Built at run time: each filter present adds a condition, so the planner can use
    // that filter's index; one static statement with `$n IS NULL OR …` could not.
    let mut q: QueryBuilder<Postgres> = QueryBuilder::new(
        "SELECT seq, id, status, reason, event_id, event_type, project, sim_id,
            subscription_id, user_id, recipient, automatic, resend_of, attempts,
            next_attempt_at, message_id, created_at, updated_at, delivered_at, kind,
            reminder_of, installed_at, iccid, phone_number, notice_of, locale
         FROM deliveries WHERE true",
    );
    let equals = [
        ("sim_id", &f.sim),
        ("subscription_id", &f.subscription),
        ("user_id", &f.user),
        ("event_id", &f.event),
    ];
    for (column, value) in equals {
        if let Some(v) = value {
            q.push(format_args!(" AND {column} = "))
                .push_bind(v.clone());
        }
    }
    if let Some(email) = &f.email {
        q.push(" AND lower(recipient) = lower(")
            .push_bind(email.clone())
            .push(")");
    }
    if let Some(status) = f.status {
        q.push(" AND status = ").push_bind(status);
    }
    match f.installed {
        Some(true) => {
            q.push(" AND installed_at IS NOT NULL");
        }
        Some(false) => {
            q.push(" AND installed_at IS NULL");
        }
        None => {}
    }
    if let Some(kind) = f.kind {
        q.push(" AND kind = ").push_bind(kind);
    }
    if let Some(since) = f.since {
        q.push(" AND created_at >= ").push_bind(since);
    }
    if let Some(until) = f.until {
        q.push(" AND created_at < ").push_bind(until);
    }
    if let Some(first) = first_seq {
        q.push(" AND seq >= ").push_bind(first);
    }
    if let Some(last) = last_seq {
        q.push(" AND seq <= ").push_bind(last);
    }
    if let Some(seq) = f.before_seq {
        q.push(" AND seq < ").push_bind(seq);
    }
    q.push(" ORDER BY seq DESC LIMIT ").push_bind(limit + 1);
    q.build_query_as().fetch_all(pool).await.map_err(Into::into)
}

/// Which failed or bounced deliveries a bulk retry is about.
#[derive(Debug, Clone)]
pub struct RetryFilter {
    pub status: DeliveryStatus,
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    /// The window is on `created_at` (as the delivery list filters), else on `updated_at`
    /// (when they reached the status).
    pub by_created: bool,
    pub kind: Option<DeliveryKind>,
}

/// Failed or bounced deliveries of a time window that have no resend yet, oldest first.
pub async fn retry_candidates(
    pool: &PgPool,
    f: &RetryFilter,
    cap: i64,
    min_interval: Duration,
) -> Result<Vec<DeliveryRow>> {
    sqlx::query_as!(
        DeliveryRow,
        r#"SELECT seq, id AS "id: DeliveryId", status AS "status: DeliveryStatus", reason,
            event_id, event_type, project, sim_id AS "sim_id: SimId",
            subscription_id AS "subscription_id: SubscriptionId", user_id AS "user_id: UserId",
            recipient, automatic, resend_of AS "resend_of: DeliveryId", attempts,
            next_attempt_at, message_id, created_at, updated_at, delivered_at,
            kind AS "kind: DeliveryKind", reminder_of AS "reminder_of: DeliveryId", installed_at,
            iccid, phone_number, notice_of AS "notice_of: DeliveryId", locale
           FROM deliveries d
           WHERE status = $1 AND sim_id IS NOT NULL AND kind <> 'notice'
             AND CASE WHEN $6 THEN created_at ELSE updated_at END >= $2
             AND CASE WHEN $6 THEN created_at ELSE updated_at END < $3
             AND ($7::text IS NULL OR kind = $7)
             AND NOT EXISTS (SELECT 1 FROM deliveries r WHERE r.resend_of = d.id)
             -- A SIM resent within the interval would only be refused: leave its slot.
             AND NOT EXISTS (SELECT 1 FROM deliveries r
                             WHERE r.project = d.project AND r.sim_id = d.sim_id
                               AND r.resend_of IS NOT NULL
                               AND r.created_at > now() - make_interval(secs => $5))
           ORDER BY updated_at LIMIT $4"#,
        f.status as _,
        f.since,
        f.until,
        cap,
        min_interval.as_secs_f64(),
        f.by_created,
        f.kind as Option<DeliveryKind>,
    )
    .fetch_all(pool)
    .await
    .map_err(Into::into)
}

/// How many deliveries of the window a bulk retry passes over: their SIM was resent less
/// than `min_interval` ago.
pub async fn retry_passed_over(
    pool: &PgPool,
    f: &RetryFilter,
    min_interval: Duration,
) -> Result<i64> {
    let n = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM deliveries d
           WHERE status = $1 AND sim_id IS NOT NULL AND kind <> 'notice'
             AND CASE WHEN $5 THEN created_at ELSE updated_at END >= $2
             AND CASE WHEN $5 THEN created_at ELSE updated_at END < $3
             AND ($6::text IS NULL OR kind = $6)
             AND NOT EXISTS (SELECT 1 FROM deliveries r WHERE r.resend_of = d.id)
             AND EXISTS (SELECT 1 FROM deliveries r
                         WHERE r.project = d.project AND r.sim_id = d.sim_id
                           AND r.resend_of IS NOT NULL
                           AND r.created_at > now() - make_interval(secs => $4))"#,
        f.status as _,
        f.since,
        f.until,
        min_interval.as_secs_f64(),
        f.by_created,
        f.kind as Option<DeliveryKind>,
    )
    .fetch_one(pool)
    .await?;
    Ok(n)
}

/// A delivery no webhook's batch creates: a resend, a reminder, a reconciled SIM.
#[derive(Debug)]
pub struct NewDelivery<'a> {
    pub id: DeliveryId,
    pub kind: DeliveryKind,
    pub event_id: &'a str,
    pub event_type: &'a str,
    pub project: &'a str,
    pub sim: Option<&'a SimId>,
    pub subscription: Option<&'a SubscriptionId>,
    pub user: Option<&'a UserId>,
    pub recipient: Option<&'a str>,
    /// The SIM's one automatic delivery: refused if it has one already.
    pub automatic: bool,
    pub resend_of: Option<&'a DeliveryId>,
    pub reminder_of: Option<&'a DeliveryId>,
    pub first_line: &'a str,
    /// Copied from the SIM's earlier deliveries, for search.
    pub iccid: Option<&'a str>,
    pub phone_number: Option<&'a str>,
    /// For a notice: the credentials email it warns about, and the language to use.
    pub notice_of: Option<&'a DeliveryId>,
    pub locale: Option<&'a str>,
}

/// Inserts a pending delivery and announces it; `None` when a unique index refused it
/// (the SIM's automatic delivery, or this event's reminder, exists already).
pub async fn insert(conn: &mut PgConnection, d: &NewDelivery<'_>) -> Result<Option<DeliveryId>> {
    let row = sqlx::query_file!(
        "src/store/insert_delivery.sql",
        &d.id as _,
        d.kind as _,
        d.event_id,
        d.event_type,
        d.project,
        d.sim as Option<&SimId>,
        d.subscription as Option<&SubscriptionId>,
        d.user as Option<&UserId>,
        d.recipient,
        d.automatic,
        d.resend_of as Option<&DeliveryId>,
        d.reminder_of as Option<&DeliveryId>,
        d.first_line,
        NOTIFY_CHANNEL,
        d.iccid,
        d.phone_number,
        d.notice_of as Option<&DeliveryId>,
        d.locale,
    )
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|r| r.id))
}

/// `insert` on a connection of its own.
pub async fn create(pool: &PgPool, d: &NewDelivery<'_>) -> Result<Option<DeliveryId>> {
    let mut conn = pool.acquire().await?;
    insert(&mut conn, d).await
}

/// The `sim.type` (`eSIM`, `pSIM`) the event that created a delivery named, if any.
pub async fn sim_type(pool: &PgPool, event_id: &str) -> Result<Option<String>> {
    let found = sqlx::query_scalar!(
        "SELECT payload->'data'->'sim'->>'type' FROM webhook_events WHERE event_id = $1",
        event_id,
    )
    .fetch_optional(pool)
    .await?;
    Ok(found.flatten())
}

/// A resend to write, as the caller decided: its id, first history line, and the note on
/// the delivery it repeats.
#[derive(Debug)]
pub struct ResendWrite {
    pub id: DeliveryId,
    pub first_line: String,
    pub note: String,
    /// Written in the same transaction, so the resend and its audit entry stand together.
    pub audit: Option<NewAuditEntry>,
}

/// A new, non-automatic delivery for the same SIM, linked to the one it repeats; the
/// SIM's earlier install links stop working. `decide` is given the age in seconds of the
/// SIM's newest resend (read under a lock that makes resends of one SIM queue) and says
/// what to write, or `None` to write nothing.
pub async fn resend(
    pool: &PgPool,
    original: &DeliveryRow,
    decide: impl FnOnce(Option<f64>) -> Option<ResendWrite>,
) -> Result<Option<DeliveryId>> {
    let mut tx = pool.begin().await?;
    let mut last_resend_age = None;
    if let Some(sim) = &original.sim_id {
        let key = format!("resend/{}/{sim}", original.project);
        sqlx::query!("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", key)
            .execute(&mut *tx)
            .await?;
        last_resend_age = sqlx::query_scalar!(
            r#"SELECT extract(epoch FROM now() - max(created_at))::float8
               FROM deliveries WHERE project = $1 AND sim_id = $2 AND resend_of IS NOT NULL"#,
            original.project,
            sim as _,
        )
        .fetch_one(&mut *tx)
        .await?;
    }
    let Some(write) = decide(last_resend_age) else {
        return Ok(None);
    };
    let new = NewDelivery {
        id: write.id,
        kind: DeliveryKind::Resend,
        event_id: &original.event_id,
        event_type: &original.event_type,
        project: &original.project,
        sim: original.sim_id.as_ref(),
        subscription: original.subscription_id.as_ref(),
        user: original.user_id.as_ref(),
        recipient: original.recipient.as_deref(),
        automatic: false,
        resend_of: Some(&original.id),
        reminder_of: None,
        first_line: &write.first_line,
        iccid: original.iccid.as_deref(),
        phone_number: original.phone_number.as_deref(),
        notice_of: None,
        locale: None,
    };
    let id = insert(&mut tx, &new)
        .await?
        .ok_or_else(super::Error::missing_row)?;
    if let Some(sim) = &original.sim_id {
        install_links::revoke_for_sim(&mut tx, &original.project, sim).await?;
    }
    history::append(&mut tx, &original.id, &write.note).await?;
    if let Some(entry) = &write.audit {
        audit::record(&mut tx, entry).await?;
    }
    tx.commit().await?;
    Ok(Some(id))
}
