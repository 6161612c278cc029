//! What a verified event asks for: which events act, for which project, and the rows
//! that record it. No SQL here.
use super::event::{DeliveryPlan, GigsEvent, id_of, plan_delivery};
use crate::{
    deliveries::policy::ReminderLimits,
    domain::{DeliveryId, DeliveryStatus, ProjectId, SimId, SubscriptionId},
    store::events::{NewDelivery, NewEvent},
};

/// Which events act, and for which project.
#[derive(Debug, Clone)]
pub struct IngestPolicy {
    pub project: ProjectId,
    pub trigger_events: Vec<String>,
    pub reminders: ReminderLimits,
}

/// Events that mark a SIM's eSIM installed, whatever `TRIGGER_EVENTS` says.
pub const INSTALL_EVENTS: [&str; 2] = [
    "com.gigs.eSimProfile.installed",
    "com.gigs.eSimProfile.enabled",
];
/// The Gigs reminder (a per-project preview feature) that asks for a reminder email.
pub const REMINDER_EVENT: &str = "com.gigs.reminder.subscription.simNotInstalled";

/// What an event asks for beyond its own record; done after the record, and again when
/// it is redelivered (each is idempotent), so a crash in between loses nothing.
#[derive(Debug, PartialEq, Eq)]
pub enum FollowUp {
    Installed(SimId),
    Remind(SubscriptionId),
}

pub fn follow_up(policy: &IngestPolicy, event: &GigsEvent) -> Option<FollowUp> {
    if event
        .project
        .as_deref()
        .is_some_and(|p| p != policy.project.as_str())
    {
        return None;
    }
    let data = &event.data;
    if INSTALL_EVENTS.contains(&event.event_type.as_str()) {
        let sim = data.get("sim").and_then(id_of)?;
        return SimId::parse(sim).ok().map(FollowUp::Installed);
    }
    if event.event_type == REMINDER_EVENT {
        let sub = data.get("subscription").and_then(id_of)?;
        return SubscriptionId::parse(sub).ok().map(FollowUp::Remind);
    }
    None
}

/// Noted on a SIM's delivery when another trigger event for the SIM arrives.
pub const SAME_SIM_NOTE: &str = "this SIM already has its automatic email; use resend for another";

pub fn decide(policy: &IngestPolicy, event: &GigsEvent) -> DeliveryPlan {
    if !policy.trigger_events.contains(&event.event_type) {
        return DeliveryPlan::Ignore;
    }
    if let Some(project) = event.project.as_deref()
        && project != policy.project.as_str()
    {
        // The API key reaches one project only; another project's SIMs are not ours.
        tracing::warn!(
            event.project = project,
            "trigger event for another project ignored"
        );
        return DeliveryPlan::Ignore;
    }
    plan_delivery(event)
}

/// The rows that record `event`: the event itself and, when it acts, its delivery.
pub fn rows(policy: &IngestPolicy, webhook_id: &str, event: &GigsEvent, raw: &str) -> NewEvent {
    let (target, status, reason) = match decide(policy, event) {
        DeliveryPlan::Ignore => (None, DeliveryStatus::Pending, None),
        DeliveryPlan::Deliver(t) => (Some(t), DeliveryStatus::Pending, None),
        DeliveryPlan::Skip { target, reason } => {
            (Some(target), DeliveryStatus::Skipped, Some(reason))
        }
    };
    let delivery = target.map(|target| NewDelivery {
        id: DeliveryId::generate(),
        status,
        history: format!(
            "{} {}: {}",
            event.event_type,
            event.id,
            reason.as_deref().unwrap_or("queued")
        ),
        reason,
        project: policy.project.to_string(),
        sim: target.sim,
        subscription: target.subscription,
        user: target.user,
        recipient: target.recipient,
        iccid: target.iccid,
        phone_number: target.phone_number,
    });
    NewEvent {
        webhook_id: webhook_id.to_owned(),
        event_id: event.id.clone(),
        event_type: event.event_type.clone(),
        project: event.project.clone(),
        payload: raw.to_owned(),
        delivery,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INSTALLED: &str =
        include_str!("../../tests/fixtures/gigs/event.eSimProfile.installed.json");
    const REMINDER: &str =
        include_str!("../../tests/fixtures/gigs/event.reminder.subscription.simNotInstalled.json");

    fn policy() -> IngestPolicy {
        IngestPolicy {
            project: ProjectId::parse("acme-mobile").unwrap(),
            trigger_events: vec![],
            reminders: ReminderLimits {
                min_interval: std::time::Duration::from_secs(3600),
                max: 3,
            },
        }
    }

    #[test]
    fn install_and_reminder_events_ask_for_their_follow_up_whatever_the_triggers() {
        let installed = GigsEvent::parse(INSTALLED.as_bytes()).unwrap();
        assert_eq!(
            follow_up(&policy(), &installed),
            Some(FollowUp::Installed(
                SimId::parse("sim_0SNlurA049MEWV1BAAmWZULA4lf6").unwrap()
            ))
        );
        let reminder = GigsEvent::parse(REMINDER.as_bytes()).unwrap();
        assert!(matches!(
            follow_up(&policy(), &reminder),
            Some(FollowUp::Remind(_))
        ));
        let mut other = policy();
        other.project = ProjectId::parse("someone-else").unwrap();
        assert_eq!(follow_up(&other, &installed), None);
    }
}
