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
//! the first task's ID and delivers nothing again. 100 pushes per app per
//! day (90047); the one-per-second pace (90024) is the rate check every
//! endpoint gets from its spec.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::{Ctx, Table};
use crate::api::{
    im_add_tag, im_get_attr, im_get_attr_name, im_get_tag, im_push, im_remove_all_tags,
    im_remove_attr, im_remove_tag, im_set_attr, im_set_attr_name,
};
use crate::emulator::reply::{Reply, fail, fail_with, ok, ok_empty};
use crate::emulator::state::Delivered;
use crate::types::{MsgElement, PushAttrNames, PushCondition, PushUserAttrs, PushUserTags};

/// How long a `MsgRandom` names the same push task (the en page: 7 days).
const DEDUP_SECS: i64 = 7 * 24 * 3600;
/// Pushes per app per day by default (the page; 90047 beyond).
const PUSHES_PER_DAY: u32 = 100;
/// Tags one user may hold (the im_add_tag page).
const MAX_TAGS_PER_USER: usize = 100;
/// Bytes of a tag, an attribute name or an attribute value (the pages).
const MAX_TAG_BYTES: usize = 50;

/// A push the emulator accepted.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PushTask {
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
    /// Whether it was stored for offline users (`MsgLifeTime` > 0): only
    /// then does it reach the recipients' inboxes (nobody is online).
    pub stored: bool,
    /// Unix seconds.
    pub time: i64,
}

#[derive(Debug, Default)]
pub(crate) struct PushState {
    /// Attribute number (0-9) to name.
    attr_names: BTreeMap<u8, String>,
    /// Account to attribute name to value.
    attrs: HashMap<String, BTreeMap<String, String>>,
    /// Account to tags, in the order added.
    tags: HashMap<String, Vec<String>>,
    pub tasks: Vec<PushTask>,
    /// Whether the app has push to all users (90045 otherwise).
    pub enabled: bool,
    /// (Unix day, pushes that day).
    today: (i64, u32),
}

impl PushState {
    pub(crate) fn forget(&mut self, account: &str) {
        self.attrs.remove(account);
        self.tags.remove(account);
    }

    fn is_attr_name(&self, name: &str) -> bool {
        self.attr_names.values().any(|n| n == name)
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
fn names_of(n: &PushAttrNames) -> [(u8, Option<&String>); 10] {
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
    let names = &mut cx.st.families.push.attr_names;
    for (i, name) in names_of(&r.attr_names) {
        if let Some(name) = name {
            names.insert(i, name.clone());
        }
    }
    ok_empty()
}

fn get_attr_name(cx: &mut Ctx<'_>, _: im_get_attr_name::Request) -> Reply {
    let names = &cx.st.families.push.attr_names;
    if names.is_empty() {
        return ok(&im_get_attr_name::Response { attr_names: None });
    }
    let get = |i: u8| names.get(&i).cloned();
    let attr_names = PushAttrNames {
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
    };
    ok(&im_get_attr_name::Response {
        attr_names: Some(attr_names),
    })
}

/// Users without attributes are listed with an empty `Attrs` (the page).
fn get_attr(cx: &mut Ctx<'_>, r: im_get_attr::Request) -> Reply {
    let st = &cx.st.families.push;
    let user_attrs = r
        .to_account
        .into_iter()
        .map(|a| {
            let attrs = st.attrs.get(&a).map_or_else(serde_json::Map::new, |m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                    .collect()
            });
            PushUserAttrs::new(a, Value::Object(attrs))
        })
        .collect();
    ok(&im_get_attr::Response { user_attrs })
}

/// The name -> value pairs of an `Attrs` object, each name one of the app's
/// and each value a string of at most 50 bytes; else why not.
fn attr_pairs(st: &PushState, attrs: &Value) -> Result<Vec<(String, String)>, String> {
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
    let st = &mut cx.st.families.push;
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
    let st = &mut cx.st.families.push;
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
    let st = &cx.st.families.push;
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
fn bad_tag(tag: &str) -> Option<String> {
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
    let st = &mut cx.st.families.push;
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
    let st = &mut cx.st.families.push;
    for u in r.user_tags {
        if let Some(held) = st.tags.get_mut(&u.to_account) {
            held.retain(|t| !u.tags.contains(t));
        }
    }
    ok_empty()
}

fn remove_all_tags(cx: &mut Ctx<'_>, r: im_remove_all_tags::Request) -> Reply {
    let st = &mut cx.st.families.push;
    for a in &r.to_account {
        st.tags.remove(a);
    }
    ok_empty()
}

/// A checked push condition.
struct Selector {
    tags_and: Vec<String>,
    tags_or: Vec<String>,
    attrs_and: Vec<(String, String)>,
    attrs_or: Vec<(String, String)>,
}

impl Selector {
    fn matches(&self, st: &PushState, account: &str) -> bool {
        let tags = st.tags.get(account).map_or(&[][..], Vec::as_slice);
        let attrs = st.attrs.get(account);
        let has_attr = |(k, v): &(String, String)| attrs.and_then(|a| a.get(k)) == Some(v);
        self.tags_and.iter().all(|t| tags.contains(t))
            && (self.tags_or.is_empty() || self.tags_or.iter().any(|t| tags.contains(t)))
            && self.attrs_and.iter().all(has_attr)
            && (self.attrs_or.is_empty() || self.attrs_or.iter().any(has_attr))
    }
}

/// The page's checks of a condition, in its codes.
fn selector(st: &PushState, c: Option<PushCondition>) -> Result<Selector, Reply> {
    type E = im_push::Error;
    let c = c.unwrap_or_default();
    let has_attrs = c.attrs_and.is_some() || c.attrs_or.is_some();
    if has_attrs && !(c.tags_and.is_empty() && c.tags_or.is_empty()) {
        return Err(fail_with(
            E::PushAttrsAndTagsExclusive,
            "attribute and tag conditions cannot be combined",
        ));
    }
    for t in c.tags_and.iter().chain(&c.tags_or) {
        if t.is_empty() {
            return Err(fail_with(E::EmptyPushTag, "a tag is empty"));
        }
        if t.len() > MAX_TAG_BYTES {
            return Err(fail_with(
                E::PushTagTooLong,
                format!("tag {t} is over {MAX_TAG_BYTES} bytes"),
            ));
        }
    }
    if let Some(t) = c.tags_and.iter().find(|t| c.tags_or.contains(t)) {
        return Err(fail_with(
            E::PushTagRepeated,
            format!("tag {t} is in both TagsAnd and TagsOr"),
        ));
    }
    let pairs = |v: Option<Value>| match v {
        None => Ok(Vec::new()),
        Some(v) => attr_pairs(st, &v).map_err(|why| fail_with(E::InvalidPushAttribute, why)),
    };
    Ok(Selector {
        attrs_and: pairs(c.attrs_and)?,
        attrs_or: pairs(c.attrs_or)?,
        tags_and: c.tags_and,
        tags_or: c.tags_or,
    })
}

fn push(cx: &mut Ctx<'_>, r: im_push::Request) -> Reply {
    type E = im_push::Error;
    let now = cx.unix;
    let random = r.msg_random.unwrap_or_default();
    let st = &cx.st.families.push;
    if !st.enabled {
        return fail_with(
            E::PushNotEnabled,
            "push to all users is not enabled for this app",
        );
    }
    if let Some(t) = st
        .tasks
        .iter()
        .rev()
        .take_while(|t| now - t.time <= DEDUP_SECS)
        .find(|t| t.random == random)
    {
        return ok(&im_push::Response {
            task_id: t.task_id.clone(),
        });
    }
    let sel = match selector(st, r.condition) {
        Ok(s) => s,
        Err(reply) => return reply,
    };
    let day = now.div_euclid(86_400);
    let used = if st.today.0 == day { st.today.1 } else { 0 };
    if used >= PUSHES_PER_DAY {
        return fail_with(
            E::PushDailyLimitExceeded,
            format!("{PUSHES_PER_DAY} pushes today already"),
        );
    }
    let from = r.from_account.unwrap_or_else(|| cx.caller.to_owned());
    let recipients: Vec<String> = cx
        .st
        .accounts
        .keys()
        .filter(|a| **a != from && sel.matches(st, a))
        .cloned()
        .collect();
    let stored = r.msg_life_time.unwrap_or(0) > 0;
    let n = st.tasks.len() as u64 + 1;
    let task = PushTask {
        task_id: format!("{now:08x}_{random:08x}_emu_{n:x}"),
        from,
        random,
        msg_body: r.msg_body,
        recipients,
        stored,
        time: now,
    };
    if stored {
        let d = Delivered {
            endpoint: &im_push::META.path[4..],
            from: task.from.clone(),
            group_id: None,
            msg_body: task.msg_body.clone(),
            cloud_custom_data: None,
            random,
            msg_seq: n,
            msg_time: now,
            msg_key: None,
        };
        for to in &task.recipients {
            cx.st.deliver(to, &d);
        }
    }
    let answer = im_push::Response {
        task_id: task.task_id.clone(),
    };
    let st = &mut cx.st.families.push;
    st.today = (day, used + 1);
    st.tasks.push(task);
    ok(&answer)
}
