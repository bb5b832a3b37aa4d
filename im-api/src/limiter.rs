//! GCRA (generic cell rate algorithm): a rate limiter that stores one
//! instant, the theoretical arrival time. Used by the emulator to answer
//! over-rate calls and by the client to stay under the documented rate.

use std::time::{Duration, Instant};

/// `rate` events per second with bursts of up to `burst` events.
#[derive(Debug, Clone)]
pub struct Gcra {
    interval: Duration,
    tolerance: Duration,
    tat: Option<Instant>,
}

impl Gcra {
    /// `per_second` must be positive; `burst` is at least 1.
    pub fn new(per_second: f64, burst: u32) -> Self {
        let interval = Duration::from_secs_f64(1.0 / per_second.max(1e-9));
        let tolerance = interval * burst.max(1).saturating_sub(1);
        Self {
            interval,
            tolerance,
            tat: None,
        }
    }

    /// Take one cell at `now`, or say how long until one is free.
    pub fn try_acquire(&mut self, now: Instant) -> Result<(), Duration> {
        let tat = self.tat.map_or(now, |t| t.max(now));
        let allow_at = tat.checked_sub(self.tolerance).unwrap_or(now);
        if now < allow_at {
            return Err(allow_at - now);
        }
        self.tat = Some(tat + self.interval);
        Ok(())
    }

    /// Reserve the next free cell, even in the future, and return when it
    /// may be used (for callers that wait instead of failing).
    pub fn reserve(&mut self, now: Instant) -> Instant {
        let tat = self.tat.map_or(now, |t| t.max(now));
        let at = tat.checked_sub(self.tolerance).unwrap_or(now).max(now);
        self.tat = Some(tat + self.interval);
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_burst_then_rate() {
        let t0 = Instant::now();
        let mut g = Gcra::new(10.0, 10);
        for _ in 0..10 {
            assert!(g.try_acquire(t0).is_ok());
        }
        let wait = g.try_acquire(t0).unwrap_err();
        assert!(
            wait > Duration::from_millis(90) && wait <= Duration::from_millis(100),
            "{wait:?}"
        );
        assert!(g.try_acquire(t0 + Duration::from_millis(100)).is_ok());
        assert!(g.try_acquire(t0 + Duration::from_millis(100)).is_err());
    }

    #[test]
    fn steady_rate_over_a_second() {
        let t0 = Instant::now();
        let mut g = Gcra::new(200.0, 1);
        let mut ok = 0;
        for i in 0..1000 {
            if g.try_acquire(t0 + Duration::from_micros(i * 1000)).is_ok() {
                ok += 1;
            }
        }
        assert!((199..=201).contains(&ok), "{ok}");
    }

    #[test]
    fn reserve_spaces_cells() {
        let t0 = Instant::now();
        let mut g = Gcra::new(4.0, 1);
        let a = g.reserve(t0);
        let b = g.reserve(t0);
        let c = g.reserve(t0);
        assert_eq!(a, t0);
        assert_eq!(b - a, Duration::from_millis(250));
        assert_eq!(c - b, Duration::from_millis(250));
    }
}
