//! What a verified event asks for: which events act, for which project, and the rows
//! that record it. No SQL here.
use super::event::{DeliveryPlan, GigsEvent, plan_delivery};
use crate::{
    domain::{DeliveryId, DeliveryStatus, ProjectId},
    store::events::{NewDelivery, NewEvent},
};

/// Which events act, and for which project.
#[derive(Debug, Clone)]
pub struct IngestPolicy {
    pub project: ProjectId,
    pub trigger_events: Vec<String>,
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
