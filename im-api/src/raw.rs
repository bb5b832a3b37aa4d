//! Raw JSON against the spec (cargo feature `raw`). Bodies are checked with
//! the client's own generated code: per-field types, unknown fields, required
//! fields, then every declared limit; the first problem becomes the error
//! code the spec documents for it. The emulator answers with these checks,
//! and [`Client::call_raw`](crate::Client::call_raw) sends raw JSON after passing them.

use std::any::Any;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::__private::FieldTypes;
use crate::endpoint::{Endpoint, EndpointMeta, FieldMeta};
pub use crate::json::{Body, BodyError, parse_body};
use crate::validate::Problem;

/// A body the server refuses: the code and the text it answers with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The `ErrorCode` the server answers.
    pub code: i64,
    /// What is wrong, naming the field.
    pub message: String,
}

/// A body checked and parsed into the endpoint's typed request.
pub struct Parsed {
    /// The typed request (`R` of the route).
    pub request: Box<dyn Any + Send>,
    /// Keys the spec does not model: accepted and ignored, as Tencent's
    /// server ignores keys it does not use. Top-level keys by name, nested
    /// ones by path (`MsgBody[0].MsgContent.Bogus`).
    pub unknown: Vec<String>,
}

impl std::fmt::Debug for Parsed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parsed")
            .field("unknown", &self.unknown)
            .finish_non_exhaustive()
    }
}

/// Parses a body into the endpoint's typed request.
pub type ParseFn = fn(&Body) -> Result<Parsed, Rejection>;

/// Decodes a success body, counting the items its partial-failure list names.
pub type DecodeFn = fn(&[u8]) -> Result<(Value, usize), serde_json::Error>;

/// The typed error code of an endpoint, for a raw call.
pub type ClassifyFn = fn(i64) -> RawKind;

/// One endpoint of the spec, type-erased (the table is generated: `ROUTES`).
#[derive(Debug, Clone, Copy)]
pub struct Route {
    /// The endpoint's facts.
    pub meta: &'static EndpointMeta,
    /// Checks a body and parses it into the typed request.
    pub parse: ParseFn,
    /// Decodes a success body.
    pub decode: DecodeFn,
    /// Types an error code as the endpoint's spec does.
    pub classify: ClassifyFn,
    /// A body built from the spec that passes its checks.
    pub example: fn() -> Value,
    /// Whether a success body decodes into the typed `Response`.
    pub decodes: fn(&[u8]) -> Result<(), String>,
    /// A body parsed into the typed request and encoded again (what the
    /// typed client would send for it).
    pub reencode: fn(&Body) -> Result<Value, String>,
    /// A success body decoded into the typed `Response` and encoded again
    /// (keys the response type does not model are gone).
    pub redecode: fn(&[u8]) -> Result<Value, String>,
}

impl Route {
    /// The route of request type `R`.
    pub const fn of<R>() -> Route
    where
        R: Endpoint + FieldTypes + DeserializeOwned + crate::__private::Example,
        R::Response: serde::Serialize,
    {
        Route {
            meta: R::META,
            parse: parse::<R>,
            decode: decode::<R>,
            classify: classify::<R>,
            example: example::<R>,
            decodes: decodes::<R>,
            reencode: reencode::<R>,
            redecode: redecode::<R>,
        }
    }

    /// The route of `service/command` (or an alias of it).
    pub fn find(service_command: &str) -> Option<&'static Route> {
        let (service, command) = service_command
            .trim_start_matches("/v4/")
            .trim_matches('/')
            .split_once('/')?;
        crate::generated::ROUTES.iter().find(|r| {
            r.meta.service == service
                && (r.meta.command == command || r.meta.aliases.contains(&command))
        })
    }
}

/// An endpoint's error code with the retry class and meaning from its spec.
pub type RawKind = crate::AnyCode;

fn example<R: Endpoint + crate::__private::Example>() -> Value {
    serde_json::to_value(R::example()).unwrap_or(Value::Null)
}

fn decodes<R: Endpoint>(bytes: &[u8]) -> Result<(), String> {
    serde_json::from_slice::<R::Response>(bytes)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn reencode<R: Endpoint + FieldTypes + DeserializeOwned>(body: &Body) -> Result<Value, String> {
    let parsed = parse::<R>(body).map_err(|r| format!("{}: {}", r.code, r.message))?;
    let request = parsed
        .request
        .downcast::<R>()
        .map_err(|_| "the route parses another type".to_owned())?;
    serde_json::to_value(&*request).map_err(|e| e.to_string())
}

fn redecode<R: Endpoint>(bytes: &[u8]) -> Result<Value, String>
where
    R::Response: serde::Serialize,
{
    let resp: R::Response = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    serde_json::to_value(&resp).map_err(|e| e.to_string())
}

fn classify<R: Endpoint>(code: i64) -> RawKind {
    use crate::EndpointError as _;
    RawKind::from(R::Error::from_code(code).info())
}

fn decode<R: Endpoint>(bytes: &[u8]) -> Result<(Value, usize), serde_json::Error> {
    let value: Value = serde_json::from_slice(bytes)?;
    let partial = <R::Response as serde::Deserialize>::deserialize(&value)
        .map(|r| crate::__private::PartialFailures::partial_failures(&r))
        .unwrap_or(0);
    Ok((value, partial))
}

/// Why a raw call did not happen or did not succeed.
#[derive(Debug)]
#[non_exhaustive]
pub enum RawError {
    /// No such `service/command` in the spec. Nothing was sent.
    UnknownEndpoint(String),
    /// The body is not one JSON object with unique keys. Nothing was sent.
    BadJson(String),
    /// The body breaks the spec (field, type or limit). Nothing was sent.
    Rejected(Rejection),
    /// The call was made and failed.
    Call(crate::Error<RawKind>),
}

impl std::fmt::Display for RawError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::UnknownEndpoint(e) => {
                write!(f, "unknown endpoint {e:?} (see the spec's endpoint list)")
            }
            Self::BadJson(e) => write!(f, "{e}"),
            Self::Rejected(r) => write!(f, "invalid body, nothing sent: {}", r.message),
            Self::Call(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for RawError {}

impl crate::Client {
    /// Send a raw JSON body to `service/command`: checked against the spec
    /// first (nothing is sent when it breaks it), `Random`/`MsgRandom` filled
    /// when absent, otherwise sent exactly as given, retried like typed calls.
    /// Returns the response body.
    pub async fn call_raw(&self, service_command: &str, body: &[u8]) -> Result<Value, RawError> {
        let route = Route::find(service_command)
            .ok_or_else(|| RawError::UnknownEndpoint(service_command.to_owned()))?;
        let mut parsed = parse_body(body).map_err(|e| RawError::BadJson(e.to_string()))?;
        let mut filled = String::new();
        for field in route.meta.random_fields {
            if !parsed.map.contains_key(*field) {
                let v = crate::random_u32();
                parsed.map.insert((*field).to_owned(), Value::from(v));
                filled.push_str(&format!("\"{field}\":{v},"));
            }
        }
        (route.parse)(&parsed).map_err(RawError::Rejected)?;
        let group = route
            .meta
            .group_key
            .and_then(|k| parsed.map.get(k))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let bytes = if !filled.is_empty() {
            // Insert the filled values at the start of the object as given:
            // every other byte is sent as checked (re-encoding could change
            // number spellings and sizes).
            bytes::Bytes::from(insert_first(body, &filled))
        } else {
            bytes::Bytes::copy_from_slice(body)
        };
        self.send_bytes(
            route.meta,
            group.as_deref(),
            bytes,
            route.decode,
            route.classify,
        )
        .await
        .map_err(RawError::Call)
    }
}

/// `body` with `fields` (`"K":V,` pairs) inserted right after its opening
/// brace (the trailing comma dropped when the object is empty).
fn insert_first(body: &[u8], fields: &str) -> Vec<u8> {
    let open = body.iter().position(|b| *b == b'{').unwrap_or(0);
    let rest = &body[open + 1..];
    let empty = rest
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'}');
    let fields = if empty {
        fields.trim_end_matches(',')
    } else {
        fields
    };
    let mut out = Vec::with_capacity(body.len() + fields.len());
    out.extend_from_slice(&body[..=open]);
    out.extend_from_slice(fields.as_bytes());
    out.extend_from_slice(rest);
    out
}

fn field_code(
    meta: &EndpointMeta,
    field: Option<&FieldMeta>,
    pick: impl Fn(&crate::FieldCodes) -> Option<i64>,
) -> i64 {
    field
        .and_then(|f| pick(&f.codes).or(f.codes.any))
        .unwrap_or(meta.invalid_code)
}

/// Check `body` as the request type `R` and return it typed: field types,
/// required fields, every limit (sizes of JSON values counted on the bytes
/// as sent), the first problem answered with the spec's code for it. Keys
/// the spec does not model are accepted and listed.
pub fn parse<R>(body: &Body) -> Result<Parsed, Rejection>
where
    R: Endpoint + FieldTypes + DeserializeOwned,
{
    let meta = R::META;
    let mut unknown = Vec::new();
    for (key, value) in &body.map {
        match R::check_field(key, value) {
            None => unknown.push(key.clone()),
            Some(Err(e)) => {
                let code = field_code(meta, meta.field(key), |c| c.ty);
                return Err(Rejection {
                    code,
                    message: format!("{key}: {e}"),
                });
            }
            Some(Ok(())) => {}
        }
    }
    if let Some(missing) = meta
        .fields
        .iter()
        .find(|f| f.required && !body.map.contains_key(f.wire))
    {
        let code = field_code(meta, Some(missing), |c| c.missing);
        return Err(Rejection {
            code,
            message: format!("{} is required", missing.wire),
        });
    }
    for f in meta.fields {
        if let (Some(max), Some(len)) = (f.max_json_bytes, body.raw_len.get(f.wire))
            && *len as u64 > max
        {
            return Err(Rejection {
                code: field_code(meta, Some(f), |c| c.max_json_bytes),
                message: format!(
                    "{}: {len} bytes of JSON as sent, at most {max} allowed",
                    f.wire
                ),
            });
        }
    }
    let known: Map<String, Value> = body
        .map
        .iter()
        .filter(|(k, _)| !unknown.contains(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let request: R = serde_json::from_value(Value::Object(known)).map_err(|e| Rejection {
        code: meta.invalid_code,
        message: e.to_string(),
    })?;
    if let Some(v) = request.violations().into_iter().next() {
        let top = v.field.split(['.', '[']).next().unwrap_or_default();
        let field = meta.field(top);
        let code = field_code(meta, field, |c| match &v.problem {
            Problem::Empty | Problem::TooFewItems { .. } => c.min_items,
            Problem::TooManyItems { .. } => c.max_items,
            Problem::TooShort { .. } | Problem::TooLong { .. } => c.max_bytes,
            Problem::BelowMinimum { .. } | Problem::AboveMaximum { .. } => c.range,
            Problem::JsonTooLarge { .. } => c.max_json_bytes,
            Problem::MissingOneOf { .. } => c.missing,
            _ => None,
        });
        return Err(Rejection {
            code,
            message: v.to_string(),
        });
    }
    // Nested keys the typed request dropped: what was sent but is not in
    // its encoding (an explicit null counts as absent, not as unknown).
    // Re-encoding costs a little per request: only bodies with nested
    // values can hold nested keys.
    let nested = body.map.values().any(|v| v.is_object() || v.is_array());
    if let Some(Ok(Value::Object(encoded))) = nested.then(|| serde_json::to_value(&request)) {
        for (key, value) in &body.map {
            if let Some(kept) = encoded.get(key) {
                dropped_keys(value, kept, key, &mut unknown);
            }
        }
    }
    Ok(Parsed {
        request: Box::new(request),
        unknown,
    })
}

/// Most nested unknown keys listed per body (a body may hold any number).
const MAX_NESTED_UNKNOWN: usize = 64;

/// Paths under `path` of object keys in `sent` that `kept` does not have.
fn dropped_keys(sent: &Value, kept: &Value, path: &str, out: &mut Vec<String>) {
    match (sent, kept) {
        (Value::Object(s), Value::Object(k)) => {
            for (key, value) in s {
                if out.len() >= MAX_NESTED_UNKNOWN {
                    return;
                }
                let here = format!("{path}.{key}");
                match k.get(key) {
                    Some(inner) => dropped_keys(value, inner, &here, out),
                    None if !value.is_null() => out.push(here),
                    None => {}
                }
            }
        }
        (Value::Array(s), Value::Array(k)) => {
            for (i, (a, b)) in s.iter().zip(k).enumerate() {
                dropped_keys(a, b, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}
