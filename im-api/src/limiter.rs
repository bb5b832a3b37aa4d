//! Rate limiting. [`Gcra`] (generic cell rate algorithm) stores one instant,
//! the theoretical arrival time; the emulator uses it to answer over-rate
//! calls, and [`LocalLimiter`] uses it to keep a client under each
//! endpoint's documented rate. [`RateLimiter`] is the pluggable interface.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::endpoint::EndpointMeta;

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

    /// Whether the limiter is back to its initial state at `now` (a fresh
    /// one would behave the same), so it can be forgotten.
    pub fn is_idle(&self, now: Instant) -> bool {
        self.tat.is_none_or(|t| t <= now)
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

/// Where a client takes permission for each attempt. The default is
/// [`LocalLimiter`], shared by all clones of a `Client`; implement this to
/// share one quota between processes (see the crate docs).
pub trait RateLimiter: Send + Sync + std::fmt::Debug {
    /// Wait until one call to `endpoint` fits its quota. `group` is the
    /// group a per-group limit applies to (`GroupId` of group messages).
    fn acquire<'a>(
        &'a self,
        endpoint: &'static EndpointMeta,
        group: Option<&'a str>,
    ) -> BoxFuture<'a, ()>;
}

/// A boxed, sendable future (what [`RateLimiter::acquire`] returns).
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// Per-endpoint (and per-group) GCRA limiters in this process, at the
/// spec's documented rates unless overridden. Waits instead of failing.
///
/// Calls are paced at [`LocalLimiter::HEADROOM`] of the rate: a client pacing
/// at exactly the server's rate sees network jitter deliver a call early now
/// and then, and the server refuses it (10023).
#[derive(Debug, Default)]
pub struct LocalLimiter {
    overrides: HashMap<String, f64>,
    scale: Option<f64>,
    cells: Mutex<HashMap<(&'static str, Option<String>), Gcra>>,
}

impl LocalLimiter {
    /// Share of the configured rate the limiter paces at.
    pub const HEADROOM: f64 = 0.98;

    /// The spec's documented rates.
    pub fn new() -> Self {
        Self::default()
    }

    /// Use `per_second` for `service/command` instead of the documented rate
    /// (editions and paid upgrades differ).
    pub fn with_rate(mut self, service_command: impl Into<String>, per_second: f64) -> Self {
        self.overrides.insert(service_command.into(), per_second);
        self
    }

    /// Multiply every documented rate (e.g. 0.9 for headroom).
    pub fn scaled(mut self, factor: f64) -> Self {
        self.scale = Some(factor);
        self
    }

    /// The rate used for an endpoint, calls per second.
    pub fn rate_of(&self, meta: &EndpointMeta) -> Option<f64> {
        let key = &meta.path[4..];
        self.overrides.get(key).copied().or_else(|| {
            meta.per_second
                .map(|r| f64::from(r) * self.scale.unwrap_or(1.0))
        })
    }

    /// When a call may start (reserving the slot), `None` when unlimited.
    fn reserve(&self, meta: &'static EndpointMeta, group: Option<&str>) -> Option<Instant> {
        let now = Instant::now();
        let mut cells = self.cells.lock().unwrap_or_else(|p| p.into_inner());
        // Per-group cells come and go with the groups: forget idle ones so
        // the map stays as small as the set of recently active groups.
        if cells.len() >= 4096 {
            cells.retain(|_, g| !g.is_idle(now));
        }
        let mut at = now;
        if let Some(rate) = self.rate_of(meta) {
            // Bursts of a tenth of a second: smooth pacing under the server's window.
            let burst = (rate / 10.0).floor().max(1.0) as u32;
            let paced = rate * Self::HEADROOM;
            at = at.max(
                cells
                    .entry((meta.path, None))
                    .or_insert_with(|| Gcra::new(paced, burst))
                    .reserve(now),
            );
        }
        if let (Some(group), Some(rate)) = (group, meta.per_group_per_second) {
            let rate = f64::from(rate) * self.scale.unwrap_or(1.0);
            let burst = (rate / 10.0).floor().max(1.0) as u32;
            let paced = rate * Self::HEADROOM;
            at = at.max(
                cells
                    .entry((meta.path, Some(group.to_owned())))
                    .or_insert_with(|| Gcra::new(paced, burst))
                    .reserve(now),
            );
        }
        (at > now).then_some(at)
    }
}

impl RateLimiter for LocalLimiter {
    fn acquire<'a>(
        &'a self,
        endpoint: &'static EndpointMeta,
        group: Option<&'a str>,
    ) -> BoxFuture<'a, ()> {
        let at = self.reserve(endpoint, group);
        Box::pin(async move {
            if let Some(at) = at {
                tokio::time::sleep_until(at.into()).await;
            }
        })
    }
}

#[cfg(test)]
mod local_tests {
    use super::*;

    #[tokio::test]
    async fn idle_group_cells_are_forgotten() {
        let meta = &crate::api::send_group_msg::META;
        let l = LocalLimiter::new().with_rate("group_open_http_svc/send_group_msg", 1e9);
        for i in 0..10_000 {
            l.acquire(meta, Some(&format!("g{i}"))).await;
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
        l.acquire(meta, Some("last")).await;
        let n = l.cells.lock().unwrap().len();
        assert!(n < 4096, "{n} cells kept");
    }
}
