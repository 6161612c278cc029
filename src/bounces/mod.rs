//! Bounce and complaint notifications from mail providers, one small file per provider,
//! turned into the same `Notice` and applied to the deliveries they are about.
mod effect;
mod postmark;
mod providers;
mod resend;
mod ses;
pub mod sns;

use sqlx::PgPool;

use effect::{Effect, effect};
pub use postmark::parse as parse_postmark;
pub use providers::{BounceError, BounceProviders, Provider};
pub use resend::parse as parse_resend;
pub use ses::parse as parse_ses;

use crate::{
    alerts::Alerts,
    domain::DeliveryId,
    store::bounces::{self, Bounced, HardBounce},
    telemetry::Metrics,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The address does not work: the delivery is `bounced`, the address suppressed.
    Hard,
    /// The recipient marked the email as spam: treated like a hard bounce.
    Complaint,
    /// Mailbox full, greylisting, …: history only.
    Soft,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hard => "hard",
            Self::Soft => "soft",
            Self::Complaint => "complaint",
        }
    }
}

/// One recipient's bounce or complaint, as a provider reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub provider: &'static str,
    pub severity: Severity,
    pub email: Option<String>,
    /// Our `Message-ID` (`<dlv_…@…>`), when the provider passes it back.
    pub message_id: Option<String>,
    /// Our delivery id, when the provider echoes metadata we sent.
    pub delivery: Option<DeliveryId>,
    /// The provider's cause, e.g. `smtp; 550 5.1.1 user unknown`.
    pub cause: String,
}

/// What applying notices did, for the answer and the metrics.
#[derive(Debug, Default, serde::Serialize, utoipa::ToSchema)]
pub struct Applied {
    pub bounced: u32,
    pub soft: u32,
    pub unmatched: u32,
}

/// Finds each notice's delivery (our delivery id, else our Message-ID, else the latest
/// delivered to the address within 7 days) and records it.
pub async fn apply(
    pool: &PgPool,
    metrics: &Metrics,
    alerts: Alerts,
    notices: Vec<Notice>,
) -> crate::store::Result<Applied> {
    let mut applied = Applied::default();
    for notice in notices {
        metrics
            .operations
            .bounce(notice.provider, notice.severity.as_str());
        let found = find(pool, &notice).await?;
        let email = notice
            .email
            .clone()
            .or_else(|| found.as_ref().and_then(|b| b.recipient.clone()));
        let (Some(email), severity) = (email, notice.severity) else {
            applied.unmatched += 1;
            continue;
        };
        let what = match severity {
            Severity::Complaint => "complaint",
            _ => "bounced",
        };
        let reason = format!("{what} ({}): {}", notice.provider, notice.cause);
        match effect(severity, found.as_ref().map(|b| b.status)) {
            Effect::Unmatched => applied.unmatched += 1,
            Effect::Note => {
                let b = found.as_ref().expect("a note needs a delivery");
                let detail = format!("soft bounce ({}): {}", notice.provider, notice.cause);
                bounces::record_soft(pool, &b.id, &detail).await?;
                applied.soft += 1;
            }
            Effect::Suppress { mark_bounced } => {
                let id = found.as_ref().map(|b| &b.id);
                let mark = id.zip(found.as_ref().map(|b| b.status));
                let alert = id.and_then(|id| alerts.bounced(id, &email, what, &notice.cause));
                let hard = HardBounce {
                    email: &email,
                    provider: notice.provider,
                    reason: &reason,
                    delivery: id,
                    mark_bounced: mark.filter(|_| mark_bounced),
                    alert: alert.as_ref(),
                };
                if bounces::record_hard(pool, &hard).await? {
                    metrics.operations.suppressed();
                }
                if found.is_some() {
                    applied.bounced += 1;
                } else {
                    applied.unmatched += 1;
                }
            }
        }
    }
    Ok(applied)
}

async fn find(pool: &PgPool, notice: &Notice) -> crate::store::Result<Option<Bounced>> {
    if let Some(id) = &notice.delivery
        && let Some(found) = bounces::by_id(pool, id).await?
    {
        return Ok(Some(found));
    }
    if let Some(message_id) = &notice.message_id
        && let Some(found) = bounces::by_message_id(pool, message_id).await?
    {
        return Ok(Some(found));
    }
    match &notice.email {
        Some(email) => bounces::by_recipient(pool, email).await,
        None => Ok(None),
    }
}
