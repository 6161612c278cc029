//! One SIM as the support desk sees it: found by any key through an indexed column, and
//! everything stored about it read for its timeline.
use chrono::{DateTime, Utc};
use sqlx::{PgPool, Postgres, QueryBuilder};

use super::{Result, audit::AuditEntry};
use crate::domain::{AuditAction, AuditId, DeliveryId, DeliveryKind, DeliveryStatus, Role, SimId};

/// Which column a search looks in, with the value already normalised.
#[derive(Debug, Clone, Copy)]
pub enum Column<'a> {
    /// Compared lower-cased.
    Recipient(&'a str),
    Iccid(&'a str),
    Phone(&'a str),
    Sim(&'a str),
    Subscription(&'a str),
    User(&'a str),
    Delivery(&'a str),
    /// The event that created a delivery, or that joined one.
    Event(&'a str),
    MessageId(&'a str),
}

/// A SIM found by a search: its latest credentials email (notices aside).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SimSummary {
    pub sim_id: String,
    pub subscription_id: Option<String>,
    pub user_id: Option<String>,
    pub recipient: Option<String>,
    pub iccid: Option<String>,
    pub latest_delivery: DeliveryId,
    pub status: DeliveryStatus,
    pub kind: DeliveryKind,
    pub installed_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// The SIMs whose deliveries match, newest first, at most `limit`.
pub async fn search(pool: &PgPool, column: Column<'_>, limit: i64) -> Result<Vec<SimSummary>> {
    let mut q: QueryBuilder<Postgres> = QueryBuilder::new(
        "WITH hits AS (
            SELECT project, sim_id, max(seq) AS last FROM deliveries
            WHERE sim_id IS NOT NULL AND ",
    );
    // One condition on one indexed column, chosen here: never a scan of payloads.
    match column {
        Column::Recipient(v) => q.push("lower(recipient) = lower(").push_bind(v).push(")"),
        Column::Iccid(v) => q.push("iccid = ").push_bind(v),
        Column::Phone(v) => q.push("phone_number = ").push_bind(v),
        Column::Sim(v) => q.push("sim_id = ").push_bind(v),
        Column::Subscription(v) => q.push("subscription_id = ").push_bind(v),
        Column::User(v) => q.push("user_id = ").push_bind(v),
        Column::Delivery(v) => q.push("id = ").push_bind(v),
        Column::Event(v) => q
            .push("(event_id = ")
            .push_bind(v)
            .push(" OR id = (SELECT delivery_id FROM webhook_events WHERE event_id = ")
            .push_bind(v)
            .push("))"),
        Column::MessageId(v) => q.push("message_id = ").push_bind(v),
    };
    q.push(" GROUP BY project, sim_id ORDER BY last DESC LIMIT ")
        .push_bind(limit)
        .push(
            ")
        SELECT h.sim_id, d.subscription_id, d.user_id, d.recipient,
            coalesce(d.iccid, (SELECT x.iccid FROM deliveries x
                WHERE x.project = h.project AND x.sim_id = h.sim_id AND x.iccid IS NOT NULL
                ORDER BY x.seq DESC LIMIT 1)) AS iccid,
            d.id AS latest_delivery, d.status, d.kind, si.installed_at, d.updated_at
        FROM hits h
        CROSS JOIN LATERAL (
            SELECT * FROM deliveries d
            WHERE d.project = h.project AND d.sim_id = h.sim_id AND d.kind <> 'notice'
            ORDER BY d.seq DESC LIMIT 1
        ) d
        LEFT JOIN sim_installs si ON si.project = h.project AND si.sim_id = h.sim_id
        ORDER BY h.last DESC",
        );
    Ok(q.build_query_as().fetch_all(pool).await?)
}

/// A delivery of the SIM, as its timeline tells it.
#[derive(Debug, Clone)]
pub struct StoryDelivery {
    pub id: DeliveryId,
    pub kind: DeliveryKind,
    pub status: DeliveryStatus,
    pub reason: Option<String>,
    pub subscription_id: Option<String>,
    pub user_id: Option<String>,
    pub recipient: Option<String>,
    pub message_id: Option<String>,
    pub event_id: String,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// A line of a delivery's history.
#[derive(Debug, Clone)]
pub struct StoryLine {
    pub delivery_id: DeliveryId,
    pub at: DateTime<Utc>,
    pub status: DeliveryStatus,
    pub detail: String,
    /// On an install link's opening: `iphone`, `android` or `desktop` (recorded since
    /// the third release; earlier openings have only their text).
    pub device: Option<String>,
}

/// A Gigs event about the SIM.
#[derive(Debug, Clone)]
pub struct StoryEvent {
    pub event_id: String,
    pub event_type: String,
    pub received_at: DateTime<Utc>,
    pub delivery_id: Option<DeliveryId>,
}

/// Everything stored about one SIM.
#[derive(Debug, Clone, Default)]
pub struct SimStory {
    /// Oldest first.
    pub deliveries: Vec<StoryDelivery>,
    /// Oldest first, across the deliveries.
    pub lines: Vec<StoryLine>,
    pub events: Vec<StoryEvent>,
    pub installed_at: Option<DateTime<Utc>>,
    pub audit: Vec<AuditEntry>,
}

/// Deliveries read per SIM at most: a timeline is for reading, and a SIM with more has a
/// problem the first ones already show.
const STORY_DELIVERIES: i64 = 200;

/// `None` when no delivery names the SIM.
pub async fn story(pool: &PgPool, sim: &SimId) -> Result<Option<SimStory>> {
    // One snapshot: the deliveries, their lines and events agree with each other.
    let mut tx = pool.begin().await?;
    sqlx::query!("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .execute(&mut *tx)
        .await?;
    let deliveries = sqlx::query_as!(
        StoryDelivery,
        r#"SELECT id AS "id: DeliveryId", kind AS "kind: DeliveryKind",
                status AS "status: DeliveryStatus", reason, subscription_id, user_id, recipient,
                message_id, event_id, attempts, created_at, delivered_at, next_attempt_at
           FROM deliveries WHERE sim_id = $1 ORDER BY seq LIMIT $2"#,
        sim as _,
        STORY_DELIVERIES,
    )
    .fetch_all(&mut *tx)
    .await?;
    if deliveries.is_empty() {
        return Ok(None);
    }
    let ids: Vec<String> = deliveries.iter().map(|d| d.id.to_string()).collect();
    let lines = sqlx::query_as!(
        StoryLine,
        r#"SELECT delivery_id AS "delivery_id: DeliveryId", at,
                status AS "status: DeliveryStatus", detail, device
           FROM delivery_history WHERE delivery_id = ANY($1) ORDER BY at, seq"#,
        &ids,
    )
    .fetch_all(&mut *tx)
    .await?;
    let installed = sqlx::query!(
        "SELECT installed_at, event_id FROM sim_installs WHERE sim_id = $1 LIMIT 1",
        sim as _,
    )
    .fetch_optional(&mut *tx)
    .await?;
    let mut event_ids: Vec<String> = deliveries.iter().map(|d| d.event_id.clone()).collect();
    event_ids.extend(installed.as_ref().map(|i| i.event_id.clone()));
    let events = events(&mut tx, &ids, &event_ids).await?;
    let audit = sqlx::query_as!(
        AuditEntry,
        r#"SELECT seq, id AS "id: AuditId", at, actor, role AS "role: Role",
                action AS "action: AuditAction", target, sim_id, detail
           FROM audit_log WHERE sim_id = $1 ORDER BY seq LIMIT 500"#,
        sim as _,
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Some(SimStory {
        deliveries,
        lines,
        events,
        installed_at: installed.map(|i| i.installed_at),
        audit,
    }))
}

/// The events that created or joined these deliveries, and those named.
async fn events(
    conn: &mut sqlx::PgConnection,
    deliveries: &[String],
    event_ids: &[String],
) -> Result<Vec<StoryEvent>> {
    Ok(sqlx::query_as!(
        StoryEvent,
        r#"SELECT event_id, event_type, received_at, delivery_id AS "delivery_id: DeliveryId"
           FROM webhook_events WHERE delivery_id = ANY($1) OR event_id = ANY($2)
           ORDER BY seq"#,
        deliveries,
        event_ids,
    )
    .fetch_all(conn)
    .await?)
}

/// The subscriber's name as the SIM's newest event with one gave it (payload text: shown
/// as text, never as markup).
pub async fn subscriber_name(pool: &PgPool, sim: &SimId) -> Result<Option<String>> {
    let name = sqlx::query_scalar!(
        r#"SELECT e.payload->'data'->'user'->>'fullName' AS name
           FROM webhook_events e
           WHERE e.delivery_id IN (SELECT id FROM deliveries WHERE sim_id = $1)
             AND e.payload->'data'->'user'->>'fullName' IS NOT NULL
           ORDER BY e.seq DESC LIMIT 1"#,
        sim as _,
    )
    .fetch_optional(pool)
    .await?;
    Ok(name.flatten())
}
