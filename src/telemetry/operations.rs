//! Metrics of operator features: bounces, suppressions, alerts, erasures.
use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{counter::Counter, family::Family},
    registry::Registry,
};

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BounceLabels {
    provider: &'static str,
    severity: &'static str,
}

pub struct OperationsMetrics {
    bounces: Family<BounceLabels, Counter>,
    suppressions: Counter,
    alerts_sent: Counter,
    alerts_failed: Counter,
    erasures: Counter,
}

impl OperationsMetrics {
    pub(super) fn register(registry: &mut Registry) -> Self {
        let m = Self {
            bounces: Family::default(),
            suppressions: Counter::default(),
            alerts_sent: Counter::default(),
            alerts_failed: Counter::default(),
            erasures: Counter::default(),
        };
        registry.register(
            "bounces",
            "Bounce and complaint notices by provider and severity (hard, soft, complaint)",
            m.bounces.clone(),
        );
        registry.register(
            "suppressions",
            "Addresses added to the suppression list",
            m.suppressions.clone(),
        );
        registry.register(
            "alerts_sent",
            "Alerts the receiver accepted",
            m.alerts_sent.clone(),
        );
        registry.register(
            "alerts_failed",
            "Alert posts that failed (each is retried)",
            m.alerts_failed.clone(),
        );
        registry.register(
            "erasures",
            "Deliveries anonymised by erasure requests and retention",
            m.erasures.clone(),
        );
        m
    }

    pub fn bounce(&self, provider: &'static str, severity: &'static str) {
        self.bounces
            .get_or_create(&BounceLabels { provider, severity })
            .inc();
    }

    pub fn suppressed(&self) {
        self.suppressions.inc();
    }

    pub fn alert(&self, sent: bool) {
        if sent {
            self.alerts_sent.inc();
        } else {
            self.alerts_failed.inc();
        }
    }

    pub fn erased(&self, deliveries: u64) {
        self.erasures.inc_by(deliveries);
    }
}
