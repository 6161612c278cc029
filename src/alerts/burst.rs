//! Which due alerts go one by one and which as one summary: more than `BURST` of a kind
//! created in one minute are a burst, sent as one alert once that minute is over.
use std::collections::BTreeMap;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};

use crate::{domain::AlertKind, store::alerts::Due};

/// More alerts of one kind than this in one minute are summarised.
pub const BURST: usize = 10;

/// One round of the sender.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub bursts: Vec<Burst>,
    /// Sent one by one, at most the batch asked for, longest waiting first.
    pub singles: Vec<i64>,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Burst {
    pub kind: AlertKind,
    /// The minute its alerts were created in.
    pub minute: DateTime<Utc>,
    pub seqs: Vec<i64>,
}

/// Plans a round over `due` (in due order). A burst whose minute is still running waits
/// for it to end, so a long one gives one summary a minute, not one a round.
pub fn plan(due: &[Due], now: DateTime<Utc>, batch: usize) -> Plan {
    let minute_of = |d: &Due| {
        d.created_at
            .duration_trunc(TimeDelta::minutes(1))
            .unwrap_or(d.created_at)
    };
    let mut groups: BTreeMap<(&'static str, DateTime<Utc>), Vec<&Due>> = BTreeMap::new();
    for d in due.iter().filter(|d| d.kind != AlertKind::Quiet) {
        groups
            .entry((d.kind.as_str(), minute_of(d)))
            .or_default()
            .push(d);
    }
    let mut plan = Plan::default();
    let mut bursty = std::collections::HashSet::new();
    for ((_, minute), members) in groups.into_iter().filter(|(_, m)| m.len() > BURST) {
        bursty.extend(members.iter().map(|d| d.seq));
        if minute + TimeDelta::minutes(1) <= now {
            plan.bursts.push(Burst {
                kind: members[0].kind,
                minute,
                seqs: members.iter().map(|d| d.seq).collect(),
            });
        }
    }
    plan.singles = due
        .iter()
        .filter(|d| !bursty.contains(&d.seq))
        .map(|d| d.seq)
        .take(batch)
        .collect();
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn alerts(kind: AlertKind, first: i64, n: i64, created: &str) -> Vec<Due> {
        (first..first + n)
            .map(|seq| Due {
                seq,
                kind,
                created_at: at(created),
            })
            .collect()
    }

    #[test]
    fn more_than_ten_of_a_kind_in_a_minute_are_one_burst_once_the_minute_is_over() {
        let mut due = alerts(AlertKind::Failed, 1, 11, "2026-12-03T10:41:05Z");
        due.extend(alerts(AlertKind::Bounced, 100, 3, "2026-12-03T10:41:30Z"));
        due.extend(alerts(AlertKind::Quiet, 200, 1, "2026-12-03T10:41:30Z"));

        let running = plan(&due, at("2026-12-03T10:41:59Z"), 50);
        assert!(running.bursts.is_empty(), "held while its minute runs");
        assert_eq!(running.singles, vec![100, 101, 102, 200]);

        let over = plan(&due, at("2026-12-03T10:42:00Z"), 50);
        assert_eq!(over.bursts.len(), 1);
        assert_eq!(over.bursts[0].kind, AlertKind::Failed);
        assert_eq!(over.bursts[0].minute, at("2026-12-03T10:41:00Z"));
        assert_eq!(over.bursts[0].seqs, (1..=11).collect::<Vec<_>>());
        assert_eq!(over.singles, vec![100, 101, 102, 200]);
    }

    #[test]
    fn ten_in_a_minute_or_eleven_across_two_go_one_by_one_up_to_the_batch() {
        let mut due = alerts(AlertKind::Failed, 1, 10, "2026-12-03T10:41:59Z");
        due.extend(alerts(AlertKind::Failed, 11, 6, "2026-12-03T10:42:00Z"));
        let now = at("2026-12-03T11:00:00Z");
        assert_eq!(plan(&due, now, 50).singles.len(), 16);
        assert!(plan(&due, now, 50).bursts.is_empty());
        assert_eq!(plan(&due, now, 5).singles, vec![1, 2, 3, 4, 5]);
    }
}
