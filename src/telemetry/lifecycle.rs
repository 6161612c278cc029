//! Metrics of the closed loop: reconciliation, installs, reminders, quiet webhooks.
use std::sync::atomic::AtomicU64;

use prometheus_client::{
    metrics::{counter::Counter, gauge::Gauge, histogram::Histogram},
    registry::Registry,
};

pub struct LifecycleMetrics {
    reconciled: Counter,
    installed: Counter,
    install_seconds: Histogram,
    reminders: Counter,
    last_webhook_age: Gauge<f64, AtomicU64>,
    subscriptions_checked: Counter,
}

impl LifecycleMetrics {
    pub(super) fn register(registry: &mut Registry) -> Self {
        let m = Self {
            reconciled: Counter::default(),
            installed: Counter::default(),
            // One minute to about three weeks.
            install_seconds: Histogram::new(
                prometheus_client::metrics::histogram::exponential_buckets(60.0, 3.0, 10),
            ),
            reminders: Counter::default(),
            last_webhook_age: Gauge::default(),
            subscriptions_checked: Counter::default(),
        };
        registry.register(
            "reconciled",
            "Deliveries created by reconciliation for SIMs whose webhook never came",
            m.reconciled.clone(),
        );
        registry.register(
            "reconcile_checked_subscriptions",
            "Subscriptions reconciliation looked at",
            m.subscriptions_checked.clone(),
        );
        registry.register(
            "installed",
            "SIMs whose eSIM Gigs reported installed, first report only",
            m.installed.clone(),
        );
        registry.register(
            "install_after_email_seconds",
            "Time from a SIM's first delivered email to its eSIM installed",
            m.install_seconds.clone(),
        );
        registry.register(
            "reminders_queued",
            "Reminder emails queued on simNotInstalled events",
            m.reminders.clone(),
        );
        registry.register(
            "last_webhook_age_seconds",
            "Time since the last verified webhook (any process on this database)",
            m.last_webhook_age.clone(),
        );
        m
    }

    pub fn reconciled(&self, checked: u64, created: u64) {
        self.subscriptions_checked.inc_by(checked);
        self.reconciled.inc_by(created);
    }

    pub fn installed(&self, since_first_email_s: Option<f64>) {
        self.installed.inc();
        if let Some(s) = since_first_email_s {
            self.install_seconds.observe(s);
        }
    }

    pub fn reminder_queued(&self) {
        self.reminders.inc();
    }

    pub(super) fn set_last_webhook_age(&self, seconds: f64) {
        self.last_webhook_age.set(seconds);
    }
}
