//! One-to-one messages: send (one and many), import, recall, modify,
//! history, read state and unread counts. Every stored message has a
//! `MsgKey` (`<MsgSeq>_<MsgRandom>_<MsgTime>`, the shape of Tencent's keys).

use std::collections::{HashMap, HashSet};

use super::{key, to_json, Ctx, Table};
use crate::api::{
    admin_getroammsg, admin_msgwithdraw, admin_set_msg_read, batchsendmsg, delete_c2c_msg_ramble,
    get_c2c_unread_msg_num, importmsg, modify_c2c_msg, sendmsg,
};
use crate::emulator::reply::{fail, fail_with, ok, ok_empty, Failure, Reply};
use crate::emulator::state::Delivered;
use crate::types::{
    AccountError, C2cHistoryMsg, C2cMsgFlagBits, C2cUnreadCount, MsgElement, PeerAccountError,
    SendMsgControl, SyncFromOldSystem, SyncOtherMachine,
};
use crate::{EndpointError as _, EndpointMeta, PublicError};

/// How long a repeat of the same one-to-one send is recognised (the C2C pages: 120 s).
const C2C_DEDUP_SECS: i64 = 120;

/// A stored one-to-one message.
#[derive(Debug, Clone)]
pub(crate) struct C2cMsg {
    pub from: String,
    pub to: String,
    pub seq: u64,
    pub random: u32,
    pub time: i64,
    pub key: String,
    pub body: Vec<MsgElement>,
    pub custom: Option<String>,
    pub recalled: bool,
    /// Not in the sender's history (`SyncOtherMachine` 2).
    pub hidden_for_sender: bool,
    /// Accounts that deleted it from their own history.
    pub deleted_for: HashSet<String>,
    pub peer_read: bool,
    /// Counts as unread for the recipient (not `NoUnread`).
    pub counts_unread: bool,
}

/// The one-to-one history of every pair.
#[derive(Debug, Default)]
pub(crate) struct C2cState {
    pub msgs: Vec<C2cMsg>,
    pub by_key: HashMap<String, usize>,
    /// (reader, peer) -> read up to this Unix second.
    pub read_until: HashMap<(String, String), i64>,
    /// Dedup of sends: key -> (time, answer).
    dedup: HashMap<u64, (i64, serde_json::Value)>,
}

impl C2cState {
    pub(crate) fn forget(&mut self, account: &str) {
        self.read_until
            .retain(|(a, b), _| a != account && b != account);
    }

    /// Messages of `owner`'s side of the conversation with `peer`.
    pub(crate) fn history<'a>(&'a self, owner: &'a str, peer: &'a str) -> impl Iterator<Item = &'a C2cMsg> + 'a {
        self.msgs.iter().filter(move |m| {
            let mine = (m.from == owner && m.to == peer && !m.hidden_for_sender)
                || (m.from == peer && m.to == owner);
            mine && !m.deleted_for.contains(owner)
        })
    }

    /// Unread messages from `peer` to `reader`.
    pub(crate) fn unread(&self, reader: &str, peer: &str) -> u32 {
        let since = self
            .read_until
            .get(&(reader.to_owned(), peer.to_owned()))
            .copied()
            .unwrap_or(i64::MIN);
        self.msgs
            .iter()
            .filter(|m| m.to == reader && m.from == peer && m.counts_unread && !m.recalled && m.time > since)
            .count() as u32
    }

    fn store(&mut self, m: C2cMsg) {
        self.by_key.insert(m.key.clone(), self.msgs.len());
        self.msgs.push(m);
    }
}

pub(super) fn register(t: &mut Table) {
    t.add(send);
    t.add(batch);
    t.add(import);
    t.add(withdraw);
    t.add(roam);
    t.add(set_read);
    t.add(unread);
    t.add(modify);
    t.add(delete_ramble);
}

/// The code of a request field's `codes.any`, else the endpoint's invalid code.
fn field_code(meta: &EndpointMeta, wire: &str) -> i64 {
    meta.field(wire)
        .and_then(|f| f.codes.any)
        .unwrap_or(meta.invalid_code)
}

fn body_text(body: &[MsgElement]) -> String {
    serde_json::to_string(body).unwrap_or_default()
}

/// Sends `from` -> `to`, stores it and delivers it. Returns its key and time.
#[allow(clippy::too_many_arguments)]
fn deliver(
    cx: &mut Ctx<'_>,
    endpoint: &'static EndpointMeta,
    from: &str,
    to: &str,
    seq: u64,
    random: u32,
    time: i64,
    body: &[MsgElement],
    custom: Option<&String>,
    controls: &[SendMsgControl],
    hidden_for_sender: bool,
) -> String {
    let key = format!("{seq}_{random}_{time}");
    cx.st.families.c2c.store(C2cMsg {
        from: from.to_owned(),
        to: to.to_owned(),
        seq,
        random,
        time,
        key: key.clone(),
        body: body.to_vec(),
        custom: custom.cloned(),
        recalled: false,
        hidden_for_sender,
        deleted_for: HashSet::new(),
        peer_read: false,
        counts_unread: !controls.contains(&SendMsgControl::NoUnread),
    });
    let d = Delivered {
        endpoint: &endpoint.path[4..],
        from: from.to_owned(),
        group_id: None,
        msg_body: body.to_vec(),
        cloud_custom_data: custom.cloned(),
        random,
        msg_seq: seq,
        msg_time: time,
        msg_key: Some(key.clone()),
    };
    cx.st.deliver(to, &d);
    if !controls.contains(&SendMsgControl::NoLastMsg) {
        cx.st.families.conversation.touch_c2c(from, to, time);
        cx.st.families.conversation.touch_c2c(to, from, time);
    }
    key
}

/// The earlier answer to the same send within the C2C dedup window.
fn repeat(cx: &mut Ctx<'_>, dedup: u64) -> Option<Reply> {
    let (at, answer) = cx.st.families.c2c.dedup.get(&dedup)?;
    if cx.unix - at > C2C_DEDUP_SECS {
        return None;
    }
    cx.st.stats.duplicates += 1;
    Some(Ok(answer.clone()))
}

fn remember(cx: &mut Ctx<'_>, dedup: u64, reply: &Reply) {
    if let Ok(v) = reply {
        let c2c = &mut cx.st.families.c2c;
        if c2c.dedup.len() > 100_000 {
            let now = cx.unix;
            c2c.dedup.retain(|_, (at, _)| now - *at <= C2C_DEDUP_SECS);
        }
        c2c.dedup.insert(dedup, (cx.unix, v.clone()));
    }
}

fn send(cx: &mut Ctx<'_>, r: sendmsg::Request) -> Reply {
    let meta = &sendmsg::META;
    let from = r.from_account.clone().unwrap_or_else(|| cx.caller.to_owned());
    if r.from_account.is_some() && !cx.st.has_account(&from) {
        return fail(field_code(meta, "From_Account"), format!("From_Account {from} is not imported"));
    }
    if !cx.st.has_account(&r.to_account) {
        return fail_with(sendmsg::Error::ToAccountNotRegistered, format!("To_Account {} is not imported", r.to_account));
    }
    let random = r.msg_random.unwrap_or_default();
    let dedup = key((meta.path, &from, &r.to_account, r.msg_seq, random, body_text(&r.msg_body)));
    if let Some(answer) = repeat(cx, dedup) {
        return answer;
    }
    cx.st.c2c_seq += 1;
    let seq = u64::from(r.msg_seq.unwrap_or(cx.st.c2c_seq as u32));
    let time = cx.unix;
    let hidden = r.sync_other_machine == Some(SyncOtherMachine::NoSync);
    let stored = r.msg_life_time != Some(0);
    let msg_key = if stored {
        deliver(cx, meta, &from, &r.to_account, seq, random, time, &r.msg_body, r.cloud_custom_data.as_ref(), &r.send_msg_control, hidden)
    } else {
        // MsgLifeTime 0: online only, not stored; nobody is online in the emulator.
        format!("{seq}_{random}_{time}")
    };
    let reply = ok(&sendmsg::Response {
        msg_time: time,
        msg_key: Some(msg_key),
    });
    remember(cx, dedup, &reply);
    reply
}

/// Unknown targets are listed in `ErrorList` and the others get the message;
/// when no target exists the answer is FAIL 90012 with the list.
fn batch(cx: &mut Ctx<'_>, r: batchsendmsg::Request) -> Reply {
    let meta = &batchsendmsg::META;
    let from = r.from_account.clone().unwrap_or_else(|| cx.caller.to_owned());
    if r.from_account.is_some() && !cx.st.has_account(&from) {
        return fail_with(batchsendmsg::Error::InvalidFromAccount, format!("From_Account {from} is not imported"));
    }
    let random = r.msg_random.unwrap_or_default();
    let dedup = key((meta.path, &from, &r.to_account, r.msg_seq, random, body_text(&r.msg_body)));
    if let Some(answer) = repeat(cx, dedup) {
        return answer;
    }
    cx.st.c2c_seq += 1;
    let seq = u64::from(r.msg_seq.unwrap_or(cx.st.c2c_seq as u32));
    let time = cx.unix;
    let mut error_list = Vec::new();
    let mut msg_key = None;
    for to in &r.to_account {
        if cx.st.has_account(to) {
            let k = deliver(cx, meta, &from, to, seq, random, time, &r.msg_body, r.cloud_custom_data.as_ref(), &r.send_msg_control, false);
            msg_key.get_or_insert(k);
        } else {
            error_list.push(AccountError {
                to_account: to.clone(),
                error_code: batchsendmsg::Error::ToAccountNotRegistered.code(),
                error_info: None,
            });
        }
    }
    let all_failed = msg_key.is_none();
    let failed = !error_list.is_empty();
    let body = to_json(&batchsendmsg::Response {
        msg_key: Some(msg_key.unwrap_or_else(|| format!("{seq}_{random}_{time}"))),
        msg_time: Some(time),
        error_list,
    });
    let reply = if all_failed {
        Err(Failure {
            code: Some(batchsendmsg::Error::ToAccountNotRegistered.code()),
            info: "no target account is imported".into(),
            fields: Some(body),
        })
    } else if failed {
        // The seed's shape for a partial failure: FAIL, no ErrorCode, the list.
        Err(Failure {
            code: None,
            info: String::new(),
            fields: Some(body),
        })
    } else {
        Ok(body)
    };
    remember(cx, dedup, &reply);
    reply
}

fn import(cx: &mut Ctx<'_>, r: importmsg::Request) -> Reply {
    if !cx.st.has_account(&r.from_account) {
        return fail_with(importmsg::Error::InvalidFromAccount, format!("From_Account {} is not imported", r.from_account));
    }
    if !cx.st.has_account(&r.to_account) {
        return fail_with(importmsg::Error::ToAccountNotRegistered, format!("To_Account {} is not imported", r.to_account));
    }
    let seq = u64::from(r.msg_seq.unwrap_or_default());
    let random = r.msg_random.unwrap_or_default();
    // The first import of (MsgSeq, MsgRandom, MsgTimeStamp) wins.
    let dup = cx.st.families.c2c.msgs.iter().any(|m| {
        m.from == r.from_account && m.to == r.to_account && m.seq == seq && m.random == random && m.time == r.msg_time_stamp
    });
    if !dup {
        let unread = r.sync_from_old_system != SyncFromOldSystem::from(2);
        let k = deliver(cx, &importmsg::META, &r.from_account, &r.to_account, seq, random, r.msg_time_stamp, &r.msg_body, r.cloud_custom_data.as_ref(), &[], false);
        if !unread {
            if let Some(i) = cx.st.families.c2c.by_key.get(&k).copied() {
                cx.st.families.c2c.msgs[i].counts_unread = false;
            }
        }
    }
    ok_empty()
}

fn withdraw(cx: &mut Ctx<'_>, r: admin_msgwithdraw::Request) -> Reply {
    let c2c = &mut cx.st.families.c2c;
    let Some(i) = c2c.by_key.get(&r.msg_key).copied() else {
        return fail_with(admin_msgwithdraw::Error::RecallTargetNotFound, "no message with this MsgKey");
    };
    let m = &mut c2c.msgs[i];
    if m.from != r.from_account || m.to != r.to_account {
        return fail_with(admin_msgwithdraw::Error::RecallTargetNotFound, "the MsgKey is not a message between these accounts");
    }
    if m.recalled {
        return fail_with(admin_msgwithdraw::Error::MessageAlreadyRecalled, "already recalled");
    }
    m.recalled = true;
    ok_empty()
}

/// History of a pair between MinTime and MaxTime, newest page first; each
/// page lists its messages oldest first, and the next page continues below
/// `LastMsgTime`/`LastMsgKey` (the oldest of this page).
fn roam(cx: &mut Ctx<'_>, r: admin_getroammsg::Request) -> Reply {
    if !cx.st.has_account(&r.operator_account) {
        return fail_with(admin_getroammsg::Error::InvalidFromAccount, "Operator_Account is not imported");
    }
    let c2c = &cx.st.families.c2c;
    let mut msgs: Vec<&C2cMsg> = c2c
        .history(&r.operator_account, &r.peer_account)
        .filter(|m| m.time >= r.min_time && m.time <= r.max_time)
        .collect();
    msgs.sort_by(|a, b| (b.time, b.seq).cmp(&(a.time, a.seq)));
    if let Some(last) = &r.last_msg_key {
        if let Some(pos) = msgs.iter().position(|m| &m.key == last) {
            msgs.drain(..=pos);
        }
    }
    let max = r.max_cnt.max(1) as usize;
    let complete = msgs.len() <= max;
    msgs.truncate(max);
    let oldest = msgs.last().map(|m| (m.time, m.key.clone()));
    msgs.reverse();
    let msg_list: Vec<C2cHistoryMsg> = msgs
        .iter()
        .map(|m| C2cHistoryMsg {
            from_account: m.from.clone(),
            to_account: m.to.clone(),
            msg_seq: m.seq,
            msg_random: m.random,
            msg_time_stamp: m.time,
            msg_flag_bits: Some(if m.recalled { C2cMsgFlagBits::Recalled } else { C2cMsgFlagBits::Normal }),
            is_peer_read: Some(m.peer_read),
            msg_key: m.key.clone(),
            msg_body: if m.recalled { Vec::new() } else { m.body.clone() },
            cloud_custom_data: m.custom.clone(),
        })
        .collect();
    ok(&admin_getroammsg::Response {
        complete,
        msg_cnt: msg_list.len() as u32,
        last_msg_time: oldest.as_ref().map(|o| o.0),
        last_msg_key: oldest.map(|o| o.1),
        msg_list,
    })
}

fn set_read(cx: &mut Ctx<'_>, r: admin_set_msg_read::Request) -> Reply {
    if !cx.st.has_account(&r.report_account) {
        return fail_with(admin_set_msg_read::Error::InvalidFromAccount, "Report_Account is not imported");
    }
    let until = r
        .msg_read_time
        .as_deref()
        .and_then(|t| t.parse::<i64>().ok())
        .unwrap_or(cx.unix);
    cx.st
        .families
        .c2c
        .read_until
        .insert((r.report_account, r.peer_account), until);
    ok_empty()
}

fn unread(cx: &mut Ctx<'_>, r: get_c2c_unread_msg_num::Request) -> Reply {
    if !cx.st.has_account(&r.to_account) {
        return fail_with(get_c2c_unread_msg_num::Error::InvalidToAccount, "To_Account is not imported");
    }
    let c2c = &cx.st.families.c2c;
    if r.peer_account.is_empty() {
        let peers: HashSet<&String> = c2c.msgs.iter().filter(|m| m.to == r.to_account).map(|m| &m.from).collect();
        let total = peers.iter().map(|p| c2c.unread(&r.to_account, p)).sum();
        return ok(&get_c2c_unread_msg_num::Response {
            all_c2c_unread_msg_num: Some(total),
            c2c_unread_msg_num_list: Vec::new(),
            error_list: Vec::new(),
        });
    }
    let mut list = Vec::new();
    let mut errors = Vec::new();
    for p in &r.peer_account {
        if cx.st.has_account(p) {
            list.push(C2cUnreadCount {
                peer_account: p.clone(),
                c2c_unread_msg_num: c2c.unread(&r.to_account, p),
            });
        } else {
            errors.push(PeerAccountError {
                peer_account: p.clone(),
                error_code: PublicError::AccountNotImported.code(),
            });
        }
    }
    let total = list.iter().map(|c| c.c2c_unread_msg_num).sum();
    ok(&get_c2c_unread_msg_num::Response {
        all_c2c_unread_msg_num: Some(total),
        c2c_unread_msg_num_list: list,
        error_list: errors,
    })
}

fn modify(cx: &mut Ctx<'_>, r: modify_c2c_msg::Request) -> Reply {
    let c2c = &mut cx.st.families.c2c;
    let found = c2c
        .by_key
        .get(&r.msg_key)
        .copied()
        .filter(|i| c2c.msgs[*i].from == r.from_account && c2c.msgs[*i].to == r.to_account);
    let Some(i) = found else {
        return fail(modify_c2c_msg::META.invalid_code, "no message with this MsgKey between these accounts");
    };
    let m = &mut c2c.msgs[i];
    if !r.msg_body.is_empty() {
        m.body = r.msg_body;
    }
    if r.cloud_custom_data.is_some() {
        m.custom = r.cloud_custom_data;
    }
    ok_empty()
}

fn delete_ramble(cx: &mut Ctx<'_>, r: delete_c2c_msg_ramble::Request) -> Reply {
    let c2c = &mut cx.st.families.c2c;
    for k in &r.msg_key_list {
        if let Some(i) = c2c.by_key.get(k).copied() {
            let m = &mut c2c.msgs[i];
            if m.from == r.operator_account || m.to == r.operator_account {
                m.deleted_for.insert(r.operator_account.clone());
            }
        }
    }
    ok_empty()
}
