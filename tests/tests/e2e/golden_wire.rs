//! Golden wire tests: every seed sample is built with the typed API, sent to
//! a local server, and checked on the wire: method, path, every query
//! parameter (the usersig verified with the key), content type, and the body
//! exactly as the seed shows it. Then the seed responses are decoded.

use im_api::api::{batchsendmsg, send_group_msg};
use im_api::types::*;
use im_api::{Client, Signer};
use im_tests::*;
use serde_json::json;

/// Check the request line and query of one recorded request.
fn check_wire(r: &Recorded, path: &str) -> u32 {
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, format!("/v4/{path}"));
    let keys: Vec<&str> = r.query.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        ["sdkappid", "identifier", "usersig", "random", "contenttype"]
    );
    assert_eq!(r.param("sdkappid"), Some("1400000000"));
    assert_eq!(r.param("identifier"), Some(ADMIN));
    assert_eq!(r.param("contenttype"), Some("json"));
    assert_eq!(r.content_type.as_deref(), Some("application/json"));
    let sig = r.param("usersig").expect("usersig");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let info = Signer::new(SDKAPPID, im_api::SecretKey::new(KEY))
        .verify_at(sig, ADMIN, now)
        .expect("usersig verifies");
    assert!(info.expire >= 86400, "admin sig lives at least a day");
    r.param("random")
        .expect("random")
        .parse::<u32>()
        .expect("random is a u32")
}

async fn send_and_capture<R: im_api::Endpoint>(
    server: &TestServer,
    client: &Client,
    req: R,
) -> (Recorded, R::Response) {
    let resp = client
        .call(req)
        .await
        .unwrap_or_else(|e| panic!("call failed: {e}"));
    let mut reqs = server.take_requests();
    assert_eq!(reqs.len(), 1, "exactly one request");
    (reqs.remove(0), resp)
}

#[tokio::test]
async fn send_group_msg_seed_samples() {
    let server = TestServer::start(Reply::Json(seed("send_group_msg.response"))).await;
    let client = server.client();
    let cases = seed_requests::send_group_msg();
    assert_eq!(cases.len(), 7, "every sample of seed 003");
    for (name, req) in cases {
        let (r, resp) = send_and_capture(&server, &client, req).await;
        check_wire(&r, "group_open_http_svc/send_group_msg");
        assert_eq!(
            r.json(),
            seed(&format!("send_group_msg.{name}")),
            "body of seed sample {name}"
        );
        assert_eq!((resp.msg_time, resp.msg_seq), (1497249503, 1));
    }
}

#[tokio::test]
async fn send_broadcast_msg_seed_sample() {
    let server = TestServer::start(Reply::Json(seed("send_broadcast_msg.response"))).await;
    let client = server.client();
    for (name, req) in seed_requests::send_broadcast_msg() {
        let (r, resp) = send_and_capture(&server, &client, req).await;
        check_wire(&r, "group_open_http_svc/send_broadcast_msg");
        assert_eq!(r.json(), seed(&format!("send_broadcast_msg.{name}")));
        assert_eq!(resp.msg_seq, 1283);
    }
}

#[tokio::test]
async fn batchsendmsg_seed_samples() {
    let server = TestServer::start(ok(json!({"MsgKey": "k1", "MsgTime": 1700000000}))).await;
    let client = server.client();
    let cases = seed_requests::batchsendmsg();
    assert_eq!(cases.len(), 2, "every request sample of seed 004");
    for (name, req) in cases {
        let (r, resp) = send_and_capture(&server, &client, req).await;
        check_wire(&r, "openim/batchsendmsg");
        assert_eq!(
            r.json(),
            seed(&format!("batchsendmsg.{name}")),
            "body of seed sample {name}"
        );
        assert_eq!(resp.msg_key.as_deref(), Some("k1"));
        assert!(resp.error_list.is_empty());
    }
}

#[tokio::test]
async fn batchsendmsg_partial_failure_is_returned_not_raised() {
    // The seed's response: ActionStatus FAIL, no ErrorCode, one failed target.
    let server = TestServer::start(Reply::Json(seed("batchsendmsg.response_error_list"))).await;
    let client = server.client();
    let resp = client
        .batchsendmsg(batchsendmsg::Request::new(
            ["bonnie", "rong"],
            [MsgElement::text("hi")],
        ))
        .await
        .expect("partial failure is a response");
    assert_eq!(resp.error_list.len(), 1);
    assert_eq!(resp.error_list[0].to_account, "rong");
    assert_eq!(resp.error_list[0].error_code, 20003);

    // The same with a code, as newer servers answer.
    server.set_default(Reply::Json(json!({
        "ActionStatus": "FAIL", "ErrorCode": 90012, "ErrorInfo": "some failed",
        "ErrorList": [{"To_Account": "ghost", "ErrorCode": 90012}], "MsgKey": "k"
    })));
    let resp = client
        .batchsendmsg(batchsendmsg::Request::new(
            ["bonnie", "ghost"],
            [MsgElement::text("hi")],
        ))
        .await
        .expect("partial failure is a response");
    assert_eq!(resp.error_list[0].to_account, "ghost");

    // A failure with an empty list is an error.
    server.set_default(Reply::Json(json!({"ActionStatus": "FAIL", "ErrorCode": 90011, "ErrorInfo": "too many", "ErrorList": []})));
    let err = client
        .batchsendmsg(batchsendmsg::Request::new(["a"], [MsgElement::text("hi")]))
        .await
        .expect_err("whole-call failure");
    assert_eq!(err.code(), Some(90011));
    assert_eq!(err.kind(), Some(&batchsendmsg::Error::TooManyRecipients));
}

#[tokio::test]
async fn random_fields_are_filled_and_fresh() {
    let server = TestServer::start(Reply::Json(seed("send_group_msg.response"))).await;
    let client = server.client();
    for _ in 0..3 {
        client
            .send_group_msg(send_group_msg::Request::new("g", [MsgElement::text("x")]))
            .await
            .unwrap();
    }
    let reqs = server.take_requests();
    let randoms: Vec<u64> = reqs
        .iter()
        .map(|r| r.json()["Random"].as_u64().expect("Random filled"))
        .collect();
    let query: Vec<u32> = reqs
        .iter()
        .map(|r| r.param("random").unwrap().parse().unwrap())
        .collect();
    assert!(randoms.iter().all(|r| *r <= u32::MAX as u64));
    assert_ne!(randoms[0], randoms[1]);
    assert_ne!(randoms[1], randoms[2]);
    assert_ne!(query[0], query[1]);
    assert_ne!(query[1], query[2]);
}

#[tokio::test]
async fn optional_fields_are_absent_when_unset() {
    let server = TestServer::start(Reply::Json(seed("send_group_msg.response"))).await;
    let client = server.client();
    client
        .send_group_msg(send_group_msg::Request::new("g", [MsgElement::text("x")]).random(7))
        .await
        .unwrap();
    let body = server.take_requests()[0].json();
    assert_eq!(
        body,
        json!({"GroupId": "g", "Random": 7, "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "x"}}]})
    );
}

#[tokio::test]
async fn responses_tolerate_unknown_fields_and_missing_action_status() {
    let server = TestServer::start(Reply::Json(json!({
        "ErrorCode": 0, "MsgSeq": 9, "MsgTime": 5, "SomethingNew": {"nested": [1, 2]}, "RequestId": "abc"
    })))
    .await;
    let resp = server
        .client()
        .send_group_msg(send_group_msg::Request::new("g", [MsgElement::text("x")]))
        .await
        .unwrap();
    assert_eq!(resp.msg_seq, 9);
}

#[tokio::test]
async fn message_elements_round_trip_with_unknown_fallback() {
    let body = json!([
        {"MsgType": "TIMTextElem", "MsgContent": {"Text": "a"}},
        {"MsgType": "TIMLocationElem", "MsgContent": {"Desc": "d", "Latitude": 1.5, "Longitude": -2.25}},
        {"MsgType": "TIMSoundElem", "MsgContent": {"Url": "u", "UUID": "id", "Size": 10, "Second": 3, "Download_Flag": 2}},
        {"MsgType": "TIMImageElem", "MsgContent": {"UUID": "i", "ImageFormat": 1, "ImageInfoArray": [{"Type": 1, "Size": 5, "Width": 2, "Height": 3, "URL": "x"}]}},
        {"MsgType": "TIMFileElem", "MsgContent": {"Url": "u", "UUID": "f", "FileSize": 3, "FileName": "a.txt", "Download_Flag": 2}},
        {"MsgType": "TIMRelayElem", "MsgContent": {"Title": "t", "MsgNum": 1, "MsgList": [{"From_Account": "a", "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "in"}}]}]}},
        {"MsgType": "TIMGroupTipElem", "MsgContent": {"whatever": true}}
    ]);
    let decoded: Vec<MsgElement> = serde_json::from_value(body.clone()).unwrap();
    assert!(matches!(&decoded[5], MsgElement::Relay(r) if r.msg_list[0].msg_body.len() == 1));
    assert!(matches!(&decoded[6], MsgElement::Unknown { tag, .. } if tag == "TIMGroupTipElem"));
    assert_eq!(serde_json::to_value(&decoded).unwrap(), body);
}

#[tokio::test]
async fn unknown_enum_values_decode_and_encode_unchanged() {
    let v: GroupType = serde_json::from_value(json!("Hyperroom")).unwrap();
    assert!(matches!(&v, GroupType::Unknown(u) if u.as_str() == "Hyperroom"));
    assert_eq!(v, GroupType::from("Hyperroom"));
    assert_eq!(serde_json::to_value(&v).unwrap(), json!("Hyperroom"));
    let v: GroupType = serde_json::from_value(json!("AVChatRoom")).unwrap();
    assert_eq!(v, GroupType::AvChatRoom);
    assert_eq!(
        serde_json::to_value(MsgPriority::from("Urgent")).unwrap(),
        json!("Urgent")
    );
    assert_eq!(
        serde_json::to_value(MsgPriority::Low).unwrap(),
        json!("Low")
    );
    assert_eq!(MsgPriority::from("High"), MsgPriority::High);
    assert_eq!(GroupType::AvChatRoom.as_str(), "AVChatRoom");
}
