//! The emulator's group management (`group.toml`): groups and members are
//! written and read back through the typed client, with the documented
//! error codes for missing groups, non-members and group types.

use im_api::api::{
    add_group_member, change_group_owner, create_group, delete_group_member, forbid_send_msg,
    get_group_info, get_group_member_info, get_group_muted_account, get_joined_group_list,
    get_role_in_group, get_specified_group_member_info, import_group, import_group_member,
    modify_group_base_info, modify_group_member_info, send_group_msg,
};
use im_api::emulator::Emulator;
use im_api::types::{
    GroupMsgFlag, GroupRole, GroupType, ImportGroupMember, JoinedGroupResponseFilter, KeyValue,
    KeyValueRequired, MemberAccount, MemberAddResultCode, MsgElement, NewGroupMember, OnOff,
};
use im_api::Client;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn kv(key: &str, value: &str) -> KeyValue {
    KeyValue::new(KeyValueRequired {
        key: key.into(),
        value: value.into(),
    })
}

async fn emulator() -> Emulator {
    Emulator::builder()
        .accounts(["alice", "bob", "carol", "dave", "erin"])
        .group("@TGS#AV", GroupType::AvChatRoom, ["alice", "bob"])
        .start()
        .await
        .unwrap()
}

/// A Public group owned by alice with bob and carol (carol an admin).
async fn team(client: &Client, id: &str) {
    client
        .create_group(
            create_group::Request::new(GroupType::Public, "Team")
                .group_id(id)
                .owner_account("alice")
                .app_defined_data([kv("color", "blue")])
                .member_list([
                    NewGroupMember::new("bob"),
                    NewGroupMember::new("carol").role(GroupRole::Admin),
                ]),
        )
        .await
        .unwrap();
}

fn accounts(list: &[im_api::types::GroupMemberInfo]) -> Vec<&str> {
    list.iter().map(|m| m.member_account.as_str()).collect()
}

#[tokio::test]
async fn base_and_member_info_read_back_what_was_written() {
    let emu = emulator().await;
    let client = emu.client();
    team(&client, "team-1").await;

    client
        .modify_group_base_info(
            modify_group_base_info::Request::new("team-1")
                .name("Team 2")
                .introduction("about us")
                .mute_all_member(OnOff::On)
                .app_defined_data([kv("color", ""), kv("size", "L")]),
        )
        .await
        .unwrap();
    let info = client
        .get_group_info(get_group_info::Request::new(["team-1"]))
        .await
        .unwrap();
    let g = &info.group_info[0];
    assert_eq!(g.error_code, 0);
    assert_eq!(g.name.as_deref(), Some("Team 2"));
    assert_eq!(g.introduction.as_deref(), Some("about us"));
    assert_eq!(g.mute_all_member, Some(OnOff::On));
    assert_eq!(
        g.info_seq,
        Some(2),
        "one base-info change bumps InfoSeq once"
    );
    assert_eq!(
        g.app_defined_data,
        vec![kv("size", "L")],
        "an empty value deleted color"
    );
    assert_eq!(g.owner_account.as_deref(), Some("alice"));

    client
        .modify_group_member_info(
            modify_group_member_info::Request::new(modify_group_member_info::Required {
                group_id: "team-1".into(),
                member_account: "bob".into(),
            })
            .role(GroupRole::Admin)
            .name_card("Bobby")
            .msg_flag(GroupMsgFlag::AcceptNotNotify)
            .app_member_defined_data([kv("level", "3")])
            .mute_time(60),
        )
        .await
        .unwrap();
    let named = client
        .get_specified_group_member_info(get_specified_group_member_info::Request::new(
            "team-1",
            ["bob", "dave"],
        ))
        .await
        .unwrap();
    assert_eq!(
        accounts(&named.member_list),
        ["bob"],
        "non-members are left out"
    );
    let bob = &named.member_list[0];
    assert_eq!(bob.role, Some(GroupRole::Admin));
    assert_eq!(bob.name_card.as_deref(), Some("Bobby"));
    assert_eq!(bob.msg_flag, Some(GroupMsgFlag::AcceptNotNotify));
    assert_eq!(bob.app_member_defined_data, vec![kv("level", "3")]);
    let until = bob.mute_until.unwrap();
    assert!(
        (now() + 55..=now() + 65).contains(&until),
        "muted for 60 s: {until}"
    );

    let roles = client
        .get_role_in_group(get_role_in_group::Request::new(
            "team-1",
            ["alice", "bob", "dave"],
        ))
        .await
        .unwrap();
    let roles: Vec<(&str, &GroupRole)> = roles
        .user_id_list
        .iter()
        .map(|r| (r.member_account.as_str(), &r.role))
        .collect();
    assert_eq!(
        roles,
        [
            ("alice", &GroupRole::Owner),
            ("bob", &GroupRole::Admin),
            ("dave", &GroupRole::NotMember)
        ]
    );

    let admins = client
        .get_group_member_info(
            get_group_member_info::Request::new("team-1")
                .member_role_filter([GroupRole::Admin])
                .member_info_filter(["Role"]),
        )
        .await
        .unwrap();
    assert_eq!(accounts(&admins.member_list), ["bob", "carol"]);
    assert_eq!(admins.member_num, Some(3), "MemberNum counts every member");
    assert!(admins
        .member_list
        .iter()
        .all(|m| m.role.is_some() && m.name_card.is_none()));
}

#[tokio::test]
async fn member_pages_walk_every_member_in_join_order() {
    let emu = emulator().await;
    let client = emu.client();
    team(&client, "team-2").await;
    let added = client
        .add_group_member(add_group_member::Request::new(
            "team-2",
            [MemberAccount::new("dave"), MemberAccount::new("bob")],
        ))
        .await
        .unwrap();
    let results: Vec<_> = added.member_list.iter().map(|r| r.result.clone()).collect();
    assert_eq!(
        results,
        [
            MemberAddResultCode::Added,
            MemberAddResultCode::AlreadyMember
        ]
    );

    let pages = client.pages(get_group_member_info::Request::new("team-2").limit(3));
    let all = pages.all_items().await.unwrap();
    let names: Vec<&str> = all.iter().map(|m| m.member_account.as_str()).collect();
    assert_eq!(names, ["alice", "bob", "carol", "dave"]);

    let second = client
        .get_group_member_info(
            get_group_member_info::Request::new("team-2")
                .limit(2)
                .offset(2),
        )
        .await
        .unwrap();
    assert_eq!(accounts(&second.member_list), ["carol", "dave"]);
    assert_eq!(second.member_num, Some(4));
    assert_eq!(second.next, None, "only Community groups answer Next");
}

#[tokio::test]
async fn community_members_page_with_next_and_refuse_offset() {
    let emu = emulator().await;
    let client = emu.client();
    let created = client
        .create_group(
            create_group::Request::new(GroupType::Community, "Club")
                .owner_account("alice")
                .member_list(["bob", "carol", "dave", "erin"].map(NewGroupMember::new)),
        )
        .await
        .unwrap();
    let id = created.group_id;
    assert!(id.starts_with("@TGS#_"), "Community IDs: {id}");
    assert_eq!(created.r#type, Some(GroupType::Community));

    let mut next = String::new();
    let mut seen = Vec::new();
    loop {
        let page = client
            .get_group_member_info(get_group_member_info::Request::new(&id).limit(2).next(next))
            .await
            .unwrap();
        assert!(page.member_list.len() <= 2);
        seen.extend(page.member_list.into_iter().map(|m| m.member_account));
        next = page.next.expect("Community pages carry Next");
        if next.is_empty() {
            break;
        }
    }
    assert_eq!(seen, ["alice", "bob", "carol", "dave", "erin"]);

    let err = client
        .get_group_member_info(get_group_member_info::Request::new(&id).offset(2))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&get_group_member_info::Error::InvalidParameter)
    );
}

#[tokio::test]
async fn mutes_apply_survive_rejoining_and_lift() {
    let emu = emulator().await;
    let client = emu.client();
    team(&client, "team-3").await;
    client
        .forbid_send_msg(forbid_send_msg::Request::new("team-3", ["bob"], 3600))
        .await
        .unwrap();
    let muted = client
        .get_group_muted_account(get_group_muted_account::Request::new("team-3"))
        .await
        .unwrap();
    assert_eq!(muted.muted_account_list.len(), 1);
    assert_eq!(muted.muted_account_list[0].member_account, "bob");
    let until = muted.muted_account_list[0].muted_until.unwrap();
    assert!((now() + 3590..=now() + 3610).contains(&until));

    let err = client
        .send_group_msg(
            send_group_msg::Request::new("team-3", [MsgElement::text("hi")]).from_account("bob"),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), Some(&send_group_msg::Error::SenderMuted));

    client
        .delete_group_member(delete_group_member::Request::new("team-3", ["bob"]))
        .await
        .unwrap();
    client
        .add_group_member(add_group_member::Request::new(
            "team-3",
            [MemberAccount::new("bob")],
        ))
        .await
        .unwrap();
    let bob = client
        .get_specified_group_member_info(get_specified_group_member_info::Request::new(
            "team-3",
            ["bob"],
        ))
        .await
        .unwrap();
    assert_eq!(
        bob.member_list[0].mute_until,
        Some(until),
        "the mute outlived leaving"
    );

    client
        .forbid_send_msg(forbid_send_msg::Request::new("team-3", ["bob"], 0))
        .await
        .unwrap();
    let muted = client
        .get_group_muted_account(get_group_muted_account::Request::new("team-3"))
        .await
        .unwrap();
    assert!(muted.muted_account_list.is_empty());
    client
        .send_group_msg(
            send_group_msg::Request::new("team-3", [MsgElement::text("hi")]).from_account("bob"),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn work_groups_cannot_mute() {
    let emu = emulator().await;
    let client = emu.client();
    client
        .create_group(
            create_group::Request::new(GroupType::Private, "Work")
                .group_id("work-1")
                .owner_account("alice")
                .member_list([NewGroupMember::new("bob")]),
        )
        .await
        .unwrap();
    let err = client
        .forbid_send_msg(forbid_send_msg::Request::new("work-1", ["bob"], 60))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), Some(&forbid_send_msg::Error::PermissionDenied));
    let err = client
        .modify_group_member_info(
            modify_group_member_info::Request::new(modify_group_member_info::Required {
                group_id: "work-1".into(),
                member_account: "bob".into(),
            })
            .mute_time(60),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&modify_group_member_info::Error::PermissionDenied)
    );
}

#[tokio::test]
async fn ownership_moves_to_a_member_only() {
    let emu = emulator().await;
    let client = emu.client();
    team(&client, "team-4").await;
    let change = |new_owner: &str| {
        change_group_owner::Request::new(change_group_owner::Required {
            group_id: "team-4".into(),
            new_owner_account: new_owner.into(),
        })
    };
    let err = client.change_group_owner(change("dave")).await.unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&change_group_owner::Error::InvalidParameter)
    );
    client.change_group_owner(change("bob")).await.unwrap();

    let roles = client
        .get_role_in_group(get_role_in_group::Request::new("team-4", ["alice", "bob"]))
        .await
        .unwrap();
    assert_eq!(roles.user_id_list[0].role, GroupRole::Member);
    assert_eq!(roles.user_id_list[1].role, GroupRole::Owner);
    let info = client
        .get_group_info(get_group_info::Request::new(["team-4"]))
        .await
        .unwrap();
    assert_eq!(info.group_info[0].owner_account.as_deref(), Some("bob"));

    let err = client
        .modify_group_member_info(
            modify_group_member_info::Request::new(modify_group_member_info::Required {
                group_id: "team-4".into(),
                member_account: "bob".into(),
            })
            .role(GroupRole::Member),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&modify_group_member_info::Error::PermissionDenied)
    );
    let err = client
        .modify_group_member_info(
            modify_group_member_info::Request::new(modify_group_member_info::Required {
                group_id: "team-4".into(),
                member_account: "dave".into(),
            })
            .name_card("x"),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&modify_group_member_info::Error::InvalidParameter)
    );
}

#[tokio::test]
async fn joined_groups_filter_and_page() {
    let emu = emulator().await;
    let client = emu.client();
    for i in 0..5 {
        team(&client, &format!("joined-{i}")).await;
    }
    client
        .create_group(
            create_group::Request::new(GroupType::Private, "Quiet")
                .group_id("work-q")
                .owner_account("bob")
                .member_list([NewGroupMember::new("alice")]),
        )
        .await
        .unwrap();

    let plain = client
        .get_joined_group_list(get_joined_group_list::Request::new("alice"))
        .await
        .unwrap();
    assert_eq!(
        plain.total_count, 5,
        "no AVChatRoom, no unactivated Work group"
    );
    assert!(
        plain.group_id_list.iter().all(|g| g.name.is_none()),
        "only GroupId unfiltered"
    );
    let everything = client
        .get_joined_group_list(
            get_joined_group_list::Request::new("alice")
                .with_huge_groups(true)
                .with_no_active_groups(true),
        )
        .await
        .unwrap();
    assert_eq!(everything.total_count, 7);
    let work = client
        .get_joined_group_list(
            get_joined_group_list::Request::new("alice")
                .with_no_active_groups(true)
                .group_type(GroupType::Private),
        )
        .await
        .unwrap();
    assert_eq!(work.total_count, 1);
    assert_eq!(work.group_id_list[0].group_id, "work-q");

    let paged = client
        .pages(get_joined_group_list::Request::new("alice").limit(2))
        .all_items()
        .await
        .unwrap();
    let mut ids: Vec<&str> = paged.iter().map(|g| g.group_id.as_str()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 5);

    let filter = JoinedGroupResponseFilter::new()
        .group_base_info_filter(["Name", "Type"])
        .self_info_filter(["Role", "NameCard"]);
    let filtered = client
        .get_joined_group_list(
            get_joined_group_list::Request::new("carol")
                .limit(1)
                .response_filter(filter),
        )
        .await
        .unwrap();
    assert_eq!(filtered.total_count, 5);
    let first = &filtered.group_id_list[0];
    assert_eq!(first.name.as_deref(), Some("Team"));
    assert_eq!(first.r#type, Some(GroupType::Public));
    assert_eq!(first.owner_account, None, "not asked for");
    let me = first.self_info.as_ref().unwrap();
    assert_eq!(me.role, Some(GroupRole::Admin));
    assert_eq!(me.name_card.as_deref(), Some(""));
    assert_eq!(me.join_time, None, "not asked for");

    let err = client
        .get_joined_group_list(get_joined_group_list::Request::new("nobody"))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&get_joined_group_list::Error::InvalidParameter)
    );
}

#[tokio::test]
async fn imports_keep_their_times_and_judge_each_member() {
    let emu = emulator().await;
    let client = emu.client();
    let created = now() - 86_400;
    let imported = client
        .import_group(
            import_group::Request::new(GroupType::Public, "Old")
                .group_id("old-1")
                .owner_account("alice")
                .create_time(created),
        )
        .await
        .unwrap();
    assert_eq!(imported.group_id, "old-1");
    let info = client
        .get_group_info(get_group_info::Request::new(["old-1"]))
        .await
        .unwrap();
    assert_eq!(info.group_info[0].create_time, Some(created));

    let err = client
        .import_group(import_group::Request::new(GroupType::Public, "Old").group_id("old-1"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), Some(&import_group::Error::GroupIdTaken));
    let err = client
        .import_group(import_group::Request::new(GroupType::AvChatRoom, "Live"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), Some(&import_group::Error::PermissionDenied));

    let joined = now() - 3600;
    let resp = client
        .import_group_member(import_group_member::Request::new(
            "old-1",
            [
                ImportGroupMember::new("bob").join_time(joined),
                ImportGroupMember::new("carol").join_time(created - 10),
                ImportGroupMember::new("alice"),
                ImportGroupMember::new("ghost"),
                ImportGroupMember::new("dave").role(GroupRole::Admin),
            ],
        ))
        .await
        .unwrap();
    let results: Vec<(&str, MemberAddResultCode)> = resp
        .member_list
        .iter()
        .map(|r| (r.member_account.as_str(), r.result.clone()))
        .collect();
    assert_eq!(
        results,
        [
            ("bob", MemberAddResultCode::Added),
            ("carol", MemberAddResultCode::Failed),
            ("alice", MemberAddResultCode::AlreadyMember),
            ("ghost", MemberAddResultCode::Failed),
            ("dave", MemberAddResultCode::Added),
        ]
    );
    let members = client
        .get_specified_group_member_info(get_specified_group_member_info::Request::new(
            "old-1",
            ["bob", "dave"],
        ))
        .await
        .unwrap();
    assert_eq!(members.member_list[0].join_time, Some(joined));
    assert_eq!(members.member_list[1].role, Some(GroupRole::Admin));
}

#[tokio::test]
async fn custom_ids_follow_the_format_rules() {
    let emu = emulator().await;
    let client = emu.client();
    let err = client
        .create_group(create_group::Request::new(GroupType::Public, "X").group_id("@TGS#mine"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), Some(&create_group::Error::InvalidParameter));
    let err = client
        .create_group(create_group::Request::new(GroupType::Community, "X").group_id("club"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), Some(&create_group::Error::InvalidParameter));
    client
        .create_group(create_group::Request::new(GroupType::Community, "X").group_id("@TGS#_club"))
        .await
        .unwrap();
    let err = client
        .create_group(create_group::Request::new(GroupType::Community, "X").group_id("@TGS#_club"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), Some(&create_group::Error::GroupIdTaken));
}

#[tokio::test]
async fn avchatrooms_refuse_member_profiles_and_owner_changes() {
    let emu = emulator().await;
    let client = emu.client();
    let err = client
        .get_group_member_info(get_group_member_info::Request::new("@TGS#AV"))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&get_group_member_info::Error::PermissionDenied)
    );
    let err = client
        .get_role_in_group(get_role_in_group::Request::new("@TGS#AV", ["alice"]))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&get_role_in_group::Error::PermissionDenied)
    );
    let err = client
        .change_group_owner(change_group_owner::Request::new(
            change_group_owner::Required {
                group_id: "@TGS#AV".into(),
                new_owner_account: "alice".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&change_group_owner::Error::PermissionDenied)
    );
    let err = client
        .import_group_member(import_group_member::Request::new(
            "@TGS#AV",
            [ImportGroupMember::new("carol")],
        ))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        Some(&import_group_member::Error::PermissionDenied)
    );
    // Muting works in an AVChatRoom.
    client
        .forbid_send_msg(forbid_send_msg::Request::new("@TGS#AV", ["bob"], 60))
        .await
        .unwrap();
    let muted = client
        .get_group_muted_account(get_group_muted_account::Request::new("@TGS#AV"))
        .await
        .unwrap();
    assert_eq!(muted.muted_account_list[0].member_account, "bob");
}

#[tokio::test]
async fn missing_groups_answer_10010() {
    let emu = emulator().await;
    let client = emu.client();
    let gone = "@TGS#GONE";
    let e = client
        .get_group_member_info(get_group_member_info::Request::new(gone))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), Some(&get_group_member_info::Error::GroupNotFound));
    let e = client
        .get_specified_group_member_info(get_specified_group_member_info::Request::new(gone, ["a"]))
        .await
        .unwrap_err();
    assert_eq!(
        e.kind(),
        Some(&get_specified_group_member_info::Error::GroupNotFound)
    );
    let e = client
        .modify_group_base_info(modify_group_base_info::Request::new(gone).name("x"))
        .await
        .unwrap_err();
    assert_eq!(
        e.kind(),
        Some(&modify_group_base_info::Error::GroupNotFound)
    );
    let e = client
        .modify_group_member_info(modify_group_member_info::Request::new(
            modify_group_member_info::Required {
                group_id: gone.into(),
                member_account: "alice".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(
        e.kind(),
        Some(&modify_group_member_info::Error::GroupNotFound)
    );
    let e = client
        .get_role_in_group(get_role_in_group::Request::new(gone, ["alice"]))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), Some(&get_role_in_group::Error::GroupNotFound));
    let e = client
        .forbid_send_msg(forbid_send_msg::Request::new(gone, ["alice"], 1))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), Some(&forbid_send_msg::Error::GroupNotFound));
    let e = client
        .get_group_muted_account(get_group_muted_account::Request::new(gone))
        .await
        .unwrap_err();
    assert_eq!(
        e.kind(),
        Some(&get_group_muted_account::Error::GroupNotFound)
    );
    let e = client
        .change_group_owner(change_group_owner::Request::new(
            change_group_owner::Required {
                group_id: gone.into(),
                new_owner_account: "alice".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), Some(&change_group_owner::Error::GroupNotFound));
    let e = client
        .import_group_member(import_group_member::Request::new(
            gone,
            [ImportGroupMember::new("alice")],
        ))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), Some(&import_group_member::Error::GroupNotFound));
    let info = client
        .get_group_info(get_group_info::Request::new([gone]))
        .await
        .unwrap();
    assert_eq!(
        info.group_info[0].error_code,
        im_api::EndpointError::code(&get_group_info::Error::GroupNotFound)
    );
}
