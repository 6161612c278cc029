//! Reading deliveries for the status API, and creating the ones no event creates.
use sqlx::{PgPool, Postgres, QueryBuilder};

use super::{DeliveryRow, NOTIFY_CHANNEL, history, install_links};
use crate::domain::{DeliveryId, DeliveryStatus, SimId, SubscriptionId, UserId};

pub async fn get(pool: &PgPool, id: &DeliveryId) -> sqlx::Result<Option<DeliveryRow>> {
    sqlx::query_file_as!(DeliveryRow, "src/store/delivery_by_id.sql", id as _)
        .fetch_optional(pool)
        .await
}

pub async fn seq_of(pool: &PgPool, id: &DeliveryId) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!("SELECT seq FROM deliveries WHERE id = $1", id as _)
        .fetch_optional(pool)
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

/// Newest first; fetches `limit + 1` rows so the caller knows whether more follow.
pub async fn list(pool: &PgPool, f: &ListFilter, limit: i64) -> sqlx::Result<Vec<DeliveryRow>> {
    // Built at run time: each filter present adds a condition, so the planner can use
    // that filter's index; one static statement with `$n IS NULL OR …` could not.
    let mut q: QueryBuilder<Postgres> = QueryBuilder::new(
        "SELECT seq, id, status, reason, event_id, event_type, project, sim_id,
            subscription_id, user_id, recipient, automatic, resend_of, attempts,
            next_attempt_at, message_id, created_at, updated_at, delivered_at
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
    if let Some(seq) = f.before_seq {
        q.push(" AND seq < ").push_bind(seq);
    }
    q.push(" ORDER BY seq DESC LIMIT ").push_bind(limit + 1);
    q.build_query_as().fetch_all(pool).await
}

/// A new, non-automatic delivery for the same SIM, linked to the one it repeats; the
/// SIM's earlier install links stop working.
pub async fn resend(pool: &PgPool, original: &DeliveryRow) -> sqlx::Result<DeliveryId> {
    let mut tx = pool.begin().await?;
    let id = DeliveryId::generate();
    let first_line = format!("resend of {}", original.id);
    sqlx::query_file!(
        "src/store/insert_delivery.sql",
        &id as _,
        original.event_id,
        original.event_type,
        original.project,
        original.sim_id.as_ref() as Option<&SimId>,
        original.subscription_id.as_ref() as Option<&SubscriptionId>,
        original.user_id.as_ref() as Option<&UserId>,
        original.recipient,
        false,
        &original.id as _,
        first_line,
        NOTIFY_CHANNEL,
    )
    .fetch_one(&mut *tx)
    .await?;
    if let Some(sim) = &original.sim_id {
        install_links::revoke_for_sim(&mut tx, &original.project, sim).await?;
    }
    let note = format!("resent as {id}; earlier install links revoked");
    history::append(&mut tx, &original.id, &note).await?;
    tx.commit().await?;
    Ok(id)
}
