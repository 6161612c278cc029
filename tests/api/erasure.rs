//! Erasure that holds: queued deliveries of an erased user never bring their address back,
//! and suppressions are found by user even after retention cleared the deliveries.
use std::time::Duration;

use esim_courier::{
    domain::DeliveryStatus,
    store::queue::{self, Finish},
};
use serde_json::{Value, json};

use crate::helpers::*;

async fn erase(app: &TestApp, user: &str) -> Value {
    let r = app
        .call_as(
            TOKEN,
            reqwest::Method::POST,
            "/erasures",
            Some(json!({ "user": user })),
        )
        .await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

/// Every place an address could be kept, as text.
async fn addresses_anywhere(app: &TestApp) -> String {
    app.rows_as_text(&[
        "deliveries",
        "delivery_history",
        "webhook_events",
        "suppressions",
        "alerts",
        "audit_log",
    ])
    .await
}

#[tokio::test]
async fn erasing_a_user_with_queued_deliveries_leaves_no_address_after_they_run() {
    let app = spawn_app().await;
    app.mock_gigs_ok().await;
    for i in 0..5 {
        let body = event_with(
            ACTIVATED,
            &format!("evt_q{i}"),
            &format!("sim_q{i}"),
            |_| {},
        );
        app.deliver_event(&body).await;
    }
    // One of them is in a worker's hands right now.
    let held = queue::claim(&app.pool, 1, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(held.len(), 1);

    let answer = erase(&app, USER_ID).await;
    assert_eq!(answer["cancelled"], 5, "{answer}");
    // The worker holding one finishes after the erasure: its outcome is refused.
    let late = Finish {
        status: DeliveryStatus::Delivered,
        reason: None,
        next_attempt_at: None,
        message_id: Some("<late@acme.example>"),
        user_id: None,
        recipient: Some("jerry@example.com"),
        detail: "accepted by the mail server for j***@example.com",
        locale: Some("en"),
        alert: None,
        notice: None,
    };
    assert!(!queue::finish(&app.pool, &held[0], &late).await.unwrap());
    while app.worker.process_due().await.unwrap() > 0 {}

    assert!(
        app.smtp.mails().is_empty(),
        "nothing went to the erased user"
    );
    let kept = addresses_anywhere(&app).await;
    assert!(!kept.contains("jerry@"), "an address survived: {kept}");
    assert!(!kept.contains("Jerry Seinfeld"));
    let statuses: Vec<String> = sqlx::query_scalar("SELECT DISTINCT status FROM deliveries")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    assert_eq!(statuses, ["skipped"]);
}

#[tokio::test]
async fn after_retention_erasure_still_lifts_the_users_suppression() {
    let app = spawn_app().await;
    app.mock_gigs_ok().await;
    let id = app.deliver_event(ACTIVATED).await;
    app.drive(&id).await;
    // A hard bounce suppressed the address; the suppression knows whose it was.
    sqlx::query(
        "INSERT INTO suppressions (email, reason, provider, delivery_id, user_id)
         VALUES ('jerry@example.com', 'bounced', 'ses', $1, $2)",
    )
    .bind(&id)
    .bind(USER_ID)
    .execute(&app.pool)
    .await
    .unwrap();
    sqlx::query("UPDATE deliveries SET created_at = now() - interval '100 days'")
        .execute(&app.pool)
        .await
        .unwrap();
    let keep = Duration::from_secs(90 * 86_400);
    esim_courier::operations::run_retention(&app.pool, keep, &app.worker_metrics()).await;
    assert!(
        app.delivery(&id).await["recipient"].is_null(),
        "retention ran"
    );

    let answer = erase(&app, USER_ID).await;

    assert_eq!(answer["suppressions"], 1, "{answer}");
    assert_eq!(app.count("suppressions").await, 0);
    let bad = app
        .call_as(
            TOKEN,
            reqwest::Method::POST,
            "/erasures",
            Some(json!({"user": "alice"})),
        )
        .await;
    assert_eq!(bad.status(), 400, "not a Gigs user id");
}
