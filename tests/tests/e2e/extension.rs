//! A crate other than im-api extends the client with its own spec file:
//! `im_macros::generate!(path = "specs/extra.toml", ext_trait = "ExtraApi", module = "extra")`
//! in tests/src/lib.rs, beside `use im_api::api;`. Its types resolve im-api's shared types, its error
//! enum reuses the catalogue and the public codes, and its methods go through
//! the same client (signing, validation, envelope).

use im_api::types::{MsgElement, SendMsgControl};
use im_api::{EndpointError, PublicError};
use im_tests::extra::api::sendmsg_with_note as sendmsg;
use im_tests::extra::types::ReceiptNote;
use im_tests::extra::ExtraApi as _;
use im_tests::*;
use serde_json::json;

#[tokio::test]
async fn extension_endpoint_sends_and_decodes() {
    let server = TestServer::start(ok(json!({"MsgTime": 1700000001, "MsgKey": "key-1"}))).await;
    let client = server.client();
    let req = sendmsg::Request::new("bob", [MsgElement::text("hi")])
        .msg_random(42)
        .send_msg_control([SendMsgControl::NoUnread])
        .note(ReceiptNote::new("n"));
    let resp = client.sendmsg_with_note(req).await.unwrap();
    assert_eq!(resp.msg_time, 1700000001);
    assert_eq!(resp.msg_key.as_deref(), Some("key-1"));
    let r = &server.requests()[0];
    assert_eq!(r.path, "/v4/openim/sendmsg");
    assert_eq!(
        r.json(),
        json!({"To_Account": "bob", "MsgRandom": 42, "SendMsgControl": ["NoUnread"],
               "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "hi"}}], "Note": {"Note_Text": "n"}})
    );
    assert_eq!(im_tests::extra::ENDPOINTS[0].path, "/v4/openim/sendmsg");
    assert_eq!(
        im_tests::sendmsg_paths(),
        ("/v4/openim/sendmsg", "/v4/openim/sendmsg")
    );
}

#[tokio::test]
async fn extension_validation_and_errors() {
    let server = TestServer::start(fail(90026, "too long")).await;
    let client = server.client();
    let err = client
        .sendmsg_with_note(
            sendmsg::Request::new("", [MsgElement::text("hi")])
                .note(ReceiptNote::new("this note is too long")),
        )
        .await
        .unwrap_err();
    let im_api::Error::Invalid(v) = err else {
        panic!("expected a validation error")
    };
    let got: Vec<(String, im_api::Problem)> = v
        .violations
        .into_iter()
        .map(|v| (v.field, v.problem))
        .collect();
    assert_eq!(
        got,
        vec![
            ("To_Account".to_owned(), im_api::Problem::Empty),
            (
                "Note.Note_Text".to_owned(),
                im_api::Problem::TooLong {
                    max_bytes: 16,
                    actual: 21
                }
            ),
        ]
    );
    assert!(server.requests().is_empty());
    let err = client
        .sendmsg_with_note(sendmsg::Request::new("bob", [MsgElement::text("hi")]))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), Some(&sendmsg::Error::MsgLifeTimeTooLarge));
    assert_eq!(
        sendmsg::Error::from_code(90001),
        sendmsg::Error::JsonParseFailed,
        "name from im-api's catalogue"
    );
    assert_eq!(
        sendmsg::Error::from_code(70001),
        sendmsg::Error::Public(PublicError::UserSigExpired)
    );
}
