//! Faults while a delivery is in flight: the database cut after the mail server took the
//! message, a worker that dies mid-attempt, and one that is merely slow.
use std::{sync::Arc, time::Duration};

use esim_courier::{
    deliveries::Worker,
    store::{self, queue},
    telemetry::Metrics,
};
use tokio_util::sync::CancellationToken;
use wiremock::{
    Mock, ResponseTemplate,
    matchers::{method, path},
};

use crate::{helpers::*, proxy::PgProxy};

/// A worker of its own on `db_url`, with a short lease so its heartbeat shows.
fn worker(app: &TestApp, db_url: &str, lease: Duration) -> Arc<Worker> {
    let mut settings = settings(db_url, &app.gigs.uri(), app.smtp.port, &Options::default());
    settings.worker.lease = lease;
    settings.database.acquire_timeout = Duration::from_millis(500);
    let pool = store::lazy_pool(&settings.database).unwrap();
    Arc::new(Worker::new(&settings, pool, Arc::new(Metrics::new())).unwrap())
}

/// Credentials answer after `delay` the first time, at once afterwards.
async fn slow_credentials_once(app: &TestApp, delay: Duration) {
    let body = ResponseTemplate::new(200).set_body_raw(CREDENTIALS, "application/json");
    Mock::given(method("GET"))
        .and(path(format!("/projects/{PROJECT}/sims/{SIM}/credentials")))
        .respond_with(body.clone().set_delay(delay))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&app.gigs)
        .await;
    app.mock_gigs_ok().await;
}

async fn wait_for_status(
    app: &TestApp,
    id: &str,
    status: &str,
    deadline: Duration,
) -> serde_json::Value {
    let until = tokio::time::Instant::now() + deadline;
    loop {
        let d = app.delivery(id).await;
        if d["status"] == status || tokio::time::Instant::now() >= until {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn an_outcome_lost_to_a_database_cut_is_recorded_when_it_returns_and_sent_once() {
    let app = spawn_app().await;
    app.mock_gigs_ok().await;
    let id = app.deliver_event(ACTIVATED).await;
    let upstream = app.db_url.trim_start_matches("postgres://postgres@");
    let (host, name) = upstream.split_once('/').unwrap();
    let proxy = PgProxy::start(host.to_owned()).await;
    let through_proxy = format!("postgres://postgres@127.0.0.1:{}/{name}", proxy.port);
    let worker = worker(&app, &through_proxy, Duration::from_secs(60));
    app.smtp.hold_replies();

    let running = tokio::spawn({
        let worker = worker.clone();
        async move { worker.process_due().await.unwrap() }
    });
    // The mail server has the message; before it says so, the database goes away.
    assert_eq!(app.smtp.wait_for(1, Duration::from_secs(20)).await.len(), 1);
    proxy.cut();
    app.smtp.release_replies();
    let until = tokio::time::Instant::now() + Duration::from_secs(20);
    while proxy.refused() < 2 && tokio::time::Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        proxy.refused() >= 2,
        "the worker keeps trying to record the outcome"
    );
    proxy.restore();

    assert_eq!(running.await.unwrap(), 1);
    let d = app.delivery(&id).await;
    assert_eq!(d["status"], "delivered", "{d}");
    assert_eq!(d["attempts"], 1);
    // Nothing is left to claim: the email is not sent a second time.
    assert_eq!(app.worker.process_due().await.unwrap(), 0);
    assert_eq!(app.smtp.mails().len(), 1);
}

#[tokio::test]
async fn a_delivery_held_by_a_dead_worker_is_taken_over_within_its_lease() {
    let app = spawn_app().await;
    slow_credentials_once(&app, Duration::from_secs(120)).await;
    let id = app.deliver_event(ACTIVATED).await;
    let lease = Duration::from_secs(2);
    let doomed = worker(&app, &app.db_url, lease);
    let stop = CancellationToken::new();
    let dying = tokio::spawn(doomed.run(stop.clone()));
    wait_for_status(&app, &id, "processing", Duration::from_secs(10)).await;

    // Killed mid-attempt: no release, no more heartbeats.
    dying.abort();
    let _ = dying.await;
    let heir = worker(&app, &app.db_url, lease);
    let heir_stop = CancellationToken::new();
    let heir_task = tokio::spawn(heir.run(heir_stop.clone()));

    // One lease, the heir's poll, and slack for a loaded machine.
    let d = wait_for_status(&app, &id, "delivered", lease * 5).await;
    heir_stop.cancel();
    heir_task.await.unwrap();
    assert_eq!(d["status"], "delivered", "{d}");
    assert_eq!(d["attempts"], 2);
    assert!(d["history"].to_string().contains("lease expired"), "{d}");
    assert_eq!(app.smtp.mails().len(), 1);
}

#[tokio::test]
async fn a_slow_but_living_attempt_keeps_its_delivery() {
    let app = spawn_app().await;
    let lease = Duration::from_secs(2);
    // Two leases long (within the Gigs client's timeout): only the heartbeat keeps it.
    slow_credentials_once(&app, lease * 2).await;
    let id = app.deliver_event(ACTIVATED).await;
    let (slow, rival) = (
        worker(&app, &app.db_url, lease),
        worker(&app, &app.db_url, lease),
    );
    let stop = CancellationToken::new();
    let slow_task = tokio::spawn(slow.run(stop.clone()));
    wait_for_status(&app, &id, "processing", Duration::from_secs(10)).await;
    let rival_task = tokio::spawn(rival.run(stop.clone()));

    let d = wait_for_status(&app, &id, "delivered", Duration::from_secs(30)).await;
    stop.cancel();
    slow_task.await.unwrap();
    rival_task.await.unwrap();

    assert_eq!(d["status"], "delivered", "{d}");
    assert_eq!(d["attempts"], 1, "the rival never took it: {d}");
    assert_eq!(app.smtp.mails().len(), 1);
    let leased = queue::claim(&app.pool, 10, lease).await.unwrap();
    assert!(leased.is_empty());
}
