//! Retry policy: which failures are retried (from the spec's retry class),
//! how long to wait (exponential backoff with jitter, longer when rate
//! limited), and when to give up (attempts and a total deadline). The body
//! and the `random` query value never change between attempts, so the
//! server's dedup (`Random`/`MsgRandom` within its window) keeps delivery
//! exactly-once when an attempt succeeded but its answer was lost.
//!
//! Written here rather than taken from a crate (`backoff`, `tokio-retry`):
//! the class comes from the spec's catalogue per code, rate-limited codes
//! start from a longer wait, a refused UserSig is re-signed once outside the
//! attempt count, and the deadline spans the attempts but not the limiter's
//! wait; a generic crate fits none of that and would add weight.

use std::time::Duration;

use crate::endpoint::RetryClass;
use crate::random::random_u32;

/// How failed attempts are retried. `Client::builder().retry_policy(..)`.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = no retries).
    pub max_attempts: u32,
    /// Backoff before the first retry of a transient failure.
    pub initial_backoff: Duration,
    /// Backoff before the first retry of a rate-limited answer (10023, 60007...).
    pub rate_limited_backoff: Duration,
    /// Backoff ceiling.
    pub max_backoff: Duration,
    /// Give up when the next attempt would start later than this after the first.
    pub total_deadline: Option<Duration>,
    /// Randomize each backoff between half and all of its value.
    pub jitter: bool,
}

impl Default for RetryPolicy {
    /// 4 attempts, 100 ms doubling to 5 s (1 s first when rate limited), jitter, 30 s in all.
    fn default() -> Self {
        Self {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(100),
            rate_limited_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(5),
            total_deadline: Some(Duration::from_secs(30)),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// Never retry (a refused UserSig is still re-signed once).
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The wait before attempt `next_attempt` (2 = first retry), or `None`
    /// when the failure is not retried or the policy is exhausted.
    pub fn backoff(
        &self,
        class: RetryClass,
        next_attempt: u32,
        elapsed: Duration,
    ) -> Option<Duration> {
        if next_attempt > self.max_attempts {
            return None;
        }
        let base = match class {
            RetryClass::Retryable => self.initial_backoff,
            RetryClass::RateLimited => self.rate_limited_backoff,
            _ => return None,
        };
        let exp = next_attempt.saturating_sub(2).min(20);
        let full = base.saturating_mul(1 << exp).min(self.max_backoff);
        let wait = if self.jitter {
            jittered(full, random_u32())
        } else {
            full
        };
        match self.total_deadline {
            // An `elapsed` near Duration::MAX must not overflow the sum.
            Some(deadline) if elapsed.checked_add(wait).is_none_or(|end| end > deadline) => None,
            _ => Some(wait),
        }
    }
}

/// Between half and all of `full`, placed by `draw` (0 = half, u32::MAX =
/// all). Computed in u128 nanoseconds: `draw` times any `Duration`'s
/// nanoseconds fits (2^32 * 2^94 < 2^128), and the result is at most
/// `full - full / 2`, so it converts back without loss or overflow.
fn jittered(full: Duration, draw: u32) -> Duration {
    let half = full / 2;
    let span = (full - half).as_nanos();
    let offset = span * u128::from(draw) / u128::from(u32::MAX);
    let secs = u64::try_from(offset / 1_000_000_000).unwrap_or(u64::MAX);
    let nanos = (offset % 1_000_000_000) as u32;
    half.saturating_add(Duration::new(secs, nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponential_capped_and_classed() {
        let p = RetryPolicy {
            jitter: false,
            max_attempts: 10,
            ..RetryPolicy::default()
        };
        let z = Duration::ZERO;
        assert_eq!(
            p.backoff(RetryClass::Retryable, 2, z),
            Some(Duration::from_millis(100))
        );
        assert_eq!(
            p.backoff(RetryClass::Retryable, 3, z),
            Some(Duration::from_millis(200))
        );
        assert_eq!(
            p.backoff(RetryClass::Retryable, 9, z),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            p.backoff(RetryClass::RateLimited, 2, z),
            Some(Duration::from_secs(1))
        );
        assert_eq!(p.backoff(RetryClass::Permanent, 2, z), None);
        assert_eq!(p.backoff(RetryClass::Resign, 2, z), None);
        assert_eq!(
            p.backoff(RetryClass::Retryable, 11, z),
            None,
            "attempts exhausted"
        );
        assert_eq!(
            p.backoff(RetryClass::Retryable, 2, Duration::from_secs(30)),
            None,
            "deadline"
        );
        assert_eq!(
            RetryPolicy::none().backoff(RetryClass::Retryable, 2, z),
            None
        );
    }

    /// The old wait computed `u32 x nanoseconds` in u64: any backoff over
    /// about 8.6 s overflowed (a panic in debug builds), e.g. a 20 s
    /// rate-limited backoff with an unlucky draw.
    #[test]
    fn jitter_does_not_overflow_for_long_waits() {
        let twenty = Duration::from_secs(20);
        assert_eq!(jittered(twenty, u32::MAX), twenty);
        assert_eq!(jittered(twenty, 0), Duration::from_secs(10));
        let mid = jittered(twenty, u32::MAX / 2);
        assert!(
            mid > Duration::from_secs(14) && mid < Duration::from_secs(16),
            "{mid:?}"
        );
        // The extremes: the largest Duration, odd nanoseconds, zero.
        assert_eq!(jittered(Duration::MAX, u32::MAX), Duration::MAX);
        assert_eq!(jittered(Duration::MAX, 0), Duration::MAX / 2);
        assert!(jittered(Duration::MAX, 12345) >= Duration::MAX / 2);
        assert_eq!(
            jittered(Duration::from_nanos(3), u32::MAX),
            Duration::from_nanos(3)
        );
        assert_eq!(jittered(Duration::from_nanos(1), 0), Duration::ZERO);
        assert_eq!(jittered(Duration::ZERO, u32::MAX), Duration::ZERO);
    }

    #[test]
    fn extreme_policies_and_attempts_saturate() {
        let huge = RetryPolicy {
            max_attempts: u32::MAX,
            initial_backoff: Duration::from_secs(3600),
            rate_limited_backoff: Duration::MAX,
            max_backoff: Duration::MAX,
            total_deadline: None,
            jitter: true,
        };
        for attempt in [2, 3, 21, 22, 64, 1000, u32::MAX] {
            for class in [RetryClass::Retryable, RetryClass::RateLimited] {
                let w = huge.backoff(class, attempt, Duration::ZERO).unwrap();
                assert!(w >= Duration::from_secs(1800), "{attempt} {class:?}: {w:?}");
            }
            // A rate-limited wait from Duration::MAX stays within half and all of it.
            let w = huge
                .backoff(RetryClass::RateLimited, attempt, Duration::MAX)
                .unwrap();
            assert!(w >= Duration::MAX / 2, "{w:?}");
        }
        // 20 s rate-limited backoffs with jitter: many draws, no panic, in range.
        let rate_limited = RetryPolicy {
            max_attempts: 10,
            rate_limited_backoff: Duration::from_secs(20),
            max_backoff: Duration::from_secs(600),
            total_deadline: Some(Duration::from_secs(3600)),
            ..RetryPolicy::default()
        };
        for _ in 0..2000 {
            let w = rate_limited
                .backoff(RetryClass::RateLimited, 2, Duration::ZERO)
                .unwrap();
            assert!(
                w >= Duration::from_secs(10) && w <= Duration::from_secs(20),
                "{w:?}"
            );
        }
        // A deadline with an elapsed time near the largest Duration: no overflow, no retry.
        let deadline = RetryPolicy {
            total_deadline: Some(Duration::MAX),
            ..huge.clone()
        };
        assert_eq!(
            deadline.backoff(RetryClass::Retryable, 2, Duration::MAX),
            None
        );
        let fixed = RetryPolicy {
            jitter: false,
            ..deadline
        };
        assert_eq!(
            fixed.backoff(RetryClass::RateLimited, u32::MAX, Duration::ZERO),
            Some(Duration::MAX),
            "the exponent is capped and the product saturates"
        );
    }

    #[test]
    fn jitter_stays_within_half_and_full() {
        let p = RetryPolicy::default();
        for _ in 0..1000 {
            let w = p.backoff(RetryClass::Retryable, 3, Duration::ZERO).unwrap();
            assert!(
                w >= Duration::from_millis(100) && w <= Duration::from_millis(200),
                "{w:?}"
            );
        }
    }
}
