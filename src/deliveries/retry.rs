//! When to try a transient failure again: exponential backoff with jitter, or later if
//! the server asked for that.
use std::time::Duration;

/// Delay before attempt `attempt + 1`. Half the exponential step is fixed and half
/// scaled by `jitter` (0..=1, random in the worker: "equal jitter"), so retries of many
/// deliveries spread out but never come back at once.
pub fn next_delay(
    attempt: i32,
    base: Duration,
    max: Duration,
    retry_after: Option<Duration>,
    jitter: f64,
) -> Duration {
    let exponent = attempt.saturating_sub(1).clamp(0, 30) as u32;
    let step = base.saturating_mul(2u32.saturating_pow(exponent)).min(max);
    let half = step / 2;
    let jitter = jitter.clamp(0.0, 1.0);
    let delay = half + half.mul_f64(jitter);
    // Retry-After is honoured even past `max`, up to a day, plus up to a fifth of it (at
    // most a minute) of jitter: deliveries told the same moment do not return together.
    let asked = retry_after
        .unwrap_or_default()
        .min(Duration::from_secs(86_400));
    let spread = (asked / 5).min(Duration::from_secs(60)).mul_f64(jitter);
    delay.max(asked + spread)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: Duration = Duration::from_secs(30);
    const MAX: Duration = Duration::from_secs(3600);

    #[test]
    fn grows_exponentially_within_the_jitter_band() {
        for attempt in 1..=6 {
            let step = BASE * 2u32.pow(attempt as u32 - 1);
            for _ in 0..50 {
                let d = next_delay(attempt, BASE, MAX, None, rand::random());
                assert!(d >= step / 2 && d <= step, "attempt {attempt}: {d:?}");
            }
        }
    }

    #[test]
    fn is_capped_at_the_maximum() {
        for _ in 0..50 {
            assert!(next_delay(30, BASE, MAX, None, rand::random()) <= MAX);
        }
    }

    #[test]
    fn never_comes_before_retry_after() {
        let d = next_delay(1, BASE, MAX, Some(Duration::from_secs(7200)), 0.0);
        assert_eq!(d, Duration::from_secs(7200));
        let d = next_delay(1, BASE, MAX, Some(Duration::from_secs(7200)), 1.0);
        assert_eq!(d, Duration::from_secs(7260), "a minute of spread at most");
        let fast = Duration::from_millis(10);
        let d = next_delay(1, fast, MAX, Some(Duration::from_secs(5)), 0.0);
        assert_eq!(d, Duration::from_secs(5));
    }

    #[test]
    fn retries_after_the_same_retry_after_spread_out() {
        let asked = Some(Duration::from_secs(120));
        let delays: std::collections::HashSet<Duration> = (0..20)
            .map(|i| next_delay(1, BASE, MAX, asked, f64::from(i) / 19.0))
            .collect();
        assert_eq!(delays.len(), 20);
        assert!(delays.iter().all(|d| *d >= Duration::from_secs(120)));
        assert!(delays.iter().all(|d| *d <= Duration::from_secs(144)));
    }
}
