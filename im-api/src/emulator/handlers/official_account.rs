//! Official accounts (`official_account_open_http_svc`): broadcast channels
//! owned by a user, with subscribers, a message history and recalls. A send
//! reaches every subscriber's inbox; the history is pulled newest first by
//! `MsgKey` (`<Seq>_1_<Time>`, the documented shape).

use std::collections::BTreeMap;

use super::{Ctx, Table, key};
use crate::EndpointError as _;
use crate::api::{
    add_subscriber, create_official_account, delete_subscriber, destroy_official_account,
    get_official_account_info, get_subscribed_official_account_list, get_subscriber_info,
    modify_official_account_base_info, modify_subscriber_info, official_account_msg_get_simple,
    official_account_msg_recall, send_official_account_msg,
};
use crate::emulator::reply::{Reply, fail_with, ok, ok_empty};
use crate::emulator::state::Delivered;
use crate::types::{
    GroupMsgFlag, HistoryPullStatus, MsgElement, OfficialAccountInfo, OfficialAccountInfoField,
    OfficialAccountMsg, OfficialAccountRecallResult, OfficialAccountSubscriber, PlaceMsgFlag,
    SubscriberResult, SubscriberSelfInfo, SubscriberSelfInfoField,
};

/// The prefix of every official-account ID.
const OA_PREFIX: &str = "@TOA#_";
/// Subscribers an account accepts unless `MaxSubscriberNum` says otherwise.
const DEFAULT_MAX_SUBSCRIBERS: u32 = 100_000;
/// Accounts per get_subscribed_official_account_list call when `Limit` is absent.
const DEFAULT_LIST_LIMIT: u32 = 200;
/// Messages per history pull when `ReqMsgNumber` is absent or 0.
const DEFAULT_HISTORY: u32 = 20;
/// add_subscriber / delete_subscriber results.
const RESULT_FAILED: u32 = 0;
const RESULT_DONE: u32 = 1;
const RESULT_UNCHANGED: u32 = 2;

#[derive(Debug)]
struct Subscriber {
    since: i64,
    custom: String,
    msg_flag: GroupMsgFlag,
}

#[derive(Debug)]
struct OaMessage {
    seq: u64,
    key: String,
    body: Vec<MsgElement>,
    time: i64,
    recalled: bool,
}

#[derive(Debug)]
struct OfficialAccount {
    owner: String,
    name: String,
    introduction: String,
    face_url: String,
    organization: String,
    custom: String,
    max_subscribers: u32,
    created: i64,
    last_msg_time: i64,
    /// Subscribers by UserID.
    subscribers: BTreeMap<String, Subscriber>,
    messages: Vec<OaMessage>,
}

#[derive(Debug, Default)]
pub(crate) struct OfficialAccountState {
    accounts: BTreeMap<String, OfficialAccount>,
    /// The counter behind generated IDs.
    counter: u64,
}

/// The official account `id`, when it exists.
fn account<'a>(cx: &'a Ctx<'_>, id: &str) -> Option<&'a OfficialAccount> {
    cx.st.families.official_account.accounts.get(id)
}

/// The official account `id`, to change, when it exists.
fn account_mut<'a>(cx: &'a mut Ctx<'_>, id: &str) -> Option<&'a mut OfficialAccount> {
    cx.st.families.official_account.accounts.get_mut(id)
}

impl OfficialAccountState {
    /// A deleted user stops being a subscriber; accounts it owns stay.
    pub(crate) fn forget(&mut self, account: &str) {
        for oa in self.accounts.values_mut() {
            oa.subscribers.remove(account);
        }
    }

    fn new_id(&mut self) -> String {
        loop {
            self.counter += 1;
            let id = format!("{OA_PREFIX}EMU{:X}", self.counter);
            if !self.accounts.contains_key(&id) {
                return id;
            }
        }
    }
}

pub(super) fn register(t: &mut Table) {
    t.add(create);
    t.add(destroy);
    t.add(modify);
    t.add(info);
    t.add(subscribers);
    t.add(subscribe);
    t.add(unsubscribe);
    t.add(modify_subscriber);
    t.add(subscriptions);
    t.add(send);
    t.add(recall);
    t.add(history);
}

fn create(cx: &mut Ctx<'_>, r: create_official_account::Request) -> Reply {
    type E = create_official_account::Error;
    if !cx.st.has_account(&r.owner_account) {
        return fail_with(
            E::OfficialAccountInvalidParameter,
            "Owner_Account is not imported",
        );
    }
    let unix = cx.unix;
    let state = &mut cx.st.families.official_account;
    let id = match r.official_account_user_id {
        Some(id) if !id.starts_with(OA_PREFIX) || id.len() == OA_PREFIX.len() => {
            return fail_with(
                E::InvalidOfficialAccountId,
                format!("a custom ID starts with {OA_PREFIX}"),
            );
        }
        Some(id) if state.accounts.contains_key(&id) => {
            return fail_with(E::OfficialAccountIdTaken, format!("{id} is already used"));
        }
        Some(id) => id,
        None => state.new_id(),
    };
    state.accounts.insert(
        id.clone(),
        OfficialAccount {
            owner: r.owner_account,
            name: r.name,
            introduction: r.introduction.unwrap_or_default(),
            face_url: r.face_url.unwrap_or_default(),
            organization: r.organization.unwrap_or_default(),
            custom: r.custom_string.unwrap_or_default(),
            max_subscribers: r.max_subscriber_num.unwrap_or(DEFAULT_MAX_SUBSCRIBERS),
            created: unix,
            last_msg_time: 0,
            subscribers: BTreeMap::new(),
            messages: Vec::new(),
        },
    );
    ok(&create_official_account::Response {
        official_account_user_id: id,
    })
}

fn destroy(cx: &mut Ctx<'_>, r: destroy_official_account::Request) -> Reply {
    let state = &mut cx.st.families.official_account;
    if state.accounts.remove(&r.official_account).is_none() {
        return fail_with(
            destroy_official_account::Error::OfficialAccountNotFound,
            "no such official account",
        );
    }
    ok_empty()
}

fn modify(cx: &mut Ctx<'_>, r: modify_official_account_base_info::Request) -> Reply {
    let Some(oa) = account_mut(cx, &r.official_account) else {
        return fail_with(
            modify_official_account_base_info::Error::OfficialAccountNotFound,
            "no such official account",
        );
    };
    let fields = [
        (&mut oa.name, r.name),
        (&mut oa.introduction, r.introduction),
        (&mut oa.face_url, r.face_url),
        (&mut oa.organization, r.organization),
        (&mut oa.custom, r.custom_string),
    ];
    for (field, value) in fields {
        if let Some(v) = value {
            *field = v;
        }
    }
    if let Some(max) = r.max_subscriber_num {
        oa.max_subscribers = max;
    }
    ok_empty()
}

/// An account's profile with only the `fields` asked for (all when empty).
fn describe(
    id: &str,
    oa: &OfficialAccount,
    fields: &[OfficialAccountInfoField],
) -> OfficialAccountInfo {
    let want = |f: OfficialAccountInfoField| fields.is_empty() || fields.contains(&f);
    type F = OfficialAccountInfoField;
    OfficialAccountInfo {
        official_account: Some(id.to_owned()),
        error_code: Some(0),
        error_info: Some(String::new()),
        name: want(F::Name).then(|| oa.name.clone()),
        owner_account: want(F::OwnerAccount).then(|| oa.owner.clone()),
        create_time: want(F::CreateTime).then_some(oa.created),
        last_msg_time: want(F::LastMsgTime).then_some(oa.last_msg_time),
        subscriber_num: want(F::SubscriberNum).then_some(oa.subscribers.len() as u32),
        max_subscriber_num: fields.is_empty().then_some(oa.max_subscribers),
        introduction: want(F::Introduction).then(|| oa.introduction.clone()),
        face_url: want(F::FaceUrl).then(|| oa.face_url.clone()),
        organization: want(F::Organization).then(|| oa.organization.clone()),
        custom_string: want(F::CustomString).then(|| oa.custom.clone()),
        self_info: None,
    }
}

/// One entry per ID; an unknown one carries its own `ErrorCode` (130004).
fn info(cx: &mut Ctx<'_>, r: get_official_account_info::Request) -> Reply {
    let state = &cx.st.families.official_account;
    let fields = r
        .response_filter
        .as_ref()
        .map(|f| f.official_account_base_info_filter.as_slice())
        .unwrap_or(&[]);
    let official_account_info_list = r
        .official_account_id_list
        .iter()
        .map(|item| match state.accounts.get(&item.official_account) {
            Some(oa) => describe(&item.official_account, oa, fields),
            None => OfficialAccountInfo {
                official_account: Some(item.official_account.clone()),
                error_code: Some(get_official_account_info::Error::OfficialAccountNotFound.code()),
                error_info: Some("no such official account".into()),
                name: None,
                owner_account: None,
                create_time: None,
                last_msg_time: None,
                subscriber_num: None,
                max_subscriber_num: None,
                introduction: None,
                face_url: None,
                organization: None,
                custom_string: None,
                self_info: None,
            },
        })
        .collect();
    ok(&get_official_account_info::Response {
        official_account_info_list,
    })
}

/// Subscribers by UserID, `Limit` at a time (all when absent). `Next` is the
/// last UserID returned, "" once the list is exhausted.
fn subscribers(cx: &mut Ctx<'_>, r: get_subscriber_info::Request) -> Reply {
    let Some(oa) = account(cx, &r.official_account) else {
        return fail_with(
            get_subscriber_info::Error::OfficialAccountNotFound,
            "no such official account",
        );
    };
    let limit = r.limit.map_or(usize::MAX, |l| l as usize);
    let after = |a: &String| r.next.is_empty() || *a > r.next;
    let rest: Vec<(&String, &Subscriber)> =
        oa.subscribers.iter().filter(|(a, _)| after(a)).collect();
    let page: Vec<OfficialAccountSubscriber> = rest
        .iter()
        .take(limit)
        .map(|(a, s)| OfficialAccountSubscriber {
            subscriber_account: (*a).clone(),
            subscribe_time: Some(s.since),
            custom_string: Some(s.custom.clone()),
            msg_flag: Some(s.msg_flag.clone()),
            last_send_msg_time: None,
        })
        .collect();
    let next = if page.len() < rest.len() {
        page.last()
            .map(|s| s.subscriber_account.clone())
            .unwrap_or_default()
    } else {
        String::new()
    };
    ok(&get_subscriber_info::Response {
        next: Some(next),
        subscriber_num: Some(oa.subscribers.len() as u32),
        subscriber_list: page,
    })
}

/// `Result` per user: 1 subscribed, 2 already was, 0 failed (not imported,
/// or the account is full).
fn subscribe(cx: &mut Ctx<'_>, r: add_subscriber::Request) -> Reply {
    let known: Vec<bool> = r
        .subscriber_list
        .iter()
        .map(|s| cx.st.has_account(&s.subscriber_account))
        .collect();
    let unix = cx.unix;
    let Some(oa) = account_mut(cx, &r.official_account) else {
        return fail_with(
            add_subscriber::Error::OfficialAccountNotFound,
            "no such official account",
        );
    };
    let mut results = Vec::new();
    for (item, known) in r.subscriber_list.into_iter().zip(known) {
        let account = item.subscriber_account;
        let result = if !known {
            RESULT_FAILED
        } else if oa.subscribers.contains_key(&account) {
            RESULT_UNCHANGED
        } else if oa.subscribers.len() >= oa.max_subscribers as usize {
            RESULT_FAILED
        } else {
            let sub = Subscriber {
                since: unix,
                custom: String::new(),
                msg_flag: GroupMsgFlag::AcceptAndNotify,
            };
            oa.subscribers.insert(account.clone(), sub);
            RESULT_DONE
        };
        results.push(SubscriberResult {
            subscriber_account: account,
            result,
        });
    }
    ok(&add_subscriber::Response {
        subscriber_list: results,
    })
}

/// `Result` per user: 1 removed, 2 was not a subscriber.
fn unsubscribe(cx: &mut Ctx<'_>, r: delete_subscriber::Request) -> Reply {
    let Some(oa) = account_mut(cx, &r.official_account) else {
        return fail_with(
            delete_subscriber::Error::OfficialAccountNotFound,
            "no such official account",
        );
    };
    let subscriber_list = r
        .subscriber_to_del_account
        .into_iter()
        .map(|account| {
            let removed = oa.subscribers.remove(&account).is_some();
            SubscriberResult {
                subscriber_account: account,
                result: if removed {
                    RESULT_DONE
                } else {
                    RESULT_UNCHANGED
                },
            }
        })
        .collect();
    ok(&delete_subscriber::Response { subscriber_list })
}

fn modify_subscriber(cx: &mut Ctx<'_>, r: modify_subscriber_info::Request) -> Reply {
    type E = modify_subscriber_info::Error;
    let Some(oa) = account_mut(cx, &r.official_account) else {
        return fail_with(E::OfficialAccountNotFound, "no such official account");
    };
    let Some(sub) = oa.subscribers.get_mut(&r.subscriber_account) else {
        return fail_with(
            E::OfficialAccountInvalidParameter,
            "Subscriber_Account is not a subscriber",
        );
    };
    if let Some(custom) = r.custom_string {
        sub.custom = custom;
    }
    ok_empty()
}

/// The accounts a user subscribes to, by ID, `Limit` from `Offset`; each
/// with the user's own subscription data.
fn subscriptions(cx: &mut Ctx<'_>, r: get_subscribed_official_account_list::Request) -> Reply {
    type E = get_subscribed_official_account_list::Error;
    if !cx.st.has_account(&r.subscriber_account) {
        return fail_with(
            E::OfficialAccountInvalidParameter,
            "Subscriber_Account is not imported",
        );
    }
    let filter = r.response_filter.as_ref();
    let base = filter.map_or(&[][..], |f| f.official_account_base_info_filter.as_slice());
    let own = filter.map_or(&[][..], |f| f.self_info_filter.as_slice());
    let want = |f: SubscriberSelfInfoField| own.is_empty() || own.contains(&f);
    let state = &cx.st.families.official_account;
    let mine: Vec<(&String, &OfficialAccount, &Subscriber)> = state
        .accounts
        .iter()
        .filter_map(|(id, oa)| {
            oa.subscribers
                .get(&r.subscriber_account)
                .map(|s| (id, oa, s))
        })
        .collect();
    let offset = r.offset.unwrap_or(0) as usize;
    let limit = r.limit.unwrap_or(DEFAULT_LIST_LIMIT) as usize;
    let official_account_info_list: Vec<OfficialAccountInfo> = mine
        .iter()
        .skip(offset)
        .take(limit)
        .map(|(id, oa, sub)| OfficialAccountInfo {
            self_info: Some(SubscriberSelfInfo {
                subscribe_time: want(SubscriberSelfInfoField::SubscribeTime).then_some(sub.since),
                custom_string: want(SubscriberSelfInfoField::CustomString)
                    .then(|| sub.custom.clone()),
                msg_flag: Some(sub.msg_flag.clone()),
            }),
            ..describe(id, oa, base)
        })
        .collect();
    let next = offset + official_account_info_list.len();
    ok(&get_subscribed_official_account_list::Response {
        official_account_info_list,
        total_count: Some(mine.len() as u32),
        complete_flag: Some(next >= mine.len()),
        next: Some(next as u32),
    })
}

/// Stored and delivered to every subscriber (with `OnlineOnlyFlag`: delivered,
/// not stored). A repeat of the same content and `Random` within the dedup
/// window gets the first answer and is not sent again.
fn send(cx: &mut Ctx<'_>, r: send_official_account_msg::Request) -> Reply {
    let meta = &send_official_account_msg::META;
    let body = serde_json::to_string(&r.msg_body).unwrap_or_default();
    let dedup = key((meta.path, &r.official_account, r.random, body));
    if let Some(answer) = cx.st.duplicate(dedup, cx.now) {
        return Ok(answer);
    }
    let unix = cx.unix;
    let Some(oa) = account_mut(cx, &r.official_account) else {
        return fail_with(
            send_official_account_msg::Error::GroupNotFound,
            "no such official account",
        );
    };
    let seq = oa.messages.last().map_or(1, |m| m.seq + 1);
    let msg_key = format!("{seq}_1_{unix}");
    if r.online_only_flag != Some(true) {
        oa.messages.push(OaMessage {
            seq,
            key: msg_key.clone(),
            body: r.msg_body.clone(),
            time: unix,
            recalled: false,
        });
    }
    oa.last_msg_time = unix;
    let targets: Vec<String> = oa.subscribers.keys().cloned().collect();
    let d = Delivered {
        endpoint: &meta.path[4..],
        from: r.official_account,
        group_id: None,
        msg_body: r.msg_body,
        cloud_custom_data: r.cloud_custom_data,
        random: r.random.unwrap_or_default(),
        msg_seq: seq,
        msg_time: unix,
        msg_key: Some(msg_key.clone()),
    };
    for t in &targets {
        cx.st.deliver(t, &d);
    }
    let answer = ok(&send_official_account_msg::Response {
        msg_time: Some(unix),
        msg_key: Some(msg_key),
    });
    if let Ok(v) = &answer {
        cx.st.remember(dedup, cx.now, v.clone());
    }
    answer
}

/// `RetCode` per key: 0 recalled, 10030 when no message (or no longer one:
/// already recalled) has the key.
fn recall(cx: &mut Ctx<'_>, r: official_account_msg_recall::Request) -> Reply {
    type E = official_account_msg_recall::Error;
    let Some(oa) = account_mut(cx, &r.official_account) else {
        return fail_with(E::GroupNotFound, "no such official account");
    };
    let recall_ret_list = r
        .msg_key_list
        .into_iter()
        .map(|msg_key| {
            let target = oa
                .messages
                .iter_mut()
                .find(|m| m.key == msg_key && !m.recalled);
            let ret_code = match target {
                Some(m) => {
                    m.recalled = true;
                    0
                }
                None => E::RecallMessageNotFound.code(),
            };
            OfficialAccountRecallResult { msg_key, ret_code }
        })
        .collect();
    ok(&official_account_msg_recall::Response { recall_ret_list })
}

/// Newest first, `ReqMsgNumber` (20 when absent) older than `LastMsgKey`;
/// the answer's `LastMsgKey` is the oldest message returned (absent on an
/// empty page, which ends the walk).
fn history(cx: &mut Ctx<'_>, r: official_account_msg_get_simple::Request) -> Reply {
    type E = official_account_msg_get_simple::Error;
    let Some(oa) = account(cx, &r.official_account) else {
        return fail_with(E::GroupNotFound, "no such official account");
    };
    let below = match r.last_msg_key.as_deref().filter(|k| !k.is_empty()) {
        None => u64::MAX,
        Some(k) => match oa.messages.iter().find(|m| m.key == k) {
            Some(m) => m.seq,
            None => {
                return fail_with(
                    E::InvalidParameter,
                    "LastMsgKey names no message of this account",
                );
            }
        },
    };
    let n = r
        .req_msg_number
        .filter(|n| *n > 0)
        .unwrap_or(DEFAULT_HISTORY) as usize;
    let with_recalled = r.with_recalled_msg == Some(true);
    let rsp_msg_list: Vec<OfficialAccountMsg> = oa
        .messages
        .iter()
        .rev()
        .filter(|m| m.seq < below && (with_recalled || !m.recalled))
        .take(n)
        .map(|m| OfficialAccountMsg {
            msg_seq: m.seq,
            msg_key: Some(m.key.clone()),
            from_account: Some(r.official_account.clone()),
            is_place_msg: Some(if m.recalled {
                PlaceMsgFlag::Recalled
            } else {
                PlaceMsgFlag::Normal
            }),
            msg_body: if m.recalled {
                Vec::new()
            } else {
                m.body.clone()
            },
            msg_time_stamp: Some(m.time),
        })
        .collect();
    ok(&official_account_msg_get_simple::Response {
        official_account: Some(r.official_account.clone()),
        is_finished: Some(HistoryPullStatus::Complete),
        last_msg_key: rsp_msg_list.last().and_then(|m| m.msg_key.clone()),
        rsp_msg_list,
    })
}
