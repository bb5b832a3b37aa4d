//! Group management (`group.toml`): create and import groups, list and read
//! them, members and their profiles, roles, mutes, owner changes and
//! disbanding. Groups live in `State::groups`; the helpers marked
//! `pub(super)` are shared with `group_more`.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::{Ctx, Table, to_json};
use crate::EndpointError as _;
use crate::api::{
    add_group_member, change_group_owner, create_group, delete_group_member, destroy_group,
    forbid_send_msg, get_appid_group_list, get_group_info, get_group_member_info,
    get_group_muted_account, get_joined_group_list, get_role_in_group,
    get_specified_group_member_info, import_group, import_group_member, modify_group_base_info,
    modify_group_member_info,
};
use crate::emulator::reply::{Reply, fail_with, ok, ok_empty};
use crate::emulator::state::{Group, Member};
use crate::types::{
    ApplyJoinOption, GroupIdItem, GroupInfoResult, GroupMemberInfo, GroupMemberResult,
    GroupMsgFlag, GroupRole, GroupSelfInfo, GroupType, ImportGroupMember, InviteJoinOption,
    JoinedGroupInfo, JoinedGroupResponseFilter, KeyValue, MemberAddResultCode, MemberRoleItem,
    MutedMemberItem, OnOff,
};

/// The text of every "no such group" failure.
pub(super) const NO_GROUP: &str = "the group does not exist or was disbanded";

/// Community member pages hold at most this many members (the paging text of
/// get_group_member_info: `Limit` at most 100 with `Next`).
const COMMUNITY_PAGE: usize = 100;

pub(super) fn register(t: &mut Table) {
    t.add(create);
    t.add(group_list);
    t.add(info);
    t.add(add_members);
    t.add(delete_members);
    t.add(destroy);
    t.add(member_page);
    t.add(named_members);
    t.add(modify_base);
    t.add(modify_member);
    t.add(joined_groups);
    t.add(roles);
    t.add(forbid);
    t.add(muted_list);
    t.add(change_owner);
    t.add(import);
    t.add(import_members);
}

// ---------------------------------------------------------------- helpers

/// Work groups (`Private`, newer name `Work`) cannot mute members.
pub(super) fn is_work(ty: &GroupType) -> bool {
    *ty == GroupType::Private || *ty == GroupType::Work
}

/// Types with the same meaning under their old and new names.
fn same_type(a: &GroupType, b: &GroupType) -> bool {
    let norm = |t: &GroupType| match t {
        GroupType::Work => GroupType::Private,
        GroupType::Meeting => GroupType::ChatRoom,
        other => other.clone(),
    };
    norm(a) == norm(b)
}

/// The end of a mute of `secs` seconds from `now`; 0 lifts a mute.
pub(super) fn mute_end(now: i64, secs: u32) -> i64 {
    if secs == 0 { 0 } else { now + i64::from(secs) }
}

/// Set (or lift, with 0) an account's mute in a group. The group keeps it
/// apart from the member so that it survives leaving and rejoining.
fn set_mute(g: &mut Group, account: &str, until: i64) {
    if until == 0 {
        g.mutes.remove(account);
    } else {
        g.mutes.insert(account.to_owned(), until);
    }
    if let Some(m) = g.members.get_mut(account) {
        m.muted_until = until;
    }
}

/// Join `account` at `join_time`: it gets back a mute it still has, and the
/// messages sent before it joined count as read. False when already a member.
pub(super) fn admit(g: &mut Group, account: &str, role: GroupRole, join_time: i64) -> bool {
    if !g.join(account, role, join_time) {
        return false;
    }
    let muted = g.mutes.get(account).copied().unwrap_or(0);
    let read = g.next_seq.saturating_sub(1);
    if let Some(m) = g.members.get_mut(account) {
        m.muted_until = muted;
        m.last_read_seq = read;
    }
    true
}

pub(super) fn kv(map: &BTreeMap<String, String>) -> Vec<KeyValue> {
    map.iter()
        .map(|(k, v)| KeyValue {
            key: k.clone(),
            value: v.clone(),
        })
        .collect()
}

/// Write custom fields; an empty value deletes the key.
pub(super) fn apply_kv(map: &mut BTreeMap<String, String>, items: Vec<KeyValue>) {
    for item in items {
        if item.value.is_empty() {
            map.remove(&item.key);
        } else {
            map.insert(item.key, item.value);
        }
    }
}

/// `full` reduced to the fields `base` has plus those `allowed` names (by
/// wire name): how response filters pick fields.
pub(super) fn select<T: Serialize + DeserializeOwned + Clone>(
    full: &T,
    base: &T,
    allowed: &[String],
) -> T {
    let always: BTreeSet<String> = match to_json(base) {
        Value::Object(m) => m.keys().cloned().collect(),
        _ => BTreeSet::new(),
    };
    match to_json(full) {
        Value::Object(mut m) => {
            m.retain(|k, _| always.contains(k) || allowed.contains(k));
            serde_json::from_value(Value::Object(m)).unwrap_or_else(|_| full.clone())
        }
        _ => full.clone(),
    }
}

/// Unix seconds of `account`'s last message in the group (0: none).
fn last_sent(g: &Group, account: &str) -> i64 {
    g.history
        .iter()
        .rev()
        .find(|h| !h.system && h.delivered.from == account)
        .map_or(0, |h| h.delivered.msg_time)
}

/// Messages of others after the member's read position.
fn unread(g: &Group, account: &str, m: &Member) -> u32 {
    let n = g
        .history
        .iter()
        .filter(|h| h.delivered.msg_seq > m.last_read_seq && !h.recalled)
        .filter(|h| h.delivered.from != account)
        .count();
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The mute end to show: 0 once it has passed.
fn shown_mute(until: i64, now: i64) -> i64 {
    if until > now { until } else { 0 }
}

/// The full profile of one member.
pub(super) fn member_info(g: &Group, account: &str, m: &Member, now: i64) -> GroupMemberInfo {
    GroupMemberInfo {
        member_account: account.to_owned(),
        role: Some(m.role.clone()),
        join_time: Some(m.join_time),
        msg_seq: Some(m.last_read_seq),
        msg_flag: Some(m.msg_flag.clone()),
        last_send_msg_time: Some(last_sent(g, account)),
        mute_until: Some(shown_mute(m.muted_until, now)),
        shut_up_until: None,
        name_card: Some(m.name_card.clone()),
        online_status: None,
        app_member_defined_data: kv(&m.app_data),
    }
}

/// A member as the member queries return it: custom fields narrowed to
/// `app_keys` (all when empty), other fields to `fields` (all when empty).
fn member_view(
    mut info: GroupMemberInfo,
    fields: &[String],
    app_keys: &[String],
) -> GroupMemberInfo {
    if !app_keys.is_empty() {
        info.app_member_defined_data
            .retain(|kv| app_keys.contains(&kv.key));
    }
    if fields.is_empty() {
        return info;
    }
    let base = GroupMemberInfo {
        member_account: info.member_account.clone(),
        role: None,
        join_time: None,
        msg_seq: None,
        msg_flag: None,
        last_send_msg_time: None,
        mute_until: None,
        shut_up_until: None,
        name_card: None,
        online_status: None,
        app_member_defined_data: info.app_member_defined_data.clone(),
    };
    select(&info, &base, fields)
}

// ---------------------------------------------------------------- create / import

/// What create_group and import_group have in common.
struct NewGroup {
    id: Option<String>,
    ty: GroupType,
    owner: Option<String>,
    name: String,
    introduction: Option<String>,
    notification: Option<String>,
    face_url: Option<String>,
    max_member_count: Option<u32>,
    apply_join_option: Option<ApplyJoinOption>,
    invite_join_option: Option<InviteJoinOption>,
    app_defined_data: Vec<KeyValue>,
    created: i64,
}

/// Why a group could not be placed.
enum Refusal {
    Invalid(String),
    Taken,
}

/// A custom group ID is printable ASCII; Community IDs start with `@TGS#_`,
/// other types may not start with `@TGS#` (the server's own prefix).
fn custom_id_ok(id: &str, ty: &GroupType) -> bool {
    let printable = id.bytes().all(|b| (0x21..0x7f).contains(&b));
    let fits = if *ty == GroupType::Community {
        id.len() > 6 && id.starts_with("@TGS#_")
    } else {
        !id.starts_with("@TGS#")
    };
    printable && fits
}

/// A server-assigned ID (Community ones with the `@TGS#_` prefix).
fn fresh_id(cx: &mut Ctx<'_>, ty: &GroupType) -> String {
    loop {
        let base = cx.st.new_group_id();
        let id = if *ty == GroupType::Community {
            format!("@TGS#_{base}")
        } else {
            base
        };
        if !cx.st.groups.contains_key(&id) {
            return id;
        }
    }
}

/// Check and store a new group with its owner; returns its ID.
fn place(cx: &mut Ctx<'_>, spec: NewGroup) -> Result<String, Refusal> {
    if let Some(owner) = spec.owner.as_ref().filter(|o| !cx.st.has_account(o)) {
        return Err(Refusal::Invalid(format!("account {owner} is not imported")));
    }
    let id = match spec.id {
        Some(id) if !custom_id_ok(&id, &spec.ty) => {
            return Err(Refusal::Invalid(format!(
                "{id} is not a valid custom ID for this group type"
            )));
        }
        Some(id) if cx.st.groups.contains_key(&id) => return Err(Refusal::Taken),
        Some(id) => id,
        None => fresh_id(cx, &spec.ty),
    };
    cx.st
        .add_group(id.clone(), spec.ty, spec.owner, Vec::new(), spec.created);
    let g = cx.st.groups.get_mut(&id).expect("just created");
    g.name = spec.name;
    g.introduction = spec.introduction.unwrap_or_default();
    g.notification = spec.notification.unwrap_or_default();
    g.face_url = spec.face_url.unwrap_or_default();
    g.max_member_num = spec.max_member_count.unwrap_or(0);
    if let Some(o) = spec.apply_join_option {
        g.apply_join_option = o;
    }
    g.invite_join_option = spec.invite_join_option;
    apply_kv(&mut g.app_data, spec.app_defined_data);
    Ok(id)
}

/// At most this many members in one create/add call (10005 beyond).
fn member_cap(meta: &crate::EndpointMeta, wire: &str) -> usize {
    meta.field(wire)
        .and_then(|f| f.max_items)
        .map_or(usize::MAX, |m| m as usize)
}

fn create(cx: &mut Ctx<'_>, r: create_group::Request) -> Reply {
    use create_group::Error as E;
    if let Some(unknown) = r
        .member_list
        .iter()
        .map(|m| &m.member_account)
        .find(|a| !cx.st.has_account(a))
    {
        return fail_with(
            E::InvalidParameter,
            format!("account {unknown} is not imported"),
        );
    }
    if r.group_type == GroupType::AvChatRoom && !r.member_list.is_empty() {
        return fail_with(
            E::PermissionDenied,
            "AVChatRoom members join through the SDK",
        );
    }
    if r.member_list.len() > member_cap(&create_group::META, "MemberList") {
        return fail_with(E::TooManyMembersInRequest, "too many members");
    }
    let community = r.group_type == GroupType::Community;
    let spec = NewGroup {
        id: r.group_id,
        ty: r.group_type.clone(),
        owner: r.owner_account,
        name: r.name,
        introduction: r.introduction,
        notification: r.notification,
        face_url: r.face_url,
        max_member_count: r.max_member_count,
        apply_join_option: r.apply_join_option,
        invite_join_option: r.invite_join_option,
        app_defined_data: r.app_defined_data,
        created: cx.unix,
    };
    let id = match place(cx, spec) {
        Ok(id) => id,
        Err(Refusal::Invalid(info)) => return fail_with(E::InvalidParameter, info),
        Err(Refusal::Taken) => return fail_with(E::GroupIdTaken, "the group ID is taken"),
    };
    let now = cx.unix;
    let g = cx.st.groups.get_mut(&id).expect("just created");
    g.support_topic = community && r.support_topic == Some(true);
    for m in r.member_list {
        let role = match m.role {
            Some(GroupRole::Admin) => GroupRole::Admin,
            _ => GroupRole::Member,
        };
        admit(g, &m.member_account, role, now);
        if let Some(member) = g.members.get_mut(&m.member_account) {
            apply_kv(&mut member.app_data, m.app_member_defined_data);
        }
    }
    ok(&create_group::Response {
        group_id: id,
        r#type: community.then_some(r.group_type),
        huge_group_flag: community.then_some(0),
    })
}

/// Like create, dated `CreateTime` (not in the future), without members.
fn import(cx: &mut Ctx<'_>, r: import_group::Request) -> Reply {
    use import_group::Error as E;
    if r.group_type == GroupType::AvChatRoom {
        return fail_with(E::PermissionDenied, "AVChatRoom groups cannot be imported");
    }
    let created = r.create_time.unwrap_or(cx.unix);
    if created > cx.unix {
        return fail_with(E::InvalidParameter, "CreateTime lies in the future");
    }
    let spec = NewGroup {
        id: r.group_id,
        ty: r.group_type,
        owner: r.owner_account,
        name: r.name,
        introduction: r.introduction,
        notification: r.notification,
        face_url: r.face_url,
        max_member_count: r.max_member_count,
        apply_join_option: r.apply_join_option,
        invite_join_option: None,
        app_defined_data: r.app_defined_data,
        created,
    };
    match place(cx, spec) {
        Ok(group_id) => ok(&import_group::Response { group_id }),
        Err(Refusal::Invalid(info)) => fail_with(E::InvalidParameter, info),
        Err(Refusal::Taken) => fail_with(E::GroupIdTaken, "the group ID is taken"),
    }
}

// ---------------------------------------------------------------- listing and info

/// Group IDs in a stable order, a page at a time; `Next` is the index of the next one.
fn group_list(cx: &mut Ctx<'_>, r: get_appid_group_list::Request) -> Reply {
    let ids: Vec<&String> = cx
        .st
        .groups
        .iter()
        .filter(|(_, g)| r.group_type.as_ref().is_none_or(|t| same_type(t, &g.ty)))
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
    let end = start.saturating_add(page.len());
    let next = if end < ids.len() { end as u64 } else { 0 };
    ok(&get_appid_group_list::Response {
        total_count: ids.len() as u64,
        group_id_list: page,
        next,
    })
}

fn on_off(on: bool) -> OnOff {
    if on { OnOff::On } else { OnOff::Off }
}

/// The full record of a group (filters are applied on its JSON form).
pub(crate) fn group_record(id: &str, g: &Group, now: i64) -> GroupInfoResult {
    let av = g.ty == GroupType::AvChatRoom;
    let members = if av {
        Vec::new()
    } else {
        g.member_ids()
            .filter_map(|a| g.members.get(a).map(|m| member_info(g, a, m, now)))
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
        mute_all_member: Some(on_off(g.mute_all)),
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
                error_info: Some(NO_GROUP.into()),
                ..empty_record()
            });
            if let Value::Object(m) = &mut entry {
                keep(m, &[], &["GroupId", "ErrorCode", "ErrorInfo"]);
            }
            out.push(entry);
            continue;
        };
        let mut entry = to_json(&group_record(id, g, cx.unix));
        if let (Some(f), Value::Object(m)) = (filter, &mut entry) {
            if !f.group_base_info_filter.is_empty() || !f.member_info_filter.is_empty() {
                let mut allowed = f.group_base_info_filter.clone();
                allowed.extend(["MemberList".to_owned(), "AppDefinedData".to_owned()]);
                keep(m, &allowed, &["GroupId", "ErrorCode", "ErrorInfo"]);
            }
            if let Some(Value::Array(members)) = m.get_mut("MemberList") {
                for member in members.iter_mut() {
                    if let (Value::Object(mm), false) = (member, f.member_info_filter.is_empty()) {
                        keep(
                            mm,
                            &f.member_info_filter,
                            &["Member_Account", "AppMemberDefinedData"],
                        );
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
    GroupInfoResult::new(String::new(), 0)
}

// ---------------------------------------------------------------- members

fn add_members(cx: &mut Ctx<'_>, r: add_group_member::Request) -> Reply {
    use add_group_member::Error as E;
    if r.member_list.len() > member_cap(&add_group_member::META, "MemberList") {
        return fail_with(E::TooManyMembersInRequest, "too many members");
    }
    if let Some(unknown) = r
        .member_list
        .iter()
        .find(|m| !cx.st.has_account(&m.member_account))
    {
        return fail_with(
            E::GroupUserNotFound,
            format!("{} is not imported", unknown.member_account),
        );
    }
    let now = cx.unix;
    let Some(g) = cx.st.groups.get_mut(&r.group_id) else {
        return fail_with(E::GroupNotFound, NO_GROUP);
    };
    if g.ty == GroupType::AvChatRoom {
        return fail_with(
            E::PermissionDenied,
            "AVChatRoom members join through the SDK",
        );
    }
    let new: BTreeSet<&String> = r
        .member_list
        .iter()
        .map(|m| &m.member_account)
        .filter(|a| !g.members.contains_key(*a))
        .collect();
    if g.max_member_num > 0 && g.members.len() + new.len() > g.max_member_num as usize {
        return fail_with(E::GroupFull, "the group is full");
    }
    let member_list = r
        .member_list
        .into_iter()
        .map(|m| {
            let result = if admit(g, &m.member_account, GroupRole::Member, now) {
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
    use delete_group_member::Error as E;
    let Some(g) = cx.st.groups.get_mut(&r.group_id) else {
        return fail_with(E::GroupNotFound, NO_GROUP);
    };
    if g.ty == GroupType::AvChatRoom {
        return fail_with(E::InvalidParameter, "AVChatRoom members cannot be removed");
    }
    if let Some(owner) = r
        .member_to_del_account
        .iter()
        .find(|a| g.owner.as_deref() == Some(a.as_str()))
    {
        return fail_with(E::PermissionDenied, format!("{owner} owns the group"));
    }
    for a in &r.member_to_del_account {
        g.leave(a);
    }
    ok_empty()
}

fn destroy(cx: &mut Ctx<'_>, r: destroy_group::Request) -> Reply {
    if cx.st.groups.remove(&r.group_id).is_none() {
        return fail_with(destroy_group::Error::GroupNotFound, NO_GROUP);
    }
    ok_empty()
}

/// Where a member page starts and how long it is, from `Offset`/`Limit`
/// (ordinary groups) or `Next`/`Limit` (Community groups).
fn page_bounds(
    community: bool,
    r: &get_group_member_info::Request,
) -> Result<(usize, usize), &'static str> {
    let limit = r.limit.filter(|l| *l > 0).map(|l| l as usize);
    if !community {
        return Ok((r.offset.unwrap_or(0) as usize, limit.unwrap_or(usize::MAX)));
    }
    if r.offset.unwrap_or(0) > 0 {
        return Err("Community groups page with Next, not Offset");
    }
    if limit.is_some_and(|l| l > COMMUNITY_PAGE) {
        return Err("Community groups take at most 100 members per page");
    }
    let start = match r.next.as_deref() {
        None | Some("") => 0,
        Some(cursor) => cursor
            .parse::<usize>()
            .map_err(|_| "Next is not a cursor this group returned")?,
    };
    Ok((start, limit.unwrap_or(COMMUNITY_PAGE)))
}

/// Members in join order, a page at a time: `Offset`/`Limit` for ordinary
/// groups; Community groups page with the `Next` cursor and refuse `Offset`.
fn member_page(cx: &mut Ctx<'_>, r: get_group_member_info::Request) -> Reply {
    use get_group_member_info::Error as E;
    let Some(g) = cx.st.groups.get(&r.group_id) else {
        return fail_with(E::GroupNotFound, NO_GROUP);
    };
    if g.ty == GroupType::AvChatRoom {
        return fail_with(
            E::PermissionDenied,
            "AVChatRoom groups list their members with get_members",
        );
    }
    let community = g.ty == GroupType::Community;
    let (start, limit) = match page_bounds(community, &r) {
        Ok(b) => b,
        Err(info) => return fail_with(E::InvalidParameter, info),
    };
    let listed: Vec<(&String, &Member)> = g
        .member_ids()
        .filter_map(|a| g.members.get(a).map(|m| (a, m)))
        .filter(|(_, m)| r.member_role_filter.is_empty() || r.member_role_filter.contains(&m.role))
        .collect();
    let member_list: Vec<GroupMemberInfo> = listed
        .iter()
        .skip(start)
        .take(limit)
        .map(|(a, m)| member_info(g, a, m, cx.unix))
        .map(|i| {
            member_view(
                i,
                &r.member_info_filter,
                &r.app_defined_data_filter_group_member,
            )
        })
        .collect();
    let end = start.saturating_add(member_list.len());
    let next = community.then(|| {
        if end < listed.len() {
            end.to_string()
        } else {
            String::new()
        }
    });
    ok(&get_group_member_info::Response {
        member_num: Some(g.members.len() as u32),
        member_list,
        next,
    })
}

/// The named members, in the order asked; non-members are left out.
fn named_members(cx: &mut Ctx<'_>, r: get_specified_group_member_info::Request) -> Reply {
    use get_specified_group_member_info::Error as E;
    let Some(g) = cx.st.groups.get(&r.group_id) else {
        return fail_with(E::GroupNotFound, NO_GROUP);
    };
    if g.ty == GroupType::AvChatRoom {
        return fail_with(
            E::PermissionDenied,
            "AVChatRoom groups keep no member profiles",
        );
    }
    let mut seen = BTreeSet::new();
    let member_list = r
        .member_list_account
        .iter()
        .filter(|a| seen.insert(*a))
        .filter_map(|a| g.members.get(a).map(|m| (a, m)))
        .filter(|(_, m)| r.member_role_filter.is_empty() || r.member_role_filter.contains(&m.role))
        .map(|(a, m)| member_info(g, a, m, cx.unix))
        .map(|i| {
            member_view(
                i,
                &r.member_info_filter,
                &r.app_defined_data_filter_group_member,
            )
        })
        .collect();
    ok(&get_specified_group_member_info::Response {
        group_id: Some(r.group_id.clone()),
        member_list,
    })
}

// ---------------------------------------------------------------- modifications

/// Writes the fields present and bumps `InfoSeq`.
fn modify_base(cx: &mut Ctx<'_>, r: modify_group_base_info::Request) -> Reply {
    use modify_group_base_info::Error as E;
    let now = cx.unix;
    let Some(g) = cx.st.groups.get_mut(&r.group_id) else {
        return fail_with(E::GroupNotFound, NO_GROUP);
    };
    let mute_all = match r.mute_all_member.or(r.shut_up_all_member) {
        None => None,
        Some(OnOff::On) => Some(true),
        Some(OnOff::Off) => Some(false),
        Some(_) => return fail_with(E::InvalidParameter, "MuteAllMember is On or Off"),
    };
    if let Some(v) = r.name {
        g.name = v;
    }
    if let Some(v) = r.introduction {
        g.introduction = v;
    }
    if let Some(v) = r.notification {
        g.notification = v;
    }
    if let Some(v) = r.face_url {
        g.face_url = v;
    }
    if let Some(v) = r.max_member_num.filter(|_| g.ty != GroupType::AvChatRoom) {
        g.max_member_num = v;
    }
    if let Some(v) = r.apply_join_option {
        g.apply_join_option = v;
    }
    if let Some(v) = r.invite_join_option {
        g.invite_join_option = Some(v);
    }
    if let Some(v) = mute_all {
        g.mute_all = v;
    }
    apply_kv(&mut g.app_data, r.app_defined_data);
    g.info_seq += 1;
    g.last_info_time = now;
    ok_empty()
}

/// Role (Admin/Member, never the owner's), message option, name card,
/// custom fields (empty value deletes) and mute of one member.
fn modify_member(cx: &mut Ctx<'_>, r: modify_group_member_info::Request) -> Reply {
    use modify_group_member_info::Error as E;
    let now = cx.unix;
    let Some(g) = cx.st.groups.get_mut(&r.group_id) else {
        return fail_with(E::GroupNotFound, NO_GROUP);
    };
    if g.ty == GroupType::AvChatRoom {
        return fail_with(
            E::PermissionDenied,
            "AVChatRoom groups keep no member profiles",
        );
    }
    let mute = r.mute_time.or(r.shut_up_time);
    if mute.is_some() && is_work(&g.ty) {
        return fail_with(
            E::PermissionDenied,
            "Work (Private) groups cannot mute members",
        );
    }
    let is_owner = g.owner.as_deref() == Some(r.member_account.as_str());
    let Some(m) = g.members.get_mut(&r.member_account) else {
        return fail_with(
            E::InvalidParameter,
            format!("{} is not a member", r.member_account),
        );
    };
    if let Some(role) = &r.role {
        if *role != GroupRole::Admin && *role != GroupRole::Member {
            return fail_with(E::InvalidParameter, "Role is Admin or Member");
        }
        if is_owner {
            return fail_with(
                E::PermissionDenied,
                "the owner changes only with change_group_owner",
            );
        }
    }
    if matches!(r.msg_flag, Some(GroupMsgFlag::Unknown(_))) {
        return fail_with(E::InvalidParameter, "unknown MsgFlag");
    }
    if let Some(role) = r.role {
        m.role = role;
    }
    if let Some(flag) = r.msg_flag {
        m.msg_flag = flag;
    }
    if let Some(card) = r.name_card {
        m.name_card = card;
    }
    apply_kv(&mut m.app_data, r.app_member_defined_data);
    if let Some(secs) = mute {
        set_mute(g, &r.member_account, mute_end(now, secs));
    }
    ok_empty()
}

/// Mutes (or unmutes, with 0) members, or accounts in an AVChatRoom, whose
/// members come and go; others are ignored. With `TopicId`, in that topic.
fn forbid(cx: &mut Ctx<'_>, r: forbid_send_msg::Request) -> Reply {
    use forbid_send_msg::Error as E;
    let until = mute_end(cx.unix, r.mute_time);
    let known: Vec<String> = r
        .members_account
        .iter()
        .filter(|a| cx.st.has_account(a))
        .cloned()
        .collect();
    let Some(g) = cx.st.groups.get_mut(&r.group_id) else {
        return fail_with(E::GroupNotFound, NO_GROUP);
    };
    if is_work(&g.ty) {
        return fail_with(
            E::PermissionDenied,
            "Work (Private) groups cannot mute members",
        );
    }
    let av = g.ty == GroupType::AvChatRoom;
    let targets: Vec<String> = known
        .into_iter()
        .filter(|a| av || g.members.contains_key(a))
        .collect();
    let Some(topic_id) = &r.topic_id else {
        for a in &targets {
            set_mute(g, a, until);
        }
        return ok_empty();
    };
    if !(g.ty == GroupType::Community && g.support_topic) {
        return fail_with(
            E::InvalidParameter,
            "TopicId needs a Community group with topics",
        );
    }
    let Some(topic) = g.topics.get_mut(topic_id) else {
        return fail_with(
            E::GroupNotFound,
            "the topic does not exist or was disbanded",
        );
    };
    for a in targets {
        if until == 0 {
            topic.mutes.remove(&a);
        } else {
            topic.mutes.insert(a, until);
        }
    }
    ok_empty()
}

/// Members (any account in an AVChatRoom) whose mute has not ended yet.
fn muted_list(cx: &mut Ctx<'_>, r: get_group_muted_account::Request) -> Reply {
    use get_group_muted_account::Error as E;
    let now = cx.unix;
    let Some(g) = cx.st.groups.get(&r.group_id) else {
        return fail_with(E::GroupNotFound, NO_GROUP);
    };
    let mutes = match &r.topic_id {
        None => &g.mutes,
        Some(t) => match g.topics.get(t) {
            Some(topic) => &topic.mutes,
            None => {
                return fail_with(
                    E::GroupNotFound,
                    "the topic does not exist or was disbanded",
                );
            }
        },
    };
    let av = g.ty == GroupType::AvChatRoom;
    let muted_account_list = mutes
        .iter()
        .filter(|(a, until)| **until > now && (av || g.members.contains_key(*a)))
        .map(|(a, until)| MutedMemberItem {
            member_account: a.clone(),
            shutted_until: None,
            muted_until: Some(*until),
        })
        .collect();
    ok(&get_group_muted_account::Response {
        group_id: Some(r.group_id.clone()),
        muted_account_list,
        shutted_uin_list: Vec::new(),
    })
}

/// The new owner must be a member; the old one becomes an ordinary member.
fn change_owner(cx: &mut Ctx<'_>, r: change_group_owner::Request) -> Reply {
    use change_group_owner::Error as E;
    let now = cx.unix;
    let Some(g) = cx.st.groups.get_mut(&r.group_id) else {
        return fail_with(E::GroupNotFound, NO_GROUP);
    };
    if g.ty == GroupType::AvChatRoom {
        return fail_with(
            E::PermissionDenied,
            "AVChatRoom groups have no owner transfer",
        );
    }
    if !g.members.contains_key(&r.new_owner_account) {
        return fail_with(
            E::InvalidParameter,
            format!("{} is not a member of the group", r.new_owner_account),
        );
    }
    if let Some(old) = g.owner.take()
        && let Some(m) = g.members.get_mut(&old)
    {
        m.role = GroupRole::Member;
    }
    if let Some(m) = g.members.get_mut(&r.new_owner_account) {
        m.role = GroupRole::Owner;
    }
    g.owner = Some(r.new_owner_account);
    g.info_seq += 1;
    g.last_info_time = now;
    ok_empty()
}

/// Owner, Admin, Member or NotMember for each account.
fn roles(cx: &mut Ctx<'_>, r: get_role_in_group::Request) -> Reply {
    use get_role_in_group::Error as E;
    let Some(g) = cx.st.groups.get(&r.group_id) else {
        return fail_with(E::GroupNotFound, NO_GROUP);
    };
    if g.ty == GroupType::AvChatRoom {
        return fail_with(
            E::PermissionDenied,
            "AVChatRoom groups: use get_group_member_info",
        );
    }
    let user_id_list = r
        .user_account
        .iter()
        .map(|a| MemberRoleItem {
            member_account: a.clone(),
            role: g
                .members
                .get(a)
                .map_or(GroupRole::NotMember, |m| m.role.clone()),
        })
        .collect();
    ok(&get_role_in_group::Response { user_id_list })
}

// ---------------------------------------------------------------- joined groups

/// Whether `g` is listed for `who`: a member, of the type asked, AVChatRoom
/// only with `WithHugeGroups`, a Work group without messages (not activated
/// yet for its invitees) only with `WithNoActiveGroups`, and with
/// `SupportTopic` only Community groups with topics.
fn joined_match(g: &Group, who: &str, r: &get_joined_group_list::Request) -> bool {
    if !g.members.contains_key(who) {
        return false;
    }
    if r.group_type.as_ref().is_some_and(|t| !same_type(t, &g.ty)) {
        return false;
    }
    if g.ty == GroupType::AvChatRoom && r.with_huge_groups != Some(true) {
        return false;
    }
    let inactive = is_work(&g.ty) && g.history.is_empty() && g.owner.as_deref() != Some(who);
    if inactive && r.with_no_active_groups != Some(true) {
        return false;
    }
    r.support_topic != Some(true) || (g.ty == GroupType::Community && g.support_topic)
}

/// A joined-group entry with only its ID.
fn joined_base(id: &str) -> JoinedGroupInfo {
    JoinedGroupInfo::new(id)
}

/// One joined group with the fields the filters name (besides `GroupId`).
fn joined_view(
    id: &str,
    g: &Group,
    who: &str,
    f: &JoinedGroupResponseFilter,
    now: i64,
) -> JoinedGroupInfo {
    let community = g.ty == GroupType::Community;
    let full = JoinedGroupInfo {
        r#type: Some(g.ty.clone()),
        name: Some(g.name.clone()),
        introduction: Some(g.introduction.clone()),
        notification: Some(g.notification.clone()),
        face_url: Some(g.face_url.clone()),
        owner_account: Some(g.owner.clone().unwrap_or_default()),
        create_time: Some(g.created),
        info_seq: Some(g.info_seq),
        last_info_time: Some(g.last_info_time),
        last_msg_time: Some(g.history.last().map_or(0, |m| m.delivered.msg_time)),
        next_msg_seq: Some(g.next_seq),
        member_num: Some(g.members.len() as u32),
        max_member_num: Some(g.max_member_num),
        apply_join_option: Some(g.apply_join_option.clone()),
        invite_join_option: g.invite_join_option.clone(),
        mute_all_member: Some(on_off(g.mute_all)),
        app_defined_data: kv(&g.app_data),
        support_topic: community.then_some(g.support_topic),
        ..joined_base(id)
    };
    let mut out = select(&full, &joined_base(id), &f.group_base_info_filter);
    if let (false, Some(m)) = (f.self_info_filter.is_empty(), g.members.get(who)) {
        let mine = GroupSelfInfo {
            role: Some(m.role.clone()),
            join_time: Some(m.join_time),
            msg_flag: Some(m.msg_flag.clone()),
            msg_seq: Some(m.last_read_seq),
            unread_msg_num: Some(unread(g, who, m)),
            mute_until: Some(shown_mute(m.muted_until, now)),
            name_card: Some(m.name_card.clone()),
            gross_topic_read_seq: None,
        };
        out.self_info = Some(select(
            &mine,
            &GroupSelfInfo::default(),
            &f.self_info_filter,
        ));
    }
    out
}

/// The groups of one account in ID order, sliced by `Offset`/`Limit`.
fn joined_groups(cx: &mut Ctx<'_>, r: get_joined_group_list::Request) -> Reply {
    use get_joined_group_list::Error as E;
    if !cx.st.has_account(&r.member_account) {
        return fail_with(
            E::InvalidParameter,
            format!("{} is not imported", r.member_account),
        );
    }
    let who = r.member_account.as_str();
    let matching: Vec<(&String, &Group)> = cx
        .st
        .groups
        .iter()
        .filter(|(_, g)| joined_match(g, who, &r))
        .collect();
    let filter = r.response_filter.clone().unwrap_or_default();
    let start = r.offset.unwrap_or(0) as usize;
    let limit = r
        .limit
        .filter(|l| *l > 0)
        .map_or(usize::MAX, |l| l as usize);
    let group_id_list = matching
        .iter()
        .skip(start)
        .take(limit)
        .map(|(id, g)| joined_view(id, g, who, &filter, cx.unix))
        .collect();
    ok(&get_joined_group_list::Response {
        total_count: u32::try_from(matching.len()).unwrap_or(u32::MAX),
        group_id_list,
    })
}

// ---------------------------------------------------------------- import members

/// One imported member: `JoinTime` between the group's creation and now,
/// `Role` Admin or Member, an imported account, room in the group; the
/// unread count (capped at the group's messages) sets the read position.
fn import_one(g: &mut Group, m: &ImportGroupMember, known: bool, now: i64) -> MemberAddResultCode {
    if g.members.contains_key(&m.member_account) {
        return MemberAddResultCode::AlreadyMember;
    }
    let join_time = m.join_time.unwrap_or(now);
    let role = match &m.role {
        None => GroupRole::Member,
        Some(r) if *r == GroupRole::Admin || *r == GroupRole::Member => r.clone(),
        Some(_) => return MemberAddResultCode::Failed,
    };
    let full = g.max_member_num > 0 && g.members.len() >= g.max_member_num as usize;
    if !known || full || join_time < g.created || join_time > now {
        return MemberAddResultCode::Failed;
    }
    admit(g, &m.member_account, role, join_time);
    if let Some(n) = m.unread_msg_num {
        let capped = u64::from(n).min(g.history.len() as u64);
        let last = g.next_seq.saturating_sub(1);
        if let Some(member) = g.members.get_mut(&m.member_account) {
            member.last_read_seq = last.saturating_sub(capped);
        }
    }
    MemberAddResultCode::Added
}

fn import_members(cx: &mut Ctx<'_>, r: import_group_member::Request) -> Reply {
    use import_group_member::Error as E;
    let now = cx.unix;
    let known: Vec<bool> = r
        .member_list
        .iter()
        .map(|m| cx.st.has_account(&m.member_account))
        .collect();
    let Some(g) = cx.st.groups.get_mut(&r.group_id) else {
        return fail_with(E::GroupNotFound, NO_GROUP);
    };
    if g.ty == GroupType::AvChatRoom {
        return fail_with(
            E::PermissionDenied,
            "AVChatRoom groups cannot import members",
        );
    }
    let member_list = r
        .member_list
        .into_iter()
        .zip(known)
        .map(|(m, known)| GroupMemberResult {
            result: import_one(g, &m, known, now),
            member_account: m.member_account,
        })
        .collect();
    ok(&import_group_member::Response { member_list })
}
