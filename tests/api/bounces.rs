//! Bounces from SES (through SNS), Postmark and Resend; suppressions; alerts.
use std::{path::PathBuf, process::Command, time::Duration};

use base64::{Engine, engine::general_purpose::STANDARD as B64};
use esim_courier::{
    alerts::AlertSender,
    bounces::sns::{SnsMessage, string_to_sign},
};
use serde_json::{Value, json};
use wiremock::{
    Mock, ResponseTemplate,
    matchers::{method, path, path_regex},
};

use crate::helpers::*;

const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:esim-courier-bounces";

fn bounce_app_settings(s: &mut esim_courier::config::Settings, gigs: &str) {
    s.bounces.sns_topic_arns = vec![TOPIC.into()];
    let certs = esim_courier::bounces::sns::CertPrefix::parse(&format!("{gigs}/certs/"));
    s.bounces.sns_cert_prefixes = vec![certs.unwrap()];
    s.bounces.basic_auth = Some(("postmark".into(), "pm-pass".into()));
    s.bounces.secrets = vec![esim_courier::domain::WebhookSecret::parse(SECRET).unwrap()];
    s.operations.alert_url = Some(format!("{gigs}/alerts").parse().unwrap());
}

async fn bounce_app() -> TestApp {
    spawn_app_with(Options {
        tweak: bounce_app_settings,
        ..Options::default()
    })
    .await
}

/// A self-signed signing certificate made for this test, served where the app may fetch it.
struct Signer {
    dir: PathBuf,
}

impl Signer {
    async fn serve(app: &TestApp) -> Self {
        let dir = temp_dir("sns");
        let made = Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            ])
            .args(["-subj", "/CN=sns.test", "-keyout"])
            .arg(dir.join("key.pem"))
            .arg("-out")
            .arg(dir.join("cert.pem"))
            .output()
            .expect("openssl runs");
        assert!(
            made.status.success(),
            "{}",
            String::from_utf8_lossy(&made.stderr)
        );
        let cert = std::fs::read(dir.join("cert.pem")).unwrap();
        Mock::given(method("GET"))
            .and(path("/certs/sns.pem"))
            .respond_with(ResponseTemplate::new(200).set_body_bytes(cert))
            .mount(&app.gigs)
            .await;
        Self { dir }
    }

    /// An SNS message for `fields`, signed (SignatureVersion 2) with this test's key.
    fn sign(&self, app: &TestApp, fields: Value) -> String {
        self.sign_as(app, fields, "2")
    }

    /// SignatureVersion 1 is SHA-1, 2 is SHA-256.
    fn sign_as(&self, app: &TestApp, mut fields: Value, version: &str) -> String {
        fields["SignatureVersion"] = version.into();
        fields["SigningCertURL"] = format!("{}/certs/sns.pem", app.gigs.uri()).into();
        fields["Signature"] = "".into();
        let message: SnsMessage = serde_json::from_value(fields.clone()).unwrap();
        let text = self.dir.join("to-sign.txt");
        std::fs::write(&text, string_to_sign(&message).unwrap()).unwrap();
        let out = Command::new("openssl")
            .args([
                "dgst",
                if version == "1" { "-sha1" } else { "-sha256" },
                "-sign",
            ])
            .arg(self.dir.join("key.pem"))
            .arg(&text)
            .output()
            .unwrap();
        assert!(out.status.success());
        fields["Signature"] = B64.encode(out.stdout).into();
        fields.to_string()
    }
}

/// An SNS `Timestamp` this many seconds from now (SNS refuses nothing; we refuse stale).
fn sns_time(from_now: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(from_now))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn ses_bounce(bounce_type: &str, message_id: &str) -> Value {
    let ses = json!({
        "notificationType": "Bounce",
        "bounce": {"bounceType": bounce_type, "bounceSubType": "General",
            "bouncedRecipients": [{"emailAddress": "jerry@example.com",
                "diagnosticCode": "smtp; 550 5.1.1 user unknown"}]},
        "mail": {"messageId": "ses-id", "commonHeaders": {"messageId": message_id}},
    });
    json!({
        "Type": "Notification", "MessageId": format!("msg-{bounce_type}"), "TopicArn": TOPIC,
        "Message": ses.to_string(), "Timestamp": sns_time(0),
    })
}

async fn post_bounce(app: &TestApp, provider: &str, body: String) -> reqwest::Response {
    let mut req = app
        .client
        .post(format!("{}/webhooks/bounces/{provider}", app.address))
        .header("content-type", "text/plain; charset=UTF-8");
    // SNS names the message's type and topic in headers too, as AWS sends them.
    if let Ok(sns) = serde_json::from_str::<Value>(&body) {
        for (header, field) in [
            ("x-amz-sns-message-type", "Type"),
            ("x-amz-sns-topic-arn", "TopicArn"),
        ] {
            if let Some(v) = sns[field].as_str() {
                req = req.header(header, v);
            }
        }
    }
    req.body(body).send().await.unwrap()
}

async fn delivered(app: &TestApp) -> (String, String) {
    app.mock_gigs_ok().await;
    let id = app.deliver_event(ACTIVATED).await;
    let d = app.drive(&id).await;
    (id, d["messageId"].as_str().unwrap().to_owned())
}

async fn alerts_received(app: &TestApp) -> Vec<Value> {
    let requests = app.gigs.received_requests().await.unwrap_or_default();
    requests
        .iter()
        .filter(|r| r.url.path() == "/alerts")
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

#[tokio::test]
async fn an_ses_hard_bounce_marks_the_delivery_suppresses_the_address_and_alerts() {
    let app = bounce_app().await;
    let signer = Signer::serve(&app).await;
    Mock::given(method("POST"))
        .and(path("/alerts"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&app.gigs)
        .await;
    let (id, message_id) = delivered(&app).await;

    // Forged: the right fields, the signature of other ones.
    let mut forged: Value =
        serde_json::from_str(&signer.sign(&app, ses_bounce("Transient", &message_id))).unwrap();
    forged["Message"] = ses_bounce("Permanent", &message_id)["Message"].clone();
    let response = post_bounce(&app, "ses", forged.to_string()).await;
    assert_eq!(response.status(), 401);
    assert_eq!(app.delivery(&id).await["status"], "delivered");

    // SignatureVersion 1 (SHA-1) is verified too.
    let soft = signer.sign_as(&app, ses_bounce("Transient", &message_id), "1");
    assert_eq!(post_bounce(&app, "ses", soft).await.status(), 200);
    let d = app.delivery(&id).await;
    assert_eq!(d["status"], "delivered");
    assert!(
        d["history"].to_string().contains("soft bounce (ses)"),
        "{d}"
    );

    let hard = signer.sign(&app, ses_bounce("Permanent", &message_id));
    let response = post_bounce(&app, "ses", hard).await;
    assert_eq!(response.status(), 200);
    let d = app.delivery(&id).await;
    assert_eq!(d["status"], "bounced");
    assert_eq!(d["reason"], "bounced (ses): smtp; 550 5.1.1 user unknown");
    let list: Value = app.get("/suppressions").await.json().await.unwrap();
    assert_eq!(list["items"][0]["email"], "jerry@example.com");
    assert_eq!(list["items"][0]["delivery"], id.as_str());

    let sender = AlertSender::new(
        app.pool.clone(),
        format!("{}/alerts", app.gigs.uri()).parse().unwrap(),
        app.worker_metrics(),
    )
    .unwrap();
    sender.send_due().await.unwrap();
    let alerts = alerts_received(&app).await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0]["kind"], "bounced");
    assert_eq!(alerts[0]["delivery"], id.as_str());
    assert!(
        !alerts[0]["text"].as_str().unwrap().contains("jerry@"),
        "masked"
    );
    assert!(
        !alerts[0].to_string().contains("2M-3L0MX"),
        "no credentials"
    );

    let mut foreign: Value =
        serde_json::from_str(&signer.sign(&app, ses_bounce("Permanent", &message_id))).unwrap();
    foreign["TopicArn"] = "arn:aws:sns:us-east-1:999999999999:someone-else".into();
    assert_eq!(
        post_bounce(&app, "ses", foreign.to_string()).await.status(),
        403
    );
}

#[tokio::test]
async fn an_sns_subscription_is_confirmed_by_visiting_its_url() {
    let app = bounce_app().await;
    let signer = Signer::serve(&app).await;
    Mock::given(method("GET"))
        .and(path("/certs/confirm"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&app.gigs)
        .await;
    let confirmation = json!({
        "Type": "SubscriptionConfirmation", "MessageId": "m1", "Token": "tok", "TopicArn": TOPIC,
        "Message": "You have chosen to subscribe.",
        "SubscribeURL": format!("{}/certs/confirm", app.gigs.uri()),
        "Timestamp": sns_time(0),
    });

    let response = post_bounce(&app, "ses", signer.sign(&app, confirmation)).await;

    assert_eq!(response.status(), 200);
    app.gigs.verify().await;
}

#[tokio::test]
async fn postmark_needs_its_credentials_and_matches_by_our_delivery_id() {
    let app = bounce_app().await;
    let (id, _) = delivered(&app).await;
    let mut body: Value =
        serde_json::from_str(include_str!("../fixtures/bounces/postmark.bounce.json")).unwrap();
    body["Metadata"]["delivery"] = id.clone().into();
    body["Email"] = "someone-else@example.com".into();
    let post = |auth: &'static str| {
        app.client
            .post(format!("{}/webhooks/bounces/postmark", app.address))
            .header("authorization", format!("Basic {}", B64.encode(auth)))
            .json(&body)
            .send()
    };

    let wrong = post("postmark:guess").await.unwrap();
    assert_eq!(wrong.status(), 401);
    assert_eq!(app.delivery(&id).await["status"], "delivered");

    assert_eq!(post("postmark:pm-pass").await.unwrap().status(), 200);
    let d = app.delivery(&id).await;
    assert_eq!(d["status"], "bounced");
    assert!(
        d["reason"]
            .as_str()
            .unwrap()
            .starts_with("bounced (postmark)")
    );
    // The sent message carried the delivery id for Postmark to echo.
    let raw = String::from_utf8_lossy(&app.smtp.mails()[0].data).into_owned();
    assert!(
        raw.contains(&format!("X-PM-Metadata-delivery: {id}")),
        "{raw}"
    );
}

#[tokio::test]
async fn resend_bounces_are_standard_webhooks_signed_and_matched_by_recipient() {
    let app = bounce_app().await;
    let (id, _) = delivered(&app).await;
    let body = include_str!("../fixtures/bounces/resend.bounce.json");
    let ts = now();
    let send = |signature: String| {
        app.client
            .post(format!("{}/webhooks/bounces/resend", app.address))
            .header("svix-id", "msg_resend")
            .header("svix-timestamp", ts.to_string())
            .header("svix-signature", signature)
            .body(body)
            .send()
    };
    assert_eq!(
        send(signature("msg_other", ts, body))
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        send(signature("msg_resend", ts, body))
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(app.delivery(&id).await["status"], "bounced");
}

#[tokio::test]
async fn an_unconfigured_provider_is_404() {
    let app = spawn_app().await;
    let response = post_bounce(&app, "ses", "{}".into()).await;
    assert_eq!(response.status(), 404);
    assert_eq!(
        post_bounce(&app, "sendgrid", "{}".into()).await.status(),
        404
    );
}

#[tokio::test]
async fn a_suppressed_address_is_skipped_until_it_is_removed() {
    let app = bounce_app().await;
    let (id, _) = delivered(&app).await;
    sqlx::query("INSERT INTO suppressions (email, reason, provider) VALUES ('jerry@example.com', 'bounced (ses): 550', 'ses')")
        .execute(&app.pool)
        .await
        .unwrap();

    let resent: Value = app
        .post(&format!("/deliveries/{id}/resend"))
        .await
        .json()
        .await
        .unwrap();
    let second = resent["id"].as_str().unwrap().to_owned();
    let d = app.drive(&second).await;
    assert_eq!(d["status"], "skipped");
    assert!(d["reason"].as_str().unwrap().contains("suppressed"), "{d}");

    let removed = app
        .client
        .delete(format!("{}/suppressions/Jerry@Example.com", app.address))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 204);
    sqlx::query("UPDATE deliveries SET created_at = created_at - interval '1 hour'")
        .execute(&app.pool)
        .await
        .unwrap();
    let third: Value = app
        .post(&format!("/deliveries/{second}/resend"))
        .await
        .json()
        .await
        .unwrap();
    let d = app.drive(third["id"].as_str().unwrap()).await;
    assert_eq!(d["status"], "delivered");
    assert_eq!(app.smtp.mails().len(), 2);
}

#[tokio::test]
async fn a_receiver_that_is_down_delays_alerts_never_deliveries() {
    let app = bounce_app().await;
    Mock::given(method("POST"))
        .and(path("/alerts"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&app.gigs)
        .await;
    app.mock_gigs_user(USER_ID, USER).await;
    app.mock_gigs_credentials(
        SIM,
        ResponseTemplate::new(404).set_body_raw(NOT_FOUND, "application/json"),
    )
    .await;
    let failing = app.worker_with_alerts();
    let id = app.deliver_event(ACTIVATED).await;
    failing.process_due().await.unwrap();
    assert_eq!(app.delivery(&id).await["status"], "failed");

    let sender = AlertSender::new(
        app.pool.clone(),
        format!("{}/alerts", app.gigs.uri()).parse().unwrap(),
        app.worker_metrics(),
    )
    .unwrap();
    assert_eq!(sender.send_due().await.unwrap().accepted, 0);
    let (attempts, sent): (i32, bool) =
        sqlx::query_as("SELECT attempts, sent_at IS NOT NULL FROM alerts WHERE kind = 'failed'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!((attempts, sent), (1, false), "kept for a later try");

    app.gigs.reset().await;
    Mock::given(method("POST"))
        .and(path("/alerts"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&app.gigs)
        .await;
    sqlx::query("UPDATE alerts SET next_attempt_at = now()")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        sender.send_due().await.unwrap().accepted,
        1,
        "retried once the receiver is back"
    );
    let alerts = alerts_received(&app).await;
    assert_eq!(alerts[0]["kind"], "failed");
    let _ = Duration::ZERO;
}

/// GETs the app made to the fake Gigs (which also serves the certificates) under `prefix`.
async fn fetched(app: &TestApp, prefix: &str) -> usize {
    let requests = app.gigs.received_requests().await.unwrap_or_default();
    requests
        .iter()
        .filter(|r| r.method.as_str() == "GET" && r.url.path().starts_with(prefix))
        .count()
}

#[tokio::test]
async fn a_stale_or_future_sns_message_is_refused_before_any_certificate_fetch() {
    let app = bounce_app().await;
    let signer = Signer::serve(&app).await;
    let (id, message_id) = delivered(&app).await;

    for from_now in [-3601, -30 * 86_400, 301] {
        let mut bounce = ses_bounce("Permanent", &message_id);
        bounce["Timestamp"] = sns_time(from_now).into();
        let response = post_bounce(&app, "ses", signer.sign(&app, bounce)).await;
        assert_eq!(response.status(), 400, "{from_now} s");
        let body = response.text().await.unwrap();
        assert!(
            body.contains("hour old") || body.contains("ahead"),
            "{body}"
        );
    }

    assert_eq!(fetched(&app, "/certs/").await, 0, "no certificate fetched");
    assert_eq!(app.delivery(&id).await["status"], "delivered");
}

#[tokio::test]
async fn a_certificate_or_subscribe_url_stepping_out_of_its_prefix_is_refused_without_a_fetch() {
    let app = bounce_app().await;
    let signer = Signer::serve(&app).await;
    // Outside the prefix, a certificate that would verify: only the URL check stops it.
    let cert = std::fs::read(signer.dir.join("cert.pem")).unwrap();
    Mock::given(method("GET"))
        .and(path_regex("^/(evil|certs%2fevil).*"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(cert))
        .mount(&app.gigs)
        .await;
    let (id, message_id) = delivered(&app).await;
    let base = app.gigs.uri();
    for escape in [
        "/certs/../evil/sns.pem",
        "/certs/%2e%2e/evil/sns.pem",
        "/certs/%2E%2e/evil/sns.pem",
        "/certs/..%2fevil/sns.pem",
        "/certs/%2e%2e%2fevil/sns.pem",
    ] {
        let mut signed: Value =
            serde_json::from_str(&signer.sign(&app, ses_bounce("Permanent", &message_id))).unwrap();
        signed["SigningCertURL"] = format!("{base}{escape}").into();
        let response = post_bounce(&app, "ses", signed.to_string()).await;
        assert_eq!(response.status(), 401, "{escape}");
    }
    let confirmation = json!({
        "Type": "SubscriptionConfirmation", "MessageId": "m2", "Token": "tok", "TopicArn": TOPIC,
        "Message": "You have chosen to subscribe.",
        "SubscribeURL": format!("{base}/certs/%2e%2e/evil/confirm"),
        "Timestamp": sns_time(0),
    });
    let response = post_bounce(&app, "ses", signer.sign(&app, confirmation)).await;
    assert_eq!(response.status(), 401);

    let requests = app.gigs.received_requests().await.unwrap_or_default();
    let outside: Vec<_> = requests
        .iter()
        .filter(|r| r.url.path().contains("evil"))
        .map(|r| r.url.to_string())
        .collect();
    assert!(
        outside.is_empty(),
        "fetched outside the prefix: {outside:?}"
    );
    assert_eq!(app.delivery(&id).await["status"], "delivered");
}

#[tokio::test]
async fn certificate_fetches_are_capped_in_size_and_limited_to_five_a_minute() {
    let app = bounce_app().await;
    let signer = Signer::serve(&app).await;
    let cert = std::fs::read(signer.dir.join("cert.pem")).unwrap();
    Mock::given(method("GET"))
        .and(path_regex("^/certs/n[0-9]+\\.pem$"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(cert))
        .mount(&app.gigs)
        .await;
    Mock::given(method("GET"))
        .and(path("/certs/big.pem"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![b'A'; 1 << 20]))
        .mount(&app.gigs)
        .await;
    let (_, message_id) = delivered(&app).await;
    let at = |cert: &str| {
        let mut signed: Value =
            serde_json::from_str(&signer.sign(&app, ses_bounce("Transient", &message_id))).unwrap();
        signed["SigningCertURL"] = format!("{}/certs/{cert}", app.gigs.uri()).into();
        signed.to_string()
    };

    let big = post_bounce(&app, "ses", at("big.pem")).await;
    assert_eq!(big.status(), 503, "a megabyte is not a certificate");
    for n in 1..=4 {
        let response = post_bounce(&app, "ses", at(&format!("n{n}.pem"))).await;
        assert_eq!(response.status(), 200, "fetch {n}");
    }
    let over = post_bounce(&app, "ses", at("n5.pem")).await;
    assert_eq!(over.status(), 503, "a sixth new certificate in a minute");

    assert_eq!(fetched(&app, "/certs/").await, 5);
    let cached = post_bounce(&app, "ses", at("n1.pem")).await;
    assert_eq!(cached.status(), 200, "a cached certificate needs no fetch");
    assert_eq!(fetched(&app, "/certs/").await, 5);
}

#[tokio::test]
async fn an_ses_bounce_is_matched_by_our_delivery_header_when_ses_rewrote_the_message_id() {
    let app = bounce_app().await;
    let signer = Signer::serve(&app).await;
    let (id, _) = delivered(&app).await;
    let ses = json!({
        "notificationType": "Bounce",
        "bounce": {"bounceType": "Permanent", "bounceSubType": "General",
            "bouncedRecipients": [{"emailAddress": "forwarded@elsewhere.example",
                "diagnosticCode": "smtp; 550 5.1.1 user unknown"}]},
        "mail": {"messageId": "ses-id",
            "headers": [{"name": "X-PM-Metadata-delivery", "value": id.as_str()}],
            "commonHeaders": {"messageId": "<0100018c-rewritten@email.amazonses.com>"}},
    });
    let notification = json!({
        "Type": "Notification", "MessageId": "msg-header", "TopicArn": TOPIC,
        "Message": ses.to_string(), "Timestamp": sns_time(0),
    });

    let response = post_bounce(&app, "ses", signer.sign(&app, notification)).await;

    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["bounced"], 1, "{answer}");
    assert_eq!(app.delivery(&id).await["status"], "bounced");
}

#[tokio::test]
async fn a_bounce_of_an_email_sent_before_a_suppression_was_lifted_does_not_suppress_again() {
    let app = bounce_app().await;
    let (id, _) = delivered(&app).await;
    let postmark = |delivery: &str| {
        let mut body: Value =
            serde_json::from_str(include_str!("../fixtures/bounces/postmark.bounce.json")).unwrap();
        body["Metadata"]["delivery"] = delivery.into();
        body["Email"] = "jerry@example.com".into();
        app.client
            .post(format!("{}/webhooks/bounces/postmark", app.address))
            .header(
                "authorization",
                format!("Basic {}", B64.encode("postmark:pm-pass")),
            )
            .json(&body)
            .send()
    };
    let suppressed = || async {
        let list: Value = app.get("/suppressions").await.json().await.unwrap();
        list["items"].as_array().unwrap().len()
    };
    assert_eq!(postmark(&id).await.unwrap().status(), 200);
    assert_eq!(suppressed().await, 1);
    let lifted = app
        .client
        .delete(format!("{}/suppressions/jerry@example.com", app.address))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(lifted.status(), 204);

    // The same notification again (a replay, or the provider's late retry).
    assert_eq!(postmark(&id).await.unwrap().status(), 200);
    assert_eq!(suppressed().await, 0, "the lifting holds");

    // An email sent after the lifting that bounces suppresses the address again.
    let resent: Value = app
        .post(&format!("/deliveries/{id}/resend"))
        .await
        .json()
        .await
        .unwrap();
    let second = resent["id"].as_str().unwrap().to_owned();
    assert_eq!(app.drive(&second).await["status"], "delivered");
    assert_eq!(postmark(&second).await.unwrap().status(), 200);
    assert_eq!(suppressed().await, 1);
}
