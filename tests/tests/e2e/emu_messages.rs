//! The emulator's message endpoints beyond plain sends (`group_message.toml`,
//! `c2c_message.toml`): system notifications, imports, deletion by sender,
//! modification, clearing, topics, read receipts and key-value extensions,
//! all written and read back through the typed client.

use im_api::api::{
    admin_getroammsg, c2c_msg_read_receipt, clear_group_msg, create_group, create_topic,
    delete_group_msg_by_sender, get_group_msg_receipt, get_group_msg_receipt_detail,
    get_key_values, group_get_key_values, group_msg_get_simple, group_msg_recall,
    group_msg_receipt, group_set_key_values, import_group_msg, modify_group_msg, send_group_msg,
    send_group_system_notification, sendmsg, set_key_values,
};
use im_api::emulator::Emulator;
use im_api::types::{
    C2cReceiptMsg, C2cReceiptMsgRequired, GroupHistoryMsg, GroupType, ImportGroupMsgItem,
    MsgElement, MsgExtension, MsgExtensionItem, MsgExtensionItemRequired, MsgExtensionOperation,
    MsgSeqItem, NewGroupMember, PlaceMsgFlag, ReceiptMemberFilter,
};
use im_api::{Client, EndpointError, PublicError};

const GROUP: &str = "@TGS#MSG";

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

async fn emulator() -> Emulator {
    Emulator::builder()
        .accounts(["alice", "bob", "carol", "dave", "erin"])
        .group(GROUP, GroupType::Public, ["alice", "bob", "carol", "dave"])
        .group("@TGS#AV", GroupType::AvChatRoom, ["alice", "bob"])
        .start()
        .await
        .unwrap()
}

async fn send(client: &Client, from: &str, text: &str) -> u64 {
    client
        .send_group_msg(
            send_group_msg::Request::new(GROUP, [MsgElement::text(text)]).from_account(from),
        )
        .await
        .unwrap()
        .msg_seq
}

/// The whole history of a conversation, newest first, through the pager.
async fn history(client: &Client, req: group_msg_get_simple::Request) -> Vec<GroupHistoryMsg> {
    client.pages(req).all_items().await.unwrap()
}

fn item(key: &str, value: &str) -> MsgExtensionItem {
    MsgExtensionItem::new(MsgExtensionItemRequired {
        key: key.into(),
        value: value.into(),
    })
}

/// Key, value and Seq of each pair.
fn pairs(list: &[MsgExtension]) -> Vec<(String, String, u64)> {
    list.iter()
        .map(|e| {
            (
                e.key.clone(),
                e.value.clone().unwrap_or_default(),
                e.seq.unwrap_or_default(),
            )
        })
        .collect()
}

fn text(key: &str, value: &str, seq: u64) -> (String, String, u64) {
    (key.into(), value.into(), seq)
}

#[tokio::test]
async fn system_notifications_reach_the_listed_members_and_the_history() {
    let emu = emulator().await;
    let client = emu.client();
    let notify = |content: &str| {
        send_group_system_notification::Request::new(send_group_system_notification::Required {
            group_id: GROUP.into(),
            content: content.into(),
        })
    };
    client
        .send_group_system_notification(notify("to bob").to_members_account(["bob", "erin"]))
        .await
        .unwrap();
    client
        .send_group_system_notification(notify("to all"))
        .await
        .unwrap();

    let bob = emu.inbox("bob");
    assert_eq!(bob.len(), 2);
    assert_eq!(bob[0].msg_body, vec![MsgElement::custom("to bob")]);
    assert!(bob[0].endpoint.ends_with("send_group_system_notification"));
    assert_eq!(
        emu.inbox("carol").len(),
        1,
        "carol was not listed the first time"
    );
    assert!(emu.inbox("erin").is_empty(), "erin is not a member");

    let msgs = history(&client, group_msg_get_simple::Request::new(GROUP, 20)).await;
    assert_eq!(msgs.len(), 2);
    assert!(msgs.iter().all(|m| m.is_system_msg == Some(true)));
    assert_eq!(msgs[0].msg_body, vec![MsgElement::custom("to all")]);

    let err = client
        .send_group_system_notification(send_group_system_notification::Request::new(
            send_group_system_notification::Required {
                group_id: "@TGS#NONE".into(),
                content: "x".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&send_group_system_notification::Error::GroupNotFound)
    );
    let err = client
        .send_group_system_notification(
            send_group_system_notification::Request::new(
                send_group_system_notification::Required {
                    group_id: "@TGS#AV".into(),
                    content: "x".into(),
                },
            )
            .to_members_account(["bob"]),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&send_group_system_notification::Error::PermissionDenied),
        "AVChatRoom notifies everyone or nobody"
    );
}

#[tokio::test]
async fn imports_are_ordered_with_a_result_per_message() {
    let emu = emulator().await;
    let client = emu.client();
    let t = now();
    let body = |s: &str| [MsgElement::text(s)];
    let resp = client
        .import_group_msg(import_group_msg::Request::new(
            GROUP,
            [
                ImportGroupMsgItem::new("alice", t, body("first")),
                ImportGroupMsgItem::new("bob", t - 3600, body("before the newest")),
                ImportGroupMsgItem::new("ghost", t, body("unknown sender")),
                ImportGroupMsgItem::new("bob", t + 3600, body("in the future")),
                ImportGroupMsgItem::new("bob", t, body("second")),
            ],
        ))
        .await
        .unwrap();
    let bad = import_group_msg::Error::InvalidParameter.code();
    let results: Vec<(Option<u64>, i64)> = resp
        .import_msg_result
        .iter()
        .map(|r| (r.msg_seq, r.result))
        .collect();
    assert_eq!(
        results,
        vec![
            (Some(1), 0),
            (None, bad),
            (None, bad),
            (None, bad),
            (Some(2), 0)
        ]
    );
    assert!(resp.import_msg_result.iter().all(|r| r.msg_time.is_some()));
    assert!(emu.inbox("carol").is_empty(), "imports are not delivered");

    let msgs = history(&client, group_msg_get_simple::Request::new(GROUP, 20)).await;
    let got: Vec<(u64, Option<String>, Option<i64>)> = msgs
        .iter()
        .map(|m| (m.msg_seq, m.from_account.clone(), m.msg_time_stamp))
        .collect();
    assert_eq!(
        got,
        vec![
            (2, Some("bob".into()), Some(t)),
            (1, Some("alice".into()), Some(t))
        ]
    );
    assert_eq!(msgs[1].msg_body, vec![MsgElement::text("first")]);

    // A live send continues the sequence.
    assert_eq!(send(&client, "carol", "live").await, 3);

    let err = client
        .import_group_msg(import_group_msg::Request::new(
            "@TGS#AV",
            [ImportGroupMsgItem::new("alice", t, body("x"))],
        ))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), Some(&import_group_msg::Error::PermissionDenied));
    let err = client
        .import_group_msg(import_group_msg::Request::new(
            "@TGS#NONE",
            [ImportGroupMsgItem::new("alice", t, body("x"))],
        ))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), Some(&import_group_msg::Error::GroupNotFound));
}

#[tokio::test]
async fn delete_by_sender_modify_and_clear_change_what_history_reads() {
    let emu = emulator().await;
    let client = emu.client();
    let a1 = send(&client, "alice", "a1").await;
    let b1 = send(&client, "bob", "b1").await;
    let a2 = send(&client, "alice", "a2").await;

    client
        .delete_group_msg_by_sender(delete_group_msg_by_sender::Request::new(
            delete_group_msg_by_sender::Required {
                group_id: GROUP.into(),
                sender_account: "alice".into(),
            },
        ))
        .await
        .unwrap();
    let visible = history(&client, group_msg_get_simple::Request::new(GROUP, 20)).await;
    assert_eq!(
        visible.iter().map(|m| m.msg_seq).collect::<Vec<_>>(),
        vec![b1]
    );
    let all = history(
        &client,
        group_msg_get_simple::Request::new(GROUP, 20).with_recalled_msg(true),
    )
    .await;
    let flags: Vec<(u64, Option<PlaceMsgFlag>)> = all
        .iter()
        .map(|m| (m.msg_seq, m.is_place_msg.clone()))
        .collect();
    assert_eq!(
        flags,
        vec![
            (a2, Some(PlaceMsgFlag::Recalled)),
            (b1, Some(PlaceMsgFlag::Normal)),
            (a1, Some(PlaceMsgFlag::Recalled)),
        ]
    );

    client
        .modify_group_msg(
            modify_group_msg::Request::new(GROUP, b1)
                .msg_body([MsgElement::text("b1, edited")])
                .cloud_custom_data("edited"),
        )
        .await
        .unwrap();
    let visible = history(&client, group_msg_get_simple::Request::new(GROUP, 20)).await;
    assert_eq!(visible[0].msg_body, vec![MsgElement::text("b1, edited")]);
    let stored = emu.group_messages(GROUP);
    assert_eq!(stored[1].cloud_custom_data.as_deref(), Some("edited"));

    let invalid = Some(modify_group_msg::META.invalid_code);
    let err = client
        .modify_group_msg(modify_group_msg::Request::new(GROUP, 999).cloud_custom_data("x"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), invalid, "no such message");
    let err = client
        .modify_group_msg(modify_group_msg::Request::new("@TGS#NONE", b1).cloud_custom_data("x"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), invalid, "no such group");
    let err = client
        .modify_group_msg(modify_group_msg::Request::new(GROUP, a1).cloud_custom_data("x"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), invalid, "a recalled message");

    // Clearing hides messages from SDK pulls only: the admin still reads them.
    client
        .clear_group_msg(clear_group_msg::Request::new(GROUP))
        .await
        .unwrap();
    assert_eq!(
        history(&client, group_msg_get_simple::Request::new(GROUP, 20))
            .await
            .len(),
        1
    );
    let err = client
        .clear_group_msg(clear_group_msg::Request::new("@TGS#NONE"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), Some(&clear_group_msg::Error::GroupNotFound));
    let err = client
        .delete_group_msg_by_sender(delete_group_msg_by_sender::Request::new(
            delete_group_msg_by_sender::Required {
                group_id: "@TGS#NONE".into(),
                sender_account: "alice".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&delete_group_msg_by_sender::Error::GroupNotFound)
    );
    let err = client
        .group_msg_get_simple(group_msg_get_simple::Request::new("@TGS#AV", 20))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&group_msg_get_simple::Error::PermissionDenied),
        "AVChatRoom keeps no history"
    );
}

#[tokio::test]
async fn topics_keep_their_own_messages() {
    let emu = emulator().await;
    let client = emu.client();
    client
        .create_group(
            create_group::Request::new(GroupType::Community, "Club")
                .group_id("@TGS#_CLUB")
                .owner_account("alice")
                .support_topic(true)
                .member_list([NewGroupMember::new("bob")]),
        )
        .await
        .unwrap();
    let topic = client
        .create_topic(create_topic::Request::new(create_topic::Required {
            group_id: "@TGS#_CLUB".into(),
            topic_name: "news".into(),
        }))
        .await
        .unwrap()
        .topic_id;

    let in_topic = client
        .send_group_msg(
            send_group_msg::Request::new("@TGS#_CLUB", [MsgElement::text("in the topic")])
                .from_account("bob")
                .topic_id(topic.clone()),
        )
        .await
        .unwrap();
    let in_group = client
        .send_group_msg(
            send_group_msg::Request::new("@TGS#_CLUB", [MsgElement::text("in the group")])
                .from_account("bob"),
        )
        .await
        .unwrap();
    assert_eq!(
        (in_topic.msg_seq, in_group.msg_seq),
        (1, 1),
        "each has its own sequence"
    );

    let topic_msgs = history(
        &client,
        group_msg_get_simple::Request::new("@TGS#_CLUB", 20).topic_id(topic.clone()),
    )
    .await;
    assert_eq!(topic_msgs.len(), 1);
    assert_eq!(
        topic_msgs[0].msg_body,
        vec![MsgElement::text("in the topic")]
    );
    let group_msgs = history(
        &client,
        group_msg_get_simple::Request::new("@TGS#_CLUB", 20),
    )
    .await;
    assert_eq!(group_msgs.len(), 1);
    assert_eq!(
        group_msgs[0].msg_body,
        vec![MsgElement::text("in the group")]
    );
    let alice = emu.inbox("alice");
    assert_eq!(alice.len(), 2);
    assert_eq!(alice[0].group_id.as_deref(), Some(topic.as_str()));

    let recalled = client
        .group_msg_recall(
            group_msg_recall::Request::new("@TGS#_CLUB", [MsgSeqItem::new(1)])
                .topic_id(topic.clone()),
        )
        .await
        .unwrap();
    assert_eq!(recalled.recall_ret_list[0].ret_code, 0);
    assert!(history(
        &client,
        group_msg_get_simple::Request::new("@TGS#_CLUB", 20).topic_id(topic)
    )
    .await
    .is_empty());
    assert_eq!(
        history(
            &client,
            group_msg_get_simple::Request::new("@TGS#_CLUB", 20)
        )
        .await
        .len(),
        1,
        "the group's message stays"
    );

    let err = client
        .send_group_msg(
            send_group_msg::Request::new("@TGS#_CLUB", [MsgElement::text("x")])
                .topic_id("@TGS#CLUB@TOPIC#_none"),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&send_group_msg::Error::GroupNotFound),
        "no such topic"
    );
}

#[tokio::test]
async fn group_read_receipts_count_and_list_readers() {
    let emu = emulator().await;
    let client = emu.client();
    let asked = client
        .send_group_msg(
            send_group_msg::Request::new(GROUP, [MsgElement::text("read me")])
                .from_account("alice")
                .need_read_receipt(true),
        )
        .await
        .unwrap()
        .msg_seq;
    let plain = send(&client, "alice", "no receipts").await;
    for reader in ["bob", "carol"] {
        client
            .group_msg_receipt(group_msg_receipt::Request::new(
                group_msg_receipt::Required {
                    group_id: GROUP.into(),
                    from_account: reader.into(),
                    msg_seq_list: vec![MsgSeqItem::new(asked), MsgSeqItem::new(plain)],
                },
            ))
            .await
            .unwrap();
    }

    let counts = client
        .get_group_msg_receipt(get_group_msg_receipt::Request::new(
            GROUP,
            [
                MsgSeqItem::new(asked),
                MsgSeqItem::new(plain),
                MsgSeqItem::new(999),
            ],
        ))
        .await
        .unwrap()
        .group_msg_receipt_list;
    let missing = get_group_msg_receipt::Error::ReadReceiptNotFound.code();
    type Count = (u64, Option<i64>, Option<u32>, Option<u32>);
    let got: Vec<Count> = counts
        .iter()
        .map(|c| (c.msg_seq, c.code, c.read_num, c.unread_num))
        .collect();
    assert_eq!(
        got,
        vec![
            (asked, Some(0), Some(2), Some(1)),
            (plain, Some(missing), None, None),
            (999, Some(missing), None, None),
        ]
    );

    // Readers one per page, then the one who has not read it.
    let mut readers = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = client
            .get_group_msg_receipt_detail(
                get_group_msg_receipt_detail::Request::new(
                    get_group_msg_receipt_detail::Required {
                        group_id: GROUP.into(),
                        filter: ReceiptMemberFilter::Read,
                        cursor: cursor.clone(),
                        count: 1,
                    },
                )
                .msg_seq(asked),
            )
            .await
            .unwrap();
        readers.extend(page.read_list.into_iter().map(|r| r.read_account));
        if page.is_finish == Some(true) {
            break;
        }
        cursor = page.cursor.unwrap();
    }
    assert_eq!(readers, ["bob", "carol"]);
    let unread = client
        .get_group_msg_receipt_detail(
            get_group_msg_receipt_detail::Request::new(get_group_msg_receipt_detail::Required {
                group_id: GROUP.into(),
                filter: ReceiptMemberFilter::Unread,
                cursor: String::new(),
                count: 100,
            })
            .msg_seq(asked),
        )
        .await
        .unwrap();
    let unread: Vec<String> = unread
        .unread_list
        .into_iter()
        .map(|r| r.unread_account)
        .collect();
    assert_eq!(unread, ["dave"]);

    let err = client
        .get_group_msg_receipt_detail(
            get_group_msg_receipt_detail::Request::new(get_group_msg_receipt_detail::Required {
                group_id: GROUP.into(),
                filter: ReceiptMemberFilter::Read,
                cursor: String::new(),
                count: 10,
            })
            .msg_seq(plain),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&get_group_msg_receipt_detail::Error::ReadReceiptNotFound)
    );
    let err = client
        .group_msg_receipt(group_msg_receipt::Request::new(
            group_msg_receipt::Required {
                group_id: GROUP.into(),
                from_account: "erin".into(),
                msg_seq_list: vec![MsgSeqItem::new(asked)],
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&group_msg_receipt::Error::PermissionDenied),
        "erin is not a member"
    );
    let err = client
        .get_group_msg_receipt(get_group_msg_receipt::Request::new(
            "@TGS#NONE",
            [MsgSeqItem::new(1)],
        ))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&get_group_msg_receipt::Error::GroupNotFound)
    );
}

#[tokio::test]
async fn group_extensions_version_conflict_and_clear() {
    let emu = emulator().await;
    let client = emu.client();
    let seq = client
        .send_group_msg(
            send_group_msg::Request::new(GROUP, [MsgElement::text("vote")])
                .from_account("alice")
                .support_message_extension(true),
        )
        .await
        .unwrap()
        .msg_seq;
    let plain = send(&client, "alice", "no extensions").await;
    let set = |op: MsgExtensionOperation, items: Vec<MsgExtensionItem>| {
        group_set_key_values::Request::new(GROUP, seq, op).extension_list(items)
    };
    let get = |start: Option<u64>| {
        let r = group_get_key_values::Request::new(GROUP, seq);
        match start {
            Some(s) => r.start_seq(s),
            None => r,
        }
    };

    let first = client
        .group_set_key_values(set(
            MsgExtensionOperation::Set,
            vec![item("k1", "v1").seq(0), item("k2", "v2").seq(0)],
        ))
        .await
        .unwrap();
    assert!(first.extension_list.iter().all(|r| r.error_code == 0));
    client
        .group_set_key_values(set(MsgExtensionOperation::Set, vec![item("k3", "v3")]))
        .await
        .unwrap();
    let all = client.group_get_key_values(get(None)).await.unwrap();
    assert_eq!(
        pairs(&all.extension_list),
        vec![
            text("k1", "v1", 1),
            text("k2", "v2", 1),
            text("k3", "v3", 2)
        ]
    );
    assert_eq!(
        (all.latest_seq, all.clear_seq, all.complete_flag),
        (Some(2), Some(0), Some(true))
    );
    let later = client.group_get_key_values(get(Some(2))).await.unwrap();
    assert_eq!(pairs(&later.extension_list), vec![text("k3", "v3", 2)]);

    // A stale Seq fails alone and shows the stored version; the current one wins.
    let stale = client
        .group_set_key_values(set(
            MsgExtensionOperation::Set,
            vec![item("k1", "new").seq(0), item("k2", "w2").seq(1)],
        ))
        .await
        .unwrap();
    let conflict = group_set_key_values::Error::MsgExtensionSeqConflict.code();
    assert_eq!(stale.extension_list[0].error_code, conflict);
    assert_eq!(
        pairs(
            &stale.extension_list[0]
                .extension
                .iter()
                .cloned()
                .collect::<Vec<_>>()
        ),
        vec![text("k1", "v1", 1)]
    );
    assert_eq!(stale.extension_list[1].error_code, 0);
    client
        .group_set_key_values(set(
            MsgExtensionOperation::Delete,
            vec![item("k3", "").seq(2)],
        ))
        .await
        .unwrap();
    let current = client.group_get_key_values(get(None)).await.unwrap();
    assert_eq!(
        pairs(&current.extension_list),
        vec![text("k1", "v1", 1), text("k2", "w2", 3)]
    );
    assert_eq!(current.latest_seq, Some(4));

    client
        .group_set_key_values(set(MsgExtensionOperation::Clear, Vec::new()))
        .await
        .unwrap();
    let cleared = client.group_get_key_values(get(None)).await.unwrap();
    assert!(cleared.extension_list.is_empty());
    assert_eq!((cleared.latest_seq, cleared.clear_seq), (Some(5), Some(5)));

    let err = client
        .group_set_key_values(
            group_set_key_values::Request::new(GROUP, plain, MsgExtensionOperation::Set)
                .extension_list([item("k", "v")]),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&group_set_key_values::Error::MsgExtensionNotSupported)
    );
    let err = client
        .group_get_key_values(group_get_key_values::Request::new(GROUP, 999))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&group_get_key_values::Error::MsgExtensionMsgNotFound)
    );
    let err = client
        .group_get_key_values(group_get_key_values::Request::new("@TGS#NONE", seq))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&group_get_key_values::Error::InvalidParameter)
    );
}

#[tokio::test]
async fn global_group_mute_refuses_group_sends() {
    let emu = emulator().await;
    let client = emu.client();
    client
        .setnospeaking(
            im_api::api::setnospeaking::Request::new("bob").group_msg_nospeaking_time(600),
        )
        .await
        .unwrap();
    let err = client
        .send_group_msg(
            send_group_msg::Request::new(GROUP, [MsgElement::text("x")]).from_account("bob"),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), Some(&send_group_msg::Error::SenderMuted));
    client
        .setnospeaking(im_api::api::setnospeaking::Request::new("bob").group_msg_nospeaking_time(0))
        .await
        .unwrap();
    send(&client, "bob", "free again").await;
}

#[tokio::test]
async fn c2c_read_receipts_and_extensions() {
    let emu = emulator().await;
    let client = emu.client();
    let asked = client
        .sendmsg(
            sendmsg::Request::new("bob", [MsgElement::text("read me")])
                .from_account("alice")
                .is_need_read_receipt(true)
                .support_message_extension(true),
        )
        .await
        .unwrap()
        .msg_key
        .unwrap();
    let plain = client
        .sendmsg(sendmsg::Request::new("bob", [MsgElement::text("plain")]).from_account("alice"))
        .await
        .unwrap()
        .msg_key
        .unwrap();
    let receipt = |key: &str| {
        C2cReceiptMsg::new(C2cReceiptMsgRequired {
            from_account: "alice".into(),
            to_account: "bob".into(),
            msg_key: key.into(),
        })
    };
    client
        .c2c_msg_read_receipt(c2c_msg_read_receipt::Request::new(
            c2c_msg_read_receipt::Required {
                operator_account: "bob".into(),
                peer_account: "alice".into(),
                c2c_msg_info: vec![receipt(&asked), receipt(&plain)],
            },
        ))
        .await
        .unwrap();
    let roam = client
        .admin_getroammsg(admin_getroammsg::Request::new(admin_getroammsg::Required {
            operator_account: "alice".into(),
            peer_account: "bob".into(),
            max_cnt: 20,
            min_time: 0,
            max_time: now() + 60,
        }))
        .await
        .unwrap();
    let read: Vec<(String, Option<bool>)> = roam
        .msg_list
        .iter()
        .map(|m| (m.msg_key.clone(), m.is_peer_read))
        .collect();
    assert_eq!(
        read,
        vec![(asked.clone(), Some(true)), (plain.clone(), Some(false))],
        "only the message that asked for receipts"
    );

    let err = client
        .c2c_msg_read_receipt(c2c_msg_read_receipt::Request::new(
            c2c_msg_read_receipt::Required {
                operator_account: "ghost".into(),
                peer_account: "alice".into(),
                c2c_msg_info: vec![receipt(&asked)],
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(PublicError::AccountNotImported.code()));
    let err = client
        .c2c_msg_read_receipt(c2c_msg_read_receipt::Request::new(
            c2c_msg_read_receipt::Required {
                operator_account: "alice".into(),
                peer_account: "bob".into(),
                c2c_msg_info: vec![receipt(&asked)],
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&c2c_msg_read_receipt::Error::InvalidRequestPacket),
        "the message goes the other way"
    );

    let set = |key: &str, items: Vec<MsgExtensionItem>| {
        set_key_values::Request::new(set_key_values::Required {
            to_account: "bob".into(),
            msg_key: key.into(),
            operate_type: MsgExtensionOperation::Set,
        })
        .from_account("alice")
        .extension_list(items)
    };
    let get = |key: &str| {
        get_key_values::Request::new(get_key_values::Required {
            to_account: "bob".into(),
            msg_key: key.into(),
        })
    };
    client
        .set_key_values(set(&asked, vec![item("likes", "1").seq(0)]))
        .await
        .unwrap();
    let stale = client
        .set_key_values(set(&asked, vec![item("likes", "2").seq(0)]))
        .await
        .unwrap();
    assert_eq!(
        stale.extension_list[0].error_code,
        set_key_values::Error::MsgExtensionSeqConflict.code()
    );
    client
        .set_key_values(set(&asked, vec![item("likes", "2").seq(1)]))
        .await
        .unwrap();
    let got = client.get_key_values(get(&asked)).await.unwrap();
    assert_eq!(pairs(&got.extension_list), vec![text("likes", "2", 2)]);
    assert_eq!(got.complete_flag, Some(true));

    let err = client
        .set_key_values(set(&plain, vec![item("likes", "1")]))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&set_key_values::Error::MsgExtensionNotSupported)
    );
    let err = client.get_key_values(get("1_2_3")).await.unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&get_key_values::Error::MsgExtensionMsgNotFound)
    );
}
