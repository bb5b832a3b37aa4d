//! Answers: what a handler returns and how it goes on the wire. Used by the
//! server and by every handler (below both, so neither imports the other).

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::EndpointError;

/// The `ErrorCode` of the answer to an endpoint the emulator checks but does
/// not emulate. Not a Tencent code: the answer also carries the header
/// [`NOT_EMULATED_HEADER`], and the typed client turns it into
/// [`Error::NotEmulated`](crate::Error::NotEmulated).
pub const NOT_EMULATED_CODE: i64 = -1;

/// The response header that marks a not-emulated answer.
pub const NOT_EMULATED_HEADER: &str = "x-im-emulator";

/// A handler's answer: the response fields, or a failure.
pub(crate) type Reply = Result<Value, Failure>;

/// A failure answer.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    /// `ActionStatus` (default `FAIL`; batchsendmsg's partial failure is `SomeError`).
    pub action: Option<&'static str>,
    /// `ErrorCode`; `None` for the seed's partial-failure shape (FAIL with a list).
    pub code: Option<i64>,
    pub info: String,
    /// Response fields sent with the failure (per-item failure lists).
    pub fields: Option<Value>,
}

/// A success with the fields of `response` (a generated `Response`).
pub(crate) fn ok<R: Serialize>(response: &R) -> Reply {
    Ok(serde_json::to_value(response).unwrap_or_else(|_| Value::Object(Map::new())))
}

/// A success without fields.
pub(crate) fn ok_empty() -> Reply {
    Ok(Value::Object(Map::new()))
}

/// A failure with `code` and `info`.
pub(crate) fn fail(code: i64, info: impl Into<String>) -> Reply {
    Err(Failure {
        action: None,
        code: Some(code),
        info: info.into(),
        fields: None,
    })
}

/// A failure with a typed code of an endpoint's `Error` enum.
pub(crate) fn fail_with(code: impl EndpointError, info: impl Into<String>) -> Reply {
    fail(code.code(), info)
}

/// The wire body of an answer: the envelope with the fields.
pub(crate) fn envelope(reply: &Reply) -> Value {
    let (mut v, fields) = match reply {
        Ok(fields) => (
            json!({"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": ""}),
            Some(fields),
        ),
        Err(f) => {
            let mut v = json!({"ActionStatus": f.action.unwrap_or("FAIL"), "ErrorInfo": f.info});
            if let (Some(code), Value::Object(m)) = (f.code, &mut v) {
                m.insert("ErrorCode".into(), code.into());
            }
            (v, f.fields.as_ref())
        }
    };
    if let (Value::Object(out), Some(Value::Object(fields))) = (&mut v, fields) {
        out.extend(fields.clone());
    }
    v
}

/// The `ErrorCode` an answer carries (0 for success).
pub(crate) fn code_of(reply: &Reply) -> i64 {
    match reply {
        Ok(_) => 0,
        Err(f) => f.code.unwrap_or(0),
    }
}
