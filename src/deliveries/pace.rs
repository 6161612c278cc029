//! Sending at the relay's pace: a message goes when the shared schedule
//! (`SMTP_MAX_PER_SECOND`, all processes together) and this process's own rate allow. A
//! throttling answer halves the process's rate for a minute, then it climbs back in steps.
use std::{
    collections::VecDeque,
    sync::Mutex,
    time::{Duration, Instant},
};

use sqlx::PgPool;

use super::attempt::AttemptError;
use crate::{store::pace, telemetry::Metrics};

/// How long after a throttling answer the halved rate holds.
const HOLD: Duration = Duration::from_secs(60);
/// After the hold, the rate climbs by a tenth of its ceiling this often.
const STEP_EVERY: Duration = Duration::from_secs(5);
/// Never slower than one message every five seconds.
const MIN_RATE: f64 = 0.2;
/// How far ahead a process books the shared schedule: waiting senders stay in line.
const HORIZON: Duration = Duration::from_secs(2);
/// Throttling answers within this of a halving are the same burst's: no second halving.
const AGAIN_AFTER: Duration = Duration::from_secs(1);
/// The window the unlimited case measures its own rate over.
const OBSERVED: Duration = Duration::from_secs(10);

/// This process's own rate: pure, so every transition is tested without a relay.
#[derive(Debug)]
pub struct LocalPace {
    /// `SMTP_MAX_PER_SECOND`; `None`: no limit while the relay does not push back.
    ceiling: Option<f64>,
    /// The rate now; `None`: unlimited.
    rate: Option<f64>,
    /// The rate to climb back to when there is no ceiling: what was sent before.
    restore: f64,
    hold_until: Option<Instant>,
    last_step: Option<Instant>,
    next_at: Option<Instant>,
    recent: VecDeque<Instant>,
}

impl LocalPace {
    pub fn new(ceiling: Option<f64>) -> Self {
        Self {
            ceiling,
            rate: ceiling,
            restore: 0.0,
            hold_until: None,
            last_step: None,
            next_at: None,
            recent: VecDeque::new(),
        }
    }

    /// The relay said "too fast": half the rate this process had (or was observed to
    /// send at, with no ceiling), for a minute.
    pub fn throttled(&mut self, now: Instant) {
        // Answers to messages sent together arrive together: one burst halves once.
        if self
            .hold_until
            .is_some_and(|h| now + HOLD < h + AGAIN_AFTER)
        {
            self.hold_until = Some(now + HOLD);
            return;
        }
        let had = self
            .rate
            .unwrap_or_else(|| self.observed(now))
            .max(MIN_RATE);
        self.restore = self.restore.max(had);
        self.rate = Some((had / 2.0).max(MIN_RATE));
        self.hold_until = Some(now + HOLD);
        self.last_step = None;
    }

    /// Messages per second allowed now; `None`: unlimited.
    pub fn rate(&mut self, now: Instant) -> Option<f64> {
        let (Some(rate), Some(hold)) = (self.rate, self.hold_until) else {
            return self.rate;
        };
        if now < hold {
            return Some(rate);
        }
        let target = self.ceiling.unwrap_or(self.restore);
        let since = self.last_step.unwrap_or(hold);
        let steps = ((now - since).as_secs_f64() / STEP_EVERY.as_secs_f64()).floor();
        if steps >= 1.0 {
            let climbed = rate + steps * target / 10.0;
            self.last_step = Some(since + STEP_EVERY.mul_f64(steps));
            if climbed >= target {
                self.rate = self.ceiling;
                self.hold_until = None;
                self.last_step = None;
                self.restore = 0.0;
            } else {
                self.rate = Some(climbed);
            }
        }
        self.rate
    }

    /// How long the next message waits for this process's turn; books that turn.
    pub fn turn(&mut self, now: Instant) -> Duration {
        while self.recent.front().is_some_and(|t| now - *t > OBSERVED) {
            self.recent.pop_front();
        }
        self.recent.push_back(now);
        let Some(rate) = self.rate(now) else {
            return Duration::ZERO;
        };
        let at = self.next_at.map_or(now, |n| n.max(now));
        self.next_at = Some(at + Duration::from_secs_f64(1.0 / rate));
        at - now
    }

    /// Messages a second over the last ten seconds, or since the first of them when the
    /// process sent for less long (a second at least): a burst counts as a burst.
    fn observed(&self, now: Instant) -> f64 {
        let recent: Vec<&Instant> = self
            .recent
            .iter()
            .filter(|t| now - **t <= OBSERVED)
            .collect();
        let Some(first) = recent.first() else {
            return 0.0;
        };
        let span = (now - **first).max(Duration::from_secs(1));
        recent.len() as f64 / span.as_secs_f64()
    }
}

/// The pace of one process: its own rate, and its place in the shared schedule.
pub struct Pacer {
    pool: PgPool,
    /// The shared schedule's spacing, `1 / SMTP_MAX_PER_SECOND`.
    every: Option<Duration>,
    local: Mutex<LocalPace>,
}

impl Pacer {
    pub fn new(pool: PgPool, max_per_second: Option<u32>) -> Self {
        let ceiling = max_per_second.map(f64::from);
        Self {
            pool,
            every: ceiling.map(|r| Duration::from_secs_f64(1.0 / r)),
            local: Mutex::new(LocalPace::new(ceiling)),
        }
    }

    /// Waits for this message's turn. Waiting is never a failure: only a database that
    /// cannot be asked makes the attempt retry later.
    pub async fn turn(&self) -> Result<(), AttemptError> {
        let wait = self.local.lock().expect("lock").turn(Instant::now());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        let Some(every) = self.every else {
            return Ok(());
        };
        loop {
            match pace::book(&self.pool, every, HORIZON).await {
                Ok(Some(wait)) => {
                    tokio::time::sleep(wait).await;
                    return Ok(());
                }
                Ok(None) => tokio::time::sleep(every.min(Duration::from_millis(200))).await,
                Err(e) => {
                    return Err(AttemptError::Transient {
                        reason: format!("the sending schedule could not be read: {e}"),
                        retry_after: None,
                    });
                }
            }
        }
    }

    /// The relay answered with throttling.
    pub fn throttled(&self, metrics: &Metrics) {
        metrics.smtp_throttled();
        let mut local = self.local.lock().expect("lock");
        local.throttled(Instant::now());
        tracing::warn!(rate = ?local.rate(Instant::now()), "the mail server throttles: sending slower for a minute");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_a_ceiling_messages_are_spaced_at_it() {
        let t0 = Instant::now();
        let mut pace = LocalPace::new(Some(5.0));
        let waits: Vec<u128> = (0..4).map(|_| pace.turn(t0).as_millis()).collect();
        assert_eq!(waits, [0, 200, 400, 600]);
    }

    #[test]
    fn a_throttle_halves_the_rate_for_a_minute_then_it_climbs_back_in_steps() {
        let t0 = Instant::now();
        let mut pace = LocalPace::new(Some(10.0));
        pace.throttled(t0);
        assert_eq!(pace.rate(t0), Some(5.0));
        assert_eq!(
            pace.rate(t0 + Duration::from_secs(59)),
            Some(5.0),
            "held a minute"
        );
        assert_eq!(
            pace.rate(t0 + Duration::from_secs(65)),
            Some(6.0),
            "one step"
        );
        assert_eq!(
            pace.rate(t0 + Duration::from_secs(70)),
            Some(7.0),
            "another"
        );
        assert_eq!(
            pace.rate(t0 + Duration::from_secs(200)),
            Some(10.0),
            "back at the ceiling"
        );
        pace.throttled(t0 + Duration::from_secs(201));
        pace.throttled(t0 + Duration::from_millis(201_500));
        assert_eq!(
            pace.rate(t0 + Duration::from_secs(202)),
            Some(5.0),
            "one burst, one halving"
        );
        pace.throttled(t0 + Duration::from_secs(203));
        assert_eq!(
            pace.rate(t0 + Duration::from_secs(203)),
            Some(2.5),
            "a later one halves again"
        );
    }

    #[test]
    fn without_a_ceiling_a_throttle_halves_the_observed_rate_and_the_limit_lifts_later() {
        let t0 = Instant::now();
        let mut pace = LocalPace::new(None);
        for i in 0..40 {
            assert!(
                pace.turn(t0 + Duration::from_millis(i * 250)).is_zero(),
                "unlimited"
            );
        }
        let at = t0 + Duration::from_secs(10);
        pace.throttled(at);
        assert_eq!(pace.rate(at), Some(2.0), "4/s observed, halved");
        assert_eq!(pace.turn(at), Duration::ZERO);
        assert_eq!(pace.turn(at), Duration::from_millis(500), "now spaced");
        assert_eq!(
            pace.rate(at + Duration::from_secs(300)),
            None,
            "unlimited again"
        );
    }

    #[test]
    fn the_rate_never_drops_below_the_floor() {
        let t0 = Instant::now();
        let mut pace = LocalPace::new(Some(1.0));
        for i in 0..10 {
            pace.throttled(t0 + Duration::from_secs(2 * i));
        }
        assert_eq!(pace.rate(t0 + Duration::from_secs(20)), Some(MIN_RATE));
    }
}
