//! The delivery history: the one place a note is appended outside a state change.
//!
//! Statements that change a delivery's state (record, claim, finish, release) write
//! their history line in the same statement, so a state never exists without its line.
use sqlx::{PgConnection, PgPool};

use super::{HistoryRow, Result};
use crate::domain::{DeliveryId, DeliveryStatus};

/// Adds a note to a delivery's history, under the status it has now.
pub async fn append(conn: &mut PgConnection, id: &DeliveryId, detail: &str) -> Result<()> {
    sqlx::query!(
        "INSERT INTO delivery_history (delivery_id, status, detail)
         SELECT id, status, $2 FROM deliveries WHERE id = $1",
        id as _,
        detail,
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn of(pool: &PgPool, id: &DeliveryId) -> Result<Vec<HistoryRow>> {
    let mut conn = pool.acquire().await?;
    lines(&mut conn, id).await
}

pub async fn lines(conn: &mut PgConnection, id: &DeliveryId) -> Result<Vec<HistoryRow>> {
    sqlx::query_as!(
        HistoryRow,
        r#"SELECT at, status AS "status: DeliveryStatus", detail
           FROM delivery_history WHERE delivery_id = $1 ORDER BY seq"#,
        id as _,
    )
    .fetch_all(conn)
    .await
    .map_err(Into::into)
}
