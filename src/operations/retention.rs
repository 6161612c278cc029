//! The retention job: personal data of finished work older than `RETENTION_DAYS` is
//! erased, hourly, by one process at a time.
use std::{sync::Arc, time::Duration};

use futures_util::future::BoxFuture;
use sqlx::PgPool;

use crate::{
    jobs::Periodic,
    store::{erasure, locks},
    telemetry::Metrics,
};

pub struct Retention {
    pub pool: PgPool,
    pub keep: Duration,
    pub metrics: Arc<Metrics>,
}

impl Periodic for Retention {
    fn name(&self) -> &'static str {
        "retention"
    }

    fn interval(&self) -> Duration {
        Duration::from_secs(3600)
    }

    fn run_once(&self) -> BoxFuture<'_, ()> {
        Box::pin(run_retention(&self.pool, self.keep, &self.metrics))
    }
}

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
