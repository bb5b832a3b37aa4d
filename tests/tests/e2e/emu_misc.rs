//! The emulator's follows, global mutes, chatbots and official accounts
//! (`follow.toml`, `global_mute.toml`, `robot.toml`, `official_account.toml`):
//! writes read back through the typed client, documented error codes, and
//! official-account messages reaching the subscribers' inboxes.

use im_api::api::{
    add_subscriber, create_official_account, create_robot, delete_robot, delete_subscriber,
    destroy_official_account, follow_add, follow_check, follow_delete, follow_get, follow_get_info,
    get_all_robots, get_official_account_info, get_subscribed_official_account_list,
    get_subscriber_info, getnospeaking, modify_official_account_base_info, modify_subscriber_info,
    official_account_msg_get_simple, official_account_msg_recall, send_official_account_msg,
    sendmsg, setnospeaking,
};
use im_api::emulator::Emulator;
use im_api::types::{
    FollowItem, FollowListType, FollowRelation, MsgElement, OfficialAccountIdItem,
    OfficialAccountInfoField, OfficialAccountInfoFilter, PlaceMsgFlag, ProfileItem,
    SubscriberAccountItem,
};
use im_api::{Client, EndpointError, Error};

async fn emulator(accounts: &[&str]) -> Emulator {
    Emulator::builder()
        .accounts(accounts.iter().copied())
        .start()
        .await
        .unwrap()
}

fn follow_get_req(from: &str, ty: FollowListType, want: u32) -> follow_get::Request {
    follow_get::Request::new(follow_get::Required {
        from_account: from.into(),
        follow_type: ty,
        start_cursor: String::new(),
        want_num: want,
    })
}

async fn list(client: &Client, from: &str, ty: FollowListType) -> Vec<String> {
    let mut names: Vec<String> = client
        .pages(follow_get_req(from, ty, 100))
        .all_items()
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.to_account)
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn follows_read_back_as_lists_relations_and_counts() {
    let emu = emulator(&["alice", "bob", "carol", "dave"]).await;
    let client = emu.client();
    let added = client
        .follow_add(follow_add::Request::new(
            "alice",
            [
                FollowItem::new("bob"),
                FollowItem::new("carol"),
                FollowItem::new("alice"),
                FollowItem::new("ghost"),
            ],
        ))
        .await
        .unwrap();
    let codes: Vec<i64> = added.result_item.iter().map(|r| r.result_code).collect();
    assert_eq!(
        codes,
        vec![
            0,
            0,
            follow_add::Error::RelationInvalidParameter.code(),
            follow_add::Error::RelationAccountNotImported.code(),
        ],
        "oneself and unknown users fail alone"
    );
    client
        .follow_add(follow_add::Request::new("bob", [FollowItem::new("alice")]))
        .await
        .unwrap();

    assert_eq!(
        list(&client, "alice", FollowListType::Following).await,
        ["bob", "carol"]
    );
    assert_eq!(
        list(&client, "alice", FollowListType::Followers).await,
        ["bob"]
    );
    assert_eq!(
        list(&client, "alice", FollowListType::Mutual).await,
        ["bob"]
    );
    assert_eq!(
        list(&client, "carol", FollowListType::Followers).await,
        ["alice"]
    );

    let checked = client
        .follow_check(follow_check::Request::new(
            "alice",
            ["bob", "carol", "dave", "ghost"],
        ))
        .await
        .unwrap();
    let relations: Vec<(i64, Option<FollowRelation>)> = checked
        .result_item
        .iter()
        .map(|r| (r.result_code, r.follow_type.clone()))
        .collect();
    assert_eq!(
        relations,
        vec![
            (0, Some(FollowRelation::Mutual)),
            (0, Some(FollowRelation::Following)),
            (0, Some(FollowRelation::Neither)),
            (follow_check::Error::RelationAccountNotImported.code(), None),
        ]
    );

    let counts = client
        .follow_get_info(follow_get_info::Request::new(
            "alice",
            ["alice", "bob", "dave"],
        ))
        .await
        .unwrap();
    let got: Vec<(Option<u32>, Option<u32>, Option<u32>)> = counts
        .follow_info
        .iter()
        .map(|c| {
            (
                c.follower_count,
                c.following_count,
                c.mutual_following_count,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (Some(1), Some(2), Some(1)),
            (Some(1), Some(1), Some(1)),
            (Some(0), Some(0), Some(0))
        ]
    );

    let deleted = client
        .follow_delete(follow_delete::Request::new("alice", ["bob"]))
        .await
        .unwrap();
    assert_eq!(deleted.result_item[0].result_code, 0);
    let checked = client
        .follow_check(follow_check::Request::new("alice", ["bob"]))
        .await
        .unwrap();
    assert_eq!(
        checked.result_item[0].follow_type,
        Some(FollowRelation::FollowedBy)
    );
    assert!(list(&client, "alice", FollowListType::Mutual)
        .await
        .is_empty());

    let err = client
        .follow_add(follow_add::Request::new(
            "ghost",
            [FollowItem::new("alice")],
        ))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&follow_add::Error::RelationAccountNotImported)
    );
    let err = client
        .follow_get(follow_get_req("ghost", FollowListType::Followers, 10))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&follow_get::Error::RelationAccountNotImported)
    );
}

#[tokio::test]
async fn follow_lists_page_to_the_end_with_profiles() {
    let fans: Vec<String> = (0..12).map(|i| format!("fan{i:02}")).collect();
    let emu = Emulator::builder()
        .accounts(["star"])
        .accounts(fans.iter().cloned())
        .start()
        .await
        .unwrap();
    let client = emu.client();
    for fan in &fans {
        client
            .follow_add(follow_add::Request::new(
                fan.clone(),
                [FollowItem::new("star")],
            ))
            .await
            .unwrap();
    }
    let mut pages = client.pages(follow_get_req("star", FollowListType::Followers, 5));
    let mut names = Vec::new();
    while let Some(page) = pages.next_page().await {
        names.extend(page.unwrap().follow_item.into_iter().map(|i| i.to_account));
    }
    assert_eq!(pages.pages_fetched(), 3, "5 + 5 + 2");
    names.sort();
    assert_eq!(names, fans);

    // A chatbot has a profile (its nickname), shown with the follow.
    client
        .create_robot(create_robot::Request::new("@RBT#bot").nick("Botty"))
        .await
        .unwrap();
    client
        .follow_add(follow_add::Request::new(
            "star",
            [FollowItem::new("@RBT#bot")],
        ))
        .await
        .unwrap();
    let following = client
        .follow_get(follow_get_req("star", FollowListType::Following, 10))
        .await
        .unwrap();
    assert_eq!(following.follow_item.len(), 1);
    assert!(following.follow_item[0].follow_time.is_some());
    assert!(following.follow_item[0]
        .profile_item
        .iter()
        .any(|p| matches!(p, ProfileItem::Nick(n) if n == "Botty")));
    assert_eq!(following.next_cursor.as_deref(), Some(""));
}

#[tokio::test]
async fn global_mutes_read_back_and_lift() {
    let emu = emulator(&["alice", "bob"]).await;
    let client = emu.client();
    client
        .setnospeaking(setnospeaking::Request::new("alice").c2c_msg_nospeaking_time(3600))
        .await
        .unwrap();
    client
        .setnospeaking(setnospeaking::Request::new("alice").group_msg_nospeaking_time(u32::MAX))
        .await
        .unwrap();
    let got = client
        .getnospeaking(getnospeaking::Request::new("alice"))
        .await
        .unwrap();
    assert!(
        (3590..=3600).contains(&got.c2c_msg_nospeaking_time),
        "{got:?}"
    );
    assert_eq!(got.group_msg_nospeaking_time, u32::MAX, "permanent");
    // While the one-to-one mute runs, alice's sendmsg fails with 20012 (the
    // setnospeaking page); batchsendmsg does not check mutes (its page).
    let hi = || [im_api::types::MsgElement::text("hi")];
    let err = client
        .sendmsg(sendmsg::Request::new("bob", hi()).from_account("alice"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), Some(&sendmsg::Error::SenderGloballyMuted));
    assert_eq!(err.code(), Some(20012));
    client
        .batchsendmsg(im_api::api::batchsendmsg::Request::new(["bob"], hi()).from_account("alice"))
        .await
        .unwrap();
    assert_eq!(emu.inbox("bob").len(), 1, "only the batch message arrived");

    client
        .setnospeaking(
            setnospeaking::Request::new("alice")
                .c2c_msg_nospeaking_time(0)
                .group_msg_nospeaking_time(0),
        )
        .await
        .unwrap();
    let got = client
        .getnospeaking(getnospeaking::Request::new("alice"))
        .await
        .unwrap();
    assert_eq!(
        (got.c2c_msg_nospeaking_time, got.group_msg_nospeaking_time),
        (0, 0)
    );
    client
        .sendmsg(sendmsg::Request::new("bob", hi()).from_account("alice"))
        .await
        .unwrap();
    assert_eq!(emu.inbox("bob").len(), 2, "the mute is lifted");

    let err = client
        .setnospeaking(setnospeaking::Request::new("ghost").c2c_msg_nospeaking_time(60))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), Some(&setnospeaking::Error::SetAccountInvalid));
    let err = client
        .getnospeaking(getnospeaking::Request::new("ghost"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), Some(&getnospeaking::Error::GetAccountInvalid));
    let err = client
        .setnospeaking(setnospeaking::Request::new("alice"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Invalid(_))
            || err.kind() == Some(&setnospeaking::Error::NoMuteDuration),
        "a mute needs a duration: {err}"
    );
}

#[tokio::test]
async fn chatbots_are_created_listed_and_deleted() {
    let emu = emulator(&["alice"]).await;
    let client = emu.client();
    let create = |id: &str| create_robot::Request::new(id);
    client
        .create_robot(create("@RBT#helper").nick("Helper"))
        .await
        .unwrap();
    client.create_robot(create("@RBT#helper")).await.unwrap();
    let all = client
        .get_all_robots(get_all_robots::Request::new())
        .await
        .unwrap();
    assert_eq!(
        all.robot_account,
        ["@RBT#helper"],
        "creating again makes no second chatbot"
    );
    assert!(emu.has_account("@RBT#helper"), "a chatbot is an account");
    client
        .sendmsg(
            sendmsg::Request::new("@RBT#helper", [MsgElement::text("hi bot")])
                .from_account("alice"),
        )
        .await
        .unwrap();
    assert_eq!(emu.inbox("@RBT#helper").len(), 1);

    let err = client.create_robot(create("helper")).await.unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&create_robot::Error::InvalidParameter),
        "needs the @RBT# prefix"
    );
    for i in 1..20 {
        client
            .create_robot(create(&format!("@RBT#bot{i}")))
            .await
            .unwrap();
    }
    let err = client
        .create_robot(create("@RBT#one-too-many"))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&create_robot::Error::InvalidRequest),
        "at most 20 chatbots"
    );

    client
        .delete_robot(delete_robot::Request::new("@RBT#helper"))
        .await
        .unwrap();
    let all = client
        .get_all_robots(get_all_robots::Request::new())
        .await
        .unwrap();
    assert_eq!(all.robot_account.len(), 19);
    assert!(!all.robot_account.contains(&"@RBT#helper".to_owned()));
    let err = client
        .delete_robot(delete_robot::Request::new("@RBT#helper"))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&delete_robot::Error::InvalidParameter),
        "no longer a chatbot"
    );
}

#[tokio::test]
async fn official_accounts_live_and_reach_their_subscribers() {
    let emu = emulator(&["owner", "bob", "carol", "dave"]).await;
    // Two sends in a row: skip the client's 1-per-second pacing per account.
    let client = emu.client_builder().no_rate_limit().build().unwrap();
    let create = |name: &str| {
        create_official_account::Request::new(create_official_account::Required {
            owner_account: "owner".into(),
            name: name.into(),
        })
    };
    let news = client
        .create_official_account(create("News").introduction("daily news"))
        .await
        .unwrap()
        .official_account_user_id;
    assert!(news.starts_with("@TOA#_"));
    let sport = client
        .create_official_account(create("Sport").official_account_user_id("@TOA#_sport"))
        .await
        .unwrap()
        .official_account_user_id;
    assert_eq!(sport, "@TOA#_sport");
    let err = client
        .create_official_account(create("Again").official_account_user_id("@TOA#_sport"))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&create_official_account::Error::OfficialAccountIdTaken)
    );
    let err = client
        .create_official_account(create("Bad").official_account_user_id("sport"))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&create_official_account::Error::InvalidOfficialAccountId)
    );

    // Profile: written, read back whole and filtered; unknown IDs fail alone.
    client
        .modify_official_account_base_info(
            modify_official_account_base_info::Request::new(news.clone()).name("World News"),
        )
        .await
        .unwrap();
    let info = client
        .get_official_account_info(get_official_account_info::Request::new([
            OfficialAccountIdItem::new(news.clone()),
            OfficialAccountIdItem::new("@TOA#_ghost"),
        ]))
        .await
        .unwrap()
        .official_account_info_list;
    assert_eq!(info[0].name.as_deref(), Some("World News"));
    assert_eq!(info[0].introduction.as_deref(), Some("daily news"));
    assert_eq!(info[0].owner_account.as_deref(), Some("owner"));
    assert_eq!(
        info[1].error_code,
        Some(get_official_account_info::Error::OfficialAccountNotFound.code())
    );
    let named = client
        .get_official_account_info(
            get_official_account_info::Request::new([OfficialAccountIdItem::new(news.clone())])
                .response_filter(
                    OfficialAccountInfoFilter::new()
                        .official_account_base_info_filter([OfficialAccountInfoField::Name]),
                ),
        )
        .await
        .unwrap()
        .official_account_info_list;
    assert_eq!(named[0].name.as_deref(), Some("World News"));
    assert_eq!(named[0].owner_account, None, "filtered out");

    // Subscribers.
    let added = client
        .add_subscriber(add_subscriber::Request::new(
            news.clone(),
            [
                SubscriberAccountItem::new("bob"),
                SubscriberAccountItem::new("carol"),
                SubscriberAccountItem::new("ghost"),
            ],
        ))
        .await
        .unwrap();
    let results: Vec<u32> = added.subscriber_list.iter().map(|r| r.result).collect();
    assert_eq!(results, vec![1, 1, 0]);
    let again = client
        .add_subscriber(add_subscriber::Request::new(
            sport.clone(),
            [SubscriberAccountItem::new("bob")],
        ))
        .await
        .unwrap();
    assert_eq!(again.subscriber_list[0].result, 1);
    let again = client
        .add_subscriber(add_subscriber::Request::new(
            news.clone(),
            [SubscriberAccountItem::new("bob")],
        ))
        .await
        .unwrap();
    assert_eq!(again.subscriber_list[0].result, 2, "already a subscriber");
    let subscribers = client
        .pages(
            get_subscriber_info::Request::new(get_subscriber_info::Required {
                official_account: news.clone(),
                next: String::new(),
            })
            .limit(1),
        )
        .all_items()
        .await
        .unwrap();
    let names: Vec<&str> = subscribers
        .iter()
        .map(|s| s.subscriber_account.as_str())
        .collect();
    assert_eq!(names, ["bob", "carol"]);
    client
        .modify_subscriber_info(
            modify_subscriber_info::Request::new(modify_subscriber_info::Required {
                official_account: news.clone(),
                subscriber_account: "bob".into(),
            })
            .custom_string("vip"),
        )
        .await
        .unwrap();
    let mine = client
        .pages(get_subscribed_official_account_list::Request::new("bob").limit(1))
        .all_items()
        .await
        .unwrap();
    let subscribed: Vec<(Option<String>, Option<String>)> = mine
        .iter()
        .map(|a| {
            (
                a.official_account.clone(),
                a.self_info.as_ref().and_then(|s| s.custom_string.clone()),
            )
        })
        .collect();
    let mut want = vec![
        (Some(news.clone()), Some("vip".to_owned())),
        (Some(sport.clone()), Some(String::new())),
    ];
    want.sort();
    assert_eq!(subscribed, want);

    // Messages reach the subscribers; history newest first; recall.
    let send = |text: &str| {
        send_official_account_msg::Request::new(news.clone(), [MsgElement::text(text)])
    };
    let first = client
        .send_official_account_msg(send("first"))
        .await
        .unwrap()
        .msg_key
        .unwrap();
    let second = client
        .send_official_account_msg(send("second"))
        .await
        .unwrap()
        .msg_key
        .unwrap();
    for who in ["bob", "carol"] {
        let inbox = emu.inbox(who);
        assert_eq!(inbox.len(), 2, "{who}");
        assert_eq!(inbox[0].from, news);
        assert_eq!(inbox[0].msg_key.as_deref(), Some(first.as_str()));
        assert_eq!(inbox[1].msg_body, vec![MsgElement::text("second")]);
    }
    assert!(emu.inbox("dave").is_empty(), "not a subscriber");
    let history = client
        .pages(official_account_msg_get_simple::Request::new(news.clone()).req_msg_number(1))
        .all_items()
        .await
        .unwrap();
    let keys: Vec<Option<String>> = history.iter().map(|m| m.msg_key.clone()).collect();
    assert_eq!(keys, vec![Some(second.clone()), Some(first.clone())]);

    let recalled = client
        .official_account_msg_recall(official_account_msg_recall::Request::new(
            news.clone(),
            [first.clone(), "9_1_9".to_owned()],
        ))
        .await
        .unwrap();
    let codes: Vec<i64> = recalled
        .recall_ret_list
        .iter()
        .map(|r| r.ret_code)
        .collect();
    assert_eq!(
        codes,
        vec![
            0,
            official_account_msg_recall::Error::RecallMessageNotFound.code()
        ]
    );
    let visible = client
        .official_account_msg_get_simple(official_account_msg_get_simple::Request::new(
            news.clone(),
        ))
        .await
        .unwrap();
    assert_eq!(visible.rsp_msg_list.len(), 1);
    let all = client
        .official_account_msg_get_simple(
            official_account_msg_get_simple::Request::new(news.clone()).with_recalled_msg(true),
        )
        .await
        .unwrap();
    assert_eq!(
        all.rsp_msg_list[1].is_place_msg,
        Some(PlaceMsgFlag::Recalled)
    );

    // Unsubscribed users get nothing more.
    let removed = client
        .delete_subscriber(delete_subscriber::Request::new(
            news.clone(),
            ["carol", "dave"],
        ))
        .await
        .unwrap();
    let results: Vec<u32> = removed.subscriber_list.iter().map(|r| r.result).collect();
    assert_eq!(results, vec![1, 2]);
    client
        .send_official_account_msg(send("third"))
        .await
        .unwrap();
    assert_eq!(emu.inbox("bob").len(), 3);
    assert_eq!(emu.inbox("carol").len(), 2);

    // Destroyed: gone for every later call.
    client
        .destroy_official_account(destroy_official_account::Request::new(news.clone()))
        .await
        .unwrap();
    let err = client
        .destroy_official_account(destroy_official_account::Request::new(news.clone()))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&destroy_official_account::Error::OfficialAccountNotFound)
    );
    let err = client
        .send_official_account_msg(send("late"))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&send_official_account_msg::Error::GroupNotFound)
    );
    let err = client
        .create_official_account(create_official_account::Request::new(
            create_official_account::Required {
                owner_account: "ghost".into(),
                name: "Nobody".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&create_official_account::Error::OfficialAccountInvalidParameter)
    );
}
