//! An operator's resend: the policy decides whether the SIM may be resent now, the store
//! writes the new delivery and revokes the SIM's earlier install links.
use std::time::Duration;

use sqlx::PgPool;

use super::policy;
use crate::{
    domain::DeliveryId,
    store::{
        self, DeliveryRow,
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

/// Queues a resend of `original` by `by` (a token's name, or "an operator"), at most one
/// per SIM per `min_interval`.
pub async fn resend(
    pool: &PgPool,
    original: &DeliveryRow,
    min_interval: Duration,
    by: &str,
) -> store::Result<Resend> {
    let mut wait = None;
    let created = deliveries::resend(pool, original, |since_last| {
        wait = policy::resend_wait(since_last, min_interval);
        if wait.is_some() {
            return None;
        }
        let id = DeliveryId::generate();
        Some(ResendWrite {
            first_line: format!("resend of {} by {by}", original.id),
            note: format!("resent as {id} by {by}; earlier install links revoked"),
            id,
        })
    })
    .await?;
    Ok(match (created, wait) {
        (Some(id), _) => Resend::Created(id),
        (None, Some(retry_after_secs)) => Resend::TooSoon { retry_after_secs },
        (None, None) => unreachable!("a resend is refused only for its interval"),
    })
}
