//! The emulator's conversation family (`recentcontact` and the group member
//! unread count), through the typed client: lists made by sends, deletion,
//! conversation groups, marks and pagers.

use std::collections::BTreeSet;

use im_api::api::{
    admin_getroammsg, batchsendmsg, create_contact_group, del_contact_group, delete,
    get_contact_group, get_group_member_info, get_list, importmsg, mark_contact,
    search_contact_group, send_group_msg, sendmsg, set_unread_msg_num, update_contact_group,
};
use im_api::emulator::Emulator;
use im_api::types::{
    ContactGroupUpdate, ContactGroupUpdateType, ContactItem, ContactMarkItem, ContactOptType,
    ContactUpdateItem, ContactUpdateType, ConversationType, GroupType, MarkOptType, MsgElement,
    NewContactGroup, SessionItem, SyncFromOldSystem,
};
use im_api::{Client, EndpointError};

const GROUP: &str = "@TGS#G1";

async fn emulator() -> Emulator {
    Emulator::builder()
        .accounts(["alice", "bob", "carol", "dave"])
        .group(GROUP, GroupType::Public, ["alice", "bob", "carol"])
        .group("@TGS#AV", GroupType::AvChatRoom, ["alice"])
        .start()
        .await
        .unwrap()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn list_request(owner: &str) -> get_list::Request {
    get_list::Request::new(get_list::Required {
        from_account: owner.into(),
        time_stamp: 0,
        start_index: 0,
        top_time_stamp: 0,
        top_start_index: 0,
        assist_flags: 63,
    })
}

/// Every conversation of `owner`, through the pager.
async fn conversations(client: &Client, owner: &str) -> Vec<SessionItem> {
    client.pages(list_request(owner)).all_items().await.unwrap()
}

/// The peer or group of each conversation.
fn peers(items: &[SessionItem]) -> BTreeSet<String> {
    items
        .iter()
        .map(|s| s.to_account.clone().or_else(|| s.group_id.clone()).unwrap())
        .collect()
}

fn c2c(peer: &str) -> ContactItem {
    ContactItem::new(ConversationType::C2c).to_account(peer)
}

fn group(id: &str) -> ContactItem {
    ContactItem::new(ConversationType::Group).to_group_id(id)
}

async fn send(client: &Client, from: &str, to: &str, text: &str) {
    client
        .sendmsg(sendmsg::Request::new(to, [MsgElement::text(text)]).from_account(from))
        .await
        .unwrap();
}

async fn send_to_group(client: &Client, from: &str, random: u32) {
    client
        .send_group_msg(
            send_group_msg::Request::new(GROUP, [MsgElement::text("hello")])
                .from_account(from)
                .random(random),
        )
        .await
        .unwrap();
}

/// Messages `operator` still sees with `peer`.
async fn history(client: &Client, operator: &str, peer: &str) -> usize {
    let resp = client
        .admin_getroammsg(admin_getroammsg::Request::new(admin_getroammsg::Required {
            operator_account: operator.into(),
            peer_account: peer.into(),
            max_cnt: 100,
            min_time: 0,
            max_time: now() + 3600,
        }))
        .await
        .unwrap();
    resp.msg_list.len()
}

#[tokio::test]
async fn sends_make_conversations_and_deletes_remove_them() {
    let emu = emulator().await;
    let client = emu.client();
    send(&client, "alice", "bob", "one").await;
    send(&client, "alice", "bob", "two").await;
    send(&client, "carol", "alice", "three").await;
    send_to_group(&client, "bob", 1).await;

    let list = conversations(&client, "alice").await;
    assert_eq!(
        peers(&list),
        BTreeSet::from(["bob".into(), "carol".into(), GROUP.to_owned()])
    );
    assert!(list
        .iter()
        .all(|s| s.top_flag == Some(false) && s.msg_time.is_some()));
    let kinds: Vec<(bool, bool)> = list
        .iter()
        .map(|s| (s.r#type == ConversationType::C2c, s.to_account.is_some()))
        .collect();
    assert!(kinds.iter().all(|(c2c, named)| c2c == named));
    assert!(peers(&conversations(&client, "carol").await).contains("alice"));
    // The sender of a group message lists the group too.
    assert!(peers(&conversations(&client, "bob").await).contains(GROUP));

    // Deleting with ClearRamble hides the one-to-one history for the owner only.
    assert_eq!(history(&client, "alice", "bob").await, 2);
    client
        .delete(
            delete::Request::new("alice", ConversationType::C2c)
                .to_account("bob")
                .clear_ramble(true),
        )
        .await
        .unwrap();
    client
        .delete(delete::Request::new("alice", ConversationType::Group).to_groupid(GROUP))
        .await
        .unwrap();
    assert_eq!(
        peers(&conversations(&client, "alice").await),
        BTreeSet::from(["carol".to_owned()])
    );
    assert_eq!(history(&client, "alice", "bob").await, 0);
    assert_eq!(history(&client, "bob", "alice").await, 2);
    assert!(peers(&conversations(&client, "bob").await).contains("alice"));

    // Without ClearRamble the history stays.
    client
        .delete(delete::Request::new("alice", ConversationType::C2c).to_account("carol"))
        .await
        .unwrap();
    assert_eq!(history(&client, "alice", "carol").await, 1);
    // A new message brings the conversation back.
    send(&client, "bob", "alice", "four").await;
    assert_eq!(
        peers(&conversations(&client, "alice").await),
        BTreeSet::from(["bob".to_owned()])
    );

    let err = client
        .delete(delete::Request::new("alice", ConversationType::C2c))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&delete::Error::ConversationInvalidParameter)
    );
    let err = client.get_list(list_request("ghost")).await.unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&get_list::Error::ConversationAccountNotImported)
    );
}

#[tokio::test]
async fn conversation_pager_walks_every_page_newest_first() {
    let targets: Vec<String> = (0..150).map(|i| format!("p{i:03}")).collect();
    let older: Vec<String> = (0..5).map(|i| format!("q{i}")).collect();
    let emu = Emulator::builder()
        .accounts(["alice"])
        .accounts(targets.clone())
        .accounts(older.clone())
        .start()
        .await
        .unwrap();
    let client = emu.client();
    client
        .batchsendmsg(
            batchsendmsg::Request::new(targets.clone(), [MsgElement::text("hi")])
                .from_account("alice"),
        )
        .await
        .unwrap();
    for (i, from) in older.iter().enumerate() {
        client
            .importmsg(importmsg::Request::new(importmsg::Required {
                sync_from_old_system: SyncFromOldSystem::History,
                from_account: from.clone(),
                to_account: "alice".into(),
                msg_time_stamp: now() - 1000 * (i as i64 + 1),
                msg_body: vec![MsgElement::text("old")],
            }))
            .await
            .unwrap();
    }
    let mut pages = client.pages(list_request("alice"));
    let mut all = Vec::new();
    while let Some(page) = pages.next_page().await {
        let page = page.unwrap();
        assert!(page.session_item.len() <= 100);
        all.extend(page.session_item);
    }
    assert_eq!(pages.pages_fetched(), 2);
    assert_eq!(all.len(), 155);
    let expected: BTreeSet<String> = targets.iter().chain(&older).cloned().collect();
    assert_eq!(peers(&all), expected, "every conversation once");
    let times: Vec<i64> = all.iter().map(|s| s.msg_time.unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");
    let tail: Vec<&str> = all[150..]
        .iter()
        .map(|s| s.to_account.as_deref().unwrap())
        .collect();
    assert_eq!(tail, ["q0", "q1", "q2", "q3", "q4"]);
}

async fn create(
    client: &Client,
    name: &str,
    items: Vec<ContactItem>,
) -> create_contact_group::Response {
    client
        .create_contact_group(create_contact_group::Request::new(
            "alice",
            [NewContactGroup::new(name, items)],
        ))
        .await
        .unwrap()
}

async fn update(client: &Client, change: ContactGroupUpdate) -> update_contact_group::Result {
    client
        .update_contact_group(update_contact_group::Request::new(
            "alice",
            ContactUpdateType::Group,
            change,
        ))
        .await
}

/// alice talked with bob and carol; groups "friends" (bob, the group) and
/// "work" (carol).
async fn contacts_setup() -> (Emulator, Client) {
    let emu = emulator().await;
    let client = emu.client();
    send(&client, "alice", "bob", "hi").await;
    send(&client, "alice", "carol", "hi").await;
    let friends = create(
        &client,
        "friends",
        vec![c2c("bob"), group(GROUP), group("@TGS#NOPE")],
    )
    .await;
    let result = &friends.group_result_item[0];
    assert_eq!(
        (
            result.group_item.group_name.as_str(),
            result.group_item.group_id
        ),
        ("friends", 1)
    );
    let codes: Vec<i64> = result.result_item.iter().map(|r| r.result_code).collect();
    let gone = create_contact_group::Error::ContactGroupIdResolveFailed.code();
    assert_eq!(codes, [0, 0, gone], "the third group does not exist");
    let work = create(&client, "work", vec![c2c("carol")]).await;
    assert_eq!(work.group_result_item[0].group_item.group_id, 2);
    (emu, client)
}

#[tokio::test]
async fn contact_groups_are_created_renamed_and_regrouped() {
    let (_emu, client) = contacts_setup().await;
    let err = client
        .create_contact_group(create_contact_group::Request::new(
            "alice",
            [NewContactGroup::new("work", [c2c("bob")])],
        ))
        .await
        .unwrap_err();
    use create_contact_group::Error as E;
    assert_eq!(
        err.kind(),
        Some(&E::ConversationInvalidParameter),
        "the name is taken"
    );

    let rename = ContactGroupUpdate::new(ContactGroupUpdateType::Rename)
        .old_group_name("work")
        .new_group_name("office");
    let r = update(&client, rename)
        .await
        .unwrap()
        .update_group_result
        .unwrap();
    assert_eq!(r.group_name.as_deref(), Some("office"));
    assert_eq!(r.old_group_name.as_deref(), Some("work"));
    assert_eq!(r.group_id, Some(2));
    let regroup = ContactGroupUpdate::new(ContactGroupUpdateType::Conversations)
        .old_group_name("office")
        .contact_update_item([
            ContactUpdateItem::new(ContactOptType::Add, c2c("bob")),
            ContactUpdateItem::new(ContactOptType::Remove, c2c("carol")),
        ]);
    let r = update(&client, regroup)
        .await
        .unwrap()
        .update_group_result
        .unwrap();
    let codes: Vec<i64> = r
        .contact_result_item
        .iter()
        .map(|c| c.result_code)
        .collect();
    assert_eq!(codes, [0, 0]);
    let unknown = ContactGroupUpdate::new(ContactGroupUpdateType::Rename)
        .old_group_name("nope")
        .new_group_name("x");
    let err = update(&client, unknown).await.unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&update_contact_group::Error::ContactGroupNotFound)
    );

    let found = client
        .search_contact_group(search_contact_group::Request::new(
            "alice",
            [c2c("bob"), c2c("carol"), group(GROUP)],
        ))
        .await
        .unwrap();
    let ids: Vec<(Option<&str>, Vec<u32>)> = found
        .contact_result_item
        .iter()
        .map(|c| (c.to_account.as_deref(), c.contact_group_id.clone()))
        .collect();
    assert_eq!(
        ids,
        [(Some("bob"), vec![1, 2]), (None, vec![1])],
        "carol has no group left"
    );
    let groups: Vec<(String, u32)> = found
        .group_item
        .iter()
        .map(|g| (g.group_name.clone(), g.group_id))
        .collect();
    assert_eq!(
        groups,
        [("friends".to_owned(), 1), ("office".to_owned(), 2)]
    );
    let list = conversations(&client, "alice").await;
    let bob = list
        .iter()
        .find(|s| s.to_account.as_deref() == Some("bob"))
        .unwrap();
    assert_eq!(bob.contact_group_id, [1, 2]);
}

#[tokio::test]
async fn marks_are_set_cleared_and_shown_everywhere() {
    let (_emu, client) = contacts_setup().await;
    let marked = client
        .mark_contact(mark_contact::Request::new(
            "alice",
            [
                ContactMarkItem::new(MarkOptType::Standard, c2c("bob")).set_mark([1, 2, 3]),
                ContactMarkItem::new(MarkOptType::Custom, c2c("carol")).custom_mark("vip"),
                ContactMarkItem::new(MarkOptType::Both, group(GROUP))
                    .set_mark([4])
                    .custom_mark("team"),
                ContactMarkItem::new(MarkOptType::Standard, c2c("dave")).set_mark([65]),
            ],
        ))
        .await
        .unwrap();
    let codes: Vec<i64> = marked.result_item.iter().map(|r| r.result_code).collect();
    let invalid = mark_contact::Error::ConversationInvalidParameter.code();
    assert_eq!(codes, [0, 0, 0, invalid], "bit 65 does not exist");
    client
        .mark_contact(mark_contact::Request::new(
            "alice",
            [ContactMarkItem::new(MarkOptType::Standard, c2c("bob")).clear_mark([1])],
        ))
        .await
        .unwrap();

    let found = client
        .search_contact_group(search_contact_group::Request::new(
            "alice",
            [c2c("bob"), c2c("carol"), c2c("dave"), group(GROUP)],
        ))
        .await
        .unwrap();
    let marks: Vec<(Option<&str>, Option<&str>)> = found
        .contact_result_item
        .iter()
        .map(|c| (c.standard_mark.as_deref(), c.custom_mark.as_deref()))
        .collect();
    assert_eq!(
        marks,
        [
            (Some("110"), None),
            (None, Some("vip")),
            (Some("1000"), Some("team"))
        ]
    );

    let list = conversations(&client, "alice").await;
    let bob = list
        .iter()
        .find(|s| s.to_account.as_deref() == Some("bob"))
        .unwrap();
    assert_eq!(bob.standard_mark.as_deref(), Some("110"));
    let carol = list
        .iter()
        .find(|s| s.to_account.as_deref() == Some("carol"))
        .unwrap();
    assert_eq!(carol.custom_mark.as_deref(), Some("vip"));
    let everything = client
        .pages(get_contact_group::Request::new("alice", 0))
        .all_items()
        .await
        .unwrap();
    assert_eq!(everything.len(), 3, "bob, carol and the group");
}

#[tokio::test]
async fn deleted_groups_leave_their_conversations_and_20_is_the_limit() {
    let (_emu, client) = contacts_setup().await;
    client
        .mark_contact(mark_contact::Request::new(
            "alice",
            [ContactMarkItem::new(MarkOptType::Custom, group(GROUP)).custom_mark("team")],
        ))
        .await
        .unwrap();
    let deleted = client
        .del_contact_group(del_contact_group::Request::new("alice", ["friends"]))
        .await
        .unwrap();
    assert_eq!(deleted.group_item[0].group_id, 1);
    let found = client
        .search_contact_group(search_contact_group::Request::new(
            "alice",
            [c2c("bob"), group(GROUP)],
        ))
        .await
        .unwrap();
    assert_eq!(found.contact_result_item.len(), 1, "bob had only the group");
    assert_eq!(
        found.contact_result_item[0].custom_mark.as_deref(),
        Some("team")
    );
    assert!(found.contact_result_item[0].contact_group_id.is_empty());
    let err = client
        .del_contact_group(del_contact_group::Request::new("alice", ["friends"]))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&del_contact_group::Error::ContactGroupNotFound)
    );

    // At most 20 groups: work and 19 more.
    for i in 0..19 {
        create(&client, &format!("g{i}"), vec![c2c("bob")]).await;
    }
    let err = client
        .create_contact_group(create_contact_group::Request::new(
            "alice",
            [NewContactGroup::new("g19", [c2c("bob")])],
        ))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&create_contact_group::Error::ContactGroupLimit)
    );
}

#[tokio::test]
async fn marked_conversations_page_and_stop_at_1000() {
    let emu = emulator().await;
    let client = emu.client();
    let peers: Vec<String> = (0..1001).map(|i| format!("p{i:04}")).collect();
    for chunk in peers[..1000].chunks(100) {
        let items = chunk
            .iter()
            .map(|p| ContactMarkItem::new(MarkOptType::Custom, c2c(p)).custom_mark("m"));
        let resp = client
            .mark_contact(mark_contact::Request::new("alice", items))
            .await
            .unwrap();
        assert!(resp.result_item.iter().all(|r| r.result_code == 0));
    }
    let resp = client
        .mark_contact(mark_contact::Request::new(
            "alice",
            [ContactMarkItem::new(MarkOptType::Custom, c2c(&peers[1000])).custom_mark("m")],
        ))
        .await
        .unwrap();
    assert_eq!(
        resp.result_item[0].result_code,
        mark_contact::Error::ContactGroupConversationLimit.code()
    );
    let mut pages = client.pages(get_contact_group::Request::new("alice", 0));
    let mut seen = Vec::new();
    while let Some(page) = pages.next_page().await {
        seen.extend(
            page.unwrap()
                .contact_item
                .into_iter()
                .map(|c| c.to_account.unwrap()),
        );
    }
    assert_eq!(pages.pages_fetched(), 10);
    assert_eq!(seen, peers[..1000]);
}

#[tokio::test]
async fn member_unread_counts_are_set_within_the_group_history() {
    let emu = emulator().await;
    let client = emu.client();
    for random in 1..=3 {
        send_to_group(&client, "bob", random).await;
    }
    let read_position = |account: &'static str| {
        let client = client.clone();
        async move {
            client
                .get_group_member_info(get_group_member_info::Request::new(GROUP))
                .await
                .unwrap()
                .member_list
                .into_iter()
                .find(|m| m.member_account == account)
                .unwrap()
                .msg_seq
        }
    };
    let set = |account: &'static str, group: &'static str, n: u32| {
        let client = client.clone();
        async move {
            client
                .set_unread_msg_num(set_unread_msg_num::Request::new(
                    set_unread_msg_num::Required {
                        group_id: group.into(),
                        member_account: account.into(),
                        unread_msg_num: n,
                    },
                ))
                .await
        }
    };
    set("alice", GROUP, 2).await.unwrap();
    assert_eq!(
        read_position("alice").await,
        Some(1),
        "3 messages, 2 unread"
    );
    set("alice", GROUP, 10).await.unwrap();
    assert_eq!(
        read_position("alice").await,
        Some(0),
        "capped at the group's messages"
    );
    set("alice", "@TGS#AV", 5).await.unwrap();
    use set_unread_msg_num::Error as E;
    assert_eq!(
        set("alice", "@TGS#NONE", 1).await.unwrap_err().kind(),
        Some(&E::GroupNotFound)
    );
    assert_eq!(
        set("dave", GROUP, 1).await.unwrap_err().kind(),
        Some(&E::InvalidParameter)
    );
}
