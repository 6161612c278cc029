//! Failed credentials counted per client address: more than `max` in a minute and the
//! address is refused (`429`) until its oldest failure is a minute old.
use std::{
    collections::{HashMap, VecDeque},
    net::IpAddr,
    sync::Mutex,
    time::{Duration, Instant},
};

const WINDOW: Duration = Duration::from_secs(60);
/// Addresses tracked at most: a flood from many addresses cannot grow the map unbounded.
const ADDRESSES: usize = 10_000;

pub struct FailureLimiter {
    max: usize,
    failures: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
}

impl FailureLimiter {
    pub fn new(max: usize) -> Self {
        Self {
            max,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// Seconds until the address may try again, when it failed too often.
    pub fn blocked(&self, client: IpAddr, now: Instant) -> Option<u64> {
        let mut failures = self.failures.lock().expect("lock");
        let recent = failures.get_mut(&client)?;
        forget_old(recent, now);
        (recent.len() >= self.max).then(|| {
            let oldest = recent.front().copied().unwrap_or(now);
            (WINDOW.saturating_sub(now - oldest)).as_secs().max(1)
        })
    }

    /// Counts a failure; true when this one went past the limit.
    pub fn failed(&self, client: IpAddr, now: Instant) -> bool {
        let mut failures = self.failures.lock().expect("lock");
        if failures.len() >= ADDRESSES && !failures.contains_key(&client) {
            failures.retain(|_, times| {
                forget_old(times, now);
                !times.is_empty()
            });
        }
        let times = failures.entry(client).or_default();
        forget_old(times, now);
        times.push_back(now);
        times.len() > self.max
    }
}

fn forget_old(times: &mut VecDeque<Instant>, now: Instant) {
    while times.front().is_some_and(|t| now - *t >= WINDOW) {
        times.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_eleventh_failure_in_a_minute_is_refused_and_a_minute_later_it_is_not() {
        let limiter = FailureLimiter::new(10);
        let (one, other): (IpAddr, IpAddr) =
            ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let start = Instant::now();
        for i in 0..10 {
            assert!(limiter.blocked(one, start).is_none(), "try {i}");
            assert!(!limiter.failed(one, start));
        }
        assert!(limiter.blocked(one, start).is_some());
        assert!(limiter.failed(one, start), "the eleventh");
        assert!(limiter.blocked(other, start).is_none(), "per address");
        assert!(limiter.blocked(one, start + WINDOW).is_none());
    }
}
