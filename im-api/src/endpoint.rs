//! What generated code implements: the endpoint description, its typed error
//! codes and their retry class. The runtime (client, retries, limiter) works
//! from these; nothing here is written per endpoint by hand.

use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::validate::Validate;

/// How the client treats an error code, from the spec's `retry` class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RetryClass {
    /// Transient: resend the identical body.
    Retryable,
    /// Over a rate limit: resend the identical body after a longer backoff.
    RateLimited,
    /// The UserSig was refused: sign a fresh one, then retry once.
    Resign,
    /// Never retried.
    Permanent,
}

/// Facts about one endpoint, straight from its spec entry. Built by generated
/// code (in im-api and in extension crates), so it is not `#[non_exhaustive]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndpointMeta {
    /// The Rust method name, e.g. `send_group_msg`.
    pub name: &'static str,
    /// The service segment of the path (`group_open_http_svc`).
    pub service: &'static str,
    /// The command segment of the path (`send_group_msg`).
    pub command: &'static str,
    /// `/v4/{service}/{command}`.
    pub path: &'static str,
    /// One line on what it does.
    pub summary: &'static str,
    /// Documented calls per second for the app, when documented.
    pub per_second: Option<u32>,
    /// Documented messages per second for a single group, when documented.
    pub per_group_per_second: Option<u32>,
    /// Group types the endpoint supports (empty when not group-specific).
    pub group_types: &'static [&'static str],
    /// Older command names of the same endpoint.
    pub aliases: &'static [&'static str],
    /// Body fields filled with a fresh random u32 when unset (`Random`, `MsgRandom`).
    pub random_fields: &'static [&'static str],
    /// The endpoint's documented private error codes.
    pub error_codes: &'static [i64],
    /// The code the server answers beyond the rate limit.
    pub rate_limit_code: i64,
    /// The request field naming the group `per_group_per_second` applies to.
    pub group_key: Option<&'static str>,
    /// The code the server answers for a body that is not JSON.
    pub invalid_json_code: i64,
    /// The code the server answers for an invalid field without a code of its own.
    pub invalid_code: i64,
    /// Request fields, with the codes the server answers when one is invalid.
    pub fields: &'static [FieldMeta],
    /// Quotas beyond calls per second (per minute, per day, counted per item).
    pub quotas: &'static [Quota],
    /// The response list a pager walks (`Client::pages`), when paged.
    pub paged_items: Option<&'static str>,
    /// The request list split across calls (`Client::send_chunked`), when chunked.
    pub chunk_field: Option<&'static str>,
    /// The spec entry models only part of the documented fields.
    pub partial: bool,
    /// The spec file that declares the endpoint.
    pub spec_file: &'static str,
}

/// A documented quota: at most `limit` calls (or items of the request list
/// `count`) per `window_secs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Calls (or items) allowed per window.
    pub limit: u64,
    /// The window in seconds (60 for per-minute, 86400 for per-day).
    pub window_secs: u64,
    /// Wire name of the request list whose items are counted (None: calls).
    pub count: Option<&'static str>,
    /// The code the server answers beyond the quota.
    pub code: i64,
}

/// A request field as the server checks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldMeta {
    /// The JSON key.
    pub wire: &'static str,
    /// Required on the wire (including fields the client fills, like `Random`).
    pub required: bool,
    /// The most items an array field may hold.
    pub max_items: Option<u64>,
    /// The most bytes of JSON the field may take.
    pub max_json_bytes: Option<u64>,
    /// The codes the server answers when this field is wrong.
    pub codes: FieldCodes,
}

/// Codes the server answers for problems with one field, from the spec.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FieldCodes {
    /// Any problem without a more specific code.
    pub any: Option<i64>,
    /// Wrong JSON type.
    pub ty: Option<i64>,
    /// Missing required field.
    pub missing: Option<i64>,
    /// Too few items (or empty).
    pub min_items: Option<i64>,
    /// Too many items.
    pub max_items: Option<i64>,
    /// A string too long (or too short).
    pub max_bytes: Option<i64>,
    /// A value whose JSON is too large.
    pub max_json_bytes: Option<i64>,
    /// Integer out of its range.
    pub range: Option<i64>,
}

impl FieldCodes {
    /// No code for any problem (the endpoint's own codes apply).
    pub const NONE: FieldCodes = FieldCodes {
        any: None,
        ty: None,
        missing: None,
        min_items: None,
        max_items: None,
        max_bytes: None,
        max_json_bytes: None,
        range: None,
    };
}

impl EndpointMeta {
    /// A request field by wire name.
    pub fn field(&self, wire: &str) -> Option<&'static FieldMeta> {
        self.fields.iter().find(|f| f.wire == wire)
    }
    /// `service/command`.
    pub fn service_command(&self) -> String {
        format!("{}/{}", self.service, self.command)
    }
}

/// An endpoint's typed error codes (generated per endpoint, plus `PublicError`).
pub trait EndpointError: fmt::Debug + fmt::Display + Clone + Send + Sync + 'static {
    /// The typed value for a code; unknown codes map to a fallback variant.
    fn from_code(code: i64) -> Self;
    /// The code, its retry class and its meaning, in one lookup.
    fn info(&self) -> ErrorInfo;
    /// The numeric code.
    fn code(&self) -> i64 {
        self.info().code
    }
    /// Whether and how the client may retry.
    fn retry_class(&self) -> RetryClass {
        self.info().retry
    }
    /// The meaning, from the spec.
    fn description(&self) -> &'static str {
        self.info().description
    }
    /// The code's entry in the spec's error catalogue (name, retry class,
    /// meaning), also for codes this endpoint does not list.
    fn catalogue(&self) -> Option<&'static CatalogueEntry> {
        catalogue_entry(self.code())
    }
}

/// What the spec says about one error code, as an endpoint sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ErrorInfo {
    /// The numeric code.
    pub code: i64,
    /// How the client retries it.
    pub retry: RetryClass,
    /// Its meaning for the endpoint.
    pub description: &'static str,
}

impl ErrorInfo {
    /// A code the endpoint does not list: the catalogue's class and meaning
    /// when the catalogue knows it (10023 stays rate-limited), else permanent.
    pub fn unlisted(code: i64) -> Self {
        let entry = catalogue_entry(code);
        Self {
            code,
            retry: entry.map_or(RetryClass::Permanent, |e| e.retry),
            description: entry.map_or("an error code the spec does not list", |e| e.doc),
        }
    }
}

impl fmt::Display for ErrorInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.description)
    }
}

/// One code of the spec's error catalogue (`specs/errors.toml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogueEntry {
    /// The numeric code.
    pub code: i64,
    /// The variant name, e.g. `GroupNotFound`.
    pub name: &'static str,
    /// How the client retries it.
    pub retry: RetryClass,
    /// Its meaning.
    pub doc: &'static str,
}

/// The catalogue entry of a code, when the spec knows it.
pub fn catalogue_entry(code: i64) -> Option<&'static CatalogueEntry> {
    let all = crate::generated::CATALOGUE;
    all.binary_search_by_key(&code, |e| e.code)
        .ok()
        .map(|i| &all[i])
}

/// A request whose list field (`chunk` in the spec, e.g. batchsendmsg's
/// `To_Account`) may be split across calls. Generated; used by
/// [`Client::send_chunked`](crate::Client::send_chunked) and the fan-out.
pub trait Chunk: Endpoint + Clone {
    /// One item of the list (an account name, or a struct naming one).
    type Item: Clone + Send + Sync + 'static;
    /// The most items one call may carry.
    const MAX_ITEMS: usize;
    /// The list's items.
    fn items(&self) -> &[Self::Item];
    /// Replace the list (one chunk of it).
    fn set_items(&mut self, items: Vec<Self::Item>);
    /// The name that identifies an item (for dedup and in reports).
    fn item_key(item: &Self::Item) -> &str;
}

/// A request body that knows its endpoint. Implemented by generated `Request` types.
pub trait Endpoint: Serialize + Validate + Send + Sync + 'static {
    /// What a successful call returns.
    type Response: DeserializeOwned
        + crate::__private::PartialFailures
        + fmt::Debug
        + Send
        + 'static;
    /// The endpoint's typed error codes.
    type Error: EndpointError;
    /// Facts about the endpoint from its spec entry.
    const META: &'static EndpointMeta;
    /// Fill `Random`/`MsgRandom` when unset. Called once per logical call,
    /// before the first attempt, so every retry sends the identical body.
    fn fill_random(&mut self, next: &mut dyn FnMut() -> u32);

    /// The group a per-group rate applies to (`GroupId` of group messages).
    fn rate_group(&self) -> Option<&str> {
        None
    }
}

/// A value of an open enum that this version does not know, as it was sent.
/// It can only be made by the enum's `from`, so an `Unknown` never holds one
/// of the enum's documented values.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UnknownValue<T = String>(pub(crate) T);

impl<T> UnknownValue<T> {
    /// The value as sent.
    pub fn get(&self) -> &T {
        &self.0
    }
}

impl UnknownValue<String> {
    /// The value as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<T: std::fmt::Display> std::fmt::Display for UnknownValue<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}
