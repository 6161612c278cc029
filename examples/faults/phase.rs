//! One fault phase: fresh database and service, a load of webhooks, the fault struck while
//! the load runs and lifted, a bounded wait for every accepted delivery, the figures.
use std::time::{Duration, Instant};

use crate::{
    gigs::Mode,
    lab::{Lab, Ledger},
    tally::{self, Figures, Window},
    traffic,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// `kill -9` of `serve`, started again on the same port after `outage`.
    Kill9,
    /// Every PostgreSQL connection closed, new ones refused, for `outage`.
    PgCut,
    /// Every SMTP connection closed, new ones refused, for `outage`.
    SmtpDown,
    /// Gigs answers every call `503`, for `outage`.
    Gigs503,
    /// Gigs answers every call `429` with `Retry-After: {0}`, for `outage`.
    Gigs429(u64),
}

impl Fault {
    pub fn name(self) -> &'static str {
        match self {
            Self::Kill9 => "kill9",
            Self::PgCut => "pg_cut",
            Self::SmtpDown => "smtp_down",
            Self::Gigs503 => "gigs_503",
            Self::Gigs429(_) => "gigs_429",
        }
    }

    /// What the fault was, for the docs' table.
    pub fn describe(self, plan: &Plan) -> String {
        let secs = plan.outage.as_secs();
        match self {
            Self::Kill9 => format!("kill -9, restart {secs} s later"),
            Self::PgCut => format!("PostgreSQL cut {secs} s"),
            Self::SmtpDown => format!("SMTP down {secs} s"),
            Self::Gigs503 => format!("Gigs 503 for {secs} s"),
            Self::Gigs429(after) => format!("Gigs 429, Retry-After {after}, for {secs} s"),
        }
    }
}

/// How much load, when the fault strikes and how long it lasts, how long to wait after.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub webhooks: u64,
    pub rate: u64,
    /// From the load's start to the fault.
    pub strike_after: Duration,
    pub outage: Duration,
    /// After the fault ends, how long every accepted delivery has to be emailed (and the
    /// database to have nothing open) before the phase gives up.
    pub wait: Duration,
}

/// After the fault, how long the load keeps redelivering what was not accepted.
const REDELIVER_FOR: Duration = Duration::from_secs(30);

pub async fn run(lab: &Lab, fault: Fault, plan: Plan) -> anyhow::Result<Figures> {
    let name = fault.name();
    // Whatever an earlier phase left struck (it may have stopped on an error) is lifted.
    lab.pg.restore();
    lab.smtp.restore();
    lab.gigs.set(Mode::Normal);
    lab.fresh_database(name).await?;
    lab.sink.clear();
    let mut service = lab.serve(name, 1, None).await?;
    let port = service.port;
    let started = Instant::now();
    let give_up = started + plan.strike_after + plan.outage + REDELIVER_FOR;
    let base = service.base();
    let tag = format!("{}_", name.replace('_', ""));
    let load =
        tokio::spawn(
            async move { traffic::run(&base, &tag, plan.webhooks, plan.rate, give_up).await },
        );

    tokio::time::sleep_until((started + plan.strike_after).into()).await;
    let start = Instant::now();
    let refused = (lab.pg.refused(), lab.smtp.refused(), lab.gigs.refused());
    println!(
        "    {:>5.1} s  {name} strikes",
        (start - started).as_secs_f64()
    );
    let end = match fault {
        Fault::Kill9 => {
            service.kill9().await?;
            tokio::time::sleep(plan.outage).await;
            let restarted = Instant::now();
            service = lab.serve(name, 2, Some(port)).await?;
            restarted
        }
        Fault::PgCut | Fault::SmtpDown => {
            let proxy = if fault == Fault::PgCut {
                &lab.pg
            } else {
                &lab.smtp
            };
            proxy.cut();
            tokio::time::sleep(plan.outage).await;
            proxy.restore();
            Instant::now()
        }
        Fault::Gigs503 | Fault::Gigs429(_) => {
            lab.gigs.set(match fault {
                Fault::Gigs429(secs) => Mode::RateLimited(secs),
                _ => Mode::Unavailable,
            });
            tokio::time::sleep(plan.outage).await;
            lab.gigs.set(Mode::Normal);
            Instant::now()
        }
    };
    println!(
        "    {:>5.1} s  {name} lifted: {} PostgreSQL and {} SMTP connections refused, {} Gigs calls failed",
        (end - started).as_secs_f64(),
        lab.pg.refused() - refused.0,
        lab.smtp.refused() - refused.1,
        lab.gigs.refused() - refused.2
    );

    let traffic = load.await?;
    println!(
        "    {:>5.1} s  load done: {} of {} webhooks accepted, {} redeliveries",
        started.elapsed().as_secs_f64(),
        traffic.accepted.len(),
        traffic.sent,
        traffic.redeliveries
    );
    let mut ledger = Ledger::open(&lab.direct_url(name)).await?;
    let settled = settle(lab, &mut ledger, &traffic, end + plan.wait).await?;
    println!(
        "    {:>5.1} s  {}",
        started.elapsed().as_secs_f64(),
        if settled {
            "every accepted delivery emailed, nothing open"
        } else {
            "gave up waiting"
        }
    );
    let mails = lab.sink.mails();
    let sims = ledger.sims().await?;
    let figures = tally::tally(&traffic, &mails, Window { start, end }, &sims);
    if figures.lost > 0 {
        let statuses = ledger.statuses(&figures.lost_ids).await?;
        println!("    not emailed: {statuses}");
    }
    drop(ledger);
    service.stop().await?;
    lab.drop_database(name).await?;
    Ok(figures)
}

/// Waits until every accepted delivery was emailed and the database has nothing open,
/// or `deadline`; true when it all settled.
async fn settle(
    lab: &Lab,
    ledger: &mut Ledger,
    traffic: &traffic::Traffic,
    deadline: Instant,
) -> anyhow::Result<bool> {
    let mut emailed = false;
    let mut seen = 0;
    loop {
        // Copying every mail is not free: look again only when more arrived, and only
        // once there are as many as accepted deliveries.
        let count = lab.sink.count();
        if !emailed && count != seen && count >= traffic.accepted.len() {
            seen = count;
            let (first, _) = tally::arrivals(&lab.sink.mails());
            emailed = traffic
                .accepted
                .iter()
                .all(|a| first.contains_key(&a.delivery));
        }
        if emailed && ledger.open_deliveries().await? == 0 {
            return Ok(true);
        }
        if Instant::now() >= deadline {
            return Ok(false);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
