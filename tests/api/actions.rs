//! Operator actions: bulk retry with its cap, erasure of one user, retention.
use serde_json::{Value, json};
use wiremock::ResponseTemplate;

use crate::helpers::*;

async fn post_json(app: &TestApp, path: &str, body: Value) -> reqwest::Response {
    app.client
        .post(format!("{}{path}", app.address))
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn bulk_retry_resends_each_failed_delivery_once() {
    let app = spawn_app().await;
    app.mock_gigs_user(USER_ID, USER).await;
    let sims = ["sim_bulk1", "sim_bulk2", "sim_bulk3"];
    let mut failed = Vec::new();
    for (i, sim) in sims.iter().enumerate() {
        app.mock_gigs_credentials(
            sim,
            ResponseTemplate::new(404).set_body_raw(NOT_FOUND, "application/json"),
        )
        .await;
        let id = app
            .deliver_event(&event_with(ACTIVATED, &format!("evt_bulk{i}"), sim, |_| {}))
            .await;
        assert_eq!(app.drive(&id).await["status"], "failed");
        failed.push(id);
    }
    app.gigs.reset().await;
    app.mock_gigs_user(USER_ID, USER).await;
    for sim in sims {
        let ok = ResponseTemplate::new(200).set_body_raw(CREDENTIALS, "application/json");
        app.mock_gigs_credentials(sim, ok).await;
    }

    let response = post_json(&app, "/deliveries/retry", json!({"status": "failed"})).await;

    assert_eq!(response.status(), 202);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(
        answer,
        json!({"object": "retry", "count": 3, "skipped": 0, "skippedReason": null})
    );
    while app.worker.process_due().await.unwrap() > 0 {}
    assert_eq!(app.smtp.mails().len(), 3);
    for id in &failed {
        let history = app.delivery(id).await["history"].to_string();
        assert!(history.contains("by an operator (bulk retry)"), "{history}");
    }
    let again: Value = post_json(&app, "/deliveries/retry", json!({"status": "failed"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["count"], 0, "each failed delivery is retried once");
    let bad = post_json(&app, "/deliveries/retry", json!({"status": "pending"})).await;
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn bulk_retry_is_capped_at_a_thousand() {
    let app = spawn_app().await;
    sqlx::query(
        "INSERT INTO deliveries (id, status, event_id, event_type, project, sim_id, automatic, updated_at)
         SELECT 'dlv_cap' || n, 'failed', 'evt_cap' || n, 'com.gigs.subscription.activated',
                'acme-mobile', 'sim_cap' || n, true, now() - interval '1 minute'
         FROM generate_series(1, 1001) n",
    )
    .execute(&app.pool)
    .await
    .unwrap();

    let answer: Value = post_json(&app, "/deliveries/retry", json!({"status": "failed"}))
        .await
        .json()
        .await
        .unwrap();

    assert_eq!(answer["count"], 1000);
    assert_eq!(app.count("deliveries").await, 2001);
}

#[tokio::test]
async fn erasure_leaves_the_users_email_and_name_nowhere_and_keeps_anonymised_deliveries() {
    let app = spawn_app().await;
    app.mock_gigs_ok().await;
    let id = app.deliver_event(ACTIVATED).await;
    app.drive(&id).await;
    sqlx::query("INSERT INTO suppressions (email, reason, provider, delivery_id) VALUES ('jerry@example.com', 'x', 'ses', $1)")
        .bind(&id)
        .execute(&app.pool)
        .await
        .unwrap();
    let before = app.rows_as_text(&[]).await;
    assert!(before.contains("jerry@example.com") && before.contains("Jerry Seinfeld"));

    let response = post_json(&app, "/erasures", json!({"user": USER_ID})).await;

    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["deliveries"], 1);
    assert_eq!(answer["suppressions"], 1);
    let after = app.rows_as_text(&[]).await;
    for personal in ["jerry@example.com", "Jerry Seinfeld", "j***@example.com"] {
        assert!(!after.contains(personal), "{personal} survived erasure");
    }
    let listed: Value = app
        .get(&format!("/deliveries?user={USER_ID}"))
        .await
        .json()
        .await
        .unwrap();
    let item = &listed["items"][0];
    assert_eq!(
        (item["id"].as_str(), item["status"].as_str()),
        (Some(id.as_str()), Some("delivered"))
    );
    assert!(item["recipient"].is_null());
    let bad = post_json(&app, "/erasures", json!({"user": "usr/../x"})).await;
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn erasure_also_reaches_events_that_created_no_delivery() {
    let app = spawn_app().await;
    let about_the_user = json!({
        "object": "event", "id": "evt_user_updated", "type": "com.gigs.user.updated",
        "project": PROJECT, "time": "2026-11-28T10:00:00Z", "version": "2023-01-30",
        "data": {"object": "user", "id": USER_ID, "email": "jerry@example.com",
                 "fullName": "Jerry Seinfeld"},
    });
    let naming_the_user = json!({
        "object": "event", "id": "evt_porting", "type": "com.gigs.porting.updated",
        "project": PROJECT, "time": "2026-11-28T10:00:00Z", "version": "2023-01-30",
        "data": {"object": "porting", "id": "prt_1", "user": USER_ID,
                 "firstName": "Jerry", "lastName": "Seinfeld"},
    });
    let someone_else = json!({
        "object": "event", "id": "evt_other", "type": "com.gigs.user.updated",
        "project": PROJECT, "time": "2026-11-28T10:00:00Z", "version": "2023-01-30",
        "data": {"object": "user", "id": "usr_other", "email": "elaine@example.com"},
    });
    for (id, event) in [
        ("msg_u1", &about_the_user),
        ("msg_u2", &naming_the_user),
        ("msg_u3", &someone_else),
    ] {
        let response = app.post_webhook(id, &event.to_string()).await;
        assert_eq!(response.status(), 200);
    }

    let response = post_json(&app, "/erasures", json!({"user": USER_ID})).await;

    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["events"], 2, "{answer}");
    let after = app.rows_as_text(&[]).await;
    for personal in ["jerry@example.com", "Seinfeld"] {
        assert!(!after.contains(personal), "{personal} survived erasure");
    }
    assert!(
        after.contains("elaine@example.com"),
        "another user's event was erased"
    );
}

#[tokio::test]
async fn retention_erases_old_rows_only() {
    let app = spawn_app().await;
    app.mock_gigs_ok().await;
    let old = app.deliver_event(ACTIVATED).await;
    app.drive(&old).await;
    sqlx::query("UPDATE deliveries SET created_at = now() - interval '100 days'")
        .execute(&app.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE webhook_events SET received_at = now() - interval '100 days'")
        .execute(&app.pool)
        .await
        .unwrap();
    let fresh = app
        .deliver_event(&event_with(ACTIVATED, "evt_fresh", "sim_fresh", |_| {}))
        .await;

    let metrics = app.worker_metrics();
    let keep = std::time::Duration::from_secs(90 * 86_400);
    esim_courier::operations::run_retention(&app.pool, keep, &metrics).await;

    assert!(app.delivery(&old).await["recipient"].is_null());
    assert_eq!(app.delivery(&fresh).await["recipient"], "jerry@example.com");
    let erased: Vec<bool> =
        sqlx::query_scalar("SELECT erased_at IS NOT NULL FROM webhook_events ORDER BY seq")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(erased, [true, false]);
}

#[tokio::test]
async fn a_named_token_puts_its_name_in_the_history() {
    let app = spawn_app().await;
    app.mock_gigs_ok().await;
    let id = app.deliver_event(ACTIVATED).await;
    app.drive(&id).await;

    let response = app
        .client
        .post(format!("{}/deliveries/{id}/resend", app.address))
        .bearer_auth(NAMED_TOKEN)
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 202);
    let resent: Value = response.json().await.unwrap();
    assert!(
        resent["history"][0]["detail"]
            .as_str()
            .unwrap()
            .ends_with("by support-desk")
    );
    let original = app.delivery(&id).await["history"].to_string();
    assert!(original.contains("by support-desk"), "{original}");
}
