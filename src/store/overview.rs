//! The console overview's figures: computed by a job from the indexes, kept as one row,
//! so a page view reads one row and never scans the deliveries.
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};

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
    // One snapshot for every figure. Each query reads the window's rows once; JIT would
    // spend longer compiling than these plans run, and the aggregates fit in memory. One
    // core only: parallel workers would take every core of a small machine for seconds a
    // minute, and the requests served meanwhile would wait for them.
    let mut tx = pool.begin().await?;
    sqlx::query!("SET LOCAL jit = off")
        .execute(&mut *tx)
        .await?;
    sqlx::query!("SET LOCAL max_parallel_workers_per_gather = 0")
        .execute(&mut *tx)
        .await?;
    sqlx::query!("SET LOCAL work_mem = '64MB'")
        .execute(&mut *tx)
        .await?;
    let figures = Figures {
        days: days(&mut tx).await?,
        funnel: funnel(&mut tx).await?,
        median_install_s: median_install(&mut tx).await?,
        failed_24h: last_day(&mut tx, "failed").await?,
        bounced_24h: last_day(&mut tx, "bounced").await?,
    };
    let json = serde_json::to_value(&figures).expect("figures serialize");
    sqlx::query!(
        "INSERT INTO console_stats (id, computed_at, figures) VALUES (1, now(), $1)
         ON CONFLICT (id) DO UPDATE SET computed_at = now(), figures = $1",
        json,
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
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

/// One pass over the window's deliveries, counted per day (in the session's zone, as the
/// day boundaries), then laid on the 30 days so that empty days show as zeros.
async fn days(conn: &mut PgConnection) -> Result<Vec<Day>> {
    Ok(sqlx::query_as!(
        Day,
        r#"SELECT d::date AS "day!",
            coalesce(c.delivered, 0) AS "delivered!",
            coalesce(c.in_progress, 0) AS "in_progress!",
            coalesce(c.failed, 0) AS "failed!",
            coalesce(c.bounced, 0) AS "bounced!",
            coalesce(c.skipped, 0) AS "skipped!"
           FROM generate_series(current_date - ($1::int - 1), current_date, interval '1 day') d
           LEFT JOIN (
               SELECT created_at::date AS day,
                   count(*) FILTER (WHERE status = 'delivered') AS delivered,
                   count(*) FILTER (WHERE status IN ('pending', 'processing', 'retrying'))
                       AS in_progress,
                   count(*) FILTER (WHERE status = 'failed') AS failed,
                   count(*) FILTER (WHERE status = 'bounced') AS bounced,
                   count(*) FILTER (WHERE status = 'skipped') AS skipped
               FROM deliveries
               WHERE created_at >= (current_date - ($1::int - 1))::timestamp
                 AND created_at < (current_date + 1)::timestamp
               GROUP BY 1
           ) c ON c.day = d::date
           ORDER BY d"#,
        DAYS,
    )
    .fetch_all(conn)
    .await?)
}

/// The window's SIMs, each with what its deliveries reached, from one pass; openings
/// and installs are matched to them by hash, not looked up one SIM at a time.
async fn funnel(conn: &mut PgConnection) -> Result<Funnel> {
    let f = sqlx::query!(
        r#"WITH sims AS MATERIALIZED (
            SELECT project, sim_id,
                bool_or(kind <> 'notice' AND status <> 'skipped') AS emailed,
                bool_or(kind <> 'notice' AND status = 'delivered') AS delivered
            FROM deliveries
            WHERE created_at >= current_date - ($1::int - 1) AND sim_id IS NOT NULL
            GROUP BY project, sim_id
        ), opened AS (
            SELECT DISTINCT d.project, d.sim_id FROM delivery_history h
            JOIN deliveries d ON d.id = h.delivery_id
            WHERE h.device IS NOT NULL AND h.at >= current_date - ($1::int - 1)
        )
        SELECT count(*) AS "with_event!",
            count(*) FILTER (WHERE emailed) AS "emailed!",
            count(*) FILTER (WHERE delivered) AS "delivered!",
            (SELECT count(*) FROM opened o JOIN sims s USING (project, sim_id)) AS "opened!",
            (SELECT count(*) FROM sim_installs si JOIN sims s USING (project, sim_id))
                AS "installed!"
        FROM sims"#,
        DAYS,
    )
    .fetch_one(conn)
    .await?;
    Ok(Funnel {
        with_event: f.with_event,
        emailed: f.emailed,
        delivered: f.delivered,
        opened: f.opened,
        installed: f.installed,
    })
}

async fn median_install(conn: &mut PgConnection) -> Result<Option<f64>> {
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
    .fetch_one(conn)
    .await?)
}

/// Deliveries that reached `status` (failed, bounced) in the last 24 hours.
async fn last_day(conn: &mut PgConnection, status: &str) -> Result<i64> {
    Ok(sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM deliveries
           WHERE status = $1 AND updated_at > now() - interval '24 hours'"#,
        status,
    )
    .fetch_one(conn)
    .await?)
}
