//! One app's limits shared through a real Redis by four OS processes
//! (`limits_worker`, the tests crate's helper binary), judged by the
//! sliding-window oracle of `limits.rs`: no window over the limit, every
//! account delivered exactly once; and Redis killed mid-run gives the
//! documented behaviour (fail closed: the rest is reported failed, nothing
//! sent; fallback: the rest goes out at a quarter of the rate each) with
//! nothing lost.
//!
//! Each test starts its own `redis-server` on a free loopback port, with
//! nothing saved. Without `redis-server` on the PATH the tests skip with a
//! message, except under `CI=true`, where that is a failure (`.ci/run`
//! installs it).

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::limits::{batchsendmsg_rules, Oracle, Rule};

/// A `redis-server` of this test's own; killed when dropped.
struct RedisServer {
    child: Option<Child>,
    url: String,
}

impl RedisServer {
    /// Start one, or say why not (`None`: skip the test).
    fn start(test: &str) -> Option<RedisServer> {
        let Some(binary) = find_on_path("redis-server") else {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("{test}: redis-server is not installed (.ci/run installs it)");
            }
            eprintln!(
                "{test}: skipped: redis-server is not on the PATH (apt-get install redis-server)"
            );
            return None;
        };
        // A port found free may be taken before redis-server binds it: a
        // server that exits early is started again on another port.
        for _ in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("a free port")
                .port();
            let child = Command::new(&binary)
                .args([
                    "--port",
                    &port.to_string(),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start redis-server");
            let mut server = RedisServer {
                child: Some(child),
                url: format!("redis://127.0.0.1:{port}/"),
            };
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                if pong(addr) {
                    return Some(server);
                }
                let exited = server
                    .child
                    .as_mut()
                    .is_some_and(|c| c.try_wait().ok().flatten().is_some());
                if exited {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "redis-server did not come up on {addr}"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        panic!("{test}: redis-server exited at start five times (ports taken?)");
    }

    /// SIGKILL: no goodbye to the clients.
    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

fn pong(addr: SocketAddr) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
    let mut buf = [0u8; 7];
    s.write_all(b"PING\r\n").is_ok() && s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n"
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// One worker process's report (see `limits_worker`).
#[derive(Debug)]
struct Worker {
    delivered: u64,
    failed: Vec<(String, bool, String)>,
    outages: u64,
}

/// Start `limits_worker` with these arguments.
fn worker(oracle: &Oracle, redis: &str, first: usize, count: usize, extra: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_limits_worker"))
        .args([
            "--base-url",
            &oracle.base_url,
            "--redis",
            redis,
            "--first",
            &first.to_string(),
            "--count",
            &count.to_string(),
        ])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start limits_worker")
}

async fn report(child: Child) -> Worker {
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .expect("joined")
        .expect("limits_worker ran");
    assert!(
        out.status.success(),
        "limits_worker failed: {:?}",
        out.status
    );
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("limits_worker prints its report as JSON");
    Worker {
        delivered: v["delivered"].as_u64().expect("delivered"),
        failed: v["failed"]
            .as_array()
            .expect("failed")
            .iter()
            .map(|f| {
                (
                    f["item"].as_str().unwrap_or_default().to_owned(),
                    f["transport"].as_bool().unwrap_or_default(),
                    f["reason"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect(),
        outages: v["outages"].as_u64().unwrap_or_default(),
    }
}

/// The limiter's jitter allowance in these tests: four processes, a Redis
/// and the oracle share two cores, and a process held off the CPU for more
/// than the default 20 ms would show up as a call too many. (The pace at the
/// default allowance is checked in the limiter's unit tests.)
const JITTER_MS: &str = "50";

fn name(i: usize) -> String {
    format!("u{i:06}")
}

/// Four processes, one app: 400 calls of one recipient each through the
/// shared 100 calls/s take four seconds, never more than 100 in a second.
/// (At a 50 ms jitter allowance the pace is 100/1.05 s = 95.2 calls/s.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_processes_share_one_rate_through_redis() {
    let Some(redis) = RedisServer::start("four_processes_share_one_rate_through_redis") else {
        return;
    };
    let oracle = Oracle::start(batchsendmsg_rules()).await;
    let t = Instant::now();
    let children: Vec<Child> = (0..4)
        .map(|w| {
            worker(
                &oracle,
                &redis.url,
                w * 100,
                100,
                &["--items-per-call", "1", "--jitter-ms", JITTER_MS],
            )
        })
        .collect();
    let mut reports = Vec::new();
    for c in children {
        reports.push(report(c).await);
    }
    let took = t.elapsed();
    for r in &reports {
        assert_eq!(r.delivered, 100, "{r:?}");
        assert!(r.failed.is_empty(), "{r:?}");
        assert_eq!(r.outages, 0);
    }
    assert_eq!(oracle.refused(), 0, "no over-rate answer");
    assert!(
        oracle.busiest(0) <= 100,
        "{} calls in one second",
        oracle.busiest(0)
    );
    let delivered = oracle.delivered();
    assert_eq!(delivered.len(), 400);
    assert!((0..400).all(|i| delivered.get(&name(i)) == Some(&1)));
    let span = oracle.span().as_secs_f64();
    let ratio = 399.0 / span / 100.0;
    eprintln!(
        "4 processes through Redis: 400 calls in {span:.2} s, achieved/ceiling {ratio:.3}; {} resent; took {took:?}",
        oracle.duplicates()
    );
    assert!(span > 3.9, "the four shared one rate: {span:.2} s");
}

/// Redis killed once the run is under way. Fail closed: calls made after
/// it fail (transport, "failing closed"), nothing of them is sent, every
/// account is either delivered once or reported. Fallback at 1/4: the rest
/// goes out after the window is waited out, every account once, and still
/// never more than the limit in any second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_mid_run_fails_closed_or_falls_back_and_loses_nothing() {
    for fallback in [None, Some(4)] {
        let test = format!("redis_killed_mid_run (fallback {fallback:?})");
        let Some(mut redis) = RedisServer::start(&test) else {
            return;
        };
        let mut rules = batchsendmsg_rules();
        rules.push(
            Rule::calls(
                "/v4/openim/batchsendmsg",
                400,
                Duration::from_secs(1),
                90057,
            )
            .items("To_Account"),
        );
        let oracle = Oracle::start(rules).await;
        let per_worker = 150;
        let mut extra = vec![
            "--items-per-call",
            "2",
            "--item-quota",
            "400",
            "--jitter-ms",
            JITTER_MS,
        ];
        let n = fallback.map(|n: u32| n.to_string());
        if let Some(n) = &n {
            extra.extend(["--fallback", n.as_str()]);
        }
        let children: Vec<Child> = (0..4)
            .map(|w| {
                worker(
                    &oracle,
                    &redis.url,
                    w * 2 * per_worker,
                    2 * per_worker,
                    &extra,
                )
            })
            .collect();
        // 600 calls of two recipients at 98/s (the recipient quota, 400/s,
        // is not the binding one): kill Redis about 1.5 s in.
        let deadline = Instant::now() + Duration::from_secs(20);
        while oracle.accepted_calls() < 150 {
            assert!(Instant::now() < deadline, "{test}: the run did not start");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        redis.kill();
        let mut reports = Vec::new();
        for c in children {
            reports.push(report(c).await);
        }
        let delivered = oracle.delivered();
        let mut reported: HashMap<String, u32> = HashMap::new();
        for r in &reports {
            assert_eq!(
                r.delivered as usize + r.failed.len(),
                2 * per_worker,
                "{test}: every account delivered or reported"
            );
            assert!(r.outages >= 1, "{test}: {r:?}");
            for (item, transport, reason) in &r.failed {
                assert!(*transport, "{test}: {item}: {reason}");
                assert!(
                    reason.contains("failing closed"),
                    "{test}: {item}: {reason}"
                );
                *reported.entry(item.clone()).or_default() += 1;
            }
        }
        for i in 0..8 * per_worker {
            let a = name(i);
            let sent = delivered.get(&a).copied().unwrap_or(0);
            let failed = reported.get(&a).copied().unwrap_or(0);
            assert_eq!(
                (sent, failed == 1),
                (u32::from(failed == 0), failed == 1),
                "{test}: {a} delivered {sent} times, reported failed {failed} times"
            );
        }
        assert_eq!(oracle.refused(), 0, "{test}: no over-limit answer");
        assert!(
            oracle.busiest(0) <= 100,
            "{test}: {} calls in one second",
            oracle.busiest(0)
        );
        assert!(
            oracle.busiest(2) <= 400,
            "{test}: {} recipients in one second",
            oracle.busiest(2)
        );
        match fallback {
            None => assert!(
                !reported.is_empty(),
                "{test}: calls after the kill failed closed"
            ),
            Some(_) => assert!(
                reported.is_empty() && delivered.len() == 8 * per_worker,
                "{test}: everything went out through the local shares"
            ),
        }
        eprintln!(
            "{test}: {} delivered, {} reported failed, {} resent",
            delivered.len(),
            reported.len(),
            oracle.duplicates()
        );
    }
}
