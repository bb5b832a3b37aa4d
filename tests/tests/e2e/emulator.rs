//! The emulator: request verification, body validation with the spec's codes,
//! state and behaviours from the seeds, fault injection and inspection.

use std::time::Duration;

use im_api::api::{
    batchsendmsg, send_broadcast_msg, send_group_msg, send_group_system_notification,
};
use im_api::emulator::{Emulator, Fault, DEFAULT_ADMIN, DEFAULT_SDKAPPID};

/// The key these tests sign raw requests with (the emulator has no default key).
const KEY: &str = "emulator-test-key";
use im_api::types::{GroupType, MsgElement, SendMsgControl};
use im_api::{Error, PublicError, SecretKey, Signer};
use serde_json::{json, Value};

async fn emulator() -> Emulator {
    Emulator::builder()
        .secret_key(KEY)
        .accounts(["alice", "bob", "carol"])
        .group("@TGS#PUB", GroupType::Public, ["alice", "bob", "carol"])
        .group("@TGS#AV1", GroupType::AvChatRoom, ["alice", "bob"])
        .group("@TGS#AV2", GroupType::AvChatRoom, ["carol"])
        .start()
        .await
        .unwrap()
}

/// A client that makes one attempt per call and does not pace: these tests
/// look at what the emulator answers, not at how the client copes.
fn bare(emu: &Emulator) -> im_api::Client {
    emu.client_builder()
        .retry_policy(im_api::RetryPolicy::none())
        .no_rate_limit()
        .build()
        .unwrap()
}

fn sig(identifier: &str, expire: u64, time: u64) -> String {
    Signer::new(DEFAULT_SDKAPPID, SecretKey::new(KEY)).sign_at(identifier, expire, time)
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A raw request: (method, path, query, body) -> ErrorCode answered.
async fn raw(
    emu: &Emulator,
    method: reqwest::Method,
    path: &str,
    query: &str,
    body: &str,
) -> Value {
    let url = format!("{}{path}?{query}", emu.base_url());
    let resp = reqwest::Client::new()
        .request(method, url)
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap()
}

fn query(identifier: &str, usersig: &str) -> String {
    format!("sdkappid={DEFAULT_SDKAPPID}&identifier={identifier}&usersig={usersig}&random=42&contenttype=json")
}

const GROUP_BODY: &str = r#"{"GroupId":"@TGS#PUB","Random":1,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]}"#;
const GROUP_PATH: &str = "/v4/group_open_http_svc/send_group_msg";

#[tokio::test]
async fn verifies_method_path_query_and_usersig() {
    let emu = emulator().await;
    let good = sig(DEFAULT_ADMIN, 3600, now());
    let q = query(DEFAULT_ADMIN, &good);
    let code = |v: Value| v["ErrorCode"].as_i64().unwrap();
    assert_eq!(
        code(raw(&emu, reqwest::Method::POST, GROUP_PATH, &q, GROUP_BODY).await),
        0
    );
    assert_eq!(
        code(raw(&emu, reqwest::Method::GET, GROUP_PATH, &q, GROUP_BODY).await),
        60002
    );
    assert_eq!(
        code(
            raw(
                &emu,
                reqwest::Method::POST,
                "/v4/group_open_http_svc/no_such",
                &q,
                GROUP_BODY
            )
            .await
        ),
        60009
    );
    let cases: Vec<(String, i64)> = vec![
        (
            q.replace(&format!("sdkappid={DEFAULT_SDKAPPID}&"), ""),
            60012,
        ),
        (
            q.replace(&DEFAULT_SDKAPPID.to_string(), "1400000001"),
            70020,
        ),
        (q.replace("contenttype=json", "contenttype=xml"), 60025),
        (q.replace("random=42", "random=4294967296"), 60025),
        (q.replace("random=42&", ""), 60025),
        (q.replace(&good, ""), 60025),
        (
            query(
                DEFAULT_ADMIN,
                &Signer::new(DEFAULT_SDKAPPID, SecretKey::new("wrong key"))
                    .sign(DEFAULT_ADMIN, 3600),
            ),
            70009,
        ),
        (query(DEFAULT_ADMIN, "garbage"), 70003),
        (
            query(DEFAULT_ADMIN, &sig(DEFAULT_ADMIN, 60, now() - 3600)),
            70001,
        ),
        (query(DEFAULT_ADMIN, &sig("alice", 3600, now())), 70013),
        (query("alice", &sig("alice", 3600, now())), 60010),
        (
            query(
                DEFAULT_ADMIN,
                &Signer::new(1400000001, SecretKey::new(KEY)).sign(DEFAULT_ADMIN, 3600),
            ),
            70014,
        ),
    ];
    for (q, want) in cases {
        assert_eq!(
            code(raw(&emu, reqwest::Method::POST, GROUP_PATH, &q, GROUP_BODY).await),
            want,
            "{q}"
        );
    }
}

#[tokio::test]
async fn bodies_are_checked_with_the_spec_codes() {
    let emu = emulator().await;
    let q = query(DEFAULT_ADMIN, &sig(DEFAULT_ADMIN, 3600, now()));
    let post = |path: &'static str, body: String| {
        let (emu, q) = (&emu, q.clone());
        async move {
            raw(emu, reqwest::Method::POST, path, &q, &body).await["ErrorCode"]
                .as_i64()
                .unwrap()
        }
    };
    let batch = "/v4/openim/batchsendmsg";
    let text = r#"[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]"#;
    let many: Vec<String> = (0..501).map(|i| format!("u{i}")).collect();
    let cases: Vec<(&str, String, i64)> = vec![
        (GROUP_PATH, "not json".into(), 10004),
        (GROUP_PATH, GROUP_BODY.replace(r#""@TGS#PUB""#, "5"), 10015),
        (
            GROUP_PATH,
            GROUP_BODY.replace(r#""@TGS#PUB""#, r#""""#),
            10015,
        ),
        (
            GROUP_PATH,
            r#"{"GroupId":"@TGS#PUB","Random":1}"#.into(),
            10004,
        ),
        (
            GROUP_PATH,
            GROUP_BODY.replace(r#""hi""#, &format!("\"{}\"", "x".repeat(12_001))),
            80002,
        ),
        (
            batch,
            format!(r#"{{"To_Account":"bob","MsgRandom":1,"MsgBody":{text}}}"#),
            90028,
        ),
        (
            batch,
            format!(r#"{{"To_Account":[],"MsgRandom":1,"MsgBody":{text}}}"#),
            90029,
        ),
        (
            batch,
            format!(
                r#"{{"To_Account":{},"MsgRandom":1,"MsgBody":{text}}}"#,
                json!(many)
            ),
            90011,
        ),
        (
            batch,
            format!(r#"{{"To_Account":["bob"],"MsgRandom":4294967296,"MsgBody":{text}}}"#),
            90005,
        ),
        (
            batch,
            r#"{"To_Account":["bob"],"MsgRandom":1,"MsgBody":{"MsgType":"TIMTextElem"}}"#.into(),
            90007,
        ),
        (
            batch,
            format!(r#"{{"To_Account":["bob"],"MsgRandom":1,"MsgBody":{text},"From_Account":7}}"#),
            90008,
        ),
        (
            batch,
            format!(r#"{{"To_Account":["bob"],"MsgBody":{text}}}"#),
            90005,
        ),
        (batch, "[1,2]".into(), 90001),
        (
            batch,
            format!(
                r#"{{"To_Account":["bob"],"MsgRandom":1,"MsgBody":[{{"MsgType":"TIMTextElem","MsgContent":{{"Text":"{}"}}}}]}}"#,
                "y".repeat(12_001)
            ),
            90055,
        ),
    ];
    for (path, body, want) in cases {
        assert_eq!(
            post(path, body.clone()).await,
            want,
            "{path} {}",
            &body[..body.len().min(120)]
        );
    }
    assert!(emu.inbox("bob").is_empty(), "nothing invalid was delivered");
}

#[tokio::test]
async fn group_messages_are_delivered_sequenced_and_deduplicated() {
    let emu = emulator().await;
    let client = emu.client();
    let req = send_group_msg::Request::new("@TGS#PUB", [MsgElement::text("hello")])
        .from_account("alice")
        .random(77);
    let first = client.send_group_msg(req.clone()).await.unwrap();
    let again = client.send_group_msg(req.clone()).await.unwrap();
    assert_eq!(
        first.msg_seq, again.msg_seq,
        "a repeat within 5 minutes is answered as the original"
    );
    assert_eq!(emu.inbox("bob").len(), 1, "and not delivered twice");
    assert!(
        emu.inbox("alice").is_empty(),
        "the sender does not receive its own message"
    );
    assert_eq!(emu.stats().duplicates, 1);
    let second = client.send_group_msg(req.random(78)).await.unwrap();
    assert_eq!(second.msg_seq, first.msg_seq + 1);
    let inbox = emu.inbox("carol");
    assert_eq!(inbox.len(), 2);
    assert_eq!(inbox[0].msg_body, vec![MsgElement::text("hello")]);
    assert_eq!(inbox[0].from, "alice");
    assert_eq!(emu.group_messages("@TGS#PUB").len(), 2);

    let err = client
        .send_group_msg(send_group_msg::Request::new(
            "@TGS#NONE",
            [MsgElement::text("x")],
        ))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), Some(&send_group_msg::Error::GroupNotFound));
    let err = client
        .send_group_msg(
            send_group_msg::Request::new("@TGS#PUB", [MsgElement::text("x")])
                .from_account("mallory"),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), Some(&send_group_msg::Error::InvalidParameter));
}

#[tokio::test]
async fn avchatroom_refuses_online_only_and_send_msg_control() {
    let emu = emulator().await;
    let client = emu.client();
    for req in [
        send_group_msg::Request::new("@TGS#AV1", [MsgElement::text("x")]).online_only_flag(true),
        send_group_msg::Request::new("@TGS#AV1", [MsgElement::text("x")])
            .send_msg_control([SendMsgControl::NoLastMsg]),
    ] {
        let err = client.send_group_msg(req).await.unwrap_err();
        assert_eq!(err.kind(), Some(&send_group_msg::Error::PermissionDenied));
    }
    client
        .send_group_msg(
            send_group_msg::Request::new("@TGS#PUB", [MsgElement::text("x")])
                .online_only_flag(true),
        )
        .await
        .unwrap();
    client
        .send_group_msg(send_group_msg::Request::new(
            "@TGS#AV1",
            [MsgElement::text("x")],
        ))
        .await
        .unwrap();
}

#[tokio::test]
async fn batch_reports_unknown_accounts_and_delivers_the_rest() {
    let emu = emulator().await;
    let resp = emu
        .client()
        .batchsendmsg(batchsendmsg::Request::new(
            ["bob", "ghost", "carol", "nobody"],
            [MsgElement::text("hi")],
        ))
        .await
        .unwrap();
    let failed: Vec<(&str, i64)> = resp
        .error_list
        .iter()
        .map(|e| (e.to_account.as_str(), e.error_code))
        .collect();
    // The current page's sample: unknown targets listed with 70107 (`SomeError`).
    assert_eq!(failed, [("ghost", 70107), ("nobody", 70107)]);
    assert_eq!(emu.inbox("bob").len(), 1);
    assert_eq!(emu.inbox("carol").len(), 1);
    assert!(resp.msg_key.is_some());
}

#[tokio::test]
async fn broadcast_is_refused_until_enabled_then_reaches_every_avchatroom() {
    let emu = emulator().await;
    let client = bare(&emu);
    let err = client
        .send_broadcast_msg(send_broadcast_msg::Request::new([MsgElement::text("news")]))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&send_broadcast_msg::Error::PermissionDenied)
    );
    emu.set_broadcast_enabled(true);
    // The refused call counted against the 1 call/s rate, as on the real service.
    tokio::time::sleep(Duration::from_millis(1050)).await;
    let resp = client
        .send_broadcast_msg(send_broadcast_msg::Request::new([MsgElement::text("news")]))
        .await
        .unwrap();
    assert_eq!(resp.msg_seq, 1);
    assert_eq!(emu.group_messages("@TGS#AV1").len(), 1);
    assert_eq!(emu.group_messages("@TGS#AV2").len(), 1);
    assert!(
        emu.group_messages("@TGS#PUB").is_empty(),
        "only AVChatRoom groups"
    );
    for member in ["alice", "bob", "carol"] {
        assert_eq!(emu.inbox(member).len(), 1, "{member}");
    }
    assert_eq!(emu.broadcasts().len(), 1);
    // 1 call/s from the spec: an immediate second broadcast is over the rate.
    let err = client
        .send_broadcast_msg(send_broadcast_msg::Request::new([MsgElement::text("more")]))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&send_broadcast_msg::Error::MessageFrequencyLimit)
    );
    assert!(err.is_retryable());
}

#[tokio::test]
async fn per_group_and_per_endpoint_rates() {
    let emu = emulator().await;
    let client = bare(&emu);
    let mut limited = 0;
    for i in 0..60 {
        match client
            .send_group_msg(send_group_msg::Request::new(
                "@TGS#PUB",
                [MsgElement::text(format!("m{i}"))],
            ))
            .await
        {
            Ok(_) => {}
            Err(e) => {
                assert_eq!(
                    e.kind(),
                    Some(&send_group_msg::Error::MessageFrequencyLimit)
                );
                limited += 1;
            }
        }
    }
    assert!(limited >= 15, "40/s per group: {limited} of 60 refused");
    // Another group is not limited by the first one's traffic.
    emu.add_group("@TGS#OTHER", GroupType::Public, ["alice"]);
    client
        .send_group_msg(send_group_msg::Request::new(
            "@TGS#OTHER",
            [MsgElement::text("x")],
        ))
        .await
        .unwrap();
    // batchsendmsg: 100/s from the spec (90057 over it).
    let mut refused = 0;
    for _ in 0..130 {
        if let Err(e) = client
            .batchsendmsg(batchsendmsg::Request::new(["bob"], [MsgElement::text("x")]))
            .await
        {
            assert_eq!(e.kind(), Some(&batchsendmsg::Error::BatchFrequencyLimit));
            refused += 1;
        }
    }
    assert!(refused >= 20, "{refused}");
}

#[tokio::test]
async fn endpoints_without_a_handler_are_validated_and_answered_ok() {
    let emu = emulator().await;
    let client = emu.client();
    client
        .send_group_system_notification(send_group_system_notification::Request::new(
            send_group_system_notification::Required {
                group_id: "@TGS#PUB".into(),
                content: "maintenance at 10:00".into(),
            },
        ))
        .await
        .unwrap();
    let err = client
        .send_group_system_notification(
            send_group_system_notification::Request::new(
                send_group_system_notification::Required {
                    group_id: "@TGS#PUB".into(),
                    content: "x".into(),
                },
            )
            .to_members_account((0..501).map(|i| format!("u{i}"))),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Invalid(_)),
        "the client refuses first: {err}"
    );
    let q = query(DEFAULT_ADMIN, &sig(DEFAULT_ADMIN, 3600, now()));
    let v = raw(
        &emu,
        reqwest::Method::POST,
        "/v4/group_open_http_svc/send_group_system_notification",
        &q,
        r#"{"GroupId":"@TGS#PUB"}"#,
    )
    .await;
    assert_eq!(
        v["ErrorCode"], 10004,
        "the emulator refuses a missing Content"
    );
}

#[tokio::test]
async fn faults_are_injected_and_inspectable() {
    let emu = emulator().await;
    let client = emu
        .client_builder()
        .timeout(Duration::from_secs(2))
        .retry_policy(im_api::RetryPolicy::none())
        .no_rate_limit()
        .build()
        .unwrap();
    let send = |text: &str| {
        client.send_group_msg(send_group_msg::Request::new(
            "@TGS#PUB",
            [MsgElement::text(text)],
        ))
    };

    emu.inject(Fault::Code(10002));
    assert_eq!(
        send("a").await.unwrap_err().kind(),
        Some(&send_group_msg::Error::InternalError)
    );
    emu.inject(Fault::Status(502));
    assert!(matches!(send("b").await.unwrap_err(), Error::Transport(t) if t.status == Some(502)));
    emu.inject(Fault::Drop);
    assert!(matches!(send("c").await.unwrap_err(), Error::Transport(_)));
    assert!(emu.inbox("bob").is_empty(), "nothing was delivered so far");
    emu.inject(Fault::DropAfterWork);
    assert!(matches!(send("d").await.unwrap_err(), Error::Transport(_)));
    assert_eq!(
        emu.inbox("bob").len(),
        1,
        "the work was done before the drop"
    );
    emu.inject(Fault::Delay(Duration::from_millis(150)));
    let t = std::time::Instant::now();
    send("e").await.unwrap();
    assert!(t.elapsed() >= Duration::from_millis(150));
    emu.inject_for("openim/batchsendmsg", Fault::Code(91000));
    send("f").await.unwrap();
    let err = client
        .batchsendmsg(batchsendmsg::Request::new(["bob"], [MsgElement::text("g")]))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), Some(&batchsendmsg::Error::ServiceInternalError));
    let stats = emu.stats();
    assert_eq!(stats.faults, 6);
    assert_eq!(
        stats.by_path["/v4/group_open_http_svc/send_group_msg"], 3,
        "d, e and f reached the handler"
    );
    let texts: Vec<String> = emu
        .inbox("bob")
        .iter()
        .map(|d| format!("{:?}", d.msg_body[0]))
        .collect();
    assert_eq!(texts.len(), 3);
}

#[tokio::test]
async fn expired_sig_in_client_is_renewed_against_the_emulator() {
    let emu = emulator().await;
    let client = emu.client();
    client
        .send_group_msg(send_group_msg::Request::new(
            "@TGS#PUB",
            [MsgElement::text("x")],
        ))
        .await
        .unwrap();
    emu.inject(Fault::Code(70001));
    client
        .send_group_msg(send_group_msg::Request::new(
            "@TGS#PUB",
            [MsgElement::text("y")],
        ))
        .await
        .unwrap();
    assert_eq!(client.usersig_sign_count(), 2);
    let err = Emulator::builder().start().await.unwrap();
    let wrong = im_api::Client::builder()
        .sdkappid(DEFAULT_SDKAPPID)
        .identifier(DEFAULT_ADMIN)
        .secret_key("not the key")
        .base_url(err.base_url())
        .build()
        .unwrap();
    let e = wrong
        .send_group_msg(send_group_msg::Request::new("g", [MsgElement::text("x")]))
        .await
        .unwrap_err();
    assert_eq!(
        e.kind(),
        Some(&send_group_msg::Error::Public(
            PublicError::UserSigVerificationFailed
        ))
    );
}

/// Keys the spec does not model are accepted and ignored, as Tencent's server
/// ignores keys it does not use, and counted in the stats.
#[tokio::test]
async fn unknown_keys_are_accepted_ignored_and_counted() {
    let emu = emulator().await;
    let q = query(DEFAULT_ADMIN, &sig(DEFAULT_ADMIN, 3600, now()));
    let body = GROUP_BODY.replace(
        r#""Random":1"#,
        r#""Random":1,"Surprise":true,"Identifier":"x""#,
    );
    let answer = raw(&emu, reqwest::Method::POST, GROUP_PATH, &q, &body).await;
    assert_eq!(answer["ErrorCode"], 0, "{answer}");
    assert_eq!(emu.stats().unknown_keys, 2);
    assert_eq!(emu.inbox("bob").len(), 1, "the message itself went out");
}
