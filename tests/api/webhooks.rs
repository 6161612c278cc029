//! `POST /webhooks/gigs`: what is accepted, what is refused, and what each writes.
use serde_json::Value;

use crate::helpers::*;

async fn rows(app: &TestApp) -> (i64, i64, i64) {
    (
        app.count("webhook_events").await,
        app.count("deliveries").await,
        app.count("delivery_history").await,
    )
}

#[tokio::test]
async fn a_signed_activation_is_recorded_with_a_pending_delivery() {
    let app = spawn_app().await;

    let response = app.post_webhook("msg_1", ACTIVATED).await;

    assert_eq!(response.status(), 200);
    let json: Value = response.json().await.unwrap();
    assert_eq!(json["received"], true);
    assert_eq!(json["duplicate"], false);
    let id = json["delivery"].as_str().unwrap();
    assert!(id.starts_with("dlv_"));
    let d = app.delivery(id).await;
    assert_eq!(d["status"], "pending");
    assert_eq!(d["sim"], SIM);
    assert_eq!(d["subscription"], SUB);
    assert_eq!(d["user"], USER_ID);
    assert_eq!(d["recipient"], "jerry@example.com");
    assert_eq!(d["event"]["id"], "evt_0SNlurA049MEWV5gNTcQ5A07h3Ol");
    assert_eq!(d["event"]["type"], "com.gigs.subscription.activated");
    assert_eq!(d["history"].as_array().unwrap().len(), 1);
    assert_eq!(rows(&app).await, (1, 1, 1));
}

#[tokio::test]
async fn the_same_webhook_twice_is_one_row_and_one_delivery() {
    let app = spawn_app().await;
    let first: Value = app
        .post_webhook("msg_1", ACTIVATED)
        .await
        .json()
        .await
        .unwrap();

    let response = app.post_webhook("msg_1", ACTIVATED).await;

    assert_eq!(response.status(), 200);
    let second: Value = response.json().await.unwrap();
    assert_eq!(second["duplicate"], true);
    assert_eq!(second["delivery"], first["delivery"]);
    assert_eq!(rows(&app).await, (1, 1, 1));
}

#[tokio::test]
async fn the_same_event_under_a_new_webhook_id_is_a_duplicate() {
    let app = spawn_app().await;
    let first: Value = app
        .post_webhook("msg_1", ACTIVATED)
        .await
        .json()
        .await
        .unwrap();

    let second: Value = app
        .post_webhook("msg_2", ACTIVATED)
        .await
        .json()
        .await
        .unwrap();

    assert_eq!(second["duplicate"], true);
    assert_eq!(second["delivery"], first["delivery"]);
    assert_eq!(rows(&app).await, (1, 1, 1));
}

#[tokio::test]
async fn a_second_event_for_the_same_sim_does_not_create_a_second_email() {
    let app = spawn_app().await;
    let first = app.deliver_event(ACTIVATED).await;
    let again = event_with(ACTIVATED, "evt_second", SIM, |_| {});

    let response: Value = app
        .post_webhook("msg_2", &again)
        .await
        .json()
        .await
        .unwrap();

    assert_eq!(response["duplicate"], false);
    assert_eq!(response["delivery"], first.as_str());
    assert_eq!(app.count("webhook_events").await, 2);
    assert_eq!(app.count("deliveries").await, 1);
}

#[tokio::test]
async fn forged_stale_and_future_webhooks_get_401_and_write_nothing() {
    let app = spawn_app().await;
    let ts = now();
    let good = signature("msg_1", ts, ACTIVATED);
    let forged = signature("msg_1", ts, &ACTIVATED.replace("jerry", "mallory"));
    let cases = [
        ("forged", ts.to_string(), forged),
        (
            "stale",
            (ts - 301).to_string(),
            signature("msg_1", ts - 301, ACTIVATED),
        ),
        // Well past the 300 s window: a second ticking between here and the server's
        // check must not bring it back inside.
        (
            "future",
            (ts + 330).to_string(),
            signature("msg_1", ts + 330, ACTIVATED),
        ),
        (
            "truncated",
            ts.to_string(),
            good[..good.len() - 6].to_owned(),
        ),
        (
            "foreign version",
            ts.to_string(),
            good.replace("v1,", "v2,"),
        ),
    ];
    for (name, timestamp, sig) in cases {
        let headers = [
            ("webhook-id", "msg_1".to_owned()),
            ("webhook-timestamp", timestamp),
            ("webhook-signature", sig),
        ];
        let response = app
            .post_webhook_raw(&headers, ACTIVATED.as_bytes().to_vec())
            .await;
        assert_eq!(response.status(), 401, "{name}");
        let json: Value = response.json().await.unwrap();
        assert_eq!(json["object"], "error", "{name}");
        assert_eq!(json["type"], "invalidSignature", "{name}");
    }
    assert_eq!(rows(&app).await, (0, 0, 0));
}

#[tokio::test]
async fn missing_or_malformed_headers_and_bodies_get_400() {
    let app = spawn_app().await;
    let ts = now();
    let sig = signature("msg_1", ts, ACTIVATED);
    let all = [
        ("webhook-id", "msg_1".to_owned()),
        ("webhook-timestamp", ts.to_string()),
        ("webhook-signature", sig),
    ];
    for missing in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
        let headers: Vec<_> = all.iter().filter(|(k, _)| *k != missing).cloned().collect();
        let response = app
            .post_webhook_raw(&headers, ACTIVATED.as_bytes().to_vec())
            .await;
        assert_eq!(response.status(), 400, "without {missing}");
        let json: Value = response.json().await.unwrap();
        assert!(json["message"].as_str().unwrap().contains(missing));
    }
    let bad_ts = [
        ("webhook-id", "msg_1".to_owned()),
        ("webhook-timestamp", "-5".to_owned()),
        ("webhook-signature", all[2].1.clone()),
    ];
    let response = app
        .post_webhook_raw(&bad_ts, ACTIVATED.as_bytes().to_vec())
        .await;
    assert_eq!(response.status(), 400);

    for body in ["not json", "[1,2,3]", r#"{"object":"event","id":"evt_1"}"#] {
        let response = app.post_webhook("msg_bad", body).await;
        assert_eq!(response.status(), 400, "{body}");
        let json: Value = response.json().await.unwrap();
        assert_eq!(json["type"], "invalidPayload");
    }
    assert_eq!(rows(&app).await, (0, 0, 0));
}

#[tokio::test]
async fn svix_header_names_are_accepted() {
    let app = spawn_app().await;
    let ts = now();
    let headers = [
        ("svix-id", "msg_svix".to_owned()),
        ("svix-timestamp", ts.to_string()),
        ("svix-signature", signature("msg_svix", ts, ACTIVATED)),
    ];

    let response = app
        .post_webhook_raw(&headers, ACTIVATED.as_bytes().to_vec())
        .await;

    assert_eq!(response.status(), 200);
    assert_eq!(rows(&app).await.1, 1);
}

#[tokio::test]
async fn a_body_over_one_mebibyte_gets_413() {
    let app = spawn_app().await;
    let body = format!(
        r#"{{"object":"event","id":"evt_big","type":"x","pad":"{}"}}"#,
        "a".repeat(1024 * 1024)
    );

    let response = app.post_webhook("msg_big", &body).await;

    assert_eq!(response.status(), 413);
    let json: Value = response.json().await.unwrap();
    assert_eq!(json["type"], "payloadTooLarge");
    assert_eq!(rows(&app).await, (0, 0, 0));
}

#[tokio::test]
async fn other_event_types_are_recorded_without_a_delivery() {
    let app = spawn_app().await;
    let body = event_with(ACTIVATED, "evt_other", SIM, |v| {
        v["type"] = "com.gigs.user.updated".into()
    });

    let json: Value = app.post_webhook("msg_1", &body).await.json().await.unwrap();

    assert_eq!(json["delivery"], Value::Null);
    assert_eq!(json["duplicate"], false);
    assert_eq!(rows(&app).await, (1, 0, 0));
}

#[tokio::test]
async fn a_psim_or_missing_sim_gives_a_skipped_delivery_with_a_reason() {
    let app = spawn_app().await;
    let psim = event_with(ACTIVATED, "evt_psim", "sim_psim", |v| {
        v["data"]["sim"]["type"] = "pSIM".into()
    });
    let no_sim = event_with(ACTIVATED, "evt_nosim", "x", |v| {
        v["data"]["sim"] = Value::Null
    });

    for (body, reason) in [(psim, "pSIM"), (no_sim, "no SIM")] {
        let id = app.deliver_event(&body).await;
        let d = app.delivery(&id).await;
        assert_eq!(d["status"], "skipped");
        assert!(d["reason"].as_str().unwrap().contains(reason), "{d}");
    }
}

#[tokio::test]
async fn a_sim_swap_creates_a_delivery_for_the_new_sim() {
    let app = spawn_app().await;

    let id = app.deliver_event(CHANGE).await;

    let d = app.delivery(&id).await;
    assert_eq!(d["status"], "pending");
    assert_eq!(d["sim"], "sim_0SNlurA049MEWV9kQm2TzR8sWp1d");
    assert_eq!(d["subscription"], SUB);
    assert_eq!(d["user"], Value::Null);
}

#[tokio::test]
async fn trigger_events_of_another_project_are_not_acted_on() {
    let app = spawn_app().await;
    let body = event_with(ACTIVATED, "evt_other_project", "sim_x", |v| {
        v["project"] = "someone-else".into()
    });

    let json: Value = app.post_webhook("msg_1", &body).await.json().await.unwrap();

    assert_eq!(json["delivery"], Value::Null);
    assert_eq!(rows(&app).await, (1, 0, 0));
}

#[tokio::test]
async fn an_unreachable_database_gets_503_never_2xx() {
    let app = spawn_app().await;
    // Drop the database under the running app, closing its connections.
    let name = app.db_url.rsplit('/').next().unwrap().to_owned();
    let mut admin =
        <sqlx::PgConnection as sqlx::Connection>::connect(&format!("{}/postgres", pg_base()))
            .await
            .unwrap();
    sqlx::query(&format!(r#"DROP DATABASE "{name}" WITH (FORCE)"#))
        .execute(&mut admin)
        .await
        .unwrap();

    let response = app.post_webhook("msg_1", ACTIVATED).await;

    assert_eq!(response.status(), 503);
    let json: Value = response.json().await.unwrap();
    assert_eq!(json["type"], "serviceUnavailable");
    let ready = app.get_anonymous("/readyz").await;
    assert_eq!(ready.status(), 503);
}

#[tokio::test]
async fn a_database_that_never_answers_gets_503() {
    let app = spawn_app_on_dead_database().await;

    let response = app.post_webhook("msg_1", ACTIVATED).await;

    assert_eq!(response.status(), 503);
}
