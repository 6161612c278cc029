use chrono::TimeZone;

use super::*;
use crate::store::sims::StoryEvent;

fn t(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 10, minute, 0).unwrap()
}

fn delivery(status: DeliveryStatus) -> StoryDelivery {
    StoryDelivery {
        id: DeliveryId::parse("dlv_one").unwrap(),
        kind: DeliveryKind::Activation,
        status,
        reason: None,
        subscription_id: None,
        user_id: None,
        recipient: Some("jerry@example.com".into()),
        message_id: Some("<dlv_one@acme.example>".into()),
        event_id: "evt_1".into(),
        attempts: 1,
        created_at: t(0),
        delivered_at: (status == DeliveryStatus::Delivered).then(|| t(1)),
        next_attempt_at: None,
    }
}

fn line(minute: u32, status: DeliveryStatus, detail: &str) -> StoryLine {
    StoryLine {
        delivery_id: DeliveryId::parse("dlv_one").unwrap(),
        at: t(minute),
        status,
        detail: detail.into(),
        device: detail
            .starts_with("install link opened")
            .then(|| "iphone".to_owned()),
    }
}

/// Emailed at 10:01, link opened on an iPhone at 10:05.
fn emailed_and_opened() -> SimStory {
    SimStory {
        deliveries: vec![delivery(DeliveryStatus::Delivered)],
        lines: vec![
            line(
                0,
                DeliveryStatus::Pending,
                "com.gigs.subscription.activated evt_1: queued",
            ),
            line(0, DeliveryStatus::Processing, "attempt 1"),
            line(
                1,
                DeliveryStatus::Delivered,
                "accepted by the mail server for j***@example.com",
            ),
            line(
                5,
                DeliveryStatus::Delivered,
                "install link opened on iPhone/iPad: redirected",
            ),
        ],
        events: vec![StoryEvent {
            event_id: "evt_1".into(),
            event_type: "com.gigs.subscription.activated".into(),
            received_at: t(0),
            delivery_id: Some(DeliveryId::parse("dlv_one").unwrap()),
        }],
        installed_at: None,
        audit: vec![],
    }
}

fn kinds(items: &[Item]) -> Vec<&str> {
    items.iter().map(|i| i.kind).collect()
}

#[test]
fn an_emailed_opened_and_installed_sim_tells_its_story_in_order() {
    let mut story = emailed_and_opened();
    story.events.push(StoryEvent {
        event_id: "evt_2".into(),
        event_type: "com.gigs.eSimProfile.installed".into(),
        received_at: t(9),
        delivery_id: None,
    });
    story.installed_at = Some(t(9));
    let (items, verdict) = build(&story, false, t(30));
    assert_eq!(
        kinds(&items),
        ["event", "queued", "sent", "linkOpened", "installed"]
    );
    assert!(items[2].text.contains("<dlv_one@acme.example>"));
    assert_eq!(items[3].source, Source::Subscriber);
    assert!(items[3].text.contains("iPhone"), "{}", items[3].text);
    assert!(items[4].text.contains("evt_2"));
    assert_eq!(verdict.state, State::Installed);
    assert_eq!(verdict.action, Action::None);
}

#[test]
fn an_opened_link_waits_and_an_unopened_email_suggests_a_resend_once_it_had_time() {
    let (_, opened) = build(&emailed_and_opened(), false, t(30));
    assert_eq!((opened.state, opened.action), (State::Opened, Action::Wait));
    let mut unopened = emailed_and_opened();
    unopened.lines.pop();
    let (_, soon) = build(&unopened, false, t(5));
    assert_eq!((soon.state, soon.action), (State::Delivered, Action::Wait));
    let (_, later) = build(&unopened, false, t(30));
    assert_eq!(
        (later.state, later.action),
        (State::Delivered, Action::Resend)
    );
    assert!(later.text.contains("jerry@example.com"));
}

#[test]
fn each_final_state_reads_with_its_action() {
    let cases = [
        (DeliveryStatus::Failed, false, State::Failed, Action::Resend),
        (
            DeliveryStatus::Bounced,
            true,
            State::Bounced,
            Action::Unsuppress,
        ),
        (
            DeliveryStatus::Bounced,
            false,
            State::Bounced,
            Action::Resend,
        ),
        (
            DeliveryStatus::Skipped,
            true,
            State::Skipped,
            Action::Unsuppress,
        ),
        (DeliveryStatus::Skipped, false, State::Skipped, Action::None),
        (
            DeliveryStatus::Pending,
            false,
            State::InProgress,
            Action::Wait,
        ),
        (
            DeliveryStatus::Processing,
            false,
            State::InProgress,
            Action::Wait,
        ),
        (
            DeliveryStatus::Retrying,
            false,
            State::InProgress,
            Action::Wait,
        ),
    ];
    for (status, suppressed, state, action) in cases {
        let mut d = delivery(status);
        d.reason = Some("Gigs answered 404".into());
        let story = SimStory {
            deliveries: vec![d],
            ..SimStory::default()
        };
        let (_, v) = build(&story, suppressed, t(30));
        assert_eq!((v.state, v.action), (state, action), "{status:?}");
        assert!(v.text.ends_with('.'), "{}", v.text);
    }
}

#[test]
fn a_notice_is_not_the_sims_latest_email() {
    let mut notice = delivery(DeliveryStatus::Pending);
    notice.kind = DeliveryKind::Notice;
    notice.id = DeliveryId::parse("dlv_two").unwrap();
    let story = SimStory {
        deliveries: vec![delivery(DeliveryStatus::Failed), notice],
        ..SimStory::default()
    };
    let (_, v) = build(&story, false, t(30));
    assert_eq!(v.state, State::Failed);
}

#[test]
fn retries_and_notes_become_items_and_internal_steps_do_not() {
    let mut story = emailed_and_opened();
    story.lines = vec![
        line(0, DeliveryStatus::Pending, "evt_1: queued"),
        line(0, DeliveryStatus::Processing, "attempt 1"),
        line(
            1,
            DeliveryStatus::Retrying,
            "Gigs answered 503; next attempt at 10:02",
        ),
        line(2, DeliveryStatus::Processing, "attempt 2"),
        line(3, DeliveryStatus::Delivered, "accepted"),
        line(
            4,
            DeliveryStatus::Delivered,
            "soft bounce (postmark): mailbox full",
        ),
        line(
            4,
            DeliveryStatus::Delivered,
            "resent as dlv_x by an operator",
        ),
    ];
    let (items, _) = build(&story, false, t(30));
    assert_eq!(
        kinds(&items),
        ["event", "queued", "retrying", "sent", "softBounce"]
    );
    assert!(items[2].text.contains("503"));
}

#[test]
fn device_labels_map_to_their_class() {
    assert_eq!(device_class("iPhone/iPad: redirected"), Some("iphone"));
    assert_eq!(device_class("Android: redirected"), Some("android"));
    assert_eq!(
        device_class("another device: showed the QR code page"),
        Some("desktop")
    );
    assert_eq!(device_class("a toaster"), None);
}
