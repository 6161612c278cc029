//! The fault suite behind `scripts/faults`: esim-courier under kill -9, a PostgreSQL cut,
//! an SMTP outage and Gigs 503 and 429 storms, each under load, each bounded in time.
//! Every server it talks to is on loopback. Exits 1 when an accepted webhook was lost.
#[allow(dead_code)]
#[path = "../common/mod.rs"]
mod common;
mod gigs;
mod lab;
mod phase;
mod proxy;
mod tally;
mod traffic;

use std::{path::PathBuf, time::Duration};

use phase::{Fault, Plan};

/// Every fault in the order it runs, with the full and the short (`FAULTS_SHORT=1`) plan.
fn plans(short: bool) -> Vec<(Fault, Plan)> {
    let s = Duration::from_secs;
    let (webhooks, strike) = if short { (300, s(1)) } else { (3000, s(3)) };
    let plan = |rate: u64, outage: Duration, wait: Duration| Plan {
        webhooks,
        rate: if short { rate / 3 } else { rate },
        strike_after: strike,
        outage,
        wait,
    };
    // Bounds, not pauses (a phase ends once all is emailed): after kill -9 a delivery the
    // dead worker held is claimed again when its lease (DELIVERY_LEASE_SECS, 25 s) runs out.
    let lease_wait = s(90);
    let (outage, retry_wait) = if short {
        (s(10), s(90))
    } else {
        (s(30), s(150))
    };
    vec![
        (
            Fault::Kill9,
            plan(600, s(if short { 1 } else { 2 }), lease_wait),
        ),
        (Fault::PgCut, plan(300, s(10), lease_wait)),
        (
            Fault::SmtpDown,
            plan(300, if short { outage } else { s(60) }, retry_wait),
        ),
        (Fault::Gigs503, plan(300, outage, retry_wait)),
        (
            Fault::Gigs429(if short { 20 } else { 40 }),
            plan(300, outage, retry_wait),
        ),
    ]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let binary = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "target/release/esim-courier".into()),
    );
    let short = std::env::var("FAULTS_SHORT").is_ok_and(|v| v == "1");
    // FAULTS_ONLY=kill9,pg_cut runs only those phases.
    let only = std::env::var("FAULTS_ONLY").ok();
    let want = |name: &str| {
        only.as_deref()
            .is_none_or(|o| o.split(',').any(|p| p.trim() == name))
    };
    // FAULTS_WAIT_S bounds every phase's wait after its fault (e.g. with a shorter lease).
    let wait = std::env::var("FAULTS_WAIT_S")
        .ok()
        .and_then(|w| w.parse().ok())
        .map(Duration::from_secs);
    let db_prefix = std::env::var("FAULTS_DB")
        .unwrap_or_else(|_| format!("esim_courier_faults_{}", std::process::id()));

    let lab = lab::Lab::start(&binary, &db_prefix).await?;
    let started = std::time::Instant::now();
    let mut lines = Vec::new();
    let mut rows = Vec::new();
    let mut broken = false;
    let chosen: Vec<_> = plans(short)
        .into_iter()
        .filter(|(f, _)| want(f.name()))
        .collect();
    for (i, (fault, mut plan)) in chosen.iter().copied().enumerate() {
        plan.wait = wait.unwrap_or(plan.wait);
        println!(
            "{}/{} {}: {} webhooks at {}/s, fault after {} s for {} s, then up to {} s",
            i + 1,
            chosen.len(),
            fault.name(),
            plan.webhooks,
            plan.rate,
            plan.strike_after.as_secs(),
            plan.outage.as_secs(),
            plan.wait.as_secs()
        );
        match phase::run(&lab, fault, plan).await {
            Ok(figures) => {
                broken |= figures.lost > 0;
                lines.extend(figures.lines(fault.name()));
                rows.push((fault.describe(&plan), figures));
            }
            Err(e) => {
                broken = true;
                eprintln!("    {} failed: {e:#}", fault.name());
                let _ = lab.drop_database(fault.name()).await;
            }
        }
    }
    lines.push(format!(
        "faults_profile={}",
        if short { "short" } else { "full" }
    ));
    lines.push(format!("faults_s={:.0}", started.elapsed().as_secs_f64()));
    std::fs::write(lab.dir.join("last-run.md"), tally::table(&rows))?;
    println!();
    for line in &lines {
        println!("{line}");
    }
    lab.gigs.stop().await;
    if broken {
        eprintln!("FAIL: an accepted webhook was not emailed, or a phase did not run");
        std::process::exit(1);
    }
    Ok(())
}
