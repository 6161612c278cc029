//! Gauges read from PostgreSQL at each scrape: the queue, and whether the database answered.
use std::sync::atomic::{AtomicI64, AtomicU64};

use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{family::Family, gauge::Gauge},
    registry::Registry,
};

use super::lifecycle::LifecycleMetrics;
use crate::{domain::DeliveryStatus, store::stats::QueueStats};

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabels {
    status: &'static str,
}

pub struct QueueMetrics {
    due: Gauge<i64, AtomicI64>,
    oldest_due_age: Gauge<f64, AtomicU64>,
    in_state: Family<StatusLabels, Gauge<i64, AtomicI64>>,
    database_up: Gauge<i64, AtomicI64>,
}

impl QueueMetrics {
    pub(super) fn register(registry: &mut Registry) -> Self {
        let m = Self {
            due: Gauge::default(),
            oldest_due_age: Gauge::default(),
            in_state: Family::default(),
            database_up: Gauge::default(),
        };
        registry.register(
            "queue_due_deliveries",
            "Deliveries due now and not yet claimed",
            m.due.clone(),
        );
        registry.register(
            "queue_oldest_due_age_seconds",
            "How long the oldest due delivery has waited",
            m.oldest_due_age.clone(),
        );
        registry.register(
            "deliveries_open",
            "Deliveries not yet final, by status (whole database)",
            m.in_state.clone(),
        );
        registry.register(
            "database_up",
            "1 when PostgreSQL answered this scrape's queue query, else 0",
            m.database_up.clone(),
        );
        m
    }

    /// What this scrape read, or `None` when PostgreSQL did not answer.
    pub(super) fn update(&self, queue: Option<&QueueStats>, lifecycle: &LifecycleMetrics) {
        self.database_up.set(i64::from(queue.is_some()));
        let Some(q) = queue else { return };
        if let Some(age) = q.last_webhook_age_s {
            lifecycle.set_last_webhook_age(age);
        }
        self.due.set(q.due);
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
}
