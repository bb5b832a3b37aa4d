//! The Push service (`timpush`): its own attribute names (with the account
//! type each attribute applies to), attributes and tags of UserIDs and push
//! RegistrationIDs, pushes by condition (`TagsNot` too), pushes to listed
//! accounts (`batch`) and their recall (`revoke`).
//!
//! A UserID is an imported account; RegistrationIDs are the ones given to
//! `EmulatorBuilder::push_registration_ids` (the emulator has no devices).
//! Anything else is an unknown account: listed in `ErrorList` with 70107, as
//! the pages say, while the others are served (partial failure). An
//! attribute or tag applies to one account type (90035 for an account of
//! the other type). A push with a `MsgBody` and without `OnlineOnlyFlag`
//! reaches the recipients' inboxes; a notification-only push does not. The
//! same `MsgRandom` within one second is the same task (the batch page).
//! Pushing needs the feature enabled (`EmulatorBuilder::push_enabled`, 90045).

use super::push::{
    ByCondition, MAX_TAGS_PER_USER, PushFailure, PushTask, Refusal, Service, attr_names,
    attr_pairs, bad_tag, names_of, push_by_condition, push_failed, record,
};
use super::{Ctx, Table};
use crate::api::{
    add_tag, batch, clear_all_tags, get_attr, get_attr_name, get_tag, push, remove_attr,
    remove_tag, revoke, set_attr, set_attr_name,
};
use crate::emulator::reply::{Reply, fail, fail_with, ok, ok_empty};
use crate::types::{AccountError, PushAccountType, PushAttrTypes, PushUserAttrs, PushUserTags};
use crate::{EndpointError as _, PublicError};

/// How long a `MsgRandom` names the same task (the batch page: one second).
const DEDUP_SECS: i64 = 1;
/// How long a task can be recalled (the revoke page: 24 hours).
const REVOKE_SECS: i64 = 24 * 3600;
/// Distinct tags over all accounts of an app (the add_tag page).
const MAX_APP_TAGS: usize = 1000;
/// Tags per account in one add_tag call without `Replace` (90032).
const MAX_TAGS_PER_CALL: usize = 10;

pub(super) fn register(t: &mut Table) {
    t.add(push_all);
    t.add(push_batch);
    t.add(push_revoke);
    t.add(get_names);
    t.add(set_names);
    t.add(get_attrs);
    t.add(set_attrs);
    t.add(remove_attrs);
    t.add(get_tags);
    t.add(add_tags);
    t.add(remove_tags);
    t.add(clear_tags);
}

/// The account type of a UserID or RegistrationID the service knows.
fn kind_of(cx: &Ctx<'_>, id: &str) -> Option<PushAccountType> {
    if cx.st.has_account(id) {
        Some(PushAccountType::UserId)
    } else if cx.st.families.push.registrations.contains(id) {
        Some(PushAccountType::RegistrationId)
    } else {
        None
    }
}

fn unknown(id: &str) -> AccountError {
    AccountError {
        to_account: id.to_owned(),
        error_code: PublicError::AccountNotImported.code(),
        error_info: Some("not an imported UserID or a known RegistrationID".into()),
    }
}

fn wrong_type(id: &str, code: i64, what: &str) -> AccountError {
    AccountError {
        to_account: id.to_owned(),
        error_code: code,
        error_info: Some(format!("{what} applies to the other account type")),
    }
}

/// The ten optional account types of [`PushAttrTypes`], by number.
fn types_of(t: &PushAttrTypes) -> [(u8, Option<&PushAccountType>); 10] {
    [
        (0, t.attr0.as_ref()),
        (1, t.attr1.as_ref()),
        (2, t.attr2.as_ref()),
        (3, t.attr3.as_ref()),
        (4, t.attr4.as_ref()),
        (5, t.attr5.as_ref()),
        (6, t.attr6.as_ref()),
        (7, t.attr7.as_ref()),
        (8, t.attr8.as_ref()),
        (9, t.attr9.as_ref()),
    ]
}

/// Names unique across numbers, account types known and never changed:
/// 90033 otherwise, and nothing changes.
fn set_names(cx: &mut Ctx<'_>, r: set_attr_name::Request) -> Reply {
    type E = set_attr_name::Error;
    let st = &mut cx.st.families.push;
    let given: Vec<(u8, &String)> = names_of(&r.attr_names)
        .into_iter()
        .filter_map(|(i, n)| n.map(|n| (i, n)))
        .collect();
    for &(i, name) in &given {
        let taken = st.tim.attr_names.iter().any(|(j, n)| *j != i && n == name)
            || given.iter().any(|&(j, n)| j != i && n == name);
        if taken {
            return fail_with(
                E::InvalidPushAttribute,
                format!("attribute name {name} is used by another number"),
            );
        }
    }
    let types: Vec<(u8, PushAccountType)> = r
        .attr_types
        .as_ref()
        .map(types_of)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(i, t)| t.map(|t| (i, t.clone())))
        .collect();
    for (i, ty) in &types {
        if matches!(ty, PushAccountType::Unknown(_)) {
            return fail_with(
                E::InvalidPushAttribute,
                format!("attribute {i}: unknown account type"),
            );
        }
        if !given.iter().any(|(j, _)| j == i) && !st.tim.attr_names.contains_key(i) {
            return fail_with(
                E::InvalidPushAttribute,
                format!("attribute {i} has no name"),
            );
        }
        if st.tim_attr_types.get(i).is_some_and(|old| old != ty) {
            return fail_with(
                E::InvalidPushAttribute,
                format!("the account type of attribute {i} cannot change"),
            );
        }
    }
    for (i, name) in given {
        st.tim.attr_names.insert(i, name.clone());
        st.tim_attr_types
            .entry(i)
            .or_insert(PushAccountType::UserId);
    }
    for (i, ty) in types {
        st.tim_attr_types.insert(i, ty);
    }
    ok_empty()
}

fn get_names(cx: &mut Ctx<'_>, _: get_attr_name::Request) -> Reply {
    let st = &cx.st.families.push;
    let ty = |i: u8| st.tim_attr_types.get(&i).cloned();
    let attr_types = (!st.tim_attr_types.is_empty()).then(|| PushAttrTypes {
        attr0: ty(0),
        attr1: ty(1),
        attr2: ty(2),
        attr3: ty(3),
        attr4: ty(4),
        attr5: ty(5),
        attr6: ty(6),
        attr7: ty(7),
        attr8: ty(8),
        attr9: ty(9),
    });
    ok(&get_attr_name::Response {
        attr_names: attr_names(&st.tim.attr_names),
        attr_types,
    })
}

fn get_attrs(cx: &mut Ctx<'_>, r: get_attr::Request) -> Reply {
    let (mut user_attrs, mut error_list) = (Vec::new(), Vec::new());
    for a in r.to_account {
        if kind_of(cx, &a).is_none() {
            error_list.push(unknown(&a));
        } else {
            let attrs = cx.st.families.push.tim.attrs_json(&a);
            user_attrs.push(PushUserAttrs::new(a, attrs));
        }
    }
    ok(&get_attr::Response {
        user_attrs,
        error_list,
    })
}

/// The account type of the attribute called `name`.
fn attr_type(cx: &Ctx<'_>, name: &str) -> PushAccountType {
    let st = &cx.st.families.push;
    st.tim
        .attr_names
        .iter()
        .find(|(_, n)| *n == name)
        .and_then(|(i, _)| st.tim_attr_types.get(i).cloned())
        .unwrap_or(PushAccountType::UserId)
}

/// Unknown attribute names or bad values fail the call (90033); unknown
/// accounts and accounts of the other type are listed and skipped.
fn set_attrs(cx: &mut Ctx<'_>, r: set_attr::Request) -> Reply {
    type E = set_attr::Error;
    let mut checked = Vec::with_capacity(r.user_attrs.len());
    for u in &r.user_attrs {
        match attr_pairs(&cx.st.families.push.tim, &u.attrs) {
            Ok(pairs) => checked.push((u.to_account.clone(), pairs)),
            Err(why) => {
                return fail_with(E::InvalidPushAttribute, format!("{}: {why}", u.to_account));
            }
        }
    }
    let mut error_list = Vec::new();
    for (account, pairs) in checked {
        let Some(kind) = kind_of(cx, &account) else {
            error_list.push(unknown(&account));
            continue;
        };
        if pairs.iter().any(|(name, _)| attr_type(cx, name) != kind) {
            error_list.push(wrong_type(
                &account,
                E::PushAccountTypeMismatch.code(),
                "an attribute",
            ));
            continue;
        }
        let held = cx.st.families.push.tim.attrs.entry(account).or_default();
        held.extend(pairs);
    }
    ok(&set_attr::Response { error_list })
}

fn remove_attrs(cx: &mut Ctx<'_>, r: remove_attr::Request) -> Reply {
    let st = &cx.st.families.push.tim;
    if let Some(name) = r
        .user_attrs
        .iter()
        .flat_map(|u| &u.attrs)
        .find(|n| !st.is_attr_name(n))
    {
        return fail_with(
            remove_attr::Error::InvalidPushAttribute,
            format!("{name} is not one of the app's attribute names"),
        );
    }
    let mut error_list = Vec::new();
    for u in r.user_attrs {
        if kind_of(cx, &u.to_account).is_none() {
            error_list.push(unknown(&u.to_account));
        } else if let Some(held) = cx.st.families.push.tim.attrs.get_mut(&u.to_account) {
            for name in &u.attrs {
                held.remove(name);
            }
        }
    }
    ok(&remove_attr::Response { error_list })
}

fn get_tags(cx: &mut Ctx<'_>, r: get_tag::Request) -> Reply {
    let (mut user_tags, mut error_list) = (Vec::new(), Vec::new());
    for a in r.to_account {
        if kind_of(cx, &a).is_none() {
            error_list.push(unknown(&a));
        } else {
            let tags = cx
                .st
                .families
                .push
                .tim
                .tags
                .get(&a)
                .cloned()
                .unwrap_or_default();
            user_tags.push(PushUserTags::new(a, tags));
        }
    }
    ok(&get_tag::Response {
        user_tags,
        error_list,
    })
}

/// Checks of the whole call first (tags per call, bad tags, 100 per
/// account, 1,000 per app); then each account is served or listed.
fn add_tags(cx: &mut Ctx<'_>, r: add_tag::Request) -> Reply {
    type E = add_tag::Error;
    let replace = r.replace.unwrap_or(false);
    let invalid = add_tag::META.invalid_code;
    for u in &r.user_tags {
        if !replace && u.tags.len() > MAX_TAGS_PER_CALL {
            return fail_with(
                E::TooManyPushTags,
                format!(
                    "{}: at most {MAX_TAGS_PER_CALL} tags per call",
                    u.to_account
                ),
            );
        }
        if let Some(why) = u.tags.iter().find_map(|t| bad_tag(t)) {
            return fail(invalid, format!("{}: {why}", u.to_account));
        }
    }
    let mut error_list = Vec::new();
    for u in r.user_tags {
        let Some(kind) = kind_of(cx, &u.to_account) else {
            error_list.push(unknown(&u.to_account));
            continue;
        };
        let st = &mut cx.st.families.push;
        if u.tags
            .iter()
            .any(|t| st.tim_tag_types.get(t).is_some_and(|k| *k != kind))
        {
            error_list.push(wrong_type(
                &u.to_account,
                E::PushAccountTypeMismatch.code(),
                "a tag",
            ));
            continue;
        }
        let mut after: Vec<String> = if replace {
            Vec::new()
        } else {
            st.tim.tags.get(&u.to_account).cloned().unwrap_or_default()
        };
        for t in &u.tags {
            if !after.contains(t) {
                after.push(t.clone());
            }
        }
        if after.len() > MAX_TAGS_PER_USER {
            return fail(
                invalid,
                format!(
                    "{} would hold {} tags, at most {MAX_TAGS_PER_USER}",
                    u.to_account,
                    after.len()
                ),
            );
        }
        let new_tags = u
            .tags
            .iter()
            .filter(|t| !st.tim_tag_types.contains_key(*t))
            .count();
        if st.tim_tag_types.len() + new_tags > MAX_APP_TAGS {
            return fail(invalid, format!("an app holds at most {MAX_APP_TAGS} tags"));
        }
        for t in &u.tags {
            st.tim_tag_types
                .entry(t.clone())
                .or_insert_with(|| kind.clone());
        }
        st.tim.tags.insert(u.to_account, after);
    }
    ok(&add_tag::Response { error_list })
}

fn remove_tags(cx: &mut Ctx<'_>, r: remove_tag::Request) -> Reply {
    let mut error_list = Vec::new();
    for u in r.user_tags {
        if kind_of(cx, &u.to_account).is_none() {
            error_list.push(unknown(&u.to_account));
        } else if let Some(held) = cx.st.families.push.tim.tags.get_mut(&u.to_account) {
            held.retain(|t| !u.tags.contains(t));
        }
    }
    ok(&remove_tag::Response { error_list })
}

fn clear_tags(cx: &mut Ctx<'_>, r: clear_all_tags::Request) -> Reply {
    let mut error_list = Vec::new();
    for a in r.to_account {
        if kind_of(cx, &a).is_none() {
            error_list.push(unknown(&a));
        } else {
            cx.st.families.push.tim.tags.remove(&a);
        }
    }
    ok(&clear_all_tags::Response { error_list })
}

fn push_all(cx: &mut Ctx<'_>, r: push::Request) -> Reply {
    let call = ByCondition {
        service: Service::TimPush,
        meta: &push::META,
        dedup_secs: DEDUP_SECS,
        from: r.from_account,
        random: r.msg_random.unwrap_or_default(),
        condition: r.condition.into(),
        stored: !r.msg_body.is_empty() && r.online_only_flag != Some(true),
        msg_body: r.msg_body,
    };
    match push_by_condition(cx, call) {
        Ok(task_id) => ok(&push::Response { task_id }),
        Err(f) => push_failed!(push::Error, f),
    }
}

/// A notification to listed accounts: unknown ones are listed in `ErrorList`.
fn push_batch(cx: &mut Ctx<'_>, r: batch::Request) -> Reply {
    let now = cx.unix;
    let random = r.msg_random.unwrap_or_default();
    let endpoint = &batch::META.path[4..];
    if !cx.st.families.push.enabled {
        return fail_with(
            batch::Error::PushNotEnabled,
            "the push service is not enabled for this app",
        );
    }
    let (mut recipients, mut error_list) = (Vec::new(), Vec::new());
    for a in &r.to_account {
        if kind_of(cx, a).is_none() {
            error_list.push(unknown(a));
        } else if !recipients.contains(a) {
            recipients.push(a.clone());
        }
    }
    if let Some(t) = cx
        .st
        .families
        .push
        .repeat(endpoint, random, now, DEDUP_SECS)
    {
        return ok(&batch::Response {
            task_id: t.task_id.clone(),
            error_list,
        });
    }
    let task_id = record(
        cx,
        PushTask {
            endpoint,
            task_id: String::new(),
            from: r.from_account,
            random,
            msg_body: Vec::new(),
            recipients,
            stored: false,
            time: now,
            revoked: false,
        },
    );
    ok(&batch::Response {
        task_id,
        error_list,
    })
}

/// Only tasks of `timpush/push` or `timpush/batch` (90049), once (90050),
/// within 24 hours (90052).
fn push_revoke(cx: &mut Ctx<'_>, r: revoke::Request) -> Reply {
    type E = revoke::Error;
    let now = cx.unix;
    let Some(task) = cx
        .st
        .families
        .push
        .tasks
        .iter_mut()
        .find(|t| t.task_id == r.task_id && t.endpoint.starts_with("timpush/"))
    else {
        return fail_with(E::PushTaskNotFound, format!("no push task {}", r.task_id));
    };
    if task.revoked {
        return fail_with(E::PushAlreadyRevoked, "the task was recalled already");
    }
    if now - task.time > REVOKE_SECS {
        return fail_with(E::RevokeWindowExpired, "the task is more than 24 hours old");
    }
    task.revoked = true;
    ok_empty()
}
