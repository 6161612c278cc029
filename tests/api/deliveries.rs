//! The worker end to end: Gigs (wiremock) → email over real SMTP → recorded outcome.
use std::time::Duration;

use chrono::{DateTime, Utc};
use esim_courier::{domain::DeliveryStatus, store::queue};
use mail_parser::{MessageParser, MimeHeaders};
use serde_json::Value;
use wiremock::{
    Mock, ResponseTemplate,
    matchers::{method, path},
};

use crate::helpers::*;

const IOS_URL: &str = "https://esimsetup.apple.com/esim_qrcode_provisioning?carddata=LPA:1$smdp.gigs.com$2M-3L0MX-F8HE2";
const ANDROID_URL: &str = "https://esimsetup.android.com/esim_qrcode_provisioning?carddata=LPA:1$smdp.gigs.com$2M-3L0MX-F8HE2";

fn statuses(d: &Value) -> Vec<String> {
    d["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["status"].as_str().unwrap().to_owned())
        .collect()
}

pub fn decode_qr(png: &[u8]) -> String {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png));
    // One bit per pixel in the file; one byte per pixel here.
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size().expect("a size")];
    let info = reader.next_frame(&mut pixels).expect("PNG pixels");
    assert_eq!(info.color_type, png::ColorType::Grayscale);
    let (width, height) = (info.width as usize, info.height as usize);
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| {
        pixels[y * info.line_size + x]
    });
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the image");
    grids[0].decode().expect("the QR code decodes").1
}

#[tokio::test]
async fn a_webhook_becomes_an_email_with_qr_code_links_and_manual_details() {
    let app = spawn_app().await;
    app.mock_gigs_ok().await;
    let id = app.deliver_event(ACTIVATED).await;

    let d = app.drive(&id).await;

    assert_eq!(d["status"], "delivered");
    assert_eq!(d["attempts"], 1);
    assert!(d["deliveredAt"].is_string());
    assert_eq!(statuses(&d), ["pending", "processing", "delivered"]);
    let mails = app.smtp.mails();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].rcpt_to, ["jerry@example.com"]);
    assert_eq!(mails[0].mail_from, "<esim@acme.example>");
    let msg = MessageParser::default()
        .parse(&mails[0].data)
        .expect("a MIME message");
    assert_eq!(
        msg.subject(),
        Some("Your Acme Mobile eSIM is ready to install")
    );
    assert_eq!(
        d["messageId"].as_str().unwrap(),
        format!("<{}>", msg.message_id().unwrap())
    );
    assert_eq!(msg.message_id().unwrap(), format!("{id}@acme.example"));
    let ct = msg.content_type().unwrap();
    assert_eq!(
        (ct.ctype(), ct.subtype()),
        ("multipart", Some("alternative"))
    );

    let text = msg.body_text(0).unwrap();
    let html = msg.body_html(0).unwrap();
    for (name, part) in [("text", &text), ("html", &html)] {
        assert!(part.contains(IOS_URL), "{name} has the iPhone link");
        assert!(part.contains(ANDROID_URL), "{name} has the Android link");
        assert!(
            part.contains("smdp.gigs.com"),
            "{name} has the SM-DP+ address"
        );
        assert!(
            part.contains("2M-3L0MX-F8HE2"),
            "{name} has the activation code"
        );
        assert!(
            part.contains("Hi Jerry,"),
            "{name} greets the user by first name"
        );
    }

    let png = msg
        .parts
        .iter()
        .find(|p| {
            p.content_type()
                .is_some_and(|c| c.ctype() == "image" && c.subtype() == Some("png"))
        })
        .expect("an inline PNG");
    let cid = png.content_id().expect("the PNG has a Content-ID");
    assert!(
        html.contains(&format!("src=\"cid:{cid}\"")),
        "the HTML shows the inline PNG"
    );
    assert_eq!(decode_qr(png.contents()), ACTIVATION_CODE);
}

#[tokio::test]
async fn gigs_503_twice_then_200_delivers_on_the_third_attempt() {
    let app = spawn_app().await;
    app.mock_gigs_user(USER_ID, USER).await;
    Mock::given(method("GET"))
        .and(path(format!("/projects/{PROJECT}/sims/{SIM}/credentials")))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&app.gigs)
        .await;
    app.mock_gigs_credentials(
        SIM,
        ResponseTemplate::new(200).set_body_raw(CREDENTIALS, "application/json"),
    )
    .await;
    let id = app.deliver_event(ACTIVATED).await;

    let d = app.drive(&id).await;

    assert_eq!(d["status"], "delivered");
    assert_eq!(d["attempts"], 3);
    assert_eq!(statuses(&d).iter().filter(|s| *s == "retrying").count(), 2);
    assert_eq!(app.smtp.mails().len(), 1);
}

#[tokio::test]
async fn a_429_with_retry_after_is_not_retried_before_it() {
    let app = spawn_app().await;
    app.mock_gigs_user(USER_ID, USER).await;
    app.mock_gigs_credentials(
        SIM,
        ResponseTemplate::new(429).insert_header("retry-after", "120"),
    )
    .await;
    let id = app.deliver_event(ACTIVATED).await;
    let before = Utc::now();

    assert_eq!(app.worker.process_due().await.unwrap(), 1);

    let d = app.delivery(&id).await;
    assert_eq!(d["status"], "retrying");
    assert!(d["reason"].as_str().unwrap().contains("429"), "{d}");
    let next: DateTime<Utc> = d["nextAttemptAt"].as_str().unwrap().parse().unwrap();
    assert!(
        next >= before + chrono::Duration::seconds(120),
        "{next} is before Retry-After"
    );
    assert_eq!(app.worker.process_due().await.unwrap(), 0, "not due yet");
}

#[tokio::test]
async fn credentials_not_found_fails_without_an_email() {
    let app = spawn_app().await;
    app.mock_gigs_user(USER_ID, USER).await;
    app.mock_gigs_credentials(
        SIM,
        ResponseTemplate::new(404).set_body_raw(NOT_FOUND, "application/json"),
    )
    .await;
    let id = app.deliver_event(ACTIVATED).await;

    let d = app.drive(&id).await;

    assert_eq!(d["status"], "failed");
    assert_eq!(d["attempts"], 1);
    let reason = d["reason"].as_str().unwrap();
    assert!(
        reason.contains("404") && reason.contains("simNotFound"),
        "{reason}"
    );
    assert!(app.smtp.mails().is_empty());
}

#[tokio::test]
async fn a_user_without_email_fails_permanently() {
    let app = spawn_app().await;
    let user: Value = serde_json::from_str(USER).unwrap();
    let mut user = user;
    user["email"] = Value::Null;
    app.mock_gigs_user(USER_ID, &user.to_string()).await;
    let id = app.deliver_event(ACTIVATED).await;

    let d = app.drive(&id).await;

    assert_eq!(d["status"], "failed");
    assert!(d["reason"].as_str().unwrap().contains("no email"));
}

#[tokio::test]
async fn an_smtp_outage_is_retried_until_the_server_is_back() {
    let mut app = spawn_app().await;
    app.mock_gigs_ok().await;
    let id = app.deliver_event(ACTIVATED).await;
    let port = app.smtp.stop_accepting().await;

    app.worker.process_due().await.unwrap();
    let d = app.delivery(&id).await;
    assert_eq!(d["status"], "retrying");
    assert!(d["reason"].as_str().unwrap().contains("mail server"), "{d}");

    app.smtp.restart(port).await;
    let d = app.drive(&id).await;

    assert_eq!(d["status"], "delivered");
    assert_eq!(app.smtp.mails().len(), 1);
}

#[tokio::test]
async fn a_recipient_the_mail_server_refuses_for_good_fails_at_once() {
    let app = spawn_app().await;
    app.mock_gigs_ok().await;
    app.smtp.reject_recipients();
    let id = app.deliver_event(ACTIVATED).await;

    let d = app.drive(&id).await;

    assert_eq!(d["status"], "failed");
    assert_eq!(d["attempts"], 1);
    assert!(d["reason"].as_str().unwrap().contains("refused"), "{d}");
}

#[tokio::test]
async fn exhausted_attempts_end_failed() {
    let app = spawn_app_with(Options {
        max_attempts: 3,
        ..Options::default()
    })
    .await;
    app.mock_gigs_user(USER_ID, USER).await;
    app.mock_gigs_credentials(SIM, ResponseTemplate::new(502))
        .await;
    let id = app.deliver_event(ACTIVATED).await;

    let d = app.drive(&id).await;

    assert_eq!(d["status"], "failed");
    assert_eq!(d["attempts"], 3);
    assert!(
        d["reason"].as_str().unwrap().contains("attempts exhausted"),
        "{d}"
    );
    assert!(app.smtp.mails().is_empty());
}

#[tokio::test]
async fn a_claim_whose_lease_ran_out_is_picked_up_again() {
    let app = spawn_app().await;
    app.mock_gigs_ok().await;
    let id = app.deliver_event(ACTIVATED).await;
    // A worker claims the delivery and dies before finishing it.
    let dead = queue::claim(&app.pool, 10, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(
        app.worker.process_due().await.unwrap(),
        0,
        "the lease still holds"
    );

    sqlx::query("UPDATE deliveries SET locked_until = now() - interval '1 second'")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(app.worker.process_due().await.unwrap(), 1);

    let d = app.delivery(&id).await;
    assert_eq!(d["status"], "delivered");
    assert_eq!(d["attempts"], 2);
    let details: Vec<&str> = d["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["detail"].as_str().unwrap())
        .collect();
    assert!(
        details.iter().any(|s| s.contains("lease expired")),
        "{details:?}"
    );
    // The dead worker can neither renew the lease to send nor record a late outcome.
    assert!(
        !queue::renew(&app.pool, &dead[0], Duration::from_secs(60))
            .await
            .unwrap()
    );
    let outcome = queue::Finish {
        status: DeliveryStatus::Failed,
        reason: Some("late"),
        next_attempt_at: None,
        message_id: None,
        user_id: None,
        recipient: None,
        detail: "late",
        locale: None,
        alert: None,
        notice: None,
    };
    let late = queue::finish(&app.pool, &dead[0], &outcome).await.unwrap();
    assert!(!late);
    assert_eq!(app.delivery(&id).await["status"], "delivered");
    assert_eq!(app.smtp.mails().len(), 1);
}

async fn subject_for_locale(locale: &str) -> String {
    let app = spawn_app().await;
    let mut user: Value = serde_json::from_str(USER).unwrap();
    user["preferredLocale"] = locale.into();
    app.mock_gigs_user(USER_ID, &user.to_string()).await;
    app.mock_gigs_credentials(
        SIM,
        ResponseTemplate::new(200).set_body_raw(CREDENTIALS, "application/json"),
    )
    .await;
    let id = app.deliver_event(ACTIVATED).await;
    assert_eq!(app.drive(&id).await["status"], "delivered");
    let mail = &app.smtp.mails()[0];
    let msg = MessageParser::default().parse(&mail.data).unwrap();
    assert!(msg.body_text(0).unwrap().contains("2M-3L0MX-F8HE2"));
    msg.subject().unwrap().to_owned()
}

#[tokio::test]
async fn a_german_user_gets_the_german_email_and_an_unknown_locale_english() {
    assert_eq!(
        subject_for_locale("de-DE").await,
        "Deine eSIM von Acme Mobile ist bereit"
    );
    assert_eq!(
        subject_for_locale("ja-JP").await,
        "Your Acme Mobile eSIM is ready to install"
    );
}

#[tokio::test]
async fn a_sim_swap_finds_the_user_through_the_subscription() {
    let app = spawn_app().await;
    let new_sim = "sim_0SNlurA049MEWV9kQm2TzR8sWp1d";
    let subscription = serde_json::json!({"object": "subscription", "id": SUB, "user": {"object": "user", "id": USER_ID}});
    Mock::given(method("GET"))
        .and(path(format!("/projects/{PROJECT}/subscriptions/{SUB}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(subscription))
        .mount(&app.gigs)
        .await;
    app.mock_gigs_user(USER_ID, USER).await;
    app.mock_gigs_credentials(
        new_sim,
        ResponseTemplate::new(200).set_body_raw(CREDENTIALS, "application/json"),
    )
    .await;
    let id = app.deliver_event(CHANGE).await;

    let d = app.drive(&id).await;

    assert_eq!(d["status"], "delivered");
    assert_eq!(d["user"], USER_ID);
    assert_eq!(app.smtp.mails()[0].rcpt_to, ["jerry@example.com"]);
}

#[tokio::test]
async fn resend_sends_a_second_email_linked_to_the_first() {
    let app = spawn_app().await;
    app.mock_gigs_ok().await;
    let first = app.deliver_event(ACTIVATED).await;
    app.drive(&first).await;

    let response = app.post(&format!("/deliveries/{first}/resend")).await;

    assert_eq!(response.status(), 202);
    let resent: Value = response.json().await.unwrap();
    let second = resent["id"].as_str().unwrap();
    assert_ne!(second, first);
    assert_eq!(resent["resendOf"], first.as_str());
    assert_eq!(resent["status"], "pending");
    assert_eq!(resent["sim"], SIM);
    let d = app.drive(second).await;
    assert_eq!(d["status"], "delivered");
    assert_eq!(app.smtp.mails().len(), 2);
    let original = app.delivery(&first).await;
    let details = original["history"].to_string();
    assert!(
        details.contains(&format!("resent as {second}")),
        "{details}"
    );
    let listed: Value = app
        .get(&format!("/deliveries?sim={SIM}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn resend_of_an_unknown_delivery_is_404() {
    let app = spawn_app().await;
    let response = app.post("/deliveries/dlv_nothere/resend").await;
    assert_eq!(response.status(), 404);
}
