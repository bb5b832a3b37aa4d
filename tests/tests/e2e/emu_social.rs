//! The emulator's profile and relationship families (`profile`, `sns`),
//! through the typed client: what a write stores is what the reads return,
//! documented per-item codes, limits and pagers.

use im_api::api::{
    black_list_add, black_list_check, black_list_delete, black_list_get, friend_add, friend_check,
    friend_delete, friend_delete_all, friend_get, friend_get_list, friend_import, friend_update,
    group_add, group_delete, group_get, portrait_get, portrait_set,
};
use im_api::emulator::Emulator;
use im_api::types::{
    AllowType, BlackCheckType, BlackRelation, FriendAddItem, FriendAddItemRequired, FriendAddType,
    FriendCheckType, FriendDeleteType, FriendImportItem, FriendImportItemRequired, FriendRelation,
    FriendUpdateItem, Gender, NeedFriendType, ProfileItem, SnsItem, SnsProfileItem,
};
use im_api::{Client, EndpointError};
use serde_json::json;

const SOURCE: &str = "AddSource_Type_Test";

async fn emulator(accounts: &[&str]) -> Emulator {
    Emulator::builder()
        .accounts(accounts.iter().copied())
        .start()
        .await
        .unwrap()
}

fn add_item(to: &str) -> FriendAddItem {
    FriendAddItem::new(FriendAddItemRequired {
        to_account: to.into(),
        add_source: SOURCE.into(),
    })
}

fn import_item(to: &str) -> FriendImportItem {
    FriendImportItem::new(FriendImportItemRequired {
        to_account: to.into(),
        add_source: SOURCE.into(),
    })
}

fn custom_profile(tag: &str, value: serde_json::Value) -> ProfileItem {
    ProfileItem::Unknown {
        tag: tag.into(),
        content: value,
    }
}

fn custom_sns(tag: &str, value: serde_json::Value) -> SnsItem {
    SnsItem::Unknown {
        tag: tag.into(),
        content: value,
    }
}

async fn relation(client: &Client, from: &str, to: &str) -> FriendRelation {
    let resp = client
        .friend_check(friend_check::Request::new(
            from,
            [to],
            FriendCheckType::Both,
        ))
        .await
        .unwrap();
    resp.info_item[0].relation.clone().unwrap()
}

async fn blocked(client: &Client, from: &str, to: &str) -> BlackRelation {
    let resp = client
        .black_list_check(black_list_check::Request::new(
            from,
            [to],
            BlackCheckType::Both,
        ))
        .await
        .unwrap();
    resp.black_list_check_item[0].relation.clone().unwrap()
}

/// `force`d two-way friends.
async fn befriend(client: &Client, a: &str, b: &str) {
    let resp = client
        .friend_add(friend_add::Request::new(a, [add_item(b)]).force_add_flags(true))
        .await
        .unwrap();
    assert_eq!(resp.result_item[0].result_code, 0, "{resp:?}");
}

#[tokio::test]
async fn profile_fields_are_stored_checked_and_read_back() {
    let emu = emulator(&["alice", "bob"]).await;
    let client = emu.client();
    let written = vec![
        ProfileItem::Nick("Alice".into()),
        ProfileItem::Gender(Gender::Female),
        ProfileItem::AllowType(AllowType::AllowAny),
        ProfileItem::Level(3),
        custom_profile("Tag_Profile_Custom_Hobby", json!("chess")),
    ];
    client
        .portrait_set(portrait_set::Request::new("alice", written.clone()))
        .await
        .unwrap();
    let mut tags: Vec<String> = written.iter().map(|i| i.tag().to_owned()).collect();
    tags.push(ProfileItem::SelfSignature(String::new()).tag().to_owned());
    let resp = client
        .portrait_get(portrait_get::Request::new(portrait_get::Required {
            to_account: vec!["alice".into(), "bob".into(), "ghost".into()],
            tag_list: tags.clone(),
        }))
        .await
        .unwrap();
    assert_eq!(resp.user_profile_item.len(), 3);
    let alice = &resp.user_profile_item[0];
    assert_eq!(alice.to_account, "alice");
    assert_eq!(alice.result_code, 0);
    assert_eq!(
        alice.profile_item, written,
        "set fields come back in TagList order; unset ones are absent"
    );
    assert!(
        resp.user_profile_item[1].profile_item.is_empty(),
        "bob set nothing"
    );
    let ghost = &resp.user_profile_item[2];
    assert_eq!(
        ghost.result_code,
        portrait_get::Error::ProfileAccountNotImported.code()
    );
    assert_eq!(resp.fail_account, ["ghost"]);

    // A later write replaces one field and keeps the others.
    client
        .portrait_set(portrait_set::Request::new(
            "alice",
            [ProfileItem::Nick("Al".into())],
        ))
        .await
        .unwrap();
    let resp = client
        .portrait_get(portrait_get::Request::new(portrait_get::Required {
            to_account: vec!["alice".into()],
            tag_list: tags,
        }))
        .await
        .unwrap();
    assert_eq!(
        resp.user_profile_item[0].profile_item[0],
        ProfileItem::Nick("Al".into())
    );
    assert_eq!(resp.user_profile_item[0].profile_item.len(), 5);
}

#[tokio::test]
async fn profile_writes_are_refused_with_the_documented_codes() {
    let emu = emulator(&["alice"]).await;
    let client = emu.client();
    let refused = |items: Vec<ProfileItem>, from: &'static str| {
        let client = client.clone();
        async move {
            client
                .portrait_set(portrait_set::Request::new(from, items))
                .await
                .unwrap_err()
                .kind()
                .cloned()
        }
    };
    use portrait_set::Error as E;
    let nick = || vec![ProfileItem::Nick("x".into())];
    assert_eq!(
        refused(nick(), "ghost").await,
        Some(E::ProfileAccountNotImported)
    );
    let long = vec![ProfileItem::Location("12345678901234567".into())];
    assert_eq!(refused(long, "alice").await, Some(E::ProfileValueTooLong));
    let long = vec![ProfileItem::Nick("n".repeat(501))];
    assert_eq!(refused(long, "alice").await, Some(E::ProfileValueTooLong));
    let bad = vec![ProfileItem::Gender(Gender::from("Gender_Type_Other"))];
    assert_eq!(
        refused(bad, "alice").await,
        Some(E::ProfileInvalidStandardValue)
    );
    let number = vec![custom_profile("Tag_Profile_Custom_Hobby", json!(5))];
    assert_eq!(
        refused(number, "alice").await,
        Some(E::ProfileValueTypeMismatch)
    );
    let unknown = vec![custom_profile("Tag_Profile_IM_Bogus", json!("x"))];
    assert_eq!(refused(unknown, "alice").await, Some(E::ProfileTagNotFound));
    // Nothing of a refused call is written.
    let mixed = vec![
        ProfileItem::Nick("kept?".into()),
        ProfileItem::Location("x".repeat(17)),
    ];
    assert_eq!(refused(mixed, "alice").await, Some(E::ProfileValueTooLong));
    let resp = client
        .portrait_get(portrait_get::Request::new(portrait_get::Required {
            to_account: vec!["alice".into()],
            tag_list: vec![ProfileItem::Nick(String::new()).tag().to_owned()],
        }))
        .await
        .unwrap();
    assert!(resp.user_profile_item[0].profile_item.is_empty());
    let err = client
        .portrait_get(portrait_get::Request::new(portrait_get::Required {
            to_account: vec!["alice".into()],
            tag_list: vec!["Tag_Profile_IM_Bogus".into()],
        }))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), Some(&portrait_get::Error::ProfileTagNotFound));
}

/// alice, bob (AllowAny), carol (no policy: approval needed), dave, erin
/// (DenyAny); alice asked bob (with data), carol, erin and ghost; the answer.
async fn friends_setup() -> (Emulator, Client, friend_add::Response) {
    let emu = emulator(&["alice", "bob", "carol", "dave", "erin"]).await;
    let client = emu.client();
    for (who, policy) in [("bob", AllowType::AllowAny), ("erin", AllowType::DenyAny)] {
        client
            .portrait_set(portrait_set::Request::new(
                who,
                [ProfileItem::AllowType(policy)],
            ))
            .await
            .unwrap();
    }
    let resp = client
        .friend_add(friend_add::Request::new(
            "alice",
            [
                add_item("bob")
                    .remark("Bobby")
                    .group_name("work")
                    .add_wording("hi"),
                add_item("carol"),
                add_item("erin"),
                add_item("ghost"),
            ],
        ))
        .await
        .unwrap();
    (emu, client, resp)
}

#[tokio::test]
async fn friend_add_answers_per_item_and_follows_the_policies() {
    let (_emu, client, resp) = friends_setup().await;
    use friend_add::Error as E;
    let got: Vec<(&str, i64)> = resp
        .result_item
        .iter()
        .map(|i| (i.to_account.as_str(), i.result_code))
        .collect();
    assert_eq!(
        got,
        [
            ("bob", 0),
            ("carol", E::FriendRequestPending.code()),
            ("erin", E::PeerDeniesFriendRequests.code()),
            ("ghost", E::RelationAccountNotImported.code()),
        ]
    );
    assert_eq!(resp.fail_account, ["carol", "erin", "ghost"]);
    assert_eq!(
        relation(&client, "alice", "bob").await,
        FriendRelation::BothWay
    );
    assert_eq!(
        relation(&client, "alice", "carol").await,
        FriendRelation::NoRelation
    );

    // Adding an existing friend again.
    let resp = client
        .friend_add(friend_add::Request::new("alice", [add_item("bob")]))
        .await
        .unwrap();
    assert_eq!(
        resp.result_item[0].result_code,
        E::RelationInvalidParameter.code()
    );
    assert_eq!(
        resp.result_item[0].result_info.as_deref(),
        Some("Err_SNS_FriendAdd_Friend_Exist")
    );

    // The admin's forced one-way add needs no approval.
    let resp = client
        .friend_add(
            friend_add::Request::new("alice", [add_item("carol")])
                .add_type(FriendAddType::Single)
                .force_add_flags(true),
        )
        .await
        .unwrap();
    assert_eq!(resp.result_item[0].result_code, 0);
    assert!(resp.fail_account.is_empty());
    assert_eq!(
        relation(&client, "alice", "carol").await,
        FriendRelation::AWithB
    );
    assert_eq!(
        relation(&client, "carol", "alice").await,
        FriendRelation::BWithA
    );
    let single = client
        .friend_check(friend_check::Request::new(
            "carol",
            ["alice", "ghost"],
            FriendCheckType::Single,
        ))
        .await
        .unwrap();
    assert_eq!(
        single.info_item[0].relation,
        Some(FriendRelation::NoRelation)
    );
    assert_eq!(
        single.info_item[1].result_code,
        friend_check::Error::RelationAccountNotImported.code()
    );
    assert_eq!(single.fail_account, ["ghost"]);
}

/// alice's fields about `to` (remark, lists, wording) and `to`'s AllowType.
async fn friend_list(client: &Client, to: &[&str]) -> friend_get_list::Response {
    let tags = vec![
        SnsItem::Remark(String::new()).tag().to_owned(),
        SnsItem::Group(Vec::new()).tag().to_owned(),
        SnsItem::AddWording(String::new()).tag().to_owned(),
        ProfileItem::AllowType(AllowType::AllowAny).tag().to_owned(),
    ];
    client
        .friend_get_list(friend_get_list::Request::new(friend_get_list::Required {
            from_account: "alice".into(),
            to_account: to.iter().map(|s| s.to_string()).collect(),
            tag_list: tags,
        }))
        .await
        .unwrap()
}

#[tokio::test]
async fn friend_fields_are_read_updated_and_cached_by_sequence() {
    let (_emu, client, _) = friends_setup().await;
    client
        .friend_import(friend_import::Request::new("alice", [import_item("carol")]))
        .await
        .unwrap();
    // friend_get_list mixes friend fields and the friend's profile.
    let resp = friend_list(&client, &["bob", "dave"]).await;
    assert_eq!(
        resp.info_item[0].sns_profile_item,
        [
            SnsProfileItem::Remark("Bobby".into()),
            SnsProfileItem::Group(vec!["work".into()]),
            SnsProfileItem::AddWording("hi".into()),
            SnsProfileItem::AllowType(AllowType::AllowAny),
        ]
    );
    assert_eq!(
        resp.info_item[1].result_code,
        friend_get_list::Error::RelationInvalidParameter.code()
    );
    assert_eq!(resp.fail_account, ["dave"]);

    // Updates: remark, lists (replaced) and a custom field; read-only fields fail.
    let note = custom_sns("Tag_SNS_Custom_Note", json!("met at work"));
    let bob = [
        SnsItem::Remark("B".into()),
        SnsItem::Group(vec!["close".into(), "gym".into()]),
        note.clone(),
    ];
    let resp = client
        .friend_update(friend_update::Request::new(
            "alice",
            [
                FriendUpdateItem::new("bob", bob),
                FriendUpdateItem::new("carol", [SnsItem::AddTime(1)]),
                FriendUpdateItem::new("dave", [SnsItem::Remark("D".into())]),
            ],
        ))
        .await
        .unwrap();
    let invalid = friend_update::Error::RelationInvalidParameter.code();
    let codes: Vec<i64> = resp.result_item.iter().map(|i| i.result_code).collect();
    assert_eq!(codes, [0, invalid, invalid]);
    assert_eq!(resp.fail_account, ["carol", "dave"]);
    let resp = friend_list(&client, &["bob"]).await;
    let fields = &resp.info_item[0].sns_profile_item;
    assert_eq!(fields[0], SnsProfileItem::Remark("B".into()));
    assert_eq!(
        fields[1],
        SnsProfileItem::Group(vec!["close".into(), "gym".into()])
    );

    let friends = client
        .friend_get(friend_get::Request::new("alice", 0))
        .await
        .unwrap();
    assert_eq!((friends.friend_num, friends.complete_flag), (2, 1));
    let bob = &friends.user_data_item[0];
    assert_eq!(bob.to_account, "bob");
    assert!(bob.value_item.contains(&note));
    assert!(bob.value_item.contains(&SnsItem::AddSource(SOURCE.into())));

    // Unchanged sequences leave that data out.
    let again = client
        .friend_get(
            friend_get::Request::new("alice", 0)
                .standard_sequence(friends.standard_sequence.unwrap())
                .custom_sequence(friends.custom_sequence.unwrap()),
        )
        .await
        .unwrap();
    assert_eq!(again.user_data_item.len(), 2);
    assert!(again.user_data_item.iter().all(|f| f.value_item.is_empty()));
}

#[tokio::test]
async fn friends_are_deleted_one_way_two_way_and_all_at_once() {
    let (_emu, client, _) = friends_setup().await;
    let resp = client
        .friend_delete(
            friend_delete::Request::new("alice", ["bob"]).delete_type(FriendDeleteType::Single),
        )
        .await
        .unwrap();
    assert_eq!(resp.result_item[0].result_code, 0);
    assert_eq!(
        relation(&client, "alice", "bob").await,
        FriendRelation::BWithA
    );
    let resp = client
        .friend_delete(friend_delete::Request::new("alice", ["bob"]))
        .await
        .unwrap();
    assert_eq!(
        resp.result_item[0].result_code,
        friend_delete::Error::NotFriends.code()
    );

    befriend(&client, "alice", "bob").await;
    befriend(&client, "bob", "carol").await;
    client
        .friend_delete_all(friend_delete_all::Request::new("bob"))
        .await
        .unwrap();
    let bob = client
        .friend_get(friend_get::Request::new("bob", 0))
        .await
        .unwrap();
    assert_eq!(bob.friend_num, 0);
    assert_eq!(
        relation(&client, "bob", "alice").await,
        FriendRelation::BWithA,
        "one-way by default"
    );
    let err = client
        .friend_get(friend_get::Request::new("ghost", 0))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&friend_get::Error::RelationAccountNotImported)
    );
}
#[tokio::test]
async fn imported_friends_are_one_way_with_their_data_and_two_way_deletes_reach_both() {
    let emu = emulator(&["alice", "dave"]).await;
    let client = emu.client();
    let resp = client
        .friend_import(friend_import::Request::new(
            "dave",
            [
                import_item("alice")
                    .remark("Al")
                    .group_name(["gym", "family"])
                    .add_time(1_600_000_000)
                    .custom_item([custom_sns("Tag_SNS_Custom_Level", json!(7))]),
                import_item("ghost"),
            ],
        ))
        .await
        .unwrap();
    assert_eq!(resp.result_item[0].result_code, 0);
    assert_eq!(
        resp.result_item[1].result_code,
        friend_import::Error::RelationAccountNotImported.code()
    );
    assert_eq!(resp.fail_account, ["ghost"]);
    assert_eq!(
        relation(&client, "dave", "alice").await,
        FriendRelation::AWithB
    );
    assert_eq!(
        relation(&client, "alice", "dave").await,
        FriendRelation::BWithA
    );
    let friends = client
        .friend_get(friend_get::Request::new("dave", 0))
        .await
        .unwrap();
    let values = &friends.user_data_item[0].value_item;
    for item in [
        SnsItem::Remark("Al".into()),
        SnsItem::Group(vec!["gym".into(), "family".into()]),
        SnsItem::AddTime(1_600_000_000),
        custom_sns("Tag_SNS_Custom_Level", json!(7)),
    ] {
        assert!(values.contains(&item), "{item:?} in {values:?}");
    }
    // Imported lists exist.
    let lists = client
        .group_get(group_get::Request::new("dave"))
        .await
        .unwrap();
    let names: Vec<&str> = lists
        .result_item
        .iter()
        .map(|l| l.group_name.as_str())
        .collect();
    assert_eq!(names, ["gym", "family"]);

    befriend(&client, "alice", "dave").await;
    assert_eq!(
        relation(&client, "alice", "dave").await,
        FriendRelation::BothWay
    );
    client
        .friend_delete(
            friend_delete::Request::new("alice", ["dave"]).delete_type(FriendDeleteType::Both),
        )
        .await
        .unwrap();
    assert_eq!(
        relation(&client, "alice", "dave").await,
        FriendRelation::NoRelation
    );
}

#[tokio::test]
async fn blocklist_ends_friendships_and_refuses_adds_both_ways() {
    let emu = emulator(&["alice", "bob"]).await;
    let client = emu.client();
    befriend(&client, "alice", "bob").await;
    let resp = client
        .black_list_add(black_list_add::Request::new(
            "alice",
            ["bob", "ghost", "bob"],
        ))
        .await
        .unwrap();
    use black_list_add::Error as E;
    let codes: Vec<i64> = resp.result_item.iter().map(|i| i.result_code).collect();
    assert_eq!(
        codes,
        [
            0,
            E::RelationAccountNotImported.code(),
            E::RelationInvalidParameter.code()
        ]
    );
    assert_eq!(resp.fail_account, ["ghost", "bob"]);
    assert_eq!(
        relation(&client, "alice", "bob").await,
        FriendRelation::NoRelation
    );
    assert_eq!(
        blocked(&client, "alice", "bob").await,
        BlackRelation::AWithB
    );
    assert_eq!(
        blocked(&client, "bob", "alice").await,
        BlackRelation::BWithA
    );
    let single = client
        .black_list_check(black_list_check::Request::new(
            "bob",
            ["alice"],
            BlackCheckType::Single,
        ))
        .await
        .unwrap();
    assert_eq!(
        single.black_list_check_item[0].relation,
        Some(BlackRelation::No)
    );

    // Blocklists refuse adds both ways, even forced ones.
    let add = |from: &'static str, to: &'static str| {
        let client = client.clone();
        async move {
            client
                .friend_add(friend_add::Request::new(from, [add_item(to)]).force_add_flags(true))
                .await
                .unwrap()
                .result_item[0]
                .result_code
        }
    };
    assert_eq!(
        add("alice", "bob").await,
        friend_add::Error::PeerInOwnBlocklist.code()
    );
    assert_eq!(
        add("bob", "alice").await,
        friend_add::Error::BlockedByPeer.code()
    );

    // Unblocking does not restore the friendship.
    let resp = client
        .black_list_delete(black_list_delete::Request::new("alice", ["bob", "bob"]))
        .await
        .unwrap();
    assert_eq!(resp.result_item[0].result_code, 0);
    assert_ne!(resp.result_item[1].result_code, 0);
    assert_eq!(resp.fail_account, ["bob"]);
    assert_eq!(blocked(&client, "alice", "bob").await, BlackRelation::No);
    assert_eq!(
        relation(&client, "alice", "bob").await,
        FriendRelation::NoRelation
    );
    assert_eq!(add("alice", "bob").await, 0);
}

#[tokio::test]
async fn blocklist_pager_walks_every_page() {
    let mut accounts = vec!["alice".to_owned()];
    accounts.extend((0..25).map(|i| format!("u{i:02}")));
    let emu = Emulator::builder()
        .accounts(accounts.clone())
        .start()
        .await
        .unwrap();
    let client = emu.client();
    client
        .black_list_add(black_list_add::Request::new(
            "alice",
            accounts[1..].to_vec(),
        ))
        .await
        .unwrap();
    let first = black_list_get::Request::new(black_list_get::Required {
        from_account: "alice".into(),
        start_index: 0,
        max_limited: 10,
        last_sequence: 0,
    });
    let mut pages = client.pages(first.clone());
    let mut seen = Vec::new();
    let mut sequence = None;
    while let Some(page) = pages.next_page().await {
        let page = page.unwrap();
        sequence = page.curruent_sequence;
        seen.extend(page.black_list_item.into_iter().map(|b| b.to_account));
    }
    assert_eq!(pages.pages_fetched(), 3, "10 + 10 + 5");
    seen.sort();
    assert_eq!(seen, accounts[1..]);

    // The current sequence sent back: nothing changed, nothing listed.
    let cached = client
        .black_list_get(black_list_get::Request::new(black_list_get::Required {
            from_account: "alice".into(),
            start_index: 0,
            max_limited: 10,
            last_sequence: sequence.unwrap(),
        }))
        .await
        .unwrap();
    assert!(cached.black_list_item.is_empty());
    client
        .black_list_delete(black_list_delete::Request::new("alice", ["u00"]))
        .await
        .unwrap();
    assert_eq!(client.pages(first).all_items().await.unwrap().len(), 24);
}

#[tokio::test]
async fn friend_lists_are_created_filled_read_and_deleted() {
    let emu = emulator(&["alice", "bob", "carol", "dave"]).await;
    let client = emu.client();
    client
        .friend_import(friend_import::Request::new(
            "alice",
            [import_item("bob"), import_item("carol")],
        ))
        .await
        .unwrap();
    let resp = client
        .group_add(group_add::Request::new("alice", ["work", "gym"]).to_account(["bob", "dave"]))
        .await
        .unwrap();
    assert_eq!(resp.result_item[0].result_code, 0);
    assert_eq!(
        resp.result_item[1].result_code, 32216,
        "dave is not alice's friend (the code of the page's sample)"
    );
    assert_eq!(resp.fail_account, ["dave"]);
    let created = resp.current_sequence;
    assert!(created > 0);

    let lists = client
        .group_get(group_get::Request::new("alice"))
        .await
        .unwrap();
    assert_eq!(lists.current_sequence, created);
    let summary: Vec<(&str, Option<u32>, usize)> = lists
        .result_item
        .iter()
        .map(|l| (l.group_name.as_str(), l.friend_number, l.to_account.len()))
        .collect();
    assert_eq!(summary, [("work", Some(1), 0), ("gym", Some(1), 0)]);
    let lists = client
        .group_get(group_get::Request::new("alice").need_friend(NeedFriendType::Yes))
        .await
        .unwrap();
    assert_eq!(lists.result_item[0].to_account, ["bob"]);
    let gym = client
        .group_get(group_get::Request::new("alice").group_name(["gym"]))
        .await
        .unwrap();
    assert_eq!(gym.result_item.len(), 1);
    assert_eq!(gym.result_item[0].to_account, ["bob"]);

    let resp = client
        .group_delete(group_delete::Request::new("alice", ["work"]))
        .await
        .unwrap();
    assert!(resp.current_sequence > created);
    let lists = client
        .group_get(group_get::Request::new("alice"))
        .await
        .unwrap();
    assert_eq!(lists.result_item.len(), 1);
    let bob = client
        .friend_get_list(friend_get_list::Request::new(friend_get_list::Required {
            from_account: "alice".into(),
            to_account: vec!["bob".into()],
            tag_list: vec![SnsItem::Group(Vec::new()).tag().to_owned()],
        }))
        .await
        .unwrap();
    assert_eq!(
        bob.info_item[0].sns_profile_item,
        [SnsProfileItem::Group(vec!["gym".into()])]
    );

    // At most 32 lists: gym and 31 more fit, a 33rd does not.
    let names: Vec<String> = (0..31).map(|i| format!("list{i}")).collect();
    client
        .group_add(group_add::Request::new("alice", names))
        .await
        .unwrap();
    let err = client
        .group_add(group_add::Request::new("alice", ["one too many"]))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), Some(&group_add::Error::FriendListLimitReached));
}

#[tokio::test]
async fn friend_pager_walks_3000_friends_and_the_limits_hold() {
    let names: Vec<String> = (0..3001).map(|i| format!("f{i:04}")).collect();
    let emu = Emulator::builder()
        .accounts(["alice", "zed"])
        .accounts(names.clone())
        .start()
        .await
        .unwrap();
    let client = emu.client();
    for chunk in names[..3000].chunks(1000) {
        let resp = client
            .friend_import(friend_import::Request::new(
                "alice",
                chunk.iter().map(|n| import_item(n)),
            ))
            .await
            .unwrap();
        assert!(resp.fail_account.is_empty());
    }
    let resp = client
        .friend_import(friend_import::Request::new(
            "alice",
            [import_item(&names[3000])],
        ))
        .await
        .unwrap();
    assert_eq!(
        resp.result_item[0].result_code,
        friend_import::Error::FriendLimitReached.code()
    );

    let mut pages = client.pages(friend_get::Request::new("alice", 0));
    let mut seen = Vec::new();
    while let Some(page) = pages.next_page().await {
        let page = page.unwrap();
        assert_eq!(page.friend_num, 3000);
        assert!(page.user_data_item.len() <= 500);
        seen.extend(page.user_data_item.into_iter().map(|f| f.to_account));
    }
    assert_eq!(pages.pages_fetched(), 6);
    assert_eq!(seen, names[..3000]);

    // A blocklist holds 1,000 accounts.
    let resp = client
        .black_list_add(black_list_add::Request::new("zed", names[..1000].to_vec()))
        .await
        .unwrap();
    assert!(resp.fail_account.is_empty());
    let resp = client
        .black_list_add(black_list_add::Request::new("zed", [names[1000].clone()]))
        .await
        .unwrap();
    assert_eq!(
        resp.result_item[0].result_code,
        black_list_add::Error::BlocklistLimitReached.code()
    );
    let all = client
        .pages(black_list_get::Request::new(black_list_get::Required {
            from_account: "zed".into(),
            start_index: 0,
            max_limited: 300,
            last_sequence: 0,
        }))
        .all_items()
        .await
        .unwrap();
    assert_eq!(all.len(), 1000);
}
