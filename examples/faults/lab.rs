//! The world the service runs in during the suite, all on loopback: PostgreSQL and the
//! SMTP sink behind cuttable proxies, the switchable Gigs API, one fresh database a phase.
use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    time::Duration,
};

use sqlx::{Connection, PgConnection};

use crate::{
    common::{
        self, db,
        process::{self, Env, Service},
        smtp::SmtpSink,
    },
    gigs::Gigs,
    proxy::Proxy,
};

/// A real API's latency on every Gigs call: deliveries take a while, so some are in flight
/// when a fault strikes.
const GIGS_LATENCY: Duration = Duration::from_millis(25);

pub struct Lab {
    pub binary: PathBuf,
    pub dir: PathBuf,
    /// Prefix of every database the suite makes (`{prefix}_{phase}`); unique to the run.
    pub db_prefix: String,
    pub sink: SmtpSink,
    pub smtp: Proxy,
    pub pg: Proxy,
    pub gigs: Gigs,
    /// Variables passed to the service as they are (`FAULTS_SERVICE_ENV`).
    pub extra: Vec<(String, String)>,
}

impl Lab {
    pub async fn start(binary: &Path, db_prefix: &str) -> anyhow::Result<Self> {
        anyhow::ensure!(
            !db_prefix.is_empty()
                && db_prefix
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
            "the database prefix must be lower-case letters, digits and _"
        );
        let dir = PathBuf::from("target/faults");
        std::fs::create_dir_all(&dir)?;
        let sink = SmtpSink::start().await;
        let smtp = Proxy::start(sink.port).await?;
        let pg_port = common::PG_BASE
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or(5432);
        let pg = Proxy::start(pg_port).await?;
        let extra = std::env::var("FAULTS_SERVICE_ENV")
            .unwrap_or_default()
            .split_whitespace()
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        Ok(Self {
            binary: binary.to_owned(),
            dir,
            db_prefix: db_prefix.to_owned(),
            sink,
            smtp,
            pg,
            gigs: Gigs::start(GIGS_LATENCY)?,
            extra,
        })
    }

    pub fn database(&self, phase: &str) -> String {
        format!("{}_{phase}", self.db_prefix)
    }

    /// The URL that reaches the phase's database directly, not through the proxy.
    pub fn direct_url(&self, phase: &str) -> String {
        format!("{}/{}", common::PG_BASE, self.database(phase))
    }

    /// A fresh, migrated database for the phase.
    pub async fn fresh_database(&self, phase: &str) -> anyhow::Result<()> {
        db::recreate(&self.database(phase)).await?;
        db::migrate(&self.binary, &self.direct_url(phase)).await
    }

    pub async fn drop_database(&self, phase: &str) -> anyhow::Result<()> {
        db::drop_db(&self.database(phase)).await
    }

    /// `serve` for the phase, reaching PostgreSQL and SMTP through the proxies; on `port`
    /// when given (a restart), else on a free one.
    pub async fn serve(&self, phase: &str, run: u32, port: Option<u16>) -> anyhow::Result<Service> {
        let database_url = format!(
            "postgres://postgres@127.0.0.1:{}/{}",
            self.pg.port,
            self.database(phase)
        );
        let mut extra = vec![("SHUTDOWN_GRACE_SECS".to_owned(), "5".to_owned())];
        extra.extend(self.extra.iter().cloned());
        let env = Env {
            database_url: &database_url,
            gigs_url: &self.gigs.url,
            smtp_port: self.smtp.port,
            extra: &extra,
        };
        let log = self.dir.join(format!("{phase}-serve-{run}.log"));
        let port = port.unwrap_or_else(process::free_port);
        let service = process::start_at(&self.binary, &["serve"], &env, &log, port).await?;
        service.wait_ready().await?;
        Ok(service)
    }
}

/// The phase's database, read directly: what is still open, and each delivery's SIM.
pub struct Ledger {
    db: PgConnection,
}

impl Ledger {
    pub async fn open(url: &str) -> anyhow::Result<Self> {
        Ok(Self {
            db: PgConnection::connect(url).await?,
        })
    }

    /// Deliveries not yet `delivered`, `failed` or `skipped`.
    pub async fn open_deliveries(&mut self) -> anyhow::Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT count(*) FROM deliveries WHERE status IN ('pending', 'processing', 'retrying')",
        )
        .fetch_one(&mut self.db)
        .await?)
    }

    pub async fn sims(&mut self) -> anyhow::Result<HashMap<String, String>> {
        let rows: Vec<(String, Option<String>)> =
            sqlx::query_as("SELECT id, sim_id FROM deliveries")
                .fetch_all(&mut self.db)
                .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, sim)| Some((id, sim?)))
            .collect())
    }

    /// How the given deliveries stand, e.g. `retrying: 3, failed: 1`.
    pub async fn statuses(&mut self, ids: &[String]) -> anyhow::Result<String> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT status, count(*) FROM deliveries WHERE id = ANY($1) GROUP BY status ORDER BY status",
        )
        .bind(ids)
        .fetch_all(&mut self.db)
        .await?;
        Ok(rows
            .iter()
            .map(|(s, n)| format!("{s}: {n}"))
            .collect::<Vec<_>>()
            .join(", "))
    }
}
