//! Rows as the statements return them, typed: ids and statuses never travel as text.
use chrono::{DateTime, Utc};

use crate::domain::{DeliveryId, DeliveryKind, DeliveryStatus, SimId, SubscriptionId, UserId};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeliveryRow {
    pub seq: i64,
    pub id: DeliveryId,
    pub status: DeliveryStatus,
    pub reason: Option<String>,
    pub event_id: String,
    pub event_type: String,
    pub project: String,
    pub sim_id: Option<SimId>,
    pub subscription_id: Option<SubscriptionId>,
    pub user_id: Option<UserId>,
    pub recipient: Option<String>,
    pub automatic: bool,
    pub resend_of: Option<DeliveryId>,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub message_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub kind: DeliveryKind,
    pub reminder_of: Option<DeliveryId>,
    /// When the SIM's eSIM was installed, as far as Gigs told us.
    pub installed_at: Option<DateTime<Utc>>,
    pub iccid: Option<String>,
    pub phone_number: Option<String>,
    pub notice_of: Option<DeliveryId>,
    /// The language the email was sent in.
    pub locale: Option<String>,
}

/// One step of a delivery: its status then, and what happened.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HistoryRow {
    pub at: DateTime<Utc>,
    pub status: DeliveryStatus,
    pub detail: String,
}

/// A delivery this worker holds; only the holder of `lease_token` may finish it.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: DeliveryId,
    pub lease_token: String,
    pub attempts: i32,
    pub project: String,
    pub sim_id: Option<SimId>,
    pub subscription_id: Option<SubscriptionId>,
    pub user_id: Option<UserId>,
    pub kind: DeliveryKind,
    /// Where a notice goes (a credentials email goes to the Gigs user's current address).
    pub recipient: Option<String>,
    /// A notice's language: that of the email it follows.
    pub locale: Option<String>,
    pub installed_at: Option<DateTime<Utc>>,
    /// The previous holder's lease ran out: its worker died or stalled.
    pub reclaimed: bool,
}
