//! Settings of the closed loop: reconciliation and reminders.
use std::time::Duration;

use super::{ConfigError, Env, env::malformed};

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
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let mins: u64 = env.parsed("RECONCILE_INTERVAL_MINS", 60)?;
        if mins > 7 * 24 * 60 {
            return Err(malformed(
                "RECONCILE_INTERVAL_MINS",
                "must be 0 to 10080 (a week)",
            ));
        }
        let hours: u64 = env.parsed("REMINDER_MIN_INTERVAL_HOURS", 20)?;
        if hours > 24 * 365 {
            return Err(malformed(
                "REMINDER_MIN_INTERVAL_HOURS",
                "must be 0 to 8760",
            ));
        }
        let reminder_max: u32 = env.parsed("REMINDER_MAX", 3)?;
        if reminder_max > 100 {
            return Err(malformed("REMINDER_MAX", "must be 0 to 100"));
        }
        Ok(Self {
            reconcile_interval: (mins > 0).then(|| Duration::from_secs(mins * 60)),
            reminder_min_interval: Duration::from_secs(hours * 3600),
            reminder_max,
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
