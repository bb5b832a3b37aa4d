//! Endpoints with semantics: the three message endpoints of the seeds. Every
//! other endpoint in the spec is validated and answered OK. Error codes come
//! from the generated enums, response bodies from the generated `Response`
//! types: no wire name or code is written here.

use std::any::Any;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::Instant;

use serde_json::{json, Value};

use super::server::{fail, ok, Shared};
use super::state::Delivered;
use crate::api::{
    account_import, batchsendmsg, create_group, get_appid_group_list, multiaccount_import,
    send_broadcast_msg, send_group_msg,
};
use crate::types::{AccountError, GroupIdItem, GroupType};
use crate::usersig::unix_now;
use crate::EndpointError;

/// Answer a checked request: the message endpoints by their semantics,
/// every other endpoint of the spec with a plain OK.
pub(super) fn handle(shared: &Shared, caller: &str, parsed: Box<dyn Any + Send>) -> Value {
    let parsed = match parsed.downcast::<send_group_msg::Request>() {
        Ok(r) => return group_msg(shared, caller, *r),
        Err(other) => other,
    };
    let parsed = match parsed.downcast::<batchsendmsg::Request>() {
        Ok(r) => return batch(shared, caller, *r),
        Err(other) => other,
    };
    let parsed = match parsed.downcast::<send_broadcast_msg::Request>() {
        Ok(r) => return broadcast(shared, caller, *r),
        Err(other) => other,
    };
    let parsed = match parsed.downcast::<account_import::Request>() {
        Ok(r) => {
            shared.state().accounts.insert(r.user_id);
            return ok(json!({}));
        }
        Err(other) => other,
    };
    let parsed = match parsed.downcast::<multiaccount_import::Request>() {
        Ok(r) => {
            let mut st = shared.state();
            st.accounts.extend(r.accounts);
            st.accounts
                .extend(r.account_list.into_iter().map(|a| a.user_id));
            return ok(to_json(&multiaccount_import::Response {
                fail_accounts: Vec::new(),
            }));
        }
        Err(other) => other,
    };
    let parsed = match parsed.downcast::<create_group::Request>() {
        Ok(r) => return create(shared, *r),
        Err(other) => other,
    };
    if let Ok(r) = parsed.downcast::<get_appid_group_list::Request>() {
        return group_list(shared, *r);
    }
    ok(json!({}))
}

fn code(e: impl EndpointError) -> i64 {
    e.code()
}

fn to_json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// The dedup key of a send: endpoint, sender, target, random and content.
fn key(parts: impl Hash) -> u64 {
    let mut h = DefaultHasher::new();
    parts.hash(&mut h);
    h.finish()
}

/// The common start of every send: the effective sender, the dedup key,
/// the earlier answer when this is a repeat, and the sender check.
struct Start<'a> {
    st: std::sync::MutexGuard<'a, super::state::State>,
    now: Instant,
    random: u32,
    from: String,
    dedup: u64,
}

fn start<'a>(
    shared: &'a Shared,
    caller: &str,
    from_account: Option<&String>,
    random: Option<u32>,
    body: &[crate::types::MsgElement],
    target: impl Hash,
    unknown_sender: i64,
) -> Result<Start<'a>, Value> {
    let now = Instant::now();
    let random = random.unwrap_or_default();
    let from = from_account.cloned().unwrap_or_else(|| caller.to_owned());
    let body_text = serde_json::to_string(body).unwrap_or_default();
    let dedup = key((target, &from, random, &body_text));
    let mut st = shared.state();
    if let Some(answer) = st.duplicate(dedup, now) {
        return Err(answer);
    }
    if from_account.is_some_and(|f| !st.accounts.contains(f)) {
        return Err(fail(unknown_sender, "From_Account does not exist"));
    }
    Ok(Start {
        st,
        now,
        random,
        from,
        dedup,
    })
}

fn create(shared: &Shared, r: create_group::Request) -> Value {
    let mut st = shared.state();
    if let Some(unknown) = r
        .owner_account
        .iter()
        .chain(r.member_list.iter().map(|m| &m.member_account))
        .find(|a| !st.accounts.contains(*a))
    {
        return fail(
            create_group::META.invalid_code,
            format!("account {unknown} is not imported"),
        );
    }
    if r.group_type == GroupType::AvChatRoom && !r.member_list.is_empty() {
        return fail(
            code(create_group::Error::PermissionDenied),
            "AVChatRoom members join through the SDK",
        );
    }
    let id = r
        .group_id
        .unwrap_or_else(|| format!("@TGS#{}", st.groups.len() + 1));
    if st.groups.contains_key(&id) {
        return fail(
            code(create_group::Error::GroupIdTaken),
            "the group ID is taken",
        );
    }
    let members = r
        .owner_account
        .into_iter()
        .chain(r.member_list.into_iter().map(|m| m.member_account))
        .collect();
    st.add_group(id.clone(), r.group_type, members);
    ok(to_json(&create_group::Response { group_id: id, r#type: None, huge_group_flag: None }))
}

/// Group IDs in order, a page at a time; `Next` is the index of the next one.
fn group_list(shared: &Shared, r: get_appid_group_list::Request) -> Value {
    let st = shared.state();
    let mut ids: Vec<&String> = st
        .groups
        .iter()
        .filter(|(_, g)| r.group_type.as_ref().is_none_or(|t| *t == g.ty))
        .map(|(id, _)| id)
        .collect();
    ids.sort();
    let start = r.next.unwrap_or(0) as usize;
    let limit = r.limit.unwrap_or(10_000) as usize;
    let page: Vec<GroupIdItem> = ids
        .iter()
        .skip(start)
        .take(limit)
        .map(|id| GroupIdItem::new((*id).clone()))
        .collect();
    let end = start + page.len();
    let next = if end < ids.len() { end as u64 } else { 0 };
    ok(to_json(&get_appid_group_list::Response {
        total_count: ids.len() as u64,
        group_id_list: page,
        next,
    }))
}

fn group_msg(shared: &Shared, caller: &str, r: send_group_msg::Request) -> Value {
    let target = (send_group_msg::META.path, &r.group_id);
    let Start {
        mut st,
        now,
        random,
        from,
        dedup,
    } = match start(
        shared,
        caller,
        r.from_account.as_ref(),
        r.random,
        &r.msg_body,
        target,
        send_group_msg::META.invalid_code,
    ) {
        Ok(s) => s,
        Err(answer) => return answer,
    };
    let st = &mut *st;
    let Some(group) = st.groups.get_mut(&r.group_id) else {
        return fail(
            code(send_group_msg::Error::GroupNotFound),
            "group not found",
        );
    };
    let restricted = r.online_only_flag == Some(true) || !r.send_msg_control.is_empty();
    if group.ty == GroupType::AvChatRoom && restricted {
        return fail(
            code(send_group_msg::Error::PermissionDenied),
            "AVChatRoom does not support OnlineOnlyFlag or SendMsgControl",
        );
    }
    if let Some(limiter) = &mut group.limiter {
        if limiter.try_acquire(now).is_err() {
            return fail(
                send_group_msg::META.rate_limit_code,
                "over the per-group message rate",
            );
        }
    }
    let msg_seq = group.next_seq;
    group.next_seq += 1;
    let msg_time = unix_now() as i64;
    let d = Delivered {
        endpoint: &send_group_msg::META.path[4..],
        from: from.clone(),
        group_id: Some(r.group_id.clone()),
        msg_body: r.msg_body,
        cloud_custom_data: r.cloud_custom_data,
        random,
        msg_seq,
        msg_time,
    };
    group.log.push(d.clone());
    let targets: Vec<String> = if r.to_account.is_empty() {
        group
            .members
            .iter()
            .filter(|m| **m != from)
            .cloned()
            .collect()
    } else {
        r.to_account
            .iter()
            .filter(|m| group.members.contains(m))
            .cloned()
            .collect()
    };
    for m in &targets {
        st.deliver(m, &d);
    }
    let answer = ok(to_json(&send_group_msg::Response { msg_time, msg_seq, msg_drop_reason: None }));
    st.remember(dedup, now, answer.clone());
    answer
}

fn batch(shared: &Shared, caller: &str, r: batchsendmsg::Request) -> Value {
    let target = (batchsendmsg::META.path, &r.to_account, r.msg_seq);
    let unknown_sender = code(batchsendmsg::Error::InvalidFromAccount);
    let Start {
        mut st,
        now,
        random,
        from,
        dedup,
    } = match start(
        shared,
        caller,
        r.from_account.as_ref(),
        r.msg_random,
        &r.msg_body,
        target,
        unknown_sender,
    ) {
        Ok(s) => s,
        Err(answer) => return answer,
    };
    st.c2c_seq += 1;
    let msg_seq = u64::from(r.msg_seq.unwrap_or(st.c2c_seq as u32));
    let msg_time = unix_now() as i64;
    let msg_key = format!("{}_{}_{}", st.c2c_seq, random, msg_time);
    let d = Delivered {
        endpoint: &batchsendmsg::META.path[4..],
        from,
        group_id: None,
        msg_body: r.msg_body,
        cloud_custom_data: r.cloud_custom_data,
        random,
        msg_seq,
        msg_time,
    };
    let mut error_list = Vec::new();
    for to in &r.to_account {
        if st.accounts.contains(to) {
            st.deliver(to, &d);
        } else {
            error_list.push(AccountError::new(
                to.clone(),
                code(batchsendmsg::Error::ToAccountNotRegistered),
            ));
        }
    }
    let failed = !error_list.is_empty();
    let body = to_json(&batchsendmsg::Response {
        msg_key: Some(msg_key),
        msg_time: Some(msg_time),
        error_list,
    });
    let answer = if failed {
        // The seed's shape for a partial failure: FAIL, no ErrorCode, the list.
        let mut v = json!({"ActionStatus": "FAIL", "ErrorInfo": ""});
        if let (Value::Object(out), Value::Object(fields)) = (&mut v, body) {
            out.extend(fields);
        }
        v
    } else {
        ok(body)
    };
    st.remember(dedup, now, answer.clone());
    answer
}

fn broadcast(shared: &Shared, caller: &str, r: send_broadcast_msg::Request) -> Value {
    if !shared.state().broadcast_enabled {
        return fail(
            code(send_broadcast_msg::Error::PermissionDenied),
            "broadcast messaging is not enabled in the console",
        );
    }
    let target = send_broadcast_msg::META.path;
    let Start {
        mut st,
        now,
        random,
        from,
        dedup,
    } = match start(
        shared,
        caller,
        r.from_account.as_ref(),
        r.random,
        &r.msg_body,
        target,
        send_broadcast_msg::META.invalid_code,
    ) {
        Ok(s) => s,
        Err(answer) => return answer,
    };
    st.broadcast_seq += 1;
    let msg_seq = st.broadcast_seq;
    let msg_time = unix_now() as i64;
    let st = &mut *st;
    let mut deliveries = Vec::new();
    for (id, group) in st
        .groups
        .iter_mut()
        .filter(|(_, g)| g.ty == GroupType::AvChatRoom)
    {
        let d = Delivered {
            endpoint: &send_broadcast_msg::META.path[4..],
            from: from.clone(),
            group_id: Some(id.clone()),
            msg_body: r.msg_body.clone(),
            cloud_custom_data: r.cloud_custom_data.clone(),
            random,
            msg_seq,
            msg_time,
        };
        group.log.push(d.clone());
        for m in group.members.iter().filter(|m| **m != from) {
            deliveries.push((m.clone(), d.clone()));
        }
    }
    for (m, d) in &deliveries {
        st.deliver(m, d);
    }
    st.broadcasts.push(Delivered {
        endpoint: &send_broadcast_msg::META.path[4..],
        from,
        group_id: None,
        msg_body: r.msg_body,
        cloud_custom_data: r.cloud_custom_data,
        random,
        msg_seq,
        msg_time,
    });
    let answer = ok(to_json(&send_broadcast_msg::Response { msg_seq }));
    st.remember(dedup, now, answer.clone());
    answer
}
