//! The emulator calls back: with a callback URL configured
//! ([`EmulatorBuilder::callback`](super::EmulatorBuilder::callback)) it signs
//! and POSTs the callbacks of the events it handles, as Tencent does.
//!
//! - [`CallbackClient`]: one POST per callback, with the query Tencent sends
//!   (`SdkAppid`, `CallbackCommand`, `contenttype`, `ClientIP`, `OptPlatform`,
//!   `Sign`, `RequestTime`) and the 2 s timeout.
//! - Before-callbacks run before the state lock is taken ([`before`]): the
//!   typed request is mapped to the payload, the answer is applied to the
//!   request (allow, refuse with the family's code or a custom one, drop
//!   silently, rewrite `MsgBody`/`CloudCustomData`, refuse some invitees).
//!   A callback that fails (timeout, HTTP error, not JSON) lets the event
//!   proceed, the documented default.
//! - After-callbacks are built from the request and the handler's reply and
//!   sent fire-and-forget ([`Pending::fire`]).
//!
//! Emitted: `C2C.CallbackBeforeSendMsg`/`AfterSendMsg` (`openim/sendmsg`;
//! `batchsendmsg` triggers none, as its page says), `Group.CallbackBeforeSendMsg`/
//! `AfterSendMsg`/`SendMsgException`, `Group.CallbackBeforeCreateGroup`/
//! `AfterCreateGroup`, `Group.CallbackBeforeInviteJoinGroup`/
//! `AfterNewMemberJoin` (`add_group_member`), `Group.CallbackAfterMemberExit`
//! (`delete_group_member`), `Group.CallbackAfterGroupDestroyed`,
//! `Sns.CallbackFriendAdd`/`FriendDelete` (when the sns handlers answer), and
//! `State.StateChange` ([`Emulator::simulate_login`](super::Emulator::simulate_login)).
//! `ForbidCallbackControl` of a send suppresses the before or after callback.

use std::any::Any;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::reply::{Reply, fail, ok};
use super::shared::Shared;
use crate::EndpointError as _;
use crate::api::{
    add_group_member, create_group, delete_group_member, destroy_group, friend_add, friend_delete,
    send_group_msg, sendmsg,
};
use crate::callbacks::{
    C2cAfterSendMsg, C2cBeforeSendMsg, C2cBeforeSendMsgAnswer, CallbackMeta, Event,
    GroupAfterCreateGroup, GroupAfterGroupDestroyed, GroupAfterMemberExit, GroupAfterNewMemberJoin,
    GroupAfterSendMsg, GroupBeforeCreateGroup, GroupBeforeCreateGroupAnswer,
    GroupBeforeInviteJoinGroup, GroupBeforeInviteJoinGroupAnswer, GroupBeforeSendMsg,
    GroupBeforeSendMsgAnswer, GroupSendMsgException, SnsFriendAdd, SnsFriendDelete,
    StateStateChange, TIMEOUT, sign,
};
use crate::transport::{ReadError, query_value, read_capped};
use crate::types::{
    CallbackAccountPair, CallbackExitType, CallbackFriendClientCmd, CallbackJoinType,
    CallbackStateAction, CallbackStateInfo, CallbackStateReason, ForbidCallbackControl,
    FriendAddType, FriendDeleteType, GroupMemberResult, GroupType, MemberAccount,
    MemberAddResultCode, MsgElement,
};

const C2C_BEFORE: &str = "C2C.CallbackBeforeSendMsg";
const GROUP_BEFORE: &str = "Group.CallbackBeforeSendMsg";
const CREATE_BEFORE: &str = "Group.CallbackBeforeCreateGroup";
const INVITE_BEFORE: &str = "Group.CallbackBeforeInviteJoinGroup";

/// `OptPlatform` of events caused by REST calls.
const REST_PLATFORM: &str = "RESTAPI";
/// `ClientIP` the emulator reports (its callers are on this machine).
const CLIENT_IP: &str = "127.0.0.1";
/// The largest answer body read from the app.
const MAX_ANSWER: usize = 1 << 20;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Why a callback got no usable answer (the emulator only needs to know
/// that it failed; the reason is kept for debugging).
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(dead_code)]
pub(crate) enum CallbackError {
    /// No answer within [`TIMEOUT`].
    Timeout,
    /// Connection refused, reset, and the like.
    Transport,
    /// An HTTP status other than 200.
    Status(u16),
    /// The answer is not JSON (or too large).
    NotJson,
}

/// Signs and POSTs callbacks to the app's URL.
pub(crate) struct CallbackClient {
    http: reqwest::Client,
    /// The configured URL (it may carry a query of its own).
    url: String,
    /// Empty: authentication off (no `Sign`/`RequestTime`).
    token: String,
    sdkappid: u64,
}

impl std::fmt::Debug for CallbackClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallbackClient")
            .field("url", &self.url)
            .field("sdkappid", &self.sdkappid)
            .finish_non_exhaustive()
    }
}

impl CallbackClient {
    /// A client for `url` (http or https). An empty `token` sends no `Sign`.
    pub(crate) fn new(url: &str, token: &str, sdkappid: u64) -> Result<Self, String> {
        let parsed = reqwest::Url::parse(url).map_err(|e| format!("callback URL {url:?}: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(format!(
                "callback URL {url:?}: only http and https are supported"
            ));
        }
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("im-api-emulator/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("callback client: {e}"))?;
        Ok(Self {
            http,
            url: url.to_owned(),
            token: token.to_owned(),
            sdkappid,
        })
    }

    /// The request URL: the configured one plus Tencent's query.
    fn url(&self, command: &str, platform: &str, request_time: i64) -> String {
        let meta = CallbackMeta::find(command);
        let sends = |name: &str| meta.is_none_or(|m| m.sends(name));
        let mut url = self.url.clone();
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str(&format!(
            "SdkAppid={}&CallbackCommand={}&contenttype=json",
            self.sdkappid,
            query_value(command)
        ));
        if sends("ClientIP") {
            url.push_str(&format!("&ClientIP={CLIENT_IP}"));
        }
        if sends("OptPlatform") {
            url.push_str(&format!("&OptPlatform={}", query_value(platform)));
        }
        if !self.token.is_empty() {
            // Authentication is a setting of the whole app: every command is signed.
            url.push_str(&format!(
                "&Sign={}&RequestTime={request_time}",
                sign(&self.token, request_time)
            ));
        }
        url
    }

    /// POSTs `event` and returns the app's JSON answer.
    pub(crate) async fn send(&self, event: &Event, platform: &str) -> Result<Value, CallbackError> {
        let request_time = crate::usersig::unix_now() as i64;
        let url = self.url(event.command(), platform, request_time);
        let body = serde_json::to_vec(&event.to_body()).unwrap_or_default();
        let strip = |e: reqwest::Error| {
            if e.is_timeout() {
                CallbackError::Timeout
            } else {
                CallbackError::Transport
            }
        };
        let resp = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .map_err(strip)?;
        let status = resp.status().as_u16();
        if status != 200 {
            return Err(CallbackError::Status(status));
        }
        let buf = read_capped(resp, MAX_ANSWER).await.map_err(|e| match e {
            ReadError::TooLarge => CallbackError::NotJson,
            ReadError::Transport(e) => strip(e),
        })?;
        serde_json::from_slice(&buf).map_err(|_| CallbackError::NotJson)
    }

    /// A before-callback's answer, decoded as `A`; `None` when the callback
    /// failed or the answer does not decode (the command's default applies).
    pub(crate) async fn ask<A: DeserializeOwned>(&self, event: &Event) -> Option<A> {
        let value = self.send(event, REST_PLATFORM).await.ok()?;
        serde_json::from_value(value).ok()
    }

    /// Sends an after-callback in the background; its answer is ignored.
    pub(crate) fn notify(self: &Arc<Self>, event: Event, platform: &'static str) {
        let this = self.clone();
        tokio::spawn(async move {
            let _ = this.send(&event, platform).await;
        });
    }
}

/// What a before-callback's answer does to the event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Go on (possibly with a rewritten request).
    Proceed,
    /// Answer the caller with this failure.
    Refuse { code: i64, info: String },
    /// Answer success without doing anything.
    Drop,
}

/// The verdict of `ErrorCode` `code` for `command`: 0 proceeds, the drop
/// code drops, a documented custom code is passed on with the app's text,
/// anything else refuses with the command's documented code (`fallback`
/// when the spec names none). The pages do not say what other codes do;
/// refusing is the cautious reading.
pub(crate) fn verdict(command: &str, code: i64, info: Option<&str>, fallback: i64) -> Verdict {
    let Some(meta) = CallbackMeta::find(command) else {
        return Verdict::Proceed;
    };
    match code {
        0 => Verdict::Proceed,
        c if Some(c) == meta.drop_code => Verdict::Drop,
        c if meta
            .custom_codes
            .is_some_and(|(lo, hi)| (lo..=hi).contains(&c)) =>
        {
            Verdict::Refuse {
                code: c,
                info: info.unwrap_or_default().to_owned(),
            }
        }
        _ => Verdict::Refuse {
            code: meta.reject_result.unwrap_or(fallback),
            info: format!("refused by the app's {command} callback"),
        },
    }
}

/// The verdict when the callback failed: the documented default (proceed)
/// unless the spec says the command refuses on timeout.
pub(crate) fn on_failure(command: &str, fallback: i64) -> Verdict {
    match CallbackMeta::find(command) {
        Some(m) if !m.proceeds_on_timeout => Verdict::Refuse {
            code: m.reject_result.unwrap_or(fallback),
            info: format!("the {command} callback did not answer"),
        },
        _ => Verdict::Proceed,
    }
}

/// Replace the body and custom data with the answer's, where it gives them.
fn rewrite(
    body: &mut Vec<MsgElement>,
    custom: &mut Option<String>,
    new_body: &[MsgElement],
    new_custom: &Option<String>,
) {
    if !new_body.is_empty() {
        *body = new_body.to_vec();
    }
    if new_custom.is_some() {
        custom.clone_from(new_custom);
    }
}

// ---------------------------------------------------------------- payloads

/// `C2C.CallbackBeforeSendMsg` for a one-to-one send from `from` to `to`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn c2c_before(
    from: &str,
    to: &str,
    msg_seq: Option<u32>,
    msg_random: Option<u32>,
    online_only: bool,
    body: &[MsgElement],
    custom: Option<&String>,
    now_ms: i64,
) -> C2cBeforeSendMsg {
    C2cBeforeSendMsg {
        from_account: from.to_owned(),
        to_account: to.to_owned(),
        msg_seq: msg_seq.map(u64::from),
        msg_random,
        msg_time: Some(now_ms / 1000),
        msg_key: None,
        online_only_flag: Some(online_only),
        msg_body: body.to_vec(),
        cloud_custom_data: custom.cloned(),
    }
}

/// Applies a `C2C.CallbackBeforeSendMsg` answer (`None`: the callback failed).
pub(crate) fn apply_c2c(
    body: &mut Vec<MsgElement>,
    custom: &mut Option<String>,
    answer: Option<&C2cBeforeSendMsgAnswer>,
) -> Verdict {
    let fallback = sendmsg::Error::RejectedByBeforeSendCallback.code();
    let Some(a) = answer else {
        return on_failure(C2C_BEFORE, fallback);
    };
    let v = verdict(C2C_BEFORE, a.error_code, a.error_info.as_deref(), fallback);
    if v == Verdict::Proceed {
        rewrite(body, custom, &a.msg_body, &a.cloud_custom_data);
    }
    v
}

/// `C2C.CallbackAfterSendMsg` for a delivered one-to-one message (the C2C
/// payloads carry no `EventTime`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn c2c_after(
    from: &str,
    to: &str,
    msg_random: Option<u32>,
    online_only: bool,
    body: &[MsgElement],
    custom: Option<&String>,
    msg_time: i64,
    msg_key: Option<&String>,
) -> C2cAfterSendMsg {
    // The emulator's keys are `<MsgSeq>_<MsgRandom>_<MsgTime>`.
    let msg_seq = msg_key
        .and_then(|k| k.split('_').next())
        .and_then(|s| s.parse::<u64>().ok());
    C2cAfterSendMsg {
        from_account: from.to_owned(),
        to_account: to.to_owned(),
        msg_seq,
        msg_random,
        msg_time: Some(msg_time),
        msg_key: msg_key.cloned(),
        msg_id: None,
        online_only_flag: Some(online_only),
        send_msg_result: Some(0),
        error_info: Some("send msg succeed".into()),
        unread_msg_num: None,
        msg_body: body.to_vec(),
        cloud_custom_data: custom.cloned(),
    }
}

/// `Group.CallbackBeforeSendMsg` for a group send.
pub(crate) fn group_before(
    r: &send_group_msg::Request,
    from: &str,
    operator: &str,
    ty: &GroupType,
    now_ms: i64,
) -> GroupBeforeSendMsg {
    GroupBeforeSendMsg {
        group_id: r.group_id.clone(),
        r#type: Some(ty.clone()),
        from_account: from.to_owned(),
        operator_account: Some(operator.to_owned()),
        random: r.random,
        online_only_flag: Some(r.online_only_flag == Some(true)),
        msg_body: r.msg_body.clone(),
        cloud_custom_data: r.cloud_custom_data.clone(),
        topic_id: r.topic_id.clone(),
        event_time: Some(now_ms),
    }
}

/// Applies a `Group.CallbackBeforeSendMsg` answer to the request.
pub(crate) fn apply_group(
    r: &mut send_group_msg::Request,
    answer: Option<&GroupBeforeSendMsgAnswer>,
) -> Verdict {
    let fallback = send_group_msg::Error::RejectedByCallback.code();
    let Some(a) = answer else {
        return on_failure(GROUP_BEFORE, fallback);
    };
    let v = verdict(
        GROUP_BEFORE,
        a.error_code,
        a.error_info.as_deref(),
        fallback,
    );
    if v == Verdict::Proceed {
        rewrite(
            &mut r.msg_body,
            &mut r.cloud_custom_data,
            &a.msg_body,
            &a.cloud_custom_data,
        );
    }
    v
}

/// `Group.CallbackAfterSendMsg` from the request and the handler's answer.
pub(crate) fn group_after(
    r: &send_group_msg::Request,
    from: &str,
    operator: &str,
    ty: &GroupType,
    resp: &send_group_msg::Response,
    now_ms: i64,
) -> GroupAfterSendMsg {
    GroupAfterSendMsg {
        group_id: r.group_id.clone(),
        r#type: Some(ty.clone()),
        from_account: from.to_owned(),
        operator_account: Some(operator.to_owned()),
        random: r.random,
        msg_id: None,
        msg_seq: Some(resp.msg_seq),
        msg_time: Some(resp.msg_time),
        online_only_flag: Some(r.online_only_flag == Some(true)),
        msg_body: r.msg_body.clone(),
        cloud_custom_data: r.cloud_custom_data.clone(),
        topic_id: r.topic_id.clone(),
        event_time: Some(now_ms),
        group_at_info: r.group_at_info.clone(),
    }
}

/// `Group.CallbackSendMsgException` for a group send the handler refused.
pub(crate) fn group_exception(
    r: &send_group_msg::Request,
    from: &str,
    operator: &str,
    ty: &GroupType,
    code: i64,
    info: &str,
    now_ms: i64,
) -> GroupSendMsgException {
    GroupSendMsgException {
        group_id: r.group_id.clone(),
        r#type: Some(ty.clone()),
        from_account: Some(from.to_owned()),
        operator_account: Some(operator.to_owned()),
        random: r.random,
        online_only_flag: Some(r.online_only_flag == Some(true)),
        msg_body: r.msg_body.clone(),
        cloud_custom_data: r.cloud_custom_data.clone(),
        error_code: code,
        error_info: Some(info.to_owned()),
        event_time: Some(now_ms),
    }
}

fn accounts(ids: impl IntoIterator<Item = String>) -> Vec<MemberAccount> {
    ids.into_iter()
        .map(|member_account| MemberAccount { member_account })
        .collect()
}

/// `Group.CallbackBeforeCreateGroup` for a `create_group` request.
pub(crate) fn create_before(
    r: &create_group::Request,
    operator: &str,
    now_ms: i64,
) -> GroupBeforeCreateGroup {
    GroupBeforeCreateGroup {
        operator_account: operator.to_owned(),
        owner_account: r.owner_account.clone(),
        r#type: Some(r.group_type.clone()),
        name: Some(r.name.clone()),
        create_group_num: None,
        member_list: accounts(r.member_list.iter().map(|m| m.member_account.clone())),
        event_time: Some(now_ms),
    }
}

/// `Group.CallbackAfterCreateGroup` once the group exists.
pub(crate) fn create_after(
    r: &create_group::Request,
    operator: &str,
    group_id: &str,
    now_ms: i64,
) -> GroupAfterCreateGroup {
    GroupAfterCreateGroup {
        group_id: group_id.to_owned(),
        operator_account: Some(operator.to_owned()),
        owner_account: r.owner_account.clone(),
        r#type: Some(r.group_type.clone()),
        name: Some(r.name.clone()),
        member_list: accounts(r.member_list.iter().map(|m| m.member_account.clone())),
        user_defined_data_list: r.app_defined_data.clone(),
        event_time: Some(now_ms),
    }
}

/// `Group.CallbackBeforeInviteJoinGroup` for an `add_group_member` request.
pub(crate) fn invite_before(
    r: &add_group_member::Request,
    operator: &str,
    ty: &GroupType,
    now_ms: i64,
) -> GroupBeforeInviteJoinGroup {
    GroupBeforeInviteJoinGroup {
        group_id: r.group_id.clone(),
        r#type: Some(ty.clone()),
        operator_account: Some(operator.to_owned()),
        destination_members: r.member_list.clone(),
        event_time: Some(now_ms),
    }
}

/// Applies a `Group.CallbackBeforeInviteJoinGroup` answer: refused members
/// leave the request and are returned.
pub(crate) fn apply_invite(
    r: &mut add_group_member::Request,
    answer: Option<&GroupBeforeInviteJoinGroupAnswer>,
) -> (Verdict, Vec<String>) {
    let fallback = add_group_member::Error::RejectedByCallback.code();
    let Some(a) = answer else {
        return (on_failure(INVITE_BEFORE, fallback), Vec::new());
    };
    let v = verdict(
        INVITE_BEFORE,
        a.error_code,
        a.error_info.as_deref(),
        fallback,
    );
    if v != Verdict::Proceed {
        return (v, Vec::new());
    }
    let refused: Vec<String> = r
        .member_list
        .iter()
        .map(|m| m.member_account.clone())
        .filter(|m| a.refused_members_account.contains(m))
        .collect();
    r.member_list
        .retain(|m| !refused.contains(&m.member_account));
    (Verdict::Proceed, refused)
}

/// `Group.CallbackAfterNewMemberJoin` for the members an invitation added.
pub(crate) fn join_after(
    group_id: &str,
    ty: &GroupType,
    operator: &str,
    added: Vec<String>,
    now_ms: i64,
) -> GroupAfterNewMemberJoin {
    GroupAfterNewMemberJoin {
        group_id: group_id.to_owned(),
        r#type: Some(ty.clone()),
        join_type: Some(CallbackJoinType::Invited),
        operator_account: Some(operator.to_owned()),
        new_member_list: accounts(added),
        event_time: Some(now_ms),
    }
}

/// `Group.CallbackAfterMemberExit` for members removed by an admin.
pub(crate) fn exit_after(
    group_id: &str,
    ty: &GroupType,
    operator: &str,
    removed: Vec<String>,
    now_ms: i64,
) -> GroupAfterMemberExit {
    GroupAfterMemberExit {
        group_id: group_id.to_owned(),
        r#type: Some(ty.clone()),
        exit_type: Some(CallbackExitType::Kicked),
        operator_account: Some(operator.to_owned()),
        exit_member_list: accounts(removed),
        event_time: Some(now_ms),
    }
}

/// `Sns.CallbackFriendAdd` for the targets a `friend_add` request added.
pub(crate) fn friend_add_after(
    r: &friend_add::Request,
    operator: &str,
    resp: &friend_add::Response,
) -> SnsFriendAdd {
    let both = r
        .add_type
        .as_ref()
        .is_none_or(|t| *t == FriendAddType::Both);
    let forced = r.force_add_flags == Some(true);
    let mut pair_list = Vec::new();
    for item in resp.result_item.iter().filter(|i| i.result_code == 0) {
        pair_list.push(CallbackAccountPair {
            from_account: r.from_account.clone(),
            to_account: item.to_account.clone(),
            initiator_account: Some(r.from_account.clone()),
        });
        // A two-way add that succeeds puts each in the other's list (a
        // peer needing approval makes it fail unless forced).
        if both {
            pair_list.push(CallbackAccountPair {
                from_account: item.to_account.clone(),
                to_account: r.from_account.clone(),
                initiator_account: Some(r.from_account.clone()),
            });
        }
    }
    SnsFriendAdd {
        pair_list,
        client_cmd: Some(CallbackFriendClientCmd::FriendAddSnake),
        admin_account: Some(operator.to_owned()),
        force_flag: Some(forced),
    }
}

/// `Sns.CallbackFriendDelete` for the targets a `friend_delete` request removed.
pub(crate) fn friend_delete_after(
    r: &friend_delete::Request,
    resp: &friend_delete::Response,
) -> SnsFriendDelete {
    let both = r.delete_type == Some(FriendDeleteType::Both);
    let mut pair_list = Vec::new();
    for item in resp.result_item.iter().filter(|i| i.result_code == 0) {
        pair_list.push(CallbackAccountPair {
            from_account: r.from_account.clone(),
            to_account: item.to_account.clone(),
            initiator_account: None,
        });
        if both {
            pair_list.push(CallbackAccountPair {
                from_account: item.to_account.clone(),
                to_account: r.from_account.clone(),
                initiator_account: None,
            });
        }
    }
    SnsFriendDelete { pair_list }
}

/// `State.StateChange` for a simulated login or logout.
pub(crate) fn state_change(account: &str, login: bool, now_ms: i64) -> StateStateChange {
    let (action, reason) = if login {
        (CallbackStateAction::Login, CallbackStateReason::Register)
    } else {
        (CallbackStateAction::Logout, CallbackStateReason::Unregister)
    };
    StateStateChange {
        info: CallbackStateInfo {
            action,
            to_account: account.to_owned(),
            reason: Some(reason),
            custom_status: None,
        },
        kicked_device: Vec::new(),
        event_time: Some(now_ms),
    }
}

// ------------------------------------------------------------- the hooks

/// What a request leads to before its handler runs.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Before {
    /// Run the handler, then [`Pending::fire`] with its reply.
    Dispatch(Pending),
    /// Answer this without running the handler (a refusal, or the success
    /// of a silent drop).
    Answer(Reply),
}

/// What the after-callbacks of a request need from before the handler ran.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Pending {
    None,
    C2c {
        request: sendmsg::Request,
        from: String,
    },
    Group {
        request: send_group_msg::Request,
        from: String,
        operator: String,
        ty: GroupType,
    },
    Create {
        request: create_group::Request,
        operator: String,
    },
    Invite {
        request: add_group_member::Request,
        operator: String,
        ty: GroupType,
        refused: Vec<String>,
    },
    Exit {
        group_id: String,
        ty: GroupType,
        operator: String,
        members: Vec<String>,
    },
    Destroyed(GroupAfterGroupDestroyed),
    FriendAdd {
        request: friend_add::Request,
        operator: String,
    },
    FriendDelete(friend_delete::Request),
}

fn has_forbid(list: &[ForbidCallbackControl], which: ForbidCallbackControl) -> bool {
    list.contains(&which)
}

/// Runs the before-callback of a request (before the state lock is taken
/// for the handler) and applies its answer to the typed request.
pub(crate) async fn before(
    shared: &Shared,
    cb: &Arc<CallbackClient>,
    caller: &str,
    request: &mut Box<dyn Any + Send>,
) -> Before {
    let request: &mut (dyn Any + Send) = &mut **request;
    let now = now_ms();
    if let Some(r) = request.downcast_mut::<sendmsg::Request>() {
        return c2c_send(shared, cb, caller, r, now).await;
    }
    if let Some(r) = request.downcast_mut::<send_group_msg::Request>() {
        return group_send(shared, cb, caller, r, now).await;
    }
    if let Some(r) = request.downcast_mut::<create_group::Request>() {
        let answer: Option<GroupBeforeCreateGroupAnswer> = cb
            .ask(&Event::GroupBeforeCreateGroup(create_before(
                r, caller, now,
            )))
            .await;
        let fallback = create_group::Error::RejectedByCallback.code();
        let v = match &answer {
            Some(a) => verdict(
                CREATE_BEFORE,
                a.error_code,
                a.error_info.as_deref(),
                fallback,
            ),
            None => on_failure(CREATE_BEFORE, fallback),
        };
        return match v {
            Verdict::Refuse { code, info } => Before::Answer(fail(code, info)),
            _ => Before::Dispatch(Pending::Create {
                request: r.clone(),
                operator: caller.to_owned(),
            }),
        };
    }
    if let Some(r) = request.downcast_mut::<add_group_member::Request>() {
        return invite(shared, cb, caller, r, now).await;
    }
    if let Some(r) = request.downcast_mut::<delete_group_member::Request>() {
        let st = shared.state();
        let Some(g) = st.groups.get(&r.group_id) else {
            return Before::Dispatch(Pending::None);
        };
        return Before::Dispatch(Pending::Exit {
            group_id: r.group_id.clone(),
            ty: g.ty.clone(),
            operator: caller.to_owned(),
            members: r
                .member_to_del_account
                .iter()
                .filter(|a| g.members.contains_key(*a))
                .cloned()
                .collect(),
        });
    }
    if let Some(r) = request.downcast_mut::<destroy_group::Request>() {
        let st = shared.state();
        let Some(g) = st.groups.get(&r.group_id) else {
            return Before::Dispatch(Pending::None);
        };
        let community = g.ty == GroupType::Community;
        return Before::Dispatch(Pending::Destroyed(GroupAfterGroupDestroyed {
            group_id: r.group_id.clone(),
            r#type: Some(g.ty.clone()),
            owner_account: g.owner.clone(),
            name: Some(g.name.clone()),
            // Not sent for communities.
            member_list: if community {
                Vec::new()
            } else {
                accounts(g.member_ids().cloned())
            },
            event_time: Some(now),
        }));
    }
    if let Some(r) = request.downcast_mut::<friend_add::Request>() {
        return Before::Dispatch(Pending::FriendAdd {
            request: r.clone(),
            operator: caller.to_owned(),
        });
    }
    if let Some(r) = request.downcast_mut::<friend_delete::Request>() {
        return Before::Dispatch(Pending::FriendDelete(r.clone()));
    }
    Before::Dispatch(Pending::None)
}

async fn c2c_send(
    shared: &Shared,
    cb: &Arc<CallbackClient>,
    caller: &str,
    r: &mut sendmsg::Request,
    now: i64,
) -> Before {
    let from = r.from_account.clone().unwrap_or_else(|| caller.to_owned());
    let known = {
        let st = shared.state();
        st.has_account(&from) && st.has_account(&r.to_account)
    };
    if !known {
        // The handler answers the missing account; Tencent checks it first too.
        return Before::Dispatch(Pending::None);
    }
    let online_only = r.msg_life_time == Some(0);
    if !has_forbid(
        &r.forbid_callback_control,
        ForbidCallbackControl::ForbidBeforeSendMsgCallback,
    ) {
        let payload = c2c_before(
            &from,
            &r.to_account,
            r.msg_seq,
            r.msg_random,
            online_only,
            &r.msg_body,
            r.cloud_custom_data.as_ref(),
            now,
        );
        let answer: Option<C2cBeforeSendMsgAnswer> =
            cb.ask(&Event::C2cBeforeSendMsg(payload)).await;
        match apply_c2c(&mut r.msg_body, &mut r.cloud_custom_data, answer.as_ref()) {
            Verdict::Proceed => {}
            Verdict::Refuse { code, info } => return Before::Answer(fail(code, info)),
            Verdict::Drop => {
                let time = now / 1000;
                let key = format!("0_{}_{time}", r.msg_random.unwrap_or_default());
                return Before::Answer(ok(&sendmsg::Response {
                    msg_time: time,
                    msg_key: Some(key),
                }));
            }
        }
    }
    if has_forbid(
        &r.forbid_callback_control,
        ForbidCallbackControl::ForbidAfterSendMsgCallback,
    ) {
        return Before::Dispatch(Pending::None);
    }
    Before::Dispatch(Pending::C2c {
        request: r.clone(),
        from,
    })
}

async fn group_send(
    shared: &Shared,
    cb: &Arc<CallbackClient>,
    caller: &str,
    r: &mut send_group_msg::Request,
    now: i64,
) -> Before {
    let from = r.from_account.clone().unwrap_or_else(|| caller.to_owned());
    let (ty, next_seq) = {
        let st = shared.state();
        match st.groups.get(&r.group_id) {
            Some(g) => (g.ty.clone(), g.next_seq),
            None => return Before::Dispatch(Pending::None),
        }
    };
    if !has_forbid(
        &r.forbid_callback_control,
        ForbidCallbackControl::ForbidBeforeSendMsgCallback,
    ) {
        let payload = group_before(r, &from, caller, &ty, now);
        let answer: Option<GroupBeforeSendMsgAnswer> =
            cb.ask(&Event::GroupBeforeSendMsg(payload)).await;
        match apply_group(r, answer.as_ref()) {
            Verdict::Proceed => {}
            Verdict::Refuse { code, info } => return Before::Answer(fail(code, info)),
            Verdict::Drop => {
                // Success for the sender; nothing stored or delivered, no sequence used.
                return Before::Answer(ok(&send_group_msg::Response {
                    msg_time: now / 1000,
                    msg_seq: next_seq,
                    msg_drop_reason: None,
                }));
            }
        }
    }
    if has_forbid(
        &r.forbid_callback_control,
        ForbidCallbackControl::ForbidAfterSendMsgCallback,
    ) {
        return Before::Dispatch(Pending::None);
    }
    Before::Dispatch(Pending::Group {
        request: r.clone(),
        from,
        operator: caller.to_owned(),
        ty,
    })
}

async fn invite(
    shared: &Shared,
    cb: &Arc<CallbackClient>,
    caller: &str,
    r: &mut add_group_member::Request,
    now: i64,
) -> Before {
    let ty = {
        let st = shared.state();
        match st.groups.get(&r.group_id) {
            Some(g) => g.ty.clone(),
            None => return Before::Dispatch(Pending::None),
        }
    };
    let answer: Option<GroupBeforeInviteJoinGroupAnswer> = cb
        .ask(&Event::GroupBeforeInviteJoinGroup(invite_before(
            r, caller, &ty, now,
        )))
        .await;
    let (v, refused) = apply_invite(r, answer.as_ref());
    match v {
        Verdict::Refuse { code, info } => Before::Answer(fail(code, info)),
        _ if r.member_list.is_empty() => Before::Answer(ok(&add_group_member::Response {
            member_list: refused_results(&refused),
        })),
        _ => Before::Dispatch(Pending::Invite {
            request: r.clone(),
            operator: caller.to_owned(),
            ty,
            refused,
        }),
    }
}

fn refused_results(refused: &[String]) -> Vec<GroupMemberResult> {
    refused
        .iter()
        .map(|a| GroupMemberResult {
            member_account: a.clone(),
            result: MemberAddResultCode::Failed,
        })
        .collect()
}

/// The success body of a reply decoded as `R` (`None` for failures).
fn success<R: DeserializeOwned>(reply: &Reply) -> Option<R> {
    match reply {
        Ok(v) => serde_json::from_value(v.clone()).ok(),
        Err(_) => None,
    }
}

impl Pending {
    /// Sends the after-callbacks of a handled request (in the background)
    /// and returns the reply, completed where a before-callback refused part
    /// of the request (refused batch recipients in `ErrorList`, refused
    /// invitees as failed in `MemberList`).
    pub(crate) fn fire(self, cb: &Arc<CallbackClient>, reply: Reply) -> Reply {
        let now = now_ms();
        let mut events = Vec::new();
        let reply = match self {
            Pending::None => reply,
            Pending::C2c { request: r, from } => {
                if let Some(resp) = success::<sendmsg::Response>(&reply) {
                    events.push(Event::C2cAfterSendMsg(c2c_after(
                        &from,
                        &r.to_account,
                        r.msg_random,
                        r.msg_life_time == Some(0),
                        &r.msg_body,
                        r.cloud_custom_data.as_ref(),
                        resp.msg_time,
                        resp.msg_key.as_ref(),
                    )));
                }
                reply
            }
            Pending::Group {
                request: r,
                from,
                operator,
                ty,
            } => {
                if let Some(resp) = success::<send_group_msg::Response>(&reply) {
                    events.push(Event::GroupAfterSendMsg(group_after(
                        &r, &from, &operator, &ty, &resp, now,
                    )));
                } else if let Err(f) = &reply {
                    let code = f.code.unwrap_or_default();
                    events.push(Event::GroupSendMsgException(group_exception(
                        &r, &from, &operator, &ty, code, &f.info, now,
                    )));
                }
                reply
            }
            Pending::Create {
                request: r,
                operator,
            } => {
                if let Some(resp) = success::<create_group::Response>(&reply) {
                    events.push(Event::GroupAfterCreateGroup(create_after(
                        &r,
                        &operator,
                        &resp.group_id,
                        now,
                    )));
                }
                reply
            }
            Pending::Invite {
                request: r,
                operator,
                ty,
                refused,
            } => match success::<add_group_member::Response>(&reply) {
                Some(mut resp) => {
                    let added: Vec<String> = resp
                        .member_list
                        .iter()
                        .filter(|m| m.result == MemberAddResultCode::Added)
                        .map(|m| m.member_account.clone())
                        .collect();
                    if !added.is_empty() {
                        events.push(Event::GroupAfterNewMemberJoin(join_after(
                            &r.group_id,
                            &ty,
                            &operator,
                            added,
                            now,
                        )));
                    }
                    if refused.is_empty() {
                        reply
                    } else {
                        resp.member_list.extend(refused_results(&refused));
                        ok(&resp)
                    }
                }
                None => reply,
            },
            Pending::Exit {
                group_id,
                ty,
                operator,
                members,
            } => {
                if reply.is_ok() && !members.is_empty() {
                    events.push(Event::GroupAfterMemberExit(exit_after(
                        &group_id, &ty, &operator, members, now,
                    )));
                }
                reply
            }
            Pending::Destroyed(payload) => {
                if reply.is_ok() {
                    events.push(Event::GroupAfterGroupDestroyed(payload));
                }
                reply
            }
            Pending::FriendAdd {
                request: r,
                operator,
            } => {
                if let Some(resp) = success::<friend_add::Response>(&reply) {
                    let payload = friend_add_after(&r, &operator, &resp);
                    if !payload.pair_list.is_empty() {
                        events.push(Event::SnsFriendAdd(payload));
                    }
                }
                reply
            }
            Pending::FriendDelete(r) => {
                if let Some(resp) = success::<friend_delete::Response>(&reply) {
                    let payload = friend_delete_after(&r, &resp);
                    if !payload.pair_list.is_empty() {
                        events.push(Event::SnsFriendDelete(payload));
                    }
                }
                reply
            }
        };
        for e in events {
            cb.notify(e, REST_PLATFORM);
        }
        reply
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(body: &[MsgElement]) -> Vec<String> {
        body.iter()
            .filter_map(|e| match e {
                MsgElement::Text(t) => Some(t.text.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn c2c_answers_map_to_the_documented_verdicts() {
        let mut body = vec![MsgElement::text("hello")];
        let mut custom = None;
        assert_eq!(
            apply_c2c(
                &mut body,
                &mut custom,
                Some(&C2cBeforeSendMsgAnswer::allow())
            ),
            Verdict::Proceed
        );
        assert_eq!(text(&body), ["hello"]);
        let v = apply_c2c(
            &mut body,
            &mut custom,
            Some(&C2cBeforeSendMsgAnswer::refuse()),
        );
        assert_eq!(
            v,
            Verdict::Refuse {
                code: 20006,
                info: format!("refused by the app's {C2C_BEFORE} callback")
            }
        );
        let custom_code = C2cBeforeSendMsgAnswer::reject(120_500, "no links").unwrap();
        assert_eq!(
            apply_c2c(&mut body, &mut custom, Some(&custom_code)),
            Verdict::Refuse {
                code: 120_500,
                info: "no links".into()
            }
        );
        assert!(C2cBeforeSendMsgAnswer::reject(5, "out of range").is_err());
        let rewrite =
            C2cBeforeSendMsgAnswer::rewrite([MsgElement::text("clean")]).cloud_custom_data("tag");
        assert_eq!(
            apply_c2c(&mut body, &mut custom, Some(&rewrite)),
            Verdict::Proceed
        );
        assert_eq!(text(&body), ["clean"]);
        assert_eq!(custom.as_deref(), Some("tag"));
        // A failed callback lets the message through (documented default).
        assert_eq!(apply_c2c(&mut body, &mut custom, None), Verdict::Proceed);
    }

    #[test]
    fn group_answers_drop_and_refuse_with_10016() {
        let mut r = send_group_msg::Request::new("@TGS#1", [MsgElement::text("x")]);
        assert_eq!(
            apply_group(&mut r, Some(&GroupBeforeSendMsgAnswer::drop_silently())),
            Verdict::Drop
        );
        assert!(matches!(
            apply_group(&mut r, Some(&GroupBeforeSendMsgAnswer::refuse())),
            Verdict::Refuse { code: 10016, .. }
        ));
        assert_eq!(
            apply_group(
                &mut r,
                Some(&GroupBeforeSendMsgAnswer::reject(10150, "why").unwrap())
            ),
            Verdict::Refuse {
                code: 10150,
                info: "why".into()
            }
        );
    }

    #[test]
    fn the_query_carries_sign_and_request_time() {
        let c = CallbackClient::new("http://127.0.0.1:9/cb?x=1", "xxxxyyyy", 1400000000).unwrap();
        let url = c.url("C2C.CallbackBeforeSendMsg", "RESTAPI", 1669872112);
        assert!(url.starts_with("http://127.0.0.1:9/cb?x=1&SdkAppid=1400000000&CallbackCommand=C2C.CallbackBeforeSendMsg&contenttype=json"));
        assert!(url.contains("&ClientIP=127.0.0.1&OptPlatform=RESTAPI"));
        assert!(url.ends_with("&Sign=17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061&RequestTime=1669872112"));
        // Commands that send neither ClientIP nor OptPlatform.
        let push = c.url("Push.OfflinePush", "RESTAPI", 1);
        assert!(!push.contains("ClientIP") && !push.contains("OptPlatform"));
        assert!(!format!("{c:?}").contains("xxxxyyyy"));
    }
}
