//! The alert outbox: many alerts at once are posted concurrently, fifty a round, and a
//! burst of failures in one minute reaches the receiver as one summary.
use esim_courier::alerts::AlertSender;
use serde_json::Value;
use wiremock::{
    Mock, ResponseTemplate,
    matchers::{method, path},
};

use crate::helpers::*;

/// `n` failed deliveries, each with its queued alert created at `created_at(g)` (SQL,
/// `g` = 1..n).
async fn queue_failures(app: &TestApp, prefix: &str, n: i32, created_at: &str) {
    sqlx::query(&format!(
        "WITH d AS (
            INSERT INTO deliveries (id, status, event_id, event_type, project, automatic)
            SELECT 'dlv_{prefix}' || lpad(g::text, 20, '0'), 'failed', 'evt_x', 't', 'p', false
            FROM generate_series(1, $1) g RETURNING id, seq)
         INSERT INTO alerts (kind, delivery_id, text, dedupe_key, created_at)
         SELECT 'failed', id, 'eSIM email ' || id || ' failed: Gigs answered 404',
                'failed:' || id, {created_at}
         FROM (SELECT id, row_number() OVER (ORDER BY seq) AS g FROM d) numbered"
    ))
    .bind(n)
    .execute(&app.pool)
    .await
    .unwrap();
}

async fn receiver(app: &TestApp) -> AlertSender {
    Mock::given(method("POST"))
        .and(path("/alerts"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&app.gigs)
        .await;
    AlertSender::new(
        app.pool.clone(),
        format!("{}/alerts", app.gigs.uri()).parse().unwrap(),
        app.worker_metrics(),
    )
    .unwrap()
}

async fn posted(app: &TestApp) -> Vec<Value> {
    let requests = app.gigs.received_requests().await.unwrap_or_default();
    requests
        .iter()
        .filter(|r| r.url.path() == "/alerts")
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

async fn unsent(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM alerts WHERE sent_at IS NULL")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn two_hundred_failures_in_one_minute_reach_the_receiver_as_one_summary() {
    let app = spawn_app().await;
    let sender = receiver(&app).await;
    queue_failures(
        &app,
        "burst",
        200,
        "date_trunc('minute', now()) - interval '1 minute' + (g % 60) * interval '1 second'",
    )
    .await;

    let round = sender.send_due().await.unwrap();

    assert_eq!((round.bursts, round.accepted), (1, 200));
    let alerts = posted(&app).await;
    assert_eq!(alerts.len(), 1, "one post for the burst");
    let text = alerts[0]["text"].as_str().unwrap();
    assert!(
        text.starts_with("200 eSIM emails failed in the minute from "),
        "{text}"
    );
    assert!(
        text.contains("dlv_burst") && text.contains("and 195 more"),
        "{text}"
    );
    assert_eq!(alerts[0]["kind"], "failed");
    assert_eq!(alerts[0]["delivery"], Value::Null);
    assert_eq!(unsent(&app).await, 0);
}

#[tokio::test]
async fn two_hundred_separate_alerts_go_fifty_a_round_and_a_running_burst_waits_its_minute() {
    let app = spawn_app().await;
    let sender = receiver(&app).await;
    // One a minute, over the last 200 minutes: no burst, each its own post.
    queue_failures(&app, "spread", 200, "now() - g * interval '1 minute'").await;
    // Fifteen in a minute not over yet (a later one, so the test never straddles its
    // end): held, then one summary.
    queue_failures(&app, "now", 15, "now() + interval '10 minutes'").await;

    let mut rounds = Vec::new();
    loop {
        let round = sender.send_due().await.unwrap();
        if round.singles == 0 {
            break;
        }
        rounds.push(round.singles);
    }

    assert_eq!(rounds, vec![50, 50, 50, 50]);
    let alerts = posted(&app).await;
    assert_eq!(alerts.len(), 200);
    assert!(alerts.iter().all(|a| a["delivery"].as_str().is_some()));
    assert_eq!(unsent(&app).await, 15, "the running minute's burst is held");
    sqlx::query("UPDATE alerts SET created_at = now() - interval '1 minute' WHERE sent_at IS NULL")
        .execute(&app.pool)
        .await
        .unwrap();
    let round = sender.send_due().await.unwrap();
    assert_eq!((round.bursts, round.accepted), (1, 15));
    assert_eq!(posted(&app).await.len(), 201);
}
