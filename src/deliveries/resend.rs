//! An operator's resend: the policy decides whether the SIM may be resent now, the store
//! writes the new delivery and revokes the SIM's earlier install links.
use std::time::Duration;

use sqlx::PgPool;

use super::policy;
use crate::{
    domain::{AuditAction, DeliveryId, Role},
    store::{
        self, DeliveryRow,
        audit::NewAuditEntry,
        deliveries::{self, ResendWrite},
    },
};

#[derive(Debug, PartialEq, Eq)]
pub enum Resend {
    Created(DeliveryId),
    /// The SIM had a resend less than the minimum interval ago.
    TooSoon {
        retry_after_secs: u64,
    },
}

/// Who asked: how history names them ("support-desk", "an operator (bulk retry)"), and
/// the audit entry's actor and role when the resend is audited on its own (a bulk retry
/// is audited once, as a whole).
#[derive(Debug, Clone)]
pub struct ResendBy<'a> {
    pub label: &'a str,
    pub audited_as: Option<(Option<&'a str>, Role)>,
}

/// Queues a resend of `original`, at most one per SIM per `min_interval`.
pub async fn resend(
    pool: &PgPool,
    original: &DeliveryRow,
    min_interval: Duration,
    by: &ResendBy<'_>,
) -> store::Result<Resend> {
    let mut wait = None;
    let created = deliveries::resend(pool, original, |since_last| {
        wait = policy::resend_wait(since_last, min_interval);
        if wait.is_some() {
            return None;
        }
        let id = DeliveryId::generate();
        let label = by.label;
        let audit = by.audited_as.map(|(actor, role)| NewAuditEntry {
            actor: actor.map(str::to_owned),
            role: Some(role),
            action: AuditAction::Resend,
            target: Some(original.id.to_string()),
            sim: original.sim_id.clone(),
            detail: format!("resent as {id}"),
        });
        Some(ResendWrite {
            first_line: format!("resend of {} by {label}", original.id),
            note: format!("resent as {id} by {label}; earlier install links revoked"),
            id,
            audit,
        })
    })
    .await?;
    Ok(match (created, wait) {
        (Some(id), _) => Resend::Created(id),
        (None, Some(retry_after_secs)) => Resend::TooSoon { retry_after_secs },
        (None, None) => unreachable!("a resend is refused only for its interval"),
    })
}
