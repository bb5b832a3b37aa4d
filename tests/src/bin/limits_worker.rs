//! One of several processes sending through one app's limits shared in
//! Redis (the multi-process tests in `tests/e2e/redis_limiter.rs` and the
//! `limits_bench` example start it). Sends one batchsendmsg fan-out and
//! prints its report as one JSON line on stdout.
//!
//! ```text
//! limits_worker --base-url URL --redis URL --first N --count N
//!               [--items-per-call K] [--fallback PROCESSES] [--item-quota LIMIT]
//!               [--jitter-ms MS]
//! ```
//!
//! Accounts are `u{first:06}` .. `u{first+count-1:06}`. `--item-quota`
//! replaces batchsendmsg's recipient quota with LIMIT per second (short
//! windows keep the tests short); `--fallback` goes on alone at
//! 1/PROCESSES when Redis does not answer (default: fail closed);
//! `--jitter-ms` widens the limiter's jitter allowance (default 20 ms).

use std::sync::Arc;
use std::time::Duration;

use im_api::fanout::FailureKind;
use im_api::limiter::{Limits, OnUnreachable, RedisLimiter};
use im_api::types::MsgElement;
use im_api::{Client, Quota, RetryPolicy};
use im_tests::{ADMIN, KEY, SDKAPPID};

struct Args {
    base_url: String,
    redis: String,
    first: usize,
    count: usize,
    items_per_call: Option<usize>,
    fallback: Option<u32>,
    item_quota: Option<u64>,
    jitter_ms: Option<u64>,
}

fn parse() -> Result<Args, String> {
    let mut args = Args {
        base_url: String::new(),
        redis: String::new(),
        first: 0,
        count: 0,
        items_per_call: None,
        fallback: None,
        item_quota: None,
        jitter_ms: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = || value.parse::<u64>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--base-url" => args.base_url = value.clone(),
            "--redis" => args.redis = value.clone(),
            "--first" => args.first = number()? as usize,
            "--count" => args.count = number()? as usize,
            "--items-per-call" => args.items_per_call = Some(number()? as usize),
            "--fallback" => args.fallback = Some(number()? as u32),
            "--item-quota" => args.item_quota = Some(number()?),
            "--jitter-ms" => args.jitter_ms = Some(number()?),
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    if args.base_url.is_empty() || args.redis.is_empty() {
        return Err("--base-url and --redis are required".into());
    }
    Ok(args)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let args = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("limits_worker: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let mut limits = Limits::new();
    if let Some(ms) = args.jitter_ms {
        limits = limits.jitter(Duration::from_millis(ms));
    }
    if let Some(limit) = args.item_quota {
        limits = limits.quotas(
            "openim/batchsendmsg",
            [Quota {
                limit,
                window_secs: 1,
                count: Some("To_Account"),
                code: 90057,
            }],
        );
    }
    let mut limiter = match RedisLimiter::new(&args.redis, SDKAPPID) {
        Ok(l) => l.with_limits(limits),
        Err(e) => {
            eprintln!("limits_worker: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    if let Some(processes) = args.fallback {
        limiter = limiter.on_unreachable(OnUnreachable::Local { processes });
    }
    let limiter = Arc::new(limiter);
    let client = Client::builder()
        .sdkappid(SDKAPPID)
        .identifier(ADMIN)
        .secret_key(KEY)
        .base_url(args.base_url)
        .retry_policy(RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(50),
            rate_limited_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_millis(400),
            total_deadline: Some(Duration::from_secs(20)),
            jitter: true,
        })
        .rate_limiter(limiter.clone())
        .build()
        .expect("client");
    let accounts = (args.first..args.first + args.count).map(|i| format!("u{i:06}"));
    let mut send = client.fan_out(accounts, [MsgElement::text("notice")]);
    if let Some(k) = args.items_per_call {
        send = send.max_items(k);
    }
    let started = std::time::Instant::now();
    let report = send.send().await.expect("a valid template");
    let failed: Vec<serde_json::Value> = report
        .failed
        .iter()
        .map(|f| {
            serde_json::json!({
                "item": f.item,
                "code": f.code,
                "transport": f.kind == FailureKind::Transport,
                "reason": f.reason,
            })
        })
        .collect();
    println!(
        "{}",
        serde_json::json!({
            "delivered": report.delivered,
            "requests": report.requests,
            "failed": failed,
            "outages": limiter.outages(),
            "seconds": started.elapsed().as_secs_f64(),
        })
    );
    std::process::ExitCode::SUCCESS
}
