//! Group messages: send, broadcast, system notifications, import, recall,
//! deletion by sender, modification, clearing, history, read receipts and
//! key-value extensions (`group_message.toml`).
//!
//! Messages live in `Group::history`, a Community topic's in the topic's own
//! `history` with its own `MsgSeq` (their `Delivered::group_id` is then the
//! topic ID). Every read and write below addresses one conversation
//! ([`Conv`]: the group itself or one of its topics). Receipts and
//! extensions are kept in [`GroupMsgState`], by conversation ID and `MsgSeq`.

use std::collections::HashMap;
use std::time::Instant;

use super::c2c::{ExtCodes, ExtPage, ExtRefusal, Extensions};
use super::{Ctx, Table, key};
use crate::api::{
    clear_group_msg, delete_group_msg_by_sender, get_group_msg_receipt,
    get_group_msg_receipt_detail, group_get_key_values, group_msg_get_simple, group_msg_recall,
    group_msg_receipt, group_set_key_values, import_group_msg, modify_group_msg,
    send_broadcast_msg, send_group_msg, send_group_system_notification,
};
use crate::emulator::reply::{Reply, fail, fail_with, ok, ok_empty};
use crate::emulator::state::{Delivered, Group, GroupMessage};
use crate::types::{
    GroupHistoryMsg, GroupMsgReceiptInfo, GroupRole, GroupType, HistoryMsgPriority,
    HistoryPullStatus, ImportGroupMsgResult, MsgElement, PlaceMsgFlag, ReadMemberItem,
    RecallResult, ReceiptMemberFilter, UnreadMemberItem,
};
use crate::{EndpointError as _, EndpointMeta};

/// How many of the newest messages delete_group_msg_by_sender looks at.
const DELETE_BY_SENDER_WINDOW: usize = 1000;
/// Readers or non-readers per receipt-detail page (the documented maximum).
const RECEIPT_PAGE: u32 = 200;

pub(super) fn register(t: &mut Table) {
    t.add(send);
    t.add(broadcast);
    t.add(system_notification);
    t.add(import);
    t.add(recall);
    t.add(delete_by_sender);
    t.add(modify);
    t.add(clear);
    t.add(history);
    t.add(receipt);
    t.add(receipt_counts);
    t.add(receipt_detail);
    t.add(ext_get);
    t.add(ext_set);
}

/// What a group message carries beyond `GroupMessage`.
#[derive(Debug, Default)]
struct MsgExtras {
    /// Readers, in reading order; `Some` when sent with `NeedReadReceipt`.
    readers: Option<Vec<String>>,
    /// Key-value extensions; `Some` when sent with `SupportMessageExtension`.
    extensions: Option<Extensions>,
}

/// Receipts and extensions of group messages by (conversation, `MsgSeq`).
/// Held in `C2cState::group`, next to the one-to-one messages' own.
#[derive(Debug, Default)]
pub(crate) struct GroupMsgState {
    msgs: HashMap<(String, u64), MsgExtras>,
}

impl GroupMsgState {
    pub(crate) fn forget(&mut self, account: &str) {
        for extras in self.msgs.values_mut() {
            if let Some(readers) = &mut extras.readers {
                readers.retain(|a| a != account);
            }
        }
    }

    /// A new message: it starts with no receipts and no extensions (this
    /// also drops what a destroyed group of the same ID left behind).
    fn fresh(&mut self, conv: &str, seq: u64, receipt: bool, extension: bool) {
        let k = (conv.to_owned(), seq);
        if receipt || extension {
            let extras = MsgExtras {
                readers: receipt.then(Vec::new),
                extensions: extension.then(Extensions::default),
            };
            self.msgs.insert(k, extras);
        } else {
            self.msgs.remove(&k);
        }
    }

    fn get_mut(&mut self, conv: &str, seq: u64) -> Option<&mut MsgExtras> {
        self.msgs.get_mut(&(conv.to_owned(), seq))
    }

    fn get(&self, conv: &str, seq: u64) -> Option<&MsgExtras> {
        self.msgs.get(&(conv.to_owned(), seq))
    }

    fn readers(&self, conv: &str, seq: u64) -> Option<&Vec<String>> {
        self.get(conv, seq)?.readers.as_ref()
    }
}

fn body_text(body: &[MsgElement]) -> String {
    serde_json::to_string(body).unwrap_or_default()
}

/// Whether the endpoint supports the group's type (its spec's `group_types`;
/// Work and Meeting are the new names of Private and ChatRoom).
fn supports(meta: &EndpointMeta, ty: &GroupType) -> bool {
    let ty = match ty {
        GroupType::Work => GroupType::Private,
        GroupType::Meeting => GroupType::ChatRoom,
        other => other.clone(),
    };
    meta.group_types.is_empty() || meta.group_types.iter().any(|t| GroupType::from(*t) == ty)
}

/// The part of a group a request addresses: the group itself, or one of
/// its Community topics (each with its own history and `MsgSeq`).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Conv {
    Group,
    Topic(String),
}

impl Conv {
    /// `None` when the group has no topic `topic`.
    fn of(group: &Group, topic: Option<&String>) -> Option<Conv> {
        match topic {
            None => Some(Conv::Group),
            Some(t) if group.topics.contains_key(t) => Some(Conv::Topic(t.clone())),
            Some(_) => None,
        }
    }

    /// The ID its messages carry (and its receipts and extensions are kept
    /// under): the group's, or the topic's.
    fn id<'a>(&'a self, group_id: &'a str) -> &'a str {
        match self {
            Conv::Group => group_id,
            Conv::Topic(t) => t.as_str(),
        }
    }

    fn history<'g>(&self, group: &'g Group) -> &'g [GroupMessage] {
        match self {
            Conv::Topic(t) => group
                .topics
                .get(t)
                .map_or(&[][..], |x| x.history.as_slice()),
            Conv::Group => &group.history,
        }
    }

    fn history_mut<'g>(&self, group: &'g mut Group) -> &'g mut Vec<GroupMessage> {
        match self {
            Conv::Topic(t) => match group.topics.get_mut(t) {
                Some(x) => &mut x.history,
                None => &mut group.history,
            },
            Conv::Group => &mut group.history,
        }
    }

    /// Take the next `MsgSeq`.
    fn next_seq(&self, group: &mut Group) -> u64 {
        let counter = match self {
            Conv::Topic(t) => match group.topics.get_mut(t) {
                Some(x) => &mut x.next_seq,
                None => &mut group.next_seq,
            },
            Conv::Group => &mut group.next_seq,
        };
        let seq = *counter;
        *counter += 1;
        seq
    }

    /// Every member has read everything (after an import).
    fn mark_all_read(&self, group: &mut Group) {
        match self {
            Conv::Group => {
                let last = group.next_seq.saturating_sub(1);
                for m in group.members.values_mut() {
                    m.last_read_seq = last;
                }
            }
            Conv::Topic(t) => {
                let members: Vec<String> = group.member_ids().cloned().collect();
                if let Some(x) = group.topics.get_mut(t) {
                    let last = x.next_seq.saturating_sub(1);
                    for m in members {
                        x.read_seq.insert(m, last);
                    }
                }
            }
        }
    }
}

fn store(group: &mut Group, conv: &Conv, d: &Delivered, system: bool) {
    conv.history_mut(group).push(GroupMessage {
        delivered: d.clone(),
        recalled: false,
        system,
    });
}

fn find<'a>(group: &'a Group, conv: &Conv, seq: u64) -> Option<&'a GroupMessage> {
    conv.history(group)
        .iter()
        .find(|m| m.delivered.msg_seq == seq)
}

fn find_mut<'a>(group: &'a mut Group, conv: &Conv, seq: u64) -> Option<&'a mut GroupMessage> {
    conv.history_mut(group)
        .iter_mut()
        .find(|m| m.delivered.msg_seq == seq)
}

/// The earlier answer to an identical send within the window (group and
/// broadcast sends: 5 minutes, `EmulatorBuilder::dedup_window`).
fn repeat(cx: &mut Ctx<'_>, dedup: u64, now: Instant) -> Option<Reply> {
    cx.st.duplicate(dedup, now).map(Ok)
}

/// Why `from` may not send in `group` (members only outside AVChatRoom;
/// group, topic and global mutes), if it may not.
fn sender_refusal(
    group: &Group,
    conv: &Conv,
    from: &str,
    admin_send: bool,
    globally_muted: bool,
    unix: i64,
) -> Option<Reply> {
    type E = send_group_msg::Error;
    if globally_muted {
        return Some(fail_with(
            E::SenderMuted,
            format!("{from} is globally muted for group messages"),
        ));
    }
    if admin_send || group.ty == GroupType::AvChatRoom {
        return None;
    }
    let Some(m) = group.members.get(from) else {
        return Some(fail_with(
            E::PermissionDenied,
            format!("{from} is not a member of the group"),
        ));
    };
    let plain = m.role == GroupRole::Member;
    if m.muted_until > unix {
        return Some(fail_with(E::SenderMuted, format!("{from} is muted")));
    }
    if group.mute_all && plain {
        return Some(fail_with(E::SenderMuted, "the group is muted"));
    }
    let topic = match conv {
        Conv::Topic(t) => group.topics.get(t),
        Conv::Group => None,
    };
    if let Some(t) = topic {
        if t.mutes.get(from).is_some_and(|until| *until > unix) {
            return Some(fail_with(
                E::SenderMuted,
                format!("{from} is muted in the topic"),
            ));
        }
        if t.mute_all && plain {
            return Some(fail_with(E::SenderMuted, "the topic is muted"));
        }
    }
    None
}

fn send(cx: &mut Ctx<'_>, r: send_group_msg::Request) -> Reply {
    type E = send_group_msg::Error;
    let meta = &send_group_msg::META;
    let from = r
        .from_account
        .clone()
        .unwrap_or_else(|| cx.caller.to_owned());
    let dedup = key((
        meta.path,
        &r.group_id,
        &r.topic_id,
        &from,
        r.random,
        body_text(&r.msg_body),
    ));
    if let Some(answer) = repeat(cx, dedup, cx.now) {
        return answer;
    }
    if r.from_account.is_some() && !cx.st.has_account(&from) {
        return fail(
            meta.invalid_code,
            format!("From_Account {from} is not imported"),
        );
    }
    let (now, unix) = (cx.now, cx.unix);
    let globally_muted = super::global_mute::group_muted(cx.st, &from, unix);
    let Some(group) = cx.st.groups.get_mut(&r.group_id) else {
        return fail_with(E::GroupNotFound, "the group does not exist");
    };
    let Some(conv) = Conv::of(group, r.topic_id.as_ref()) else {
        return fail_with(E::GroupNotFound, "the group has no such topic");
    };
    let restricted = r.online_only_flag == Some(true) || !r.send_msg_control.is_empty();
    if group.ty == GroupType::AvChatRoom && restricted {
        return fail_with(
            E::PermissionDenied,
            "AVChatRoom does not support OnlineOnlyFlag or SendMsgControl",
        );
    }
    let admin_send = r.from_account.is_none();
    if let Some(refusal) = sender_refusal(group, &conv, &from, admin_send, globally_muted, unix) {
        return refusal;
    }
    if let Some(limiter) = &mut group.limiter
        && limiter.try_acquire(now).is_err()
    {
        return fail(meta.rate_limit_code, "over the per-group message rate");
    }
    let conv_id = conv.id(&r.group_id).to_owned();
    let d = Delivered {
        endpoint: &meta.path[4..],
        from: from.clone(),
        group_id: Some(conv_id.clone()),
        msg_body: r.msg_body,
        cloud_custom_data: r.cloud_custom_data,
        random: r.random.unwrap_or_default(),
        msg_seq: conv.next_seq(group),
        msg_time: unix,
        msg_key: None,
    };
    let stored = r.online_only_flag != Some(true);
    if stored {
        store(group, &conv, &d, false);
    }
    let targets: Vec<String> = if r.to_account.is_empty() {
        group
            .member_ids()
            .filter(|m| **m != from)
            .cloned()
            .collect()
    } else {
        r.to_account
            .iter()
            .filter(|m| group.members.contains_key(*m))
            .cloned()
            .collect()
    };
    // The sender's own conversation list shows the group too (not for
    // targeted messages, which only their targets see).
    let sender_sees = r.to_account.is_empty() && group.members.contains_key(&from);
    if stored {
        let receipt = r.need_read_receipt == Some(true);
        let extension = r.support_message_extension == Some(true);
        cx.st
            .families
            .c2c
            .group
            .fresh(&conv_id, d.msg_seq, receipt, extension);
    }
    for m in &targets {
        cx.st.deliver(m, &d);
        cx.st
            .families
            .conversation
            .touch_group(m, &r.group_id, unix);
    }
    if sender_sees {
        cx.st
            .families
            .conversation
            .touch_group(&from, &r.group_id, unix);
    }
    let answer = ok(&send_group_msg::Response {
        msg_time: unix,
        msg_seq: d.msg_seq,
        msg_drop_reason: None,
    });
    if let Ok(v) = &answer {
        cx.st.remember(dedup, now, v.clone());
    }
    answer
}

fn broadcast(cx: &mut Ctx<'_>, r: send_broadcast_msg::Request) -> Reply {
    if !cx.st.broadcast_enabled {
        return fail_with(
            send_broadcast_msg::Error::PermissionDenied,
            "broadcast messaging is not enabled in the console",
        );
    }
    let meta = &send_broadcast_msg::META;
    let from = r
        .from_account
        .clone()
        .unwrap_or_else(|| cx.caller.to_owned());
    let dedup = key((meta.path, &from, r.random, body_text(&r.msg_body)));
    if let Some(answer) = repeat(cx, dedup, cx.now) {
        return answer;
    }
    if r.from_account.is_some() && !cx.st.has_account(&from) {
        return fail(
            meta.invalid_code,
            format!("From_Account {from} is not imported"),
        );
    }
    cx.st.broadcast_seq += 1;
    let msg_seq = cx.st.broadcast_seq;
    let unix = cx.unix;
    let random = r.random.unwrap_or_default();
    let mut deliveries = Vec::new();
    for (id, group) in cx
        .st
        .groups
        .iter_mut()
        .filter(|(_, g)| g.ty == GroupType::AvChatRoom)
    {
        let d = Delivered {
            endpoint: &meta.path[4..],
            from: from.clone(),
            group_id: Some(id.clone()),
            msg_body: r.msg_body.clone(),
            cloud_custom_data: r.cloud_custom_data.clone(),
            random,
            msg_seq,
            msg_time: unix,
            msg_key: None,
        };
        store(group, &Conv::Group, &d, false);
        for m in group.member_ids().filter(|m| **m != from) {
            deliveries.push((m.clone(), d.clone()));
        }
    }
    for (m, d) in &deliveries {
        cx.st.deliver(m, d);
    }
    cx.st.broadcasts.push(Delivered {
        endpoint: &meta.path[4..],
        from,
        group_id: None,
        msg_body: r.msg_body,
        cloud_custom_data: r.cloud_custom_data,
        random,
        msg_seq,
        msg_time: unix,
        msg_key: None,
    });
    let answer = ok(&send_broadcast_msg::Response { msg_seq });
    if let Ok(v) = &answer {
        cx.st.remember(dedup, cx.now, v.clone());
    }
    answer
}

/// Delivered to the listed members (all members when the list is empty) and
/// kept in the history as a system message (`IsSystemMsg` 1) sent by the
/// admin, its `Content` carried as the data of one custom element.
/// AVChatRoom only notifies everyone and stores nothing.
fn system_notification(cx: &mut Ctx<'_>, r: send_group_system_notification::Request) -> Reply {
    type E = send_group_system_notification::Error;
    let meta = &send_group_system_notification::META;
    let (unix, caller) = (cx.unix, cx.caller.to_owned());
    let Some(group) = cx.st.groups.get_mut(&r.group_id) else {
        return fail_with(E::GroupNotFound, "the group does not exist");
    };
    let Some(conv) = Conv::of(group, r.topic_id.as_ref()) else {
        return fail_with(E::GroupNotFound, "the group has no such topic");
    };
    let av = group.ty == GroupType::AvChatRoom;
    if av && !r.to_members_account.is_empty() {
        return fail_with(
            E::PermissionDenied,
            "AVChatRoom only supports notifying every member",
        );
    }
    let targets: Vec<String> = if r.to_members_account.is_empty() {
        group.member_ids().cloned().collect()
    } else {
        r.to_members_account
            .iter()
            .filter(|m| group.members.contains_key(*m))
            .cloned()
            .collect()
    };
    let conv_id = conv.id(&r.group_id).to_owned();
    let d = Delivered {
        endpoint: &meta.path[4..],
        from: caller,
        group_id: Some(conv_id.clone()),
        msg_body: vec![MsgElement::custom(r.content)],
        cloud_custom_data: None,
        random: 0,
        msg_seq: if av { 0 } else { conv.next_seq(group) },
        msg_time: unix,
        msg_key: None,
    };
    if !av {
        store(group, &conv, &d, true);
        cx.st
            .families
            .c2c
            .group
            .fresh(&conv_id, d.msg_seq, false, false);
    }
    for m in &targets {
        cx.st.deliver(m, &d);
    }
    ok_empty()
}

/// Imports in order; a message fails alone (`Result` 10004) when its sender
/// is not imported or its `SendTime` is in the future, before the group's
/// creation or before the conversation's newest message. Clocks count whole
/// seconds, so a time equal to the creation or to the newest message is
/// accepted. Nothing is delivered; afterwards every member has read all.
fn import(cx: &mut Ctx<'_>, r: import_group_msg::Request) -> Reply {
    type E = import_group_msg::Error;
    let meta = &import_group_msg::META;
    let unix = cx.unix;
    let known: Vec<bool> = r
        .msg_list
        .iter()
        .map(|m| cx.st.has_account(&m.from_account))
        .collect();
    let Some(group) = cx.st.groups.get_mut(&r.group_id) else {
        return fail_with(E::GroupNotFound, "the group does not exist");
    };
    if !supports(meta, &group.ty) {
        return fail_with(
            E::PermissionDenied,
            "AVChatRoom does not support importing messages",
        );
    }
    let Some(conv) = Conv::of(group, r.topic_id.as_ref()) else {
        return fail_with(E::GroupNotFound, "the group has no such topic");
    };
    let conv_id = conv.id(&r.group_id).to_owned();
    let newest = conv
        .history(group)
        .iter()
        .map(|m| m.delivered.msg_time)
        .max();
    let mut floor = newest.unwrap_or(group.created).max(group.created);
    let mut import_msg_result = Vec::new();
    for (item, known) in r.msg_list.iter().zip(known) {
        if !known || item.send_time < floor || item.send_time > unix {
            import_msg_result.push(ImportGroupMsgResult {
                msg_seq: None,
                msg_time: Some(item.send_time),
                result: E::InvalidParameter.code(),
            });
            continue;
        }
        let d = Delivered {
            endpoint: &meta.path[4..],
            from: item.from_account.clone(),
            group_id: Some(conv_id.clone()),
            msg_body: item.msg_body.clone(),
            cloud_custom_data: None,
            random: item.random.unwrap_or_default(),
            msg_seq: conv.next_seq(group),
            msg_time: item.send_time,
            msg_key: None,
        };
        store(group, &conv, &d, false);
        floor = item.send_time;
        import_msg_result.push(ImportGroupMsgResult {
            msg_seq: Some(d.msg_seq),
            msg_time: Some(item.send_time),
            result: 0,
        });
    }
    let imported: Vec<u64> = import_msg_result.iter().filter_map(|x| x.msg_seq).collect();
    if !imported.is_empty() {
        conv.mark_all_read(group);
    }
    let members: Vec<String> = group.member_ids().cloned().collect();
    for seq in &imported {
        cx.st.families.c2c.group.fresh(&conv_id, *seq, false, false);
    }
    if r.recent_contact_flag == Some(true) && !imported.is_empty() {
        for m in &members {
            cx.st
                .families
                .conversation
                .touch_group(m, &r.group_id, floor);
        }
    }
    ok(&import_group_msg::Response { import_msg_result })
}

/// Each message gets its own result: 0 recalled, 10030 not found, 10033 already recalled.
fn recall(cx: &mut Ctx<'_>, r: group_msg_recall::Request) -> Reply {
    type E = group_msg_recall::Error;
    let Some(group) = cx.st.groups.get_mut(&r.group_id) else {
        return fail_with(E::GroupNotFound, "the group does not exist");
    };
    let Some(conv) = Conv::of(group, r.topic_id.as_ref()) else {
        return fail_with(E::GroupNotFound, "the group has no such topic");
    };
    let recall_ret_list = r
        .msg_seq_list
        .iter()
        .map(|item| {
            let code = match find_mut(group, &conv, item.msg_seq) {
                None => E::RecallMessageNotFound.code(),
                Some(m) if m.recalled => E::MessageNotRecallable.code(),
                Some(m) => {
                    m.recalled = true;
                    0
                }
            };
            RecallResult {
                msg_seq: item.msg_seq,
                ret_code: code,
            }
        })
        .collect();
    ok(&group_msg_recall::Response { recall_ret_list })
}

/// Marks the sender's messages among the newest 1,000 as recalled, silently.
/// AVChatRoom stores nothing: success without effect.
fn delete_by_sender(cx: &mut Ctx<'_>, r: delete_group_msg_by_sender::Request) -> Reply {
    type E = delete_group_msg_by_sender::Error;
    let Some(group) = cx.st.groups.get_mut(&r.group_id) else {
        return fail_with(E::GroupNotFound, "the group does not exist");
    };
    if group.ty == GroupType::AvChatRoom {
        return ok_empty();
    }
    if !supports(&delete_group_msg_by_sender::META, &group.ty) {
        return fail_with(
            E::PermissionDenied,
            "the group type does not support this operation",
        );
    }
    let Some(conv) = Conv::of(group, r.topic_id.as_ref()) else {
        return fail_with(E::GroupNotFound, "the group has no such topic");
    };
    conv.history_mut(group)
        .iter_mut()
        .rev()
        .take(DELETE_BY_SENDER_WINDOW)
        .filter(|m| m.delivered.from == r.sender_account)
        .for_each(|m| m.recalled = true);
    ok_empty()
}

/// Replaces the body and/or custom data of a stored message. The endpoint
/// lists only message-service codes: a missing group, topic or message is
/// answered with its invalid-request code.
fn modify(cx: &mut Ctx<'_>, r: modify_group_msg::Request) -> Reply {
    let meta = &modify_group_msg::META;
    let bad = |why: &str| fail(meta.invalid_code, why.to_owned());
    if r.msg_body.is_empty() && r.cloud_custom_data.is_none() {
        return bad("send MsgBody, CloudCustomData or both");
    }
    let Some(group) = cx.st.groups.get_mut(&r.group_id) else {
        return bad("the group does not exist");
    };
    if !supports(meta, &group.ty) {
        return bad("AVChatRoom messages are not stored and cannot be modified");
    }
    let Some(conv) = Conv::of(group, r.topic_id.as_ref()) else {
        return bad("the group has no such topic");
    };
    let Some(m) = find_mut(group, &conv, r.msg_seq) else {
        return bad("no message with this MsgSeq");
    };
    if m.recalled {
        return bad("the message was recalled");
    }
    if !r.msg_body.is_empty() {
        m.delivered.msg_body = r.msg_body;
    }
    if r.cloud_custom_data.is_some() {
        m.delivered.cloud_custom_data = r.cloud_custom_data;
    }
    ok_empty()
}

/// Clearing hides messages from SDK pulls only; the admin's history reads
/// (all the emulator serves) are unchanged, so nothing is recorded.
fn clear(cx: &mut Ctx<'_>, r: clear_group_msg::Request) -> Reply {
    type E = clear_group_msg::Error;
    let Some(group) = cx.st.groups.get(&r.group_id) else {
        return fail_with(E::GroupNotFound, "the group does not exist");
    };
    if !supports(&clear_group_msg::META, &group.ty) {
        return fail_with(
            E::PermissionDenied,
            "the group type does not support clearing messages",
        );
    }
    ok_empty()
}

fn history_item(m: &GroupMessage) -> GroupHistoryMsg {
    GroupHistoryMsg {
        msg_seq: m.delivered.msg_seq,
        from_account: Some(m.delivered.from.clone()),
        is_place_msg: Some(if m.recalled {
            PlaceMsgFlag::Recalled
        } else {
            PlaceMsgFlag::Normal
        }),
        msg_body: if m.recalled {
            Vec::new()
        } else {
            m.delivered.msg_body.clone()
        },
        msg_priority: Some(HistoryMsgPriority::Normal),
        msg_random: Some(m.delivered.random),
        msg_time_stamp: Some(m.delivered.msg_time),
        is_system_msg: Some(m.system),
    }
}

/// Messages with `MsgSeq <= ReqMsgSeq` (absent: from the newest), newest
/// first, at most `ReqMsgNumber`; recalled ones only with `WithRecalledMsg`.
fn history(cx: &mut Ctx<'_>, r: group_msg_get_simple::Request) -> Reply {
    type E = group_msg_get_simple::Error;
    let Some(group) = cx.st.groups.get(&r.group_id) else {
        return fail_with(E::GroupNotFound, "the group does not exist");
    };
    if !supports(&group_msg_get_simple::META, &group.ty) {
        return fail_with(E::PermissionDenied, "AVChatRoom has no stored history");
    }
    let Some(conv) = Conv::of(group, r.topic_id.as_ref()) else {
        return fail_with(E::GroupNotFound, "the group has no such topic");
    };
    let top = r.req_msg_seq.unwrap_or(u64::MAX);
    let with_recalled = r.with_recalled_msg == Some(true);
    let rsp_msg_list: Vec<GroupHistoryMsg> = conv
        .history(group)
        .iter()
        .rev()
        .filter(|m| m.delivered.msg_seq <= top)
        .filter(|m| with_recalled || !m.recalled)
        .take(r.req_msg_number as usize)
        .map(history_item)
        .collect();
    ok(&group_msg_get_simple::Response {
        group_id: r.group_id,
        is_finished: HistoryPullStatus::Complete,
        rsp_msg_list,
    })
}

/// Records `From_Account` as a reader of each listed message that asked for
/// receipts (others, unknown ones and the reader's own are skipped).
fn receipt(cx: &mut Ctx<'_>, r: group_msg_receipt::Request) -> Reply {
    type E = group_msg_receipt::Error;
    if !cx.st.has_account(&r.from_account) {
        return fail_with(E::InvalidParameter, "From_Account is not imported");
    }
    let Some(group) = cx.st.groups.get(&r.group_id) else {
        return fail_with(E::GroupNotFound, "the group does not exist");
    };
    if !supports(&group_msg_receipt::META, &group.ty) {
        return fail_with(
            E::PermissionDenied,
            "the group type does not support read receipts",
        );
    }
    if !group.members.contains_key(&r.from_account) {
        return fail_with(
            E::PermissionDenied,
            "From_Account is not a member of the group",
        );
    }
    let read: Vec<u64> = r
        .msg_seq_list
        .iter()
        .filter(|s| {
            find(group, &Conv::Group, s.msg_seq).is_some_and(|m| m.delivered.from != r.from_account)
        })
        .map(|s| s.msg_seq)
        .collect();
    let state = &mut cx.st.families.c2c.group;
    for seq in read {
        if let Some(readers) = state
            .get_mut(&r.group_id, seq)
            .and_then(|e| e.readers.as_mut())
            && !readers.contains(&r.from_account)
        {
            readers.push(r.from_account.clone());
        }
    }
    ok_empty()
}

/// Who read a message of the group sent with `NeedReadReceipt`, and which
/// other current members (the sender left out) did not; `None` for any
/// other message. Receipts are not offered in Community groups, so topics
/// have none.
fn audience(
    group: &Group,
    group_id: &str,
    seq: u64,
    state: &GroupMsgState,
) -> Option<(Vec<String>, Vec<String>)> {
    let msg = find(group, &Conv::Group, seq)?;
    let readers = state.readers(group_id, seq)?;
    let read = readers
        .iter()
        .filter(|a| group.members.contains_key(*a))
        .cloned()
        .collect();
    let unread = group
        .member_ids()
        .filter(|a| **a != msg.delivered.from && !readers.contains(a))
        .cloned()
        .collect();
    Some((read, unread))
}

fn receipt_counts(cx: &mut Ctx<'_>, r: get_group_msg_receipt::Request) -> Reply {
    type E = get_group_msg_receipt::Error;
    let Some(group) = cx.st.groups.get(&r.group_id) else {
        return fail_with(E::GroupNotFound, "the group does not exist");
    };
    if !supports(&get_group_msg_receipt::META, &group.ty) {
        return fail_with(
            E::PermissionDenied,
            "the group type does not support read receipts",
        );
    }
    let state = &cx.st.families.c2c.group;
    let group_msg_receipt_list = r
        .msg_seq_list
        .iter()
        .map(|s| match audience(group, &r.group_id, s.msg_seq, state) {
            Some((read, unread)) => GroupMsgReceiptInfo {
                msg_seq: s.msg_seq,
                code: Some(0),
                read_num: Some(read.len() as u32),
                unread_num: Some(unread.len() as u32),
            },
            None => GroupMsgReceiptInfo {
                msg_seq: s.msg_seq,
                code: Some(E::ReadReceiptNotFound.code()),
                read_num: None,
                unread_num: None,
            },
        })
        .collect();
    ok(&get_group_msg_receipt::Response {
        group_msg_receipt_list,
    })
}

/// Readers (`Filter` 0) or non-readers (1) in pages of `Count`; the cursor
/// is the position of the next entry, "" on the last page.
fn receipt_detail(cx: &mut Ctx<'_>, r: get_group_msg_receipt_detail::Request) -> Reply {
    type E = get_group_msg_receipt_detail::Error;
    let Some(group) = cx.st.groups.get(&r.group_id) else {
        return fail_with(E::GroupNotFound, "the group does not exist");
    };
    if !supports(&get_group_msg_receipt_detail::META, &group.ty) {
        return fail_with(
            E::PermissionDenied,
            "the group type does not support read receipts",
        );
    }
    let Some(seq) = r.msg_seq else {
        return fail_with(E::InvalidParameter, "MsgSeq is required");
    };
    let Ok(start) = (if r.cursor.is_empty() {
        Ok(0)
    } else {
        r.cursor.parse::<usize>()
    }) else {
        return fail_with(E::InvalidParameter, "Cursor is not one this server gave");
    };
    let Some((read, unread)) = audience(group, &r.group_id, seq, &cx.st.families.c2c.group) else {
        return fail_with(E::ReadReceiptNotFound, "the message has no read receipts");
    };
    let reading = r.filter == ReceiptMemberFilter::Read;
    if !reading && r.filter != ReceiptMemberFilter::Unread {
        return fail_with(E::InvalidParameter, "Filter must be 0 (read) or 1 (unread)");
    }
    let list = if reading { read } else { unread };
    let count = (if r.count == 0 {
        RECEIPT_PAGE
    } else {
        r.count.min(RECEIPT_PAGE)
    }) as usize;
    let page: Vec<String> = list.iter().skip(start).take(count).cloned().collect();
    let next = start + page.len();
    let finished = next >= list.len();
    let (read_list, unread_list) = if reading {
        (
            page.into_iter()
                .map(|read_account| ReadMemberItem { read_account })
                .collect(),
            Vec::new(),
        )
    } else {
        (
            Vec::new(),
            page.into_iter()
                .map(|unread_account| UnreadMemberItem { unread_account })
                .collect(),
        )
    };
    ok(&get_group_msg_receipt_detail::Response {
        msg_seq: Some(seq),
        read_list,
        unread_list,
        cursor: Some(if finished {
            String::new()
        } else {
            next.to_string()
        }),
        is_finish: Some(finished),
        is_finished: Some(finished),
    })
}

/// Why a key-value call finds no message: `None` when the group is there
/// but the message is not, else the reason the request is invalid. Key
/// values have no topic field (and Community groups are not offered them):
/// they address the group's own messages.
fn ext_target(
    cx: &Ctx<'_>,
    meta: &EndpointMeta,
    group_id: &str,
    seq: u64,
) -> Result<(), Option<&'static str>> {
    let group = cx
        .st
        .groups
        .get(group_id)
        .ok_or(Some("the group does not exist"))?;
    if !supports(meta, &group.ty) {
        return Err(Some("the group type does not support message extensions"));
    }
    find(group, &Conv::Group, seq).map(|_| ()).ok_or(None)
}

fn ext_get(cx: &mut Ctx<'_>, r: group_get_key_values::Request) -> Reply {
    type E = group_get_key_values::Error;
    match ext_target(cx, &group_get_key_values::META, &r.group_id, r.msg_seq) {
        Ok(()) => {}
        Err(None) => return fail_with(E::MsgExtensionMsgNotFound, "no message with this MsgSeq"),
        Err(Some(why)) => return fail_with(E::InvalidParameter, why),
    }
    let page: ExtPage = cx
        .st
        .families
        .c2c
        .group
        .get(&r.group_id, r.msg_seq)
        .and_then(|e| e.extensions.as_ref())
        .map(|e| e.page(r.start_seq.unwrap_or(0)))
        .unwrap_or_default();
    ok(&group_get_key_values::Response {
        extension_list: page.items,
        complete_flag: Some(page.complete),
        latest_seq: Some(page.latest),
        clear_seq: Some(page.clear),
    })
}

fn ext_set(cx: &mut Ctx<'_>, r: group_set_key_values::Request) -> Reply {
    type E = group_set_key_values::Error;
    match ext_target(cx, &group_set_key_values::META, &r.group_id, r.msg_seq) {
        Ok(()) => {}
        Err(None) => return fail_with(E::MsgExtensionMsgNotFound, "no message with this MsgSeq"),
        Err(Some(why)) => return fail_with(E::InvalidParameter, why),
    }
    let unix = cx.unix;
    let Some(ext) = cx
        .st
        .families
        .c2c
        .group
        .get_mut(&r.group_id, r.msg_seq)
        .and_then(|e| e.extensions.as_mut())
    else {
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
        Ok(extension_list) => ok(&group_set_key_values::Response { extension_list }),
        Err(ExtRefusal::Invalid(why)) => fail_with(E::InvalidParameter, why),
        Err(ExtRefusal::TooFrequent) => fail_with(
            E::MsgExtensionFrequencyLimit,
            "over 200 changes per minute on this message",
        ),
    }
}
