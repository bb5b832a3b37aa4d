//! Rate limiting: every documented rate and quota of an endpoint, kept by the
//! client before each attempt.
//!
//! [`RateLimiter`] is the pluggable interface; [`LocalLimiter`] keeps the
//! limits in this process, `RedisLimiter` (cargo feature `redis`) shares
//! them between processes. Both take their numbers from [`Limits`]: the
//! spec's rates and quotas ([`EndpointMeta::per_second`],
//! [`EndpointMeta::per_group_per_second`], [`EndpointMeta::quotas`]) with the
//! overrides of your edition.
//!
//! # One cell per limit
//!
//! Each limit is a GCRA cell (generic cell rate algorithm: one instant per
//! cell, the theoretical arrival time `tat`). A cell paces `p` units per
//! second (calls, or items of the request list a quota counts) and holds a
//! capacity of `C` units. A call costing `n` units may start at `t` when
//! `max(tat, t) + n/p - t <= C/p`, and then `tat = max(tat, t) + n/p`. One
//! call takes every cell of its endpoint at one common instant: the app's
//! per-second rate and each quota. Callers reserve their instant and sleep
//! until it. A group's rate is the one exception: a call held back by its
//! group does not hold the app's cells meanwhile (that would delay every
//! other group); it sleeps until its group is free and asks again.
//!
//! # The guarantee
//!
//! Whatever the pattern of calls, a cell lets at most `p·w + C` units through
//! in any window of length `w`. For a limit of `L` units per window `W`, the
//! cell paces at `p = (L + 1 - C) / (W + 20 ms)`, so even a window stretched
//! by 20 ms of network jitter carries `p·(W + 20 ms) + C < L + 1`, that is at
//! most `L` units: the server never counts more than its limit in any sliding
//! window. Capacities:
//! - per-second and per-group rates: `C = 1` call, so `p = L / 1.02 s` (98%
//!   of the rate): smooth pacing, no burst;
//! - quotas over at most a minute: one call for quotas counted in calls; for
//!   quotas counted in items, the largest call but at most a tenth of the
//!   limit (500 recipients for batchsendmsg's 12,000 per minute: `p` = 191.6
//!   recipients/s, a 60,000-recipient fan-out takes 5 min 10 s; the fan-out
//!   sizes its chunks to fit);
//! - quotas over longer windows (an hour, a day): `C` = half the limit, the
//!   other half spread over the window.
//!
//! The GCRA is written here rather than taken from a crate (governor and the
//! like): one call must take several cells at one common instant, cells are
//! weighted by item counts, callers wait for a reserved deadline, and the
//! same arithmetic runs inside Redis as one Lua script.

mod local;
#[cfg(feature = "redis")]
mod redis;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::endpoint::{EndpointMeta, Quota};

#[cfg(feature = "redis")]
pub use self::redis::{OnUnreachable, RedisLimiter};
pub use local::LocalLimiter;

/// Where a client takes permission for each attempt. The default is
/// [`LocalLimiter`], shared by all clones of a `Client`; `RedisLimiter`
/// (cargo feature `redis`) shares one app's limits between processes.
/// Implement it to keep the limits in another store.
pub trait RateLimiter: Send + Sync + std::fmt::Debug {
    /// Wait until one call to `endpoint` fits every rate and quota of it.
    /// `group` is the group a per-group rate applies to (`GroupId` of group
    /// messages); `items` the number of items in the request list the
    /// endpoint's quotas count ([`Quota::count`], e.g. batchsendmsg's
    /// `To_Account`), 0 when it has none.
    ///
    /// An error means the call must not be sent: the limiter's store did not
    /// answer and it fails closed ([`LimiterError::Unavailable`], retried by
    /// the client's retry policy like a transport failure), or the call can
    /// never fit ([`LimiterError::TooLarge`], reported as an invalid request).
    fn acquire<'a>(
        &'a self,
        endpoint: &'static EndpointMeta,
        group: Option<&'a str>,
        items: u64,
    ) -> BoxFuture<'a, Result<(), LimiterError>>;

    /// The limits `endpoint` is paced at, for planning (the fan-out sizes its
    /// chunks and estimates its time from them). The default knows none.
    fn budgets(&self, endpoint: &'static EndpointMeta) -> Vec<Budget> {
        let _ = endpoint;
        Vec::new()
    }
}

/// A boxed, sendable future (what [`RateLimiter::acquire`] returns).
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// Why a limiter did not let a call through. Nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LimiterError {
    /// The shared store did not answer and the limiter fails closed.
    #[error(
        "the shared rate limiter ({store}) did not answer: {reason}; failing closed, nothing was sent"
    )]
    Unavailable {
        /// The store, without credentials (e.g. `redis://127.0.0.1:6379/`).
        store: String,
        /// What went wrong.
        reason: String,
    },
    /// More items in one call than the quota lets through at once.
    #[error(
        "{items} items of {field} in one call, but the quota of {limit} per {window_secs} s lets at most {capacity} through at once"
    )]
    TooLarge {
        /// The counted request list, e.g. `To_Account`.
        field: &'static str,
        /// Items in the call.
        items: u64,
        /// The most the quota lets through at once.
        capacity: u64,
        /// The quota's limit.
        limit: u64,
        /// The quota's window in seconds.
        window_secs: u64,
    },
}

/// Which limit of an endpoint a [`Budget`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scope {
    /// Calls per second for the app ([`EndpointMeta::per_second`]).
    Rate,
    /// Calls per second for one group ([`EndpointMeta::per_group_per_second`]).
    Group,
    /// A quota ([`EndpointMeta::quotas`]).
    Quota,
}

/// One limit of an endpoint as a limiter keeps it: the documented (or
/// overridden) limit and the pace that keeps every window within it.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Budget {
    /// Which limit it is.
    pub scope: Scope,
    /// At most this many units per `window`.
    pub limit: u64,
    /// The window the limit counts over.
    pub window: Duration,
    /// The request list whose items are counted; `None`: calls are counted.
    pub counts: Option<&'static str>,
    /// The most units let through at once (and the largest call that fits).
    pub capacity: u64,
    /// The sustained pace, units per second.
    pub per_second: f64,
}

impl Budget {
    /// Time per unit, rounded up to the nanosecond.
    pub fn interval(&self) -> Duration {
        Duration::from_nanos(self.interval_nanos())
    }

    pub(crate) fn interval_nanos(&self) -> u64 {
        ((1e9 / self.per_second).ceil() as u64).max(1)
    }

    /// Time per unit, rounded up to the microsecond (Redis's `TIME` unit).
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn interval_micros(&self) -> u64 {
        ((1e6 / self.per_second).ceil() as u64).max(1)
    }

    /// The cost of a call carrying `items` counted items.
    pub fn cost(&self, items: u64) -> u64 {
        if self.counts.is_some() { items } else { 1 }
    }
}

/// The limits a limiter keeps: the spec's rates and quotas, with overrides
/// for your edition, a scale, and a share when several processes split them
/// without a shared store. Every process sharing one `RedisLimiter` must
/// configure the same limits.
#[derive(Debug, Clone)]
pub struct Limits {
    rates: HashMap<String, f64>,
    group_rates: HashMap<String, f64>,
    quotas: HashMap<String, Vec<Quota>>,
    quota_limits: HashMap<(String, u64), u64>,
    scale: Option<f64>,
    share: u32,
    jitter: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            rates: HashMap::new(),
            group_rates: HashMap::new(),
            quotas: HashMap::new(),
            quota_limits: HashMap::new(),
            scale: None,
            share: 1,
            jitter: Self::JITTER,
        }
    }
}

/// `service/command` from what callers write (`/v4/` prefix optional).
fn endpoint_key(service_command: impl Into<String>) -> String {
    let s: String = service_command.into();
    s.trim_start_matches("/v4/").trim_matches('/').to_owned()
}

/// Windows longer than this are quotas (hour, day) rather than pacing.
const PACING_WINDOW: Duration = Duration::from_secs(60);

impl Limits {
    /// How far network jitter may move a call (default 20 ms): every window
    /// is kept as if it were this much longer.
    pub const JITTER: Duration = Duration::from_millis(20);

    /// The spec's documented rates and quotas.
    pub fn new() -> Self {
        Self::default()
    }

    /// Use `per_second` calls per second for `service/command` instead of the
    /// documented rate (editions and paid upgrades differ). Not scaled.
    pub fn rate(mut self, service_command: impl Into<String>, per_second: f64) -> Self {
        self.rates.insert(endpoint_key(service_command), per_second);
        self
    }

    /// Use `per_second` messages per second for each group of
    /// `service/command` instead of the documented per-group rate. Not scaled.
    pub fn group_rate(mut self, service_command: impl Into<String>, per_second: f64) -> Self {
        self.group_rates
            .insert(endpoint_key(service_command), per_second);
        self
    }

    /// Use `limit` for the quota of `service/command` over `window_secs`
    /// instead of the documented one (e.g. 18,000 recipients per minute for
    /// batchsendmsg with a purchased pack). Not scaled.
    pub fn quota_limit(
        mut self,
        service_command: impl Into<String>,
        window_secs: u64,
        limit: u64,
    ) -> Self {
        self.quota_limits
            .insert((endpoint_key(service_command), window_secs), limit);
        self
    }

    /// Replace every quota of `service/command` with these (none: no quota).
    pub fn quotas(
        mut self,
        service_command: impl Into<String>,
        quotas: impl IntoIterator<Item = Quota>,
    ) -> Self {
        self.quotas
            .insert(endpoint_key(service_command), quotas.into_iter().collect());
        self
    }

    /// Multiply every documented rate and quota (e.g. 0.9 for headroom).
    pub fn scaled(mut self, factor: f64) -> Self {
        self.scale = Some(factor);
        self
    }

    /// Keep `1/processes` of every limit, for one of `processes` processes
    /// that split an app's limits without a shared store (each keeps its own
    /// one-call capacity, so together they stay within every limit).
    pub fn share(mut self, processes: u32) -> Self {
        self.share = processes.max(1);
        self
    }

    /// The jitter allowance (default [`Limits::JITTER`]).
    pub fn jitter(mut self, jitter: Duration) -> Self {
        self.jitter = jitter;
        self
    }

    /// The share set by [`Limits::share`] (1: the whole app).
    pub fn processes(&self) -> u32 {
        self.share
    }

    /// The calls per second used for an endpoint: the override, else the
    /// documented rate times the scale.
    pub fn rate_of(&self, meta: &EndpointMeta) -> Option<f64> {
        self.rates.get(&meta.path[4..]).copied().or_else(|| {
            meta.per_second
                .map(|r| f64::from(r) * self.scale.unwrap_or(1.0))
        })
    }

    fn group_rate_of(&self, meta: &EndpointMeta) -> Option<f64> {
        self.group_rates.get(&meta.path[4..]).copied().or_else(|| {
            meta.per_group_per_second
                .map(|r| f64::from(r) * self.scale.unwrap_or(1.0))
        })
    }

    /// Every limit of `endpoint`: its rate, its per-group rate (when it has
    /// one) and its quotas.
    pub fn budgets(&self, meta: &EndpointMeta) -> Vec<Budget> {
        let mut out = Vec::with_capacity(2 + meta.quotas.len());
        if let Some(b) = self.rate_budget(Scope::Rate, self.rate_of(meta)) {
            out.push(b);
        }
        if let Some(b) = self.rate_budget(Scope::Group, self.group_rate_of(meta)) {
            out.push(b);
        }
        let key = &meta.path[4..];
        let quotas = self.quotas.get(key).map_or(meta.quotas, Vec::as_slice);
        for q in quotas {
            let overridden = if self.quota_limits.is_empty() {
                None
            } else {
                self.quota_limits.get(&(key.to_owned(), q.window_secs))
            };
            let limit = match overridden {
                Some(l) => *l,
                None => match self.scale {
                    Some(f) => ((q.limit as f64 * f).floor() as u64).max(1),
                    None => q.limit,
                },
            };
            let window = Duration::from_secs(q.window_secs.max(1));
            // At once: one call, and for items at most a tenth of the limit
            // (the rest, at least 90%, is the sustained pace).
            let mut capacity = match q.count {
                None => 1,
                Some(field) => meta
                    .field(field)
                    .and_then(|f| f.max_items)
                    .unwrap_or(limit)
                    .min(limit / 10),
            };
            if window > PACING_WINDOW {
                capacity = capacity.max(limit / 2);
            }
            let capacity = capacity.clamp(1, limit.max(1));
            out.push(self.budget(Scope::Quota, limit, window, q.count, capacity));
        }
        out
    }

    /// A per-second rate as a budget: `r >= 1` is `floor(r)` calls per
    /// second, a slower rate one call per `1/r` seconds.
    fn rate_budget(&self, scope: Scope, rate: Option<f64>) -> Option<Budget> {
        let r = rate.filter(|r| r.is_finite() && *r > 0.0)?;
        let (limit, window) = if r >= 1.0 {
            (
                r.floor().min(u64::MAX as f64) as u64,
                Duration::from_secs(1),
            )
        } else {
            (1, Duration::from_secs_f64(1.0 / r))
        };
        Some(self.budget(scope, limit, window, None, 1))
    }

    fn budget(
        &self,
        scope: Scope,
        limit: u64,
        window: Duration,
        counts: Option<&'static str>,
        capacity: u64,
    ) -> Budget {
        let n = f64::from(self.share);
        // p·(W + jitter) + n·C < L + 1: within L in every stretched window,
        // whatever the n processes do with their own capacities.
        let room = (limit as f64 + 1.0 - n * capacity as f64).max(1.0);
        let per_second = room / (n * (window + self.jitter).as_secs_f64()) * (1.0 - 1e-9);
        Budget {
            scope,
            limit,
            window,
            counts,
            capacity,
            per_second,
        }
    }

    /// The cells one call takes, with its cost in each; an error when the
    /// call can never fit. `group` says whether the call names a group.
    pub(crate) fn plan(
        &self,
        meta: &EndpointMeta,
        group: bool,
        items: u64,
    ) -> Result<Vec<(Budget, u64)>, LimiterError> {
        let mut cells = self.budgets(meta);
        if !group {
            cells.retain(|b| b.scope != Scope::Group);
        }
        cells
            .into_iter()
            .map(|b| {
                let cost = b.cost(items);
                if cost > b.capacity {
                    return Err(LimiterError::TooLarge {
                        field: b.counts.unwrap_or("calls"),
                        items: cost,
                        capacity: b.capacity,
                        limit: b.limit,
                        window_secs: b.window.as_secs(),
                    });
                }
                Ok((b, cost))
            })
            .collect()
    }
}

/// The items of the request list `meta`'s quotas count ([`Quota::count`]) in
/// an encoded body; 0 when the endpoint counts none (or the body has none).
pub fn counted_items(meta: &EndpointMeta, body: &[u8]) -> u64 {
    let Some(field) = meta.quotas.iter().find_map(|q| q.count) else {
        return 0;
    };
    let mut de = serde_json::Deserializer::from_slice(body);
    serde::Deserializer::deserialize_map(&mut de, CountList(field)).unwrap_or(0)
}

/// Counts the elements of one top-level array without building the rest.
struct CountList<'f>(&'f str);

impl<'de> serde::de::Visitor<'de> for CountList<'_> {
    type Value = u64;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<u64, A::Error> {
        let mut n = 0;
        while let Some(key) = map.next_key::<String>()? {
            if key == self.0 {
                n = map.next_value::<Vec<serde::de::IgnoredAny>>()?.len() as u64;
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(n)
    }
}

/// `rate` events per second with bursts of up to `burst` events (the
/// emulator's model of the server's limiter).
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

    #[test]
    fn budgets_follow_the_spec_and_the_overrides() {
        let meta = &crate::api::batchsendmsg::META;
        let b = Limits::new().budgets(meta);
        assert_eq!(b.len(), 2, "{b:?}");
        assert_eq!(
            (b[0].scope, b[0].limit, b[0].capacity),
            (Scope::Rate, 100, 1)
        );
        assert!((b[0].per_second - 100.0 / 1.02).abs() < 1e-3, "{b:?}");
        assert_eq!(
            (
                b[1].scope,
                b[1].limit,
                b[1].window,
                b[1].counts,
                b[1].capacity
            ),
            (
                Scope::Quota,
                12_000,
                Duration::from_secs(60),
                Some("To_Account"),
                500
            )
        );
        assert!((b[1].per_second - 11_501.0 / 60.02).abs() < 1e-3, "{b:?}");

        let b = Limits::new()
            .rate("/v4/openim/batchsendmsg", 200.0)
            .quota_limit("openim/batchsendmsg", 60, 18_000)
            .budgets(meta);
        assert_eq!((b[0].limit, b[1].limit), (200, 18_000));
        let b = Limits::new()
            .quotas("openim/batchsendmsg", Vec::<Quota>::new())
            .budgets(meta);
        assert_eq!(b.len(), 1);
        let b = Limits::new().scaled(0.5).budgets(meta);
        assert_eq!((b[0].limit, b[1].limit), (50, 6_000));
        let b = Limits::new().rate("openim/batchsendmsg", 0.5).budgets(meta);
        assert_eq!((b[0].limit, b[0].window), (1, Duration::from_secs(2)));
        // Four processes, each with its own one-call capacity: together
        // 4 + 4·p·1.02 s < 101.
        let b = Limits::new().share(4).budgets(meta);
        assert!(4.0 + 4.0 * b[0].per_second * 1.02 < 101.0, "{b:?}");
        assert!(
            4.0 * 500.0 + 4.0 * b[1].per_second * 60.02 < 12_001.0,
            "{b:?}"
        );
    }

    #[test]
    fn per_day_quotas_keep_half_for_a_burst() {
        let meta = &crate::api::im_push::META;
        let q = Limits::new()
            .budgets(meta)
            .into_iter()
            .find(|b| b.scope == Scope::Quota)
            .expect("the spec's 100 pushes per day");
        assert_eq!((q.limit, q.capacity), (100, 50));
    }

    #[test]
    fn counts_the_items_of_the_counted_list() {
        let meta = &crate::api::batchsendmsg::META;
        let body = br#"{"MsgRandom":1,"To_Account":["a","b","c"],"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"[1,2]"}}]}"#;
        assert_eq!(counted_items(meta, body), 3);
        assert_eq!(counted_items(meta, b"{}"), 0);
        assert_eq!(counted_items(meta, b"not json"), 0);
        assert_eq!(
            counted_items(&crate::api::send_group_msg::META, body),
            0,
            "no quota counts a list"
        );
    }
}
