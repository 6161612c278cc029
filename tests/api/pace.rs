//! Sending at the relay's pace: SMTP_MAX_PER_SECOND held by two processes together, and
//! throttling answers retried slower, with the reason in history and the counter up.
use std::{sync::Arc, time::Duration};

use esim_courier::deliveries::Worker;
use tokio_util::sync::CancellationToken;

use crate::helpers::*;

fn paced_worker(app: &TestApp, per_second: u32) -> Arc<Worker> {
    let mut settings = settings(
        &app.db_url,
        &app.gigs.uri(),
        app.smtp.port,
        &Options::default(),
    );
    settings.email.smtp_max_per_second = Some(per_second);
    let pool = esim_courier::store::lazy_pool(&settings.database).unwrap();
    Arc::new(Worker::new(&settings, pool, app.worker_metrics()).unwrap())
}

/// Queues `n` deliveries, each for its own SIM.
async fn queue(app: &TestApp, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        let body = event_with(
            ACTIVATED,
            &format!("evt_pace{i}"),
            &format!("sim_pace{i}"),
            |_| {},
        );
        ids.push(app.deliver_event(&body).await);
    }
    ids
}

// Threads, as a service process has: on the test's single thread the sink, both workers
// and the composing of 32 emails at once took turns, and sends woken late by that went
// out together (7 in the first second).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_share_one_limit_and_every_email_goes() {
    let app = spawn_app().await;
    app.mock_gigs_user(USER_ID, USER).await;
    for i in 0..40 {
        let ok = wiremock::ResponseTemplate::new(200).set_body_raw(CREDENTIALS, "application/json");
        app.mock_gigs_credentials(&format!("sim_pace{i}"), ok).await;
    }
    queue(&app, 40).await;
    let cancel = CancellationToken::new();
    let workers = [paced_worker(&app, 5), paced_worker(&app, 5)];
    let running: Vec<_> = workers
        .iter()
        .map(|w| tokio::spawn(w.clone().run(cancel.clone())))
        .collect();

    let mails = app.smtp.wait_for(40, Duration::from_secs(30)).await;

    cancel.cancel();
    for r in running {
        r.await.unwrap();
    }
    assert_eq!(mails.len(), 40, "all delivered");
    let first = mails.iter().map(|m| m.at).min().unwrap();
    let mut per_second = std::collections::BTreeMap::<u64, usize>::new();
    for m in &mails {
        *per_second.entry((m.at - first).as_secs()).or_default() += 1;
    }
    let busiest = per_second.values().max().copied().unwrap();
    let mut offsets: Vec<u128> = mails.iter().map(|m| (m.at - first).as_millis()).collect();
    offsets.sort_unstable();
    assert!(
        busiest <= 6,
        "at most 5 a second (6 at a second's edge): {per_second:?}; ms: {offsets:?}"
    );
    let took = mails.iter().map(|m| m.at).max().unwrap() - first;
    assert!(
        took >= Duration::from_secs(7),
        "40 at 5/s take about 8 s: {took:?}"
    );
}

#[tokio::test]
async fn throttling_answers_are_retried_with_the_reason_in_history_and_counted() {
    let app = spawn_app().await;
    app.mock_gigs_user(USER_ID, USER).await;
    for i in 0..8 {
        let ok = wiremock::ResponseTemplate::new(200).set_body_raw(CREDENTIALS, "application/json");
        app.mock_gigs_credentials(&format!("sim_pace{i}"), ok).await;
    }
    let ids = queue(&app, 8).await;
    app.smtp.throttle_next(4);

    for id in &ids {
        assert_eq!(app.drive(id).await["status"], "delivered", "{id}");
    }

    assert_eq!(app.smtp.mails().len(), 8);
    let mut throttled = 0;
    for id in &ids {
        let history = app.delivery(id).await["history"].to_string();
        if history.contains("Throttling failure") {
            throttled += 1;
            assert!(history.contains("retrying"), "{history}");
        }
    }
    assert_eq!(throttled, 4);
    let metrics = app.get_anonymous("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("esim_courier_smtp_throttled_total 4"),
        "{}",
        metrics
            .lines()
            .filter(|l| l.contains("throttled"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}
