//! The emulator's push to all users (`push.toml`, service `all_member_push`):
//! attribute names, user attributes and tags read back through the typed
//! client, pushes selecting users by them, the pages' codes (90020, 90022,
//! 90033, 90039, 90040, 90047), repeats recognised by `MsgRandom`, and no
//! inbox delivery for online-only pushes.

use im_api::api::{
    im_add_tag, im_get_attr, im_get_attr_name, im_get_tag, im_push, im_remove_all_tags,
    im_remove_attr, im_remove_tag, im_set_attr, im_set_attr_name,
};
use im_api::emulator::Emulator;
use im_api::types::{
    MsgElement, PushAddUserTags, PushAttrNames, PushCondition, PushUserAttrNames, PushUserAttrs,
    PushUserTags,
};
use im_api::{Client, RetryPolicy};
use serde_json::json;

const USERS: [&str; 4] = ["ann", "ben", "cat", "dan"];

async fn setup() -> (Emulator, Client) {
    let emu = Emulator::builder()
        .accounts(USERS)
        .push_enabled(true)
        .rate_limits(false)
        .start()
        .await
        .unwrap();
    let client = emu
        .client_builder()
        .retry_policy(RetryPolicy::none())
        .no_rate_limit()
        .build()
        .unwrap();
    (emu, client)
}

fn names(pairs: &[(usize, &str)]) -> PushAttrNames {
    pairs
        .iter()
        .fold(PushAttrNames::new(), |n, &(i, name)| match i {
            0 => n.attr0(name),
            1 => n.attr1(name),
            _ => n.attr2(name),
        })
}

fn text_push(life: u32, condition: Option<PushCondition>) -> im_push::Request {
    let mut r = im_push::Request::new([MsgElement::text("sale")]).msg_life_time(life);
    if let Some(c) = condition {
        r = r.condition(c);
    }
    r
}

fn tags(and: &[&str], or: &[&str]) -> PushCondition {
    PushCondition::new()
        .tags_and(and.iter().copied())
        .tags_or(or.iter().copied())
}

async fn tag(client: &Client, user: &str, t: &[&str]) {
    client
        .im_add_tag(im_add_tag::Request::new([PushAddUserTags::new(
            user,
            t.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        )]))
        .await
        .unwrap();
}

/// Each user's tags, read back.
async fn tags_of(client: &Client, users: &[&str]) -> Vec<Vec<String>> {
    let got = client
        .im_get_tag(im_get_tag::Request::new(users.iter().copied()))
        .await
        .unwrap()
        .user_tags;
    got.into_iter().map(|u| u.tags).collect()
}

/// Remove attributes (`names`) of one user: the server's code on failure.
async fn remove_attrs(client: &Client, user: &str, names: &[&str]) -> Option<i64> {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let req = im_remove_attr::Request::new([PushUserAttrNames::new(user, names)]);
    client
        .im_remove_attr(req)
        .await
        .err()
        .map(|e| e.code().unwrap_or(-1))
}

#[tokio::test]
async fn attribute_names_and_user_attributes_read_back() {
    let (_emu, client) = setup().await;
    let none = client
        .im_get_attr_name(im_get_attr_name::Request::new())
        .await
        .unwrap();
    assert_eq!(none.attr_names, None, "no names yet");
    client
        .im_set_attr_name(im_set_attr_name::Request::new(names(&[
            (0, "city"),
            (1, "level"),
        ])))
        .await
        .unwrap();
    let got = client
        .im_get_attr_name(im_get_attr_name::Request::new())
        .await
        .unwrap()
        .attr_names
        .unwrap();
    assert_eq!(got.attr0.as_deref(), Some("city"));
    assert_eq!(got.attr1.as_deref(), Some("level"));
    assert_eq!(got.attr2, None);

    client
        .im_set_attr(im_set_attr::Request::new([
            PushUserAttrs::new("ann", json!({"city": "sz", "level": "3"})),
            PushUserAttrs::new("ben", json!({"city": "bj"})),
        ]))
        .await
        .unwrap();
    // An unknown attribute name: 90033, and nothing of the call is applied.
    let err = client
        .im_set_attr(im_set_attr::Request::new([
            PushUserAttrs::new("cat", json!({"city": "gz"})),
            PushUserAttrs::new("dan", json!({"colour": "red"})),
        ]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(90033), "{err}");
    let got = client
        .im_get_attr(im_get_attr::Request::new(["ann", "ben", "cat"]))
        .await
        .unwrap()
        .user_attrs;
    let by_user: Vec<(String, serde_json::Value)> =
        got.into_iter().map(|u| (u.to_account, u.attrs)).collect();
    assert_eq!(
        by_user,
        [
            ("ann".to_owned(), json!({"city": "sz", "level": "3"})),
            ("ben".to_owned(), json!({"city": "bj"})),
            ("cat".to_owned(), json!({})),
        ]
    );
    assert_eq!(remove_attrs(&client, "ann", &["level"]).await, None);
    let ann = client
        .im_get_attr(im_get_attr::Request::new(["ann"]))
        .await
        .unwrap()
        .user_attrs;
    assert_eq!(ann[0].attrs, json!({"city": "sz"}));
    assert_eq!(remove_attrs(&client, "ann", &["colour"]).await, Some(90033));
}

#[tokio::test]
async fn tags_are_added_once_removed_and_cleared() {
    let (_emu, client) = setup().await;
    tag(&client, "ann", &["vip", "sz"]).await;
    tag(&client, "ann", &["sz", "new"]).await;
    let got = tags_of(&client, &["ann", "ben"]).await;
    assert_eq!(
        got[0],
        ["vip", "sz", "new"],
        "a tag held is not added twice"
    );
    assert!(got[1].is_empty());
    client
        .im_remove_tag(im_remove_tag::Request::new([PushUserTags::new(
            "ann",
            vec!["sz".to_owned()],
        )]))
        .await
        .unwrap();
    let got = tags_of(&client, &["ann"]).await;
    assert_eq!(got[0], ["vip", "new"]);
    client
        .im_remove_all_tags(im_remove_all_tags::Request::new(["ann"]))
        .await
        .unwrap();
    let got = tags_of(&client, &["ann"]).await;
    assert!(got[0].is_empty());

    // A user holds at most 100 tags: the call that would pass it changes nothing.
    for batch in 0..10 {
        let ten: Vec<String> = (0..10).map(|i| format!("t{batch}-{i}")).collect();
        let refs: Vec<&str> = ten.iter().map(String::as_str).collect();
        tag(&client, "ben", &refs).await;
    }
    let err = client
        .im_add_tag(im_add_tag::Request::new([PushAddUserTags::new(
            "ben",
            vec!["one-more".to_owned()],
        )]))
        .await
        .unwrap_err();
    assert!(err.code().is_some(), "refused by the server: {err}");
    let got = tags_of(&client, &["ben"]).await;
    assert_eq!(got[0].len(), 100);
}

#[tokio::test]
async fn pushes_select_users_by_tags_and_attributes() {
    let (emu, client) = setup().await;
    tag(&client, "ann", &["vip", "sz"]).await;
    tag(&client, "ben", &["vip"]).await;
    tag(&client, "cat", &["sz"]).await;
    client
        .im_set_attr_name(im_set_attr_name::Request::new(names(&[(0, "city")])))
        .await
        .unwrap();
    client
        .im_set_attr(im_set_attr::Request::new([
            PushUserAttrs::new("cat", json!({"city": "gz"})),
            PushUserAttrs::new("dan", json!({"city": "gz"})),
        ]))
        .await
        .unwrap();

    // TagsAnd and TagsOr together: both must hold.
    client
        .im_push(text_push(3600, Some(tags(&["vip"], &["sz", "bj"]))))
        .await
        .unwrap();
    client
        .im_push(text_push(3600, Some(tags(&[], &["sz"]))))
        .await
        .unwrap();
    let by_attr = PushCondition::new().attrs_and(json!({"city": "gz"}));
    client
        .im_push(text_push(3600, Some(by_attr)))
        .await
        .unwrap();
    // No condition: everyone (the admin sender is not an imported account).
    let all = client.im_push(text_push(3600, None)).await.unwrap();
    // Online only (no MsgLifeTime): selected, but nobody is online.
    client.im_push(text_push(0, None)).await.unwrap();

    let pushes = emu.pushes();
    let selected: Vec<Vec<String>> = pushes.iter().map(|p| p.recipients.clone()).collect();
    assert_eq!(
        selected,
        [
            vec!["ann"],
            vec!["ann", "cat"],
            vec!["cat", "dan"],
            vec!["ann", "ben", "cat", "dan"],
            vec!["ann", "ben", "cat", "dan"],
        ]
    );
    assert_eq!(pushes[3].task_id, all.task_id);
    assert!(!pushes[4].stored);
    let inbox_sizes: Vec<usize> = USERS.iter().map(|u| emu.inbox(u).len()).collect();
    assert_eq!(
        inbox_sizes,
        [3, 1, 3, 2],
        "only stored pushes reach inboxes"
    );
    let d = &emu.inbox("ben")[0];
    assert_eq!(d.endpoint, "all_member_push/im_push");
    assert_eq!(d.msg_body, [MsgElement::text("sale")]);
}

#[tokio::test]
async fn a_repeated_push_is_one_task() {
    let (emu, client) = setup().await;
    let first = client
        .im_push(text_push(60, None).msg_random(7))
        .await
        .unwrap();
    let again = client
        .im_push(text_push(60, None).msg_random(7))
        .await
        .unwrap();
    assert_eq!(first.task_id, again.task_id);
    assert_eq!(emu.pushes().len(), 1);
    assert_eq!(emu.inbox("ann").len(), 1, "delivered once");
    let other = client
        .im_push(text_push(60, None).msg_random(8))
        .await
        .unwrap();
    assert_ne!(other.task_id, first.task_id);
}

#[tokio::test]
async fn bad_conditions_get_the_pages_codes() {
    let (emu, client) = setup().await;
    let code = |c: PushCondition| {
        let client = client.clone();
        async move {
            client
                .im_push(text_push(60, Some(c)))
                .await
                .unwrap_err()
                .code()
        }
    };
    let both = tags(&["vip"], &[]).attrs_or(json!({"city": "sz"}));
    assert_eq!(code(both).await, Some(90039), "tags with attributes");
    assert_eq!(code(tags(&[""], &[])).await, Some(90040), "an empty tag");
    assert_eq!(
        code(tags(&[&"x".repeat(51)], &[])).await,
        Some(90020),
        "a tag over 50 bytes"
    );
    assert_eq!(
        code(tags(&["vip"], &["vip"])).await,
        Some(90022),
        "a tag in TagsAnd and TagsOr"
    );
    let unknown = PushCondition::new().attrs_and(json!({"city": "sz"}));
    assert_eq!(code(unknown).await, Some(90033), "no attribute names yet");
    assert!(emu.pushes().is_empty(), "nothing was pushed");
}

#[tokio::test]
async fn pushing_needs_the_feature_enabled() {
    let emu = Emulator::builder().accounts(USERS).start().await.unwrap();
    let client = emu.client_builder().no_rate_limit().build().unwrap();
    let err = client.im_push(text_push(60, None)).await.unwrap_err();
    assert_eq!(err.code(), Some(90045), "off by default: {err}");
    // Attributes and tags are managed either way.
    tag(&client, "ann", &["vip"]).await;
    emu.set_push_enabled(true);
    client.im_push(text_push(60, None)).await.unwrap();
    assert_eq!(emu.pushes().len(), 1);
}

#[tokio::test]
async fn one_hundred_pushes_a_day() {
    let (emu, client) = setup().await;
    for _ in 0..100 {
        client.im_push(text_push(0, None)).await.unwrap();
    }
    let err = client.im_push(text_push(0, None)).await.unwrap_err();
    assert_eq!(err.code(), Some(90047), "{err}");
    assert_eq!(emu.pushes().len(), 100);
}

mod timpush {
    //! The Push service (`timpush`): its own attribute names with account
    //! types, UserIDs and RegistrationIDs, unknown accounts listed with
    //! 70107 and accounts of the other type with 90035, `TagsNot`, batch
    //! pushes and recalls (90049, 90050).

    use im_api::api::{
        add_tag, batch, clear_all_tags, get_attr, get_attr_name, get_tag, push, remove_tag, revoke,
        set_attr, set_attr_name,
    };
    use im_api::emulator::Emulator;
    use im_api::types::{
        MsgElement, OfflinePushInfo, PushAccountType, PushAttrNames, PushAttrTypes, PushUserAttrs,
        PushUserTags, TimPushAddUserTags, TimPushCondition,
    };
    use im_api::{Client, RetryPolicy};
    use serde_json::json;

    async fn setup(enabled: bool) -> (Emulator, Client) {
        let emu = Emulator::builder()
            .accounts(["ann", "ben"])
            .push_registration_ids(["reg-1"])
            .push_enabled(enabled)
            .rate_limits(false)
            .start()
            .await
            .unwrap();
        let client = emu
            .client_builder()
            .retry_policy(RetryPolicy::none())
            .no_rate_limit()
            .build()
            .unwrap();
        (emu, client)
    }

    fn listed(list: &[im_api::types::AccountError]) -> Vec<(String, i64)> {
        list.iter()
            .map(|e| (e.to_account.clone(), e.error_code))
            .collect()
    }

    async fn tag(client: &Client, user: &str, tags: &[&str], replace: bool) -> Vec<(String, i64)> {
        let tags: Vec<String> = tags.iter().map(|t| t.to_string()).collect();
        let req = add_tag::Request::new([TimPushAddUserTags::new(user, tags)]).replace(replace);
        listed(&client.add_tag(req).await.unwrap().error_list)
    }

    async fn names(client: &Client) {
        client
            .set_attr_name(
                set_attr_name::Request::new(PushAttrNames::new().attr0("city").attr1("model"))
                    .attr_types(PushAttrTypes::new().attr1(PushAccountType::RegistrationId)),
            )
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn attributes_and_tags_apply_to_one_account_type() {
        let (_emu, client) = setup(true).await;
        names(&client).await;
        let got = client
            .get_attr_name(get_attr_name::Request::new())
            .await
            .unwrap();
        let types = got.attr_types.unwrap();
        assert_eq!(types.attr0, Some(PushAccountType::UserId), "the default");
        assert_eq!(types.attr1, Some(PushAccountType::RegistrationId));
        assert_eq!(got.attr_names.unwrap().attr1.as_deref(), Some("model"));
        // A type never changes; a name belongs to one number: 90033.
        for req in [
            set_attr_name::Request::new(PushAttrNames::new().attr1("model"))
                .attr_types(PushAttrTypes::new().attr1(PushAccountType::UserId)),
            set_attr_name::Request::new(PushAttrNames::new().attr2("city")),
        ] {
            let err = client.set_attr_name(req).await.unwrap_err();
            assert_eq!(err.code(), Some(90033), "{err}");
        }

        let answer = client
            .set_attr(set_attr::Request::new([
                PushUserAttrs::new("ann", json!({"city": "sz"})),
                PushUserAttrs::new("reg-1", json!({"model": "x1"})),
                PushUserAttrs::new("ghost", json!({"city": "bj"})),
                PushUserAttrs::new("ben", json!({"model": "x2"})),
            ]))
            .await
            .unwrap();
        assert_eq!(
            listed(&answer.error_list),
            [("ghost".to_owned(), 70107), ("ben".to_owned(), 90035)]
        );
        let got = client
            .get_attr(get_attr::Request::new(["ann", "reg-1", "ben", "ghost"]))
            .await
            .unwrap();
        let attrs: Vec<_> = got
            .user_attrs
            .iter()
            .map(|u| (u.to_account.as_str(), u.attrs.clone()))
            .collect();
        assert_eq!(
            attrs,
            [
                ("ann", json!({"city": "sz"})),
                ("reg-1", json!({"model": "x1"})),
                ("ben", json!({})),
            ]
        );
        assert_eq!(listed(&got.error_list), [("ghost".to_owned(), 70107)]);

        // A tag first used for a UserID is a UserID tag.
        assert!(tag(&client, "ann", &["vip"], false).await.is_empty());
        assert_eq!(
            tag(&client, "reg-1", &["vip"], false).await,
            [("reg-1".to_owned(), 90035)]
        );
        assert!(tag(&client, "ann", &["a", "b"], true).await.is_empty());
        let eleven: Vec<String> = (0..11).map(|i| format!("t{i}")).collect();
        let err = client
            .add_tag(add_tag::Request::new([TimPushAddUserTags::new(
                "ben", eleven,
            )]))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Some(90032), "{err}");
        let got = client
            .get_tag(get_tag::Request::new(["ann", "ghost"]))
            .await
            .unwrap();
        assert_eq!(got.user_tags[0].tags, ["a", "b"], "replaced");
        assert_eq!(listed(&got.error_list), [("ghost".to_owned(), 70107)]);
        let removed = client
            .remove_tag(remove_tag::Request::new([
                PushUserTags::new("ann", vec!["a".to_owned()]),
                PushUserTags::new("ghost", vec!["a".to_owned()]),
            ]))
            .await
            .unwrap();
        assert_eq!(listed(&removed.error_list), [("ghost".to_owned(), 70107)]);
        client
            .clear_all_tags(clear_all_tags::Request::new(["ann"]))
            .await
            .unwrap();
        let got = client
            .get_tag(get_tag::Request::new(["ann"]))
            .await
            .unwrap();
        assert!(got.user_tags[0].tags.is_empty());
    }

    #[tokio::test]
    async fn pushes_batches_and_recalls() {
        let (emu, client) = setup(true).await;
        tag(&client, "ann", &["vip"], false).await;
        tag(&client, "ben", &["vip", "old"], false).await;
        let cond = TimPushCondition::new().tags_and(["vip"]).tags_not(["old"]);
        let message = || push::Request::new().msg_body([MsgElement::text("hi")]);
        let first = client
            .push(message().condition(cond.clone()))
            .await
            .unwrap();
        client
            .push(message().condition(cond).online_only_flag(true))
            .await
            .unwrap();
        client
            .push(push::Request::new().offline_push_info(OfflinePushInfo::new().title("t")))
            .await
            .unwrap();
        let tasks = emu.pushes();
        let seen: Vec<(Vec<String>, bool)> = tasks
            .iter()
            .map(|t| (t.recipients.clone(), t.stored))
            .collect();
        assert_eq!(
            seen,
            [
                (vec!["ann".to_owned()], true),
                (vec!["ann".to_owned()], false),
                (
                    vec!["ann".to_owned(), "ben".to_owned(), "reg-1".to_owned()],
                    false
                ),
            ]
        );
        assert_eq!(emu.inbox("ann").len(), 1, "only the stored message");
        assert_eq!(emu.inbox("ann")[0].endpoint, "timpush/push");

        let sent = client
            .batch(batch::Request::new(
                "ann",
                ["ben", "ghost", "reg-1"],
                OfflinePushInfo::new().title("t"),
            ))
            .await
            .unwrap();
        assert_eq!(listed(&sent.error_list), [("ghost".to_owned(), 70107)]);
        assert!(sent.task_id.starts_with("batch_"), "{}", sent.task_id);
        assert_eq!(emu.pushes()[3].recipients, ["ben", "reg-1"]);

        let recall = |id: String| {
            let client = client.clone();
            async move {
                client
                    .revoke(revoke::Request::new(
                        id,
                        OfflinePushInfo::new().title("recalled"),
                    ))
                    .await
                    .err()
                    .and_then(|e| e.code())
            }
        };
        assert_eq!(recall(first.task_id.clone()).await, None);
        assert_eq!(recall(first.task_id).await, Some(90050), "once per task");
        assert_eq!(recall("nope".into()).await, Some(90049));
        assert_eq!(recall(sent.task_id).await, None, "batch tasks too");
        assert!(emu.pushes()[0].revoked);
    }

    #[tokio::test]
    async fn pushing_needs_the_service_enabled() {
        let (emu, client) = setup(false).await;
        let err = client.push(push::Request::new()).await.unwrap_err();
        assert_eq!(err.code(), Some(90045), "{err}");
        let err = client
            .batch(batch::Request::new("ann", ["ben"], OfflinePushInfo::new()))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Some(90045), "{err}");
        assert!(emu.pushes().is_empty());
    }
}
