//! Rate-limit figures (printed, never asserted):
//! 1. a fan-out of 3,000 batchsendmsg requests (one recipient each) against
//!    a local server that counts sliding seconds, (a) from one process with
//!    the in-process limiter, (b) from four processes sharing the limit
//!    through Redis: achieved calls/s over the documented ceiling (goal:
//!    >= 0.97), over-rate answers (goal: 0), the busiest second;
//! 2. the limiter's own cost per acquire, in microseconds: `LocalLimiter`,
//!    and `RedisLimiter` (one script round trip).
//!
//! Part (b) and the Redis figure need a Redis: `--redis URL`, or a
//! `redis-server` on the PATH (started on a free loopback port, nothing
//! saved); without either they are skipped.
//!
//!     cargo run --release -p im-api --features emulator,redis --example limits_bench
//!     cargo run --release -p im-api --features emulator,redis --example limits_bench -- --redis redis://127.0.0.1:6379/

use std::collections::VecDeque;
use std::convert::Infallible;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use im_api::api::batchsendmsg;
use im_api::limiter::{Limits, RateLimiter, RedisLimiter};
use im_api::types::MsgElement;
use im_api::{Client, LocalLimiter, Quota, RetryPolicy};

const SDKAPPID: u64 = 1400000000;
const REQUESTS: usize = 3_000;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--worker") {
        return worker(&args[1..]).await;
    }
    let ceiling = batchsendmsg::META.per_second.unwrap_or(100);
    let server = Counter::start(u64::from(ceiling)).await?;

    // (a) One process.
    let client = client(&server.base_url).build()?;
    let t = Instant::now();
    let report = client
        .fan_out(accounts(0, REQUESTS), notice())
        .max_items(1)
        .concurrency(32)
        .send()
        .await?;
    let elapsed = t.elapsed();
    server.print(
        &format!(
            "one process, LocalLimiter: {} delivered in {elapsed:.2?}",
            report.delivered
        ),
        ceiling,
    );

    // The limiter's own cost, never waiting: a rate it never reaches, and
    // no recipient quota.
    let meta = &batchsendmsg::META;
    let unlimited = Limits::new()
        .rate("openim/batchsendmsg", 1e9)
        .quotas("openim/batchsendmsg", Vec::<Quota>::new());
    let local = LocalLimiter::with_limits(unlimited.clone());
    let n = 200_000;
    let t = Instant::now();
    for _ in 0..n {
        local.acquire(meta, None, 1).await?;
    }
    println!(
        "LocalLimiter: {:.2} us per acquire",
        t.elapsed().as_secs_f64() * 1e6 / f64::from(n)
    );

    // (b) Four processes sharing Redis.
    let mut own_redis = None;
    let redis_url = match args.iter().position(|a| a == "--redis") {
        Some(i) => args.get(i + 1).cloned(),
        None => match start_redis() {
            Some((child, url)) => {
                own_redis = Some(child);
                Some(url)
            }
            None => None,
        },
    };
    let Some(redis_url) = redis_url else {
        println!(
            "four processes through Redis: skipped (no --redis URL and no redis-server on the PATH)"
        );
        return Ok(());
    };
    let prefix = format!("im-bench-{}", std::process::id());
    server.reset();
    let exe = std::env::current_exe()?;
    let t = Instant::now();
    let workers: Vec<Child> = (0..4)
        .map(|w| {
            Command::new(&exe)
                .args(["--worker", &server.base_url, &redis_url, &prefix])
                .arg((w * REQUESTS / 4).to_string())
                .arg((REQUESTS / 4).to_string())
                .stdout(Stdio::null())
                .spawn()
        })
        .collect::<Result<_, _>>()?;
    for mut w in workers {
        w.wait()?;
    }
    server.print(
        &format!("four processes, RedisLimiter: done in {:.2?}", t.elapsed()),
        ceiling,
    );

    let shared = RedisLimiter::new(&redis_url, SDKAPPID)?
        .key_prefix(format!("{prefix}-cost"))
        .with_limits(unlimited);
    shared.connect().await?;
    let n = 20_000;
    let t = Instant::now();
    for _ in 0..n {
        shared.acquire(meta, None, 1).await?;
    }
    println!(
        "RedisLimiter: {:.1} us per acquire (one script round trip, sequential)",
        t.elapsed().as_secs_f64() * 1e6 / f64::from(n)
    );
    if let Some(mut child) = own_redis {
        let _ = child.kill();
        let _ = child.wait();
    }
    Ok(())
}

/// A worker of part (b): `--worker BASE_URL REDIS_URL PREFIX FIRST COUNT`.
async fn worker(args: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    let [base, redis, prefix, first, count] = args else {
        return Err("usage: --worker BASE_URL REDIS_URL PREFIX FIRST COUNT".into());
    };
    let limiter = RedisLimiter::new(redis, SDKAPPID)?.key_prefix(prefix.clone());
    let client = client(base).rate_limiter(Arc::new(limiter)).build()?;
    client
        .fan_out(accounts(first.parse()?, count.parse()?), notice())
        .max_items(1)
        .concurrency(32)
        .send()
        .await?;
    Ok(())
}

fn client(base: &str) -> im_api::ClientBuilder {
    Client::builder()
        .sdkappid(SDKAPPID)
        .identifier("administrator")
        .secret_key("bench-key")
        .base_url(base)
        .retry_policy(RetryPolicy::none())
}

fn notice() -> [MsgElement; 1] {
    [MsgElement::text("notice")]
}

fn accounts(first: usize, count: usize) -> Vec<String> {
    (first..first + count).map(|i| format!("a{i}")).collect()
}

/// A redis-server of our own on a free loopback port, nothing saved.
fn start_redis() -> Option<(Child, String)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .ok()?
        .port();
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .spawn()
        .ok()?;
    for _ in 0..250 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some((child, format!("redis://127.0.0.1:{port}/")));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// A server that answers every call with success unless it would put more
/// than `limit` calls in a sliding second (then 90057), and keeps the
/// arrival times.
struct Counter {
    base_url: String,
    state: Arc<Mutex<Counts>>,
}

#[derive(Default)]
struct Counts {
    limit: u64,
    recent: VecDeque<Instant>,
    accepted: Vec<Instant>,
    refused: u64,
}

impl Counter {
    async fn start(limit: u64) -> std::io::Result<Counter> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(Counts {
            limit,
            ..Counts::default()
        }));
        let st = state.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let st = st.clone();
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(
                        move |req: hyper::Request<hyper::body::Incoming>| {
                            let st = st.clone();
                            async move {
                                let arrived = Instant::now();
                                let _ = req.into_body().collect().await;
                                let ok = st.lock().map(|mut c| c.take(arrived)).unwrap_or(false);
                                let body: &'static [u8] = if ok {
                                    br#"{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"MsgKey":"k","MsgTime":1700000000}"#
                                } else {
                                    br#"{"ActionStatus":"FAIL","ErrorInfo":"over the rate","ErrorCode":90057}"#
                                };
                                Ok::<_, Infallible>(hyper::Response::new(Full::new(
                                    Bytes::from_static(body),
                                )))
                            }
                        },
                    );
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
        Ok(Counter {
            base_url: format!("http://{addr}"),
            state,
        })
    }

    fn reset(&self) {
        if let Ok(mut c) = self.state.lock() {
            let limit = c.limit;
            *c = Counts {
                limit,
                ..Counts::default()
            };
        }
    }

    fn print(&self, what: &str, ceiling: u32) {
        let Ok(c) = self.state.lock() else {
            return;
        };
        let (Some(first), Some(last)) = (c.accepted.iter().min(), c.accepted.iter().max()) else {
            println!("{what}: nothing arrived");
            return;
        };
        let span = (*last - *first).as_secs_f64();
        let achieved = (c.accepted.len() - 1) as f64 / span.max(1e-9);
        let mut sorted = c.accepted.clone();
        sorted.sort();
        let (mut busiest, mut lo) = (0, 0);
        for (hi, t) in sorted.iter().enumerate() {
            while sorted[lo] + Duration::from_secs(1) <= *t {
                lo += 1;
            }
            busiest = busiest.max(hi + 1 - lo);
        }
        println!("{what}");
        println!(
            "  {} calls accepted over {span:.2} s: {achieved:.1} calls/s, ceiling {ceiling}/s, achieved/ceiling {:.3} (goal >= 0.97)",
            c.accepted.len(),
            achieved / f64::from(ceiling)
        );
        println!(
            "  over-rate answers: {} (goal 0); busiest sliding second: {busiest} calls",
            c.refused
        );
    }
}

impl Counts {
    /// Accept a call arriving at `t` unless it would put the sliding second
    /// ending at `t` over the limit.
    fn take(&mut self, t: Instant) -> bool {
        while self
            .recent
            .front()
            .is_some_and(|s| *s + Duration::from_secs(1) <= t)
        {
            self.recent.pop_front();
        }
        if self.recent.len() as u64 >= self.limit {
            self.refused += 1;
            return false;
        }
        self.recent.push_back(t);
        self.accepted.push(t);
        true
    }
}
