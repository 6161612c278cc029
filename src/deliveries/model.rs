//! A delivery as stored, and as the status API shows it.
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::DeliveryStatus;

/// Columns every delivery query selects, in `DeliveryRow` order.
pub const DELIVERY_COLUMNS: &str = "seq, id, status, reason, event_id, event_type, project, \
    sim_id, subscription_id, user_id, recipient, automatic, resend_of, attempts, \
    next_attempt_at, message_id, created_at, updated_at, delivered_at";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeliveryRow {
    pub seq: i64,
    pub id: String,
    pub status: String,
    pub reason: Option<String>,
    pub event_id: String,
    pub event_type: String,
    pub project: String,
    pub sim_id: Option<String>,
    pub subscription_id: Option<String>,
    pub user_id: Option<String>,
    pub recipient: Option<String>,
    pub automatic: bool,
    pub resend_of: Option<String>,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub message_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

impl DeliveryRow {
    pub fn status(&self) -> DeliveryStatus {
        // The table's CHECK constraint admits only known states.
        self.status.parse().unwrap_or(DeliveryStatus::Failed)
    }
}

/// One step of a delivery: its status then, and what happened.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct HistoryEntry {
    pub at: DateTime<Utc>,
    pub status: String,
    pub detail: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EventRef {
    pub id: String,
    #[serde(rename = "type")]
    pub event_type: String,
}

/// A delivery as the status API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryView {
    /// Always `delivery`.
    pub object: &'static str,
    pub id: String,
    pub status: DeliveryStatus,
    pub reason: Option<String>,
    pub event: EventRef,
    pub project: String,
    pub sim: Option<String>,
    pub subscription: Option<String>,
    pub user: Option<String>,
    pub recipient: Option<String>,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub message_id: Option<String>,
    pub resend_of: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// Every step, oldest first; only on `GET /deliveries/{id}` and resend answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<HistoryEntry>>,
}

/// A page of deliveries, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryList {
    /// Always `list`.
    pub object: &'static str,
    pub items: Vec<DeliveryView>,
    /// Pass as `after` for the next page; null on the last page.
    pub more_items_after: Option<String>,
}

impl DeliveryView {
    pub fn new(row: DeliveryRow, history: Option<Vec<HistoryEntry>>) -> Self {
        let status = row.status();
        let waiting = matches!(status, DeliveryStatus::Pending | DeliveryStatus::Retrying);
        Self {
            object: "delivery",
            id: row.id,
            status,
            reason: row.reason,
            event: EventRef {
                id: row.event_id,
                event_type: row.event_type,
            },
            project: row.project,
            sim: row.sim_id,
            subscription: row.subscription_id,
            user: row.user_id,
            recipient: row.recipient,
            attempts: row.attempts,
            next_attempt_at: row.next_attempt_at.filter(|_| waiting),
            message_id: row.message_id,
            resend_of: row.resend_of,
            created_at: row.created_at,
            updated_at: row.updated_at,
            delivered_at: row.delivered_at,
            history,
        }
    }
}
