//! Every SQL statement of the service, behind typed functions: pool, migrations, rows.
pub mod alerts;
pub mod bounces;
pub mod deliveries;
pub mod erasure;
pub mod events;
pub mod history;
pub mod install_links;
pub mod installs;
pub mod locks;
pub mod queue;
pub mod reminders;
mod rows;
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

/// Creates the database if it is missing, then applies every pending migration.
pub async fn create_and_migrate(settings: &DatabaseSettings) -> anyhow::Result<()> {
    let url = settings.url.expose_secret();
    if !Postgres::database_exists(url)
        .await
        .context("cannot reach PostgreSQL at DATABASE_URL")?
    {
        if let Err(e) = Postgres::create_database(url).await {
            // Another process may have created it at the same moment.
            if !Postgres::database_exists(url).await.unwrap_or(false) {
                return Err(e).context("cannot create the database");
            }
        }
        tracing::info!("created the database");
    }
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(connect_options(settings)?)
        .await
        .context("cannot connect to the database")?;
    migrate(&pool).await
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

/// What a database error means for the one who asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// PostgreSQL is unreachable, shutting down, overloaded, or the transaction lost a
    /// race it may win next time: try again later (503).
    Unavailable,
    /// The request carried something PostgreSQL cannot take (e.g. a NUL in text): 400.
    BadInput,
    /// Anything else is a bug or a broken schema: an opaque 500, logged at error level.
    Internal,
}

/// Classifies by SQLSTATE class, so a poison input is never answered "retry later".
pub fn classify(e: &sqlx::Error) -> Fault {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::WorkerCrashed => Fault::Unavailable,
        sqlx::Error::Database(db) => classify_code(db.code().as_deref().unwrap_or("")),
        _ => Fault::Internal,
    }
}

fn classify_code(code: &str) -> Fault {
    match code {
        // Connection exceptions, refused logins, a missing database, insufficient
        // resources, operator intervention (shutdown, cannot connect now), system errors,
        // read-only transaction (a standby), serialization failures and deadlocks: all
        // fixed on the server's side, so the sender should come back.
        c if ["08", "28", "3D", "53", "57", "58"]
            .iter()
            .any(|p| c.starts_with(p)) =>
        {
            Fault::Unavailable
        }
        "25006" | "40001" | "40P01" | "55P03" => Fault::Unavailable,
        // Data exceptions (invalid text, NUL bytes, out-of-range numbers) and values too
        // large for an index.
        c if c.starts_with("22") || c == "54000" => Fault::BadInput,
        _ => Fault::Internal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlstate_classes_map_to_faults() {
        for unavailable in [
            "08006", "28P01", "3D000", "53300", "57P01", "57P03", "58030", "40001", "25006",
        ] {
            assert_eq!(
                classify_code(unavailable),
                Fault::Unavailable,
                "{unavailable}"
            );
        }
        for bad in ["22021", "22P05", "22P02", "22003", "54000"] {
            assert_eq!(classify_code(bad), Fault::BadInput, "{bad}");
        }
        for internal in ["42P01", "42703", "23505", "XX000", ""] {
            assert_eq!(classify_code(internal), Fault::Internal, "{internal}");
        }
        assert_eq!(classify(&sqlx::Error::PoolTimedOut), Fault::Unavailable);
        assert_eq!(classify(&sqlx::Error::RowNotFound), Fault::Internal);
    }
}
