//! Prometheus metrics: counters and histograms kept in process, queue gauges read at scrape.
use std::time::Duration;

use prometheus_client::{
    encoding::{EncodeLabelSet, text::encode},
    metrics::{counter::Counter, family::Family, histogram::Histogram},
    registry::Registry,
};

use super::{
    desk::DeskMetrics, lifecycle::LifecycleMetrics, operations::OperationsMetrics,
    queue::QueueMetrics,
};
use crate::store::stats::QueueStats;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct WebhookLabels {
    outcome: &'static str,
    reason: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabels {
    status: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    call: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AnswerLabels {
    call: &'static str,
    status: String,
}

/// How a webhook request ended; `Rejected` carries a short reason label.
#[derive(Debug, Clone, Copy)]
pub enum WebhookOutcome {
    Accepted,
    Duplicate,
    Ignored,
    Rejected(&'static str),
}

/// How a Gigs API call ended: an HTTP status, or no answer at all.
#[derive(Debug, Clone, Copy)]
pub enum CallOutcome {
    Status(u16),
    Timeout,
    NetworkError,
}

fn histogram_seconds() -> Histogram {
    // 5 ms to ~20 s.
    Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
        0.005, 2.0, 13,
    ))
}

pub struct Metrics {
    registry: Registry,
    webhooks: Family<WebhookLabels, Counter>,
    deliveries: Family<StatusLabels, Counter>,
    attempt_duration: Family<StatusLabels, Histogram, fn() -> Histogram>,
    gigs_duration: Family<CallLabels, Histogram, fn() -> Histogram>,
    gigs_answers: Family<AnswerLabels, Counter>,
    queue: QueueMetrics,
    smtp_throttled: Counter,
    pub lifecycle: LifecycleMetrics,
    pub operations: OperationsMetrics,
    pub desk: DeskMetrics,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("esim_courier");
        let webhooks = Family::<WebhookLabels, Counter>::default();
        registry.register(
            "webhooks",
            "Webhook requests by outcome; rejected ones by reason",
            webhooks.clone(),
        );
        let deliveries = Family::<StatusLabels, Counter>::default();
        registry.register(
            "deliveries",
            "Deliveries that reached a status in this process",
            deliveries.clone(),
        );
        let attempt_duration =
            Family::<StatusLabels, Histogram, fn() -> Histogram>::new_with_constructor(
                histogram_seconds,
            );
        registry.register(
            "delivery_attempt_duration_seconds",
            "Time of one delivery attempt (Gigs calls, composing, SMTP), by outcome",
            attempt_duration.clone(),
        );
        let gigs_duration =
            Family::<CallLabels, Histogram, fn() -> Histogram>::new_with_constructor(
                histogram_seconds,
            );
        registry.register(
            "gigs_api_call_duration_seconds",
            "Time of Gigs API calls",
            gigs_duration.clone(),
        );
        let gigs_answers = Family::<AnswerLabels, Counter>::default();
        registry.register(
            "gigs_api_answers",
            "Gigs API answers by HTTP status, or timeout / network_error",
            gigs_answers.clone(),
        );
        let smtp_throttled = Counter::default();
        registry.register(
            "smtp_throttled",
            "Throttling answers from the mail server (421, 4.7.x or a rate named)",
            smtp_throttled.clone(),
        );
        let queue = QueueMetrics::register(&mut registry);
        let lifecycle = LifecycleMetrics::register(&mut registry);
        let operations = OperationsMetrics::register(&mut registry);
        let desk = DeskMetrics::register(&mut registry);
        Self {
            registry,
            lifecycle,
            operations,
            desk,
            webhooks,
            deliveries,
            attempt_duration,
            gigs_duration,
            gigs_answers,
            queue,
            smtp_throttled,
        }
    }

    pub fn smtp_throttled(&self) {
        self.smtp_throttled.inc();
    }

    pub fn webhook(&self, outcome: WebhookOutcome) {
        let (outcome, reason) = match outcome {
            WebhookOutcome::Accepted => ("accepted", ""),
            WebhookOutcome::Duplicate => ("duplicate", ""),
            WebhookOutcome::Ignored => ("ignored", ""),
            WebhookOutcome::Rejected(reason) => ("rejected", reason),
        };
        self.webhooks
            .get_or_create(&WebhookLabels { outcome, reason })
            .inc();
    }

    pub fn delivery_status(&self, status: &'static str) {
        self.deliveries
            .get_or_create(&StatusLabels { status })
            .inc();
    }

    pub fn attempt(&self, outcome: &'static str, took: Duration) {
        self.attempt_duration
            .get_or_create(&StatusLabels { status: outcome })
            .observe(took.as_secs_f64());
    }

    pub fn gigs_call(&self, call: &'static str, outcome: CallOutcome, took: Duration) {
        self.gigs_duration
            .get_or_create(&CallLabels { call })
            .observe(took.as_secs_f64());
        let status = match outcome {
            CallOutcome::Status(code) => code.to_string(),
            CallOutcome::Timeout => "timeout".into(),
            CallOutcome::NetworkError => "network_error".into(),
        };
        self.gigs_answers
            .get_or_create(&AnswerLabels { call, status })
            .inc();
    }

    /// Renders every metric, with the queue gauges from `queue` when PostgreSQL answered.
    pub fn render(&self, queue: Option<&QueueStats>) -> String {
        self.queue.update(queue, &self.lifecycle);
        let mut out = String::new();
        encode(&mut out, &self.registry).expect("writing to a String cannot fail");
        out
    }
}
