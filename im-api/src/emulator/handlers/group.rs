//! Group management: create, list, info, members, destroy (and the rest of
//! `group.toml`'s endpoints). Groups live in `State::groups`.

use serde_json::{Map, Value};

use super::{to_json, Ctx, Table};
use crate::api::{
    add_group_member, create_group, delete_group_member, destroy_group, get_appid_group_list,
    get_group_info,
};
use crate::emulator::reply::{fail_with, ok, ok_empty, Reply};
use crate::emulator::state::Group;
use crate::types::{
    GroupIdItem, GroupInfoResult, GroupMemberInfo, GroupMemberResult, GroupRole, GroupType,
    KeyValue, MemberAddResultCode, OnOff,
};
use crate::EndpointError as _;

pub(super) fn register(t: &mut Table) {
    t.add(create);
    t.add(group_list);
    t.add(info);
    t.add(add_members);
    t.add(delete_members);
    t.add(destroy);
}

/// At most this many members in one create/add call (10005 beyond).
fn member_cap(meta: &crate::EndpointMeta, wire: &str) -> usize {
    meta.field(wire)
        .and_then(|f| f.max_items)
        .map_or(usize::MAX, |m| m as usize)
}

fn create(cx: &mut Ctx<'_>, r: create_group::Request) -> Reply {
    if let Some(unknown) = r
        .owner_account
        .iter()
        .chain(r.member_list.iter().map(|m| &m.member_account))
        .find(|a| !cx.st.has_account(a))
    {
        return fail_with(
            create_group::Error::InvalidParameter,
            format!("account {unknown} is not imported"),
        );
    }
    if r.group_type == GroupType::AvChatRoom && !r.member_list.is_empty() {
        return fail_with(
            create_group::Error::PermissionDenied,
            "AVChatRoom members join through the SDK",
        );
    }
    if r.member_list.len() > member_cap(&create_group::META, "MemberList") {
        return fail_with(create_group::Error::TooManyMembersInRequest, "too many members");
    }
    let id = match r.group_id {
        Some(id) if cx.st.groups.contains_key(&id) => {
            return fail_with(create_group::Error::GroupIdTaken, "the group ID is taken")
        }
        Some(id) => id,
        None => cx.st.new_group_id(),
    };
    let owner = r.owner_account.clone();
    cx.st.add_group(id.clone(), r.group_type.clone(), owner, Vec::new(), cx.unix);
    let g = cx.st.groups.get_mut(&id).expect("just created");
    g.name = r.name;
    g.introduction = r.introduction.unwrap_or_default();
    g.notification = r.notification.unwrap_or_default();
    g.face_url = r.face_url.unwrap_or_default();
    g.max_member_num = r.max_member_count.unwrap_or(0);
    if let Some(o) = r.apply_join_option {
        g.apply_join_option = o;
    }
    g.app_data = r.app_defined_data.into_iter().map(|kv| (kv.key, kv.value)).collect();
    for m in r.member_list {
        let role = match m.role {
            Some(GroupRole::Admin) => GroupRole::Admin,
            _ => GroupRole::Member,
        };
        g.join(&m.member_account, role, cx.unix);
        let member = g.members.get_mut(&m.member_account).expect("just joined");
        member.app_data = m
            .app_member_defined_data
            .into_iter()
            .map(|kv| (kv.key, kv.value))
            .collect();
    }
    let community = r.group_type == GroupType::Community;
    ok(&create_group::Response {
        group_id: id,
        r#type: community.then_some(r.group_type),
        huge_group_flag: community.then_some(0),
    })
}

/// Group IDs in a stable order, a page at a time; `Next` is the index of the next one.
fn group_list(cx: &mut Ctx<'_>, r: get_appid_group_list::Request) -> Reply {
    let ids: Vec<&String> = cx
        .st
        .groups
        .iter()
        .filter(|(_, g)| r.group_type.as_ref().is_none_or(|t| *t == g.ty))
        .map(|(id, _)| id)
        .collect();
    let start = r.next.unwrap_or(0) as usize;
    let limit = r.limit.unwrap_or(10_000).max(1) as usize;
    let page: Vec<GroupIdItem> = ids
        .iter()
        .skip(start)
        .take(limit)
        .map(|id| GroupIdItem::new((*id).clone()))
        .collect();
    let end = start + page.len();
    let next = if end < ids.len() { end as u64 } else { 0 };
    ok(&get_appid_group_list::Response {
        total_count: ids.len() as u64,
        group_id_list: page,
        next,
    })
}

fn kv(map: &std::collections::BTreeMap<String, String>) -> Vec<KeyValue> {
    map.iter()
        .map(|(k, v)| KeyValue {
            key: k.clone(),
            value: v.clone(),
        })
        .collect()
}

/// The full record of a group (filters are applied on its JSON form).
pub(crate) fn group_record(id: &str, g: &Group) -> GroupInfoResult {
    let av = g.ty == GroupType::AvChatRoom;
    let members = if av {
        Vec::new()
    } else {
        g.member_ids()
            .filter_map(|a| g.members.get(a).map(|m| (a, m)))
            .map(|(a, m)| GroupMemberInfo {
                member_account: a.clone(),
                role: Some(m.role.clone()),
                join_time: Some(m.join_time),
                msg_seq: Some(m.last_read_seq),
                msg_flag: Some(m.msg_flag.clone()),
                last_send_msg_time: Some(0),
                mute_until: Some(m.muted_until),
                shut_up_until: None,
                name_card: Some(m.name_card.clone()),
                online_status: None,
                app_member_defined_data: kv(&m.app_data),
            })
            .collect()
    };
    GroupInfoResult {
        group_id: id.to_owned(),
        error_code: 0,
        error_info: Some(String::new()),
        r#type: Some(g.ty.clone()),
        name: Some(g.name.clone()),
        appid: None,
        introduction: Some(g.introduction.clone()),
        notification: Some(g.notification.clone()),
        face_url: Some(g.face_url.clone()),
        owner_account: g.owner.clone(),
        create_time: Some(g.created),
        info_seq: Some(g.info_seq),
        last_info_time: Some(g.last_info_time),
        last_msg_time: g.history.last().map(|m| m.delivered.msg_time),
        next_msg_seq: Some(g.next_seq),
        member_num: (!av).then_some(g.members.len() as u32),
        max_member_num: Some(g.max_member_num),
        apply_join_option: Some(g.apply_join_option.clone()),
        invite_join_option: g.invite_join_option.clone(),
        mute_all_member: Some(if g.mute_all { OnOff::On } else { OnOff::Off }),
        shut_up_all_member: None,
        app_defined_data: kv(&g.app_data),
        member_list: members,
    }
}

/// Keep only the keys a filter names (plus the always-present ones).
fn keep(obj: &mut Map<String, Value>, allowed: &[String], always: &[&str]) {
    obj.retain(|k, _| always.contains(&k.as_str()) || allowed.iter().any(|a| a == k));
}

fn info(cx: &mut Ctx<'_>, r: get_group_info::Request) -> Reply {
    let filter = r.response_filter.as_ref();
    let mut out = Vec::new();
    for id in &r.group_id_list {
        let Some(g) = cx.st.groups.get(id) else {
            let mut entry = to_json(&GroupInfoResult {
                group_id: id.clone(),
                error_code: get_group_info::Error::GroupNotFound.code(),
                error_info: Some("the group does not exist".into()),
                ..empty_record()
            });
            if let Value::Object(m) = &mut entry {
                keep(m, &[], &["GroupId", "ErrorCode", "ErrorInfo"]);
            }
            out.push(entry);
            continue;
        };
        let mut entry = to_json(&group_record(id, g));
        if let (Some(f), Value::Object(m)) = (filter, &mut entry) {
            if !f.group_base_info_filter.is_empty() || !f.member_info_filter.is_empty() {
                let mut allowed = f.group_base_info_filter.clone();
                allowed.extend(["MemberList".to_owned(), "AppDefinedData".to_owned()]);
                keep(m, &allowed, &["GroupId", "ErrorCode", "ErrorInfo"]);
            }
            if let Some(Value::Array(members)) = m.get_mut("MemberList") {
                for member in members.iter_mut() {
                    if let (Value::Object(mm), false) = (member, f.member_info_filter.is_empty()) {
                        keep(mm, &f.member_info_filter, &["Member_Account", "AppMemberDefinedData"]);
                    }
                }
            }
            filter_app_data(m, "AppDefinedData", &f.app_defined_data_filter_group);
        }
        out.push(entry);
    }
    let mut body = Map::new();
    body.insert("GroupInfo".into(), Value::Array(out));
    // Decode-check: the generated Response must accept what is sent.
    let v = Value::Object(body);
    debug_assert!(serde_json::from_value::<get_group_info::Response>(v.clone()).is_ok());
    Ok(v)
}

/// An app-defined data filter keeps only the named keys.
fn filter_app_data(m: &mut Map<String, Value>, wire: &str, allowed: &[String]) {
    if allowed.is_empty() {
        return;
    }
    if let Some(Value::Array(items)) = m.get_mut(wire) {
        items.retain(|kv| {
            kv.get("Key")
                .and_then(Value::as_str)
                .is_some_and(|k| allowed.iter().any(|a| a == k))
        });
    }
}

fn empty_record() -> GroupInfoResult {
    GroupInfoResult {
        group_id: String::new(),
        error_code: 0,
        error_info: None,
        r#type: None,
        name: None,
        appid: None,
        introduction: None,
        notification: None,
        face_url: None,
        owner_account: None,
        create_time: None,
        info_seq: None,
        last_info_time: None,
        last_msg_time: None,
        next_msg_seq: None,
        member_num: None,
        max_member_num: None,
        apply_join_option: None,
        invite_join_option: None,
        mute_all_member: None,
        shut_up_all_member: None,
        app_defined_data: Vec::new(),
        member_list: Vec::new(),
    }
}

fn add_members(cx: &mut Ctx<'_>, r: add_group_member::Request) -> Reply {
    if r.member_list.len() > member_cap(&add_group_member::META, "MemberList") {
        return fail_with(add_group_member::Error::TooManyMembersInRequest, "too many members");
    }
    if let Some(unknown) = r
        .member_list
        .iter()
        .find(|m| !cx.st.has_account(&m.member_account))
    {
        return fail_with(
            add_group_member::Error::GroupUserNotFound,
            format!("{} is not imported", unknown.member_account),
        );
    }
    let now = cx.unix;
    let Some(g) = cx.st.groups.get_mut(&r.group_id) else {
        return fail_with(add_group_member::Error::GroupNotFound, "the group does not exist");
    };
    if g.ty == GroupType::AvChatRoom {
        return fail_with(
            add_group_member::Error::PermissionDenied,
            "AVChatRoom members join through the SDK",
        );
    }
    let new = r
        .member_list
        .iter()
        .filter(|m| !g.members.contains_key(&m.member_account))
        .count();
    if g.max_member_num > 0 && g.members.len() + new > g.max_member_num as usize {
        return fail_with(add_group_member::Error::GroupFull, "the group is full");
    }
    let member_list = r
        .member_list
        .into_iter()
        .map(|m| {
            let result = if g.join(&m.member_account, GroupRole::Member, now) {
                MemberAddResultCode::Added
            } else {
                MemberAddResultCode::AlreadyMember
            };
            GroupMemberResult {
                member_account: m.member_account,
                result,
            }
        })
        .collect();
    ok(&add_group_member::Response { member_list })
}

/// Non-members are ignored; the owner cannot be removed this way.
fn delete_members(cx: &mut Ctx<'_>, r: delete_group_member::Request) -> Reply {
    let Some(g) = cx.st.groups.get_mut(&r.group_id) else {
        return fail_with(delete_group_member::Error::GroupNotFound, "the group does not exist");
    };
    if g.ty == GroupType::AvChatRoom {
        return fail_with(
            delete_group_member::Error::InvalidParameter,
            "AVChatRoom members cannot be removed",
        );
    }
    if let Some(owner) = r
        .member_to_del_account
        .iter()
        .find(|a| g.owner.as_deref() == Some(a.as_str()))
    {
        return fail_with(
            delete_group_member::Error::PermissionDenied,
            format!("{owner} owns the group"),
        );
    }
    for a in &r.member_to_del_account {
        g.leave(a);
    }
    ok_empty()
}

fn destroy(cx: &mut Ctx<'_>, r: destroy_group::Request) -> Reply {
    if cx.st.groups.remove(&r.group_id).is_none() {
        return fail_with(destroy_group::Error::GroupNotFound, "the group does not exist");
    }
    ok_empty()
}
