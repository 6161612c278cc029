//! One phase's figures, from the 2xx the load got, the mails the sink took and the
//! database's delivery-to-SIM map.
use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use crate::{
    common::{message_delivery_id, smtp::ReceivedMail},
    traffic::Traffic,
};

/// When the fault began and when it ended (for kill -9: when the service was started again).
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub start: Instant,
    pub end: Instant,
}

#[derive(Debug, Default)]
pub struct Figures {
    pub sent: u64,
    pub accepted: usize,
    /// Accepted (2xx) and never emailed by the end of the bounded wait: must be 0.
    pub lost: usize,
    /// SIMs that got more than one email.
    pub duplicate_sims: usize,
    pub emails: usize,
    /// Accepted before the fault began and not emailed by then.
    pub in_flight_at_fault: usize,
    /// From the fault's end until the last of those was emailed; `None` if one never was.
    pub recovery_s: Option<f64>,
    /// From the fault's end until the last accepted delivery was emailed.
    pub drain_s: Option<f64>,
    /// Webhooks with no 2xx when the load gave up redelivering them (not accepted, so
    /// not lost: Gigs keeps redelivering for days).
    pub unanswered: u64,
    pub redeliveries: u64,
    /// Deliveries never emailed.
    pub lost_ids: Vec<String>,
}

impl Figures {
    /// Each figure's name and value, in the order they are printed.
    pub fn fields(&self) -> Vec<(&'static str, String)> {
        let secs = |s: Option<f64>| s.map_or("-1".to_owned(), |s| format!("{s:.1}"));
        vec![
            ("sent", self.sent.to_string()),
            ("accepted", self.accepted.to_string()),
            ("lost", self.lost.to_string()),
            ("duplicate_sims", self.duplicate_sims.to_string()),
            ("emails", self.emails.to_string()),
            ("in_flight_at_fault", self.in_flight_at_fault.to_string()),
            ("recovery_s", secs(self.recovery_s)),
            ("drain_s", secs(self.drain_s)),
            ("unanswered", self.unanswered.to_string()),
            ("redeliveries", self.redeliveries.to_string()),
        ]
    }

    /// `name=value` lines, each name prefixed with the phase.
    pub fn lines(&self, phase: &str) -> Vec<String> {
        self.fields()
            .into_iter()
            .map(|(name, value)| format!("{phase}_{name}={value}"))
            .collect()
    }
}

/// A Markdown table: one row a phase (its description, then every figure).
pub fn table(rows: &[(String, Figures)]) -> String {
    let Some((_, first)) = rows.first() else {
        return String::new();
    };
    let names: Vec<&str> = first.fields().iter().map(|(n, _)| *n).collect();
    let mut out = format!("| fault | {} |\n|---|", names.join(" | "));
    out.push_str(&"---:|".repeat(names.len()));
    for (fault, figures) in rows {
        let values: Vec<String> = figures.fields().into_iter().map(|(_, v)| v).collect();
        out.push_str(&format!("\n| {fault} | {} |", values.join(" | ")));
    }
    out.push('\n');
    out
}

/// Delivery id -> when its first email arrived, and the ids of every email in order.
pub fn arrivals(mails: &[ReceivedMail]) -> (HashMap<String, Instant>, Vec<String>) {
    let mut first = HashMap::new();
    let mut ids = Vec::with_capacity(mails.len());
    for mail in mails {
        let id = message_delivery_id(&mail.data).unwrap_or_else(|| "unknown".into());
        first
            .entry(id.clone())
            .and_modify(|at: &mut Instant| *at = (*at).min(mail.at))
            .or_insert(mail.at);
        ids.push(id);
    }
    (first, ids)
}

/// `sims` maps a delivery id to its SIM (from the database); an email whose delivery is
/// not there counts under its own id.
pub fn tally(
    traffic: &Traffic,
    mails: &[ReceivedMail],
    fault: Window,
    sims: &HashMap<String, String>,
) -> Figures {
    let (first, ids) = arrivals(mails);
    let mut per_sim: HashMap<&str, usize> = HashMap::new();
    for id in &ids {
        let sim = sims.get(id).map_or(id.as_str(), String::as_str);
        *per_sim.entry(sim).or_default() += 1;
    }
    let since_end = |at: Instant| at.saturating_duration_since(fault.end).as_secs_f64();
    let latest = |deliveries: &mut dyn Iterator<Item = &String>| -> Option<f64> {
        let mut last = Duration::ZERO.as_secs_f64();
        for d in deliveries {
            last = last.max(since_end(*first.get(d)?));
        }
        Some(last)
    };
    let in_flight: Vec<&String> = traffic
        .accepted
        .iter()
        .filter(|a| a.at < fault.start && first.get(&a.delivery).is_none_or(|m| *m > fault.start))
        .map(|a| &a.delivery)
        .collect();
    let lost_ids: Vec<String> = traffic
        .accepted
        .iter()
        .filter(|a| !first.contains_key(&a.delivery))
        .map(|a| a.delivery.clone())
        .collect();
    Figures {
        sent: traffic.sent,
        accepted: traffic.accepted.len(),
        lost: lost_ids.len(),
        duplicate_sims: per_sim.values().filter(|n| **n > 1).count(),
        emails: mails.len(),
        in_flight_at_fault: in_flight.len(),
        recovery_s: latest(&mut in_flight.into_iter()),
        drain_s: latest(&mut traffic.accepted.iter().map(|a| &a.delivery)),
        unanswered: traffic.unanswered,
        redeliveries: traffic.redeliveries,
        lost_ids,
    }
}
