//! What an attempt's result means for its delivery: pure, so every branch is unit-tested.
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{attempt::AttemptError, retry};
use crate::{domain::DeliveryStatus, store::queue::NewNotice};

/// How an attempt ended.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    Delivered {
        message_id: String,
        locale: &'static str,
        /// A notice to the SIM's previous address, queued with this outcome.
        notice: Option<NewNotice>,
    },
    Skipped {
        reason: String,
    },
    Retry {
        reason: String,
        at: DateTime<Utc>,
    },
    Failed {
        reason: String,
    },
}

impl Outcome {
    pub fn status(&self) -> DeliveryStatus {
        match self {
            Self::Delivered { .. } => DeliveryStatus::Delivered,
            Self::Skipped { .. } => DeliveryStatus::Skipped,
            Self::Retry { .. } => DeliveryStatus::Retrying,
            Self::Failed { .. } => DeliveryStatus::Failed,
        }
    }

    pub fn reason(&self) -> Option<&str> {
        match self {
            Self::Delivered { .. } => None,
            Self::Skipped { reason } | Self::Retry { reason, .. } | Self::Failed { reason } => {
                Some(reason)
            }
        }
    }
}

/// An outcome and the history line that explains it.
#[derive(Debug, PartialEq)]
pub struct Decision {
    pub outcome: Outcome,
    pub detail: String,
}

/// The retry rules of a worker.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub max_attempts: i32,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
}

/// What the attempt sent: the Message-ID, the locale, and who it went to (masked).
#[derive(Debug)]
pub struct Sent {
    pub message_id: String,
    pub locale: &'static str,
    pub to: String,
    pub notice: Option<NewNotice>,
}

/// A claim past the last attempt: earlier attempts were interrupted (their worker died),
/// so this one is not started.
pub fn exhausted(attempts: i32, policy: &RetryPolicy) -> Option<Decision> {
    (attempts > policy.max_attempts).then(|| {
        let reason = format!(
            "attempts exhausted ({}): the attempt kept being interrupted",
            attempts - 1
        );
        failed(reason)
    })
}

/// `None` when the lease was lost: another worker holds the delivery, nothing is recorded.
/// `jitter` in 0..=1 spreads retries (see `retry::next_delay`).
pub fn decide(
    result: Result<Sent, AttemptError>,
    attempts: i32,
    policy: &RetryPolicy,
    now: DateTime<Utc>,
    jitter: f64,
) -> Option<Decision> {
    let decision = match result {
        Ok(sent) => Decision {
            detail: format!(
                "accepted by the mail server for {} (locale {}){}",
                sent.to,
                sent.locale,
                sent.notice
                    .as_ref()
                    .map(|n| format!("; a notice ({}) goes to the previous address", n.id))
                    .unwrap_or_default()
            ),
            outcome: Outcome::Delivered {
                message_id: sent.message_id,
                locale: sent.locale,
                notice: sent.notice,
            },
        },
        Err(AttemptError::Skip(reason)) => Decision {
            detail: reason.clone(),
            outcome: Outcome::Skipped { reason },
        },
        Err(AttemptError::Permanent(reason)) => failed(reason),
        Err(AttemptError::Transient { reason, .. }) if attempts >= policy.max_attempts => {
            failed(format!("attempts exhausted ({attempts}): {reason}"))
        }
        Err(AttemptError::Transient {
            reason,
            retry_after,
        }) => {
            let (base, max) = (policy.backoff_base, policy.backoff_max);
            let delay = retry::next_delay(attempts, base, max, retry_after, jitter);
            let at = now + chrono::Duration::from_std(delay).unwrap_or_default();
            let detail = format!(
                "{reason}; next attempt at {}",
                at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            );
            Decision {
                detail,
                outcome: Outcome::Retry { reason, at },
            }
        }
        Err(AttemptError::LeaseLost) => return None,
    };
    Some(decision)
}

fn failed(reason: String) -> Decision {
    Decision {
        detail: reason.clone(),
        outcome: Outcome::Failed { reason },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: RetryPolicy = RetryPolicy {
        max_attempts: 3,
        backoff_base: Duration::from_secs(30),
        backoff_max: Duration::from_secs(3600),
    };

    fn transient(retry_after: Option<Duration>) -> Result<Sent, AttemptError> {
        Err(AttemptError::Transient {
            reason: "Gigs answered 503".into(),
            retry_after,
        })
    }

    #[test]
    fn a_sent_message_is_delivered_with_its_message_id() {
        let sent = Sent {
            message_id: "<dlv_1@acme.example>".into(),
            locale: "en",
            to: "j***@example.com".into(),
            notice: None,
        };
        let d = decide(Ok(sent), 1, &POLICY, Utc::now(), 0.5).unwrap();
        assert_eq!(
            d.outcome,
            Outcome::Delivered {
                message_id: "<dlv_1@acme.example>".into(),
                locale: "en",
                notice: None,
            }
        );
        assert!(d.detail.contains("j***@example.com") && d.detail.contains("locale en"));
    }

    #[test]
    fn skips_and_permanent_errors_end_the_delivery_with_their_reason() {
        let skip = decide(
            Err(AttemptError::Skip("pSIM".into())),
            1,
            &POLICY,
            Utc::now(),
            0.0,
        );
        assert_eq!(skip.unwrap().outcome.status(), DeliveryStatus::Skipped);
        let perm = decide(
            Err(AttemptError::Permanent("404".into())),
            1,
            &POLICY,
            Utc::now(),
            0.0,
        );
        let perm = perm.unwrap();
        assert_eq!(perm.outcome.status(), DeliveryStatus::Failed);
        assert_eq!(perm.outcome.reason(), Some("404"));
    }

    #[test]
    fn a_transient_error_retries_after_the_backoff_then_fails_at_the_last_attempt() {
        let now = Utc::now();
        let d = decide(transient(None), 1, &POLICY, now, 1.0).unwrap();
        let Outcome::Retry { at, .. } = d.outcome else {
            panic!("expected a retry")
        };
        assert_eq!((at - now).num_seconds(), 30);
        assert!(d.detail.contains("next attempt at"));
        let last = decide(transient(None), 3, &POLICY, now, 1.0).unwrap();
        assert_eq!(last.outcome.status(), DeliveryStatus::Failed);
        assert!(last.detail.starts_with("attempts exhausted (3)"));
    }

    #[test]
    fn retry_after_is_honoured() {
        let now = Utc::now();
        let d = decide(
            transient(Some(Duration::from_secs(600))),
            1,
            &POLICY,
            now,
            0.0,
        );
        let Outcome::Retry { at, .. } = d.unwrap().outcome else {
            panic!("expected a retry")
        };
        assert!((at - now).num_seconds() >= 600);
    }

    #[test]
    fn a_lost_lease_records_nothing_and_interrupted_claims_are_exhausted() {
        assert!(decide(Err(AttemptError::LeaseLost), 1, &POLICY, Utc::now(), 0.0).is_none());
        assert!(exhausted(3, &POLICY).is_none());
        let d = exhausted(4, &POLICY).unwrap();
        assert!(d.detail.contains("kept being interrupted"));
    }
}
