//! The JSON the status API answers with: a delivery, its history, a page of them.
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::StatusAuth;
use crate::{
    domain::{DeliveryId, DeliveryKind, DeliveryStatus, SimId, SubscriptionId, UserId},
    store::{DeliveryRow, HistoryRow},
};

/// One step of a delivery: its status then, and what happened.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HistoryEntry {
    pub at: DateTime<Utc>,
    pub status: DeliveryStatus,
    pub detail: String,
}

impl From<HistoryRow> for HistoryEntry {
    fn from(row: HistoryRow) -> Self {
        Self {
            at: row.at,
            status: row.status,
            detail: row.detail,
        }
    }
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
    #[schema(value_type = String)]
    pub id: DeliveryId,
    pub status: DeliveryStatus,
    pub reason: Option<String>,
    pub event: EventRef,
    pub project: String,
    #[schema(value_type = Option<String>)]
    pub sim: Option<SimId>,
    #[schema(value_type = Option<String>)]
    pub subscription: Option<SubscriptionId>,
    #[schema(value_type = Option<String>)]
    pub user: Option<UserId>,
    pub recipient: Option<String>,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub message_id: Option<String>,
    #[schema(value_type = Option<String>)]
    pub resend_of: Option<DeliveryId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// `activation` (the automatic first email), `resend` or `reminder`.
    pub kind: DeliveryKind,
    /// The delivery a reminder follows up.
    #[schema(value_type = Option<String>)]
    pub reminder_of: Option<DeliveryId>,
    /// When the SIM's eSIM was installed, as Gigs reported it; null until then.
    pub installed_at: Option<DateTime<Utc>>,
    /// For a notice to a SIM's previous address: the credentials email it tells about.
    #[schema(value_type = Option<String>)]
    pub notice_of: Option<DeliveryId>,
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
    #[schema(value_type = Option<String>)]
    pub more_items_after: Option<DeliveryId>,
}

impl DeliveryView {
    /// As this caller may see it: a viewer gets every address masked.
    pub fn for_caller(mut self, auth: &StatusAuth) -> Self {
        if auth.sees_addresses() {
            return self;
        }
        self.recipient = self.recipient.map(|r| auth.show(&r));
        self.reason = self.reason.map(|r| auth.show_text(&r));
        if let Some(history) = &mut self.history {
            for h in history {
                h.detail = auth.show_text(&h.detail);
            }
        }
        self
    }

    pub fn new(row: DeliveryRow, history: Option<Vec<HistoryRow>>) -> Self {
        let status = row.status;
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
            kind: row.kind,
            reminder_of: row.reminder_of,
            installed_at: row.installed_at,
            notice_of: row.notice_of,
            history: history.map(|h| h.into_iter().map(HistoryEntry::from).collect()),
        }
    }
}
