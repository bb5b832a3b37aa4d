//! [`RedisLimiter`] (cargo feature `redis`): one app's limits shared by every
//! process that uses the same Redis.

use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use ::redis::aio::ConnectionManager;

use super::{BoxFuture, Budget, LimiterError, Limits, LocalLimiter, RateLimiter, Scope};
use crate::endpoint::EndpointMeta;

/// GCRA over several cells at once, the same arithmetic as `LocalLimiter`:
/// the cells every call takes are taken at one common instant; a per-key
/// cell (a group's) is not taken ahead of time. The clock is the Redis
/// server's (`TIME`), so hosts with skewed clocks agree.
///
/// `KEYS[i]`: a cell. `ARGV[4i-3..4i]`: its interval per unit (µs), its
/// capacity (units), this call's cost (units), 1 for a per-key cell.
/// Returns `{1, wait}` when the cells are taken and the call may start in
/// `wait` µs, `{0, wait}` when nothing was taken (ask again in `wait` µs).
const SCRIPT: &str = r"
if redis.replicate_commands ~= nil then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local at, held = now, now
local tats = {}
for i = 1, #KEYS do
  local interval = tonumber(ARGV[4 * i - 3])
  local tat = tonumber(redis.call('GET', KEYS[i]) or 0) or 0
  if tat < now then tat = now end
  tats[i] = tat
  local allow = tat - interval * (tonumber(ARGV[4 * i - 2]) - tonumber(ARGV[4 * i - 1]))
  if ARGV[4 * i] == '1' then
    if allow > held then held = allow end
  elseif allow > at then
    at = allow
  end
end
if held > at then return {0, held - now} end
for i = 1, #KEYS do
  local tat = tats[i]
  if tat < at then tat = at end
  tat = tat + tonumber(ARGV[4 * i - 3]) * tonumber(ARGV[4 * i - 1])
  redis.call('SET', KEYS[i], string.format('%.0f', tat), 'PX', math.floor((tat - now) / 1000) + 1000)
end
return {1, at - now}
";

/// What a [`RedisLimiter`] does while Redis does not answer (an error, or no
/// answer within its timeout).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OnUnreachable {
    /// Every call fails with [`LimiterError::Unavailable`] before anything
    /// is sent; the client's retry policy retries it like a transport
    /// failure, then reports it. The default.
    FailClosed,
    /// Each process goes on alone at `1/processes` of every limit
    /// ([`Limits::share`]), with a `tracing` warning. It cannot know what the
    /// others used, so each cell starts as if its whole window had just been
    /// used: the first call waits one window (a second for rates, at most a
    /// minute for quotas; quotas over longer windows are kept as a share
    /// from then on only). When Redis answers again, calls go back to it.
    Local {
        /// How many processes share the app's limits (at least 1).
        processes: u32,
    },
}

/// One app's rates and quotas in Redis, shared by every process (and host)
/// that uses the same Redis and sdkappid: the same cells and arithmetic as
/// [`LocalLimiter`], taken atomically by one Lua script with Redis's clock.
/// Keys: `{prefix}:{sdkappid}:{service/command}:rate`, `…:group:{GroupId}`,
/// `…:quota:{window_secs}:{counted list or calls}` (the braces around the
/// sdkappid are a Redis Cluster hash tag: one app's keys share a slot); each
/// expires a second after its cell goes idle.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use im_api::limiter::{OnUnreachable, RedisLimiter};
///
/// let limiter = RedisLimiter::new("redis://127.0.0.1:6379/", 1400000000)?
///     .on_unreachable(OnUnreachable::Local { processes: 4 });
/// limiter.connect().await?; // optional: find out now rather than at the first call
/// let client = im_api::Client::builder()
///     .sdkappid(1400000000)
///     .identifier("administrator")
///     .secret_key("...")
///     .region(im_api::Region::Singapore)
///     .rate_limiter(Arc::new(limiter))
///     .build()?;
/// # Ok(()) }
/// ```
pub struct RedisLimiter {
    client: ::redis::Client,
    /// The URL without credentials, for messages.
    target: String,
    /// `{prefix}:{sdkappid}`.
    key_base: String,
    prefix: String,
    sdkappid: u64,
    script: ::redis::Script,
    limits: Limits,
    on_unreachable: OnUnreachable,
    timeout: Duration,
    probe_every: Duration,
    conn: Mutex<Option<ConnectionManager>>,
    connecting: tokio::sync::Mutex<()>,
    health: Mutex<Health>,
    fallback: OnceLock<LocalLimiter>,
}

#[derive(Debug, Default)]
struct Health {
    down: Option<Down>,
    outages: u64,
    /// The latest start granted through Redis (on the runtime's clock):
    /// calls of the shared schedule may still go out until then.
    last_slot: Option<Instant>,
}

#[derive(Debug)]
struct Down {
    next_probe: Instant,
    error: String,
}

impl std::fmt::Debug for RedisLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisLimiter")
            .field("target", &self.target)
            .field("keys", &self.key_base)
            .field("on_unreachable", &self.on_unreachable)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// The URL with any password replaced.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s + 3 => format!("{}***{}", &url[..s + 3], &url[at..]),
        _ => url.to_owned(),
    }
}

impl RedisLimiter {
    /// A limiter for app `sdkappid` over the Redis at `url`
    /// (`redis://[:password@]host:port[/db]`). Nothing is connected yet:
    /// the first call (or [`RedisLimiter::connect`]) connects.
    pub fn new(url: &str, sdkappid: u64) -> Result<Self, LimiterError> {
        let target = redact(url);
        let client = ::redis::Client::open(url).map_err(|e| LimiterError::Unavailable {
            store: target.clone(),
            reason: format!("invalid Redis URL: {e}"),
        })?;
        let prefix = "im".to_owned();
        Ok(Self {
            client,
            target,
            key_base: format!("{prefix}:{{{sdkappid}}}"),
            prefix,
            sdkappid,
            script: ::redis::Script::new(SCRIPT),
            limits: Limits::default(),
            on_unreachable: OnUnreachable::FailClosed,
            timeout: Duration::from_millis(500),
            probe_every: Duration::from_secs(1),
            conn: Mutex::new(None),
            connecting: tokio::sync::Mutex::new(()),
            health: Mutex::default(),
            fallback: OnceLock::new(),
        })
    }

    /// Keep these limits (every process sharing the Redis must keep the same).
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self.fallback = OnceLock::new();
        self
    }

    /// What to do while Redis does not answer (default: fail closed).
    pub fn on_unreachable(mut self, behaviour: OnUnreachable) -> Self {
        self.on_unreachable = behaviour;
        self.fallback = OnceLock::new();
        self
    }

    /// How long to wait for Redis before treating it as unreachable
    /// (default 500 ms; connecting gets twice as long).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// While Redis is unreachable, ask it again at most this often (default 1 s).
    pub fn probe_every(mut self, every: Duration) -> Self {
        self.probe_every = every;
        self
    }

    /// The first part of every key (default `im`).
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self.key_base = format!("{}:{{{}}}", self.prefix, self.sdkappid);
        self
    }

    /// The Redis URL, without credentials.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The limits kept.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// How many times Redis stopped answering since this limiter was made.
    pub fn outages(&self) -> u64 {
        self.health().outages
    }

    /// Whether Redis answered the last time it was asked.
    pub fn is_reachable(&self) -> bool {
        self.health().down.is_none()
    }

    /// Connect now and check that Redis runs the script: an error names the
    /// reason (and counts as an outage, with the configured behaviour).
    pub async fn connect(&self) -> Result<(), LimiterError> {
        match self.eval(Vec::new(), &[]).await {
            Ok(_) => {
                self.mark_up();
                Ok(())
            }
            Err(reason) => {
                self.mark_down(Instant::now(), &reason);
                Err(self.unavailable(reason))
            }
        }
    }

    fn health(&self) -> std::sync::MutexGuard<'_, Health> {
        self.health.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn unavailable(&self, reason: String) -> LimiterError {
        LimiterError::Unavailable {
            store: self.target.clone(),
            reason,
        }
    }

    fn fallback(&self) -> &LocalLimiter {
        self.fallback.get_or_init(|| {
            let processes = match self.on_unreachable {
                OnUnreachable::Local { processes } => processes,
                OnUnreachable::FailClosed => 1,
            };
            LocalLimiter::with_limits(self.limits.clone().share(processes))
        })
    }

    /// The shared connection, connecting when there is none yet. Once made,
    /// the connection manager reconnects by itself.
    async fn connection(&self) -> Result<ConnectionManager, String> {
        if let Some(c) = self.conn.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            return Ok(c.clone());
        }
        let _one_at_a_time = self.connecting.lock().await;
        if let Some(c) = self.conn.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            return Ok(c.clone());
        }
        let wait = self.timeout * 2;
        match tokio::time::timeout(wait, ConnectionManager::new(self.client.clone())).await {
            Ok(Ok(c)) => {
                *self.conn.lock().unwrap_or_else(|p| p.into_inner()) = Some(c.clone());
                Ok(c)
            }
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!("no connection within {wait:?}")),
        }
    }

    fn key(&self, meta: &EndpointMeta, group: Option<&str>, b: &Budget) -> String {
        let base = &self.key_base;
        let endpoint = &meta.path[4..];
        match b.scope {
            Scope::Rate => format!("{base}:{endpoint}:rate"),
            Scope::Group => format!("{base}:{endpoint}:group:{}", group.unwrap_or_default()),
            Scope::Quota => format!(
                "{base}:{endpoint}:quota:{}:{}",
                b.window.as_secs(),
                b.counts.unwrap_or("calls")
            ),
        }
    }

    /// One run of the script over these cells: `Ok((taken, wait))`, or why
    /// Redis did not answer.
    async fn eval(
        &self,
        keys: Vec<String>,
        plan: &[(Budget, u64)],
    ) -> Result<(bool, Duration), String> {
        let mut conn = self.connection().await?;
        let mut call = self.script.prepare_invoke();
        for key in keys {
            call.key(key);
        }
        for (b, cost) in plan {
            let per_key = u64::from(b.scope == Scope::Group);
            call.arg(b.interval_micros())
                .arg(b.capacity)
                .arg(*cost)
                .arg(per_key);
        }
        let answer: Vec<i64> =
            match tokio::time::timeout(self.timeout, call.invoke_async(&mut conn)).await {
                Ok(Ok(v)) => v,
                Ok(Err(e)) => return Err(e.to_string()),
                Err(_) => return Err(format!("no answer within {:?}", self.timeout)),
            };
        match answer.as_slice() {
            [taken, wait] => Ok((*taken == 1, Duration::from_micros((*wait).max(0) as u64))),
            other => Err(format!(
                "unexpected answer from the limiter script: {other:?}"
            )),
        }
    }

    /// Whether to ask Redis now: always while it answers; while it does
    /// not, once per `probe_every`.
    fn should_ask(&self, now: Instant) -> bool {
        let mut h = self.health();
        match &mut h.down {
            None => true,
            Some(d) if now >= d.next_probe => {
                d.next_probe = now + self.probe_every;
                true
            }
            Some(_) => false,
        }
    }

    fn mark_up(&self) {
        let mut h = self.health();
        if h.down.take().is_some() {
            tracing::info!(redis = %self.target, "Redis answers again: back to the shared limits");
        }
    }

    fn mark_down(&self, now: Instant, reason: &str) {
        let new_outage = {
            let mut h = self.health();
            let new_outage = h.down.is_none();
            if new_outage {
                h.outages += 1;
            }
            h.down = Some(Down {
                next_probe: now + self.probe_every,
                error: reason.to_owned(),
            });
            new_outage
        };
        if !new_outage {
            return;
        }
        match self.on_unreachable {
            OnUnreachable::FailClosed => tracing::warn!(
                redis = %self.target,
                error = reason,
                "Redis does not answer: calls fail (fail closed) until it does"
            ),
            OnUnreachable::Local { processes } => {
                tracing::warn!(
                    redis = %self.target,
                    error = reason,
                    processes,
                    "Redis does not answer: this process goes on alone at 1/{processes} of every limit until it does"
                );
                // The windows start after the last call of the shared
                // schedule this process knows of.
                let now = tokio::time::Instant::now().into_std();
                let from = self.health().last_slot.map_or(now, |s| s.max(now));
                self.fallback().restart_full(from);
            }
        }
    }

    fn last_error(&self) -> String {
        self.health()
            .down
            .as_ref()
            .map_or_else(|| "unreachable".to_owned(), |d| d.error.clone())
    }
}

impl RateLimiter for RedisLimiter {
    fn acquire<'a>(
        &'a self,
        endpoint: &'static EndpointMeta,
        group: Option<&'a str>,
        items: u64,
    ) -> BoxFuture<'a, Result<(), LimiterError>> {
        Box::pin(async move {
            let plan = self.limits.plan(endpoint, group.is_some(), items)?;
            if plan.is_empty() {
                return Ok(());
            }
            let keys: Vec<String> = plan
                .iter()
                .map(|(b, _)| self.key(endpoint, group, b))
                .collect();
            loop {
                if !self.should_ask(Instant::now()) {
                    break;
                }
                match self.eval(keys.clone(), &plan).await {
                    Ok((taken, wait)) => {
                        self.mark_up();
                        if taken {
                            let slot = tokio::time::Instant::now().into_std() + wait;
                            let mut h = self.health();
                            h.last_slot = Some(h.last_slot.map_or(slot, |s| s.max(slot)));
                        }
                        if !wait.is_zero() {
                            tokio::time::sleep(wait).await;
                        }
                        if taken {
                            return Ok(());
                        }
                    }
                    Err(reason) => {
                        self.mark_down(Instant::now(), &reason);
                        break;
                    }
                }
            }
            match self.on_unreachable {
                OnUnreachable::FailClosed => Err(self.unavailable(self.last_error())),
                OnUnreachable::Local { .. } => {
                    self.fallback().acquire(endpoint, group, items).await
                }
            }
        })
    }

    fn budgets(&self, endpoint: &'static EndpointMeta) -> Vec<Budget> {
        self.limits.budgets(endpoint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_password_and_keys_share_a_slot() {
        assert_eq!(
            redact("redis://:s3cret@localhost:6379/0"),
            "redis://***@localhost:6379/0"
        );
        assert_eq!(redact("redis://127.0.0.1:6379/"), "redis://127.0.0.1:6379/");
        let l = RedisLimiter::new("redis://:pw@127.0.0.1:1/", 1400000000).unwrap();
        assert!(!format!("{l:?}").contains("pw"));
        let meta = &crate::api::batchsendmsg::META;
        let keys: Vec<String> = Limits::new()
            .budgets(meta)
            .iter()
            .map(|b| l.key(meta, None, b))
            .collect();
        assert_eq!(
            keys,
            [
                "im:{1400000000}:openim/batchsendmsg:rate",
                "im:{1400000000}:openim/batchsendmsg:quota:60:To_Account"
            ]
        );
    }

    #[tokio::test]
    async fn an_unreachable_redis_fails_closed_with_a_clear_error() {
        // A server that accepts and hangs up at once (no Redis there), and
        // counts the connections: the oracle for "without asking".
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("redis://{}/", listener.local_addr().unwrap());
        let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = accepted.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                drop(stream);
            }
        });
        let l = RedisLimiter::new(&url, 1)
            .unwrap()
            .probe_every(Duration::from_secs(3600));
        let meta = &crate::api::batchsendmsg::META;
        let err = l.acquire(meta, None, 3).await.unwrap_err();
        assert!(
            matches!(&err, LimiterError::Unavailable { store, .. } if *store == url),
            "{err}"
        );
        assert!(err.to_string().contains("failing closed"), "{err}");
        assert_eq!(l.outages(), 1);
        let asked = accepted.load(std::sync::atomic::Ordering::SeqCst);
        assert!(asked >= 1, "the first call tried the server");
        // Within the probe interval the answer comes without asking.
        assert!(l.acquire(meta, None, 3).await.is_err());
        assert_eq!(
            accepted.load(std::sync::atomic::Ordering::SeqCst),
            asked,
            "no new connection within the probe interval"
        );
        assert_eq!(l.outages(), 1, "still the same outage");
    }

    #[tokio::test(start_paused = true)]
    async fn an_unreachable_redis_falls_back_to_a_local_share() {
        let l = RedisLimiter::new("redis://127.0.0.1:1/", 1)
            .unwrap()
            .on_unreachable(OnUnreachable::Local { processes: 4 })
            .probe_every(Duration::from_secs(3600));
        let meta = &crate::api::send_group_msg::META;
        let t0 = tokio::time::Instant::now();
        l.acquire(meta, None, 0).await.unwrap();
        // The others may have used the whole last second: it is waited out.
        assert!(t0.elapsed() > Duration::from_secs(1), "{:?}", t0.elapsed());
        let t1 = tokio::time::Instant::now();
        for _ in 0..10 {
            l.acquire(meta, None, 0).await.unwrap();
        }
        // A quarter of 200/s, less the others' one-call capacities:
        // 197 / (4 × 1.02 s) = 48.3 calls/s.
        let took = t1.elapsed();
        assert!(
            took > Duration::from_millis(200) && took < Duration::from_millis(215),
            "{took:?}"
        );
        assert!(!l.is_reachable());
        assert_eq!(l.outages(), 1);
    }
}
