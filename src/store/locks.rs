//! Named locks across every process on the database, for jobs one replica runs at a time.
use sqlx::{Connection, PgConnection, PgPool};

use super::Result;

/// Held while alive: a session advisory lock on a connection of its own, so a process
/// that dies releases it with its connection.
pub struct JobLock {
    conn: PgConnection,
    key: String,
}

/// `None` when another process holds the lock now.
pub async fn try_lock(pool: &PgPool, name: &str) -> Result<Option<JobLock>> {
    let mut conn = PgConnection::connect_with(&pool.connect_options()).await?;
    let key = format!("esim-courier/{name}");
    let locked = sqlx::query_scalar!(
        r#"SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS "locked!""#,
        key
    )
    .fetch_one(&mut conn)
    .await?;
    if !locked {
        conn.close().await?;
        return Ok(None);
    }
    Ok(Some(JobLock { conn, key }))
}

impl JobLock {
    pub async fn release(mut self) -> Result<()> {
        sqlx::query_scalar!(
            "SELECT pg_advisory_unlock(hashtextextended($1, 0))",
            self.key
        )
        .fetch_one(&mut self.conn)
        .await?;
        self.conn.close().await.map_err(Into::into)
    }
}
