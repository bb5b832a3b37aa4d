//! Error decoding: every documented code of the three seed endpoints and
//! every public code decodes to its typed variant with the request's `random`
//! and `RequestId`; re-signing on 70001; transport and decode failures.

use im_api::api::{batchsendmsg, send_broadcast_msg, send_group_msg};
use im_api::types::MsgElement;
use im_api::{Endpoint, EndpointError, Error, PublicError, RetryClass};
use im_tests::*;
use serde_json::json;

async fn check_codes<R, F>(server: &TestServer, codes: &[i64], make: F)
where
    R: Endpoint,
    F: Fn() -> R,
{
    let client = server.client();
    for &code in codes {
        server.script([fail(code, "scripted")]);
        let err = client.call(make()).await.expect_err("scripted failure");
        let sent = server.take_requests();
        let attempts = if R::Error::from_code(code).retry_class() == RetryClass::Resign {
            2
        } else {
            1
        };
        assert_eq!(sent.len(), attempts, "code {code}");
        let random: u32 = sent[0].param("random").unwrap().parse().unwrap();
        let api = err.api().unwrap_or_else(|| panic!("code {code}: {err}"));
        assert_eq!(api.code, code);
        assert_eq!(api.kind.code(), code);
        assert_eq!(api.info, "scripted");
        assert_eq!(
            api.request_id.as_deref(),
            Some(format!("req-{code}").as_str())
        );
        assert_eq!(
            api.random, random,
            "the random query value is carried for support tickets"
        );
        assert_eq!(err.random(), Some(random));
        let text = err.to_string();
        assert!(
            text.contains(&code.to_string()) && text.contains(&random.to_string()),
            "{text}"
        );
        assert!(
            !format!("{:?}", api.kind).starts_with("Unknown"),
            "code {code} is typed: {:?}",
            api.kind
        );
    }
}

#[tokio::test]
async fn every_documented_code_decodes_typed() {
    let server = TestServer::start(fail(-1, "unused")).await;
    let body = || [MsgElement::text("x")];
    assert_eq!(
        send_group_msg::Error::CODES,
        [10002, 10004, 10007, 10010, 10015, 10016, 10017, 10023, 10053, 80001, 80002]
    );
    assert_eq!(
        send_broadcast_msg::Error::CODES,
        [10002, 10003, 10004, 10007, 10023]
    );
    assert_eq!(
        batchsendmsg::Error::CODES.len(),
        23,
        "the codes of the current page"
    );
    check_codes(&server, send_group_msg::Error::CODES, || {
        send_group_msg::Request::new("g", body())
    })
    .await;
    check_codes(&server, send_broadcast_msg::Error::CODES, || {
        send_broadcast_msg::Request::new(body())
    })
    .await;
    check_codes(&server, batchsendmsg::Error::CODES, || {
        batchsendmsg::Request::new(["a"], body())
    })
    .await;
}

#[tokio::test]
async fn every_public_code_decodes_typed_on_every_endpoint() {
    let server = TestServer::start(Reply::Json(json!({}))).await;
    let client = server.client();
    for &code in PublicError::CODES {
        let public = PublicError::from_code(code);
        assert!(!matches!(public, PublicError::Unknown(_)));
        // A resign code is retried once with a fresh sig: let both attempts fail.
        let attempts = if public.retry_class() == RetryClass::Resign {
            2
        } else {
            1
        };
        server.script((0..attempts).map(|_| fail(code, "scripted")));
        let err = client
            .send_group_msg(send_group_msg::Request::new("g", [MsgElement::text("x")]))
            .await
            .unwrap_err();
        assert_eq!(
            err.kind(),
            Some(&send_group_msg::Error::Public(public)),
            "code {code}"
        );
        assert_eq!(server.take_requests().len(), attempts, "code {code}");
        // The same code through the other endpoints' enums.
        assert_eq!(
            batchsendmsg::Error::from_code(code),
            batchsendmsg::Error::Public(public)
        );
        assert_eq!(
            send_broadcast_msg::Error::from_code(code),
            send_broadcast_msg::Error::Public(public)
        );
    }
    assert!(PublicError::CODES
        .iter()
        .all(|c| (60000..=79999).contains(c)));
}

#[tokio::test]
async fn unlisted_codes_fall_back_to_unknown() {
    let server = TestServer::start(fail(12345, "new")).await;
    let err = server
        .client()
        .send_group_msg(send_group_msg::Request::new("g", [MsgElement::text("x")]))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), Some(&send_group_msg::Error::Unknown(12345)));
    assert_eq!(err.code(), Some(12345));
    assert!(!err.is_retryable());
    let server = TestServer::start(fail(79998, "new public")).await;
    let err = server
        .client()
        .send_group_msg(send_group_msg::Request::new("g", [MsgElement::text("x")]))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&send_group_msg::Error::Public(PublicError::Unknown(79998)))
    );
}

#[tokio::test]
async fn expired_usersig_is_resigned_once_and_the_body_kept() {
    let server = TestServer::start(Reply::Json(seed("send_group_msg.response"))).await;
    let client = server.client();
    server.script([fail(70001, "UserSig expired")]);
    let resp = client
        .send_group_msg(send_group_msg::Request::new("g", [MsgElement::text("x")]))
        .await
        .unwrap();
    assert_eq!(resp.msg_seq, 1);
    let sent = server.take_requests();
    assert_eq!(sent.len(), 2);
    // Signing is deterministic per second, so the fresh sig may equal the old
    // string; what matters is that the cache was dropped and signing redone.
    assert_eq!(
        sent[0].body, sent[1].body,
        "the identical body (same Random) on the retry"
    );
    assert_eq!(sent[0].param("random"), sent[1].param("random"));
    assert_eq!(client.usersig_sign_count(), 2, "re-signed once");

    // Twice in a row: surfaced after one re-sign.
    server.script([fail(70001, "expired"), fail(70001, "expired")]);
    let err = client
        .send_group_msg(send_group_msg::Request::new("g", [MsgElement::text("x")]))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&send_group_msg::Error::Public(PublicError::UserSigExpired))
    );
    assert_eq!(err.api().unwrap().attempts, 2);
}

#[tokio::test]
async fn fixed_usersig_is_sent_verbatim_and_not_resigned() {
    let server = TestServer::start(fail(70001, "expired")).await;
    let client = im_api::Client::builder()
        .sdkappid(SDKAPPID)
        .identifier(ADMIN)
        .usersig("fixed-sig*value")
        .base_url(&server.base_url)
        .build()
        .unwrap();
    let err = client
        .send_group_msg(send_group_msg::Request::new("g", [MsgElement::text("x")]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(70001));
    let sent = server.take_requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].param("usersig"), Some("fixed-sig*value"));
}

#[tokio::test]
async fn http_errors_and_bad_bodies() {
    let server = TestServer::start(Reply::Status(502)).await;
    let client = server.client();
    let err = client
        .send_group_msg(send_group_msg::Request::new("g", [MsgElement::text("x")]))
        .await
        .unwrap_err();
    match &err {
        Error::Transport(t) => assert_eq!(t.status, Some(502)),
        other => panic!("expected a transport error, got {other}"),
    }
    assert!(err.is_retryable());
    assert!(err.random().is_some());

    server.set_default(Reply::Json(
        json!({"ErrorCode": 0, "MsgSeq": "not a number"}),
    ));
    let err = client
        .send_group_msg(send_group_msg::Request::new("g", [MsgElement::text("x")]))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode(_)), "{err}");

    // Nothing listening: a transport error, no panic.
    let dead = im_api::Client::builder()
        .sdkappid(SDKAPPID)
        .identifier(ADMIN)
        .secret_key(KEY)
        .base_url("http://127.0.0.1:9")
        .build()
        .unwrap();
    let err = dead
        .send_group_msg(send_group_msg::Request::new("g", [MsgElement::text("x")]))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err}");
    assert!(
        !err.to_string().contains("usersig"),
        "no URL in errors: {err}"
    );
}
