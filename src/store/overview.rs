//! The console overview's figures: computed by a job from the indexes, kept as one row,
//! so a page view reads one row and never scans the deliveries.
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use super::Result;

/// Deliveries created on one UTC day, by the status they have now.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Day {
    pub day: NaiveDate,
    pub delivered: i64,
    pub in_progress: i64,
    pub failed: i64,
    pub bounced: i64,
    pub skipped: i64,
}

/// SIMs at each step, among those with a delivery created in the window.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Funnel {
    pub with_event: i64,
    pub emailed: i64,
    pub delivered: i64,
    pub opened: i64,
    pub installed: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// The last 30 UTC days, oldest first (days with no delivery included, as zeros).
    pub days: Vec<Day>,
    pub funnel: Funnel,
    /// Median seconds from a SIM's first delivered email to its installation.
    pub median_install_s: Option<f64>,
    pub failed_24h: i64,
    pub bounced_24h: i64,
}

/// The window the overview covers.
pub const DAYS: i32 = 30;

/// Computes the figures now (a job does it, every minute at most) and keeps them.
pub async fn refresh(pool: &PgPool) -> Result<Figures> {
    let figures = Figures {
        days: days(pool).await?,
        funnel: funnel(pool).await?,
        median_install_s: median_install(pool).await?,
        failed_24h: last_day(pool, "failed").await?,
        bounced_24h: last_day(pool, "bounced").await?,
    };
    let json = serde_json::to_value(&figures).expect("figures serialize");
    sqlx::query!(
        "INSERT INTO console_stats (id, computed_at, figures) VALUES (1, now(), $1)
         ON CONFLICT (id) DO UPDATE SET computed_at = now(), figures = $1",
        json,
    )
    .execute(pool)
    .await?;
    Ok(figures)
}

/// The figures as last computed, and when.
pub async fn latest(pool: &PgPool) -> Result<Option<(DateTime<Utc>, Figures)>> {
    let row = sqlx::query!("SELECT computed_at, figures FROM console_stats WHERE id = 1")
        .fetch_optional(pool)
        .await?;
    Ok(row.and_then(|r| {
        serde_json::from_value(r.figures)
            .ok()
            .map(|f| (r.computed_at, f))
    }))
}

async fn days(pool: &PgPool) -> Result<Vec<Day>> {
    Ok(sqlx::query_as!(
        Day,
        r#"SELECT d::date AS "day!",
            count(*) FILTER (WHERE x.status = 'delivered') AS "delivered!",
            count(*) FILTER (WHERE x.status IN ('pending', 'processing', 'retrying'))
                AS "in_progress!",
            count(*) FILTER (WHERE x.status = 'failed') AS "failed!",
            count(*) FILTER (WHERE x.status = 'bounced') AS "bounced!",
            count(*) FILTER (WHERE x.status = 'skipped') AS "skipped!"
           FROM generate_series(current_date - ($1::int - 1), current_date, interval '1 day') d
           LEFT JOIN deliveries x
             ON x.created_at >= d AND x.created_at < d + interval '1 day'
           GROUP BY d ORDER BY d"#,
        DAYS,
    )
    .fetch_all(pool)
    .await?)
}

async fn funnel(pool: &PgPool) -> Result<Funnel> {
    let f = sqlx::query!(
        r#"WITH recent AS (
            SELECT project, sim_id, kind, status, id FROM deliveries
            WHERE created_at >= current_date - ($1::int - 1) AND sim_id IS NOT NULL
        ), opened AS (
            SELECT DISTINCT d.project, d.sim_id FROM delivery_history h
            JOIN deliveries d ON d.id = h.delivery_id
            WHERE h.device IS NOT NULL AND h.at >= current_date - ($1::int - 1)
        )
        SELECT
            (SELECT count(DISTINCT (project, sim_id)) FROM recent) AS "with_event!",
            (SELECT count(DISTINCT (project, sim_id)) FROM recent
             WHERE kind <> 'notice' AND status <> 'skipped') AS "emailed!",
            (SELECT count(DISTINCT (project, sim_id)) FROM recent
             WHERE kind <> 'notice' AND status = 'delivered') AS "delivered!",
            (SELECT count(*) FROM opened o
             WHERE EXISTS (SELECT 1 FROM recent r
                           WHERE r.project = o.project AND r.sim_id = o.sim_id)) AS "opened!",
            (SELECT count(*) FROM sim_installs si
             WHERE EXISTS (SELECT 1 FROM recent r
                           WHERE r.project = si.project AND r.sim_id = si.sim_id)) AS "installed!""#,
        DAYS,
    )
    .fetch_one(pool)
    .await?;
    Ok(Funnel {
        with_event: f.with_event,
        emailed: f.emailed,
        delivered: f.delivered,
        opened: f.opened,
        installed: f.installed,
    })
}

async fn median_install(pool: &PgPool) -> Result<Option<f64>> {
    Ok(sqlx::query_scalar!(
        r#"SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY secs) FROM (
            SELECT extract(epoch FROM si.installed_at - min(d.delivered_at))::float8 AS secs
            FROM sim_installs si
            JOIN deliveries d ON d.project = si.project AND d.sim_id = si.sim_id
            WHERE si.installed_at >= current_date - ($1::int - 1) AND d.delivered_at IS NOT NULL
            GROUP BY si.project, si.sim_id, si.installed_at
        ) t WHERE secs >= 0"#,
        DAYS,
    )
    .fetch_one(pool)
    .await?)
}

/// Deliveries that reached `status` (failed, bounced) in the last 24 hours.
async fn last_day(pool: &PgPool, status: &str) -> Result<i64> {
    Ok(sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM deliveries
           WHERE status = $1 AND updated_at > now() - interval '24 hours'"#,
        status,
    )
    .fetch_one(pool)
    .await?)
}
