//! Relationships (`sns`): friends, blocklist and friend lists, per user.
//!
//! A friendship is an edge `owner -> friend` with the owner's data about the
//! friend (remark, lists, source, wording, time, custom fields); two-way
//! friends are two edges. Blocking removes both edges and refuses adds in
//! either direction. Every item of a batch has its own `ResultCode`; failed
//! items are listed in `Fail_Account` where the endpoint has it.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{Ctx, Table, profile, to_json};
use crate::EndpointError as _;
use crate::api::{
    black_list_add, black_list_check, black_list_delete, black_list_get, friend_add, friend_check,
    friend_delete, friend_delete_all, friend_get, friend_get_list, friend_import, friend_update,
    group_add, group_delete, group_get,
};
use crate::emulator::reply::{Reply, fail_with, ok, ok_empty};
use crate::emulator::state::State;
use crate::types::{
    AdminForbidType, AllowType, BlackCheckType, BlackListCheckResult, BlackRelation,
    BlockedAccount, FriendAddItem, FriendAddType, FriendCheckResult, FriendCheckType, FriendData,
    FriendDeleteType, FriendGroupInfo, FriendImportItem, FriendInfo, FriendRelation,
    FriendUpdateItem, NeedFriendType, ProfileItem, SnsItem, SnsProfileItem, SnsResultItem,
};

/// Friends per user (30010 / 30014 beyond).
const MAX_FRIENDS: usize = 3000;
/// Blocked accounts per user (30013 beyond).
const MAX_BLOCKED: usize = 1000;
/// Friend lists per user (30011 beyond).
const MAX_LISTS: usize = 32;
/// Friend list names are 1 to 30 bytes.
const MAX_LIST_NAME: usize = 30;
/// Remarks are at most 96 bytes.
const MAX_REMARK: usize = 96;
/// Friends per friend_get page.
const FRIEND_PAGE: usize = 500;
/// Custom friend fields (configured in the console) start with this.
const CUSTOM_PREFIX: &str = "Tag_SNS_Custom_";
/// The `ResultInfo` Tencent answers for an add of an existing friend (SDKs compare it).
const FRIEND_EXISTS: &str = "Err_SNS_FriendAdd_Friend_Exist";

/// What an owner keeps about one friend.
#[derive(Debug, Clone, Default)]
pub(crate) struct Friend {
    pub remark: Option<String>,
    /// The owner's friend lists the friend is in.
    pub lists: Vec<String>,
    pub add_source: String,
    pub add_wording: Option<String>,
    /// Unix seconds.
    pub add_time: i64,
    /// Custom friend fields: tag -> value.
    pub custom: BTreeMap<String, Value>,
}

/// One user's relationships.
#[derive(Debug, Default)]
pub(crate) struct Relations {
    pub friends: BTreeMap<String, Friend>,
    /// Blocked account -> Unix second it was blocked.
    pub blocked: BTreeMap<String, i64>,
    /// Friend list names, oldest first.
    pub lists: Vec<String>,
    standard_seq: u64,
    custom_seq: u64,
    list_seq: u64,
    block_seq: u64,
}

impl Relations {
    /// Creates the lists in `names` that do not exist; `false` (and nothing
    /// created) when that would pass the limit.
    fn ensure_lists(&mut self, names: &[String]) -> bool {
        let mut new: Vec<&String> = Vec::new();
        for n in names {
            if !self.lists.contains(n) && !new.contains(&n) {
                new.push(n);
            }
        }
        if new.is_empty() {
            return true;
        }
        if self.lists.len() + new.len() > MAX_LISTS {
            return false;
        }
        self.lists.extend(new.into_iter().cloned());
        self.list_seq += 1;
        true
    }

    fn unfriend(&mut self, peer: &str) -> bool {
        match self.friends.remove(peer) {
            Some(f) => {
                self.standard_seq += 1;
                if !f.custom.is_empty() {
                    self.custom_seq += 1;
                }
                true
            }
            None => false,
        }
    }
}

#[derive(Debug, Default)]
pub(crate) struct SnsState {
    users: HashMap<String, Relations>,
}

impl SnsState {
    pub(crate) fn forget(&mut self, account: &str) {
        self.users.remove(account);
        for r in self.users.values_mut() {
            r.unfriend(account);
            if r.blocked.remove(account).is_some() {
                r.block_seq += 1;
            }
        }
    }

    fn user(&mut self, id: &str) -> &mut Relations {
        self.users.entry(id.to_owned()).or_default()
    }

    /// `friend` is in `owner`'s friends.
    pub(crate) fn is_friend(&self, owner: &str, friend: &str) -> bool {
        self.users
            .get(owner)
            .is_some_and(|r| r.friends.contains_key(friend))
    }

    /// `peer` is in `owner`'s blocklist.
    pub(crate) fn blocks(&self, owner: &str, peer: &str) -> bool {
        self.users
            .get(owner)
            .is_some_and(|r| r.blocked.contains_key(peer))
    }

    fn friend_count(&self, owner: &str) -> usize {
        self.users.get(owner).map_or(0, |r| r.friends.len())
    }

    fn unfriend(&mut self, owner: &str, peer: &str) -> bool {
        self.users.get_mut(owner).is_some_and(|r| r.unfriend(peer))
    }
}

pub(super) fn register(t: &mut Table) {
    t.add(add);
    t.add(import);
    t.add(update);
    t.add(delete);
    t.add(delete_all);
    t.add(check);
    t.add(get);
    t.add(get_list);
    t.add(block);
    t.add(unblock);
    t.add(blocklist);
    t.add(check_blocked);
    t.add(lists_add);
    t.add(lists_delete);
    t.add(lists_get);
}

/// A value re-read as another type with the same wire shape (the tagged
/// unions share `Tag`/`Value`).
fn convert<S: Serialize, T: DeserializeOwned>(v: &S) -> Option<T> {
    serde_json::from_value(to_json(v)).ok()
}

/// One result item.
fn result(to: &str, code: i64, info: &str) -> SnsResultItem {
    SnsResultItem {
        to_account: to.to_owned(),
        result_code: code,
        result_info: Some(info.to_owned()),
    }
}

/// The accounts of the failed items.
fn failed(items: &[SnsResultItem]) -> Vec<String> {
    items
        .iter()
        .filter(|i| i.result_code != 0)
        .map(|i| i.to_account.clone())
        .collect()
}

/// A list name is 1 to 30 bytes.
fn valid_list_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= MAX_LIST_NAME
}

/// The names without repeats, in their first order.
fn unique(names: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in names {
        if !out.contains(n) {
            out.push(n.clone());
        }
    }
    out
}

/// A custom friend field: a configured-looking tag with a string or integer.
fn valid_custom(tag: &str, content: &Value) -> bool {
    tag.starts_with(CUSTOM_PREFIX) && (content.is_string() || content.is_i64() || content.is_u64())
}

/// The tags of the standard friend fields.
fn standard_sns_tags() -> Vec<String> {
    [
        SnsItem::Group(Vec::new()),
        SnsItem::Remark(String::new()),
        SnsItem::AddSource(String::new()),
        SnsItem::AddWording(String::new()),
        SnsItem::AddTime(0),
    ]
    .iter()
    .map(|i| i.tag().to_owned())
    .collect()
}

/// The friend fields of `f`: standard ones (those set) and/or custom ones.
fn sns_items(f: &Friend, standard: bool, custom: bool) -> Vec<SnsItem> {
    let mut items = Vec::new();
    if standard {
        items.push(SnsItem::AddSource(f.add_source.clone()));
        if let Some(r) = &f.remark {
            items.push(SnsItem::Remark(r.clone()));
        }
        if !f.lists.is_empty() {
            items.push(SnsItem::Group(f.lists.clone()));
        }
        items.push(SnsItem::AddTime(f.add_time));
        if let Some(w) = &f.add_wording {
            items.push(SnsItem::AddWording(w.clone()));
        }
    }
    if custom {
        items.extend(f.custom.iter().map(|(tag, content)| SnsItem::Unknown {
            tag: tag.clone(),
            content: content.clone(),
        }));
    }
    items
}

/// The peer's friend policy; unset means approval is needed (Tencent's default).
fn allow_type(st: &State, id: &str) -> AllowType {
    let tag = ProfileItem::AllowType(AllowType::NeedConfirm)
        .tag()
        .to_owned();
    match st.accounts.get(id).and_then(|a| profile::stored(a, &tag)) {
        Some(ProfileItem::AllowType(a)) => a,
        _ => AllowType::NeedConfirm,
    }
}

/// Whether the admin forbids `id` to send friend requests.
fn forbidden(st: &State, id: &str) -> bool {
    let tag = ProfileItem::AdminForbidType(AdminForbidType::None)
        .tag()
        .to_owned();
    matches!(
        st.accounts.get(id).and_then(|a| profile::stored(a, &tag)),
        Some(ProfileItem::AdminForbidType(AdminForbidType::SendOut))
    )
}

type AddFailure = (friend_add::Error, &'static str);

/// The checks of one friend_add item, in the order Tencent documents them.
fn add_refusal(
    st: &State,
    from: &str,
    to: &str,
    both: bool,
    force: bool,
) -> Result<(), AddFailure> {
    use friend_add::Error as E;
    let sns = &st.families.sns;
    if !st.has_account(to) {
        return Err((E::RelationAccountNotImported, "the account is not imported"));
    }
    if to == from {
        return Err((E::RelationInvalidParameter, "an account cannot add itself"));
    }
    let (forward, backward) = (sns.is_friend(from, to), sns.is_friend(to, from));
    if forward && (!both || backward) {
        return Err((E::RelationInvalidParameter, FRIEND_EXISTS));
    }
    if forbidden(st, from) {
        return Err((
            E::FriendRequestsForbidden,
            "the admin forbids this user to add friends",
        ));
    }
    if sns.blocks(from, to) {
        return Err((
            E::PeerInOwnBlocklist,
            "the account is in the requester's blocklist",
        ));
    }
    if sns.blocks(to, from) {
        return Err((
            E::BlockedByPeer,
            "the requester is in the account's blocklist",
        ));
    }
    if !forward && sns.friend_count(from) >= MAX_FRIENDS {
        return Err((E::FriendLimitReached, "the requester has 3,000 friends"));
    }
    if both && !backward && sns.friend_count(to) >= MAX_FRIENDS {
        return Err((E::PeerFriendLimitReached, "the account has 3,000 friends"));
    }
    if !force {
        match allow_type(st, to) {
            AllowType::AllowAny => {}
            AllowType::DenyAny => {
                return Err((
                    E::PeerDeniesFriendRequests,
                    "the account accepts no friend requests",
                ));
            }
            _ => {
                return Err((
                    E::FriendRequestPending,
                    "the account must approve the request",
                ));
            }
        }
    }
    Ok(())
}

fn add_one(
    st: &mut State,
    from: &str,
    item: &FriendAddItem,
    both: bool,
    force: bool,
    now: i64,
) -> Result<(), AddFailure> {
    let to = item.to_account.as_str();
    add_refusal(st, from, to, both, force)?;
    let sns = &mut st.families.sns;
    let (forward, backward) = (sns.is_friend(from, to), sns.is_friend(to, from));
    if !forward {
        let lists: Vec<String> = item
            .group_name
            .iter()
            .filter(|n| !n.is_empty())
            .cloned()
            .collect();
        let user = sns.user(from);
        if !user.ensure_lists(&lists) {
            return Err((
                friend_add::Error::FriendListLimitReached,
                "32 friend lists already",
            ));
        }
        let friend = Friend {
            remark: item.remark.clone().filter(|r| !r.is_empty()),
            lists,
            add_source: item.add_source.clone(),
            add_wording: item.add_wording.clone(),
            add_time: now,
            custom: BTreeMap::new(),
        };
        user.friends.insert(to.to_owned(), friend);
        user.standard_seq += 1;
    }
    if both && !backward {
        let peer = sns.user(to);
        let friend = Friend {
            add_source: item.add_source.clone(),
            add_wording: item.add_wording.clone(),
            add_time: now,
            ..Friend::default()
        };
        peer.friends.insert(from.to_owned(), friend);
        peer.standard_seq += 1;
    }
    Ok(())
}

/// Two-way unless `Add_Type_Single`. A peer whose policy needs approval gets
/// no friendship (30539, a pending request the REST API cannot list) unless
/// `ForceAddFlags` is 1; blocklists refuse in either direction.
fn add(cx: &mut Ctx<'_>, r: friend_add::Request) -> Reply {
    use friend_add::Error as E;
    if !cx.st.has_account(&r.from_account) {
        return fail_with(
            E::RelationAccountNotImported,
            "From_Account is not imported",
        );
    }
    let both = match &r.add_type {
        None | Some(FriendAddType::Both) => true,
        Some(FriendAddType::Single) => false,
        Some(_) => return fail_with(E::RelationInvalidParameter, "unknown AddType"),
    };
    let force = r.force_add_flags == Some(true);
    let mut result_item = Vec::new();
    for item in &r.add_friend_item {
        result_item.push(
            match add_one(cx.st, &r.from_account, item, both, force, cx.unix) {
                Ok(()) => result(&item.to_account, 0, ""),
                Err((code, info)) => result(&item.to_account, code.code(), info),
            },
        );
    }
    ok(&friend_add::Response {
        fail_account: failed(&result_item),
        result_item,
    })
}

fn import_one(
    st: &mut State,
    from: &str,
    item: &FriendImportItem,
    now: i64,
) -> Result<(), (friend_import::Error, &'static str)> {
    use friend_import::Error as E;
    let to = item.to_account.as_str();
    if !st.has_account(to) {
        return Err((E::RelationAccountNotImported, "the account is not imported"));
    }
    if to == from {
        return Err((
            E::RelationInvalidParameter,
            "an account cannot be its own friend",
        ));
    }
    let sns = &mut st.families.sns;
    if sns.is_friend(from, to) {
        return Err((E::RelationInvalidParameter, "already a friend"));
    }
    if sns.friend_count(from) >= MAX_FRIENDS {
        return Err((E::FriendLimitReached, "3,000 friends already"));
    }
    if !item.group_name.iter().all(|n| valid_list_name(n)) {
        return Err((E::RelationInvalidParameter, "list names are 1 to 30 bytes"));
    }
    let mut custom = BTreeMap::new();
    for c in &item.custom_item {
        match c {
            SnsItem::Unknown { tag, content } if valid_custom(tag, content) => {
                custom.insert(tag.clone(), content.clone());
            }
            _ => {
                return Err((
                    E::RelationInvalidParameter,
                    "CustomItem holds custom friend fields only",
                ));
            }
        }
    }
    let user = sns.user(from);
    if !user.ensure_lists(&item.group_name) {
        return Err((E::FriendListLimitReached, "32 friend lists already"));
    }
    if !custom.is_empty() {
        user.custom_seq += 1;
    }
    user.standard_seq += 1;
    let lists = unique(&item.group_name);
    user.friends.insert(
        to.to_owned(),
        Friend {
            remark: item.remark.clone().filter(|r| !r.is_empty()),
            lists,
            add_source: item.add_source.clone(),
            add_wording: item.add_wording.clone(),
            add_time: item.add_time.unwrap_or(now),
            custom,
        },
    );
    Ok(())
}

/// One-way, without approval or blocklist checks, keeping the given data.
fn import(cx: &mut Ctx<'_>, r: friend_import::Request) -> Reply {
    if !cx.st.has_account(&r.from_account) {
        return fail_with(
            friend_import::Error::RelationAccountNotImported,
            "From_Account is not imported",
        );
    }
    let mut result_item = Vec::new();
    for item in &r.add_friend_item {
        result_item.push(match import_one(cx.st, &r.from_account, item, cx.unix) {
            Ok(()) => result(&item.to_account, 0, ""),
            Err((code, info)) => result(&item.to_account, code.code(), info),
        });
    }
    ok(&friend_import::Response {
        fail_account: failed(&result_item),
        invalid_account: Vec::new(),
        result_item,
    })
}

/// The update of one friend: all of its fields are checked before any is written.
fn update_one(
    st: &mut State,
    from: &str,
    item: &FriendUpdateItem,
) -> Result<(), (friend_update::Error, &'static str)> {
    use friend_update::Error as E;
    let to = item.to_account.as_str();
    if !st.has_account(to) {
        return Err((E::RelationAccountNotImported, "the account is not imported"));
    }
    let user = st.families.sns.user(from);
    if !user.friends.contains_key(to) {
        return Err((E::RelationInvalidParameter, "not a friend"));
    }
    let (mut remark, mut lists, mut custom) = (None, None, Vec::new());
    for it in &item.sns_item {
        match it {
            SnsItem::Remark(s) if s.len() <= MAX_REMARK => remark = Some(s.clone()),
            SnsItem::Group(names) if names.iter().all(|n| valid_list_name(n)) => {
                lists = Some(unique(names));
            }
            SnsItem::Unknown { tag, content } if valid_custom(tag, content) => {
                custom.push((tag.clone(), content.clone()));
            }
            _ => {
                return Err((
                    E::RelationInvalidParameter,
                    "only Remark, Group and custom fields can be updated",
                ));
            }
        }
    }
    if let Some(l) = &lists
        && !user.ensure_lists(l)
    {
        return Err((E::FriendListLimitReached, "32 friend lists already"));
    }
    let friend = user.friends.get_mut(to).expect("checked above");
    if remark.is_some() || lists.is_some() {
        if let Some(r) = remark {
            friend.remark = Some(r).filter(|r| !r.is_empty());
        }
        if let Some(l) = lists {
            friend.lists = l;
        }
        user.standard_seq += 1;
    }
    if !custom.is_empty() {
        friend.custom.extend(custom);
        user.custom_seq += 1;
    }
    Ok(())
}

fn update(cx: &mut Ctx<'_>, r: friend_update::Request) -> Reply {
    if !cx.st.has_account(&r.from_account) {
        return fail_with(
            friend_update::Error::RelationAccountNotImported,
            "From_Account is not imported",
        );
    }
    let mut result_item = Vec::new();
    for item in &r.update_item {
        result_item.push(match update_one(cx.st, &r.from_account, item) {
            Ok(()) => result(&item.to_account, 0, ""),
            Err((code, info)) => result(&item.to_account, code.code(), info),
        });
    }
    ok(&friend_update::Response {
        fail_account: failed(&result_item),
        result_item,
    })
}

/// Two-way unless `Delete_Type_Single` (the page states no default; friend_add's
/// default is two-way). An item succeeds when the peer was `From_Account`'s friend.
fn delete(cx: &mut Ctx<'_>, r: friend_delete::Request) -> Reply {
    use friend_delete::Error as E;
    if !cx.st.has_account(&r.from_account) {
        return fail_with(
            E::RelationAccountNotImported,
            "From_Account is not imported",
        );
    }
    let both = match &r.delete_type {
        None | Some(FriendDeleteType::Both) => true,
        Some(FriendDeleteType::Single) => false,
        Some(_) => return fail_with(E::RelationInvalidParameter, "unknown DeleteType"),
    };
    let mut result_item = Vec::new();
    for to in &r.to_account {
        if !cx.st.has_account(to) {
            result_item.push(result(
                to,
                E::RelationAccountNotImported.code(),
                "the account is not imported",
            ));
            continue;
        }
        let sns = &mut cx.st.families.sns;
        let removed = sns.unfriend(&r.from_account, to);
        if both {
            sns.unfriend(to, &r.from_account);
        }
        result_item.push(if removed {
            result(to, 0, "")
        } else {
            result(to, E::NotFriends.code(), "not friends")
        });
    }
    ok(&friend_delete::Response { result_item })
}

/// One-way unless `Delete_Type_Both`.
fn delete_all(cx: &mut Ctx<'_>, r: friend_delete_all::Request) -> Reply {
    use friend_delete_all::Error as E;
    if !cx.st.has_account(&r.from_account) {
        return fail_with(
            E::RelationAccountNotImported,
            "From_Account is not imported",
        );
    }
    let both = match &r.delete_type {
        Some(FriendDeleteType::Both) => true,
        None | Some(FriendDeleteType::Single) => false,
        Some(_) => return fail_with(E::RelationInvalidParameter, "unknown DeleteType"),
    };
    let sns = &mut cx.st.families.sns;
    let peers: Vec<String> = sns.user(&r.from_account).friends.keys().cloned().collect();
    for p in &peers {
        sns.unfriend(&r.from_account, p);
        if both {
            sns.unfriend(p, &r.from_account);
        }
    }
    ok_empty()
}

/// The result items of a check: for each target, `item(to, Some((a, b)))`
/// with whether `holds(from, to)` and (when `both`) whether `holds(to,
/// from)`; `item(to, None)` for a target that is not imported, which is
/// also listed in the second vector (`Fail_Account`).
fn check_targets<T>(
    cx: &Ctx<'_>,
    from: &str,
    targets: &[String],
    both: bool,
    holds: fn(&SnsState, &str, &str) -> bool,
    mut item: impl FnMut(String, Option<(bool, bool)>) -> T,
) -> (Vec<T>, Vec<String>) {
    let sns = &cx.st.families.sns;
    let mut failed = Vec::new();
    let items = targets
        .iter()
        .map(|to| {
            let pair = cx
                .st
                .has_account(to)
                .then(|| (holds(sns, from, to), both && holds(sns, to, from)));
            if pair.is_none() {
                failed.push(to.clone());
            }
            item(to.clone(), pair)
        })
        .collect();
    (items, failed)
}

/// A check item's code and info: 0 for a known target, else the endpoint's
/// not-imported code.
fn check_outcome(pair: Option<(bool, bool)>, not_imported: i64) -> (i64, Option<String>) {
    match pair {
        Some(_) => (0, Some(String::new())),
        None => (not_imported, Some("the account is not imported".into())),
    }
}

fn check(cx: &mut Ctx<'_>, r: friend_check::Request) -> Reply {
    use friend_check::Error as E;
    if !cx.st.has_account(&r.from_account) {
        return fail_with(
            E::RelationAccountNotImported,
            "From_Account is not imported",
        );
    }
    let both = match &r.check_type {
        FriendCheckType::Both => true,
        FriendCheckType::Single => false,
        _ => return fail_with(E::RelationInvalidParameter, "unknown CheckType"),
    };
    let code = E::RelationAccountNotImported.code();
    let (info_item, fail_account) = check_targets(
        cx,
        &r.from_account,
        &r.to_account,
        both,
        SnsState::is_friend,
        |to, pair| {
            let (result_code, result_info) = check_outcome(pair, code);
            FriendCheckResult {
                to_account: to,
                relation: pair.map(|p| match p {
                    (true, true) => FriendRelation::BothWay,
                    (true, false) => FriendRelation::AWithB,
                    (false, true) => FriendRelation::BWithA,
                    (false, false) => FriendRelation::NoRelation,
                }),
                result_code,
                result_info,
            }
        },
    );
    ok(&friend_check::Response {
        info_item,
        fail_account,
    })
}

/// Pages of 500 friends in account order. A sequence sent back unchanged
/// (non-zero) leaves that kind of data out.
fn get(cx: &mut Ctx<'_>, r: friend_get::Request) -> Reply {
    if !cx.st.has_account(&r.from_account) {
        return fail_with(
            friend_get::Error::RelationAccountNotImported,
            "From_Account is not imported",
        );
    }
    let user = cx.st.families.sns.user(&r.from_account);
    let unchanged = |sent: Option<u64>, now: u64| sent.is_some_and(|s| s != 0 && s == now);
    let standard = !unchanged(r.standard_sequence, user.standard_seq);
    let custom = !unchanged(r.custom_sequence, user.custom_seq);
    let total = user.friends.len();
    let start = r.start_index as usize;
    let user_data_item: Vec<FriendData> = user
        .friends
        .iter()
        .skip(start)
        .take(FRIEND_PAGE)
        .map(|(id, f)| FriendData {
            to_account: id.clone(),
            value_item: sns_items(f, standard, custom),
        })
        .collect();
    let next = start + user_data_item.len();
    let complete = next >= total;
    ok(&friend_get::Response {
        user_data_item,
        standard_sequence: Some(user.standard_seq),
        custom_sequence: Some(user.custom_seq),
        friend_num: total as u32,
        complete_flag: u32::from(complete),
        next_start_index: if complete { 0 } else { next as u32 },
    })
}

/// The requested fields of one friend that are set: friend fields from the
/// owner's data, profile fields from the friend's profile.
fn friend_fields(
    st: &State,
    f: &Friend,
    id: &str,
    tags: &[String],
    sns_tags: &[String],
) -> Vec<SnsProfileItem> {
    let sns = sns_items(f, true, true);
    let account = st.accounts.get(id);
    tags.iter()
        .filter_map(|tag| {
            if sns_tags.contains(tag) || tag.starts_with(CUSTOM_PREFIX) {
                sns.iter().find(|i| i.tag() == tag).and_then(convert)
            } else {
                account
                    .and_then(|a| profile::stored(a, tag))
                    .and_then(|i| convert(&i))
            }
        })
        .collect()
}

/// Accounts that are not friends fail with 30001 (`..._Friend_Not_Exist`).
fn get_list(cx: &mut Ctx<'_>, r: friend_get_list::Request) -> Reply {
    use friend_get_list::Error as E;
    if !cx.st.has_account(&r.from_account) {
        return fail_with(
            E::RelationAccountNotImported,
            "From_Account is not imported",
        );
    }
    let (sns_tags, standard) = (standard_sns_tags(), profile::standard_tags());
    let known = |t: &String| {
        sns_tags.contains(t)
            || t.starts_with(CUSTOM_PREFIX)
            || profile::is_profile_tag(t, &standard)
    };
    if let Some(bad) = r.tag_list.iter().find(|t| !known(t)) {
        return fail_with(E::RelationInvalidParameter, format!("unknown tag {bad}"));
    }
    let st = &*cx.st;
    let friends = st
        .families
        .sns
        .users
        .get(&r.from_account)
        .map(|u| &u.friends);
    let mut info_item = Vec::new();
    let mut fail_account = Vec::new();
    for to in &r.to_account {
        let item = match friends.and_then(|f| f.get(to)) {
            Some(f) => FriendInfo {
                to_account: to.clone(),
                sns_profile_item: friend_fields(st, f, to, &r.tag_list, &sns_tags),
                result_code: 0,
                result_info: Some(String::new()),
            },
            None => {
                fail_account.push(to.clone());
                FriendInfo {
                    to_account: to.clone(),
                    sns_profile_item: Vec::new(),
                    result_code: E::RelationInvalidParameter.code(),
                    result_info: Some("Err_SNS_FriendGetList_Friend_Not_Exist".into()),
                }
            }
        };
        info_item.push(item);
    }
    ok(&friend_get_list::Response {
        info_item,
        fail_account,
    })
}

/// Blocking ends the friendship both ways.
fn block(cx: &mut Ctx<'_>, r: black_list_add::Request) -> Reply {
    use black_list_add::Error as E;
    let from = &r.from_account;
    if !cx.st.has_account(from) {
        return fail_with(
            E::RelationAccountNotImported,
            "From_Account is not imported",
        );
    }
    let mut result_item = Vec::new();
    for to in &r.to_account {
        let known = cx.st.has_account(to);
        let sns = &mut cx.st.families.sns;
        let user = sns.user(from);
        let item = if !known {
            result(
                to,
                E::RelationAccountNotImported.code(),
                "the account is not imported",
            )
        } else if to == from {
            result(
                to,
                E::RelationInvalidParameter.code(),
                "an account cannot block itself",
            )
        } else if user.blocked.contains_key(to) {
            result(
                to,
                E::RelationInvalidParameter.code(),
                "Err_SNS_BlackListAdd_Already_Exist",
            )
        } else if user.blocked.len() >= MAX_BLOCKED {
            result(
                to,
                E::BlocklistLimitReached.code(),
                "the blocklist holds 1,000 accounts",
            )
        } else {
            user.blocked.insert(to.clone(), cx.unix);
            user.block_seq += 1;
            user.unfriend(to);
            sns.unfriend(to, from);
            result(to, 0, "")
        };
        result_item.push(item);
    }
    ok(&black_list_add::Response {
        fail_account: failed(&result_item),
        result_item,
    })
}

/// Unblocking does not bring a friendship back.
fn unblock(cx: &mut Ctx<'_>, r: black_list_delete::Request) -> Reply {
    use black_list_delete::Error as E;
    let from = &r.from_account;
    if !cx.st.has_account(from) {
        return fail_with(
            E::RelationAccountNotImported,
            "From_Account is not imported",
        );
    }
    let mut result_item = Vec::new();
    for to in &r.to_account {
        let known = cx.st.has_account(to);
        let user = cx.st.families.sns.user(from);
        let item = if !known {
            result(
                to,
                E::RelationAccountNotImported.code(),
                "the account is not imported",
            )
        } else if user.blocked.remove(to).is_some() {
            user.block_seq += 1;
            result(to, 0, "")
        } else {
            result(
                to,
                E::RelationInvalidParameter.code(),
                "not in the blocklist",
            )
        };
        result_item.push(item);
    }
    ok(&black_list_delete::Response {
        fail_account: failed(&result_item),
        result_item,
    })
}

/// Pages of `MaxLimited` entries, oldest block first; the answer's
/// `StartIndex` is the next page's, 0 after the last. A non-zero
/// `LastSequence` equal to the current one means nothing changed: no items.
fn blocklist(cx: &mut Ctx<'_>, r: black_list_get::Request) -> Reply {
    use black_list_get::Error as E;
    if !cx.st.has_account(&r.from_account) {
        return fail_with(
            E::RelationAccountNotImported,
            "From_Account is not imported",
        );
    }
    if r.max_limited == 0 {
        return fail_with(E::RelationInvalidParameter, "MaxLimited must be 1 to 1,000");
    }
    let user = cx.st.families.sns.user(&r.from_account);
    let seq = user.block_seq;
    let mut all: Vec<(&String, i64)> = user.blocked.iter().map(|(a, t)| (a, *t)).collect();
    if r.last_sequence != 0 && r.last_sequence == seq {
        all.clear();
    }
    all.sort_by_key(|(account, time)| (*time, *account));
    let start = r.start_index as usize;
    let black_list_item: Vec<BlockedAccount> = all
        .iter()
        .skip(start)
        .take(r.max_limited as usize)
        .map(|(a, t)| BlockedAccount {
            to_account: (*a).clone(),
            add_black_time_stamp: Some(*t),
        })
        .collect();
    let next = start + black_list_item.len();
    ok(&black_list_get::Response {
        black_list_item,
        start_index: if next >= all.len() { 0 } else { next as u32 },
        curruent_sequence: Some(seq),
    })
}

fn check_blocked(cx: &mut Ctx<'_>, r: black_list_check::Request) -> Reply {
    use black_list_check::Error as E;
    if !cx.st.has_account(&r.from_account) {
        return fail_with(
            E::RelationAccountNotImported,
            "From_Account is not imported",
        );
    }
    let both = match &r.check_type {
        BlackCheckType::Both => true,
        BlackCheckType::Single => false,
        _ => return fail_with(E::RelationInvalidParameter, "unknown CheckType"),
    };
    let code = E::RelationAccountNotImported.code();
    let (items, fail_account) = check_targets(
        cx,
        &r.from_account,
        &r.to_account,
        both,
        SnsState::blocks,
        |to, pair| {
            let (result_code, result_info) = check_outcome(pair, code);
            BlackListCheckResult {
                to_account: to,
                relation: pair.map(|p| match p {
                    (true, true) => BlackRelation::BothWay,
                    (true, false) => BlackRelation::AWithB,
                    (false, true) => BlackRelation::BWithA,
                    (false, false) => BlackRelation::No,
                }),
                result_code,
                result_info,
            }
        },
    );
    ok(&black_list_check::Response {
        black_list_check_item: items,
        fail_account,
    })
}

/// Creates the lists (existing names are kept as they are) and puts the
/// `To_Account` friends in every named list.
fn lists_add(cx: &mut Ctx<'_>, r: group_add::Request) -> Reply {
    use group_add::Error as E;
    let from = &r.from_account;
    if !cx.st.has_account(from) {
        return fail_with(
            E::RelationAccountNotImported,
            "From_Account is not imported",
        );
    }
    if r.group_name.is_empty() || !r.group_name.iter().all(|n| valid_list_name(n)) {
        return fail_with(E::RelationInvalidParameter, "list names are 1 to 30 bytes");
    }
    let st = &mut *cx.st;
    let user = st.families.sns.user(from);
    if !user.ensure_lists(&r.group_name) {
        return fail_with(
            E::FriendListLimitReached,
            "a user has at most 32 friend lists",
        );
    }
    let mut result_item = Vec::new();
    for to in &r.to_account {
        let item = if !st.accounts.contains_key(to) {
            result(
                to,
                E::RelationAccountNotImported.code(),
                "the account is not imported",
            )
        } else if let Some(f) = user.friends.get_mut(to) {
            for n in &r.group_name {
                if !f.lists.contains(n) {
                    f.lists.push(n.clone());
                }
            }
            user.standard_seq += 1;
            result(to, 0, "")
        } else {
            result(
                to,
                E::NotAFriend.code(),
                "Err_SNS_GroupAdd_ToTinyId_Not_Friend",
            )
        };
        result_item.push(item);
    }
    ok(&group_add::Response {
        fail_account: failed(&result_item),
        invalid_account: Vec::new(),
        result_item,
        current_sequence: user.list_seq,
    })
}

/// Deletes the named lists (unknown names are ignored); friends stay friends.
fn lists_delete(cx: &mut Ctx<'_>, r: group_delete::Request) -> Reply {
    if !cx.st.has_account(&r.from_account) {
        return fail_with(
            group_delete::Error::RelationAccountNotImported,
            "From_Account is not imported",
        );
    }
    let user = cx.st.families.sns.user(&r.from_account);
    let before = user.lists.len();
    user.lists.retain(|n| !r.group_name.contains(n));
    if user.lists.len() != before {
        user.list_seq += 1;
        let mut touched = false;
        for f in user.friends.values_mut() {
            let had = f.lists.len();
            f.lists.retain(|n| !r.group_name.contains(n));
            touched |= f.lists.len() != had;
        }
        if touched {
            user.standard_seq += 1;
        }
    }
    ok(&group_delete::Response {
        current_sequence: user.list_seq,
    })
}

/// Every list with its friend count (and its friends with `NeedFriend`), or
/// the named lists with their friends.
fn lists_get(cx: &mut Ctx<'_>, r: group_get::Request) -> Reply {
    if !cx.st.has_account(&r.from_account) {
        return fail_with(
            group_get::Error::RelationAccountNotImported,
            "From_Account is not imported",
        );
    }
    let user = cx.st.families.sns.user(&r.from_account);
    let named = !r.group_name.is_empty();
    let with_friends = named || r.need_friend == Some(NeedFriendType::Yes);
    let result_item = user
        .lists
        .iter()
        .filter(|n| !named || r.group_name.contains(n))
        .map(|n| {
            let members: Vec<String> = user
                .friends
                .iter()
                .filter(|(_, f)| f.lists.contains(n))
                .map(|(id, _)| id.clone())
                .collect();
            FriendGroupInfo {
                group_name: n.clone(),
                friend_number: Some(members.len() as u32),
                to_account: if with_friends { members } else { Vec::new() },
            }
        })
        .collect();
    ok(&group_get::Response {
        result_item,
        current_sequence: user.list_seq,
    })
}
