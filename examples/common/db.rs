//! The harnesses' databases on the local server: made fresh, migrated by the binary, dropped.
use std::path::Path;

use sqlx::{Connection, PgConnection};

pub async fn admin(statement: &str) -> anyhow::Result<()> {
    let mut admin = PgConnection::connect(&format!("{}/postgres", super::PG_BASE)).await?;
    sqlx::query(statement).execute(&mut admin).await?;
    Ok(())
}

/// Drops `db` if it exists (closing its connections) and creates it empty. Only for
/// databases the harness names itself.
pub async fn recreate(db: &str) -> anyhow::Result<()> {
    drop_db(db).await?;
    admin(&format!("CREATE DATABASE {db}")).await
}

pub async fn drop_db(db: &str) -> anyhow::Result<()> {
    admin(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")).await
}

/// `esim-courier migrate` against `database_url`, as a deployment would run it.
pub async fn migrate(binary: &Path, database_url: &str) -> anyhow::Result<()> {
    let migrated = tokio::process::Command::new(binary)
        .arg("migrate")
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .output()
        .await?;
    anyhow::ensure!(
        migrated.status.success(),
        "esim-courier migrate failed: {}",
        String::from_utf8_lossy(&migrated.stderr)
    );
    Ok(())
}
