//! The benchmark's phases, in order: limits first, then the service against them.
use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use sqlx::{Connection, PgConnection};

use crate::{
    Figures,
    common::{
        self, db, load, message_delivery_id,
        process::{self, Env},
        smtp::SmtpSink,
    },
    limits,
};

const BENCH_DB: &str = "esim_courier_bench";

pub async fn run_all(
    binary: &str,
    f: &mut Figures,
) -> anyhow::Result<Option<crate::scale::ScaleFigures>> {
    let binary = PathBuf::from(binary);
    let dir = PathBuf::from("target/bench");
    std::fs::create_dir_all(&dir)?;
    let sink = SmtpSink::start().await;
    let (gigs_url, _gigs) = esim_courier::demo::sandbox::start("jerry@example.com".into())?;
    db::recreate(BENCH_DB).await?;
    let database_url = format!("{}/{BENCH_DB}", common::PG_BASE);
    db::migrate(&binary, &database_url).await?;
    let env = Env {
        database_url: &database_url,
        gigs_url: &gigs_url,
        smtp_port: sink.port,
        extra: &[],
    };
    let run = Run {
        binary: &binary,
        dir: &dir,
        env: &env,
        sink: &sink,
    };

    // BENCH_ONLY=ingest,pipeline (any of limits, ingest, sink, pipeline, latency, scale)
    // runs only those phases, for quick experiments. The scale phase (many minutes) runs
    // only when named.
    let only = std::env::var("BENCH_ONLY")
        .ok()
        .filter(|o| !o.trim().is_empty());
    let want = |phase: &str| match only.as_deref() {
        None => phase != "scale",
        Some(o) => o.split(',').any(|p| p.trim() == phase),
    };
    let mut peak = 0.0f64;
    if want("limits") {
        println!("1/6 durable-insert limit: pgbench, 64 clients, 1 KB row per transaction");
        f.ingest_limit_per_s = limits::pgbench(&dir).await?;
        println!("    {:.0} tps", f.ingest_limit_per_s);
    }
    if want("ingest") {
        peak = peak.max(run.ingest(f).await?);
    }
    if want("sink") {
        run.sink_limit(f).await?;
    }
    if want("pipeline") {
        peak = peak.max(run.pipeline(f).await?);
    }
    if want("latency") {
        peak = peak.max(run.latency(f).await?);
        println!("6/6 memory");
        f.rss_peak_mb = peak;
        println!(
            "    idle {:.1} MiB, peak {:.1} MiB",
            f.rss_idle_mb, f.rss_peak_mb
        );
    }
    if want("scale") {
        println!("7/7 scale: a million deliveries, then the desk's reads, the console, retention");
        let scale = crate::scale::run(&binary, &dir, &gigs_url, sink.port).await?;
        return Ok(Some(scale));
    }
    Ok(None)
}

struct Run<'a> {
    binary: &'a Path,
    dir: &'a Path,
    env: &'a Env<'a>,
    sink: &'a SmtpSink,
}

impl Run<'_> {
    /// Returns the service's peak RSS.
    async fn ingest(&self, f: &mut Figures) -> anyhow::Result<f64> {
        let (conns, secs) = (crate::INGEST_CONNECTIONS, crate::INGEST_SECS);
        println!("2/6 ingest: {conns} connections for {secs} s");
        let log = self.dir.join("serve-ingest.log");
        let http = process::start(self.binary, &["serve", "--no-worker"], self.env, &log).await?;
        http.wait_ready().await?;
        let r = load::ingest(&http.base(), conns, Duration::from_secs(secs)).await;
        f.ingest_per_s = r.accepted as f64 / r.elapsed.as_secs_f64();
        f.ingest_p50_ms = crate::percentile(&r.latencies, 0.50);
        f.ingest_p99_ms = crate::percentile(&r.latencies, 0.99);
        println!(
            "    {} accepted, {} failed: {:.0}/s, p50 {:.1} ms, p99 {:.1} ms",
            r.accepted, r.failed, f.ingest_per_s, f.ingest_p50_ms, f.ingest_p99_ms
        );
        let peak = http.rss_mb().1;
        http.stop().await?;
        Ok(peak)
    }

    async fn sink_limit(&self, f: &mut Figures) -> anyhow::Result<()> {
        println!("3/6 sending limit: the SMTP sink's acceptance rate from a bare SMTP client");
        let message = limits::sample_message()?;
        f.message_bytes = message.formatted().len();
        f.sink_limit_per_s =
            limits::sink_limit(self.sink, &message, Duration::from_secs(10)).await?;
        println!(
            "    {:.0} messages/s of {} bytes",
            f.sink_limit_per_s, f.message_bytes
        );
        self.sink.clear();
        f.compose_limit_per_s = limits::compose_limit(Duration::from_secs(5))?;
        println!(
            "    composing alone on every core: {:.0} messages/s",
            f.compose_limit_per_s
        );
        Ok(())
    }

    /// Returns the worker's peak RSS.
    async fn pipeline(&self, f: &mut Figures) -> anyhow::Result<f64> {
        println!(
            "4/6 pipeline: a backlog of {} pending deliveries drained by one worker",
            crate::BACKLOG
        );
        let mut db = PgConnection::connect(self.env.database_url).await?;
        // Earlier phases' deliveries are not part of this backlog.
        sqlx::query("UPDATE deliveries SET status = 'skipped', next_attempt_at = NULL WHERE status = 'pending'")
            .execute(&mut db)
            .await?;
        sqlx::query(
            "INSERT INTO deliveries (id, status, event_id, event_type, project, sim_id,
                subscription_id, user_id, recipient, automatic, next_attempt_at)
             SELECT 'dlv_bench' || g, 'pending', 'evt_bench' || g, 'com.gigs.subscription.activated',
                $1, 'sim_bench' || g, 'sub_demo', 'usr_demo', 'jerry@example.com', true, now()
             FROM generate_series(1, $2) g",
        )
        .bind(common::PROJECT)
        .bind(crate::BACKLOG)
        .execute(&mut db)
        .await?;
        // The mass update above is the benchmark's doing, not the service's: clear its dead
        // rows as autovacuum would have, so the drain is measured on a settled table.
        sqlx::query("VACUUM ANALYZE deliveries")
            .execute(&mut db)
            .await?;
        let log = self.dir.join("worker.log");
        let worker = process::start(self.binary, &["worker"], self.env, &log).await?;
        let deadline = Instant::now() + Duration::from_secs(600);
        while self.sink.count() < crate::BACKLOG as usize && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let mails = self.sink.mails();
        anyhow::ensure!(
            mails.len() == crate::BACKLOG as usize,
            "only {} of the backlog arrived",
            mails.len()
        );
        let first = mails.iter().map(|m| m.at).min().expect("mails");
        let last = mails.iter().map(|m| m.at).max().expect("mails");
        f.pipeline_per_s = (mails.len() - 1) as f64 / (last - first).as_secs_f64();
        println!(
            "    {:.0} emails/s (first to last acceptance)",
            f.pipeline_per_s
        );
        let peak = worker.rss_mb().1;
        worker.stop().await?;
        self.sink.clear();
        Ok(peak)
    }

    /// Measures idle RSS before the load; returns the service's peak RSS.
    async fn latency(&self, f: &mut Figures) -> anyhow::Result<f64> {
        let (rate, secs) = (crate::LATENCY_RATE, crate::LATENCY_SECS);
        println!("5/6 latency: {rate} webhooks/s for {secs} s, 2xx to SMTP acceptance");
        let log = self.dir.join("serve-latency.log");
        let serve = process::start(self.binary, &["serve"], self.env, &log).await?;
        serve.wait_ready().await?;
        tokio::time::sleep(Duration::from_secs(3)).await;
        f.rss_idle_mb = serve.rss_mb().0;
        let answered = load::steady(&serve.base(), rate, secs).await;
        let mails = self
            .sink
            .wait_for(answered.len(), Duration::from_secs(120))
            .await;
        let arrived: HashMap<String, Instant> = mails
            .iter()
            .filter_map(|m| message_delivery_id(&m.data).map(|id| (id, m.at)))
            .collect();
        let mut latencies: Vec<Duration> = answered
            .iter()
            .filter_map(|(id, answered_at)| {
                arrived
                    .get(id)
                    .map(|at| at.saturating_duration_since(*answered_at))
            })
            .collect();
        latencies.sort();
        anyhow::ensure!(
            latencies.len() == answered.len(),
            "{} of {} emails arrived",
            latencies.len(),
            answered.len()
        );
        f.latency_p50_ms = crate::percentile(&latencies, 0.50);
        f.latency_p99_ms = crate::percentile(&latencies, 0.99);
        println!(
            "    {} deliveries: p50 {:.1} ms, p99 {:.1} ms",
            latencies.len(),
            f.latency_p50_ms,
            f.latency_p99_ms
        );
        let peak = serve.rss_mb().1;
        serve.stop().await?;
        Ok(peak)
    }
}
