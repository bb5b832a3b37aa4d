//! Group messages: send, broadcast, recall and history (and the rest of
//! `group_message.toml`'s endpoints).

use std::time::Instant;

use super::{key, Ctx, Table};
use crate::api::{group_msg_get_simple, group_msg_recall, send_broadcast_msg, send_group_msg};
use crate::emulator::reply::{fail, fail_with, ok, Reply};
use crate::emulator::state::{Delivered, GroupMessage};
use crate::types::{
    GroupHistoryMsg, GroupRole, GroupType, HistoryMsgPriority, HistoryPullStatus, MsgElement,
    PlaceMsgFlag, RecallResult,
};
use crate::EndpointError as _;

pub(super) fn register(t: &mut Table) {
    t.add(send);
    t.add(broadcast);
    t.add(recall);
    t.add(history);
}

fn body_text(body: &[MsgElement]) -> String {
    serde_json::to_string(body).unwrap_or_default()
}

/// The earlier answer to an identical send within the window (group and
/// broadcast sends: 5 minutes, `EmulatorBuilder::dedup_window`).
fn repeat(cx: &mut Ctx<'_>, dedup: u64, now: Instant) -> Option<Reply> {
    cx.st.duplicate(dedup, now).map(Ok)
}

fn send(cx: &mut Ctx<'_>, r: send_group_msg::Request) -> Reply {
    let meta = &send_group_msg::META;
    let from = r.from_account.clone().unwrap_or_else(|| cx.caller.to_owned());
    let dedup = key((meta.path, &r.group_id, &from, r.random, body_text(&r.msg_body)));
    if let Some(answer) = repeat(cx, dedup, cx.now) {
        return answer;
    }
    if r.from_account.is_some() && !cx.st.has_account(&from) {
        return fail(meta.invalid_code, format!("From_Account {from} is not imported"));
    }
    let (now, unix) = (cx.now, cx.unix);
    let Some(group) = cx.st.groups.get_mut(&r.group_id) else {
        return fail_with(send_group_msg::Error::GroupNotFound, "the group does not exist");
    };
    let restricted = r.online_only_flag == Some(true) || !r.send_msg_control.is_empty();
    if group.ty == GroupType::AvChatRoom && restricted {
        return fail_with(
            send_group_msg::Error::PermissionDenied,
            "AVChatRoom does not support OnlineOnlyFlag or SendMsgControl",
        );
    }
    let is_admin_send = r.from_account.is_none();
    if !is_admin_send && group.ty != GroupType::AvChatRoom {
        match group.members.get(&from) {
            None => {
                return fail_with(
                    send_group_msg::Error::PermissionDenied,
                    format!("{from} is not a member of the group"),
                )
            }
            Some(m) if m.muted_until > unix => {
                return fail_with(send_group_msg::Error::SenderMuted, format!("{from} is muted"))
            }
            Some(m) if group.mute_all && m.role == GroupRole::Member => {
                return fail_with(send_group_msg::Error::SenderMuted, "the group is muted")
            }
            Some(_) => {}
        }
    }
    if let Some(limiter) = &mut group.limiter {
        if limiter.try_acquire(now).is_err() {
            return fail(meta.rate_limit_code, "over the per-group message rate");
        }
    }
    let msg_seq = group.next_seq;
    group.next_seq += 1;
    let d = Delivered {
        endpoint: &meta.path[4..],
        from: from.clone(),
        group_id: Some(r.group_id.clone()),
        msg_body: r.msg_body,
        cloud_custom_data: r.cloud_custom_data,
        random: r.random.unwrap_or_default(),
        msg_seq,
        msg_time: unix,
        msg_key: None,
    };
    if r.online_only_flag != Some(true) {
        group.history.push(GroupMessage {
            delivered: d.clone(),
            recalled: false,
            system: false,
        });
    }
    let targets: Vec<String> = if r.to_account.is_empty() {
        group.member_ids().filter(|m| **m != from).cloned().collect()
    } else {
        r.to_account
            .iter()
            .filter(|m| group.members.contains_key(*m))
            .cloned()
            .collect()
    };
    for m in &targets {
        cx.st.deliver(m, &d);
        cx.st.families.conversation.touch_group(m, &r.group_id, unix);
    }
    let answer = ok(&send_group_msg::Response {
        msg_time: unix,
        msg_seq,
        msg_drop_reason: None,
    });
    if let Ok(v) = &answer {
        cx.st.remember(dedup, now, super::super::reply::envelope(&Ok(v.clone())));
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
    let from = r.from_account.clone().unwrap_or_else(|| cx.caller.to_owned());
    let dedup = key((meta.path, &from, r.random, body_text(&r.msg_body)));
    if let Some(answer) = repeat(cx, dedup, cx.now) {
        return answer;
    }
    if r.from_account.is_some() && !cx.st.has_account(&from) {
        return fail(meta.invalid_code, format!("From_Account {from} is not imported"));
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
        group.history.push(GroupMessage {
            delivered: d.clone(),
            recalled: false,
            system: false,
        });
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
        cx.st.remember(dedup, cx.now, super::super::reply::envelope(&Ok(v.clone())));
    }
    answer
}

/// Each message gets its own result: 0 recalled, 10030 not found, 10033 already recalled.
fn recall(cx: &mut Ctx<'_>, r: group_msg_recall::Request) -> Reply {
    let Some(group) = cx.st.groups.get_mut(&r.group_id) else {
        return fail_with(group_msg_recall::Error::GroupNotFound, "the group does not exist");
    };
    let recall_ret_list = r
        .msg_seq_list
        .iter()
        .map(|item| {
            let code = match group
                .history
                .iter_mut()
                .find(|m| m.delivered.msg_seq == item.msg_seq)
            {
                None => group_msg_recall::Error::RecallMessageNotFound.code(),
                Some(m) if m.recalled => group_msg_recall::Error::MessageNotRecallable.code(),
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

/// Messages with `MsgSeq <= ReqMsgSeq` (absent: from the newest), newest
/// first, at most `ReqMsgNumber`; recalled ones only with `WithRecalledMsg`.
fn history(cx: &mut Ctx<'_>, r: group_msg_get_simple::Request) -> Reply {
    let Some(group) = cx.st.groups.get(&r.group_id) else {
        return fail_with(group_msg_get_simple::Error::GroupNotFound, "the group does not exist");
    };
    let top = r.req_msg_seq.unwrap_or(u64::MAX);
    let with_recalled = r.with_recalled_msg == Some(true);
    let rsp_msg_list: Vec<GroupHistoryMsg> = group
        .history
        .iter()
        .rev()
        .filter(|m| m.delivered.msg_seq <= top)
        .filter(|m| with_recalled || !m.recalled)
        .take(r.req_msg_number as usize)
        .map(|m| GroupHistoryMsg {
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
        })
        .collect();
    ok(&group_msg_get_simple::Response {
        group_id: r.group_id,
        is_finished: HistoryPullStatus::Complete,
        rsp_msg_list,
    })
}
