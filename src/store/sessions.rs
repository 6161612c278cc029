//! Console sessions: stored by the SHA-256 of their cookie, ended at sign-out or expiry.
use std::time::Duration;

use sqlx::PgPool;

use super::Result;

/// A live session: which token signed in (its MAC) and the session's CSRF token.
#[derive(Debug, Clone)]
pub struct Session {
    pub token_mac: Vec<u8>,
    pub csrf: String,
}

pub async fn create(
    pool: &PgPool,
    id_hash: &[u8],
    token_mac: &[u8],
    csrf: &str,
    lasts: Duration,
) -> Result<()> {
    sqlx::query!(
        "INSERT INTO console_sessions (id_hash, token_mac, csrf, expires_at)
         VALUES ($1, $2, $3, now() + make_interval(secs => $4))",
        id_hash,
        token_mac,
        csrf,
        lasts.as_secs_f64(),
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// The session, unless it ended or expired.
pub async fn live(pool: &PgPool, id_hash: &[u8]) -> Result<Option<Session>> {
    Ok(sqlx::query_as!(
        Session,
        "SELECT token_mac, csrf FROM console_sessions
         WHERE id_hash = $1 AND ended_at IS NULL AND expires_at > now()",
        id_hash,
    )
    .fetch_optional(pool)
    .await?)
}

/// Sign-out: the session stops working everywhere at once.
pub async fn end(pool: &PgPool, id_hash: &[u8]) -> Result<bool> {
    let done = sqlx::query!(
        "UPDATE console_sessions SET ended_at = now() WHERE id_hash = $1 AND ended_at IS NULL",
        id_hash,
    )
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Forgets sessions that ended or expired a day ago.
pub async fn purge(pool: &PgPool) -> Result<u64> {
    let done = sqlx::query!(
        "DELETE FROM console_sessions
         WHERE expires_at < now() - interval '1 day' OR ended_at < now() - interval '1 day'"
    )
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}
