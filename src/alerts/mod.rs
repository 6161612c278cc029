//! Alerts to `ALERT_WEBHOOK_URL`: the one switch that turns them on, the text of each kind
//! and of a burst's summary (written here and nowhere else), and the sender that posts the
//! outbox.
mod burst;
mod sender;

use std::time::Duration;

use chrono::{DateTime, Utc};

pub use sender::{AlertSender, Round};

use crate::{
    domain::{AlertKind, DeliveryId},
    store::alerts::NewAlert,
    telemetry::mask_email,
};

/// Whether alerts are sent at all (`ALERT_WEBHOOK_URL` set): built once from the settings
/// and handed to whatever may raise one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Alerts {
    enabled: bool,
}

impl Alerts {
    pub fn new(enabled: bool) -> Self {
        Self { enabled }
    }

    pub fn off() -> Self {
        Self::new(false)
    }

    pub fn enabled(self) -> bool {
        self.enabled
    }

    /// A delivery ended `failed`.
    pub fn failed(self, delivery: &DeliveryId, reason: &str) -> Option<NewAlert> {
        self.enabled.then(|| NewAlert {
            kind: AlertKind::Failed,
            delivery: Some(delivery.clone()),
            text: format!("eSIM email {delivery} failed: {reason}"),
            dedupe_key: format!("failed:{delivery}"),
        })
    }

    /// A delivered email bounced for good, or its recipient complained (`what`).
    pub fn bounced(
        self,
        delivery: &DeliveryId,
        email: &str,
        what: &str,
        cause: &str,
    ) -> Option<NewAlert> {
        self.enabled.then(|| NewAlert {
            kind: AlertKind::Bounced,
            delivery: Some(delivery.clone()),
            text: format!(
                "eSIM email {delivery} to {} {what}: {cause}",
                mask_email(email)
            ),
            dedupe_key: format!("bounced:{delivery}"),
        })
    }

    /// No verified webhook for `quiet`: the key is completed by the store with the time of
    /// the last webhook, so each quiet spell alerts once.
    pub fn quiet(self, quiet: Duration) -> Option<NewAlert> {
        let hours = quiet.as_secs() / 3600;
        self.enabled.then(|| NewAlert {
            kind: AlertKind::Quiet,
            delivery: None,
            text: format!("esim-courier: no verified webhook from Gigs for {hours} hours"),
            dedupe_key: "quiet:".to_owned(),
        })
    }
}

/// Delivery ids a burst's summary names; the rest are counted.
const NAMED_IN_SUMMARY: usize = 5;

/// One alert for `count` alerts of `kind` (`failed` or `bounced`) created in the minute
/// from `minute`: how many, a few of their deliveries, and where to see them all.
pub fn burst_summary(
    kind: AlertKind,
    minute: DateTime<Utc>,
    count: usize,
    deliveries: &[&str],
) -> String {
    let shown = deliveries.len().min(NAMED_IN_SUMMARY);
    let mut named = deliveries[..shown].join(", ");
    if count > shown {
        named.push_str(&format!(" and {} more", count - shown));
    }
    let what = match kind {
        AlertKind::Bounced => "bounced",
        _ => "failed",
    };
    format!(
        "{count} eSIM emails {what} in the minute from {} UTC: {named} (all of them: GET \
         /deliveries?status={what})",
        minute.format("%Y-%m-%d %H:%M")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_has_its_text_and_one_key_per_cause_and_nothing_when_off() {
        let id = DeliveryId::parse("dlv_0123456789abcdefghijklmnop").unwrap();
        let on = Alerts::new(true);
        let failed = on.failed(&id, "Gigs answered 404").unwrap();
        assert_eq!(failed.kind, AlertKind::Failed);
        assert_eq!(
            failed.text,
            format!("eSIM email {id} failed: Gigs answered 404")
        );
        assert_eq!(failed.dedupe_key, format!("failed:{id}"));
        let bounced = on
            .bounced(&id, "jerry@example.com", "bounced", "550 user unknown")
            .unwrap();
        assert_eq!(bounced.kind, AlertKind::Bounced);
        assert!(
            bounced.text.contains("j***@example.com"),
            "{}",
            bounced.text
        );
        assert!(!bounced.text.contains("jerry@"), "the address is masked");
        let quiet = on.quiet(Duration::from_secs(24 * 3600)).unwrap();
        assert!(quiet.text.contains("24 hours"));
        let off = Alerts::off();
        assert!(off.failed(&id, "x").is_none());
        assert!(off.bounced(&id, "a@b.c", "bounced", "x").is_none());
        assert!(off.quiet(Duration::from_secs(3600)).is_none());
    }

    #[test]
    fn a_burst_summary_counts_names_a_few_and_says_where_the_rest_are() {
        let minute = DateTime::parse_from_rfc3339("2026-12-03T10:41:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let ids: Vec<String> = (0..200).map(|i| format!("dlv_{i:03}")).collect();
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        let text = burst_summary(AlertKind::Failed, minute, 200, &ids);
        assert!(
            text.starts_with("200 eSIM emails failed in the minute from 2026-12-03 10:41 UTC: "),
            "{text}"
        );
        assert!(text.contains("dlv_000, dlv_001, dlv_002, dlv_003, dlv_004 and 195 more"));
        assert!(text.contains("status=failed"), "{text}");
        let bounced = burst_summary(AlertKind::Bounced, minute, 11, &ids[..11]);
        assert!(bounced.starts_with("11 eSIM emails bounced"), "{bounced}");
    }
}
