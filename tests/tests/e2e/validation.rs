//! Pre-send validation: every declared limit is checked, every problem is
//! reported at once with its field path, and nothing reaches the server.

use im_api::api::{batchsendmsg, send_group_msg};
use im_api::types::*;
use im_api::{Error, Problem};
use im_tests::*;

fn problems<E: std::fmt::Debug>(err: Error<E>) -> Vec<(String, Problem)> {
    match err {
        Error::Invalid(v) => v
            .violations
            .into_iter()
            .map(|v| (v.field, v.problem))
            .collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[tokio::test]
async fn batchsendmsg_reports_every_problem_and_sends_nothing() {
    let server = TestServer::start(ok(serde_json::json!({}))).await;
    let client = server.client();
    let targets: Vec<String> = (0..501).map(|i| format!("user{i}")).collect();
    let req = batchsendmsg::Request::new(targets, Vec::<MsgElement>::new())
        .msg_life_time(604801)
        .sync_other_machine(SyncOtherMachine::from(3))
        .offline_push_info(OfflinePushInfo::new().push_flag(2).ext("x".repeat(4000)));
    let err = client.batchsendmsg(req).await.unwrap_err();
    let text = err.to_string();
    let got = problems(err);
    assert_eq!(
        got,
        vec![
            (
                "To_Account".into(),
                Problem::TooManyItems {
                    max: 500,
                    actual: 501
                }
            ),
            (
                "MsgLifeTime".into(),
                Problem::AboveMaximum {
                    max: 604800,
                    actual: 604801
                }
            ),
            ("MsgBody".into(), Problem::TooFewItems { min: 1, actual: 0 }),
            (
                "OfflinePushInfo.PushFlag".into(),
                Problem::AboveMaximum { max: 1, actual: 2 }
            ),
            (
                "OfflinePushInfo.Ext".into(),
                Problem::TooLong {
                    max_bytes: 3072,
                    actual: 4000
                }
            ),
        ]
    );
    assert!(
        text.contains("nothing sent")
            && text.contains("To_Account: 501 items, at most 500 allowed"),
        "{text}"
    );
    assert!(server.requests().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn send_group_msg_limits_nested_and_conflicts() {
    let server = TestServer::start(ok(serde_json::json!({}))).await;
    let client = server.client();
    let req = send_group_msg::Request::new("  ", got_body_for_size())
        .online_only_flag(true)
        .send_msg_control([SendMsgControl::NoUnread])
        .group_at_info((0..31).map(|_| GroupAtInfo::new(true)));
    let got = problems(client.send_group_msg(req).await.unwrap_err());
    let json_size = serde_json::to_vec(&got_body_for_size()).unwrap().len() as u64;
    assert_eq!(
        got,
        vec![
            ("GroupId".into(), Problem::Empty),
            (
                "MsgBody[1].MsgContent.Download_Flag".into(),
                Problem::AboveMaximum { max: 2, actual: 3 }
            ),
            (
                "MsgBody[2].MsgContent.ImageInfoArray[0].Type".into(),
                Problem::AboveMaximum { max: 3, actual: 4 }
            ),
            (
                "MsgBody".into(),
                Problem::JsonTooLarge {
                    max_bytes: 12000,
                    actual: json_size
                }
            ),
            (
                "GroupAtInfo".into(),
                Problem::TooManyItems {
                    max: 30,
                    actual: 31
                }
            ),
            (
                "SendMsgControl".into(),
                Problem::Conflict {
                    with: "OnlineOnlyFlag",
                    rule: "SendMsgControl is not allowed when OnlineOnlyFlag is 1."
                }
            ),
        ]
    );
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn limits_at_the_boundary_pass() {
    let server = TestServer::start(ok(serde_json::json!({"MsgTime": 1, "MsgSeq": 1}))).await;
    let client = server.client();
    let targets: Vec<String> = (0..500).map(|i| format!("u{i}")).collect();
    client
        .batchsendmsg(
            batchsendmsg::Request::new(targets, [MsgElement::text("x")])
                .msg_life_time(604800)
                .sync_other_machine(SyncOtherMachine::NoSync),
        )
        .await
        .unwrap();
    // 12,000 bytes of MsgBody JSON exactly.
    let overhead = serde_json::to_vec(&[MsgElement::text("")]).unwrap().len();
    let body = [MsgElement::text("y".repeat(12_000 - overhead))];
    assert_eq!(serde_json::to_vec(&body).unwrap().len(), 12_000);
    client
        .send_group_msg(
            send_group_msg::Request::new("g", body)
                .online_only_flag(false)
                .send_msg_control([SendMsgControl::NoUnread]),
        )
        .await
        .unwrap();
    assert_eq!(server.requests().len(), 2);
}

fn got_body_for_size() -> Vec<MsgElement> {
    vec![
        MsgElement::text("x".repeat(12_001)),
        SoundElem::new(SoundElemRequired {
            url: "u".into(),
            uuid: "id".into(),
            download_flag: 3,
        })
        .into(),
        ImageElem::new(
            "i",
            [ImageInfo::new(ImageInfoRequired {
                r#type: 4,
                width: 1,
                height: 1,
                url: "x".into(),
            })],
        )
        .into(),
    ]
}

#[tokio::test]
async fn a_message_holds_at_most_one_custom_element() {
    let server = TestServer::start(ok(serde_json::json!({"MsgTime": 1, "MsgSeq": 1}))).await;
    let client = server.client();
    let body = [
        MsgElement::custom("{\"a\":1}"),
        MsgElement::text("x"),
        MsgElement::custom("{\"b\":2}"),
    ];
    let got = problems(
        client
            .send_group_msg(send_group_msg::Request::new("g", body))
            .await
            .unwrap_err(),
    );
    assert_eq!(
        got,
        vec![(
            "MsgBody".to_owned(),
            Problem::Repeated {
                tag: "TIMCustomElem",
                actual: 2
            }
        )]
    );
    assert!(server.requests().is_empty());
    client
        .send_group_msg(send_group_msg::Request::new(
            "g",
            [MsgElement::custom("{}"), MsgElement::text("fine")],
        ))
        .await
        .unwrap();
}
