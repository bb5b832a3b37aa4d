//! Callbacks (webhooks): the documented `Sign`, refusals of stale, replayed
//! and foreign requests, every documented sample body decoding into its
//! typed event, and the emulator calling a webhook back and honouring its
//! answers (refuse, rewrite, drop, refuse some invitees, time out).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use im_api::api::{add_group_member, create_group, delete_group_member, send_group_msg, sendmsg};
use im_api::callbacks::{
    self, sign, Answer, C2cBeforeSendMsgAnswer, CallbackKind, Event, GroupBeforeCreateGroupAnswer,
    GroupBeforeInviteJoinGroupAnswer, GroupBeforeSendMsgAnswer, Refusal, Webhook, CALLBACKS,
};
use im_api::emulator::{Emulator, DEFAULT_SDKAPPID};
use im_api::types::{CallbackStateAction, GroupType, MemberAccount, MsgElement};
use serde_json::Value;

const TOKEN: &str = "callback-token-for-the-tests";

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn signed_query(command: &str, token: &str, time: i64) -> String {
    format!(
        "SdkAppid={DEFAULT_SDKAPPID}&CallbackCommand={command}&contenttype=json&ClientIP=10.0.0.1&OptPlatform=RESTAPI&Sign={}&RequestTime={time}",
        sign(token, time)
    )
}

#[test]
fn the_documented_sign_example() {
    assert_eq!(
        sign("xxxxyyyy", 1669872112),
        "17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061"
    );
}

#[test]
fn stale_replayed_foreign_and_unsigned_requests_are_refused() {
    let w = Webhook::new(DEFAULT_SDKAPPID).token(TOKEN);
    let t = 1_700_000_000;
    let body = br#"{"CallbackCommand":"State.StateChange","Info":{"Action":"Login","To_Account":"u1","Reason":"Register"},"EventTime":"1700000000123"}"#;
    let q = signed_query("State.StateChange", TOKEN, t);
    let v = w
        .verify_at(&q, body, t + 5)
        .expect("a fresh signed request");
    match v.event().unwrap() {
        Event::StateStateChange(s) => {
            assert_eq!(s.info.to_account, "u1");
            assert_eq!(s.info.action, CallbackStateAction::Login);
            assert_eq!(
                s.event_time,
                Some(1_700_000_000_123),
                "EventTime as a string"
            );
        }
        other => panic!("decoded as {other:?}"),
    }
    assert_eq!(w.verify_at(&q, body, t + 6), Err(Refusal::Replayed));
    assert!(matches!(
        w.verify_at(&q, body, t + 61),
        Err(Refusal::Stale { .. })
    ));
    assert!(matches!(
        w.verify_at(&q, body, t - 61),
        Err(Refusal::Stale { .. })
    ));
    assert_eq!(
        w.verify_at(
            &signed_query("State.StateChange", "another token", t),
            body,
            t
        ),
        Err(Refusal::BadSign)
    );
    let unsigned = format!("SdkAppid={DEFAULT_SDKAPPID}&CallbackCommand=State.StateChange");
    assert_eq!(w.verify_at(&unsigned, body, t), Err(Refusal::MissingSign));
    let foreign = q.replace(&DEFAULT_SDKAPPID.to_string(), "1400000999");
    assert_eq!(w.verify_at(&foreign, body, t), Err(Refusal::WrongSdkAppId));
    // Each refusal has its own status; none of them mentions the token.
    for r in [
        Refusal::Replayed,
        Refusal::BadSign,
        Refusal::MissingSign,
        Refusal::WrongSdkAppId,
    ] {
        assert!(r.status() >= 400);
        assert!(!r.to_string().contains(TOKEN));
    }
}

#[tokio::test]
async fn handle_never_calls_the_handler_for_a_refused_request() {
    let w = Webhook::new(DEFAULT_SDKAPPID).token(TOKEN);
    let body =
        br#"{"CallbackCommand":"Group.CallbackAfterGroupFull","GroupId":"@TGS#1","EventTime":1}"#;
    let unsigned =
        format!("SdkAppid={DEFAULT_SDKAPPID}&CallbackCommand=Group.CallbackAfterGroupFull");
    let reply = w
        .handle(&unsigned, body, |_| -> Answer {
            panic!("refused requests never reach the handler")
        })
        .await;
    assert_eq!(reply.status, 401);
    let v: Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(v["ActionStatus"], "FAIL");

    let q = signed_query("Group.CallbackAfterGroupFull", TOKEN, now());
    let reply = w
        .handle(&q, body, |e| async move {
            assert!(matches!(e, Event::GroupAfterGroupFull(ref g) if g.group_id == "@TGS#1"));
            Answer::ok()
        })
        .await;
    assert_eq!(reply.status, 200);
    let v: Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": ""})
    );

    // A before-callback's typed answer carries its fields.
    let q = signed_query("C2C.CallbackBeforeSendMsg", TOKEN, now());
    let body = br#"{"CallbackCommand":"C2C.CallbackBeforeSendMsg","From_Account":"a","To_Account":"b","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"x"}}]}"#;
    let reply = w
        .handle(&q, body, |_| {
            Answer::from(
                C2cBeforeSendMsgAnswer::rewrite([MsgElement::text("y")]).cloud_custom_data("z"),
            )
        })
        .await;
    let v: Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(v["ErrorCode"], 0);
    assert_eq!(v["MsgBody"][0]["MsgContent"]["Text"], "y");
    assert_eq!(v["CloudCustomData"], "z");
    assert_eq!(v["ActionStatus"], "OK");
}

#[test]
fn typed_answers_check_the_documented_codes() {
    assert_eq!(
        Answer::from(C2cBeforeSendMsgAnswer::refuse()).error_code(),
        1
    );
    assert_eq!(
        Answer::from(GroupBeforeSendMsgAnswer::drop_silently()).error_code(),
        2
    );
    let custom = C2cBeforeSendMsgAnswer::reject(120_001, "not now").unwrap();
    let v = Answer::from(custom);
    assert_eq!(v.error_code(), 120_001);
    assert_eq!(v.body()["ErrorInfo"], "not now");
    let err = C2cBeforeSendMsgAnswer::reject(10_100, "group range").unwrap_err();
    assert_eq!((err.min, err.max), (120_001, 130_000));
    assert!(GroupBeforeSendMsgAnswer::reject(10_100, "ok").is_ok());
    assert!(GroupBeforeSendMsgAnswer::reject(120_001, "c2c range").is_err());
    assert_eq!(GroupBeforeSendMsgAnswer::CUSTOM_CODES, 10_100..=10_200);
}

fn fixtures() -> Vec<(String, Value)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/callbacks");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|f| {
            let v: Value = serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
            (v["command"].as_str().unwrap().to_owned(), v)
        })
        .collect()
}

#[test]
fn every_documented_sample_decodes_into_its_variant() {
    let fixtures = fixtures();
    assert_eq!(fixtures.len(), CALLBACKS.len(), "one fixture per command");
    let w = Webhook::new(DEFAULT_SDKAPPID);
    let mut decoded = 0;
    for (command, fixture) in &fixtures {
        let meta = CALLBACKS
            .iter()
            .find(|m| m.command == command)
            .unwrap_or_else(|| panic!("{command} is not in CALLBACKS"));
        for sample in fixture["requests"].as_array().unwrap() {
            let name = sample["name"].as_str().unwrap_or("?");
            let body = sample["body"].clone();
            let event = Event::decode(command, body.clone())
                .unwrap_or_else(|e| panic!("{command} sample {name}: {e}"));
            assert!(
                !matches!(event, Event::Unknown { .. }),
                "{command} sample {name}"
            );
            assert_eq!(event.command(), command);
            assert_eq!(event.kind(), Some(meta.kind));
            // Through the receiver too, dispatching on the query's command
            // (ContentCallback.ResultNotify has none in its body).
            let q =
                format!("SdkAppid={DEFAULT_SDKAPPID}&CallbackCommand={command}&contenttype=json");
            let v = w
                .verify_at(&q, &serde_json::to_vec(&body).unwrap(), 0)
                .unwrap_or_else(|e| panic!("{command} sample {name}: {e}"));
            assert_eq!(v.event().unwrap(), event);
            decoded += 1;
        }
    }
    assert!(decoded >= 57, "{decoded} samples");
    assert_eq!(
        CALLBACKS
            .iter()
            .filter(|m| m.kind == CallbackKind::Before)
            .count(),
        11
    );
}

#[test]
fn a_batched_push_is_one_event_and_an_exception_keeps_its_error_code() {
    let push = serde_json::json!({"Events": [
        {"CallbackCommand": "Push.OfflinePush", "EventType": 1, "EventTime": 1, "From_Account": "a", "To_Account": "b"},
        {"CallbackCommand": "Push.OfflinePush", "EventType": 2, "EventTime": 2, "From_Account": "a", "To_Account": "c"}
    ]});
    let w = Webhook::new(DEFAULT_SDKAPPID);
    let v = w
        .verify_at(
            &format!("SdkAppid={DEFAULT_SDKAPPID}"),
            &serde_json::to_vec(&push).unwrap(),
            0,
        )
        .unwrap();
    assert_eq!(v.command, "Push.OfflinePush", "taken from the first event");
    match v.event().unwrap() {
        Event::PushOfflinePush(p) => assert_eq!(p.events.len(), 2),
        other => panic!("{other:?}"),
    }
    let exception = serde_json::json!({
        "CallbackCommand": "Group.CallbackSendMsgException", "GroupId": "@TGS#1",
        "ErrorCode": 10023, "ErrorInfo": "too fast", "EventTime": "5"
    });
    match Event::decode("Group.CallbackSendMsgException", exception).unwrap() {
        Event::GroupSendMsgException(e) => {
            assert_eq!(e.error_code, 10023);
            assert_eq!(e.error_info.as_deref(), Some("too fast"));
        }
        other => panic!("{other:?}"),
    }
    let unknown = Event::decode("Future.CallbackSomething", serde_json::json!({"A": 1})).unwrap();
    assert_eq!(unknown.command(), "Future.CallbackSomething");
    assert!(unknown.meta().is_none());
}

// ------------------------------------------------------- the emulator calls back

fn text_of(body: &[MsgElement]) -> String {
    body.iter()
        .filter_map(|e| match e {
            MsgElement::Text(t) => Some(t.text.as_str()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The app's moderation: "forbidden" is refused, "rewrite-me" rewritten,
/// "drop-me" dropped (groups only: the C2C page documents no drop code),
/// "custom-refusal" refused with a code of the documented range; groups
/// named "forbidden" are not created and "mallory" is kept out of groups.
fn moderate(event: &Event) -> Answer {
    match event {
        Event::C2cBeforeSendMsg(m) => {
            let text = text_of(&m.msg_body);
            if text.contains("forbidden") {
                C2cBeforeSendMsgAnswer::refuse().into()
            } else if text.contains("custom-refusal") {
                C2cBeforeSendMsgAnswer::reject(120_042, "try later")
                    .unwrap()
                    .into()
            } else if text.contains("rewrite-me") {
                C2cBeforeSendMsgAnswer::rewrite([MsgElement::text("rewritten")]).into()
            } else {
                C2cBeforeSendMsgAnswer::allow().into()
            }
        }
        Event::GroupBeforeSendMsg(m) => {
            let text = text_of(&m.msg_body);
            if text.contains("forbidden") {
                GroupBeforeSendMsgAnswer::refuse().into()
            } else if text.contains("drop-me") {
                GroupBeforeSendMsgAnswer::drop_silently().into()
            } else if text.contains("rewrite-me") {
                GroupBeforeSendMsgAnswer::rewrite([MsgElement::text("rewritten")])
                    .cloud_custom_data("moderated")
                    .into()
            } else {
                GroupBeforeSendMsgAnswer::allow().into()
            }
        }
        Event::GroupBeforeCreateGroup(g) if g.name.as_deref() == Some("forbidden") => {
            GroupBeforeCreateGroupAnswer::refuse().into()
        }
        Event::GroupBeforeInviteJoinGroup(_) => GroupBeforeInviteJoinGroupAnswer::allow()
            .refused_members_account(["mallory"])
            .into(),
        _ => Answer::ok(),
    }
}

type Seen = Arc<Mutex<Vec<Event>>>;

/// A webhook on a free port that records every event and answers with `moderate`.
async fn webhook(token: &str) -> (String, Seen, tokio::task::JoinHandle<std::io::Result<()>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/im/callback", listener.local_addr().unwrap());
    let seen: Seen = Arc::default();
    let record = seen.clone();
    let hook = Arc::new(Webhook::new(DEFAULT_SDKAPPID).token(token));
    let task = tokio::spawn(callbacks::serve(listener, hook, move |e: Event| {
        let answer = moderate(&e);
        record.lock().unwrap().push(e);
        answer
    }));
    (url, seen, task)
}

/// Waits (a few seconds at most) until `pred` holds for a recorded event.
async fn wait_for(seen: &Seen, what: &str, pred: impl Fn(&Event) -> bool) -> Event {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(e) = seen.lock().unwrap().iter().find(|e| pred(e)) {
            return e.clone();
        }
        assert!(Instant::now() < deadline, "no {what} callback arrived");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn texts(emu: &Emulator, account: &str) -> Vec<String> {
    emu.inbox(account)
        .iter()
        .map(|d| text_of(&d.msg_body))
        .collect()
}

async fn emulator(url: &str, token: &str) -> Emulator {
    Emulator::builder()
        .accounts(["alice", "bob", "carol", "dave", "mallory"])
        .group("@TGS#CB", GroupType::Public, ["alice", "bob", "carol"])
        .callback(url, token)
        .start()
        .await
        .unwrap()
}

fn bare(emu: &Emulator) -> im_api::Client {
    emu.client_builder()
        .retry_policy(im_api::RetryPolicy::none())
        .no_rate_limit()
        .build()
        .unwrap()
}

fn c2c(text: &str) -> sendmsg::Request {
    sendmsg::Request::new("bob", [MsgElement::text(text)]).from_account("alice")
}

fn group(text: &str) -> send_group_msg::Request {
    send_group_msg::Request::new("@TGS#CB", [MsgElement::text(text)]).from_account("alice")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_emulator_calls_back_and_honours_the_answers() {
    let (url, seen, _server) = webhook(TOKEN).await;
    let emu = emulator(&url, TOKEN).await;
    let client = bare(&emu);

    // One-to-one: allowed, refused (20006), refused with a custom code, rewritten.
    client.sendmsg(c2c("hello")).await.unwrap();
    let err = client.sendmsg(c2c("this is forbidden")).await.unwrap_err();
    assert_eq!(err.code(), Some(20006));
    let err = client.sendmsg(c2c("custom-refusal")).await.unwrap_err();
    assert_eq!(err.code(), Some(120_042));
    client.sendmsg(c2c("please rewrite-me")).await.unwrap();
    assert_eq!(texts(&emu, "bob"), ["hello", "rewritten"]);

    // Groups: allowed, refused (10016), rewritten, dropped (success, nothing delivered).
    client.send_group_msg(group("hi all")).await.unwrap();
    let err = client
        .send_group_msg(group("forbidden words"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(10016));
    client.send_group_msg(group("rewrite-me")).await.unwrap();
    client
        .send_group_msg(group("drop-me quietly"))
        .await
        .unwrap();
    assert_eq!(
        texts(&emu, "bob"),
        ["hello", "rewritten", "hi all", "rewritten"]
    );
    assert_eq!(texts(&emu, "carol"), ["hi all", "rewritten"]);
    assert!(texts(&emu, "alice").is_empty(), "senders get nothing");
    let history: Vec<_> = emu.group_messages("@TGS#CB");
    assert_eq!(history.len(), 2);
    assert_eq!(history[1].cloud_custom_data.as_deref(), Some("moderated"));

    // After-callbacks carry the rewritten message; refused ones have none.
    let after = wait_for(
        &seen,
        "C2C after-send",
        |e| matches!(e, Event::C2cAfterSendMsg(m) if text_of(&m.msg_body) == "rewritten"),
    )
    .await;
    if let Event::C2cAfterSendMsg(m) = after {
        assert_eq!(
            (m.from_account.as_str(), m.to_account.as_str()),
            ("alice", "bob")
        );
        assert!(m.msg_key.is_some());
    }
    wait_for(&seen, "group after-send", |e| {
        matches!(e, Event::GroupAfterSendMsg(m) if text_of(&m.msg_body) == "rewritten" && m.msg_seq.is_some())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let events = seen.lock().unwrap().clone();
    let after_texts: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            Event::C2cAfterSendMsg(m) => Some(text_of(&m.msg_body)),
            Event::GroupAfterSendMsg(m) => Some(text_of(&m.msg_body)),
            _ => None,
        })
        .collect();
    for refused in ["forbidden", "custom-refusal", "drop-me"] {
        assert!(
            !after_texts.iter().any(|t| t.contains(refused)),
            "{after_texts:?}"
        );
    }
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, Event::C2cBeforeSendMsg(_)))
            .count(),
        4
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_life_and_login_are_reported() {
    let (url, seen, _server) = webhook(TOKEN).await;
    let emu = emulator(&url, TOKEN).await;
    let client = bare(&emu);

    let err = client
        .create_group(create_group::Request::new(GroupType::Public, "forbidden"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(10016));
    let created = client
        .create_group(
            create_group::Request::new(GroupType::Public, "book club").owner_account("alice"),
        )
        .await
        .unwrap();
    let id = created.group_id;
    wait_for(
        &seen,
        "after-create",
        |e| matches!(e, Event::GroupAfterCreateGroup(g) if g.group_id == id),
    )
    .await;

    let members = ["dave", "mallory"].map(MemberAccount::new);
    client
        .add_group_member(add_group_member::Request::new(id.clone(), members))
        .await
        .unwrap();
    let in_group = emu.group_members(&id);
    assert!(in_group.contains(&"dave".to_owned()));
    assert!(
        !in_group.contains(&"mallory".to_owned()),
        "the invite callback kept mallory out"
    );
    let joined = wait_for(&seen, "new member", |e| {
        matches!(e, Event::GroupAfterNewMemberJoin(_))
    })
    .await;
    if let Event::GroupAfterNewMemberJoin(j) = joined {
        let who: Vec<_> = j
            .new_member_list
            .iter()
            .map(|m| m.member_account.as_str())
            .collect();
        assert_eq!(who, ["dave"]);
    }

    client
        .delete_group_member(delete_group_member::Request::new(id.clone(), ["dave"]))
        .await
        .unwrap();
    wait_for(&seen, "member exit", |e| {
        matches!(e, Event::GroupAfterMemberExit(x) if x.exit_member_list.iter().any(|m| m.member_account == "dave"))
    })
    .await;

    emu.simulate_login("carol", "iOS").await;
    wait_for(&seen, "state change", |e| {
        matches!(e, Event::StateStateChange(s) if s.info.to_account == "carol" && s.info.action == CallbackStateAction::Login)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_callback_lets_the_message_through() {
    // The webhook knows another token: it refuses the emulator's requests
    // (401), and Tencent's documented default is to deliver anyway.
    let (url, seen, _server) = webhook("a different token").await;
    let emu = emulator(&url, TOKEN).await;
    let client = bare(&emu);
    client.sendmsg(c2c("this is forbidden")).await.unwrap();
    assert_eq!(texts(&emu, "bob"), ["this is forbidden"]);
    assert!(seen.lock().unwrap().is_empty(), "nothing verified");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_app_times_out_after_two_seconds_and_the_message_proceeds() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let hook = Arc::new(Webhook::new(DEFAULT_SDKAPPID).token(TOKEN));
    let _server = tokio::spawn(callbacks::serve(listener, hook, |e: Event| async move {
        if matches!(e, Event::C2cBeforeSendMsg(_)) {
            tokio::time::sleep(Duration::from_secs(4)).await;
        }
        Answer::from(C2cBeforeSendMsgAnswer::refuse())
    }));
    let emu = emulator(&url, TOKEN).await;
    let client = bare(&emu);
    let started = Instant::now();
    client.sendmsg(c2c("slow")).await.unwrap();
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(1900), "{took:?}");
    assert!(took < Duration::from_millis(3900), "{took:?}");
    assert_eq!(texts(&emu, "bob"), ["slow"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forbid_callback_control_skips_the_callbacks() {
    let (url, seen, _server) = webhook(TOKEN).await;
    let emu = emulator(&url, TOKEN).await;
    let client = bare(&emu);
    let request = c2c("forbidden but unchecked").forbid_callback_control([
        im_api::types::ForbidCallbackControl::ForbidBeforeSendMsgCallback,
        im_api::types::ForbidCallbackControl::ForbidAfterSendMsgCallback,
    ]);
    client.sendmsg(request).await.unwrap();
    assert_eq!(texts(&emu, "bob"), ["forbidden but unchecked"]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(seen.lock().unwrap().is_empty());
}

/// batchsendmsg's page: "this API does not trigger callbacks" (and does not
/// check a global mute of the sender), unlike sendmsg.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batchsendmsg_triggers_no_callback() {
    let (url, seen, _server) = webhook(TOKEN).await;
    let emu = emulator(&url, TOKEN).await;
    let client = bare(&emu);
    client
        .batchsendmsg(
            im_api::api::batchsendmsg::Request::new(
                ["bob", "carol"],
                [MsgElement::text("forbidden but batch")],
            )
            .from_account("alice"),
        )
        .await
        .unwrap();
    assert_eq!(texts(&emu, "bob"), ["forbidden but batch"]);
    assert_eq!(texts(&emu, "carol"), ["forbidden but batch"]);
    // A later sendmsg's callbacks arrive; none came from the batch before it.
    client.sendmsg(c2c("after the batch")).await.unwrap();
    wait_for(&seen, "C2C after-send", |e| {
        matches!(e, Event::C2cAfterSendMsg(_))
    })
    .await;
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2, "only sendmsg's two callbacks: {seen:?}");
}
