//! One emulator under hostile load: idle connections held open (1,000 by
//! default) while a storm of bad requests runs (junk paths, junk UserSigs, a
//! 200 MB Content-Length, half-sent bodies), and typed calls are timed, first
//! quietly and then during the storm. Prints the process's peak RSS (VmHWM
//! from /proc/self/status: the emulator and this load generator share the
//! process) and the p50/p99 latency of the typed calls. Asserts nothing.
//!
//!     ulimit -n 4096 && cargo run --release -p im-api --features emulator --example emulator_load -- [IDLE] [SECONDS] [STORM_TASKS]
//!
//! The storm lasts less than the emulator's 10 s header timeout, so the idle
//! connections stay open throughout; the example then waits for that timeout
//! and reports how many the emulator closed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use im_api::api::account_check;
use im_api::emulator::{Emulator, Limits};
use im_api::types::CheckItem;
use im_api::{Client, RetryPolicy, Signer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The storm's request kinds, in turn.
const KINDS: [&str; 4] = [
    "junk paths",
    "junk UserSigs",
    "200 MB Content-Length",
    "half-sent bodies",
];

#[derive(Default)]
struct Counts {
    sent: [AtomicU64; 4],
    /// Answered with an HTTP status line.
    answered: [AtomicU64; 4],
    /// Neither answered nor closed within 5 s.
    stuck: AtomicU64,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let idle: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(1000);
    let seconds: f64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(5.0);
    let storm_tasks: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(16);
    let needed = 2 * idle + 2 * storm_tasks + 128;
    if let Some(limit) = open_files_limit()
        && limit < needed as u64
    {
        eprintln!(
            "emulator_load: {idle} idle connections need about {needed} file descriptors \
                 (both ends live in this process); the limit is {limit}: run `ulimit -n {}` first",
            needed.next_power_of_two()
        );
        std::process::exit(2);
    }
    let limits = Limits::default();
    let header_timeout = limits.header_timeout;
    let emu = Emulator::builder()
        .accounts(["alice", "bob"])
        .rate_limits(false)
        .limits(limits)
        .start()
        .await?;
    let client = emu
        .client_builder()
        .no_rate_limit()
        .retry_policy(RetryPolicy::none())
        .build()?;
    let rss_start = status_kib("VmRSS:");

    let quiet = measure(&client, Instant::now() + Duration::from_secs(1)).await;

    let opened_at = Instant::now();
    let mut held = Vec::with_capacity(idle);
    for _ in 0..idle {
        held.push(TcpStream::connect(emu.addr()).await?);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_idle = status_kib("VmRSS:");

    let sig = Signer::new(emu.sdkappid(), emu.secret_key()).sign(emu.identifier(), 86_400);
    let query = format!(
        "sdkappid={}&identifier={}&usersig={sig}&random=1&contenttype=json",
        emu.sdkappid(),
        emu.identifier()
    );
    let counts = Arc::new(Counts::default());
    let stop = Arc::new(AtomicBool::new(false));
    let next = Arc::new(AtomicU64::new(0));
    let mut storm = Vec::new();
    for _ in 0..storm_tasks {
        let (counts, stop, next, query) =
            (counts.clone(), stop.clone(), next.clone(), query.clone());
        let addr = emu.addr();
        storm.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let i = next.fetch_add(1, Ordering::Relaxed);
                storm_request(addr, &query, i, &counts).await;
            }
        }));
    }
    let storm_started = Instant::now();
    let during = measure(&client, storm_started + Duration::from_secs_f64(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    for t in storm {
        let _ = t.await;
    }
    let storm_secs = storm_started.elapsed().as_secs_f64();
    let still_open = count_open(&mut held).await;
    let peak = status_kib("VmHWM:");

    // The header timeout closes the idle connections.
    let after = header_timeout + Duration::from_secs(1);
    tokio::time::sleep(after.saturating_sub(opened_at.elapsed())).await;
    let open_after_timeout = count_open(&mut held).await;

    let mib = |kib: Option<u64>| {
        kib.map_or_else(
            || "?".to_owned(),
            |k| format!("{:.1} MiB", k as f64 / 1024.0),
        )
    };
    println!(
        "emulator_load: {idle} idle connections, {storm_tasks} storm tasks for {seconds} s, \
         emulator and load in one process"
    );
    println!(
        "  RSS: {} at start, {} with the idle connections open, peak (VmHWM) {}",
        mib(rss_start),
        mib(rss_idle),
        mib(peak)
    );
    let total: u64 = counts.sent.iter().map(|c| c.load(Ordering::Relaxed)).sum();
    println!(
        "  storm: {total} requests ({:.0}/s), {} neither answered nor closed within 5 s",
        total as f64 / storm_secs,
        counts.stuck.load(Ordering::Relaxed)
    );
    for (k, name) in KINDS.iter().enumerate() {
        println!(
            "    {name}: {} sent, {} answered",
            counts.sent[k].load(Ordering::Relaxed),
            counts.answered[k].load(Ordering::Relaxed)
        );
    }
    report("typed calls (account_check), quiet", &quiet);
    report("typed calls during the storm", &during);
    println!(
        "  idle connections still open after the storm: {still_open} of {idle}; \
         {:.0} s after opening (header timeout {} s): {open_after_timeout} of {idle}",
        after.as_secs_f64(),
        header_timeout.as_secs()
    );
    println!(
        "  reproduce: ulimit -n {} && cargo run --release -p im-api --features emulator \
         --example emulator_load -- {idle} {seconds} {storm_tasks}",
        needed.next_power_of_two().max(4096)
    );
    Ok(())
}

/// Latencies of sequential typed calls until `until`, and the failures.
struct Timings {
    latencies: Vec<Duration>,
    errors: u64,
}

async fn measure(client: &Client, until: Instant) -> Timings {
    let mut t = Timings {
        latencies: Vec::new(),
        errors: 0,
    };
    while Instant::now() < until {
        let started = Instant::now();
        let call = client.account_check(account_check::Request::new([CheckItem::new("alice")]));
        match call.await {
            Ok(_) => t.latencies.push(started.elapsed()),
            Err(_) => t.errors += 1,
        }
    }
    t.latencies.sort_unstable();
    t
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn report(what: &str, t: &Timings) {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "  {what}: {} calls, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms, {} errors",
        t.latencies.len(),
        ms(percentile(&t.latencies, 0.50)),
        ms(percentile(&t.latencies, 0.99)),
        ms(t.latencies.last().copied().unwrap_or_default()),
        t.errors
    );
}

/// One bad request on a fresh connection.
async fn storm_request(addr: std::net::SocketAddr, query: &str, i: u64, counts: &Counts) {
    let kind = (i % 4) as usize;
    let path = account_check::META.path;
    let request = match kind {
        0 => format!(
            "POST /v4/junk{i}/cmd{i}?{query} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}"
        ),
        1 => {
            let junk = query.replace("usersig=", &format!("usersig=junk{i}x"));
            format!(
                "POST {path}?{junk} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}"
            )
        }
        2 => format!(
            "POST {path}?{query} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 209715200\r\n\r\n{}",
            "x".repeat(100)
        ),
        _ => format!(
            "POST {path}?{query} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 1000\r\n\r\n{{\"CheckItem\":[{{\"UserID\":\"al"
        ),
    };
    counts.sent[kind].fetch_add(1, Ordering::Relaxed);
    let Ok(mut s) = TcpStream::connect(addr).await else {
        return;
    };
    if s.write_all(request.as_bytes()).await.is_err() || kind == 3 {
        // Half-sent: hang up mid-body.
        return;
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let mut buf = [0u8; 4096];
    let mut first = true;
    loop {
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Err(_) => {
                counts.stuck.fetch_add(1, Ordering::Relaxed);
                return;
            }
            Ok(Ok(0)) | Ok(Err(_)) => return,
            Ok(Ok(n)) => {
                if first && buf[..n].starts_with(b"HTTP/1.") {
                    counts.answered[kind].fetch_add(1, Ordering::Relaxed);
                }
                first = false;
            }
        }
    }
}

/// How many of the held connections the emulator has not closed.
async fn count_open(held: &mut [TcpStream]) -> usize {
    let mut open = 0;
    let mut buf = [0u8; 64];
    for s in held.iter_mut() {
        // A closed connection reads 0 (or an error) at once; an open one waits.
        if tokio::time::timeout(Duration::from_millis(2), s.read(&mut buf))
            .await
            .is_err()
        {
            open += 1;
        }
    }
    open
}

/// A field of /proc/self/status in KiB (`VmRSS:`, `VmHWM:`).
fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|l| {
        l.strip_prefix(field)?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    })
}

/// The soft limit on open files, from /proc/self/limits.
fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}
