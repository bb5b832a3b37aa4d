//! Push to all users (`all_member_push`): the app's attribute names, each
//! user's attributes and tags, and pushes selecting users by them.
//!
//! Pushing needs the feature enabled (`EmulatorBuilder::push_enabled`;
//! 90045 otherwise, as for an app without it). A push goes to every imported account (but the sender) that matches the
//! condition. The emulator has no online users, so a push without
//! `MsgLifeTime` (online users only, as the page says) reaches no inbox; with
//! a lifetime, the message lands in each recipient's inbox (it is not stored
//! as a one-to-one message: pushes are not roamed). Every accepted push is
//! recorded ([`PushTask`], `Emulator::pushes`) with who it selected. A repeat
//! of a push (same `MsgRandom`, within 7 days, as the en page says) answers
//! the first task's ID and delivers nothing again. The per-day quota (100,
//! 90047) is read from the endpoint's spec; the one-per-second pace (90024)
//! is the rate check every endpoint gets from its spec.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::{Ctx, Table};
use crate::EndpointMeta;
use crate::api::{
    im_add_tag, im_get_attr, im_get_attr_name, im_get_tag, im_push, im_remove_all_tags,
    im_remove_attr, im_remove_tag, im_set_attr, im_set_attr_name,
};
use crate::emulator::reply::{Reply, fail, fail_with, ok, ok_empty};
use crate::emulator::state::Delivered;
use crate::types::{
    MsgElement, PushAccountType, PushAttrNames, PushCondition, PushUserAttrs, PushUserTags,
    TimPushCondition,
};

/// How long a `MsgRandom` names the same push task (the en page: 7 days).
const DEDUP_SECS: i64 = 7 * 24 * 3600;
/// Tags one user may hold (the add-tag pages).
pub(super) const MAX_TAGS_PER_USER: usize = 100;
/// Bytes of a tag, an attribute name or an attribute value (the pages).
pub(super) const MAX_TAG_BYTES: usize = 50;

/// A push the emulator accepted.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PushTask {
    /// `service/command` it was made with (`all_member_push/im_push`,
    /// `timpush/push` or `timpush/batch`).
    pub endpoint: &'static str,
    /// The task ID it answered.
    pub task_id: String,
    /// The sender the recipients see (`From_Account`, else the admin).
    pub from: String,
    /// `MsgRandom`.
    pub random: u32,
    /// The message.
    pub msg_body: Vec<MsgElement>,
    /// The accounts the condition selected, in account order.
    pub recipients: Vec<String>,
    /// Whether it was stored as a message (`MsgLifeTime` > 0 for im_push; a
    /// `MsgBody` without `OnlineOnlyFlag` for timpush): only then does it
    /// reach the recipients' inboxes (nobody is online in the emulator).
    pub stored: bool,
    /// Unix seconds.
    pub time: i64,
    /// Recalled with `timpush/revoke`.
    pub revoked: bool,
}

/// One service's attributes and tags (`all_member_push` and `timpush` keep
/// their own: the pages do not say that they share them).
#[derive(Debug, Default)]
pub(super) struct Store {
    /// Attribute number (0-9) to name.
    pub attr_names: BTreeMap<u8, String>,
    /// Account to attribute name to value.
    pub attrs: HashMap<String, BTreeMap<String, String>>,
    /// Account to tags, in the order added.
    pub tags: HashMap<String, Vec<String>>,
    /// (Unix day, pushes that day).
    pub today: (i64, u64),
}

impl Store {
    fn forget(&mut self, account: &str) {
        self.attrs.remove(account);
        self.tags.remove(account);
    }

    pub fn is_attr_name(&self, name: &str) -> bool {
        self.attr_names.values().any(|n| n == name)
    }

    fn tags_of(&self, account: &str) -> &[String] {
        self.tags.get(account).map_or(&[][..], Vec::as_slice)
    }

    /// `Attrs` of an account as JSON (`{}` when it has none).
    pub fn attrs_json(&self, account: &str) -> Value {
        Value::Object(
            self.attrs
                .get(account)
                .map_or_else(serde_json::Map::new, |m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                        .collect()
                }),
        )
    }

    /// Count a push of today (see [`Self::pushes_left_today`]).
    pub fn count_today(&mut self, now: i64) {
        let day = now.div_euclid(86_400);
        let used = if self.today.0 == day { self.today.1 } else { 0 };
        self.today = (day, used + 1);
    }

    /// Whether a push fits today's `per_day` pushes.
    pub fn pushes_left_today(&self, now: i64, per_day: u64) -> bool {
        self.today.0 != now.div_euclid(86_400) || self.today.1 < per_day
    }
}

#[derive(Debug, Default)]
pub(crate) struct PushState {
    /// `all_member_push`.
    pub(super) amp: Store,
    /// `timpush` (see `timpush.rs`).
    pub(super) tim: Store,
    /// timpush: account type of each attribute number, fixed once set.
    pub(super) tim_attr_types: BTreeMap<u8, PushAccountType>,
    /// timpush: the account type each tag was first used with.
    pub(super) tim_tag_types: HashMap<String, PushAccountType>,
    /// Push RegistrationIDs the timpush service knows (`EmulatorBuilder::push_registration_ids`).
    pub(crate) registrations: std::collections::BTreeSet<String>,
    pub tasks: Vec<PushTask>,
    /// Whether the app has push to all users (90045 otherwise).
    pub enabled: bool,
}

impl PushState {
    pub(crate) fn forget(&mut self, account: &str) {
        self.amp.forget(account);
        self.tim.forget(account);
    }

    /// The earlier task of `endpoint` with this `MsgRandom` within `window` seconds.
    pub(super) fn repeat(
        &self,
        endpoint: &str,
        random: u32,
        now: i64,
        window: i64,
    ) -> Option<&PushTask> {
        self.tasks
            .iter()
            .rev()
            .take_while(|t| now - t.time <= window)
            .find(|t| t.endpoint == endpoint && t.random == random)
    }
}

pub(super) fn register(t: &mut Table) {
    t.add(push);
    t.add(set_attr_name);
    t.add(get_attr_name);
    t.add(get_attr);
    t.add(set_attr);
    t.add(remove_attr);
    t.add(get_tag);
    t.add(add_tag);
    t.add(remove_tag);
    t.add(remove_all_tags);
}

/// The ten optional names of [`PushAttrNames`], by number.
pub(super) fn names_of(n: &PushAttrNames) -> [(u8, Option<&String>); 10] {
    [
        (0, n.attr0.as_ref()),
        (1, n.attr1.as_ref()),
        (2, n.attr2.as_ref()),
        (3, n.attr3.as_ref()),
        (4, n.attr4.as_ref()),
        (5, n.attr5.as_ref()),
        (6, n.attr6.as_ref()),
        (7, n.attr7.as_ref()),
        (8, n.attr8.as_ref()),
        (9, n.attr9.as_ref()),
    ]
}

fn set_attr_name(cx: &mut Ctx<'_>, r: im_set_attr_name::Request) -> Reply {
    let names = &mut cx.st.families.push.amp.attr_names;
    for (i, name) in names_of(&r.attr_names) {
        if let Some(name) = name {
            names.insert(i, name.clone());
        }
    }
    ok_empty()
}

fn get_attr_name(cx: &mut Ctx<'_>, _: im_get_attr_name::Request) -> Reply {
    ok(&im_get_attr_name::Response {
        attr_names: attr_names(&cx.st.families.push.amp.attr_names),
    })
}

/// The names set, as the pages return them (absent when none is).
pub(super) fn attr_names(names: &BTreeMap<u8, String>) -> Option<PushAttrNames> {
    if names.is_empty() {
        return None;
    }
    let get = |i: u8| names.get(&i).cloned();
    Some(PushAttrNames {
        attr0: get(0),
        attr1: get(1),
        attr2: get(2),
        attr3: get(3),
        attr4: get(4),
        attr5: get(5),
        attr6: get(6),
        attr7: get(7),
        attr8: get(8),
        attr9: get(9),
    })
}

/// Users without attributes are listed with an empty `Attrs` (the page).
fn get_attr(cx: &mut Ctx<'_>, r: im_get_attr::Request) -> Reply {
    let st = &cx.st.families.push.amp;
    let user_attrs = r
        .to_account
        .into_iter()
        .map(|a| {
            let attrs = st.attrs_json(&a);
            PushUserAttrs::new(a, attrs)
        })
        .collect();
    ok(&im_get_attr::Response { user_attrs })
}

/// The name -> value pairs of an `Attrs` object, each name one of the app's
/// and each value a string of at most 50 bytes; else why not.
pub(super) fn attr_pairs(st: &Store, attrs: &Value) -> Result<Vec<(String, String)>, String> {
    let Value::Object(map) = attrs else {
        return Err("Attrs is not a JSON object".to_owned());
    };
    map.iter()
        .map(|(name, value)| {
            if !st.is_attr_name(name) {
                return Err(format!("{name} is not one of the app's attribute names"));
            }
            match value {
                Value::String(v) if v.len() <= MAX_TAG_BYTES => Ok((name.clone(), v.clone())),
                Value::String(_) => {
                    Err(format!("the value of {name} is over {MAX_TAG_BYTES} bytes"))
                }
                _ => Err(format!("the value of {name} is not a string")),
            }
        })
        .collect()
}

/// All or nothing: every user's attributes are checked before any is set.
fn set_attr(cx: &mut Ctx<'_>, r: im_set_attr::Request) -> Reply {
    let st = &mut cx.st.families.push.amp;
    let mut checked = Vec::with_capacity(r.user_attrs.len());
    for u in &r.user_attrs {
        match attr_pairs(st, &u.attrs) {
            Ok(pairs) => checked.push((u.to_account.clone(), pairs)),
            Err(why) => {
                return fail_with(
                    im_set_attr::Error::InvalidPushAttribute,
                    format!("{}: {why}", u.to_account),
                );
            }
        }
    }
    for (account, pairs) in checked {
        st.attrs.entry(account).or_default().extend(pairs);
    }
    ok_empty()
}

fn remove_attr(cx: &mut Ctx<'_>, r: im_remove_attr::Request) -> Reply {
    let st = &mut cx.st.families.push.amp;
    if let Some(name) = r
        .user_attrs
        .iter()
        .flat_map(|u| &u.attrs)
        .find(|n| !st.is_attr_name(n))
    {
        return fail_with(
            im_remove_attr::Error::InvalidPushAttribute,
            format!("{name} is not one of the app's attribute names"),
        );
    }
    for u in r.user_attrs {
        if let Some(held) = st.attrs.get_mut(&u.to_account) {
            for name in &u.attrs {
                held.remove(name);
            }
        }
    }
    ok_empty()
}

fn get_tag(cx: &mut Ctx<'_>, r: im_get_tag::Request) -> Reply {
    let st = &cx.st.families.push.amp;
    let user_tags = r
        .to_account
        .into_iter()
        .map(|a| {
            let tags = st.tags.get(&a).cloned().unwrap_or_default();
            PushUserTags::new(a, tags)
        })
        .collect();
    ok(&im_get_tag::Response { user_tags })
}

/// Why a tag is refused: (empty, too long).
pub(super) fn bad_tag(tag: &str) -> Option<String> {
    if tag.is_empty() {
        Some("a tag is empty".to_owned())
    } else if tag.len() > MAX_TAG_BYTES {
        Some(format!("tag {tag} is over {MAX_TAG_BYTES} bytes"))
    } else {
        None
    }
}

/// All or nothing: a user would hold more than 100 tags, or a tag is empty
/// or too long, and nothing is added. Tags a user holds are not added twice.
fn add_tag(cx: &mut Ctx<'_>, r: im_add_tag::Request) -> Reply {
    let st = &mut cx.st.families.push.amp;
    let invalid = im_add_tag::META.invalid_code;
    for u in &r.user_tags {
        if let Some(why) = u.tags.iter().find_map(|t| bad_tag(t)) {
            return fail(invalid, format!("{}: {why}", u.to_account));
        }
        let held = st.tags.get(&u.to_account).map_or(&[][..], Vec::as_slice);
        let mut after: Vec<&String> = held.iter().collect();
        for t in &u.tags {
            if !after.contains(&t) {
                after.push(t);
            }
        }
        if after.len() > MAX_TAGS_PER_USER {
            return fail(
                invalid,
                format!(
                    "{} would hold {} tags, at most {MAX_TAGS_PER_USER}: delete some first",
                    u.to_account,
                    after.len()
                ),
            );
        }
    }
    for u in r.user_tags {
        let held = st.tags.entry(u.to_account).or_default();
        for t in u.tags {
            if !held.contains(&t) {
                held.push(t);
            }
        }
    }
    ok_empty()
}

fn remove_tag(cx: &mut Ctx<'_>, r: im_remove_tag::Request) -> Reply {
    let st = &mut cx.st.families.push.amp;
    for u in r.user_tags {
        if let Some(held) = st.tags.get_mut(&u.to_account) {
            held.retain(|t| !u.tags.contains(t));
        }
    }
    ok_empty()
}

fn remove_all_tags(cx: &mut Ctx<'_>, r: im_remove_all_tags::Request) -> Reply {
    let st = &mut cx.st.families.push.amp;
    for a in &r.to_account {
        st.tags.remove(a);
    }
    ok_empty()
}

/// A push condition of either service (im_push has no `TagsNot`).
pub(super) struct Condition {
    pub tags_and: Vec<String>,
    pub tags_or: Vec<String>,
    pub tags_not: Vec<String>,
    pub attrs_and: Option<Value>,
    pub attrs_or: Option<Value>,
}

impl From<Option<PushCondition>> for Condition {
    fn from(c: Option<PushCondition>) -> Self {
        let c = c.unwrap_or_default();
        Self {
            tags_and: c.tags_and,
            tags_or: c.tags_or,
            tags_not: Vec::new(),
            attrs_and: c.attrs_and,
            attrs_or: c.attrs_or,
        }
    }
}

impl From<Option<TimPushCondition>> for Condition {
    fn from(c: Option<TimPushCondition>) -> Self {
        let c = c.unwrap_or_default();
        Self {
            tags_and: c.tags_and,
            tags_or: c.tags_or,
            tags_not: c.tags_not,
            attrs_and: c.attrs_and,
            attrs_or: c.attrs_or,
        }
    }
}

/// Why a condition is refused, in the pages' terms (both services use the
/// same codes: 90039, 90040, 90020, 90022, 90033).
pub(super) enum Refusal {
    AttrsAndTags,
    EmptyTag,
    TagTooLong(String),
    TagRepeated(String),
    Attr(String),
}

impl Refusal {
    pub fn message(&self) -> String {
        match self {
            Self::AttrsAndTags => "attribute and tag conditions cannot be combined".into(),
            Self::EmptyTag => "a tag is empty".into(),
            Self::TagTooLong(t) => format!("tag {t} is over {MAX_TAG_BYTES} bytes"),
            Self::TagRepeated(t) => format!("tag {t} is in both TagsAnd and TagsOr"),
            Self::Attr(why) => why.clone(),
        }
    }
}

/// Why a push by condition is refused (both services use the same codes).
pub(super) enum PushFailure {
    /// 90045.
    NotEnabled,
    /// 90047, with the day's quota.
    DailyLimit(u64),
    /// 90020, 90022, 90033, 90039 or 90040.
    Refused(Refusal),
}

/// A [`PushFailure`] as the endpoint's error enum `$e` (both services name
/// the variants alike).
macro_rules! push_failed {
    ($e:ty, $failure:expr) => {{
        match $failure {
            PushFailure::NotEnabled => fail_with(
                <$e>::PushNotEnabled,
                "pushing to all users is not enabled for this app",
            ),
            PushFailure::DailyLimit(n) => fail_with(
                <$e>::PushDailyLimitExceeded,
                format!("{n} pushes today already"),
            ),
            PushFailure::Refused(why) => {
                let code = match &why {
                    Refusal::AttrsAndTags => <$e>::PushAttrsAndTagsExclusive,
                    Refusal::EmptyTag => <$e>::EmptyPushTag,
                    Refusal::TagTooLong(_) => <$e>::PushTagTooLong,
                    Refusal::TagRepeated(_) => <$e>::PushTagRepeated,
                    Refusal::Attr(_) => <$e>::InvalidPushAttribute,
                };
                fail_with(code, why.message())
            }
        }
    }};
}
pub(super) use push_failed;

/// A checked push condition.
pub(super) struct Selector {
    tags_and: Vec<String>,
    tags_or: Vec<String>,
    tags_not: Vec<String>,
    attrs_and: Vec<(String, String)>,
    attrs_or: Vec<(String, String)>,
}

impl Selector {
    /// The page's checks of a condition against a service's attribute names.
    pub fn new(st: &Store, c: Condition) -> Result<Self, Refusal> {
        let has_attrs = c.attrs_and.is_some() || c.attrs_or.is_some();
        let tags = || c.tags_and.iter().chain(&c.tags_or).chain(&c.tags_not);
        if has_attrs && tags().next().is_some() {
            return Err(Refusal::AttrsAndTags);
        }
        for t in tags() {
            if t.is_empty() {
                return Err(Refusal::EmptyTag);
            }
            if t.len() > MAX_TAG_BYTES {
                return Err(Refusal::TagTooLong(t.clone()));
            }
        }
        if let Some(t) = c.tags_and.iter().find(|t| c.tags_or.contains(t)) {
            return Err(Refusal::TagRepeated(t.clone()));
        }
        let pairs = |v: Option<Value>| match v {
            None => Ok(Vec::new()),
            Some(v) => attr_pairs(st, &v).map_err(Refusal::Attr),
        };
        Ok(Self {
            attrs_and: pairs(c.attrs_and)?,
            attrs_or: pairs(c.attrs_or)?,
            tags_and: c.tags_and,
            tags_or: c.tags_or,
            tags_not: c.tags_not,
        })
    }

    pub fn matches(&self, st: &Store, account: &str) -> bool {
        let tags = st.tags_of(account);
        let attrs = st.attrs.get(account);
        let has_attr = |(k, v): &(String, String)| attrs.and_then(|a| a.get(k)) == Some(v);
        self.tags_and.iter().all(|t| tags.contains(t))
            && (self.tags_or.is_empty() || self.tags_or.iter().any(|t| tags.contains(t)))
            && !self.tags_not.iter().any(|t| tags.contains(t))
            && self.attrs_and.iter().all(has_attr)
            && (self.attrs_or.is_empty() || self.attrs_or.iter().any(has_attr))
    }
}

/// A new push task: recorded, and delivered to each recipient's inbox when
/// `stored`. Returns its task ID.
pub(super) fn record(cx: &mut Ctx<'_>, mut task: PushTask) -> String {
    let n = cx.st.families.push.tasks.len() as u64 + 1;
    let prefix = if task.endpoint == "timpush/batch" {
        "batch_"
    } else {
        ""
    };
    task.task_id = format!("{prefix}{:08x}_{:08x}_emu_{n:x}", task.time, task.random);
    if task.stored {
        let d = Delivered {
            endpoint: task.endpoint,
            from: task.from.clone(),
            group_id: None,
            msg_body: task.msg_body.clone(),
            cloud_custom_data: None,
            random: task.random,
            msg_seq: n,
            msg_time: task.time,
            msg_key: None,
        };
        for to in &task.recipients {
            cx.st.deliver(to, &d);
        }
    }
    let id = task.task_id.clone();
    cx.st.families.push.tasks.push(task);
    id
}

/// Which service a push by condition is for: each has its own attributes,
/// tags and daily count; timpush also reaches RegistrationIDs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Service {
    AllMember,
    TimPush,
}

/// A push to the accounts matching a condition.
pub(super) struct ByCondition {
    pub service: Service,
    pub meta: &'static EndpointMeta,
    /// How long the same `MsgRandom` is the same task.
    pub dedup_secs: i64,
    pub from: Option<String>,
    pub random: u32,
    pub condition: Condition,
    pub msg_body: Vec<MsgElement>,
    pub stored: bool,
}

/// The checks both services make (enabled, a repeat, the condition, the
/// day's count), then the task: its ID, or the earlier task's for a repeat.
pub(super) fn push_by_condition(cx: &mut Ctx<'_>, p: ByCondition) -> Result<String, PushFailure> {
    let now = cx.unix;
    let endpoint = &p.meta.path[4..];
    // The spec's per-day quota of the endpoint (100 by default on both pages).
    let per_day = p
        .meta
        .quotas
        .iter()
        .find(|q| q.window_secs == 86_400 && q.count.is_none())
        .map_or(u64::MAX, |q| q.limit);
    let st = &cx.st.families.push;
    if !st.enabled {
        return Err(PushFailure::NotEnabled);
    }
    if let Some(t) = st.repeat(endpoint, p.random, now, p.dedup_secs) {
        return Ok(t.task_id.clone());
    }
    let store = match p.service {
        Service::AllMember => &st.amp,
        Service::TimPush => &st.tim,
    };
    let sel = Selector::new(store, p.condition).map_err(PushFailure::Refused)?;
    if !store.pushes_left_today(now, per_day) {
        return Err(PushFailure::DailyLimit(per_day));
    }
    let from = p.from.unwrap_or_else(|| cx.caller.to_owned());
    // Every account (and, for timpush, RegistrationID) but the sender, sorted, each once.
    let mut everyone: Vec<&String> = cx.st.accounts.keys().collect();
    if p.service == Service::TimPush {
        everyone.extend(&st.registrations);
        everyone.sort();
        everyone.dedup();
    }
    let recipients: Vec<String> = everyone
        .into_iter()
        .filter(|a| **a != from && sel.matches(store, a))
        .cloned()
        .collect();
    let st = &mut cx.st.families.push;
    match p.service {
        Service::AllMember => st.amp.count_today(now),
        Service::TimPush => st.tim.count_today(now),
    }
    Ok(record(
        cx,
        PushTask {
            endpoint,
            task_id: String::new(),
            from,
            random: p.random,
            msg_body: p.msg_body,
            recipients,
            stored: p.stored,
            time: now,
            revoked: false,
        },
    ))
}

fn push(cx: &mut Ctx<'_>, r: im_push::Request) -> Reply {
    let push = ByCondition {
        service: Service::AllMember,
        meta: &im_push::META,
        dedup_secs: DEDUP_SECS,
        from: r.from_account,
        random: r.msg_random.unwrap_or_default(),
        condition: r.condition.into(),
        stored: r.msg_life_time.unwrap_or(0) > 0,
        msg_body: r.msg_body,
    };
    match push_by_condition(cx, push) {
        Ok(task_id) => ok(&im_push::Response { task_id }),
        Err(f) => push_failed!(im_push::Error, f),
    }
}
