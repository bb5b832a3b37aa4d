//! The emulator's group extras (`group_more.toml`, `community.toml`):
//! AVChatRoom members, marks, admins and bans; group attributes and
//! counters; Community topics. Writes are read back through the typed
//! client, and the documented codes come back for wrong groups.

use im_api::api::{
    account_import, ban_group_member, check_members, clear_group_attr, create_group, create_topic,
    delete_group_attr, delete_group_counter, destroy_topic, forbid_send_msg, get_admin_list,
    get_group_attr, get_group_ban_member, get_group_counter, get_group_info,
    get_group_muted_account, get_members, get_online_member_num, get_topic, import_topic,
    modify_admin, modify_group_attr, modify_topic, modify_user_info, set_group_attr,
    unban_group_member, update_group_counter,
};
use im_api::emulator::Emulator;
use im_api::types::{
    AvChatRoomCommand, GroupAttr, GroupAttrKey, GroupAttrRequired, GroupCounterItem,
    GroupCounterMode, GroupType, KeyValue, KeyValueRequired, MemberMarks, NewGroupMember, OnOff,
};
use im_api::{Client, EndpointError as _};

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn attr(key: &str, value: &str) -> GroupAttr {
    GroupAttr::new(GroupAttrRequired {
        key: key.into(),
        value: value.into(),
    })
}

fn counter(key: &str, value: i64) -> GroupCounterItem {
    GroupCounterItem::new(key, value)
}

async fn emulator() -> Emulator {
    Emulator::builder()
        .accounts(["alice", "bob", "carol", "dave", "erin"])
        .group(
            "@TGS#LIVE",
            GroupType::AvChatRoom,
            ["alice", "bob", "carol"],
        )
        .group("@TGS#PUB", GroupType::Public, ["alice", "bob"])
        .start()
        .await
        .unwrap()
}

fn names<T>(items: &[T], name: impl Fn(&T) -> &str) -> Vec<&str> {
    items.iter().map(name).collect()
}

#[tokio::test]
async fn avchatroom_online_members_and_marks() {
    let emu = emulator().await;
    let client = emu.client();
    client
        .account_import(account_import::Request::new("alice").nick("Alice"))
        .await
        .unwrap();
    let online = client
        .get_online_member_num(get_online_member_num::Request::new("@TGS#LIVE"))
        .await
        .unwrap();
    assert_eq!(online.online_member_num, 3);
    let err = client
        .get_online_member_num(get_online_member_num::Request::new("@TGS#PUB"))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&get_online_member_num::Error::PermissionDenied)
    );

    let page = client
        .get_members(get_members::Request::new("@TGS#LIVE", 0))
        .await
        .unwrap();
    assert_eq!(
        names(&page.member_list, |m| m.member_account.as_str()),
        ["carol", "bob", "alice"]
    );
    assert_eq!(page.member_list[2].nick_name.as_deref(), Some("Alice"));
    assert_eq!(page.next_timestamp, Some(0));

    let marked = client
        .modify_user_info(modify_user_info::Request::new(
            "@TGS#LIVE",
            AvChatRoomCommand::Set,
            [
                MemberMarks::new("alice", [1001]),
                MemberMarks::new("dave", [1001]),
                MemberMarks::new("bob", [600]),
            ],
        ))
        .await
        .unwrap();
    assert_eq!(
        names(&marked.member_list, |m| m.member_account.as_str()),
        ["alice", "bob"],
        "dave is not in the room"
    );
    let with_mark = client
        .get_members(get_members::Request::new("@TGS#LIVE", 0).mark(1001))
        .await
        .unwrap();
    assert_eq!(
        names(&with_mark.member_list, |m| m.member_account.as_str()),
        ["alice"]
    );
    let visible = client
        .get_members(get_members::Request::new("@TGS#LIVE", 0))
        .await
        .unwrap();
    assert_eq!(
        names(&visible.member_list, |m| m.member_account.as_str()),
        ["carol", "alice"],
        "600 hides bob"
    );
    client
        .modify_user_info(modify_user_info::Request::new(
            "@TGS#LIVE",
            AvChatRoomCommand::Unset,
            [MemberMarks::new("bob", [600])],
        ))
        .await
        .unwrap();
    let visible = client
        .get_members(get_members::Request::new("@TGS#LIVE", 0))
        .await
        .unwrap();
    assert_eq!(visible.member_list.len(), 3);
    let err = client
        .modify_user_info(modify_user_info::Request::new(
            "@TGS#LIVE",
            AvChatRoomCommand::Set,
            [MemberMarks::new("alice", [5])],
        ))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), Some(&modify_user_info::Error::InvalidParameter));
}

#[tokio::test]
async fn avchatroom_admins_and_membership_checks() {
    let emu = emulator().await;
    let client = emu.client();
    client
        .account_import(account_import::Request::new("alice").nick("Alice"))
        .await
        .unwrap();
    client
        .modify_admin(modify_admin::Request::new(
            "@TGS#LIVE",
            AvChatRoomCommand::Set,
            ["dave", "alice"],
        ))
        .await
        .unwrap();
    let admins = client
        .get_admin_list(get_admin_list::Request::new("@TGS#LIVE"))
        .await
        .unwrap();
    assert_eq!(
        names(&admins.admin_list, |a| a.admin_account.as_str()),
        ["dave", "alice"]
    );
    assert_eq!(admins.admin_list[1].nick_name.as_deref(), Some("Alice"));
    let err = client
        .modify_admin(modify_admin::Request::new(
            "@TGS#LIVE",
            AvChatRoomCommand::Set,
            ["bob", "carol", "erin", "ghost"],
        ))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&modify_admin::Error::InvalidParameter),
        "ghost is not imported"
    );
    client
        .modify_admin(modify_admin::Request::new(
            "@TGS#LIVE",
            AvChatRoomCommand::Unset,
            ["dave"],
        ))
        .await
        .unwrap();
    let admins = client
        .get_admin_list(get_admin_list::Request::new("@TGS#LIVE"))
        .await
        .unwrap();
    assert_eq!(
        names(&admins.admin_list, |a| a.admin_account.as_str()),
        ["alice"]
    );

    let present = client
        .check_members(check_members::Request::new(
            "@TGS#LIVE",
            ["alice", "dave", "carol"],
        ))
        .await
        .unwrap();
    assert_eq!(present.member_account, ["alice", "carol"]);
    let err = client
        .check_members(check_members::Request::new("@TGS#GONE", ["alice"]))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), Some(&check_members::Error::GroupNotFound));
}

#[tokio::test]
async fn avchatroom_member_pages_list_the_latest_thousand() {
    let members: Vec<String> = (0..1200).map(|i| format!("u{i:04}")).collect();
    let emu = Emulator::builder()
        .group("@TGS#BIG", GroupType::AvChatRoom, members)
        .start()
        .await
        .unwrap();
    let client = emu.client();
    let mut pages = client.pages(get_members::Request::new("@TGS#BIG", 0));
    let mut all = Vec::new();
    while let Some(page) = pages.next_page().await {
        all.extend(page.unwrap().member_list);
    }
    assert_eq!(pages.pages_fetched(), 2, "500 members per page");
    assert_eq!(all.len(), 1000);
    assert_eq!(all[0].member_account, "u1199", "newest first");
    assert_eq!(all[999].member_account, "u0200");
}

#[tokio::test]
async fn bans_remove_members_and_page() {
    let emu = emulator().await;
    let client = emu.client();
    client
        .ban_group_member(ban_group_member::Request::new(
            "@TGS#LIVE",
            ["bob", "carol", "dave"],
            3600,
        ))
        .await
        .unwrap();
    let all = client
        .pages(get_group_ban_member::Request::new("@TGS#LIVE", 0).limit(2))
        .all_items()
        .await
        .unwrap();
    assert_eq!(
        names(&all, |b| b.member_account.as_str()),
        ["bob", "carol", "dave"]
    );
    let until = all[0].banned_until.unwrap();
    assert!((now() + 3590..=now() + 3610).contains(&until));
    let present = client
        .check_members(check_members::Request::new("@TGS#LIVE", ["alice", "bob"]))
        .await
        .unwrap();
    assert_eq!(
        present.member_account,
        ["alice"],
        "a ban removes the member"
    );

    client
        .unban_group_member(unban_group_member::Request::new("@TGS#LIVE", ["bob"]))
        .await
        .unwrap();
    let page = client
        .get_group_ban_member(get_group_ban_member::Request::new("@TGS#LIVE", 0))
        .await
        .unwrap();
    assert_eq!(
        names(&page.banned_account_list, |b| b.member_account.as_str()),
        ["carol", "dave"]
    );
    assert_eq!(page.next_offset, Some(0));

    let err = client
        .ban_group_member(ban_group_member::Request::new("@TGS#PUB", ["bob"], 60))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), Some(&ban_group_member::Error::PermissionDenied));
    let err = client
        .ban_group_member(ban_group_member::Request::new("@TGS#GONE", ["bob"], 60))
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Some(get_group_info::Error::GroupNotFound.code())
    );
}

#[tokio::test]
async fn attributes_merge_replace_and_delete() {
    let emu = Emulator::builder()
        .accounts(["alice"])
        .group("@TGS#PUB", GroupType::Public, ["alice"])
        .rate_limits(false)
        .start()
        .await
        .unwrap();
    let client = emu.client();
    let read = |client: &Client| {
        let client = client.clone();
        async move {
            let got = client
                .get_group_attr(get_group_attr::Request::new("@TGS#PUB"))
                .await
                .unwrap();
            got.group_attr_ary
                .into_iter()
                .map(|a| (a.key, a.value))
                .collect::<Vec<_>>()
        }
    };
    let pair = |k: &str, v: &str| (k.to_owned(), v.to_owned());
    assert!(read(&client).await.is_empty());
    client
        .modify_group_attr(modify_group_attr::Request::new(
            "@TGS#PUB",
            [attr("a", "1"), attr("b", "2")],
        ))
        .await
        .unwrap();
    client
        .modify_group_attr(modify_group_attr::Request::new(
            "@TGS#PUB",
            [attr("b", "3")],
        ))
        .await
        .unwrap();
    assert_eq!(read(&client).await, [pair("a", "1"), pair("b", "3")]);
    client
        .set_group_attr(set_group_attr::Request::new("@TGS#PUB", [attr("c", "4")]))
        .await
        .unwrap();
    assert_eq!(read(&client).await, [pair("c", "4")]);
    let err = client
        .delete_group_attr(delete_group_attr::Request::new(
            "@TGS#PUB",
            [GroupAttrKey::new("zz")],
        ))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&delete_group_attr::Error::GroupAttrNotFound)
    );
    client
        .delete_group_attr(delete_group_attr::Request::new(
            "@TGS#PUB",
            [GroupAttrKey::new("c")],
        ))
        .await
        .unwrap();
    assert!(read(&client).await.is_empty());

    let sixteen: Vec<GroupAttr> = (0..16).map(|i| attr(&format!("k{i}"), "v")).collect();
    client
        .modify_group_attr(modify_group_attr::Request::new("@TGS#PUB", sixteen))
        .await
        .unwrap();
    let err = client
        .modify_group_attr(modify_group_attr::Request::new(
            "@TGS#PUB",
            [attr("k16", "v")],
        ))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&modify_group_attr::Error::TooManyGroupAttrKeys)
    );
    let big = "x".repeat(4000);
    let err = client
        .set_group_attr(set_group_attr::Request::new(
            "@TGS#PUB",
            (0..5).map(|i| attr(&format!("big{i}"), &big)),
        ))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&set_group_attr::Error::GroupAttrValuesTooLarge)
    );
    assert_eq!(
        read(&client).await.len(),
        16,
        "a refused write changes nothing"
    );
    client
        .clear_group_attr(clear_group_attr::Request::new("@TGS#PUB"))
        .await
        .unwrap();
    assert!(read(&client).await.is_empty());

    let err = client
        .get_group_attr(get_group_attr::Request::new("@TGS#GONE"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), Some(&get_group_attr::Error::GroupNotFound));
}

#[tokio::test]
async fn community_attributes_can_be_set_but_not_modified() {
    let emu = emulator().await;
    let client = emu.client();
    let id = client
        .create_group(
            create_group::Request::new(GroupType::Community, "Club").owner_account("alice"),
        )
        .await
        .unwrap()
        .group_id;
    let err = client
        .modify_group_attr(modify_group_attr::Request::new(&id, [attr("a", "1")]))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&modify_group_attr::Error::PermissionDenied)
    );
    let err = client
        .clear_group_attr(clear_group_attr::Request::new(&id))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), Some(&clear_group_attr::Error::PermissionDenied));
    client
        .set_group_attr(set_group_attr::Request::new(&id, [attr("a", "1")]))
        .await
        .unwrap();
    let got = client
        .get_group_attr(get_group_attr::Request::new(&id))
        .await
        .unwrap();
    assert_eq!(got.group_attr_ary, [attr("a", "1")]);
}

#[tokio::test]
async fn attribute_writes_share_five_per_second_per_group() {
    let emu = emulator().await;
    let bare = emu
        .client_builder()
        .retry_policy(im_api::RetryPolicy::none())
        .no_rate_limit()
        .build()
        .unwrap();
    let mut limited = 0;
    for i in 0..20 {
        let req = modify_group_attr::Request::new("@TGS#PUB", [attr("n", &i.to_string())]);
        if let Err(e) = bare.modify_group_attr(req).await {
            assert_eq!(
                e.kind(),
                Some(&modify_group_attr::Error::GroupAttrWriteFrequencyLimit)
            );
            limited += 1;
        }
    }
    assert!(limited > 0, "20 writes at once exceed 5/s");
    bare.set_group_attr(set_group_attr::Request::new("@TGS#LIVE", [attr("n", "1")]))
        .await
        .expect("another group has its own pace");
}

#[tokio::test]
async fn counters_set_increase_decrease_and_delete() {
    let emu = emulator().await;
    let client = emu.client();
    let update = |items: Vec<GroupCounterItem>, mode: Option<GroupCounterMode>| {
        let req = update_group_counter::Request::new("@TGS#PUB", items);
        match mode {
            Some(m) => req.mode(m),
            None => req,
        }
    };
    let up = client
        .update_group_counter(update(
            vec![counter("likes", 5)],
            Some(GroupCounterMode::Increase),
        ))
        .await
        .unwrap();
    assert_eq!(up.group_counter, [counter("likes", 5)]);
    client
        .update_group_counter(update(
            vec![counter("likes", 3)],
            Some(GroupCounterMode::Increase),
        ))
        .await
        .unwrap();
    let down = client
        .update_group_counter(update(
            vec![counter("likes", 10)],
            Some(GroupCounterMode::Decrease),
        ))
        .await
        .unwrap();
    assert_eq!(down.group_counter, [counter("likes", -2)]);
    client
        .update_group_counter(update(vec![counter("views", 100)], None))
        .await
        .unwrap();

    let all = client
        .get_group_counter(get_group_counter::Request::new("@TGS#PUB"))
        .await
        .unwrap();
    assert_eq!(
        all.group_counter,
        [counter("likes", -2), counter("views", 100)]
    );
    let one = client
        .get_group_counter(
            get_group_counter::Request::new("@TGS#PUB").group_counter_keys(["views"]),
        )
        .await
        .unwrap();
    assert_eq!(one.group_counter, [counter("views", 100)]);
    client
        .delete_group_counter(
            delete_group_counter::Request::new("@TGS#PUB").group_counter_keys(["likes"]),
        )
        .await
        .unwrap();
    let left = client
        .get_group_counter(get_group_counter::Request::new("@TGS#PUB"))
        .await
        .unwrap();
    assert_eq!(left.group_counter, [counter("views", 100)]);

    let twenty: Vec<GroupCounterItem> = (0..19).map(|i| counter(&format!("c{i}"), i)).collect();
    client
        .update_group_counter(update(twenty, Some(GroupCounterMode::Set)))
        .await
        .unwrap();
    let err = client
        .update_group_counter(update(vec![counter("one-too-many", 1)], None))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&update_group_counter::Error::TooManyGroupCounterKeys)
    );
    client
        .delete_group_counter(delete_group_counter::Request::new("@TGS#PUB"))
        .await
        .unwrap();
    let none = client
        .get_group_counter(get_group_counter::Request::new("@TGS#PUB"))
        .await
        .unwrap();
    assert!(none.group_counter.is_empty());

    let err = client
        .get_group_counter(get_group_counter::Request::new("@TGS#GONE"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), Some(&get_group_counter::Error::GroupNotFound));
}

/// A topic-enabled Community group of alice (owner) and bob.
async fn club(client: &Client) -> String {
    client
        .create_group(
            create_group::Request::new(GroupType::Community, "Club")
                .owner_account("alice")
                .member_list([NewGroupMember::new("bob")])
                .support_topic(true),
        )
        .await
        .unwrap()
        .group_id
}

/// The topic `<gid>@TOPIC#_news`, created by alice.
async fn news_topic(client: &Client, gid: &str) -> String {
    let news = format!("{gid}@TOPIC#_news");
    let created = client
        .create_topic(
            create_topic::Request::new(create_topic::Required {
                group_id: gid.into(),
                topic_name: "News".into(),
            })
            .topic_id(&news)
            .from_account("alice")
            .notification("read me")
            .topic_defined_data([KeyValue::new(KeyValueRequired {
                key: "k".into(),
                value: "v".into(),
            })]),
        )
        .await
        .unwrap();
    assert_eq!(created.topic_id, news);
    news
}

/// get_topic of `ids` (all when empty) as seen by bob.
fn topic_query(gid: &str, ids: Vec<String>) -> get_topic::Request {
    get_topic::Request::new(get_topic::Required {
        group_id: gid.into(),
        from_account: "bob".into(),
    })
    .topic_id_list(ids)
}

#[tokio::test]
async fn topics_are_created_read_and_modified() {
    let emu = emulator().await;
    let client = emu.client();
    let gid = club(&client).await;
    let news = news_topic(&client, &gid).await;
    let chat = client
        .create_topic(create_topic::Request::new(create_topic::Required {
            group_id: gid.clone(),
            topic_name: "Chat".into(),
        }))
        .await
        .unwrap()
        .topic_id;
    assert!(chat.starts_with(&format!("{gid}@TOPIC#_")), "{chat}");
    let err = client
        .create_topic(
            create_topic::Request::new(create_topic::Required {
                group_id: gid.clone(),
                topic_name: "Again".into(),
            })
            .topic_id(&news),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), Some(&create_topic::Error::GroupIdUsedBefore));

    let all = client
        .get_topic(topic_query(&gid, Vec::new()))
        .await
        .unwrap();
    assert_eq!(all.topic_and_self_info.len(), 2);
    assert!(all
        .topic_and_self_info
        .iter()
        .all(|t| t.error_code == 0 && t.self_info.is_some()));

    client
        .modify_topic(
            modify_topic::Request::new(modify_topic::Required {
                group_id: gid.clone(),
                topic_id: news.clone(),
            })
            .topic_name("Headlines")
            .mute_all_member(OnOff::On),
        )
        .await
        .unwrap();
    let one = client
        .get_topic(
            topic_query(&gid, vec![news.clone()]).response_filter(["TopicName", "ShutUpAllFlag"]),
        )
        .await
        .unwrap();
    let info = one.topic_and_self_info[0].topic_info.as_ref().unwrap();
    assert_eq!(info.topic_name.as_deref(), Some("Headlines"));
    assert_eq!(info.shut_up_all_flag, Some(1));
    assert_eq!(info.notification, None, "not asked for");
    assert_eq!(info.topic_id.as_deref(), Some(news.as_str()));
    let full = client
        .get_topic(topic_query(&gid, vec![news.clone()]))
        .await
        .unwrap();
    let info = full.topic_and_self_info[0].topic_info.as_ref().unwrap();
    assert_eq!(info.notification.as_deref(), Some("read me"));
    assert_eq!(info.group_id.as_deref(), Some(gid.as_str()));
}

#[tokio::test]
async fn topic_mutes_and_destroyed_topics() {
    let emu = emulator().await;
    let client = emu.client();
    let gid = club(&client).await;
    let news = news_topic(&client, &gid).await;
    client
        .forbid_send_msg(forbid_send_msg::Request::new(&gid, ["bob"], 600).topic_id(&news))
        .await
        .unwrap();
    let muted = client
        .get_group_muted_account(get_group_muted_account::Request::new(&gid).topic_id(&news))
        .await
        .unwrap();
    assert_eq!(muted.muted_account_list[0].member_account, "bob");
    let mine = client
        .get_topic(topic_query(&gid, vec![news.clone()]))
        .await
        .unwrap();
    let me = mine.topic_and_self_info[0].self_info.as_ref().unwrap();
    assert!(me.shut_up_time.unwrap() > now());
    let whole_group = client
        .get_group_muted_account(get_group_muted_account::Request::new(&gid))
        .await
        .unwrap();
    assert!(
        whole_group.muted_account_list.is_empty(),
        "the topic mute is the topic's"
    );

    let destroyed = client
        .destroy_topic(destroy_topic::Request::new(
            &gid,
            [news.clone(), format!("{gid}@TOPIC#_nope")],
        ))
        .await
        .unwrap();
    let codes: Vec<i64> = destroyed
        .destroy_result_item
        .iter()
        .map(|r| r.error_code)
        .collect();
    assert_eq!(codes, [0, destroy_topic::Error::TopicDisbanded.code()]);
    let gone = client
        .get_topic(topic_query(&gid, vec![news.clone()]))
        .await
        .unwrap();
    assert_eq!(
        gone.topic_and_self_info[0].error_code,
        get_topic::Error::TopicDisbanded.code()
    );
    let err = client
        .modify_topic(
            modify_topic::Request::new(modify_topic::Required {
                group_id: gid.clone(),
                topic_id: news.clone(),
            })
            .topic_name("x"),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), Some(&modify_topic::Error::GroupNotFound));
}

#[tokio::test]
async fn imported_topics_keep_their_time() {
    let emu = emulator().await;
    let client = emu.client();
    let gid = club(&client).await;
    let old = format!("{gid}@TOPIC#_old");
    let created = now() - 7 * 86_400;
    let import = || {
        import_topic::Request::new(import_topic::Required {
            group_id: gid.clone(),
            topic_name: "Old".into(),
        })
        .group_type(GroupType::Community)
        .topic_id(&old)
        .create_time(created)
    };
    client.import_topic(import()).await.unwrap();
    let err = client.import_topic(import()).await.unwrap_err();
    assert_eq!(err.kind(), Some(&import_topic::Error::GroupIdTaken));
    let got = client
        .get_topic(
            get_topic::Request::new(get_topic::Required {
                group_id: gid.clone(),
                from_account: "alice".into(),
            })
            .topic_id_list([old.clone()]),
        )
        .await
        .unwrap();
    let info = got.topic_and_self_info[0].topic_info.as_ref().unwrap();
    assert_eq!(info.create_time, Some(created));
    assert_eq!(info.topic_name.as_deref(), Some("Old"));
}

#[tokio::test]
async fn topics_need_a_topic_enabled_community_group() {
    let emu = emulator().await;
    let client = emu.client();
    let plain = client
        .create_group(create_group::Request::new(GroupType::Community, "Plain"))
        .await
        .unwrap()
        .group_id;
    let create = |gid: &str| {
        create_topic::Request::new(create_topic::Required {
            group_id: gid.into(),
            topic_name: "T".into(),
        })
    };
    for gid in [plain.as_str(), "@TGS#PUB"] {
        let err = client.create_topic(create(gid)).await.unwrap_err();
        assert_eq!(
            err.kind(),
            Some(&create_topic::Error::TopicsNotSupported),
            "{gid}"
        );
    }
    let err = client
        .create_topic(create("@TGS#_@TGS#GONE"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), Some(&create_topic::Error::GroupNotFound));
    let err = client
        .destroy_topic(destroy_topic::Request::new("@TGS#_@TGS#GONE", ["x"]))
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Some(get_group_info::Error::GroupNotFound.code())
    );
    let gid = club(&client).await;
    let err = client
        .create_topic(create(gid.as_str()).topic_id("elsewhere@TOPIC#_x"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), Some(&create_topic::Error::InvalidParameter));
}
