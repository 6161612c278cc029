//! Issuing, finding and revoking install-link tokens; only their hashes are stored.
use std::time::Duration;

use sha2::{Digest, Sha256};
use sqlx::PgPool;
use url::Url;

use crate::domain::random_base62;

/// Issues tokens for emails when `PUBLIC_BASE_URL` is set.
#[derive(Clone)]
pub struct InstallLinks {
    pool: PgPool,
    base: Url,
    ttl: Duration,
}

pub fn hash_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

impl InstallLinks {
    pub fn new(pool: PgPool, base: Url, ttl: Duration) -> Self {
        Self { pool, base, ttl }
    }

    /// A fresh link for this attempt's email. Links of earlier attempts stay valid: an
    /// attempt recorded as failed may still have reached the user. 32 base62 characters
    /// carry about 190 bits.
    pub async fn issue(&self, delivery: &str, project: &str, sim: &str) -> sqlx::Result<String> {
        let token = random_base62(32);
        sqlx::query(
            "INSERT INTO install_links (token_hash, delivery_id, project, sim_id, expires_at)
             VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))",
        )
        .bind(hash_token(&token))
        .bind(delivery)
        .bind(project)
        .bind(sim)
        .bind(self.ttl.as_secs_f64())
        .execute(&self.pool)
        .await?;
        let base = self.base.as_str().trim_end_matches('/');
        Ok(format!("{base}/install/{token}"))
    }
}

/// A link that still works: not expired, not revoked.
#[derive(Debug, sqlx::FromRow)]
pub struct LiveLink {
    pub delivery_id: String,
    pub project: String,
    pub sim_id: String,
}

pub async fn find_live(pool: &PgPool, token: &str) -> sqlx::Result<Option<LiveLink>> {
    sqlx::query_as(
        "SELECT delivery_id, project, sim_id FROM install_links
         WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > now()",
    )
    .bind(hash_token(token))
    .fetch_optional(pool)
    .await
}

/// Counts a click and notes it in the delivery's history.
pub async fn record_click(pool: &PgPool, token: &str, detail: &str) -> sqlx::Result<()> {
    sqlx::query(
        "WITH click AS (
            UPDATE install_links SET clicks = clicks + 1, last_click_at = now()
            WHERE token_hash = $1 RETURNING delivery_id
        )
        INSERT INTO delivery_history (delivery_id, status, detail)
        SELECT c.delivery_id, d.status, $2 FROM click c JOIN deliveries d ON d.id = c.delivery_id",
    )
    .bind(hash_token(token))
    .bind(detail)
    .execute(pool)
    .await?;
    Ok(())
}

/// A resend supersedes every earlier link for the SIM.
pub async fn revoke_for_sim(
    conn: &mut sqlx::PgConnection,
    project: &str,
    sim: &str,
) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "UPDATE install_links SET revoked_at = now()
         WHERE project = $1 AND sim_id = $2 AND revoked_at IS NULL",
    )
    .bind(project)
    .bind(sim)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}
