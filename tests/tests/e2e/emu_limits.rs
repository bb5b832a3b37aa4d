//! The emulator's bounds, each against what a hostile or broken peer does:
//! junk paths and junk UserSigs do not grow its memory, bodies are refused
//! by their size before (Content-Length) and while (chunked) being read,
//! half-sent requests are closed by the timeouts, connections beyond the cap
//! wait their turn, dropping the emulator closes every connection, only
//! loopback `Host`s are answered, lenient content types still work, explicit
//! group IDs never collide with generated ones, and bodies are checked as
//! sent (duplicate keys, `\u` escapes counted on the wire).

use std::time::{Duration, Instant};

use im_api::api::{account_import, create_group, send_group_msg};
use im_api::emulator::{Emulator, Limits};
use im_api::raw::RawError;
use im_api::types::GroupType;
use im_api::{EndpointError as _, Error, PublicError, Signer};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const GROUP_PATH: &str = "/v4/group_open_http_svc/send_group_msg";

fn group_body(random: u32) -> String {
    format!(
        r#"{{"GroupId":"@TGS#G","Random":{random},"MsgBody":[{{"MsgType":"TIMTextElem","MsgContent":{{"Text":"hi"}}}}]}}"#
    )
}

async fn emulator_with(limits: Limits) -> Emulator {
    Emulator::builder()
        .accounts(["alice", "bob"])
        .group("@TGS#G", GroupType::Public, ["alice", "bob"])
        .limits(limits)
        .start()
        .await
        .unwrap()
}

/// The five query parameters with a valid admin UserSig.
fn query(emu: &Emulator) -> String {
    let sig = Signer::new(emu.sdkappid(), emu.secret_key()).sign(emu.identifier(), 3600);
    format!(
        "sdkappid={}&identifier={}&usersig={sig}&random=7&contenttype=json",
        emu.sdkappid(),
        emu.identifier()
    )
}

fn http_parse_error() -> i64 {
    PublicError::HttpParseError.code()
}

/// Read until the peer closes (or resets) the connection, or `limit`
/// passes. Returns what was read and whether the peer closed.
async fn read_until_closed(s: &mut TcpStream, limit: Duration) -> (Vec<u8>, bool) {
    let deadline = tokio::time::Instant::now() + limit;
    let mut out = Vec::new();
    let mut buf = vec![0u8; 8192];
    loop {
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Err(_) => return (out, false),
            Ok(Ok(0)) | Ok(Err(_)) => return (out, true),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
        }
    }
}

/// The status and JSON body of one HTTP answer (Content-Length framed).
fn parse_answer(raw: &[u8]) -> Option<(u16, Value)> {
    let text = std::str::from_utf8(raw).ok()?;
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    Some((status, serde_json::from_str(body).unwrap_or(Value::Null)))
}

/// Read one answer on a keep-alive connection (headers, then Content-Length bytes).
async fn read_one_answer(s: &mut TcpStream) -> (u16, Value) {
    let mut raw = Vec::new();
    let mut buf = vec![0u8; 8192];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
            .await
            .expect("an answer in time")
            .expect("read");
        assert!(n > 0, "closed before answering");
        raw.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&raw).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let len: usize = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse().ok())?
                })
                .expect("a Content-Length");
            if body.len() >= len {
                return parse_answer(&raw).expect("an HTTP answer");
            }
        }
    }
}

async fn post(emu: &Emulator, path: &str, query: &str, body: String) -> Value {
    post_with(emu, path, query, body, None).await
}

async fn post_with(
    emu: &Emulator,
    path: &str,
    query: &str,
    body: String,
    content_type: Option<&str>,
) -> Value {
    let mut req = reqwest::Client::new()
        .post(format!("{}{path}?{query}", emu.base_url()))
        .body(body);
    if let Some(ct) = content_type {
        req = req.header(reqwest::header::CONTENT_TYPE, ct);
    }
    let resp = req.send().await.unwrap();
    serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unique_junk_paths_do_not_grow_the_path_counts() {
    let emu = emulator_with(Limits::default()).await;
    let q = query(&emu);
    let http = reqwest::Client::new();
    for i in 0..300 {
        for path in [format!("/v4/junk{i}/cmd{i}"), format!("/x{i}/{i}")] {
            let resp = http
                .post(format!("{}{path}?{q}", emu.base_url()))
                .body("{}")
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 200);
        }
    }
    // One real endpoint, for contrast.
    let v = post(&emu, GROUP_PATH, &q, group_body(1)).await;
    assert_eq!(v["ErrorCode"], 0);
    let stats = emu.stats();
    assert_eq!(stats.other_paths, 600);
    assert_eq!(stats.by_path.len(), 1, "{:?}", stats.by_path);
    assert_eq!(stats.by_path.get(GROUP_PATH), Some(&1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn junk_usersigs_do_not_grow_the_usersig_cache() {
    // The cache's bound (SIG_CACHE in im-api/src/emulator/shared.rs).
    const BOUND: usize = 256;
    let emu = emulator_with(Limits::default()).await;
    let signer = Signer::new(emu.sdkappid(), emu.secret_key());
    // Validly signed for accounts that are not admins (they verify, so they
    // are cached, then are refused) and plain junk (never cached).
    let mut queries: Vec<String> = (0..600)
        .map(|i| {
            let user = format!("u{i}");
            format!(
                "sdkappid={}&identifier={user}&usersig={}&random=1&contenttype=json",
                emu.sdkappid(),
                signer.sign(&user, 3600)
            )
        })
        .collect();
    queries.extend((0..4400).map(|i| {
        format!(
            "sdkappid={}&identifier={}&usersig=eJyrVspNzSvJz1OyUjI0MjJRslIqzsjPL0pRqK0FAHJ{i}&random=1&contenttype=json",
            emu.sdkappid(),
            emu.identifier()
        )
    }));
    let base = emu.base_url();
    let http = reqwest::Client::new();
    let mut tasks = tokio::task::JoinSet::new();
    for chunk in queries.chunks(625) {
        let (chunk, base, http) = (chunk.to_vec(), base.clone(), http.clone());
        tasks.spawn(async move {
            for q in chunk {
                let resp = http
                    .post(format!("{base}{GROUP_PATH}?{q}"))
                    .body(group_body(1))
                    .send()
                    .await
                    .unwrap();
                let v: Value = serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap();
                assert_ne!(v["ErrorCode"], 0, "{v}");
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    let cached = emu.cached_usersigs();
    assert!(
        (1..=BOUND).contains(&cached),
        "{cached} UserSigs cached after 5,000 junk ones"
    );
    assert_eq!(emu.stats().requests, 5000);
    // The admin still gets in.
    let v = post(&emu, GROUP_PATH, &query(&emu), group_body(2)).await;
    assert_eq!(v["ErrorCode"], 0, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_200_mb_content_length_is_answered_without_reading_the_body() {
    let emu = emulator_with(Limits::default()).await;
    let q = query(&emu);
    let addr = emu.addr();
    for (method, status) in [("GET", 200), ("POST", 413)] {
        let started = Instant::now();
        let mut s = TcpStream::connect(addr).await.unwrap();
        let head = format!(
            "{method} {GROUP_PATH}?{q} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: 209715200\r\n\r\n{{\"GroupId\""
        );
        s.write_all(head.as_bytes()).await.unwrap();
        let (raw, closed) = read_until_closed(&mut s, Duration::from_secs(5)).await;
        let (got, body) = parse_answer(&raw)
            .unwrap_or_else(|| panic!("{method}: no answer ({})", String::from_utf8_lossy(&raw)));
        assert_eq!(got, status, "{method}: {body}");
        // GET fails the method check, POST the size check: both before the body.
        assert_eq!(body["ErrorCode"], http_parse_error(), "{method}: {body}");
        assert!(closed, "{method}: the unread body ends the connection");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{method}: {:?}",
            started.elapsed()
        );
    }
    assert!(emu.group_messages("@TGS#G").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_body_over_the_limit_is_refused_while_reading() {
    let mut limits = Limits::default();
    limits.max_body_bytes = 64 * 1024;
    limits.body_timeout = Duration::from_secs(30);
    let emu = emulator_with(limits).await;
    let q = query(&emu);
    let addr = emu.addr();
    let mut s = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST {GROUP_PATH}?{q} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    // 72 KiB in 8 KiB chunks, and no last chunk: only the size limit can
    // end this request before the (30 s) body timeout.
    let chunk = format!("2000\r\n{}\r\n", "x".repeat(0x2000));
    for _ in 0..9 {
        if s.write_all(chunk.as_bytes()).await.is_err() {
            break;
        }
    }
    let started = Instant::now();
    let (raw, closed) = read_until_closed(&mut s, Duration::from_secs(10)).await;
    assert!(closed && started.elapsed() < Duration::from_secs(10));
    if let Some((status, body)) = parse_answer(&raw) {
        assert_eq!(status, 413, "{body}");
        assert_eq!(body["ErrorCode"], http_parse_error());
    }
    // Counted as refused (whether or not the answer beat the close).
    assert_eq!(
        emu.stats().by_code.get(&http_parse_error()),
        Some(&1),
        "{:?}",
        emu.stats()
    );
    assert!(emu.group_messages("@TGS#G").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_requests_are_closed_by_the_timeouts() {
    let mut limits = Limits::default();
    limits.header_timeout = Duration::from_millis(300);
    limits.body_timeout = Duration::from_millis(300);
    let emu = emulator_with(limits).await;
    let q = query(&emu);
    let addr = emu.addr();
    let cases = [
        ("nothing sent", String::new()),
        (
            "headers cut short",
            format!("POST {GROUP_PATH}?{q} HTTP/1.1\r\nHost: {addr}\r\nContent-Le"),
        ),
        (
            "body cut short",
            format!(
                "POST {GROUP_PATH}?{q} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 100\r\n\r\n{{\"GroupId\":"
            ),
        ),
    ];
    for (what, sent) in cases {
        let started = Instant::now();
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(sent.as_bytes()).await.unwrap();
        let (_, closed) = read_until_closed(&mut s, Duration::from_secs(5)).await;
        let took = started.elapsed();
        assert!(closed, "{what}: still open after 5 s");
        assert!(
            took >= Duration::from_millis(250) && took < Duration::from_secs(3),
            "{what}: closed after {took:?}"
        );
    }
    // An idle keep-alive connection is closed the same way.
    let mut s = TcpStream::connect(addr).await.unwrap();
    let body = group_body(9);
    let req = format!(
        "POST {GROUP_PATH}?{q} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let (status, v) = read_one_answer(&mut s).await;
    assert_eq!((status, v["ErrorCode"].as_i64()), (200, Some(0)), "{v}");
    let (_, closed) = read_until_closed(&mut s, Duration::from_secs(5)).await;
    assert!(closed, "idle keep-alive connection still open");
    // And the emulator serves normally.
    assert_eq!(
        post(&emu, GROUP_PATH, &q, group_body(10)).await["ErrorCode"],
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_cap_wait_then_succeed() {
    let mut limits = Limits::default();
    limits.max_connections = 2;
    limits.header_timeout = Duration::from_secs(30);
    let emu = emulator_with(limits).await;
    let q = query(&emu);
    let addr = emu.addr();
    let idle1 = TcpStream::connect(addr).await.unwrap();
    let idle2 = TcpStream::connect(addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let url = format!("{}{GROUP_PATH}?{q}", emu.base_url());
    let call = tokio::spawn(async move {
        let resp = reqwest::Client::new()
            .post(url)
            .body(group_body(3))
            .send()
            .await
            .unwrap();
        serde_json::from_slice::<Value>(&resp.bytes().await.unwrap()).unwrap()
    });
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(!call.is_finished(), "served beyond the connection cap");
    assert!(emu.group_messages("@TGS#G").is_empty());
    drop(idle1);
    let v = tokio::time::timeout(Duration::from_secs(5), call)
        .await
        .expect("served once a connection closed")
        .unwrap();
    assert_eq!(v["ErrorCode"], 0, "{v}");
    assert_eq!(emu.group_messages("@TGS#G").len(), 1);
    drop(idle2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_emulator_closes_its_connections() {
    // The default timeouts (10 s) would close these connections much later.
    let emu = emulator_with(Limits::default()).await;
    let q = query(&emu);
    let addr = emu.addr();
    // A keep-alive connection that was served, and one mid-request.
    let mut served = TcpStream::connect(addr).await.unwrap();
    let body = group_body(4);
    let req = format!(
        "POST {GROUP_PATH}?{q} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    served.write_all(req.as_bytes()).await.unwrap();
    let (status, _) = read_one_answer(&mut served).await;
    assert_eq!(status, 200);
    let mut pending = TcpStream::connect(addr).await.unwrap();
    pending
        .write_all(format!("POST {GROUP_PATH}?{q} HTTP/1.1\r\nHost: {addr}\r\n").as_bytes())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop(emu);
    for (what, s) in [("served", &mut served), ("pending", &mut pending)] {
        let (_, closed) = read_until_closed(s, Duration::from_secs(3)).await;
        assert!(
            closed,
            "{what} connection still open after the emulator was dropped"
        );
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "still accepting after the emulator was dropped"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_loopback_hosts_are_answered() {
    let emu = emulator_with(Limits::default()).await;
    let q = query(&emu);
    let addr = emu.addr();
    for (i, (host, status)) in [
        (Some("evil.example".to_owned()), 403),
        (Some(format!("127.0.0.1.evil.example:{}", addr.port())), 403),
        (Some("10.0.0.1".to_owned()), 403),
        (None, 403),
        (Some(format!("localhost:{}", addr.port())), 200),
        (Some(addr.to_string()), 200),
    ]
    .into_iter()
    .enumerate()
    {
        let body = group_body(500 + i as u32);
        let host_line = host
            .as_ref()
            .map(|h| format!("Host: {h}\r\n"))
            .unwrap_or_default();
        let req = format!(
            "POST {GROUP_PATH}?{q} HTTP/1.1\r\n{host_line}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(req.as_bytes()).await.unwrap();
        let (raw, _) = read_until_closed(&mut s, Duration::from_secs(5)).await;
        let (got, v) = parse_answer(&raw).expect("an answer");
        assert_eq!(got, status, "Host {host:?}: {v}");
        if status == 403 {
            assert_eq!(v["ErrorCode"], http_parse_error());
        }
    }
    // Only the loopback requests reached the group.
    assert_eq!(emu.group_messages("@TGS#G").len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_text_and_form_content_types_are_accepted() {
    let emu = emulator_with(Limits::default()).await;
    let q = query(&emu);
    for (i, ct) in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("application/json; charset=utf-8"),
        None,
    ]
    .into_iter()
    .enumerate()
    {
        let v = post_with(&emu, GROUP_PATH, &q, group_body(100 + i as u32), ct).await;
        assert_eq!(v["ErrorCode"], 0, "{ct:?}: {v}");
    }
    assert_eq!(emu.group_messages("@TGS#G").len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explicit_group_ids_never_collide_with_generated_ones() {
    // IDs in the generator's own format (counter, then 7919 x counter in hex).
    let planted: Vec<String> = (1..=5u64)
        .map(|n| format!("@TGS#{n}EMU{:X}", n * 7919))
        .collect();
    let mut b = Emulator::builder().accounts(["alice", "bob"]);
    for id in &planted[..3] {
        b = b.group(id.clone(), GroupType::Public, ["alice"]);
    }
    let emu = b.start().await.unwrap();
    for id in &planted[3..] {
        emu.add_group(id.clone(), GroupType::Public, ["alice"]);
    }
    let client = emu
        .client_builder()
        .retry_policy(im_api::RetryPolicy::none())
        .no_rate_limit()
        .build()
        .unwrap();
    let mut generated = Vec::new();
    for i in 0..10 {
        let r = client
            .create_group(
                create_group::Request::new(GroupType::Public, format!("g{i}")).owner_account("bob"),
            )
            .await
            .unwrap();
        generated.push(r.group_id);
    }
    for id in &generated {
        assert!(!planted.contains(id), "{id} was planted explicitly");
        assert_eq!(emu.group_members(id), ["bob"], "{id}");
    }
    let mut unique = generated.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), generated.len(), "{generated:?}");
    for id in &planted {
        assert_eq!(emu.group_members(id), ["alice"], "{id} kept its members");
    }
    // Asking for a taken ID (generated or planted) fails and changes nothing.
    for id in [&generated[0], &planted[0]] {
        let err = client
            .create_group(
                create_group::Request::new(GroupType::Public, "again")
                    .group_id(id.clone())
                    .owner_account("bob"),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Api(_) | Error::Invalid(_)), "{err}");
    }
    assert_eq!(emu.group_members(&planted[0]), ["alice"]);
    assert_eq!(emu.group_members(&generated[0]), ["bob"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_keys_are_refused_with_the_invalid_json_code() {
    let emu = emulator_with(Limits::default()).await;
    let q = query(&emu);
    let group_code = send_group_msg::META.invalid_json_code;
    for body in [
        r#"{"GroupId":"@TGS#G","GroupId":"@TGS#G","Random":1,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"x"}}]}"#,
        r#"{"GroupId":"@TGS#G","Random":1,"Random":2,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"x"}}]}"#,
        r#"{"GroupId":"@TGS#G","Random":1,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"x","Text":"y"}}]}"#,
    ] {
        let v = post(&emu, GROUP_PATH, &q, body.to_owned()).await;
        assert_eq!(v["ErrorCode"], group_code, "{body}: {v}");
        assert!(
            v["ErrorInfo"]
                .as_str()
                .unwrap_or("")
                .contains("duplicate key"),
            "{v}"
        );
    }
    assert!(emu.group_messages("@TGS#G").is_empty());
    let v = post(
        &emu,
        account_import::META.path,
        &q,
        r#"{"UserID":"carol","UserID":"dave"}"#.to_owned(),
    )
    .await;
    assert_eq!(
        v["ErrorCode"],
        account_import::META.invalid_json_code,
        "{v}"
    );
    assert!(!emu.has_account("carol") && !emu.has_account("dave"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_escaped_msg_body_over_12000_bytes_on_the_wire_is_refused() {
    let emu = emulator_with(Limits::default()).await;
    let q = query(&emu);
    let field = send_group_msg::META.field("MsgBody").expect("MsgBody");
    let limit = field.max_json_bytes.expect("a byte limit") as usize;
    let code = field
        .codes
        .max_json_bytes
        .or(field.codes.any)
        .unwrap_or(send_group_msg::META.invalid_code);
    // 2,000 characters: 2,000 bytes decoded, 12,000 as `\u0041` escapes.
    let escaped = "\\u0041".repeat(limit / 6);
    let body = |text: &str, random: u32| {
        format!(
            r#"{{"GroupId":"@TGS#G","Random":{random},"MsgBody":[{{"MsgType":"TIMTextElem","MsgContent":{{"Text":"{text}"}}}}]}}"#
        )
    };
    let wire = body(&escaped, 11);
    assert!(
        im_api::raw::parse_body(wire.as_bytes()).unwrap().raw_len["MsgBody"] > limit,
        "over the limit on the wire"
    );
    let client = emu.client();
    match client
        .call_raw("group_open_http_svc/send_group_msg", wire.as_bytes())
        .await
    {
        Err(RawError::Rejected(r)) => assert_eq!(r.code, code, "{}", r.message),
        other => panic!("call_raw let it through: {other:?}"),
    }
    let v = post(&emu, GROUP_PATH, &q, wire).await;
    assert_eq!(v["ErrorCode"], code, "{v}");
    assert!(emu.group_messages("@TGS#G").is_empty());
    // The same text unescaped is far under the limit: accepted by both.
    let plain = "A".repeat(limit / 6);
    client
        .call_raw(
            "group_open_http_svc/send_group_msg",
            body(&plain, 12).as_bytes(),
        )
        .await
        .unwrap();
    let v = post(&emu, GROUP_PATH, &q, body(&plain, 13)).await;
    assert_eq!(v["ErrorCode"], 0, "{v}");
    assert_eq!(emu.group_messages("@TGS#G").len(), 2);
}

/// A profile value of the wrong JSON type for its tag is answered 40610
/// (the page's code), not the generic parse error 40001; a body that is
/// not JSON still gets 40001.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_value_of_the_wrong_type_is_40610() {
    let emu = Emulator::builder()
        .accounts(["alice"])
        .start()
        .await
        .unwrap();
    let q = query(&emu);
    let path = "/v4/profile/portrait_set";
    let wrong =
        r#"{"From_Account":"alice","ProfileItem":[{"Tag":"Tag_Profile_IM_Nick","Value":5}]}"#;
    let answer = post(&emu, path, &q, wrong.into()).await;
    assert_eq!(answer["ErrorCode"], 40610, "{answer}");
    let answer = post(&emu, path, &q, "{not json".into()).await;
    assert_eq!(answer["ErrorCode"], 40001, "{answer}");
    let right =
        r#"{"From_Account":"alice","ProfileItem":[{"Tag":"Tag_Profile_IM_Nick","Value":"Al"}]}"#;
    let answer = post(&emu, path, &q, right.into()).await;
    assert_eq!(answer["ErrorCode"], 0, "{answer}");
}

/// A conversation group name over 32 bytes is answered 51011, the code the
/// conversation-group pages give, whether creating or renaming (the limit
/// is the spec's, nested in the request; the typed client refuses it before
/// sending, so this goes over raw HTTP).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conversation_group_name_over_32_bytes_is_51011() {
    let emu = Emulator::builder()
        .accounts(["alice", "bob"])
        .start()
        .await
        .unwrap();
    let q = query(&emu);
    let create = |name: &str| {
        json!({
            "From_Account": "alice",
            "GroupContactItem": [{
                "GroupName": name,
                "ContactItem": [{"Type": 1, "To_Account": "bob"}]
            }]
        })
        .to_string()
    };
    let path = "/v4/recentcontact/create_contact_group";
    let answer = post(&emu, path, &q, create(&"n".repeat(33))).await;
    assert_eq!(answer["ErrorCode"], 51011, "{answer}");
    let answer = post(&emu, path, &q, create(&"n".repeat(32))).await;
    assert_eq!(answer["ErrorCode"], 0, "32 bytes is allowed: {answer}");
    let rename = |name: &str| {
        json!({
            "From_Account": "alice",
            "UpdateType": 1,
            "UpdateGroup": {
                "UpdateGroupType": 1,
                "OldGroupName": "n".repeat(32),
                "NewGroupName": name
            }
        })
        .to_string()
    };
    let path = "/v4/recentcontact/update_contact_group";
    let answer = post(&emu, path, &q, rename(&"m".repeat(33))).await;
    assert_eq!(answer["ErrorCode"], 51011, "{answer}");
    let answer = post(&emu, path, &q, rename("short")).await;
    assert_eq!(answer["ErrorCode"], 0, "{answer}");
}

/// Friend-list names are 1 to 30 bytes (the relationship pages): the typed
/// client refuses a longer one before sending, and the emulator answers a
/// raw request with it 30001, the pages' invalid-parameter code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_friend_list_name_over_30_bytes_is_refused_on_both_sides() {
    use im_api::api::group_add;
    let emu = Emulator::builder()
        .accounts(["alice"])
        .start()
        .await
        .unwrap();
    let long = "l".repeat(31);
    let err = emu
        .client()
        .group_add(group_add::Request::new("alice", [long.clone()]))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Invalid(_)), "{err}");
    assert_eq!(emu.stats().requests, 0, "nothing was sent");
    let q = query(&emu);
    let path = "/v4/sns/group_add";
    let body = json!({"From_Account": "alice", "GroupName": [long]}).to_string();
    let answer = post(&emu, path, &q, body).await;
    assert_eq!(answer["ErrorCode"], 30001, "{answer}");
    let body = json!({"From_Account": "alice", "GroupName": ["l".repeat(30)]}).to_string();
    let answer = post(&emu, path, &q, body).await;
    assert_eq!(answer["ErrorCode"], 0, "{answer}");
}
