//! Background work for operators: sending alerts, watching for quiet, retention.
mod retention;

use std::{sync::Arc, time::Duration};

use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

pub use retention::run_retention;

use crate::{alerts::AlertSender, config::OperationsSettings, telemetry::Metrics};

/// Spawns what the settings turn on; each stops with `cancel`.
pub fn spawn(
    pool: &PgPool,
    settings: &OperationsSettings,
    metrics: &Arc<Metrics>,
    cancel: &CancellationToken,
) -> anyhow::Result<()> {
    if let Some(url) = &settings.alert_url {
        let sender = AlertSender::new(pool.clone(), url.clone(), metrics.clone())?;
        tokio::spawn(sender.run(settings.alert_quiet, cancel.clone()));
    }
    if let Some(keep) = settings.retention {
        let (pool, metrics, cancel) = (pool.clone(), metrics.clone(), cancel.clone());
        tokio::spawn(async move {
            loop {
                run_retention(&pool, keep, &metrics).await;
                tokio::select! {
                    _ = cancel.cancelled() => return,
                    _ = tokio::time::sleep(Duration::from_secs(3600)) => {}
                }
            }
        });
    }
    Ok(())
}
