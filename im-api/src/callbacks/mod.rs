//! Callbacks (webhooks): the requests Tencent's Chat server POSTs to the
//! app's callback URL, and what the app answers.
//!
//! Two halves share this module:
//!
//! - generated from `specs/callbacks.toml`: one payload type per command
//!   (`C2cBeforeSendMsg`, `GroupAfterSendMsg`, ...), the [`Event`] enum over
//!   all of them (plus [`Event::Unknown`]), a typed answer per before-callback
//!   (`C2cBeforeSendMsgAnswer::allow()`, `::refuse()`, `::reject(code, info)`,
//!   `::rewrite(body)`, `GroupBeforeSendMsgAnswer::drop_silently()`, setters for
//!   the documented answer fields) and the [`CALLBACKS`] table;
//! - hand-written: the verification of a request ([`Webhook`]: `SdkAppid`,
//!   `Sign = hex(sha256(token + RequestTime))` compared in constant time, a
//!   freshness window, replay memory), the framework-neutral entry point
//!   [`Webhook::handle`] (query string and body in, HTTP status and body out),
//!   [`Answer`], a minimal server (`serve`, feature `callback-server`, also
//!   part of `emulator`) and an axum router (`router`, feature `axum`).
//!
//! ```no_run
//! use im_api::callbacks::{Answer, C2cBeforeSendMsgAnswer, Event, Webhook};
//! use im_api::types::MsgElement;
//!
//! # async fn demo(query: &str, body: &[u8]) {
//! let webhook = Webhook::new(1400000000).token("the token set in the console");
//! let reply = webhook
//!     .handle(query, body, |event| match event {
//!         Event::C2cBeforeSendMsg(m) if format!("{:?}", m.msg_body).contains("spam") => {
//!             C2cBeforeSendMsgAnswer::refuse().into()
//!         }
//!         Event::C2cBeforeSendMsg(_) => {
//!             C2cBeforeSendMsgAnswer::rewrite([MsgElement::text("checked")]).into()
//!         }
//!         _ => Answer::ok(),
//!     })
//!     .await;
//! // Send `reply.status` and `reply.body` (JSON) back to Tencent.
//! # let _ = reply;
//! # }
//! ```
//!
//! Security notes: Tencent's `Sign` covers only the token and `RequestTime`,
//! not the body, so HTTPS is what protects the content; the freshness window
//! (default 60 s, both directions) bounds how long a captured `Sign` is
//! usable, and the replay memory refuses an identical request seen again
//! within it. The token is never printed (`Debug` redacts it).

mod verify;

#[cfg(feature = "axum")]
mod axum;
// The emulator's users need a receiver for its callbacks: the server also
// comes with `emulator`, whose dependencies (hyper) it shares.
#[cfg(any(feature = "callback-server", feature = "emulator"))]
mod serve;

use std::future::{IntoFuture, Ready, ready};
use std::time::Duration;

use serde_json::{Map, Value};

pub use crate::generated::callbacks::*;
pub use verify::{CallbackQuery, HttpReply, Refusal, Verified, Webhook, sign};

#[cfg(feature = "axum")]
pub use self::axum::router;
#[cfg(any(feature = "callback-server", feature = "emulator"))]
pub use serve::{serve, serve_with};

/// How long Tencent waits for an answer (the overview: 2 s, not adjustable
/// for before-callbacks). The emulator uses it too.
pub const TIMEOUT: Duration = Duration::from_secs(2);

/// Whether Tencent acts on the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallbackKind {
    /// Sent before the event happens; the answer's `ErrorCode` lets it
    /// proceed, refuses it, drops it or changes it.
    Before,
    /// A notification after the event; the answer is ignored.
    After,
}

/// One command of [`CALLBACKS`]: what the spec says about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct CallbackMeta {
    /// The command word, e.g. `C2C.CallbackBeforeSendMsg`.
    pub command: &'static str,
    /// Before (the answer decides) or after (a notification).
    pub kind: CallbackKind,
    /// One line from the spec.
    pub summary: &'static str,
    /// The answer's `ErrorCode` that refuses the event (before-callbacks).
    pub reject_code: Option<i64>,
    /// The code the caller then gets, when documented (20006, 10016, ...).
    pub reject_result: Option<i64>,
    /// The answer's `ErrorCode` that drops the event silently.
    pub drop_code: Option<i64>,
    /// The documented range of custom refusal codes passed on to the caller.
    pub custom_codes: Option<(i64, i64)>,
    /// Whether the event proceeds when the app does not answer in time (or
    /// answers with an HTTP error); always true for after-callbacks.
    pub proceeds_on_timeout: bool,
    /// The optional query parameters the command sends (`ClientIP`,
    /// `OptPlatform`, `Sign`, `RequestTime`); `None` means all of them.
    pub query: Option<&'static [&'static str]>,
    /// Known only from peer SDKs, not from a Tencent page.
    pub peer_sourced: bool,
}

impl CallbackMeta {
    /// The entry of `command`, if the spec has it.
    pub fn find(command: &str) -> Option<&'static CallbackMeta> {
        CALLBACKS.iter().find(|m| m.command == command)
    }

    /// Whether the command's body repeats `CallbackCommand`. It does not for
    /// `ContentCallback.ResultNotify` (dispatch by the query's) and for the
    /// `Push.*` batches (`{"Events": [...]}`, each event carries it).
    pub fn body_carries_command(command: &str) -> bool {
        !matches!(
            command,
            "ContentCallback.ResultNotify" | "Push.OfflinePush" | "Push.AllMemberPush"
        )
    }

    /// Whether the command sends the optional query parameter `name`.
    pub fn sends(&self, name: &str) -> bool {
        self.query.is_none_or(|q| q.contains(&name))
    }
}

/// What the app answers: `{"ActionStatus", "ErrorCode", "ErrorInfo"}` plus
/// the answer fields of a before-callback. Build it with [`Answer::ok`] or
/// from a typed answer (`C2cBeforeSendMsgAnswer::refuse().into()`).
///
/// It is also a ready future, so a handler closure may return it directly
/// or from an `async` block.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    body: Map<String, Value>,
}

impl Answer {
    /// `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}`: the answer to an
    /// after-callback, and "allow" for a before-callback.
    pub fn ok() -> Self {
        let mut body = Map::new();
        body.insert("ActionStatus".into(), Value::from("OK"));
        body.insert("ErrorCode".into(), Value::from(0));
        body.insert("ErrorInfo".into(), Value::from(""));
        Self { body }
    }

    /// `ActionStatus` FAIL with `ErrorCode` 1: the app could not process the
    /// callback. For a before-callback Tencent reads `ErrorCode` 1 as a
    /// refusal; use the typed answer to say what you mean.
    pub fn fail(info: impl Into<String>) -> Self {
        let mut body = Map::new();
        body.insert("ActionStatus".into(), Value::from("FAIL"));
        body.insert("ErrorCode".into(), Value::from(1));
        body.insert("ErrorInfo".into(), Value::from(info.into()));
        Self { body }
    }

    /// The answer's `ErrorCode`.
    pub fn error_code(&self) -> i64 {
        self.body
            .get("ErrorCode")
            .and_then(Value::as_i64)
            .unwrap_or(0)
    }

    /// The answer as a JSON object.
    pub fn body(&self) -> &Map<String, Value> {
        &self.body
    }

    /// The answer as sent: JSON bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&self.body).unwrap_or_else(|_| b"{}".to_vec())
    }

    /// A typed answer (generated code), with the envelope completed.
    #[doc(hidden)]
    pub fn from_record<T: serde::Serialize>(record: &T) -> Self {
        let mut body = match serde_json::to_value(record) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        };
        body.entry("ActionStatus")
            .or_insert_with(|| Value::from("OK"));
        body.entry("ErrorCode").or_insert_with(|| Value::from(0));
        body.entry("ErrorInfo").or_insert_with(|| Value::from(""));
        Self { body }
    }
}

impl IntoFuture for Answer {
    type Output = Answer;
    type IntoFuture = Ready<Answer>;

    fn into_future(self) -> Ready<Answer> {
        ready(self)
    }
}

/// A refusal code outside the documented custom range of a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerCodeError {
    /// The command the answer is for.
    pub command: &'static str,
    /// The code given.
    pub code: i64,
    /// The lowest code of the documented range.
    pub min: i64,
    /// The highest code of the documented range.
    pub max: i64,
}

impl std::fmt::Display for AnswerCodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ErrorCode {} is outside the custom refusal range [{}, {}] documented for {}",
            self.code, self.min, self.max, self.command
        )
    }
}

impl std::error::Error for AnswerCodeError {}
