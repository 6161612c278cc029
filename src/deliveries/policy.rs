//! Whether an operator's resend or a Gigs reminder may go now: pure decisions over state the
//! store read under its lock, so every branch is unit-tested without a database.
use std::time::Duration;

use crate::{
    domain::DeliveryKind,
    store::{notices::Previous, reminders::ReminderState},
};

/// The limits a reminder must pass (`REMINDER_MIN_INTERVAL_HOURS`, `REMINDER_MAX`).
#[derive(Debug, Clone, Copy)]
pub struct ReminderLimits {
    pub min_interval: Duration,
    pub max: u32,
}

/// What a reminder event leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReminderVerdict {
    /// An earlier delivery of this same event queued it: nothing more to do.
    AlreadyQueued,
    /// Queue one now.
    Send,
    /// Not now, and why (said in the SIM's history and the logs).
    Refuse(String),
}

/// A reminder goes when the eSIM is not installed, none is under way, fewer than `max`
/// were delivered and the last email went at least `min_interval` ago.
pub fn reminder(state: &ReminderState, limits: ReminderLimits) -> ReminderVerdict {
    if state.this_event.is_some() {
        return ReminderVerdict::AlreadyQueued;
    }
    let hours = limits.min_interval.as_secs() / 3600;
    let refuse = |why: String| ReminderVerdict::Refuse(why);
    if limits.max == 0 {
        refuse("reminders are off (REMINDER_MAX=0)".to_owned())
    } else if state.installed {
        refuse("the eSIM is installed".to_owned())
    } else if state.open_reminders > 0 {
        refuse("a reminder is already on its way".to_owned())
    } else if state.delivered_reminders >= i64::from(limits.max) {
        refuse(format!(
            "{} reminders were sent already (REMINDER_MAX)",
            limits.max
        ))
    } else if state.since_last_email_s.unwrap_or(0.0) < limits.min_interval.as_secs_f64() {
        refuse(format!("the last email went less than {hours} h ago"))
    } else {
        ReminderVerdict::Send
    }
}

/// Whether a credentials email about to go to `current` calls for a notice to the address
/// the SIM's previous email went to: for a resend or a reminder (which go to the Gigs
/// user's current address), when that address is another one. An activation is the SIM's
/// first email; a notice never calls for another.
pub fn notice_to(
    kind: DeliveryKind,
    previous: Option<Previous>,
    current: &str,
) -> Option<Previous> {
    let previous = previous?;
    let moved = !previous
        .recipient
        .trim()
        .eq_ignore_ascii_case(current.trim());
    (may_call_for_notice(kind) && moved).then_some(previous)
}

/// Whether an email of this kind can call for a notice at all: the previous address is
/// looked up only then (not for each activation, most of the traffic).
pub fn may_call_for_notice(kind: DeliveryKind) -> bool {
    matches!(kind, DeliveryKind::Resend | DeliveryKind::Reminder)
}

/// Why no reminder when the subscription has no delivered email to follow up.
pub const NO_EMAIL_YET: &str = "no email to this subscription was delivered yet";

/// Seconds to wait before the SIM may be resent, if any: at most one resend per SIM per
/// `min_interval` (`RESEND_MIN_INTERVAL_SECS`). `since_last_resend_s`: the age of the
/// SIM's newest resend, if it has one.
pub fn resend_wait(since_last_resend_s: Option<f64>, min_interval: Duration) -> Option<u64> {
    let age = since_last_resend_s?;
    let wait = min_interval.as_secs_f64() - age;
    (wait > 0.0).then(|| wait.ceil() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::DeliveryId;

    const LIMITS: ReminderLimits = ReminderLimits {
        min_interval: Duration::from_secs(20 * 3600),
        max: 3,
    };

    /// A SIM whose last email went a day ago, never reminded, not installed.
    fn due() -> ReminderState {
        ReminderState {
            this_event: None,
            installed: false,
            since_last_email_s: Some(24.0 * 3600.0),
            delivered_reminders: 0,
            open_reminders: 0,
        }
    }

    fn refused(state: &ReminderState, limits: ReminderLimits) -> String {
        match reminder(state, limits) {
            ReminderVerdict::Refuse(why) => why,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn a_due_sim_gets_its_reminder() {
        assert_eq!(reminder(&due(), LIMITS), ReminderVerdict::Send);
    }

    #[test]
    fn a_redelivered_event_queues_nothing_more() {
        let state = ReminderState {
            this_event: Some(DeliveryId::generate()),
            ..due()
        };
        assert_eq!(reminder(&state, LIMITS), ReminderVerdict::AlreadyQueued);
    }

    #[test]
    fn each_limit_refuses_with_its_reason() {
        let off = ReminderLimits { max: 0, ..LIMITS };
        assert_eq!(refused(&due(), off), "reminders are off (REMINDER_MAX=0)");
        let installed = ReminderState {
            installed: true,
            ..due()
        };
        assert_eq!(refused(&installed, LIMITS), "the eSIM is installed");
        let open = ReminderState {
            open_reminders: 1,
            ..due()
        };
        assert_eq!(refused(&open, LIMITS), "a reminder is already on its way");
        let spent = ReminderState {
            delivered_reminders: 3,
            ..due()
        };
        assert_eq!(
            refused(&spent, LIMITS),
            "3 reminders were sent already (REMINDER_MAX)"
        );
        let recent = ReminderState {
            since_last_email_s: Some(3600.0),
            ..due()
        };
        assert_eq!(
            refused(&recent, LIMITS),
            "the last email went less than 20 h ago"
        );
        let never = ReminderState {
            since_last_email_s: None,
            ..due()
        };
        assert_eq!(
            refused(&never, LIMITS),
            "the last email went less than 20 h ago"
        );
    }

    #[test]
    fn the_first_refusal_in_order_is_the_one_given() {
        let everything = ReminderState {
            this_event: None,
            installed: true,
            since_last_email_s: Some(1.0),
            delivered_reminders: 9,
            open_reminders: 1,
        };
        assert_eq!(refused(&everything, LIMITS), "the eSIM is installed");
    }

    #[test]
    fn only_a_resend_or_reminder_to_a_new_address_calls_for_a_notice() {
        let old = || {
            Some(Previous {
                recipient: "Jerry@Example.com".into(),
                locale: Some("de".into()),
            })
        };
        let moved = notice_to(DeliveryKind::Resend, old(), "new@example.com");
        assert_eq!(moved.unwrap().locale.as_deref(), Some("de"));
        assert!(notice_to(DeliveryKind::Reminder, old(), "new@example.com").is_some());
        assert!(
            notice_to(DeliveryKind::Resend, old(), " jerry@example.com ").is_none(),
            "the same address in another case"
        );
        assert!(notice_to(DeliveryKind::Activation, old(), "new@example.com").is_none());
        assert!(notice_to(DeliveryKind::Notice, old(), "new@example.com").is_none());
        assert!(notice_to(DeliveryKind::Resend, None, "new@example.com").is_none());
        // The previous address is not even looked up for an activation or a notice.
        assert!(may_call_for_notice(DeliveryKind::Resend));
        assert!(may_call_for_notice(DeliveryKind::Reminder));
        assert!(!may_call_for_notice(DeliveryKind::Activation));
        assert!(!may_call_for_notice(DeliveryKind::Notice));
    }

    #[test]
    fn a_resend_waits_out_the_interval_since_the_last_one() {
        let min = Duration::from_secs(60);
        assert_eq!(resend_wait(None, min), None, "never resent");
        assert_eq!(resend_wait(Some(10.0), min), Some(50));
        assert_eq!(resend_wait(Some(59.2), min), Some(1), "rounded up");
        assert_eq!(resend_wait(Some(60.0), min), None);
        assert_eq!(resend_wait(Some(600.0), min), None);
        assert_eq!(resend_wait(Some(0.0), Duration::ZERO), None, "no limit");
    }
}
