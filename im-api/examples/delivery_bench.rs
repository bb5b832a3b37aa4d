//! Delivery figures (printed, never asserted):
//! 1. fan-out: achieved batchsendmsg calls/s divided by the configured ceiling,
//!    with the count of over-rate answers, against the emulator;
//! 2. per-request client overhead: im-api's typed call against a hand-written
//!    reqwest + serde_json baseline sending the same request to the same
//!    minimal local server, sequentially; the ratio of their times.
//!
//!     cargo run --release -p im-api --features emulator --example delivery_bench

use std::convert::Infallible;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use im_api::api::{batchsendmsg, send_group_msg};
use im_api::emulator::Emulator;
use im_api::types::MsgElement;
use im_api::{Client, RetryPolicy, Signer};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    fan_out().await?;
    overhead().await?;
    Ok(())
}

async fn fan_out() -> Result<(), Box<dyn std::error::Error>> {
    let ceiling = f64::from(batchsendmsg::META.per_second.unwrap_or(100));
    let calls = 300usize;
    let accounts: Vec<String> = (0..calls * 500).map(|i| format!("a{i}")).collect();
    let emu = Emulator::builder()
        .accounts(accounts.iter().cloned())
        .start()
        .await?;
    // The calls-per-second ceiling is measured here: the recipient quota
    // (12,000/min, which would bind for 150,000 recipients) is raised; see
    // the limits_bench example and tests/e2e/limits.rs for the quotas.
    let client = emu
        .client_builder()
        .quota_limit("openim/batchsendmsg", 60, 100_000_000)
        .build()?;
    let t = Instant::now();
    let report = client
        .fan_out(accounts, [MsgElement::text("notice")])
        .concurrency(32)
        .send()
        .await?;
    let elapsed = t.elapsed().as_secs_f64();
    let achieved = report.requests as f64 / elapsed;
    let over = emu
        .stats()
        .by_code
        .iter()
        .filter(|(c, _)| **c != 0)
        .map(|(_, n)| n)
        .sum::<u64>();
    println!(
        "fan-out: {} accounts in {} calls in {elapsed:.2} s: {achieved:.1} calls/s against a ceiling of {ceiling}/s",
        report.delivered, report.requests
    );
    println!(
        "  ratio achieved/ceiling = {:.3} (target >= 0.97); over-rate or other error answers: {over}; failed accounts: {}",
        achieved / ceiling,
        report.failed.len()
    );
    Ok(())
}

/// A server that answers every POST with the same small success body.
async fn minimal_server() -> std::io::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(
                    |req: hyper::Request<hyper::body::Incoming>| async move {
                        let _ = req.into_body().collect().await;
                        Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from_static(
                        br#"{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"MsgTime":1700000000,"MsgSeq":42}"#,
                    ))))
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    Ok(format!("http://{addr}"))
}

async fn overhead() -> Result<(), Box<dyn std::error::Error>> {
    let base = minimal_server().await?;
    let (sdkappid, admin, key) = (1400000000u64, "administrator", "bench-key");
    let im = Client::builder()
        .sdkappid(sdkappid)
        .identifier(admin)
        .secret_key(key)
        .base_url(&base)
        .retry_policy(RetryPolicy::none())
        .no_rate_limit()
        .build()?;
    let im_limited = Client::builder()
        .sdkappid(sdkappid)
        .identifier(admin)
        .secret_key(key)
        .base_url(&base)
        .rate_limit("group_open_http_svc/send_group_msg", 1e9)
        .build()?;
    // The baseline: what a careful hand-written client does per request.
    let http = reqwest::Client::builder().tcp_nodelay(true).build()?;
    let sig = Signer::new(sdkappid, im_api::SecretKey::new(key)).sign(admin, 86400);
    let baseline = |i: u32| {
        let http = http.clone();
        let url = format!(
            "{base}/v4/group_open_http_svc/send_group_msg?sdkappid={sdkappid}&identifier={admin}&usersig={sig}&random={}&contenttype=json",
            im_api::random_u32()
        );
        async move {
            let body = serde_json::to_vec(&serde_json::json!({
                                "GroupId": format!("@TGS#B{}", i % 4096), "Random": im_api::random_u32(),
                "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": format!("m{i}")}}]
            }))
            .expect("json");
            let bytes = http
                .post(url)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await?
                .bytes()
                .await?;
            let v: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
            assert_eq!(v["ErrorCode"], 0);
            Ok::<u64, reqwest::Error>(v["MsgSeq"].as_u64().unwrap_or(0))
        }
    };
    let typed = |c: &Client, i: u32| {
        let c = c.clone();
        // Many groups, as in production: the per-group limit (40/s) never binds here.
        async move {
            c.send_group_msg(send_group_msg::Request::new(
                format!("@TGS#B{}", i % 4096),
                [MsgElement::text(format!("m{i}"))],
            ))
            .await
            .map(|r| r.msg_seq)
        }
    };
    let n = 4000u32;
    let rounds = 5;
    let (mut t_base, mut t_im, mut t_lim) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    for _ in 0..50 {
        baseline(0).await?;
        typed(&im, 0).await?;
        typed(&im_limited, 0).await?;
    }
    for _ in 0..rounds {
        let t = Instant::now();
        for i in 0..n {
            baseline(i).await?;
        }
        t_base += t.elapsed();
        let t = Instant::now();
        for i in 0..n {
            typed(&im, i).await?;
        }
        t_im += t.elapsed();
        let t = Instant::now();
        for i in 0..n {
            typed(&im_limited, i).await?;
        }
        t_lim += t.elapsed();
    }
    let per = |d: Duration| d.as_secs_f64() * 1e6 / f64::from(n * rounds);
    println!(
        "client overhead, {} sequential requests each, interleaved rounds, same local server:",
        n * rounds
    );
    println!(
        "  reqwest + serde_json baseline: {:.1} us/request",
        per(t_base)
    );
    println!(
        "  im-api (validate, fill, cached sig, envelope, typed decode): {:.1} us/request, ratio {:.3} (target <= 1.05)",
        per(t_im),
        t_im.as_secs_f64() / t_base.as_secs_f64()
    );
    println!(
        "  im-api with the rate limiter on (never waiting): {:.1} us/request, ratio {:.3}",
        per(t_lim),
        t_lim.as_secs_f64() / t_base.as_secs_f64()
    );
    Ok(())
}
