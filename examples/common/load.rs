//! Load generators: signed, distinct webhooks as fast as 64 connections go, or at a rate.
use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use esim_courier::webhooks::{WebhookSecret, signed_post};
use serde_json::{Value, json};
use tokio::task::JoinSet;

static NEXT: AtomicU64 = AtomicU64::new(1);

/// A `subscription.activated` event for the new eSIM `sim_{tag}{n}`, about 1 KB like
/// Gigs' own.
pub fn event(tag: &str, n: u64) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "object": "event",
        "id": format!("evt_{tag}{n}"),
        "type": "com.gigs.subscription.activated",
        "time": "2026-11-20T09:14:03Z",
        "project": super::PROJECT,
        "source": "https://api.gigs.com",
        "specversion": "1.0",
        "datacontenttype": "application/json",
        "version": "2025-05-22",
        "data": {
            "object": "subscription",
            "id": "sub_demo",
            "status": "active",
            "activatedAt": "2026-11-20T09:14:01Z",
            "createdAt": "2026-11-20T09:12:44Z",
            "phoneNumber": "+19591234567",
            "plan": {"object": "plan", "id": "pln_0SNlurA049MEWV3V0q7gjQbM4EVo", "name": "Unlimited"},
            "sim": {
                "object": "sim", "id": format!("sim_{tag}{n}"), "iccid": "89883070000007537119",
                "provider": "p9", "status": "active", "type": "eSIM", "metadata": {},
                "createdAt": "2026-11-20T09:12:40Z"
            },
            "user": {
                "object": "user", "id": "usr_demo", "email": "jerry@example.com",
                "emailVerified": true, "fullName": "Jerry Seinfeld", "preferredLocale": "en-US",
                "status": "active", "metadata": {}, "createdAt": "2026-11-20T09:10:02Z"
            },
            "metadata": {}
        }
    }))
    .expect("JSON")
}

pub fn client() -> reqwest::Client {
    esim_courier::tls::client_builder()
        .pool_max_idle_per_host(256)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

/// Posts one new signed event; returns the delivery id on a 200.
pub async fn post(
    client: &reqwest::Client,
    url: &str,
    secret: &WebhookSecret,
    tag: &str,
) -> Option<String> {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    post_event(client, url, secret, &format!("msg_{tag}{n}"), event(tag, n)).await
}

/// Signs and posts `body` under `webhook_id` (the same id again is a redelivery); returns
/// the delivery id on a 200, nothing on any other answer or none.
pub async fn post_event(
    client: &reqwest::Client,
    url: &str,
    secret: &WebhookSecret,
    webhook_id: &str,
    body: Vec<u8>,
) -> Option<String> {
    let response = signed_post(client, url, secret, webhook_id, body)
        .send()
        .await
        .ok()?;
    if response.status() != 200 {
        return None;
    }
    let json: Value = response.json().await.ok()?;
    json["delivery"].as_str().map(str::to_owned)
}

pub struct IngestResult {
    pub accepted: u64,
    pub failed: u64,
    pub latencies: Vec<Duration>,
    pub elapsed: Duration,
}

/// `connections` loops posting distinct webhooks for `duration`.
pub async fn ingest(base: &str, connections: usize, duration: Duration) -> IngestResult {
    let secret = Arc::new(WebhookSecret::parse(super::SECRET).expect("secret"));
    let url = Arc::new(format!("{base}/webhooks/gigs"));
    let client = client();
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = JoinSet::new();
    for _ in 0..connections {
        let (client, url, secret) = (client.clone(), url.clone(), secret.clone());
        tasks.spawn(async move {
            let (mut ok, mut failed, mut latencies) = (0u64, 0u64, Vec::new());
            while Instant::now() < deadline {
                let t = Instant::now();
                match post(&client, &url, &secret, "in").await {
                    Some(_) => {
                        ok += 1;
                        latencies.push(t.elapsed());
                    }
                    None => failed += 1,
                }
            }
            (ok, failed, latencies)
        });
    }
    let mut result = IngestResult {
        accepted: 0,
        failed: 0,
        latencies: Vec::new(),
        elapsed: Duration::ZERO,
    };
    while let Some(Ok((ok, failed, lat))) = tasks.join_next().await {
        result.accepted += ok;
        result.failed += failed;
        result.latencies.extend(lat);
    }
    result.elapsed = started.elapsed();
    result.latencies.sort();
    result
}

/// `rate` webhooks a second for `secs`; returns each delivery id with the instant its 2xx
/// arrived.
pub async fn steady(base: &str, rate: u64, secs: u64) -> Vec<(String, Instant)> {
    let secret = Arc::new(WebhookSecret::parse(super::SECRET).expect("secret"));
    let url = Arc::new(format!("{base}/webhooks/gigs"));
    let client = client();
    let answers = paced(rate, rate * secs, move |_| {
        let (client, url, secret) = (client.clone(), url.clone(), secret.clone());
        async move {
            let id = post(&client, &url, &secret, "lat").await;
            id.map(|id| (id, Instant::now()))
        }
    })
    .await;
    answers.into_iter().flatten().collect()
}

/// Starts `task(i)` for i in 0..count, `rate` a second, each on its own; returns their
/// outputs once all have ended.
pub async fn paced<T, F, Fut>(rate: u64, count: u64, mut task: F) -> Vec<T>
where
    T: Send + 'static,
    F: FnMut(u64) -> Fut,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    let mut ticker = tokio::time::interval(Duration::from_micros(1_000_000 / rate.max(1)));
    let mut tasks = JoinSet::new();
    for i in 0..count {
        ticker.tick().await;
        tasks.spawn(task(i));
    }
    let mut out = Vec::new();
    while let Some(Ok(answer)) = tasks.join_next().await {
        out.push(answer);
    }
    out
}
