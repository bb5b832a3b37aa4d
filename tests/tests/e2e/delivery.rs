//! Delivery that loses nothing and never trips a limit: retries with the
//! identical body under injected faults, pacing at the spec's rates, the
//! batch fan-out and broadcast coalescing.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use im_api::api::{send_broadcast_msg, send_group_msg};
use im_api::emulator::{Emulator, Fault, FaultPlan};
use im_api::types::{GroupType, MsgElement};
use im_api::{Client, EndpointError as _, RetryPolicy};
use im_tests::*;
use serde_json::json;

fn patient() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 12,
        initial_backoff: Duration::from_millis(1),
        rate_limited_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
        total_deadline: Some(Duration::from_secs(60)),
        jitter: true,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_messages_under_faults_none_lost_none_twice() {
    let emu = Emulator::builder()
        .accounts(["alice", "bob"])
        .group("@TGS#F", GroupType::Public, ["alice", "bob"])
        .rate_limits(false)
        .start()
        .await
        .unwrap();
    emu.set_fault_plan(Some(FaultPlan {
        probability: 0.10,
        faults: vec![
            Fault::Code(10002),
            Fault::Code(10023),
            Fault::Status(502),
            Fault::Status(503),
            Fault::Drop,
            Fault::DropAfterWork,
            Fault::DropAfterWork,
        ],
        seed: 20261125,
    }));
    let client = emu
        .client_builder()
        .retry_policy(patient())
        .no_rate_limit()
        .build()
        .unwrap();
    let n = 10_000;
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..32 {
        let (client, next) = (client.clone(), next.clone());
        workers.spawn(async move {
            let mut failures = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return failures;
                }
                let req = send_group_msg::Request::new(
                    "@TGS#F",
                    [MsgElement::text(format!("message {i}"))],
                );
                if let Err(e) = client.send_group_msg(req).await {
                    failures.push(format!("{i}: {e}"));
                }
            }
        });
    }
    let mut failures = Vec::new();
    while let Some(r) = workers.join_next().await {
        failures.extend(r.unwrap());
    }
    assert!(
        failures.is_empty(),
        "{} lost: {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );

    let log = emu.group_messages("@TGS#F");
    let mut texts: Vec<String> = log.iter().map(|d| format!("{:?}", d.msg_body)).collect();
    assert_eq!(
        texts.len(),
        n,
        "every message delivered to the group exactly once"
    );
    texts.sort();
    texts.dedup();
    assert_eq!(texts.len(), n, "no message delivered twice");
    assert_eq!(emu.inbox("bob").len(), n);
    let stats = emu.stats();
    // Attempts = answered requests + faulted ones that never reached a handler
    // (DropAfterWork is in both, so this slightly overcounts attempts).
    let attempts = stats.requests + stats.faults;
    assert!(
        stats.faults as f64 > 0.07 * attempts as f64,
        "about 10% of attempts faulted: {stats:?}"
    );
    assert!(
        stats.duplicates > 0,
        "answers lost after the work were retried and deduplicated: {stats:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fan_out_to_sixty_thousand_accounts() {
    let accounts: Vec<String> = (0..60_000).map(|i| format!("acct{i:05}")).collect();
    let emu = Emulator::builder()
        .accounts(accounts.iter().cloned())
        .start()
        .await
        .unwrap();
    // Paced at 100 calls/s; the recipient quota (12,000/min, five minutes
    // for this list) is tested on a paused clock in limits.rs.
    let client = emu
        .client_builder()
        .quota_limit("openim/batchsendmsg", 60, 10_000_000)
        .build()
        .unwrap();
    let mut input = accounts.clone();
    input.extend([
        "ghost-a".to_owned(),
        "acct00007".to_owned(),
        "ghost-b".to_owned(),
    ]);
    let progress = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = progress.clone();
    let report = client
        .fan_out(input, [MsgElement::text("system notice")])
        .on_progress(move |p| seen.lock().unwrap().push(*p))
        .send()
        .await
        .unwrap();
    assert_eq!(report.items, 60_002);
    assert_eq!(report.duplicates_skipped, 1);
    assert_eq!(report.requests, 121, "at most 500 accounts per request");
    assert_eq!(report.delivered, 60_000);
    let failed: Vec<(&str, Option<i64>)> = report
        .failed
        .iter()
        .map(|f| (f.item.as_str(), f.code))
        .collect();
    // The two ghosts make up the last call, which fails as a whole (90012,
    // every target unknown); each is reported with that code.
    assert_eq!(failed, [("ghost-a", Some(90012)), ("ghost-b", Some(90012))]);
    for a in accounts.iter().step_by(997).chain([&accounts[59_999]]) {
        assert_eq!(emu.inbox(a).len(), 1, "{a} got the message exactly once");
    }
    let stats = emu.stats();
    assert_eq!(
        stats.by_code.keys().copied().collect::<Vec<_>>(),
        [0, 90012],
        "no 90057/10023 and no 90011 (90012: the call holding only the ghosts): {stats:?}"
    );
    let p = progress.lock().unwrap();
    assert_eq!(p.len(), 121);
    assert!(p.windows(2).all(|w| w[0].items_done < w[1].items_done));
    assert_eq!(p.last().unwrap().items_done, 60_002);
}

#[tokio::test]
async fn fan_out_reports_failed_calls_and_refuses_bad_templates() {
    let emu = Emulator::builder()
        .accounts((0..1200).map(|i| format!("u{i}")))
        .start()
        .await
        .unwrap();
    let client = emu
        .client_builder()
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    emu.inject_for("openim/batchsendmsg", Fault::Code(90009));
    let report = client
        .fan_out((0..1200).map(|i| format!("u{i}")), [MsgElement::text("x")])
        .with(|m| m.from_account("u0").msg_life_time(60))
        .concurrency(1)
        .send()
        .await
        .unwrap();
    assert_eq!(report.requests, 3);
    assert_eq!(report.delivered, 700);
    // Every chunk carries the template's options, not only the first.
    let last = emu.inbox("u1199");
    assert_eq!(last.len(), 1);
    assert_eq!(
        last[0].from, "u0",
        "the sender set with `with` reached each chunk"
    );
    assert_eq!(
        report.failed.len(),
        500,
        "the whole failed chunk is reported, nothing dropped"
    );
    assert!(report.failed.iter().all(|f| f.code == Some(90009)));
    assert!(!report.is_complete());

    let before = emu.stats().requests;
    let err = client
        .fan_out(["u1"], Vec::<MsgElement>::new())
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, im_api::Error::Invalid(_)), "{err}");
    assert_eq!(
        emu.stats().requests,
        before,
        "nothing sent for an invalid template"
    );
}

#[tokio::test]
async fn retries_resend_the_identical_request_and_only_when_the_spec_allows() {
    let server = TestServer::start(Reply::Json(seed("send_group_msg.response"))).await;
    let client = Client::builder()
        .sdkappid(SDKAPPID)
        .identifier(ADMIN)
        .secret_key(KEY)
        .base_url(&server.base_url)
        .retry_policy(RetryPolicy {
            jitter: false,
            initial_backoff: Duration::from_millis(10),
            rate_limited_backoff: Duration::from_millis(150),
            ..RetryPolicy::default()
        })
        .no_rate_limit()
        .build()
        .unwrap();
    let send = || client.send_group_msg(send_group_msg::Request::new("g", [MsgElement::text("x")]));

    server.script([
        fail(10002, "busy"),
        Reply::Status(502),
        fail(99999, "a code no spec knows"),
    ]);
    let err = send().await.unwrap_err();
    assert_eq!(
        err.code(),
        Some(99999),
        "a code the catalogue does not know is permanent"
    );
    let sent = server.take_requests();
    assert_eq!(sent.len(), 3);
    assert!(sent
        .windows(2)
        .all(|w| w[0].body == w[1].body && w[0].param("random") == w[1].param("random")));

    // 91000 is not listed for send_group_msg, but the catalogue classes it
    // retryable: it keeps that class (and stays `Unknown` for the endpoint).
    server.script([fail(91000, "internal error")]);
    send().await.unwrap();
    assert_eq!(
        server.take_requests().len(),
        2,
        "retried by the catalogue's class"
    );
    assert_eq!(
        send_group_msg::Error::from_code(91000),
        send_group_msg::Error::Unknown(91000)
    );
    assert_eq!(
        im_api::EndpointError::catalogue(&send_group_msg::Error::from_code(91000)).map(|e| e.name),
        Some("ServiceInternalError")
    );

    server.script([fail(10004, "bad")]);
    assert_eq!(send().await.unwrap_err().code(), Some(10004));
    assert_eq!(
        server.take_requests().len(),
        1,
        "permanent errors are not retried"
    );

    server.script([fail(10023, "slow down")]);
    let t = Instant::now();
    send().await.unwrap();
    assert!(
        t.elapsed() >= Duration::from_millis(150),
        "rate-limited answers wait the longer backoff"
    );
    assert_eq!(server.take_requests().len(), 2);

    server.script((0..10).map(|_| fail(10002, "busy")));
    let err = send().await.unwrap_err();
    assert_eq!(err.api().unwrap().attempts, 4, "bounded by max_attempts");
    server.take_requests();
    server.script([]);
}

#[tokio::test]
async fn the_limiter_paces_every_clone_at_the_configured_rate() {
    let server = TestServer::start(ok(json!({"MsgSeq": 1, "MsgTime": 1}))).await;
    let client = Client::builder()
        .sdkappid(SDKAPPID)
        .identifier(ADMIN)
        .secret_key(KEY)
        .base_url(&server.base_url)
        .rate_limit("group_open_http_svc/send_group_msg", 50.0)
        .build()
        .unwrap();
    let t = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for i in 0..55 {
        let c = client.clone();
        set.spawn(async move {
            c.send_group_msg(send_group_msg::Request::new(
                format!("g{}", i % 3),
                [MsgElement::text("x")],
            ))
            .await
        });
    }
    while let Some(r) = set.join_next().await {
        r.unwrap().unwrap();
    }
    // 55 calls at 50/s with bursts of 5: at least 50 intervals of 20 ms.
    assert!(
        t.elapsed() >= Duration::from_millis(990),
        "{:?}",
        t.elapsed()
    );
}

#[tokio::test]
async fn broadcasts_are_coalesced_in_order_within_the_size_limit() {
    let emu = Emulator::builder()
        .accounts(["viewer"])
        .group("@TGS#LIVE", GroupType::AvChatRoom, ["viewer"])
        .broadcast_enabled(true)
        .start()
        .await
        .unwrap();
    let client = emu.client();
    let queue = client.broadcast_coalescer();
    // 25 updates of about 1 KB each: too many for one 12,000-byte body.
    let pending: Vec<_> = (0..25)
        .map(|i| {
            queue.send(send_broadcast_msg::Request::new([MsgElement::text(
                format!("{i:02}:{}", "x".repeat(1000)),
            )]))
        })
        .collect();
    let mut receipts = Vec::new();
    for p in pending {
        receipts.push(p.await.unwrap());
    }
    let calls = emu.broadcasts();
    assert!(
        calls.len() >= 3 && calls.len() <= 4,
        "{} calls",
        calls.len()
    );
    let mut order = Vec::new();
    for call in &calls {
        let size = serde_json::to_vec(&call.msg_body).unwrap().len();
        assert!(size <= 12_000, "{size} bytes");
        for e in &call.msg_body {
            if let MsgElement::Text(t) = e {
                order.push(t.text[..2].parse::<u32>().unwrap());
            }
        }
    }
    assert_eq!(
        order,
        (0..25).collect::<Vec<_>>(),
        "order preserved across calls"
    );
    assert_eq!(
        receipts.iter().filter(|r| r.position == 0).count(),
        calls.len()
    );
    let stats = emu.stats();
    assert_eq!(
        stats.by_code.keys().copied().collect::<Vec<_>>(),
        [0],
        "never over 1 call/s: {stats:?}"
    );

    // At most one TIMCustomElem per message: custom updates are not merged together.
    let a = queue.send(send_broadcast_msg::Request::new([MsgElement::custom(
        "{\"a\":1}",
    )]));
    let b = queue.send(send_broadcast_msg::Request::new([MsgElement::custom(
        "{\"b\":2}",
    )]));
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    assert_ne!(a.msg_seq, b.msg_seq);
}

/// A limiter shared by two clients, as several processes would share one
/// through Redis: the trait is all a shared implementation needs.
#[derive(Debug, Default)]
struct CountingLimiter {
    inner: im_api::LocalLimiter,
    calls: AtomicUsize,
}

impl im_api::RateLimiter for CountingLimiter {
    fn acquire<'a>(
        &'a self,
        endpoint: &'static im_api::EndpointMeta,
        group: Option<&'a str>,
        items: u64,
    ) -> im_api::limiter::BoxFuture<'a, Result<(), im_api::limiter::LimiterError>> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.inner.acquire(endpoint, group, items)
    }
}

#[tokio::test]
async fn a_custom_limiter_is_consulted_by_every_client_that_shares_it() {
    let server = TestServer::start(ok(json!({"MsgSeq": 1, "MsgTime": 1}))).await;
    let shared = Arc::new(CountingLimiter::default());
    let make = || {
        Client::builder()
            .sdkappid(SDKAPPID)
            .identifier(ADMIN)
            .secret_key(KEY)
            .base_url(&server.base_url)
            .rate_limiter(shared.clone())
            .build()
            .unwrap()
    };
    let (a, b) = (make(), make());
    for c in [&a, &b, &a] {
        c.send_group_msg(send_group_msg::Request::new("g", [MsgElement::text("x")]))
            .await
            .unwrap();
    }
    assert_eq!(shared.calls.load(Ordering::Relaxed), 3);
}
