//! Doing what an event asks beyond its record: marking a SIM installed, queuing a reminder.
use sqlx::PgPool;

use super::{
    GigsEvent,
    plan::{FollowUp, IngestPolicy},
};
use crate::{
    deliveries::policy::{self, ReminderLimits, ReminderVerdict},
    domain::{DeliveryId, SubscriptionId},
    store::{
        events::IngestOutcome,
        installs,
        reminders::{self, ReminderWrite},
    },
    telemetry::Metrics,
};

/// Runs the follow-up; a failure is the sender's cue to retry (503), and the retry runs
/// it again, since each step is idempotent.
pub async fn run(
    pool: &PgPool,
    policy: &IngestPolicy,
    metrics: &Metrics,
    follow_up: FollowUp,
    event: &GigsEvent,
    outcome: &mut IngestOutcome,
) -> crate::store::Result<()> {
    let project = policy.project.as_str();
    match follow_up {
        FollowUp::Installed(sim) => {
            let detail = format!("{} {}: the eSIM is installed", event.event_type, event.id);
            let marked = installs::mark(pool, project, &sim, &event.id, &detail).await?;
            if let Some(first) = marked {
                tracing::info!(sim = %sim, "eSIM installed");
                metrics.lifecycle.installed(first.since_first_email_s);
            }
        }
        FollowUp::Remind(subscription) => {
            let reminder = remind(pool, policy.reminders, project, &subscription, event).await?;
            match reminder {
                Reminder::Queued { id, new } => {
                    if new {
                        metrics.lifecycle.reminder_queued();
                    }
                    outcome.delivery = Some(id);
                }
                Reminder::NotSent { reason, latest } => {
                    tracing::info!(subscription = %subscription, reason, "no reminder");
                    outcome.delivery = latest;
                }
            }
        }
    }
    Ok(())
}

#[derive(Debug, PartialEq, Eq)]
enum Reminder {
    /// Queued now (`new`), or by an earlier delivery of the same event.
    Queued { id: DeliveryId, new: bool },
    /// Not sent, and why; noted on the SIM's latest delivery when there is one.
    NotSent {
        reason: String,
        latest: Option<DeliveryId>,
    },
}

/// A reminder for the subscription's SIM, if the policy allows it now; the reason when
/// not. Redelivering the same event queues nothing more.
async fn remind(
    pool: &PgPool,
    limits: ReminderLimits,
    project: &str,
    subscription: &SubscriptionId,
    event: &GigsEvent,
) -> crate::store::Result<Reminder> {
    let (event_type, event_id) = (event.event_type.as_str(), event.id.as_str());
    let mut answer = None;
    reminders::remind(
        pool,
        project,
        subscription,
        (event_type, event_id),
        |latest, state| {
            let (write, reminder) = match policy::reminder(state, limits) {
                ReminderVerdict::AlreadyQueued => {
                    let id = state.this_event.clone().expect("an earlier reminder");
                    (ReminderWrite::Nothing, Reminder::Queued { id, new: false })
                }
                ReminderVerdict::Send => {
                    let id = DeliveryId::generate();
                    let write = ReminderWrite::Queue {
                        id: id.clone(),
                        first_line: format!("{event_type} {event_id}: reminder of {}", latest.id),
                        note: format!("reminder queued as {id}"),
                    };
                    (write, Reminder::Queued { id, new: true })
                }
                ReminderVerdict::Refuse(reason) => {
                    let note = format!("{event_type} {event_id}: no reminder: {reason}");
                    let latest = Some(latest.id.clone());
                    (
                        ReminderWrite::Note(note),
                        Reminder::NotSent { reason, latest },
                    )
                }
            };
            answer = Some(reminder);
            write
        },
    )
    .await?;
    // `decide` is not asked when the subscription has no delivered email.
    Ok(answer.unwrap_or_else(|| Reminder::NotSent {
        reason: policy::NO_EMAIL_YET.to_owned(),
        latest: None,
    }))
}
