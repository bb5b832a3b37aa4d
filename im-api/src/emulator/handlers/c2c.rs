//! One-to-one messages: send (one and many), import, recall, modify,
//! history, read state and unread counts, read receipts and key-value
//! extensions. Every stored message has a `MsgKey`
//! (`<MsgSeq>_<MsgRandom>_<MsgTime>`, the shape of Tencent's keys).
//!
//! The extension store ([`Extensions`]) is shared with the group extensions
//! of `group_msg`, whose per-message extras live here too
//! ([`C2cState::group`]): both message families keep their state in one place.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use super::group_msg::GroupMsgState;
use super::{Ctx, Table, key, to_json};
use crate::api::{
    admin_getroammsg, admin_msgwithdraw, admin_set_msg_read, batchsendmsg, c2c_msg_read_receipt,
    delete_c2c_msg_ramble, get_c2c_unread_msg_num, get_key_values, importmsg, modify_c2c_msg,
    sendmsg, set_key_values,
};
use crate::emulator::reply::{Failure, Reply, fail, fail_with, ok, ok_empty};
use crate::emulator::state::Delivered;
use crate::types::{
    AccountError, C2cHistoryMsg, C2cMsgFlagBits, C2cUnreadCount, MsgElement, MsgExtension,
    MsgExtensionItem, MsgExtensionOperation, MsgExtensionSetResult, PeerAccountError,
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
    /// Sent with `IsNeedReadReceipt`: only then does a read receipt set `peer_read`.
    pub need_receipt: bool,
    /// Key-value extensions; `Some` when sent with `SupportMessageExtension`.
    pub extensions: Option<Extensions>,
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
    /// Receipts and extensions of group messages (see `group_msg`).
    pub group: GroupMsgState,
}

impl C2cState {
    pub(crate) fn forget(&mut self, account: &str) {
        self.read_until
            .retain(|(a, b), _| a != account && b != account);
        self.group.forget(account);
    }

    /// The message `key` from `from` (any sender when `None`) to `to`. A
    /// batch gives every recipient the same key, so the pair matters.
    pub(crate) fn find(&self, key: &str, from: Option<&str>, to: &str) -> Option<usize> {
        self.msgs
            .iter()
            .rposition(|m| m.key == key && m.to == to && from.is_none_or(|f| m.from == f))
    }

    /// Messages of `owner`'s side of the conversation with `peer`.
    pub(crate) fn history<'a>(
        &'a self,
        owner: &'a str,
        peer: &'a str,
    ) -> impl Iterator<Item = &'a C2cMsg> + 'a {
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
            .filter(|m| {
                m.to == reader && m.from == peer && m.counts_unread && !m.recalled && m.time > since
            })
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
    t.add(read_receipt);
    t.add(ext_get);
    t.add(ext_set);
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
        need_receipt: false,
        extensions: None,
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
    let from = r
        .from_account
        .clone()
        .unwrap_or_else(|| cx.caller.to_owned());
    if r.from_account.is_some() && !cx.st.has_account(&from) {
        return fail(
            field_code(meta, "From_Account"),
            format!("From_Account {from} is not imported"),
        );
    }
    if !cx.st.has_account(&r.to_account) {
        return fail_with(
            sendmsg::Error::ToAccountNotRegistered,
            format!("To_Account {} is not imported", r.to_account),
        );
    }
    if super::global_mute::c2c_muted(cx.st, &from, cx.unix) {
        return fail_with(
            sendmsg::Error::SenderGloballyMuted,
            format!("{from} is muted for one-to-one messages"),
        );
    }
    let random = r.msg_random.unwrap_or_default();
    let dedup = key((
        meta.path,
        &from,
        &r.to_account,
        r.msg_seq,
        random,
        body_text(&r.msg_body),
    ));
    if let Some(answer) = repeat(cx, dedup) {
        return answer;
    }
    cx.st.c2c_seq += 1;
    let seq = u64::from(r.msg_seq.unwrap_or(cx.st.c2c_seq as u32));
    let time = cx.unix;
    let hidden = r.sync_other_machine == Some(SyncOtherMachine::NoSync);
    let stored = r.msg_life_time != Some(0);
    let msg_key = if stored {
        let k = deliver(
            cx,
            meta,
            &from,
            &r.to_account,
            seq,
            random,
            time,
            &r.msg_body,
            r.cloud_custom_data.as_ref(),
            &r.send_msg_control,
            hidden,
        );
        let c2c = &mut cx.st.families.c2c;
        if let Some(i) = c2c.find(&k, Some(from.as_str()), &r.to_account) {
            let m = &mut c2c.msgs[i];
            m.need_receipt = r.is_need_read_receipt == Some(true);
            if r.support_message_extension == Some(true) {
                m.extensions = Some(Extensions::default());
            }
        }
        k
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
    let from = r
        .from_account
        .clone()
        .unwrap_or_else(|| cx.caller.to_owned());
    if r.from_account.is_some() && !cx.st.has_account(&from) {
        return fail_with(
            batchsendmsg::Error::InvalidFromAccount,
            format!("From_Account {from} is not imported"),
        );
    }
    let random = r.msg_random.unwrap_or_default();
    let dedup = key((
        meta.path,
        &from,
        &r.to_account,
        r.msg_seq,
        random,
        body_text(&r.msg_body),
    ));
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
            let k = deliver(
                cx,
                meta,
                &from,
                to,
                seq,
                random,
                time,
                &r.msg_body,
                r.cloud_custom_data.as_ref(),
                &r.send_msg_control,
                false,
            );
            if r.is_need_read_receipt == Some(true) {
                let c2c = &mut cx.st.families.c2c;
                if let Some(i) = c2c.find(&k, Some(from.as_str()), to) {
                    c2c.msgs[i].need_receipt = true;
                }
            }
            msg_key.get_or_insert(k);
        } else {
            // The current page's sample lists an unknown target with 70107.
            error_list.push(AccountError {
                to_account: to.clone(),
                error_code: PublicError::AccountNotImported.code(),
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
    // The current page's shapes: every target unknown is FAIL 90012; some
    // unknown is `SomeError` with ErrorCode 0 and the list (the seed's older
    // shape, FAIL without a code, decodes the same way in the client).
    let reply = if all_failed {
        Err(Failure {
            action: None,
            code: Some(batchsendmsg::Error::ToAccountNotRegistered.code()),
            info: "invalid To_Account".into(),
            fields: None,
        })
    } else if failed {
        Err(Failure {
            action: Some("SomeError"),
            code: Some(0),
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
        return fail_with(
            importmsg::Error::InvalidFromAccount,
            format!("From_Account {} is not imported", r.from_account),
        );
    }
    if !cx.st.has_account(&r.to_account) {
        return fail_with(
            importmsg::Error::ToAccountNotRegistered,
            format!("To_Account {} is not imported", r.to_account),
        );
    }
    let seq = u64::from(r.msg_seq.unwrap_or_default());
    let random = r.msg_random.unwrap_or_default();
    // The first import of (MsgSeq, MsgRandom, MsgTimeStamp) wins.
    let dup = cx.st.families.c2c.msgs.iter().any(|m| {
        m.from == r.from_account
            && m.to == r.to_account
            && m.seq == seq
            && m.random == random
            && m.time == r.msg_time_stamp
    });
    if !dup {
        let unread = r.sync_from_old_system != SyncFromOldSystem::from(2);
        let k = deliver(
            cx,
            &importmsg::META,
            &r.from_account,
            &r.to_account,
            seq,
            random,
            r.msg_time_stamp,
            &r.msg_body,
            r.cloud_custom_data.as_ref(),
            &[],
            false,
        );
        if !unread && let Some(i) = cx.st.families.c2c.by_key.get(&k).copied() {
            cx.st.families.c2c.msgs[i].counts_unread = false;
        }
    }
    ok_empty()
}

fn withdraw(cx: &mut Ctx<'_>, r: admin_msgwithdraw::Request) -> Reply {
    let c2c = &mut cx.st.families.c2c;
    let Some(i) = c2c.find(&r.msg_key, Some(r.from_account.as_str()), &r.to_account) else {
        return fail_with(
            admin_msgwithdraw::Error::RecallTargetNotFound,
            "no message with this MsgKey between these accounts",
        );
    };
    let m = &mut c2c.msgs[i];
    if m.recalled {
        return fail_with(
            admin_msgwithdraw::Error::MessageAlreadyRecalled,
            "already recalled",
        );
    }
    m.recalled = true;
    ok_empty()
}

/// History of a pair between MinTime and MaxTime, newest page first; each
/// page lists its messages oldest first, and the next page continues below
/// `LastMsgTime`/`LastMsgKey` (the oldest of this page).
fn roam(cx: &mut Ctx<'_>, r: admin_getroammsg::Request) -> Reply {
    if !cx.st.has_account(&r.operator_account) {
        return fail_with(
            admin_getroammsg::Error::InvalidFromAccount,
            "Operator_Account is not imported",
        );
    }
    let c2c = &cx.st.families.c2c;
    let mut msgs: Vec<&C2cMsg> = c2c
        .history(&r.operator_account, &r.peer_account)
        .filter(|m| m.time >= r.min_time && m.time <= r.max_time)
        .collect();
    msgs.sort_by_key(|m| std::cmp::Reverse((m.time, m.seq)));
    if let Some(last) = &r.last_msg_key
        && let Some(pos) = msgs.iter().position(|m| &m.key == last)
    {
        msgs.drain(..=pos);
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
            msg_flag_bits: Some(if m.recalled {
                C2cMsgFlagBits::Recalled
            } else {
                C2cMsgFlagBits::Normal
            }),
            is_peer_read: Some(m.peer_read),
            msg_key: m.key.clone(),
            msg_body: if m.recalled {
                Vec::new()
            } else {
                m.body.clone()
            },
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
        return fail_with(
            admin_set_msg_read::Error::InvalidFromAccount,
            "Report_Account is not imported",
        );
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
        return fail_with(
            get_c2c_unread_msg_num::Error::InvalidToAccount,
            "To_Account is not imported",
        );
    }
    let c2c = &cx.st.families.c2c;
    if r.peer_account.is_empty() {
        let peers: HashSet<&String> = c2c
            .msgs
            .iter()
            .filter(|m| m.to == r.to_account)
            .map(|m| &m.from)
            .collect();
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
    let Some(i) = c2c.find(&r.msg_key, Some(r.from_account.as_str()), &r.to_account) else {
        return fail(
            modify_c2c_msg::META.invalid_code,
            "no message with this MsgKey between these accounts",
        );
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

/// Marks the listed messages read by `Operator_Account` (their recipient);
/// only messages sent with `IsNeedReadReceipt` take the receipt, and
/// admin_getroammsg then reports them with `IsPeerRead`. Keys that name no
/// message are skipped: the pages give no per-message code.
fn read_receipt(cx: &mut Ctx<'_>, r: c2c_msg_read_receipt::Request) -> Reply {
    for who in [&r.operator_account, &r.peer_account] {
        if !cx.st.has_account(who) {
            return fail(
                PublicError::AccountNotImported.code(),
                format!("{who} is not imported"),
            );
        }
    }
    let wrong_direction = r
        .c2c_msg_info
        .iter()
        .any(|m| m.from_account != r.peer_account || m.to_account != r.operator_account);
    if wrong_direction {
        return fail_with(
            c2c_msg_read_receipt::Error::InvalidRequestPacket,
            "each message must go from Peer_Account to Operator_Account",
        );
    }
    let c2c = &mut cx.st.families.c2c;
    for item in &r.c2c_msg_info {
        if let Some(i) = c2c.find(
            &item.msg_key,
            Some(item.from_account.as_str()),
            &item.to_account,
        ) {
            let m = &mut c2c.msgs[i];
            if m.need_receipt {
                m.peer_read = true;
            }
        }
    }
    ok_empty()
}

/// The extensions of a one-to-one message; a message sent without
/// `SupportMessageExtension` simply has none.
fn ext_get(cx: &mut Ctx<'_>, r: get_key_values::Request) -> Reply {
    let c2c = &cx.st.families.c2c;
    let Some(i) = c2c.find(&r.msg_key, r.from_account.as_deref(), &r.to_account) else {
        return fail_with(
            get_key_values::Error::MsgExtensionMsgNotFound,
            "no message with this MsgKey",
        );
    };
    let page = c2c.msgs[i]
        .extensions
        .as_ref()
        .map(|e| e.page(r.start_seq.unwrap_or(0)))
        .unwrap_or_default();
    ok(&get_key_values::Response {
        extension_list: page.items,
        complete_flag: Some(page.complete),
        latest_seq: Some(page.latest),
        clear_seq: Some(page.clear),
    })
}

fn ext_set(cx: &mut Ctx<'_>, r: set_key_values::Request) -> Reply {
    type E = set_key_values::Error;
    let unix = cx.unix;
    let c2c = &mut cx.st.families.c2c;
    let Some(i) = c2c.find(&r.msg_key, r.from_account.as_deref(), &r.to_account) else {
        return fail_with(E::MsgExtensionMsgNotFound, "no message with this MsgKey");
    };
    let Some(ext) = c2c.msgs[i].extensions.as_mut() else {
        return fail_with(
            E::MsgExtensionNotSupported,
            "the message was not sent with SupportMessageExtension",
        );
    };
    let codes = ExtCodes {
        conflict: E::MsgExtensionSeqConflict.code(),
        too_many: E::InvalidParameter.code(),
    };
    match ext.apply(&r.operate_type, &r.extension_list, unix, &codes) {
        Ok(extension_list) => ok(&set_key_values::Response { extension_list }),
        Err(ExtRefusal::Invalid(why)) => fail_with(E::InvalidParameter, why),
        Err(ExtRefusal::TooFrequent) => fail_with(
            E::MsgExtensionFrequencyLimit,
            "over 200 changes per minute on this message",
        ),
    }
}

/// Pairs one message may hold.
const EXT_MAX_PAIRS: usize = 300;
/// Pairs one pull returns.
const EXT_PAGE: usize = 200;
/// Changes one message accepts per minute.
const EXT_CHANGES_PER_MINUTE: usize = 200;

/// The key-value extensions of one message (one-to-one or group).
///
/// Versions: the message has one counter, bumped once by every call that
/// changes something; each pair written by that call takes the new value as
/// its `Seq` (so pairs set together share a `Seq`, as in Tencent's samples
/// and callbacks), a clear takes it as `ClearSeq`. Pulls by `StartSeq` thus
/// see every change made since.
#[derive(Debug, Clone, Default)]
pub(crate) struct Extensions {
    /// Key -> (value, Seq).
    pairs: BTreeMap<String, (String, u64)>,
    /// The message's current version (`LatestSeq`).
    latest: u64,
    /// The version of the last clear (`ClearSeq`).
    clear: u64,
    /// Unix seconds of the changes within the last minute.
    recent: VecDeque<i64>,
}

/// One pull of extensions.
#[derive(Debug, Default)]
pub(crate) struct ExtPage {
    pub items: Vec<MsgExtension>,
    pub complete: bool,
    pub latest: u64,
    pub clear: u64,
}

/// The per-pair codes of the calling endpoint.
pub(crate) struct ExtCodes {
    /// The `Seq` given is not the pair's current one.
    pub conflict: i64,
    /// A new key beyond the 300 pairs of a message (no code of its own is documented).
    pub too_many: i64,
}

/// Why a whole set/delete/clear call is refused.
pub(crate) enum ExtRefusal {
    Invalid(&'static str),
    TooFrequent,
}

impl Extensions {
    /// Set, delete or clear. Each pair gets its own result.
    pub(crate) fn apply(
        &mut self,
        op: &MsgExtensionOperation,
        items: &[MsgExtensionItem],
        unix: i64,
        codes: &ExtCodes,
    ) -> Result<Vec<MsgExtensionSetResult>, ExtRefusal> {
        while self.recent.front().is_some_and(|t| unix - *t >= 60) {
            self.recent.pop_front();
        }
        if self.recent.len() >= EXT_CHANGES_PER_MINUTE {
            return Err(ExtRefusal::TooFrequent);
        }
        let version = self.latest + 1;
        let set = *op == MsgExtensionOperation::Set;
        let results: Vec<MsgExtensionSetResult> = if *op == MsgExtensionOperation::Clear {
            self.pairs.clear();
            self.clear = version;
            Vec::new()
        } else if set || *op == MsgExtensionOperation::Delete {
            if items.is_empty() {
                return Err(ExtRefusal::Invalid(
                    "ExtensionList is required to set or delete pairs",
                ));
            }
            items
                .iter()
                .map(|it| self.write(it, version, set, codes))
                .collect()
        } else {
            return Err(ExtRefusal::Invalid(
                "OperateType must be 1 (set), 2 (delete) or 3 (clear)",
            ));
        };
        let changed =
            *op == MsgExtensionOperation::Clear || results.iter().any(|r| r.error_code == 0);
        if changed {
            self.latest = version;
            self.recent.push_back(unix);
        }
        Ok(results)
    }

    /// Set (or delete) one pair at `version`. A `Seq` given must be the
    /// pair's current one (0 for a new key), else the pair fails with the
    /// conflict code and the stored version; without a `Seq` the write is
    /// unconditional, like the App admin's.
    fn write(
        &mut self,
        it: &MsgExtensionItem,
        version: u64,
        set: bool,
        codes: &ExtCodes,
    ) -> MsgExtensionSetResult {
        let stored = self.pairs.get(&it.key).cloned();
        let current = stored.as_ref().map_or(0, |(_, s)| *s);
        let pair = |value: Option<String>, seq: u64| {
            Some(MsgExtension {
                key: it.key.clone(),
                value,
                seq: Some(seq),
            })
        };
        if it.seq.is_some_and(|s| s != current) {
            return MsgExtensionSetResult {
                error_code: codes.conflict,
                extension: pair(stored.map(|(v, _)| v), current),
            };
        }
        if !set {
            self.pairs.remove(&it.key);
            return MsgExtensionSetResult {
                error_code: 0,
                extension: pair(Some(String::new()), version),
            };
        }
        if stored.is_none() && self.pairs.len() >= EXT_MAX_PAIRS {
            return MsgExtensionSetResult {
                error_code: codes.too_many,
                extension: None,
            };
        }
        self.pairs
            .insert(it.key.clone(), (it.value.clone(), version));
        MsgExtensionSetResult {
            error_code: 0,
            extension: pair(Some(it.value.clone()), version),
        }
    }

    /// Pairs with `Seq >= start`, by `Seq`, at most 200. A page never ends
    /// inside a run of equal `Seq`s, so continuing from the largest `Seq`
    /// received plus one skips nothing.
    pub(crate) fn page(&self, start: u64) -> ExtPage {
        let mut all: Vec<(u64, &String, &String)> = self
            .pairs
            .iter()
            .filter(|(_, (_, seq))| *seq >= start)
            .map(|(k, (v, seq))| (*seq, k, v))
            .collect();
        all.sort();
        let total = all.len();
        if total > EXT_PAGE {
            let cut = all[EXT_PAGE].0;
            let mut end = all[..EXT_PAGE]
                .iter()
                .rposition(|p| p.0 != cut)
                .map_or(0, |i| i + 1);
            if end == 0 {
                end = all.iter().take_while(|p| p.0 == cut).count();
            }
            all.truncate(end);
        }
        ExtPage {
            complete: all.len() == total,
            items: all
                .into_iter()
                .map(|(seq, k, v)| MsgExtension {
                    key: k.clone(),
                    value: Some(v.clone()),
                    seq: Some(seq),
                })
                .collect(),
            latest: self.latest,
            clear: self.clear,
        }
    }
}
