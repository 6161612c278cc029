//! Webhooks as Gigs sends them through trouble: distinct events at a steady rate, each
//! redelivered (same `webhook-id`, same body) until it gets a 2xx or the phase gives up.
use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use esim_courier::webhooks::WebhookSecret;

use crate::common::{self, load};

/// Gigs (Svix) waits seconds to hours between redeliveries; the harness waits this long.
const REDELIVER_AFTER: Duration = Duration::from_millis(500);

/// One webhook that got its 2xx.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub delivery: String,
    /// When the 2xx arrived.
    pub at: Instant,
}

#[derive(Debug, Default)]
pub struct Traffic {
    pub sent: u64,
    pub accepted: Vec<Accepted>,
    /// Posts beyond each webhook's first: answers other than 2xx, or none.
    pub redeliveries: u64,
    /// Webhooks that had no 2xx when the phase gave up on them.
    pub unanswered: u64,
}

/// Sends `total` webhooks for SIMs `sim_{tag}0…`, `rate` a second, to `base`, each
/// redelivered until it is accepted or `give_up` passes.
pub async fn run(base: &str, tag: &str, total: u64, rate: u64, give_up: Instant) -> Traffic {
    let secret = Arc::new(WebhookSecret::parse(common::SECRET).expect("secret"));
    let url: Arc<str> = format!("{base}/webhooks/gigs").into();
    let tag: Arc<str> = tag.into();
    let client = load::client();
    let outcomes = load::paced(rate, total, move |n| {
        let (client, url, secret, tag) = (client.clone(), url.clone(), secret.clone(), tag.clone());
        async move {
            let (webhook_id, body) = (format!("msg_{tag}{n}"), load::event(&tag, n));
            let mut tries = 0u64;
            loop {
                tries += 1;
                let answer =
                    load::post_event(&client, &url, &secret, &webhook_id, body.clone()).await;
                if let Some(delivery) = answer {
                    let at = Instant::now();
                    return (Some(Accepted { delivery, at }), tries);
                }
                if Instant::now() + REDELIVER_AFTER > give_up {
                    return (None, tries);
                }
                tokio::time::sleep(REDELIVER_AFTER).await;
            }
        }
    })
    .await;
    let mut traffic = Traffic {
        sent: total,
        ..Traffic::default()
    };
    for (accepted, tries) in outcomes {
        traffic.redeliveries += tries - 1;
        match accepted {
            Some(a) => traffic.accepted.push(a),
            None => traffic.unanswered += 1,
        }
    }
    traffic
}
