//! Settings of the closed loop: reconciliation and reminders.
use std::time::Duration;

use super::{
    ConfigErrors, Env,
    reader::{Range, Reader},
};

#[derive(Debug, Clone)]
pub struct LifecycleSettings {
    /// How often `serve` and `worker` reconcile against Gigs; `None`: never.
    pub reconcile_interval: Option<Duration>,
    /// A reminder waits this long after the SIM's last delivered email.
    pub reminder_min_interval: Duration,
    /// Reminders per SIM at most; 0 turns them off.
    pub reminder_max: u32,
}

impl LifecycleSettings {
    pub fn read(env: &Env) -> Result<Self, ConfigErrors> {
        let mut r = Reader::new(env);
        let mins: u64 = r.number(
            "RECONCILE_INTERVAL_MINS",
            60,
            Range::new(0..=10_080, "minutes"),
        );
        let hours: u64 = r.number(
            "REMINDER_MIN_INTERVAL_HOURS",
            20,
            Range::new(0..=8760, "hours"),
        );
        let reminder_max = r.number("REMINDER_MAX", 3, Range::new(0..=100, "reminders"));
        r.finish(|| {
            Some(Self {
                reconcile_interval: (mins > 0).then(|| Duration::from_secs(mins * 60)),
                reminder_min_interval: Duration::from_secs(hours * 3600),
                reminder_max,
            })
        })
    }
}

impl Default for LifecycleSettings {
    fn default() -> Self {
        Self {
            reconcile_interval: Some(Duration::from_secs(3600)),
            reminder_min_interval: Duration::from_secs(20 * 3600),
            reminder_max: 3,
        }
    }
}
