//! One SIM's story, oldest first, derived from what is stored (events, deliveries, their
//! history, installs, the audit log), and a verdict an agent can read out. Pure: the store
//! reads, this decides what it means.
use chrono::{DateTime, Utc};

use crate::{
    domain::{DeliveryId, DeliveryKind, DeliveryStatus},
    store::sims::{SimStory, StoryDelivery, StoryLine},
};

/// Who a timeline item comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Gigs,
    Courier,
    Relay,
    Subscriber,
    Operator,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub at: DateTime<Utc>,
    pub source: Source,
    /// `event`, `queued`, `sent`, `retrying`, `failed`, `skipped`, `bounced`,
    /// `softBounce`, `linkOpened`, `installed`, `operator`, `note`.
    pub kind: &'static str,
    pub text: String,
    pub delivery: Option<DeliveryId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum State {
    InProgress,
    Delivered,
    Opened,
    Installed,
    Bounced,
    Failed,
    Skipped,
}

/// What an agent should do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Resend,
    Unsuppress,
    Wait,
    None,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub state: State,
    /// One sentence an agent can read out.
    pub text: String,
    pub action: Action,
}

/// A delivered email nobody opened: resending is suggested once it had this long to arrive.
const ARRIVAL_TIME: chrono::Duration = chrono::Duration::minutes(15);

/// The items, oldest first, and the verdict. `suppressed`: whether the address of the
/// SIM's latest credentials email is on the suppression list now.
pub fn build(story: &SimStory, suppressed: bool, now: DateTime<Utc>) -> (Vec<Item>, Verdict) {
    let mut items = Vec::new();
    let install_event = story
        .events
        .iter()
        .find(|e| e.event_type.starts_with("com.gigs.eSimProfile."))
        .map(|e| e.event_id.clone());
    for e in &story.events {
        if Some(&e.event_id) == install_event.as_ref() && story.installed_at.is_some() {
            continue;
        }
        items.push(Item {
            at: e.received_at,
            source: Source::Gigs,
            kind: "event",
            text: format!("Gigs sent {} ({})", e.event_type, e.event_id),
            delivery: e.delivery_id.clone(),
        });
    }
    for d in &story.deliveries {
        let lines = story.lines.iter().filter(|l| l.delivery_id == d.id);
        delivery_items(d, lines, &mut items);
    }
    if let Some(at) = story.installed_at {
        let via = install_event.map(|e| format!(" ({e})")).unwrap_or_default();
        items.push(Item {
            at,
            source: Source::Gigs,
            kind: "installed",
            text: format!("Gigs reported the eSIM installed{via}"),
            delivery: None,
        });
    }
    for a in &story.audit {
        let who = a.actor.as_deref().unwrap_or("an operator");
        let role = a.role.map(|r| format!(" ({r})")).unwrap_or_default();
        items.push(Item {
            at: a.at,
            source: Source::Operator,
            kind: "operator",
            text: format!("{who}{role}: {} — {}", a.action, a.detail),
            delivery: a.target.as_deref().and_then(|t| DeliveryId::parse(t).ok()),
        });
    }
    // Stable: items at the same instant keep the order they were added in.
    items.sort_by_key(|i| i.at);
    let verdict = verdict(story, &items, suppressed, now);
    (items, verdict)
}

/// The items one delivery's history gives: its state changes, and the notes that matter.
fn delivery_items<'a>(
    d: &StoryDelivery,
    lines: impl Iterator<Item = &'a StoryLine>,
    items: &mut Vec<Item>,
) {
    let mut previous: Option<DeliveryStatus> = None;
    for line in lines {
        let changed = previous != Some(line.status);
        let first = previous.is_none();
        previous = Some(line.status);
        let item = |source, kind, text: String| Item {
            at: line.at,
            source,
            kind,
            text,
            delivery: Some(d.id.clone()),
        };
        let detail = line.detail.as_str();
        let pushed = match (first, changed, line.status) {
            (true, _, DeliveryStatus::Skipped) => item(Source::Courier, "skipped", skipped(detail)),
            (true, _, _) => item(Source::Courier, "queued", queued(d.kind, detail)),
            (false, true, DeliveryStatus::Processing) => continue,
            (false, true, DeliveryStatus::Retrying) => item(
                Source::Courier,
                "retrying",
                format!("Not sent yet: {detail}"),
            ),
            (false, true, DeliveryStatus::Delivered) => {
                item(Source::Relay, "sent", sent(d.kind, d.message_id.as_deref()))
            }
            (false, true, DeliveryStatus::Failed) => {
                item(Source::Courier, "failed", format!("Failed: {detail}"))
            }
            (false, true, DeliveryStatus::Skipped) => {
                item(Source::Courier, "skipped", skipped(detail))
            }
            (false, true, DeliveryStatus::Bounced) => {
                item(Source::Relay, "bounced", format!("Bounced: {detail}"))
            }
            (false, true, DeliveryStatus::Pending) => item(Source::Courier, "note", detail.into()),
            (false, false, _) => match note(detail, line.device.as_deref()) {
                Some((source, kind, text)) => item(source, kind, text),
                None => continue,
            },
        };
        items.push(pushed);
    }
}

fn kind_name(kind: DeliveryKind) -> &'static str {
    match kind {
        DeliveryKind::Activation => "eSIM email",
        DeliveryKind::Resend => "resent eSIM email",
        DeliveryKind::Reminder => "reminder email",
        DeliveryKind::Notice => "notice to the previous address",
    }
}

fn queued(kind: DeliveryKind, detail: &str) -> String {
    format!("The {} was queued ({detail})", kind_name(kind))
}

fn sent(kind: DeliveryKind, message_id: Option<&str>) -> String {
    let id = message_id
        .map(|m| format!(", Message-ID {m}"))
        .unwrap_or_default();
    format!("The mail server accepted the {}{id}", kind_name(kind))
}

fn skipped(detail: &str) -> String {
    format!("Nothing was sent: {detail}")
}

/// A note kept in a delivery's history that says something to an agent, and how.
fn note(detail: &str, device: Option<&str>) -> Option<(Source, &'static str, String)> {
    if let Some(rest) = detail.strip_prefix("install link opened on ") {
        let device = device.and_then(known_class).or_else(|| device_class(rest));
        let text = match device {
            Some(d) => format!("The install link was opened on {}", device_name(d)),
            // Openings recorded before the device class was kept: the page served tells.
            None => format!("The install link was opened ({rest})"),
        };
        return Some((Source::Subscriber, "linkOpened", text));
    }
    if detail.starts_with("soft bounce") {
        return Some((Source::Relay, "softBounce", detail.to_owned()));
    }
    // Said elsewhere: by the installed item, the new delivery's own items, the audit log.
    let elsewhere = ["the eSIM is installed", "resent as ", "reminder queued as "];
    if elsewhere.iter().any(|e| detail.contains(e)) {
        return None;
    }
    Some((Source::Courier, "note", detail.to_owned()))
}

/// `iphone`, `android` or `desktop`, from the device label an opening recorded.
pub fn device_class(label: &str) -> Option<&'static str> {
    if label.starts_with("iPhone") {
        Some("iphone")
    } else if label.starts_with("Android") {
        Some("android")
    } else if label.starts_with("another device") || label.starts_with("a computer") {
        Some("desktop")
    } else {
        None
    }
}

fn known_class(class: &str) -> Option<&'static str> {
    ["iphone", "android", "desktop"]
        .into_iter()
        .find(|c| *c == class)
}

fn device_name(class: &str) -> &'static str {
    match class {
        "iphone" => "an iPhone",
        "android" => "an Android phone",
        _ => "a computer",
    }
}

fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn verdict(story: &SimStory, items: &[Item], suppressed: bool, now: DateTime<Utc>) -> Verdict {
    let say = |state, action, text: String| Verdict {
        state,
        text,
        action,
    };
    if let Some(at) = story.installed_at {
        return say(
            State::Installed,
            Action::None,
            format!("The eSIM was installed on {}.", when(at)),
        );
    }
    let latest = story
        .deliveries
        .iter()
        .rev()
        .find(|d| d.kind != DeliveryKind::Notice);
    let Some(d) = latest else {
        return say(
            State::Skipped,
            Action::None,
            "No credentials email exists for this SIM.".into(),
        );
    };
    latest_says(d, items, suppressed, now)
}

/// What the SIM's latest credentials email's status says.
fn latest_says(d: &StoryDelivery, items: &[Item], suppressed: bool, now: DateTime<Utc>) -> Verdict {
    let say = |state, action, text: String| Verdict {
        state,
        text,
        action,
    };
    let what = kind_name(d.kind);
    let reason = d.reason.as_deref().unwrap_or("no reason was recorded");
    let to = d.recipient.as_deref().unwrap_or("the subscriber");
    match d.status {
        DeliveryStatus::Pending | DeliveryStatus::Processing => say(
            State::InProgress,
            Action::Wait,
            format!("The {what} is being sent now."),
        ),
        DeliveryStatus::Retrying => {
            let next = d.next_attempt_at.map(when).unwrap_or_else(|| "soon".into());
            say(
                State::InProgress,
                Action::Wait,
                format!(
                    "The {what} could not be sent yet ({reason}); it is tried again at {next}."
                ),
            )
        }
        DeliveryStatus::Failed => say(
            State::Failed,
            Action::Resend,
            format!("The {what} could not be sent: {reason}. Resend it once the cause is fixed."),
        ),
        DeliveryStatus::Skipped if suppressed => say(
            State::Skipped,
            Action::Unsuppress,
            format!(
                "Nothing was sent: {reason}. Confirm the address with the customer, then lift the suppression and resend."
            ),
        ),
        DeliveryStatus::Skipped => say(
            State::Skipped,
            Action::None,
            format!("Nothing was sent: {reason}."),
        ),
        DeliveryStatus::Bounced => {
            let action = if suppressed {
                Action::Unsuppress
            } else {
                Action::Resend
            };
            say(
                State::Bounced,
                action,
                format!(
                    "The email to {to} bounced ({reason}). Check the address with the customer before sending again."
                ),
            )
        }
        DeliveryStatus::Delivered => delivered(d, items, now),
    }
}

fn delivered(d: &StoryDelivery, items: &[Item], now: DateTime<Utc>) -> Verdict {
    let sent_at = d.delivered_at.unwrap_or(d.created_at);
    let to = d.recipient.as_deref().unwrap_or("the subscriber");
    let opened = items
        .iter()
        .rfind(|i| i.kind == "linkOpened" && i.at >= sent_at);
    if let Some(open) = opened {
        return Verdict {
            state: State::Opened,
            action: Action::Wait,
            text: format!(
                "The email to {to} was delivered on {} and its install link was opened on {}; Gigs has not reported the eSIM installed yet.",
                when(sent_at),
                when(open.at)
            ),
        };
    }
    let action = if now - sent_at >= ARRIVAL_TIME {
        Action::Resend
    } else {
        Action::Wait
    };
    Verdict {
        state: State::Delivered,
        action,
        text: format!(
            "The email was accepted for {to} on {}, and its install link has not been opened; ask the customer to look in spam, or resend it.",
            when(sent_at)
        ),
    }
}

#[cfg(test)]
#[path = "timeline_tests.rs"]
mod tests;
