//! The audit log: one row per state-changing call and console sign-in; no address in clear.
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};

use super::Result;
use crate::domain::{AuditAction, AuditId, Role, SimId};

/// An entry to write. Addresses in `target` and `detail` must be masked by the caller.
#[derive(Debug, Clone)]
pub struct NewAuditEntry {
    pub actor: Option<String>,
    pub role: Option<Role>,
    pub action: AuditAction,
    pub target: Option<String>,
    /// The SIM it was about, so the SIM's timeline shows it.
    pub sim: Option<SimId>,
    pub detail: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditEntry {
    pub seq: i64,
    pub id: AuditId,
    pub at: DateTime<Utc>,
    pub actor: Option<String>,
    pub role: Option<Role>,
    pub action: AuditAction,
    pub target: Option<String>,
    pub sim_id: Option<String>,
    pub detail: String,
}

pub async fn record(conn: &mut PgConnection, e: &NewAuditEntry) -> Result<AuditId> {
    let id = AuditId::generate();
    sqlx::query!(
        "INSERT INTO audit_log (id, actor, role, action, target, sim_id, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &id as _,
        e.actor,
        e.role as Option<Role>,
        e.action as _,
        e.target,
        e.sim.as_ref() as Option<&SimId>,
        e.detail,
    )
    .execute(conn)
    .await?;
    Ok(id)
}

/// `record` on a connection of its own.
pub async fn write(pool: &PgPool, e: &NewAuditEntry) -> Result<AuditId> {
    let mut conn = pool.acquire().await?;
    record(&mut conn, e).await
}

/// Filters of `GET /audit`, already validated.
#[derive(Debug, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<AuditAction>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Only entries older than this `seq` (the cursor's).
    pub before_seq: Option<i64>,
}

/// Newest first; `limit + 1` rows so the caller knows whether more follow.
pub async fn list(pool: &PgPool, f: &AuditFilter, limit: i64) -> Result<Vec<AuditEntry>> {
    // Built at run time, as the delivery list is: each filter present adds a condition
    // its index can serve.
    let mut q: QueryBuilder<Postgres> = QueryBuilder::new(
        "SELECT seq, id, at, actor, role, action, target, sim_id, detail FROM audit_log WHERE true",
    );
    if let Some(actor) = &f.actor {
        q.push(" AND actor = ").push_bind(actor.clone());
    }
    if let Some(action) = f.action {
        q.push(" AND action = ").push_bind(action);
    }
    if let Some(since) = f.since {
        q.push(" AND at >= ").push_bind(since);
    }
    if let Some(until) = f.until {
        q.push(" AND at < ").push_bind(until);
    }
    if let Some(seq) = f.before_seq {
        q.push(" AND seq < ").push_bind(seq);
    }
    q.push(" ORDER BY seq DESC LIMIT ").push_bind(limit + 1);
    Ok(q.build_query_as().fetch_all(pool).await?)
}

pub async fn seq_of(pool: &PgPool, id: &AuditId) -> Result<Option<i64>> {
    Ok(
        sqlx::query_scalar!("SELECT seq FROM audit_log WHERE id = $1", id as _)
            .fetch_optional(pool)
            .await?,
    )
}
