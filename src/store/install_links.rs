//! Install-link rows: only a SHA-256 of each token is stored, never the token.
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use super::Result;
use crate::domain::{DeliveryId, SimId};

/// A link that still works: not expired, not revoked.
#[derive(Debug)]
pub struct LiveLink {
    /// The stored hash that matched: a click is counted by it.
    pub token_hash: Vec<u8>,
    pub delivery_id: DeliveryId,
    pub project: String,
    pub sim_id: SimId,
    /// The language of the email that carried the link.
    pub locale: Option<String>,
    /// When the SIM's eSIM was installed, as Gigs told us: the link then installs nothing.
    pub installed_at: Option<DateTime<Utc>>,
}

/// Records a delivery's link once; a retry of the delivery finds it there (still revoked
/// if a resend revoked it).
pub async fn insert(
    pool: &PgPool,
    token_hash: &[u8],
    delivery: &DeliveryId,
    project: &str,
    sim: &SimId,
    ttl: Duration,
) -> Result<()> {
    sqlx::query!(
        "INSERT INTO install_links (token_hash, delivery_id, project, sim_id, expires_at, keyed)
         VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5), true)
         ON CONFLICT (token_hash) DO NOTHING",
        token_hash,
        delivery as _,
        project,
        sim as _,
        ttl.as_secs_f64(),
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// By the token's keyed hash, or, for a link issued before links were keyed, its plain
/// SHA-256 (`legacy_hash`).
pub async fn find_live(
    pool: &PgPool,
    token_hash: &[u8],
    legacy_hash: &[u8],
) -> Result<Option<LiveLink>> {
    sqlx::query_as!(
        LiveLink,
        r#"SELECT l.token_hash, l.delivery_id AS "delivery_id: DeliveryId", l.project,
                l.sim_id AS "sim_id: SimId", d.locale, i.installed_at AS "installed_at?"
           FROM install_links l JOIN deliveries d ON d.id = l.delivery_id
           LEFT JOIN sim_installs i ON i.project = l.project AND i.sim_id = l.sim_id
           WHERE ((l.token_hash = $1 AND l.keyed) OR (l.token_hash = $2 AND NOT l.keyed))
             AND l.revoked_at IS NULL AND l.expires_at > now()"#,
        token_hash,
        legacy_hash,
    )
    .fetch_optional(pool)
    .await
    .map_err(Into::into)
}

/// Counts a click and notes it in the delivery's history, with the class of device that
/// opened it (`iphone`, `android`, `desktop`) in its own column for the timeline.
pub async fn record_click(
    pool: &PgPool,
    token_hash: &[u8],
    device: &str,
    detail: &str,
) -> Result<()> {
    sqlx::query!(
        "WITH click AS (
            UPDATE install_links SET clicks = clicks + 1, last_click_at = now()
            WHERE token_hash = $1 RETURNING delivery_id
        )
        INSERT INTO delivery_history (delivery_id, status, detail, device)
        SELECT c.delivery_id, d.status, $3, $2
        FROM click c JOIN deliveries d ON d.id = c.delivery_id",
        token_hash,
        device,
        detail,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// A resend supersedes every earlier link for the SIM.
pub async fn revoke_for_sim(conn: &mut PgConnection, project: &str, sim: &SimId) -> Result<u64> {
    let done = sqlx::query!(
        "UPDATE install_links SET revoked_at = now()
         WHERE project = $1 AND sim_id = $2 AND revoked_at IS NULL",
        project,
        sim as _,
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}
