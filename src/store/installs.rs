//! When a SIM's eSIM was installed: recorded once, copied onto the SIM's deliveries.
use sqlx::PgPool;

use super::Result;
use crate::domain::SimId;

/// A first installation just recorded.
#[derive(Debug)]
pub struct Installed {
    /// Seconds from the SIM's first delivered email to now, if one was delivered.
    pub since_first_email_s: Option<f64>,
}

/// Records the installation the first time Gigs reports it (later reports change
/// nothing), sets `installed_at` on the SIM's deliveries and notes it in the history of
/// its latest one. Idempotent: safe to run again for a redelivered event.
pub async fn mark(
    pool: &PgPool,
    project: &str,
    sim: &SimId,
    event_id: &str,
    detail: &str,
) -> Result<Option<Installed>> {
    let marked = sqlx::query!(
        r#"WITH first AS (
            INSERT INTO sim_installs (project, sim_id, installed_at, event_id)
            VALUES ($1, $2, now(), $3)
            ON CONFLICT DO NOTHING
            RETURNING installed_at
        ), upd AS (
            UPDATE deliveries SET installed_at = (SELECT installed_at FROM first)
            WHERE project = $1 AND sim_id = $2 AND EXISTS (SELECT 1 FROM first)
            RETURNING id, seq, status, delivered_at
        ), hist AS (
            INSERT INTO delivery_history (delivery_id, status, detail)
            SELECT id, status, $4 FROM upd ORDER BY seq DESC LIMIT 1
        )
        SELECT EXISTS (SELECT 1 FROM first) AS "first!",
            (SELECT extract(epoch FROM now() - min(delivered_at))::float8 FROM upd) AS since"#,
        project,
        sim as _,
        event_id,
        detail,
    )
    .fetch_one(pool)
    .await?;
    Ok(marked.first.then_some(Installed {
        since_first_email_s: marked.since,
    }))
}
