//! Webhooks that arrive together share one commit; the answers are as if each came alone.
use std::collections::HashSet;

use futures_util::future::join_all;
use serde_json::Value;

use crate::helpers::*;

async fn post_all(app: &TestApp, requests: Vec<(String, String)>) -> Vec<(u16, Value)> {
    join_all(requests.iter().map(|(id, body)| async move {
        let response = app.post_webhook(id, body).await;
        let status = response.status().as_u16();
        (
            status,
            response.json::<Value>().await.unwrap_or(Value::Null),
        )
    }))
    .await
}

#[tokio::test]
async fn the_same_webhook_fifty_times_at_once_is_recorded_once() {
    let app = spawn_app().await;

    let answers = post_all(&app, vec![("msg_same".into(), ACTIVATED.into()); 50]).await;

    assert!(answers.iter().all(|(s, _)| *s == 200));
    let first: Vec<_> = answers
        .iter()
        .filter(|(_, a)| a["duplicate"] == false)
        .collect();
    assert_eq!(first.len(), 1, "exactly one answer is not a duplicate");
    let ids: HashSet<_> = answers
        .iter()
        .map(|(_, a)| a["delivery"].to_string())
        .collect();
    assert_eq!(ids.len(), 1, "every answer names the same delivery");
    assert_eq!(app.count("webhook_events").await, 1);
    assert_eq!(app.count("deliveries").await, 1);
}

#[tokio::test]
async fn thirty_events_for_one_sim_at_once_make_one_delivery() {
    let app = spawn_app().await;
    let requests = (0..30)
        .map(|i| {
            (
                format!("msg_{i}"),
                event_with(ACTIVATED, &format!("evt_{i}"), SIM, |_| {}),
            )
        })
        .collect();

    let answers = post_all(&app, requests).await;

    assert!(
        answers
            .iter()
            .all(|(s, a)| *s == 200 && a["duplicate"] == false)
    );
    let ids: HashSet<_> = answers
        .iter()
        .map(|(_, a)| a["delivery"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(app.count("webhook_events").await, 30);
    assert_eq!(app.count("deliveries").await, 1);
    let id = ids.into_iter().next().unwrap();
    let notes = app.delivery(&id).await["history"]
        .to_string()
        .matches("already has its automatic email")
        .count();
    assert_eq!(notes, 29);
    let linked: i64 =
        sqlx::query_scalar("SELECT count(*) FROM webhook_events WHERE delivery_id = $1")
            .bind(&id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(linked, 30, "every event points at the SIM's delivery");
}

#[tokio::test]
async fn a_hundred_distinct_events_at_once_make_a_hundred_deliveries() {
    let app = spawn_app().await;
    let requests = (0..100)
        .map(|i| {
            (
                format!("msg_{i}"),
                event_with(ACTIVATED, &format!("evt_{i}"), &format!("sim_{i}"), |_| {}),
            )
        })
        .collect();

    let answers = post_all(&app, requests).await;

    let ids: HashSet<_> = answers
        .iter()
        .map(|(_, a)| a["delivery"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 100);
    assert_eq!(app.count("deliveries").await, 100);
    assert_eq!(app.count("delivery_history").await, 100);
    let unlinked: i64 =
        sqlx::query_scalar("SELECT count(*) FROM webhook_events WHERE delivery_id IS NULL")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(unlinked, 0);
}

#[tokio::test]
async fn an_event_postgres_cannot_store_fails_alone() {
    let app = spawn_app().await;
    // JSON allows \u0000 in strings; PostgreSQL's jsonb does not.
    let poison = event_with(ACTIVATED, "evt_poison", "sim_poison", |v| {
        v["data"]["note"] = "a\u{0}b".into()
    });
    let mut requests: Vec<(String, String)> = (0..20)
        .map(|i| {
            (
                format!("msg_{i}"),
                event_with(ACTIVATED, &format!("evt_{i}"), &format!("sim_{i}"), |_| {}),
            )
        })
        .collect();
    requests.insert(10, ("msg_poison".into(), poison));

    let answers = post_all(&app, requests).await;

    assert_eq!(
        answers[10].0, 400,
        "the poison event is refused for good: a retry cannot store it either"
    );
    assert_eq!(answers[10].1["type"], "invalidPayload");
    assert_eq!(answers.iter().filter(|(s, _)| *s == 200).count(), 20);
    assert_eq!(app.count("deliveries").await, 20);
}

#[tokio::test]
async fn two_processes_racing_on_one_sim_make_one_delivery() {
    let app = spawn_app().await;
    let twin = app.twin().await;
    let requests: Vec<(String, String)> = (0..40)
        .map(|i| {
            (
                format!("msg_{i}"),
                event_with(ACTIVATED, &format!("evt_{i}"), SIM, |_| {}),
            )
        })
        .collect();

    // Even requests go to one process, odd ones to the other, all at once.
    let answers = join_all(requests.iter().enumerate().map(|(i, (id, body))| {
        let target = if i % 2 == 0 { &app } else { &twin };
        async move {
            let response = target.post_webhook(id, body).await;
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    }))
    .await;

    assert!(answers.iter().all(|(s, _)| *s == 200), "{answers:?}");
    let ids: HashSet<_> = answers
        .iter()
        .map(|(_, a)| a["delivery"].to_string())
        .collect();
    assert_eq!(ids.len(), 1, "every answer names the one delivery");
    assert_eq!(app.count("webhook_events").await, 40);
    assert_eq!(app.count("deliveries").await, 1);
}
