//! Every SQL statement of the service, behind typed functions: pool, migrations, rows.
pub mod alerts;
pub mod audit;
pub mod bounces;
pub mod deliveries;
pub mod erasure;
mod error;
pub mod events;
pub mod history;
pub mod install_links;
pub mod installs;
pub mod locks;
pub mod notices;
pub mod overview;
pub mod pace;
pub mod queue;
pub mod reminders;
mod rows;
pub mod sessions;
pub mod sims;
pub mod stats;
pub mod suppressions;

use std::str::FromStr;

use anyhow::Context;
use secrecy::ExposeSecret;
use sqlx::{
    PgPool, Postgres,
    migrate::{MigrateDatabase, Migrator},
    postgres::{PgConnectOptions, PgPoolOptions},
};

pub use error::{Error, Fault, Result};
pub use rows::{Claimed, DeliveryRow, HistoryRow};

use crate::config::DatabaseSettings;

/// The channel a new pending delivery is announced on, so idle workers wake at once.
pub const NOTIFY_CHANNEL: &str = "esim_courier_deliveries";

pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

pub fn connect_options(settings: &DatabaseSettings) -> anyhow::Result<PgConnectOptions> {
    let options = PgConnectOptions::from_str(settings.url.expose_secret())
        .context("DATABASE_URL is not a valid PostgreSQL URL")?;
    // A 2xx promises the event is on disk, whatever the server's default says.
    // Custom plans: a plan cached while the tables were small would keep scanning them
    // whole as they grow, until autovacuum analyzes them.
    Ok(options
        .options([
            ("synchronous_commit", "on"),
            ("plan_cache_mode", "force_custom_plan"),
        ])
        .application_name("esim-courier"))
}

/// A pool that connects on first use, so the process starts even while PostgreSQL is down.
pub fn lazy_pool(settings: &DatabaseSettings) -> anyhow::Result<PgPool> {
    Ok(PgPoolOptions::new()
        .max_connections(settings.max_connections)
        .acquire_timeout(settings.acquire_timeout)
        .connect_lazy_with(connect_options(settings)?))
}

/// Creates the database if it is missing, then applies every pending migration. Each
/// connection must answer within the connect timeout: an address that accepts and never
/// answers must not leave the process silent forever.
pub async fn create_and_migrate(settings: &DatabaseSettings) -> anyhow::Result<()> {
    let url = settings.url.expose_secret();
    if !database_exists(settings).await? {
        let created = within(settings, Postgres::create_database(url)).await;
        if let Err(e) = created {
            // Another process may have created it at the same moment.
            if !database_exists(settings).await.unwrap_or(false) {
                return Err(e).context("cannot create the database");
            }
        }
        tracing::info!("created the database");
    }
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(settings.connect_timeout)
        .connect_with(connect_options(settings)?)
        .await
        .context("cannot connect to the database at DATABASE_URL")?;
    migrate(&pool).await
}

/// Whether `DATABASE_URL`'s database exists, asked of its server (`check` reaches
/// PostgreSQL this way too, changing nothing).
pub async fn database_exists(settings: &DatabaseSettings) -> anyhow::Result<bool> {
    within(
        settings,
        Postgres::database_exists(settings.url.expose_secret()),
    )
    .await
    .context("cannot reach PostgreSQL at DATABASE_URL")
}

/// Drops `DATABASE_URL`'s database, its connections and all (the demo's own, at its end).
pub async fn drop_database(settings: &DatabaseSettings) -> anyhow::Result<()> {
    within(
        settings,
        Postgres::force_drop_database(settings.url.expose_secret()),
    )
    .await
    .context("cannot drop the database")
}

/// `step`, given up after the connect timeout.
async fn within<T>(
    settings: &DatabaseSettings,
    step: impl std::future::Future<Output = sqlx::Result<T>>,
) -> anyhow::Result<T> {
    match tokio::time::timeout(settings.connect_timeout, step).await {
        Ok(done) => Ok(done?),
        Err(_) => anyhow::bail!("no answer within {} s", settings.connect_timeout.as_secs()),
    }
}

pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    MIGRATOR
        .run(pool)
        .await
        .context("cannot apply the database migrations")
}

/// Ready when PostgreSQL answers and the newest embedded migration is applied.
pub async fn is_ready(pool: &PgPool) -> bool {
    let Some(latest) = MIGRATOR.iter().map(|m| m.version).max() else {
        return true;
    };
    // `_sqlx_migrations` belongs to sqlx and is made at run time: not checked at build.
    let applied: Result<Option<i64>, _> =
        sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(pool)
            .await;
    matches!(applied, Ok(Some(v)) if v >= latest)
}
