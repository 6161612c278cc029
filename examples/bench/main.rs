//! The benchmark behind `scripts/bench`: esim-courier's ingest, pipeline and latency beside
//! this machine's own limits (pgbench, the SMTP sink's acceptance rate), in one run.
//! Every server it talks to is on loopback; every loop is bounded in time or count.
#[allow(dead_code)]
#[path = "../common/mod.rs"]
mod common;
mod limits;
mod phases;
mod scale;

use std::time::Duration;

pub const INGEST_SECS: u64 = 10;
pub const INGEST_CONNECTIONS: usize = 64;
pub const BACKLOG: i64 = 5000;
pub const LATENCY_RATE: u64 = 100;
pub const LATENCY_SECS: u64 = 30;

#[derive(Debug, Default)]
pub struct Figures {
    pub ingest_per_s: f64,
    pub ingest_limit_per_s: f64,
    pub ingest_p50_ms: f64,
    pub ingest_p99_ms: f64,
    pub pipeline_per_s: f64,
    pub sink_limit_per_s: f64,
    pub compose_limit_per_s: f64,
    pub latency_p50_ms: f64,
    pub latency_p99_ms: f64,
    pub rss_idle_mb: f64,
    pub rss_peak_mb: f64,
    pub message_bytes: usize,
}

pub fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let binary = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/release/esim-courier".into());
    let mut f = Figures::default();
    let scale = phases::run_all(&binary, &mut f).await?;
    println!();
    let only = std::env::var("BENCH_ONLY").ok();
    if let Some(scale) = scale {
        scale.print();
    }
    // A scale-only run has none of the figures below.
    if only.as_deref().is_some_and(|o| o.trim() == "scale") {
        return Ok(());
    }

    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
    println!("message_bytes={}", f.message_bytes);
    println!("ingest_p50_ms={:.1}", f.ingest_p50_ms);
    println!("ingest_per_s={:.0}", f.ingest_per_s);
    println!("ingest_limit_per_s={:.0}", f.ingest_limit_per_s);
    println!(
        "ingest_ratio={:.2}",
        ratio(f.ingest_per_s, f.ingest_limit_per_s)
    );
    println!("ingest_p99_ms={:.1}", f.ingest_p99_ms);
    println!("pipeline_per_s={:.0}", f.pipeline_per_s);
    println!("sink_limit_per_s={:.0}", f.sink_limit_per_s);
    println!("compose_limit_per_s={:.0}", f.compose_limit_per_s);
    // Against the slower of the pipeline's two limits: the relay's acceptance and this
    // machine's composing (which the worker, PostgreSQL and the sink share meanwhile).
    let pipeline_limit = [f.sink_limit_per_s, f.compose_limit_per_s]
        .into_iter()
        .filter(|l| *l > 0.0)
        .fold(f64::NAN, f64::min);
    println!(
        "pipeline_ratio={:.2}",
        ratio(f.pipeline_per_s, pipeline_limit)
    );
    println!("latency_p50_ms={:.1}", f.latency_p50_ms);
    println!("latency_p99_ms={:.1}", f.latency_p99_ms);
    println!("rss_idle_mb={:.1}", f.rss_idle_mb);
    println!("rss_peak_mb={:.1}", f.rss_peak_mb);
    Ok(())
}
