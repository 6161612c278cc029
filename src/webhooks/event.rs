//! The Gigs event envelope, parsed leniently, and what a trigger event asks us to do.
use serde::Deserialize;
use serde_json::Value;

use crate::domain::{SimId, SubscriptionId, UserId};

/// The parts of a CloudEvents-shaped Gigs event we use; other fields are allowed and
/// kept in the stored payload.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct GigsEvent {
    /// `event` when present.
    #[serde(default)]
    pub object: Option<String>,
    /// `evt_…`
    pub id: String,
    /// e.g. `com.gigs.subscription.activated`
    #[serde(rename = "type")]
    pub event_type: String,
    #[serde(default)]
    pub project: Option<String>,
    /// The resource: a Subscription, a SubscriptionChange, …
    #[serde(default)]
    #[schema(value_type = Object)]
    pub data: Value,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InvalidEvent {
    #[error("the body is not a JSON event: {0}")]
    NotJson(String),
    #[error("the event has no {0}")]
    MissingField(&'static str),
    #[error("the body is not an event object")]
    NotAnEvent,
    #[error("the event holds text that cannot be stored (a \\u0000 character)")]
    NotStorable,
}

impl GigsEvent {
    pub fn parse(body: &[u8]) -> Result<Self, InvalidEvent> {
        // serde's message names the field and position, never the values.
        let value: Value =
            serde_json::from_slice(body).map_err(|e| InvalidEvent::NotJson(e.to_string()))?;
        // JSON may escape a NUL (`\u0000`); PostgreSQL cannot store one in jsonb, and an
        // event refused for it would be retried by the sender for days.
        if holds_nul(&value) {
            return Err(InvalidEvent::NotStorable);
        }
        let event =
            GigsEvent::deserialize(&value).map_err(|e| InvalidEvent::NotJson(e.to_string()))?;
        if event.object.as_deref().is_some_and(|o| o != "event") {
            return Err(InvalidEvent::NotAnEvent);
        }
        if event.id.trim().is_empty() {
            return Err(InvalidEvent::MissingField("id"));
        }
        if event.event_type.trim().is_empty() {
            return Err(InvalidEvent::MissingField("type"));
        }
        Ok(event)
    }
}

fn holds_nul(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains('\0'),
        Value::Array(a) => a.iter().any(holds_nul),
        Value::Object(o) => o.iter().any(|(k, v)| k.contains('\0') || holds_nul(v)),
        _ => false,
    }
}

/// What a trigger event means for delivery.
#[derive(Debug, PartialEq, Eq)]
pub enum DeliveryPlan {
    /// Send credentials for this eSIM.
    Deliver(Target),
    /// A delivery is recorded but there is nothing to send.
    Skip { target: Target, reason: String },
    /// Not a SIM the service acts on (e.g. a plan change without a new SIM).
    Ignore,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Target {
    pub sim: Option<SimId>,
    pub subscription: Option<SubscriptionId>,
    pub user: Option<UserId>,
    pub recipient: Option<String>,
    /// The SIM's ICCID and the line's number, when the event carries them (for search).
    pub iccid: Option<String>,
    pub phone_number: Option<String>,
}

/// An id given as a string, or as an object with an `id`.
pub(super) fn id_of(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) => Some(s),
        Value::Object(o) => o.get("id").and_then(Value::as_str),
        _ => None,
    }
}

/// A short identifier-like string from the payload, kept for search; anything else (an
/// object, an absurdly long value) is not.
fn searchable(v: Option<&Value>) -> Option<String> {
    let s = v?.as_str()?.trim();
    (!s.is_empty() && s.len() <= 32).then(|| s.to_owned())
}

/// Reads the SIM, subscription and user out of a trigger event's `data`. Works for a
/// Subscription (`subscription.activated`) and a SubscriptionChange (`…applied`), and
/// for other types configured in `TRIGGER_EVENTS` that carry the same fields.
pub fn plan_delivery(event: &GigsEvent) -> DeliveryPlan {
    let data = &event.data;
    let is_subscription = data.get("object").and_then(Value::as_str) == Some("subscription");
    let subscription = if is_subscription {
        data.get("id").and_then(Value::as_str)
    } else {
        data.get("subscription").and_then(id_of)
    };
    let user = data.get("user");
    let mut target = Target {
        sim: None,
        subscription: subscription.and_then(|s| SubscriptionId::parse(s).ok()),
        user: user.and_then(id_of).and_then(|u| UserId::parse(u).ok()),
        recipient: user
            .and_then(|u| u.get("email"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        iccid: None,
        phone_number: searchable(data.get("phoneNumber")),
    };
    let skip = |target, reason: &str| DeliveryPlan::Skip {
        target,
        reason: reason.to_owned(),
    };

    let sim = match data.get("sim") {
        Some(sim @ Value::Object(_)) => sim,
        _ if is_subscription => return skip(target, "the subscription has no SIM"),
        _ => return DeliveryPlan::Ignore,
    };
    let Some(sim_id) = sim.get("id").and_then(Value::as_str) else {
        return skip(target, "the event's SIM has no id");
    };
    let Ok(sim_id) = SimId::parse(sim_id) else {
        return skip(target, "the event's SIM id is not valid");
    };
    target.sim = Some(sim_id);
    target.iccid = searchable(sim.get("iccid"));
    match sim.get("type").and_then(Value::as_str) {
        Some("eSIM") => {}
        Some("pSIM") => return skip(target, "the SIM is a physical SIM (pSIM)"),
        _ => return skip(target, "the SIM is not an eSIM"),
    }
    if target.user.is_none() && target.subscription.is_none() {
        return skip(target, "the event names no user or subscription");
    }
    DeliveryPlan::Deliver(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACTIVATED: &str =
        include_str!("../../tests/fixtures/gigs/event.subscription.activated.json");
    const CHANGE: &str =
        include_str!("../../tests/fixtures/gigs/event.subscriptionChange.applied.json");

    fn with_data(base: &str, f: impl FnOnce(&mut Value)) -> GigsEvent {
        let mut v: Value = serde_json::from_str(base).unwrap();
        f(&mut v["data"]);
        GigsEvent::parse(&serde_json::to_vec(&v).unwrap()).unwrap()
    }

    #[test]
    fn an_activated_esim_subscription_is_delivered_to_its_user() {
        let event = GigsEvent::parse(ACTIVATED.as_bytes()).unwrap();
        let DeliveryPlan::Deliver(t) = plan_delivery(&event) else {
            panic!("expected a delivery")
        };
        assert_eq!(t.sim.unwrap().as_str(), "sim_0SNlurA049MEWV1BAAmWZULA4lf6");
        assert_eq!(
            t.subscription.unwrap().as_str(),
            "sub_0SNlurA049MEWV2gSfSxi00xlPIi"
        );
        assert_eq!(t.user.unwrap().as_str(), "usr_0SNlurA049MEWV4OpCwsNyC9Kn2d");
        assert_eq!(t.recipient.as_deref(), Some("jerry@example.com"));
        assert_eq!(t.iccid.as_deref(), Some("89883070000007537119"));
        assert_eq!(t.phone_number.as_deref(), Some("+19591234567"));
    }

    #[test]
    fn a_sim_swap_is_delivered_through_its_subscription() {
        let event = GigsEvent::parse(CHANGE.as_bytes()).unwrap();
        let DeliveryPlan::Deliver(t) = plan_delivery(&event) else {
            panic!("expected a delivery")
        };
        assert_eq!(t.sim.unwrap().as_str(), "sim_0SNlurA049MEWV9kQm2TzR8sWp1d");
        assert_eq!(
            t.subscription.unwrap().as_str(),
            "sub_0SNlurA049MEWV2gSfSxi00xlPIi"
        );
        assert!(t.user.is_none());
    }

    #[test]
    fn psim_and_missing_sim_are_skipped_and_plan_changes_ignored() {
        let psim = with_data(ACTIVATED, |d| d["sim"]["type"] = "pSIM".into());
        assert!(
            matches!(plan_delivery(&psim), DeliveryPlan::Skip { reason, .. } if reason.contains("pSIM"))
        );
        let no_sim = with_data(ACTIVATED, |d| d["sim"] = Value::Null);
        assert!(matches!(plan_delivery(&no_sim), DeliveryPlan::Skip { .. }));
        let plan_change = with_data(CHANGE, |d| d["sim"] = Value::Null);
        assert_eq!(plan_delivery(&plan_change), DeliveryPlan::Ignore);
    }

    #[test]
    fn unknown_fields_are_fine_but_non_events_are_not() {
        let extra = br#"{"object":"event","id":"evt_1","type":"x.y","future":{"a":1}}"#;
        assert!(GigsEvent::parse(extra).is_ok());
        assert!(matches!(
            GigsEvent::parse(b"[1,2]"),
            Err(InvalidEvent::NotJson(_))
        ));
        assert!(matches!(
            GigsEvent::parse(b"{\"id\":\"evt_1\"}"),
            Err(InvalidEvent::NotJson(_))
        ));
        let nul = br#"{"id":"evt_1","type":"x","data":{"a":["ok","b\u0000"]}}"#;
        assert_eq!(
            GigsEvent::parse(nul).unwrap_err(),
            InvalidEvent::NotStorable
        );
        let nul_key = br#"{"id":"evt_1","type":"x","data":{"a\u0000":1}}"#;
        assert_eq!(
            GigsEvent::parse(nul_key).unwrap_err(),
            InvalidEvent::NotStorable
        );
        let escaped_backslash = br#"{"id":"evt_1","type":"x","data":{"a":"\\u0000"}}"#;
        assert!(GigsEvent::parse(escaped_backslash).is_ok());
        let not_event = br#"{"object":"user","id":"usr_1","type":"x"}"#;
        assert_eq!(
            GigsEvent::parse(not_event).unwrap_err(),
            InvalidEvent::NotAnEvent
        );
        let blank_id = br#"{"id":" ","type":"x"}"#;
        assert_eq!(
            GigsEvent::parse(blank_id).unwrap_err(),
            InvalidEvent::MissingField("id")
        );
    }
}
