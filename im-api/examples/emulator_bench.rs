//! Requests per second the emulator serves on loopback, with many concurrent
//! clients on keep-alive connections. Prints figures; asserts nothing.
//!
//!     cargo run --release -p im-api --features emulator --example emulator_bench -- [CONCURRENCY] [SECONDS]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use im_api::emulator::{DEFAULT_ADMIN, Emulator};
use im_api::types::GroupType;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let concurrency: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(64);
    let seconds: f64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(3.0);
    let emu = Emulator::builder()
        .accounts(["a", "b"])
        .group("@TGS#BENCH", GroupType::Public, ["a", "b"])
        .rate_limits(false)
        .start()
        .await?;
    let sig = im_api::Signer::new(emu.sdkappid(), emu.secret_key()).sign(DEFAULT_ADMIN, 86400);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .tcp_nodelay(true)
        .build()?;
    println!(
        "emulator_bench: {concurrency} concurrent clients, {seconds} s per scenario, 2 cores shared by clients and server"
    );
    for (name, path, make_body) in [
        (
            "send_group_msg (validated, sequenced, delivered, dedup-checked)",
            "/v4/group_open_http_svc/send_group_msg",
            (|i: u64| {
                format!(
                    r#"{{"GroupId":"@TGS#BENCH","Random":{i},"MsgBody":[{{"MsgType":"TIMTextElem","MsgContent":{{"Text":"m{i}"}}}}]}}"#
                )
            }) as fn(u64) -> String,
        ),
        (
            "send_group_system_notification (validated, generic OK)",
            "/v4/group_open_http_svc/send_group_system_notification",
            |i: u64| format!(r#"{{"GroupId":"@TGS#BENCH","Content":"n{i}"}}"#),
        ),
    ] {
        let done = Arc::new(AtomicU64::new(0));
        let errors = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let counter = Arc::new(AtomicU64::new(0));
        let base = format!(
            "{}{path}?sdkappid={}&identifier={DEFAULT_ADMIN}&usersig={sig}&contenttype=json",
            emu.base_url(),
            emu.sdkappid()
        );
        let mut tasks = Vec::new();
        for _ in 0..concurrency {
            let (http, base, done, errors, stop, counter) = (
                http.clone(),
                base.clone(),
                done.clone(),
                errors.clone(),
                stop.clone(),
                counter.clone(),
            );
            tasks.push(tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let i = counter.fetch_add(1, Ordering::Relaxed);
                    let url = format!("{base}&random={}", i as u32);
                    match http.post(url).body(make_body(i)).send().await {
                        Ok(r) => match r.bytes().await {
                            Ok(b) if b.windows(13).any(|w| w == b"\"ErrorCode\":0") => {
                                done.fetch_add(1, Ordering::Relaxed);
                            }
                            _ => {
                                errors.fetch_add(1, Ordering::Relaxed);
                            }
                        },
                        Err(_) => {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            }));
        }
        tokio::time::sleep(Duration::from_millis(500)).await; // warm-up
        let (d0, t0) = (done.load(Ordering::Relaxed), Instant::now());
        tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
        let (d1, elapsed) = (done.load(Ordering::Relaxed), t0.elapsed());
        stop.store(true, Ordering::Relaxed);
        for t in tasks {
            let _ = t.await;
        }
        let rps = (d1 - d0) as f64 / elapsed.as_secs_f64();
        println!(
            "  {name}: {rps:.0} requests/s ({:.2}x the 20,000/s target), {} errors",
            rps / 20_000.0,
            errors.load(Ordering::Relaxed)
        );
    }
    Ok(())
}
