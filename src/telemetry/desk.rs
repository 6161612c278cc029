//! Metrics of the support desk: audit entries by action, searches by what was searched.
use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{counter::Counter, family::Family},
    registry::Registry,
};

use crate::domain::AuditAction;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ActionLabels {
    action: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SearchLabels {
    key: &'static str,
}

pub struct DeskMetrics {
    audit: Family<ActionLabels, Counter>,
    searches: Family<SearchLabels, Counter>,
    wrong_credentials: Counter,
}

impl DeskMetrics {
    pub(super) fn register(registry: &mut Registry) -> Self {
        let m = Self {
            audit: Family::default(),
            searches: Family::default(),
            wrong_credentials: Counter::default(),
        };
        registry.register(
            "audit_entries",
            "Audit log entries written, by action",
            m.audit.clone(),
        );
        registry.register(
            "searches",
            "Searches by the kind of key asked (email, iccid, phone, sim, subscription, user, delivery, event, messageId)",
            m.searches.clone(),
        );
        registry.register(
            "wrong_credentials",
            "Status API calls and console sign-ins with a token that is not configured",
            m.wrong_credentials.clone(),
        );
        m
    }

    /// A wrong bearer token or console sign-in.
    pub fn wrong_credentials(&self) {
        self.wrong_credentials.inc();
    }

    pub fn audited(&self, action: AuditAction) {
        self.audit
            .get_or_create(&ActionLabels {
                action: action.as_str(),
            })
            .inc();
    }

    pub fn searched(&self, key: &'static str) {
        self.searches.get_or_create(&SearchLabels { key }).inc();
    }
}
