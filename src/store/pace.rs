//! The shared sending schedule: each message to the relay books the next free moment, one
//! `1 / SMTP_MAX_PER_SECOND` after the previous booking, whichever process books it.
use std::time::Duration;

use sqlx::PgPool;

use super::Result;

/// Books a moment to send, no further than `horizon` ahead; returns how long to wait for
/// it, or `None` when the schedule is booked further than that (ask again later).
pub async fn book(pool: &PgPool, every: Duration, horizon: Duration) -> Result<Option<Duration>> {
    // The database's clock decides, so processes with skewed clocks share one schedule.
    let wait = sqlx::query_scalar!(
        r#"INSERT INTO smtp_pace AS p (id, next_at)
           VALUES (1, clock_timestamp() + make_interval(secs => $1))
           ON CONFLICT (id) DO UPDATE
               SET next_at = greatest(p.next_at, clock_timestamp()) + make_interval(secs => $1)
               WHERE greatest(p.next_at, clock_timestamp())
                     <= clock_timestamp() + make_interval(secs => $2)
           RETURNING extract(epoch FROM next_at - make_interval(secs => $1) - clock_timestamp())::float8
               AS "wait!""#,
        every.as_secs_f64(),
        horizon.as_secs_f64(),
    )
    .fetch_optional(pool)
    .await?;
    Ok(wait.map(|w| Duration::from_secs_f64(w.max(0.0))))
}
