//! Doing what an event asks beyond its record: marking a SIM installed, queuing a reminder.
use sqlx::PgPool;

use super::{
    GigsEvent,
    plan::{FollowUp, IngestPolicy},
};
use crate::{
    store::{
        events::IngestOutcome,
        installs,
        reminders::{self, Reminder},
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
            let marked = installs::mark(pool, project, &sim, &event.event_type, &event.id).await?;
            if let Some(first) = marked {
                tracing::info!(sim = %sim, "eSIM installed");
                metrics.lifecycle.installed(first.since_first_email_s);
            }
        }
        FollowUp::Remind(subscription) => {
            let limits = policy.reminders;
            let reminder = reminders::remind(
                pool,
                project,
                &subscription,
                &event.event_type,
                &event.id,
                limits,
            )
            .await?;
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
