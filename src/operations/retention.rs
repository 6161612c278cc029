//! The retention job: personal data of finished work older than `RETENTION_DAYS` is
//! erased, by one process at a time.
use std::time::Duration;

use sqlx::PgPool;

use crate::{
    store::{erasure, locks},
    telemetry::Metrics,
};

pub async fn run_retention(pool: &PgPool, keep: Duration, metrics: &Metrics) {
    let lock = match locks::try_lock(pool, "retention").await {
        Ok(Some(lock)) => lock,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = %e, "retention could not start");
            return;
        }
    };
    match erasure::older_than(pool, keep).await {
        Ok(erased) => {
            metrics.operations.erased(erased.deliveries);
            if erased.deliveries + erased.events > 0 {
                tracing::info!(
                    deliveries = erased.deliveries,
                    events = erased.events,
                    "retention erased old personal data"
                );
            }
        }
        Err(e) => tracing::warn!(error = %e, "retention failed; next run in an hour"),
    }
    if let Err(e) = lock.release().await {
        tracing::warn!(error = %e, "releasing the retention lock failed");
    }
}
