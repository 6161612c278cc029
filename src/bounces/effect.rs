//! What a bounce notice does to the delivery it is about: pure, so every case is tested.
use super::Severity;
use crate::domain::DeliveryStatus;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Nothing to attach it to.
    Unmatched,
    /// A soft bounce: a line in the delivery's history, nothing else.
    Note,
    /// A hard bounce or a complaint: the address is suppressed; the delivery becomes
    /// `bounced` (with an alert) only when it was `delivered`, the one state a bounce
    /// contradicts.
    Suppress { mark_bounced: bool },
}

/// `status`: the matched delivery's status, `None` when no delivery matched.
pub fn effect(severity: Severity, status: Option<DeliveryStatus>) -> Effect {
    match (severity, status) {
        (Severity::Soft, Some(_)) => Effect::Note,
        (Severity::Soft, None) => Effect::Unmatched,
        (Severity::Hard | Severity::Complaint, status) => Effect::Suppress {
            mark_bounced: status == Some(DeliveryStatus::Delivered),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soft_bounces_only_note_a_matched_delivery() {
        assert_eq!(
            effect(Severity::Soft, Some(DeliveryStatus::Delivered)),
            Effect::Note
        );
        assert_eq!(effect(Severity::Soft, None), Effect::Unmatched);
    }

    #[test]
    fn hard_bounces_and_complaints_suppress_and_bounce_only_a_delivered_delivery() {
        for severity in [Severity::Hard, Severity::Complaint] {
            assert_eq!(
                effect(severity, Some(DeliveryStatus::Delivered)),
                Effect::Suppress { mark_bounced: true }
            );
            for other in [
                DeliveryStatus::Bounced,
                DeliveryStatus::Failed,
                DeliveryStatus::Pending,
                DeliveryStatus::Skipped,
            ] {
                assert_eq!(
                    effect(severity, Some(other)),
                    Effect::Suppress {
                        mark_bounced: false
                    },
                    "{other:?}"
                );
            }
            assert_eq!(
                effect(severity, None),
                Effect::Suppress {
                    mark_bounced: false
                },
                "an unmatched address is still suppressed"
            );
        }
    }
}
