//! Creating and reading deliveries and their history.
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};

use super::{
    NOTIFY_CHANNEL,
    model::{DELIVERY_COLUMNS, DeliveryRow, HistoryEntry},
};
use crate::domain::{DeliveryId, DeliveryStatus};

/// A delivery about to be recorded; `Pending` ones are announced to the workers.
#[derive(Debug)]
pub struct NewDelivery<'a> {
    pub status: DeliveryStatus,
    pub reason: Option<&'a str>,
    pub event_id: &'a str,
    pub event_type: &'a str,
    pub project: &'a str,
    pub sim: Option<&'a str>,
    pub subscription: Option<&'a str>,
    pub user: Option<&'a str>,
    pub recipient: Option<&'a str>,
    pub automatic: bool,
    pub resend_of: Option<&'a str>,
    pub history: &'a str,
}

/// Inserts the delivery and its first history line. Returns `None` when the SIM already
/// has its automatic delivery, which the unique index decides, not a prior read.
pub async fn insert(
    conn: &mut PgConnection,
    d: &NewDelivery<'_>,
) -> sqlx::Result<Option<DeliveryId>> {
    let id = DeliveryId::generate();
    let inserted: Option<String> = sqlx::query_scalar(
        "WITH ins AS (
            INSERT INTO deliveries (id, status, reason, event_id, event_type, project, sim_id,
                subscription_id, user_id, recipient, automatic, resend_of, next_attempt_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
                CASE WHEN $2 = 'pending' THEN now() END)
            ON CONFLICT (project, sim_id) WHERE automatic AND sim_id IS NOT NULL DO NOTHING
            RETURNING id, status
        ), hist AS (
            INSERT INTO delivery_history (delivery_id, status, detail)
            SELECT id, status, $13 FROM ins
        )
        SELECT id FROM ins",
    )
    .bind(id.as_str())
    .bind(d.status.as_str())
    .bind(d.reason)
    .bind(d.event_id)
    .bind(d.event_type)
    .bind(d.project)
    .bind(d.sim)
    .bind(d.subscription)
    .bind(d.user)
    .bind(d.recipient)
    .bind(d.automatic)
    .bind(d.resend_of)
    .bind(d.history)
    .fetch_optional(&mut *conn)
    .await?;
    if inserted.is_some() && d.status == DeliveryStatus::Pending {
        // Delivered to listeners when the transaction commits, never before.
        sqlx::query("SELECT pg_notify($1, '')")
            .bind(NOTIFY_CHANNEL)
            .execute(&mut *conn)
            .await?;
    }
    Ok(inserted.map(|_| id))
}

pub async fn automatic_for_sim(
    conn: &mut PgConnection,
    project: &str,
    sim: &str,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT id FROM deliveries WHERE project = $1 AND sim_id = $2 AND automatic")
        .bind(project)
        .bind(sim)
        .fetch_optional(conn)
        .await
}

pub async fn add_history(
    conn: &mut PgConnection,
    delivery: &str,
    status: DeliveryStatus,
    detail: &str,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO delivery_history (delivery_id, status, detail) VALUES ($1, $2, $3)")
        .bind(delivery)
        .bind(status.as_str())
        .bind(detail)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn get(pool: &PgPool, id: &DeliveryId) -> sqlx::Result<Option<DeliveryRow>> {
    sqlx::query_as(&format!(
        "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE id = $1"
    ))
    .bind(id.as_str())
    .fetch_optional(pool)
    .await
}

pub async fn history(pool: &PgPool, id: &DeliveryId) -> sqlx::Result<Vec<HistoryEntry>> {
    sqlx::query_as(
        "SELECT at, status, detail FROM delivery_history WHERE delivery_id = $1 ORDER BY seq",
    )
    .bind(id.as_str())
    .fetch_all(pool)
    .await
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
    /// Only deliveries older than this `seq` (the cursor's).
    pub before_seq: Option<i64>,
}

pub async fn seq_of(pool: &PgPool, id: &DeliveryId) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("SELECT seq FROM deliveries WHERE id = $1")
        .bind(id.as_str())
        .fetch_optional(pool)
        .await
}

/// Newest first; fetches `limit + 1` rows so the caller knows whether more follow.
pub async fn list(pool: &PgPool, f: &ListFilter, limit: i64) -> sqlx::Result<Vec<DeliveryRow>> {
    let mut q: QueryBuilder<Postgres> = QueryBuilder::new(format!(
        "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE true"
    ));
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
        q.push(" AND status = ").push_bind(status.as_str());
    }
    if let Some(seq) = f.before_seq {
        q.push(" AND seq < ").push_bind(seq);
    }
    q.push(" ORDER BY seq DESC LIMIT ").push_bind(limit + 1);
    q.build_query_as().fetch_all(pool).await
}

/// A new, non-automatic delivery for the same SIM, linked to the one it repeats.
pub async fn resend(pool: &PgPool, original: &DeliveryRow) -> sqlx::Result<DeliveryId> {
    let mut tx = pool.begin().await?;
    let history = format!("resend of {}", original.id);
    let new = NewDelivery {
        status: DeliveryStatus::Pending,
        reason: None,
        event_id: &original.event_id,
        event_type: &original.event_type,
        project: &original.project,
        sim: original.sim_id.as_deref(),
        subscription: original.subscription_id.as_deref(),
        user: original.user_id.as_deref(),
        recipient: original.recipient.as_deref(),
        automatic: false,
        resend_of: Some(&original.id),
        history: &history,
    };
    let id = insert(&mut tx, &new)
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    if let Some(sim) = original.sim_id.as_deref() {
        crate::install::revoke_for_sim(&mut tx, &original.project, sim).await?;
    }
    let note = format!("resent as {id}; earlier install links revoked");
    add_history(&mut tx, &original.id, original.status(), &note).await?;
    tx.commit().await?;
    Ok(id)
}
