//! Prometheus metrics: counters and histograms kept in process, queue gauges read at scrape.
use std::{
    sync::atomic::{AtomicI64, AtomicU64},
    time::Duration,
};

use prometheus_client::{
    encoding::{EncodeLabelSet, text::encode},
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
    registry::Registry,
};

use super::{desk::DeskMetrics, lifecycle::LifecycleMetrics, operations::OperationsMetrics};
use crate::{domain::DeliveryStatus, store::stats::QueueStats};

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

type FloatGauge = Gauge<f64, AtomicU64>;

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
    queue_depth: Gauge<i64, AtomicI64>,
    oldest_due_age: FloatGauge,
    in_state: Family<StatusLabels, Gauge<i64, AtomicI64>>,
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
        let queue_depth = Gauge::<i64, AtomicI64>::default();
        registry.register(
            "queue_due_deliveries",
            "Deliveries due now and not yet claimed",
            queue_depth.clone(),
        );
        let oldest_due_age = FloatGauge::default();
        registry.register(
            "queue_oldest_due_age_seconds",
            "How long the oldest due delivery has waited",
            oldest_due_age.clone(),
        );
        let in_state = Family::<StatusLabels, Gauge<i64, AtomicI64>>::default();
        registry.register(
            "deliveries_open",
            "Deliveries not yet final, by status (whole database)",
            in_state.clone(),
        );
        let smtp_throttled = Counter::default();
        registry.register(
            "smtp_throttled",
            "Throttling answers from the mail server (421, 4.7.x or a rate named)",
            smtp_throttled.clone(),
        );
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
            queue_depth,
            oldest_due_age,
            in_state,
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
        if let Some(q) = queue {
            if let Some(age) = q.last_webhook_age_s {
                self.lifecycle.set_last_webhook_age(age);
            }
            self.queue_depth.set(q.due);
            self.oldest_due_age.set(q.oldest_due_age_s);
            for status in [
                DeliveryStatus::Pending,
                DeliveryStatus::Processing,
                DeliveryStatus::Retrying,
            ] {
                let n = q
                    .open
                    .iter()
                    .find(|(s, _)| *s == status)
                    .map_or(0, |(_, n)| *n);
                let status = status.as_str();
                self.in_state.get_or_create(&StatusLabels { status }).set(n);
            }
        }
        let mut out = String::new();
        encode(&mut out, &self.registry).expect("writing to a String cannot fail");
        out
    }
}
