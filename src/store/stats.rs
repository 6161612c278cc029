//! The queue figures `/metrics` shows, read from the partial indexes (cheap).
use sqlx::PgPool;

use super::Result;
use crate::domain::DeliveryStatus;

#[derive(Debug, Default)]
pub struct QueueStats {
    /// Deliveries due now.
    pub due: i64,
    /// How long the oldest due delivery has waited, in seconds.
    pub oldest_due_age_s: f64,
    /// Unfinished deliveries by state.
    pub open: Vec<(DeliveryStatus, i64)>,
    /// Seconds since the newest verified webhook, if any arrived.
    pub last_webhook_age_s: Option<f64>,
}

pub async fn queue(pool: &PgPool) -> Result<QueueStats> {
    let due = sqlx::query!(
        r#"SELECT count(*) AS "due!", extract(epoch FROM now() - min(next_attempt_at))::float8 AS age
           FROM deliveries
           WHERE status IN ('pending', 'retrying') AND next_attempt_at <= now()"#
    )
    .fetch_one(pool)
    .await?;
    let open = sqlx::query!(
        r#"SELECT status AS "status: DeliveryStatus", count(*) AS "n!" FROM deliveries
           WHERE status IN ('pending', 'processing', 'retrying') GROUP BY status"#
    )
    .fetch_all(pool)
    .await?;
    let last_webhook_age_s = sqlx::query_scalar!(
        // The newest row by primary key: no index on the time is needed for this.
        "SELECT extract(epoch FROM now() - (SELECT received_at FROM webhook_events
                                            ORDER BY seq DESC LIMIT 1))::float8"
    )
    .fetch_one(pool)
    .await?;
    Ok(QueueStats {
        last_webhook_age_s,
        due: due.due,
        oldest_due_age_s: due.age.unwrap_or(0.0).max(0.0),
        open: open.into_iter().map(|r| (r.status, r.n)).collect(),
    })
}

/// Seconds since the newest verified webhook, if any arrived.
pub async fn last_webhook_age(pool: &PgPool) -> Result<Option<f64>> {
    Ok(sqlx::query_scalar!(
        "SELECT extract(epoch FROM now() - (SELECT received_at FROM webhook_events
                                            ORDER BY seq DESC LIMIT 1))::float8"
    )
    .fetch_one(pool)
    .await?)
}
