//! Group extras (`group_more.toml`, `community.toml`): AVChatRoom online
//! counts, members, marks, admins and bans; group attributes and counters;
//! Community topics. Everything lives on the group (`State::groups`), so
//! disbanding a group drops it too.
//!
//! The emulator has no client connections: the members of an AVChatRoom
//! (who entered it and have not left) are its online members.

use std::collections::{BTreeMap, BTreeSet};

use super::group::{NO_GROUP, select};
use super::{Ctx, Table};
use crate::EndpointError as _;
use crate::api::{
    ban_group_member, check_members, clear_group_attr, create_topic, delete_group_attr,
    delete_group_counter, destroy_topic, get_admin_list, get_group_attr, get_group_ban_member,
    get_group_counter, get_group_info, get_members, get_online_member_num, get_topic, import_topic,
    modify_admin, modify_group_attr, modify_topic, modify_user_info, set_group_attr,
    unban_group_member, update_group_counter,
};
use crate::emulator::reply::{Reply, fail, fail_with, ok, ok_empty};
use crate::emulator::state::{Group, State, Topic};
use crate::limiter::Gcra;
use crate::types::{
    AvChatRoomAdmin, AvChatRoomCommand, AvChatRoomMember, BannedAccount, GroupAttr,
    GroupCounterItem, GroupCounterMode, GroupType, MemberMarks, OnOff, ProfileItem,
    TopicAndSelfInfo, TopicInfo, TopicResult, TopicSelfInfo,
};

/// The family keeps nothing outside the groups.
#[derive(Debug, Default)]
pub(crate) struct GroupMoreState {}

impl GroupMoreState {
    pub(crate) fn forget(&mut self, _account: &str) {}
}

pub(super) fn register(t: &mut Table) {
    t.add(online_num);
    t.add(members);
    t.add(marks);
    t.add(admins);
    t.add(admin_list);
    t.add(check);
    t.add(attr_get);
    t.add(attr_modify);
    t.add(attr_clear);
    t.add(attr_set);
    t.add(attr_delete);
    t.add(ban);
    t.add(unban);
    t.add(bans);
    t.add(counter_get);
    t.add(counter_update);
    t.add(counter_delete);
    t.add(topic_create);
    t.add(topic_destroy);
    t.add(topic_get);
    t.add(topic_modify);
    t.add(topic_import);
}

/// 10010 for endpoints whose pages do not list it (bans, destroy_topic).
fn group_gone() -> i64 {
    get_group_info::Error::GroupNotFound.code()
}

fn is_av(g: &Group) -> bool {
    g.ty == GroupType::AvChatRoom
}

/// A text profile field of an account (nickname, avatar), when set.
fn profile_text(st: &State, account: &str, item: &ProfileItem) -> Option<String> {
    let value = st.accounts.get(account)?.profile.get(item.tag())?;
    value.as_str().map(str::to_owned)
}

fn nick(st: &State, account: &str) -> Option<String> {
    profile_text(st, account, &ProfileItem::Nick(String::new()))
}

fn avatar(st: &State, account: &str) -> Option<String> {
    profile_text(st, account, &ProfileItem::Image(String::new()))
}

// ---------------------------------------------------------------- AVChatRoom members

/// get_members pages hold this many members (the page: up to 500 in one page).
const MEMBERS_PAGE: usize = 500;
/// get_members lists at most the latest 1,000 online members.
const MEMBERS_MAX: usize = 1000;
/// The reserved mark that hides a member from get_members unless asked for.
const HIDDEN_MARK: u32 = 600;
/// The reserved mark that keeps a member counted online.
const KEEP_ONLINE_MARK: u32 = 500;
/// App marks start here.
const FIRST_APP_MARK: u32 = 1000;
/// A group uses at most this many distinct marks.
const MAX_MARKS: usize = 10;
/// A mark covers at most this many members.
const MAX_PER_MARK: usize = 1000;
/// An AVChatRoom has at most this many administrators.
const MAX_AV_ADMINS: usize = 5;

/// The member count of an AVChatRoom (its members are its online members).
fn online_num(cx: &mut Ctx<'_>, r: get_online_member_num::Request) -> Reply {
    use get_online_member_num::Error as E;
    let Some(g) = cx.st.groups.get(&r.group_id) else {
        return fail_with(E::GroupNotFound, NO_GROUP);
    };
    if !is_av(g) {
        return fail_with(
            E::PermissionDenied,
            "only AVChatRoom groups count online members here",
        );
    }
    ok(&get_online_member_num::Response {
        online_member_num: u32::try_from(g.members.len()).unwrap_or(u32::MAX),
    })
}

/// The latest members first, at most 1,000; `Mark` picks the members with
/// that mark, and members marked 600 show only when that mark is asked for.
/// `Timestamp`/`NextTimestamp` is the position in that list (0: start/done).
fn members(cx: &mut Ctx<'_>, r: get_members::Request) -> Reply {
    use get_members::Error as E;
    let st: &State = &*cx.st;
    let Some(g) = st.groups.get(&r.group_id) else {
        return fail_with(E::GroupNotFound, NO_GROUP);
    };
    if !is_av(g) && g.ty != GroupType::Community {
        return fail_with(
            E::PermissionDenied,
            "only AVChatRoom and Community groups list online members",
        );
    }
    let listed: Vec<&String> = g
        .order
        .iter()
        .rev()
        .filter(|a| {
            let marks = g.members.get(*a).map_or(&[][..], |m| &m.marks[..]);
            match r.mark {
                Some(mark) => marks.contains(&mark),
                None => !marks.contains(&HIDDEN_MARK),
            }
        })
        .take(MEMBERS_MAX)
        .collect();
    let start = usize::try_from(r.timestamp).unwrap_or(usize::MAX);
    let member_list: Vec<AvChatRoomMember> = listed
        .iter()
        .skip(start)
        .take(MEMBERS_PAGE)
        .map(|a| AvChatRoomMember {
            member_account: (*a).clone(),
            join_time: g.members.get(*a).map(|m| m.join_time),
            nick_name: nick(st, a),
            avatar: avatar(st, a),
        })
        .collect();
    let end = start.saturating_add(member_list.len());
    let next_timestamp = if end < listed.len() { end as u64 } else { 0 };
    ok(&get_members::Response {
        member_list,
        next_timestamp: Some(next_timestamp),
    })
}

/// Marks from 1000 up, or the reserved 500 and 600 (the caller is always
/// the App admin here).
fn mark_ok(mark: u32) -> bool {
    mark >= FIRST_APP_MARK || mark == KEEP_ONLINE_MARK || mark == HIDDEN_MARK
}

/// Whether adding `adds` keeps the group within 10 marks of 1,000 members each.
fn marks_fit(g: &Group, adds: &[MemberMarks]) -> bool {
    let mut holders: BTreeMap<u32, BTreeSet<&str>> = BTreeMap::new();
    for (a, m) in &g.members {
        for k in &m.marks {
            holders.entry(*k).or_default().insert(a.as_str());
        }
    }
    for add in adds {
        for k in &add.marks {
            holders
                .entry(*k)
                .or_default()
                .insert(add.member_account.as_str());
        }
    }
    holders.len() <= MAX_MARKS && holders.values().all(|h| h.len() <= MAX_PER_MARK)
}

/// Add or remove marks of present members; the answer lists the members
/// changed, and the call fails when none of them is in the group.
fn marks(cx: &mut Ctx<'_>, r: modify_user_info::Request) -> Reply {
    use modify_user_info::Error as E;
    let Some(g) = cx.st.groups.get_mut(&r.group_id) else {
        return fail_with(E::GroupNotFound, NO_GROUP);
    };
    if !is_av(g) {
        return fail_with(E::PermissionDenied, "marks exist in AVChatRoom groups only");
    }
    if let Some(bad) = r
        .member_list
        .iter()
        .flat_map(|m| &m.marks)
        .find(|k| !mark_ok(**k))
    {
        return fail_with(
            E::InvalidParameter,
            format!("mark {bad} is neither 500, 600 nor 1000 or more"),
        );
    }
    let set = match r.command_type {
        AvChatRoomCommand::Set => true,
        AvChatRoomCommand::Unset => false,
        _ => return fail_with(E::InvalidParameter, "CommandType is 1 or 2"),
    };
    let present: Vec<MemberMarks> = r
        .member_list
        .into_iter()
        .filter(|m| g.members.contains_key(&m.member_account))
        .collect();
    if present.is_empty() {
        return fail_with(E::InvalidParameter, "none of the members is in the group");
    }
    if set && !marks_fit(g, &present) {
        return fail_with(
            E::InvalidParameter,
            "at most 10 marks per group and 1,000 members per mark",
        );
    }
    for p in &present {
        let Some(m) = g.members.get_mut(&p.member_account) else {
            continue;
        };
        if set {
            for k in &p.marks {
                if !m.marks.contains(k) {
                    m.marks.push(*k);
                }
            }
        } else {
            m.marks.retain(|k| !p.marks.contains(k));
        }
    }
    ok(&modify_user_info::Response {
        command_type: Some(r.command_type),
        member_list: present,
    })
}

/// Administrators need not be members (imported accounts); at most 5.
fn admins(cx: &mut Ctx<'_>, r: modify_admin::Request) -> Reply {
    use modify_admin::Error as E;
    if let Some(unknown) = r.admin_account.iter().find(|a| !cx.st.has_account(a)) {
        return fail_with(E::InvalidParameter, format!("{unknown} is not imported"));
    }
    let Some(g) = cx.st.groups.get_mut(&r.group_id) else {
        return fail_with(E::GroupNotFound, NO_GROUP);
    };
    if !is_av(g) {
        return fail_with(E::PermissionDenied, "AVChatRoom groups only");
    }
    match r.command_type {
        AvChatRoomCommand::Set => {
            let mut next = g.av_admins.clone();
            for a in r.admin_account {
                if !next.contains(&a) {
                    next.push(a);
                }
            }
            if next.len() > MAX_AV_ADMINS {
                return fail_with(
                    E::InvalidParameter,
                    "an AVChatRoom has at most 5 administrators",
                );
            }
            g.av_admins = next;
        }
        AvChatRoomCommand::Unset => g.av_admins.retain(|a| !r.admin_account.contains(a)),
        _ => return fail_with(E::InvalidParameter, "CommandType is 1 or 2"),
    }
    ok_empty()
}

fn admin_list(cx: &mut Ctx<'_>, r: get_admin_list::Request) -> Reply {
    use get_admin_list::Error as E;
    let st: &State = &*cx.st;
    let Some(g) = st.groups.get(&r.group_id) else {
        return fail_with(E::GroupNotFound, NO_GROUP);
    };
    if !is_av(g) {
        return fail_with(E::PermissionDenied, "AVChatRoom groups only");
    }
    let admin_list = g
        .av_admins
        .iter()
        .map(|a| AvChatRoomAdmin {
            admin_account: a.clone(),
            nick_name: Some(nick(st, a).unwrap_or_default()),
            avatar: Some(avatar(st, a).unwrap_or_default()),
        })
        .collect();
    ok(&get_admin_list::Response { admin_list })
}

/// Those of the given accounts that are in the group, in the order asked.
fn check(cx: &mut Ctx<'_>, r: check_members::Request) -> Reply {
    use check_members::Error as E;
    let Some(g) = cx.st.groups.get(&r.group_id) else {
        return fail_with(E::GroupNotFound, NO_GROUP);
    };
    if !is_av(g) {
        return fail_with(E::PermissionDenied, "the group is not an AVChatRoom");
    }
    let mut seen = BTreeSet::new();
    let member_account = r
        .member_account
        .into_iter()
        .filter(|a| g.members.contains_key(a) && seen.insert(a.clone()))
        .collect();
    ok(&check_members::Response { member_account })
}

// ---------------------------------------------------------------- attributes

/// Attribute limits per group (the attribute pages).
const ATTR_KEY_BYTES: usize = 32;
const ATTR_VALUE_BYTES: usize = 4000;
const ATTR_KEYS: usize = 16;
const ATTR_TOTAL_BYTES: usize = 16_000;

/// Which attribute limit a set of attributes breaks.
enum AttrLimit {
    Key,
    Value,
    Keys,
    Total,
}

fn attr_limits(attrs: &BTreeMap<String, String>) -> Option<(AttrLimit, &'static str)> {
    if attrs.keys().any(|k| k.len() > ATTR_KEY_BYTES) {
        return Some((AttrLimit::Key, "an attribute key is longer than 32 bytes"));
    }
    if attrs.values().any(|v| v.len() > ATTR_VALUE_BYTES) {
        return Some((
            AttrLimit::Value,
            "an attribute value is longer than 4,000 bytes",
        ));
    }
    if attrs.len() > ATTR_KEYS {
        return Some((AttrLimit::Keys, "a group holds at most 16 attributes"));
    }
    if attrs.values().map(String::len).sum::<usize>() > ATTR_TOTAL_BYTES {
        return Some((
            AttrLimit::Total,
            "a group's attribute values total at most 16,000 bytes",
        ));
    }
    None
}

/// The code of an attribute limit in the endpoint's error enum `$e`.
macro_rules! attr_limit_failed {
    ($e:ty, $limit:expr, $info:expr) => {{
        let code = match $limit {
            AttrLimit::Key => <$e>::GroupAttrKeyTooLong,
            AttrLimit::Value => <$e>::GroupAttrValueTooLong,
            AttrLimit::Keys => <$e>::TooManyGroupAttrKeys,
            AttrLimit::Total => <$e>::GroupAttrValuesTooLarge,
        };
        fail_with(code, $info)
    }};
}

/// The group's attributes become `next`, unless the group's attribute
/// writes are over their rate (`too_frequent`, the endpoint's code).
fn write_attrs(
    cx: &mut Ctx<'_>,
    group_id: &str,
    next: BTreeMap<String, String>,
    too_frequent: impl crate::EndpointError,
) -> Reply {
    if !attr_write_allowed(cx, group_id) {
        return fail_with(too_frequent, "over 5 attribute writes/s in this group");
    }
    if let Some(g) = cx.st.groups.get_mut(group_id) {
        g.attributes = next;
    }
    ok_empty()
}

/// Attribute writes (modify, set, clear, delete) of one group share 5 per
/// second; enforced when the emulator enforces rates.
fn attr_write_allowed(cx: &mut Ctx<'_>, group_id: &str) -> bool {
    let enforced = cx.st.per_group_rate.is_some();
    let (Some(rate), true) = (modify_group_attr::META.per_group_per_second, enforced) else {
        return true;
    };
    let now = cx.now;
    cx.st.groups.get_mut(group_id).is_none_or(|g| {
        g.attr_writes
            .get_or_insert_with(|| Gcra::new(f64::from(rate), rate))
            .try_acquire(now)
            .is_ok()
    })
}

fn attr_get(cx: &mut Ctx<'_>, r: get_group_attr::Request) -> Reply {
    let Some(g) = cx.st.groups.get(&r.group_id) else {
        return fail_with(get_group_attr::Error::GroupNotFound, NO_GROUP);
    };
    let group_attr_ary = g
        .attributes
        .iter()
        .map(|(k, v)| GroupAttr {
            key: k.clone(),
            value: v.clone(),
        })
        .collect();
    ok(&get_group_attr::Response { group_attr_ary })
}

/// Merge the given attributes into the group's (not for Community groups).
fn attr_modify(cx: &mut Ctx<'_>, r: modify_group_attr::Request) -> Reply {
    use modify_group_attr::Error as E;
    let Some(g) = cx.st.groups.get(&r.group_id) else {
        return fail_with(E::GroupNotFound, NO_GROUP);
    };
    if g.ty == GroupType::Community {
        return fail_with(
            E::PermissionDenied,
            "Community groups cannot modify attributes",
        );
    }
    let mut next = g.attributes.clone();
    next.extend(r.group_attr.into_iter().map(|a| (a.key, a.value)));
    if let Some((limit, info)) = attr_limits(&next) {
        return attr_limit_failed!(E, limit, info);
    }
    write_attrs(cx, &r.group_id, next, E::GroupAttrWriteFrequencyLimit)
}

/// Replace all attributes with the given ones.
fn attr_set(cx: &mut Ctx<'_>, r: set_group_attr::Request) -> Reply {
    use set_group_attr::Error as E;
    if !cx.st.groups.contains_key(&r.group_id) {
        return fail_with(E::GroupNotFound, NO_GROUP);
    }
    let next: BTreeMap<String, String> =
        r.group_attr.into_iter().map(|a| (a.key, a.value)).collect();
    if let Some((limit, info)) = attr_limits(&next) {
        return attr_limit_failed!(E, limit, info);
    }
    write_attrs(cx, &r.group_id, next, E::GroupAttrWriteFrequencyLimit)
}

/// Remove every attribute (not for Community groups).
fn attr_clear(cx: &mut Ctx<'_>, r: clear_group_attr::Request) -> Reply {
    use clear_group_attr::Error as E;
    let Some(g) = cx.st.groups.get(&r.group_id) else {
        return fail_with(E::GroupNotFound, NO_GROUP);
    };
    if g.ty == GroupType::Community {
        return fail_with(
            E::PermissionDenied,
            "Community groups cannot clear attributes",
        );
    }
    write_attrs(
        cx,
        &r.group_id,
        BTreeMap::new(),
        E::GroupAttrWriteFrequencyLimit,
    )
}

/// Delete the named attributes; all must exist (10050 otherwise).
fn attr_delete(cx: &mut Ctx<'_>, r: delete_group_attr::Request) -> Reply {
    use delete_group_attr::Error as E;
    let Some(g) = cx.st.groups.get(&r.group_id) else {
        return fail_with(E::GroupNotFound, NO_GROUP);
    };
    if r.group_attr.iter().any(|a| a.key.len() > ATTR_KEY_BYTES) {
        return fail_with(
            E::GroupAttrKeyTooLong,
            "an attribute key is longer than 32 bytes",
        );
    }
    if let Some(missing) = r
        .group_attr
        .iter()
        .find(|a| !g.attributes.contains_key(&a.key))
    {
        return fail_with(
            E::GroupAttrNotFound,
            format!("no attribute {}", missing.key),
        );
    }
    let mut next = g.attributes.clone();
    for a in &r.group_attr {
        next.remove(&a.key);
    }
    write_attrs(cx, &r.group_id, next, E::GroupAttrWriteFrequencyLimit)
}

// ---------------------------------------------------------------- bans

/// get_group_ban_member pages hold at most this many entries.
const BAN_PAGE: usize = 100;

/// Ban accounts for `Duration` seconds (again: a new end); a banned member
/// is removed from the room and stays out until the ban ends.
fn ban(cx: &mut Ctx<'_>, r: ban_group_member::Request) -> Reply {
    use ban_group_member::Error as E;
    if r.duration == 0 {
        return fail_with(E::InvalidParameter, "Duration is at least one second");
    }
    if let Some(unknown) = r.members_account.iter().find(|a| !cx.st.has_account(a)) {
        return fail_with(E::InvalidParameter, format!("{unknown} is not imported"));
    }
    let until = cx.unix + i64::from(r.duration);
    let Some(g) = cx.st.groups.get_mut(&r.group_id) else {
        return fail(group_gone(), NO_GROUP);
    };
    if !is_av(g) {
        return fail_with(E::PermissionDenied, "bans exist in AVChatRoom groups only");
    }
    for a in &r.members_account {
        g.banned.insert(a.clone(), until);
        g.leave(a);
    }
    ok_empty()
}

/// Lift bans; accounts without one are ignored.
fn unban(cx: &mut Ctx<'_>, r: unban_group_member::Request) -> Reply {
    use unban_group_member::Error as E;
    let Some(g) = cx.st.groups.get_mut(&r.group_id) else {
        return fail(group_gone(), NO_GROUP);
    };
    if !is_av(g) {
        return fail_with(E::PermissionDenied, "bans exist in AVChatRoom groups only");
    }
    for a in &r.members_account {
        g.banned.remove(a);
    }
    ok_empty()
}

/// Current bans by account, `Limit` (at most 100) at a time from `Offset`.
fn bans(cx: &mut Ctx<'_>, r: get_group_ban_member::Request) -> Reply {
    use get_group_ban_member::Error as E;
    let now = cx.unix;
    let Some(g) = cx.st.groups.get_mut(&r.group_id) else {
        return fail(group_gone(), NO_GROUP);
    };
    if !is_av(g) {
        return fail_with(E::PermissionDenied, "bans exist in AVChatRoom groups only");
    }
    g.banned.retain(|_, until| *until > now);
    let start = r.offset as usize;
    let limit = r.limit.filter(|l| *l > 0).map_or(BAN_PAGE, |l| l as usize);
    let banned_account_list: Vec<BannedAccount> = g
        .banned
        .iter()
        .skip(start)
        .take(limit)
        .map(|(a, until)| BannedAccount {
            member_account: a.clone(),
            banned_until: Some(*until),
        })
        .collect();
    let end = start.saturating_add(banned_account_list.len());
    let next_offset = if end < g.banned.len() { end as u32 } else { 0 };
    ok(&get_group_ban_member::Response {
        banned_account_list,
        next_offset: Some(next_offset),
    })
}

// ---------------------------------------------------------------- counters

/// A group holds at most this many counters.
const MAX_COUNTERS: usize = 20;

fn counter_items<'a>(
    counters: &BTreeMap<String, i64>,
    keys: impl Iterator<Item = &'a String>,
) -> Vec<GroupCounterItem> {
    keys.filter_map(|k| {
        counters.get(k).map(|v| GroupCounterItem {
            key: k.clone(),
            value: *v,
        })
    })
    .collect()
}

/// The named counters that exist (all without keys); not for Community groups.
fn counter_get(cx: &mut Ctx<'_>, r: get_group_counter::Request) -> Reply {
    use get_group_counter::Error as E;
    let Some(g) = cx.st.groups.get(&r.group_id) else {
        return fail_with(E::GroupNotFound, NO_GROUP);
    };
    if g.ty == GroupType::Community {
        return fail_with(E::PermissionDenied, "Community groups have no counters");
    }
    let group_counter = if r.group_counter_keys.is_empty() {
        counter_items(&g.counters, g.counters.keys())
    } else {
        counter_items(&g.counters, r.group_counter_keys.iter())
    };
    ok(&get_group_counter::Response { group_counter })
}

/// Set, increase or decrease (missing keys start at 0; `Mode` absent: Set);
/// answers the new values of the given keys.
fn counter_update(cx: &mut Ctx<'_>, r: update_group_counter::Request) -> Reply {
    use update_group_counter::Error as E;
    let Some(g) = cx.st.groups.get_mut(&r.group_id) else {
        return fail_with(E::GroupNotFound, NO_GROUP);
    };
    if g.ty == GroupType::Community {
        return fail_with(E::PermissionDenied, "Community groups have no counters");
    }
    let mode = r.mode.clone().unwrap_or(GroupCounterMode::Set);
    let mut next = g.counters.clone();
    for item in &r.group_counter {
        let old = next.get(&item.key).copied().unwrap_or(0);
        let new = match mode {
            GroupCounterMode::Set => Some(item.value),
            GroupCounterMode::Increase => old.checked_add(item.value),
            GroupCounterMode::Decrease => old.checked_sub(item.value),
            _ => return fail_with(E::InvalidParameter, "Mode is Set, Increase or Decrease"),
        };
        let Some(new) = new else {
            return fail_with(
                E::InvalidParameter,
                format!("counter {} would overflow", item.key),
            );
        };
        next.insert(item.key.clone(), new);
    }
    if next.len() > MAX_COUNTERS {
        return fail_with(
            E::TooManyGroupCounterKeys,
            "a group holds at most 20 counters",
        );
    }
    let group_counter = counter_items(&next, r.group_counter.iter().map(|i| &i.key));
    g.counters = next;
    ok(&update_group_counter::Response { group_counter })
}

/// Delete the named counters (missing ones are ignored), or all without keys.
fn counter_delete(cx: &mut Ctx<'_>, r: delete_group_counter::Request) -> Reply {
    use delete_group_counter::Error as E;
    let Some(g) = cx.st.groups.get_mut(&r.group_id) else {
        return fail_with(E::GroupNotFound, NO_GROUP);
    };
    if g.ty == GroupType::Community {
        return fail_with(E::PermissionDenied, "Community groups have no counters");
    }
    if r.group_counter_keys.is_empty() {
        g.counters.clear();
    }
    for k in &r.group_counter_keys {
        g.counters.remove(k);
    }
    ok_empty()
}

// ---------------------------------------------------------------- topics

/// What separates a topic ID from its group's ID.
const TOPIC_MARK: &str = "@TOPIC#_";

/// The group of a topic call: `gone` when missing, `off` unless it is a
/// Community group with topics enabled.
fn topic_group<'a>(
    groups: &'a mut BTreeMap<String, Group>,
    id: &str,
    gone: i64,
    off: i64,
) -> Result<&'a mut Group, Reply> {
    match groups.get_mut(id) {
        None => Err(fail(gone, NO_GROUP)),
        Some(g) if !(g.ty == GroupType::Community && g.support_topic) => Err(fail(
            off,
            "the group is not a Community group with topics enabled",
        )),
        Some(g) => Ok(g),
    }
}

/// Why a topic ID cannot be used.
enum TopicIdProblem {
    Malformed,
    Taken,
}

/// A custom ID `<GroupId>@TOPIC#_<part>` not in use, or a fresh one.
fn topic_id(g: &Group, group_id: &str, custom: Option<&str>) -> Result<String, TopicIdProblem> {
    let Some(id) = custom else {
        let fresh = (1u64..)
            .map(|n| format!("{group_id}{TOPIC_MARK}@TOPIC#EMU{n:X}"))
            .find(|id| !g.topics.contains_key(id));
        return Ok(fresh.unwrap_or_default());
    };
    let part = id
        .strip_prefix(group_id)
        .and_then(|rest| rest.strip_prefix(TOPIC_MARK));
    if part.is_none_or(str::is_empty) {
        return Err(TopicIdProblem::Malformed);
    }
    if g.topics.contains_key(id) {
        return Err(TopicIdProblem::Taken);
    }
    Ok(id.to_owned())
}

/// A `From_Account` that is not an imported account.
fn unknown_sender<'a>(st: &State, from: Option<&'a String>) -> Option<&'a String> {
    from.filter(|a| !st.has_account(a))
}

fn topic_create(cx: &mut Ctx<'_>, r: create_topic::Request) -> Reply {
    use create_topic::Error as E;
    if let Some(a) = unknown_sender(&*cx.st, r.from_account.as_ref()) {
        return fail_with(E::InvalidParameter, format!("{a} is not imported"));
    }
    let now = cx.unix;
    let gone = E::GroupNotFound.code();
    let g = match topic_group(
        &mut cx.st.groups,
        &r.group_id,
        gone,
        E::TopicsNotSupported.code(),
    ) {
        Ok(g) => g,
        Err(reply) => return reply,
    };
    let id = match topic_id(g, &r.group_id, r.topic_id.as_deref()) {
        Ok(id) => id,
        Err(TopicIdProblem::Malformed) => {
            return fail_with(
                E::InvalidParameter,
                "a custom TopicId is <GroupId>@TOPIC#_<name>",
            );
        }
        Err(TopicIdProblem::Taken) => {
            return fail_with(E::GroupIdUsedBefore, "the topic ID is in use");
        }
    };
    let mut t = Topic::new(r.topic_name, now);
    t.custom_string = r.custom_string.unwrap_or_default();
    t.face_url = r.face_url.unwrap_or_default();
    t.notification = r.notification.unwrap_or_default();
    t.introduction = r.introduction.unwrap_or_default();
    g.topics.insert(id.clone(), t);
    ok(&create_topic::Response { topic_id: id })
}

/// Like create, dated `CreateTime`; a taken ID answers 10021.
fn topic_import(cx: &mut Ctx<'_>, r: import_topic::Request) -> Reply {
    use import_topic::Error as E;
    if r.group_type
        .as_ref()
        .is_some_and(|t| *t != GroupType::Community)
    {
        return fail_with(E::InvalidParameter, "topics belong to Community groups");
    }
    if let Some(a) = unknown_sender(&*cx.st, r.from_account.as_ref()) {
        return fail_with(E::InvalidParameter, format!("{a} is not imported"));
    }
    let created = r.create_time.unwrap_or(cx.unix);
    if created > cx.unix {
        return fail_with(E::InvalidParameter, "CreateTime lies in the future");
    }
    let gone = E::GroupNotFound.code();
    let g = match topic_group(
        &mut cx.st.groups,
        &r.group_id,
        gone,
        E::TopicsNotSupported.code(),
    ) {
        Ok(g) => g,
        Err(reply) => return reply,
    };
    let id = match topic_id(g, &r.group_id, r.topic_id.as_deref()) {
        Ok(id) => id,
        Err(TopicIdProblem::Malformed) => {
            return fail_with(
                E::InvalidParameter,
                "a custom TopicId is <GroupId>@TOPIC#_<name>",
            );
        }
        Err(TopicIdProblem::Taken) => return fail_with(E::GroupIdTaken, "the topic ID is in use"),
    };
    let mut t = Topic::new(r.topic_name, created);
    t.custom_string = r.custom_string.unwrap_or_default();
    t.face_url = r.face_url.unwrap_or_default();
    t.notification = r.notification.unwrap_or_default();
    t.introduction = r.introduction.unwrap_or_default();
    g.topics.insert(id.clone(), t);
    ok(&import_topic::Response { topic_id: id })
}

/// One result per topic: 0 disbanded, 110003 when there is no such topic.
fn topic_destroy(cx: &mut Ctx<'_>, r: destroy_topic::Request) -> Reply {
    use destroy_topic::Error as E;
    let off = E::TopicsNotSupported.code();
    let g = match topic_group(&mut cx.st.groups, &r.group_id, group_gone(), off) {
        Ok(g) => g,
        Err(reply) => return reply,
    };
    let destroy_result_item = r
        .topic_id_list
        .iter()
        .map(|t| {
            let gone = g.topics.remove(t).is_some();
            TopicResult {
                topic_id: t.clone(),
                error_code: if gone { 0 } else { E::TopicDisbanded.code() },
                error_info: Some(if gone {
                    String::new()
                } else {
                    "no such topic".into()
                }),
            }
        })
        .collect();
    ok(&destroy_topic::Response {
        destroy_result_item,
    })
}

/// One topic for get_topic: its profile (narrowed by the filter) and the
/// asking member's own state, or 110003 when there is no such topic.
fn topic_entry(
    g: &Group,
    group_id: &str,
    id: &str,
    r: &get_topic::Request,
    now: i64,
) -> TopicAndSelfInfo {
    let Some(t) = g.topics.get(id) else {
        return TopicAndSelfInfo {
            error_code: get_topic::Error::TopicDisbanded.code(),
            error_info: Some("no such topic".into()),
            self_info: None,
            topic_info: None,
        };
    };
    let full = TopicInfo {
        topic_id: Some(id.to_owned()),
        group_id: Some(group_id.to_owned()),
        topic_name: Some(t.name.clone()),
        face_url: Some(t.face_url.clone()),
        notification: Some(t.notification.clone()),
        introduction: Some(t.introduction.clone()),
        custom_string: Some(t.custom_string.clone()),
        create_time: Some(t.created),
        last_msg_time: Some(t.history.last().map_or(0, |m| m.delivered.msg_time)),
        next_msg_seq: Some(t.next_seq),
        shut_up_all_flag: Some(u32::from(t.mute_all)),
    };
    let info = if r.response_filter.is_empty() {
        full
    } else {
        let base = TopicInfo {
            topic_id: Some(id.to_owned()),
            ..TopicInfo::default()
        };
        select(&full, &base, &r.response_filter)
    };
    let who = r.from_account.as_str();
    let self_info = g.members.get(who).map(|m| TopicSelfInfo {
        shut_up_time: Some(t.mutes.get(who).copied().filter(|u| *u > now).unwrap_or(0)),
        msg_seq: Some(t.read_seq.get(who).copied().unwrap_or(0)),
        msg_flag: Some(m.msg_flag.clone()),
    });
    TopicAndSelfInfo {
        error_code: 0,
        error_info: Some(String::new()),
        self_info,
        topic_info: Some(info),
    }
}

/// The named topics (all without names); `SelfInfo` when `From_Account` is a member.
fn topic_get(cx: &mut Ctx<'_>, r: get_topic::Request) -> Reply {
    use get_topic::Error as E;
    if !cx.st.has_account(&r.from_account) {
        return fail_with(
            E::InvalidParameter,
            format!("{} is not imported", r.from_account),
        );
    }
    let now = cx.unix;
    let gone = E::GroupNotFound.code();
    let g = match topic_group(
        &mut cx.st.groups,
        &r.group_id,
        gone,
        E::TopicsNotSupported.code(),
    ) {
        Ok(g) => &*g,
        Err(reply) => return reply,
    };
    let ids: Vec<String> = if r.topic_id_list.is_empty() {
        g.topics.keys().cloned().collect()
    } else {
        r.topic_id_list.clone()
    };
    let topic_and_self_info = ids
        .iter()
        .map(|id| topic_entry(g, &r.group_id, id, &r, now))
        .collect();
    ok(&get_topic::Response {
        topic_and_self_info,
    })
}

/// Writes the fields present; an empty custom value deletes the key.
fn topic_modify(cx: &mut Ctx<'_>, r: modify_topic::Request) -> Reply {
    use modify_topic::Error as E;
    if let Some(a) = unknown_sender(&*cx.st, r.from_account.as_ref()) {
        return fail_with(E::InvalidParameter, format!("{a} is not imported"));
    }
    let gone = E::GroupNotFound.code();
    let g = match topic_group(
        &mut cx.st.groups,
        &r.group_id,
        gone,
        E::TopicsNotSupported.code(),
    ) {
        Ok(g) => g,
        Err(reply) => return reply,
    };
    let Some(t) = g.topics.get_mut(&r.topic_id) else {
        return fail_with(
            E::GroupNotFound,
            "the topic does not exist or was disbanded",
        );
    };
    let mute_all = match r.mute_all_member {
        None => None,
        Some(OnOff::On) => Some(true),
        Some(OnOff::Off) => Some(false),
        Some(_) => return fail_with(E::InvalidParameter, "MuteAllMember is On or Off"),
    };
    if let Some(v) = r.topic_name {
        t.name = v;
    }
    if let Some(v) = r.face_url {
        t.face_url = v;
    }
    if let Some(v) = r.notification {
        t.notification = v;
    }
    if let Some(v) = r.introduction {
        t.introduction = v;
    }
    if let Some(v) = r.custom_string {
        t.custom_string = v;
    }
    if let Some(v) = mute_all {
        t.mute_all = v;
    }
    ok_empty()
}
