//! The console overview's figures, computed every minute by one process at a time (a page
//! view only reads them), and console sessions long over, forgotten.
use std::time::Duration;

use futures_util::future::BoxFuture;
use sqlx::PgPool;

use crate::{
    jobs::Periodic,
    store::{locks, overview, sessions},
};

pub struct OverviewFigures {
    pub pool: PgPool,
}

impl Periodic for OverviewFigures {
    fn name(&self) -> &'static str {
        "overview"
    }

    fn interval(&self) -> Duration {
        Duration::from_secs(60)
    }

    fn run_once(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {
            let lock = match locks::try_lock(&self.pool, "overview").await {
                Ok(Some(lock)) => lock,
                Ok(None) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "the overview's figures could not be computed");
                    return;
                }
            };
            let started = std::time::Instant::now();
            match overview::refresh(&self.pool).await {
                Ok(_) => tracing::debug!(
                    took_ms = started.elapsed().as_millis() as u64,
                    "overview figures computed"
                ),
                Err(e) => {
                    tracing::warn!(error = %e, "the overview's figures could not be computed")
                }
            }
            if let Err(e) = sessions::purge(&self.pool).await {
                tracing::warn!(error = %e, "old console sessions could not be forgotten");
            }
            if let Err(e) = lock.release().await {
                tracing::warn!(error = %e, "releasing the overview lock failed");
            }
        })
    }
}
