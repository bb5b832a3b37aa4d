//! Retry policy: which failures are retried (from the spec's retry class),
//! how long to wait (exponential backoff with jitter, longer when rate
//! limited), and when to give up (attempts and a total deadline). The body
//! and the `random` query value never change between attempts, so the
//! server's dedup (`Random`/`MsgRandom` within its window) keeps delivery
//! exactly-once when an attempt succeeded but its answer was lost.

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
        let wait = if self.jitter && !full.is_zero() {
            let half = full / 2;
            half + Duration::from_nanos(
                u64::from(random_u32()) * (full - half).as_nanos() as u64 / u64::from(u32::MAX),
            )
        } else {
            full
        };
        match self.total_deadline {
            Some(deadline) if elapsed + wait > deadline => None,
            _ => Some(wait),
        }
    }
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
