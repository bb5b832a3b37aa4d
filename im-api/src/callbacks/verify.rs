//! Checking a callback request (query string and body) before anything acts
//! on it, and the framework-neutral entry point [`Webhook::handle`].

use std::collections::{HashSet, VecDeque};
use std::future::IntoFuture;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::{Answer, Event};

/// The callback `Sign` for `token` and `request_time` (Unix seconds): the
/// lower-case hex SHA-256 of the token immediately followed by the decimal
/// time, as Tencent documents it (not an HMAC).
///
/// ```
/// assert_eq!(
///     im_api::callbacks::sign("xxxxyyyy", 1669872112),
///     "17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061",
/// );
/// ```
pub fn sign(token: &str, request_time: i64) -> String {
    sign_raw(token, &request_time.to_string())
}

/// The same over `RequestTime` exactly as the query carries it.
fn sign_raw(token: &str, request_time: &str) -> String {
    let mut h = Sha256::new();
    h.update(token.as_bytes());
    h.update(request_time.as_bytes());
    hex(&h.finalize())
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

/// Equality whose time does not depend on where the inputs differ (the
/// length, 64 hex digits for a well-formed `Sign`, is not secret).
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.ct_eq(b).into()
}

fn unix_now() -> i64 {
    crate::usersig::unix_now() as i64
}

/// The query parameters of a callback request, percent-decoded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CallbackQuery {
    /// `SdkAppid` (note the lower-case `id`).
    pub sdkappid: Option<String>,
    /// `CallbackCommand`.
    pub callback_command: Option<String>,
    /// `contenttype` (always `json`).
    pub content_type: Option<String>,
    /// `ClientIP`: the client that caused the event.
    pub client_ip: Option<String>,
    /// `OptPlatform`: `RESTAPI`, `Web`, `Android`, `iOS` (`IOS` from
    /// `State.StateChange`), `Windows`, `Mac`/`macOS`, `iPad`, `Unknown`.
    pub opt_platform: Option<String>,
    /// `Sign` (present when callback authentication is on).
    pub sign: Option<String>,
    /// `RequestTime`, Unix seconds as sent.
    pub request_time: Option<String>,
    /// Any other parameter (the configured URL's own, for example).
    pub other: Vec<(String, String)>,
}

impl CallbackQuery {
    /// Parses a query string (without the `?`). Parameter names are matched
    /// without regard to case; a repeated security-relevant parameter
    /// (`SdkAppid`, `CallbackCommand`, `Sign`, `RequestTime`) is an error,
    /// so a proxy and this code cannot read different values.
    pub fn parse(query: &str) -> Result<Self, Refusal> {
        let mut q = CallbackQuery::default();
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            let (k, v) = (k.into_owned(), v.into_owned());
            let slot = match k.to_ascii_lowercase().as_str() {
                "sdkappid" => &mut q.sdkappid,
                "callbackcommand" => &mut q.callback_command,
                "contenttype" => &mut q.content_type,
                "clientip" => &mut q.client_ip,
                "optplatform" => &mut q.opt_platform,
                "sign" => &mut q.sign,
                "requesttime" => &mut q.request_time,
                _ => {
                    q.other.push((k, v));
                    continue;
                }
            };
            if slot.is_some() {
                return Err(Refusal::RepeatedParameter(k));
            }
            *slot = Some(v);
        }
        Ok(q)
    }

    /// The parameters as a JSON object under Tencent's names, without `Sign`.
    pub fn to_json_without_sign(&self) -> Value {
        let mut m = Map::new();
        let named = [
            ("SdkAppid", &self.sdkappid),
            ("CallbackCommand", &self.callback_command),
            ("contenttype", &self.content_type),
            ("ClientIP", &self.client_ip),
            ("OptPlatform", &self.opt_platform),
            ("RequestTime", &self.request_time),
        ];
        for (k, v) in named {
            if let Some(v) = v {
                m.insert(k.into(), Value::from(v.as_str()));
            }
        }
        for (k, v) in &self.other {
            m.entry(k.clone())
                .or_insert_with(|| Value::from(v.as_str()));
        }
        Value::Object(m)
    }
}

/// Why a callback request was refused; each reason has its own variant and
/// HTTP status ([`Refusal::status`]). The text never contains the token.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// A parameter that decides how the request is checked appears twice.
    RepeatedParameter(String),
    /// No `SdkAppid` in the query.
    MissingSdkAppId,
    /// `SdkAppid` is not this app's.
    WrongSdkAppId,
    /// Authentication is on and the query has no `Sign`.
    MissingSign,
    /// Authentication is on and the query has no `RequestTime`.
    MissingRequestTime,
    /// `RequestTime` is not a decimal number of seconds.
    BadRequestTime,
    /// `Sign` does not match the token and `RequestTime`.
    BadSign,
    /// `RequestTime` is further from now than the window allows.
    Stale {
        /// The request's time, Unix seconds.
        request_time: i64,
        /// The receiver's clock, Unix seconds.
        now: i64,
    },
    /// The same signed request was already accepted within the window.
    Replayed,
    /// The body is not a JSON object.
    BadBody(String),
    /// Neither the query nor the body names the command.
    MissingCommand,
    /// The body does not decode as the command's payload (a required field
    /// is missing or has the wrong type).
    UndecodableBody {
        /// The command the body was decoded as.
        command: String,
        /// What did not decode.
        error: String,
    },
}

impl Refusal {
    /// The HTTP status a refusal is answered with (Tencent treats any
    /// non-200 as a failed callback).
    pub fn status(&self) -> u16 {
        match self {
            Self::MissingSign | Self::BadSign | Self::Stale { .. } | Self::Replayed => 401,
            Self::WrongSdkAppId => 403,
            _ => 400,
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::RepeatedParameter(p) => write!(f, "the query parameter {p:?} is repeated"),
            Self::MissingSdkAppId => f.write_str("the query has no SdkAppid"),
            Self::WrongSdkAppId => f.write_str("SdkAppid is not this app's"),
            Self::MissingSign => {
                f.write_str("the query has no Sign (callback authentication is on)")
            }
            Self::MissingRequestTime => f.write_str("the query has no RequestTime"),
            Self::BadRequestTime => f.write_str("RequestTime is not a number of seconds"),
            Self::BadSign => f.write_str("Sign does not match the token and RequestTime"),
            Self::Stale { request_time, now } => write!(
                f,
                "RequestTime {request_time} is {} s away from now ({now}), outside the window",
                (now - request_time).abs()
            ),
            Self::Replayed => f.write_str("the same request was already accepted (replay)"),
            Self::BadBody(e) => write!(f, "the body is not a JSON object: {e}"),
            Self::MissingCommand => f.write_str("no CallbackCommand in the query or the body"),
            Self::UndecodableBody { command, error } => {
                write!(f, "the body of {command} does not decode: {error}")
            }
        }
    }
}

impl std::error::Error for Refusal {}

/// A request that passed every check.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Verified {
    /// The command: the query's `CallbackCommand`, else the body's (or the
    /// first batched event's).
    pub command: String,
    /// The query parameters.
    pub query: CallbackQuery,
    /// The body as sent.
    pub body: Value,
}

impl Verified {
    /// The typed event ([`Event::Unknown`] for a command this version does
    /// not know).
    pub fn event(&self) -> Result<Event, Refusal> {
        Event::decode(&self.command, self.body.clone()).map_err(|e| Refusal::UndecodableBody {
            command: self.command.clone(),
            error: e.to_string(),
        })
    }
}

/// What to send back: an HTTP status and a JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpReply {
    /// 200 for an answer; 400, 401, 403 and so on for a refusal.
    pub status: u16,
    /// JSON (`Content-Type: application/json`).
    pub body: Vec<u8>,
}

impl HttpReply {
    /// 200 with the answer.
    pub fn answer(answer: &Answer) -> Self {
        Self {
            status: 200,
            body: answer.to_bytes(),
        }
    }

    /// The refusal's status with `{"ActionStatus":"FAIL","ErrorCode":1,"ErrorInfo":reason}`.
    pub fn refused(refusal: &Refusal) -> Self {
        let body = json!({
            "ActionStatus": "FAIL",
            "ErrorCode": 1,
            "ErrorInfo": refusal.to_string(),
        });
        Self {
            status: refusal.status(),
            body: serde_json::to_vec(&body).unwrap_or_default(),
        }
    }
}

/// The callback token. Never printed.
#[derive(Clone)]
struct Token(String);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// Fingerprints of accepted requests, oldest first, bounded.
#[derive(Debug, Default)]
struct Seen {
    set: HashSet<[u8; 32]>,
    order: VecDeque<(i64, [u8; 32])>,
}

impl Seen {
    /// Records `fp` unless it is already there; false for a replay.
    fn insert(
        &mut self,
        fp: [u8; 32],
        request_time: i64,
        oldest_fresh: i64,
        capacity: usize,
    ) -> bool {
        // Entries older than the window can go: their replays are stale.
        while let Some(&(t, k)) = self.order.front() {
            if t >= oldest_fresh && self.order.len() < capacity {
                break;
            }
            self.order.pop_front();
            self.set.remove(&k);
        }
        if !self.set.insert(fp) {
            return false;
        }
        self.order.push_back((request_time, fp));
        true
    }
}

/// Receives callbacks for one app: checks `SdkAppid`, and with a token the
/// `Sign`, the freshness of `RequestTime` and replays, then decodes the
/// body into an [`Event`].
///
/// Replays: Tencent's `Sign` depends only on the token and the second, so
/// two different callbacks of the same second legitimately share it. What is
/// remembered is therefore a fingerprint of the whole request (`RequestTime`,
/// command and body) within the window: an identical request seen again is a
/// replay. The memory is bounded ([`Webhook::replay_capacity`], default
/// 100 000 entries); past it the oldest entries are forgotten first.
#[derive(Debug)]
pub struct Webhook {
    sdkappid: u64,
    token: Option<Token>,
    window: i64,
    capacity: usize,
    seen: Mutex<Seen>,
}

impl Webhook {
    /// A receiver for `sdkappid` without authentication: requests are only
    /// checked for the app ID. Set [`token`](Self::token) when the console's
    /// callback authentication is on (it should be).
    pub fn new(sdkappid: u64) -> Self {
        Self {
            sdkappid,
            token: None,
            window: 60,
            capacity: 100_000,
            seen: Mutex::new(Seen::default()),
        }
    }

    /// The authentication token from the console: requests must then carry a
    /// valid `Sign` and a fresh `RequestTime`.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(Token(token.into()));
        self
    }

    /// How far `RequestTime` may be from the receiver's clock, either way
    /// (default 60 s, the TRTC webhook guidance; whole seconds).
    pub fn window(mut self, window: Duration) -> Self {
        self.window = i64::try_from(window.as_secs()).unwrap_or(i64::MAX);
        self
    }

    /// How many accepted requests are remembered for replay detection.
    pub fn replay_capacity(mut self, entries: usize) -> Self {
        self.capacity = entries.max(1);
        self
    }

    /// The app this receiver accepts callbacks for.
    pub fn sdkappid(&self) -> u64 {
        self.sdkappid
    }

    /// Checks a request against the system clock.
    pub fn verify(&self, query: &str, body: &[u8]) -> Result<Verified, Refusal> {
        self.verify_at(query, body, unix_now())
    }

    /// Checks a request as of `now` (Unix seconds): the query, the `Sign`,
    /// the window, the body's JSON, the command, then replays.
    pub fn verify_at(&self, query: &str, body: &[u8], now: i64) -> Result<Verified, Refusal> {
        let q = CallbackQuery::parse(query)?;
        match q.sdkappid.as_deref().map(str::trim) {
            None | Some("") => return Err(Refusal::MissingSdkAppId),
            Some(id) if id.parse::<u64>().ok() != Some(self.sdkappid) => {
                return Err(Refusal::WrongSdkAppId);
            }
            Some(_) => {}
        }
        let mut request_time = None;
        if let Some(token) = &self.token {
            let sign = q.sign.as_deref().ok_or(Refusal::MissingSign)?;
            let raw_time = q
                .request_time
                .as_deref()
                .ok_or(Refusal::MissingRequestTime)?;
            let t: i64 = raw_time.parse().map_err(|_| Refusal::BadRequestTime)?;
            let expected = sign_raw(&token.0, raw_time);
            if !constant_time_eq(expected.as_bytes(), sign.to_ascii_lowercase().as_bytes()) {
                return Err(Refusal::BadSign);
            }
            if (now - t).abs() > self.window {
                return Err(Refusal::Stale {
                    request_time: t,
                    now,
                });
            }
            request_time = Some(t);
        }
        let value: Value =
            serde_json::from_slice(body).map_err(|e| Refusal::BadBody(e.to_string()))?;
        if !value.is_object() {
            return Err(Refusal::BadBody("not an object".into()));
        }
        let command = q
            .callback_command
            .clone()
            .filter(|c| !c.is_empty())
            .or_else(|| command_in_body(&value))
            .ok_or(Refusal::MissingCommand)?;
        if let Some(t) = request_time {
            let mut h = Sha256::new();
            h.update(t.to_string().as_bytes());
            h.update([0u8]);
            h.update(command.as_bytes());
            h.update([0u8]);
            h.update(body);
            let mut fp = [0u8; 32];
            fp.copy_from_slice(&h.finalize());
            let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
            if !seen.insert(fp, t, now - self.window, self.capacity) {
                return Err(Refusal::Replayed);
            }
        }
        Ok(Verified {
            command,
            query: q,
            body: value,
        })
    }

    /// The framework-neutral entry point: verify the request, decode the
    /// event, ask `handler`, and return what to send back. `handler` may
    /// return an [`Answer`] or a future of one (`|e| async move { .. }`).
    /// A refused or undecodable request never reaches the handler; it is
    /// answered with the refusal's status and a FAIL body (Tencent then
    /// applies the command's default, e.g. lets a message through).
    pub async fn handle<F, R>(&self, query: &str, body: &[u8], handler: F) -> HttpReply
    where
        F: FnOnce(Event) -> R,
        R: IntoFuture<Output = Answer>,
    {
        let event = match self.verify(query, body).and_then(|v| v.event()) {
            Ok(e) => e,
            Err(r) => return HttpReply::refused(&r),
        };
        let answer = handler(event).await;
        HttpReply::answer(&answer)
    }
}

/// `CallbackCommand` of the body, or of its first batched event (`Push.*`).
fn command_in_body(body: &Value) -> Option<String> {
    let direct = body.get("CallbackCommand").and_then(Value::as_str);
    let batched = || {
        body.get("Events")
            .and_then(|e| e.get(0))
            .and_then(|e| e.get("CallbackCommand"))
            .and_then(Value::as_str)
    };
    direct.or_else(batched).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "xxxxyyyy";
    const APP: u64 = 1400000000;

    fn query(t: i64, sign: &str) -> String {
        format!(
            "SdkAppid={APP}&CallbackCommand=Group.CallbackAfterGroupFull&contenttype=json&ClientIP=1.2.3.4&OptPlatform=RESTAPI&Sign={sign}&RequestTime={t}"
        )
    }

    const BODY: &[u8] = br#"{"CallbackCommand":"Group.CallbackAfterGroupFull","GroupId":"@TGS#1"}"#;

    #[test]
    fn documented_sign_example() {
        assert_eq!(
            sign(TOKEN, 1669872112),
            "17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061"
        );
        // The older English page's `xxxyyy` does not give that hash.
        assert_ne!(
            sign("xxxyyy", 1669872112),
            "17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061"
        );
    }

    #[test]
    fn each_check_has_its_own_refusal() {
        let w = Webhook::new(APP).token(TOKEN);
        let now = 1669872112;
        let good = sign(TOKEN, now);
        assert!(w.verify_at(&query(now, &good), BODY, now).is_ok());
        assert_eq!(
            w.verify_at(&query(now, &good), BODY, now),
            Err(Refusal::Replayed)
        );
        let other_body =
            br#"{"CallbackCommand":"Group.CallbackAfterGroupFull","GroupId":"@TGS#2"}"#;
        assert!(
            w.verify_at(&query(now, &good), other_body, now).is_ok(),
            "same second, other body"
        );
        assert_eq!(
            w.verify_at(&query(now, &sign("other", now)), BODY, now),
            Err(Refusal::BadSign)
        );
        let stale = now - 61;
        assert_eq!(
            w.verify_at(&query(stale, &sign(TOKEN, stale)), BODY, now),
            Err(Refusal::Stale {
                request_time: stale,
                now
            })
        );
        let future = now + 61;
        assert!(matches!(
            w.verify_at(&query(future, &sign(TOKEN, future)), BODY, now),
            Err(Refusal::Stale { .. })
        ));
        let unsigned =
            format!("SdkAppid={APP}&CallbackCommand=Group.CallbackAfterGroupFull&contenttype=json");
        assert_eq!(w.verify_at(&unsigned, BODY, now), Err(Refusal::MissingSign));
        let wrong_app = query(now, &good).replace("1400000000", "1400000001");
        assert_eq!(
            w.verify_at(&wrong_app, BODY, now),
            Err(Refusal::WrongSdkAppId)
        );
        let twice = format!("{}&Sign={good}", query(now, &good));
        assert!(matches!(
            w.verify_at(&twice, BODY, now),
            Err(Refusal::RepeatedParameter(_))
        ));
        let no_time = query(now, &good).replace(&format!("&RequestTime={now}"), "");
        assert_eq!(
            w.verify_at(&no_time, BODY, now),
            Err(Refusal::MissingRequestTime)
        );
        assert!(matches!(
            w.verify_at(&query(now + 1, &sign(TOKEN, now + 1)), b"[1]", now),
            Err(Refusal::BadBody(_))
        ));
    }

    #[test]
    fn without_a_token_only_the_app_is_checked() {
        let w = Webhook::new(APP);
        let q = format!("SdkAppid={APP}&CallbackCommand=Group.CallbackAfterGroupFull");
        assert!(w.verify_at(&q, BODY, 0).is_ok());
        assert!(
            w.verify_at(&q, BODY, 0).is_ok(),
            "no RequestTime: no replay memory"
        );
        assert_eq!(w.verify_at("", BODY, 0), Err(Refusal::MissingSdkAppId));
    }

    #[test]
    fn replay_memory_is_bounded() {
        let w = Webhook::new(APP).token(TOKEN).replay_capacity(3);
        let now = 1_700_000_000;
        let q = query(now, &sign(TOKEN, now));
        for i in 0..10 {
            let body =
                format!(r#"{{"CallbackCommand":"Group.CallbackAfterGroupFull","GroupId":"{i}"}}"#);
            assert!(w.verify_at(&q, body.as_bytes(), now).is_ok());
        }
        assert!(w.seen.lock().unwrap().order.len() <= 3);
    }

    #[test]
    fn the_command_comes_from_the_query_or_the_body() {
        let w = Webhook::new(APP);
        let q = format!("SdkAppid={APP}&contenttype=json");
        let v = w.verify_at(&q, BODY, 0).unwrap();
        assert_eq!(v.command, "Group.CallbackAfterGroupFull");
        let push = br#"{"Events":[{"CallbackCommand":"Push.OfflinePush","EventType":1}]}"#;
        assert_eq!(
            w.verify_at(&q, push, 0).unwrap().command,
            "Push.OfflinePush"
        );
        assert_eq!(w.verify_at(&q, b"{}", 0), Err(Refusal::MissingCommand));
    }

    #[test]
    fn the_token_is_not_printed() {
        let w = Webhook::new(APP).token("very-secret-token");
        assert!(!format!("{w:?}").contains("very-secret-token"));
    }
}
