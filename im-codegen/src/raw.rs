//! The spec files as written: TOML deserialized with serde, every value that
//! can be wrong wrapped in `Spanned` so later passes can point at it.

use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFile {
    #[serde(default)]
    pub endpoint: Vec<Spanned<RawEndpoint>>,
    #[serde(default, rename = "struct")]
    pub structs: Vec<Spanned<RawStruct>>,
    #[serde(default, rename = "enum")]
    pub enums: Vec<Spanned<RawEnum>>,
    #[serde(default, rename = "union")]
    pub unions: Vec<Spanned<RawUnion>>,
    #[serde(default)]
    pub error: Vec<Spanned<RawError>>,
    /// Callbacks Tencent sends to the app (webhooks).
    #[serde(default)]
    pub callback: Vec<Spanned<RawCallback>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEndpoint {
    pub service: Spanned<String>,
    pub command: Spanned<String>,
    pub name: Option<Spanned<String>>,
    pub summary: Spanned<String>,
    pub doc: Option<String>,
    #[serde(default)]
    pub group_types: Vec<Spanned<String>>,
    #[serde(default)]
    pub sources: Vec<String>,
    pub rate: Option<Spanned<RawRate>>,
    #[serde(default)]
    pub errors: Vec<Spanned<RawErrorRef>>,
    pub partial_failure: Option<Spanned<RawPartialFailure>>,
    /// A request list that may be split across several calls.
    pub chunk: Option<Spanned<RawChunk>>,
    /// Cursor paging: `{ cursor = "Next", items = "GroupIdList" }`.
    pub page: Option<Spanned<RawPage>>,
    #[serde(default)]
    pub conflicts: Vec<Spanned<RawConflict>>,
    /// Pairs of optional request fields of which at least one must be set.
    #[serde(default)]
    pub one_of: Vec<Spanned<RawConflict>>,
    #[serde(default)]
    pub aliases: Vec<Spanned<String>>,
    /// The code the server answers for a body that is not JSON.
    pub invalid_json_code: Option<Spanned<i64>>,
    /// The code the server answers for an invalid field without a code of its own.
    pub invalid_code: Option<Spanned<i64>>,
    /// The entry models only what the reference documents (no full field table).
    #[serde(default)]
    pub partial: bool,
    #[serde(default)]
    pub request: Vec<Spanned<RawField>>,
    #[serde(default)]
    pub response: Vec<Spanned<RawField>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRate {
    pub per_second: Option<Spanned<i64>>,
    /// The code the server answers beyond the rate (default 60007).
    pub code: Option<Spanned<i64>>,
    /// The request field naming the group that `per_group_per_second` applies to.
    pub group_key: Option<Spanned<String>>,
    pub per_group_per_second: Option<Spanned<i64>>,
    /// Quotas over longer windows, or counted per item.
    #[serde(default)]
    pub quotas: Vec<Spanned<RawQuota>>,
    #[serde(default)]
    pub documented: Vec<String>,
}

/// `{ limit = 12000, per = "minute", count = "To_Account", code = 90057, doc = "..." }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawQuota {
    pub limit: Spanned<i64>,
    pub per: Spanned<String>,
    /// A request array whose items are counted instead of one per call.
    pub count: Option<Spanned<String>>,
    /// The code the server answers beyond this quota (default: the rate's code).
    pub code: Option<Spanned<i64>>,
    pub doc: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawErrorRef {
    Code(i64),
    Detail(RawErrorDetail),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawErrorDetail {
    pub code: i64,
    pub name: Option<String>,
    pub retry: Option<String>,
    pub doc: Option<String>,
}

/// Paging. One of:
/// - `cursor = "Next"`: the same field in request and response;
/// - `cursors = [["MaxTime", "LastMsgTime"], ["LastMsgKey", "LastMsgKey"]]`:
///   request fields set from response fields;
/// - `offset = "Offset"`: the next offset is this one plus the items received;
/// - `from_items = { field, item, next }`: a request field computed from the
///   items received (`min_minus_one` or `max_plus_one` of an item field).
///
/// `items` names the response array; `done` an optional response flag that is
/// non-zero on the last page. Without `done`, a zero/empty first cursor or an
/// empty page ends it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPage {
    pub cursor: Option<String>,
    pub cursors: Option<Vec<Vec<String>>>,
    pub offset: Option<String>,
    /// The next request field computed from the items received.
    pub from_items: Option<RawFromItems>,
    pub items: String,
    pub done: Option<String>,
}

/// `{ field = "ReqMsgSeq", item = "MsgSeq", next = "min_minus_one" }`: the
/// next page's `field` is the smallest `item` received minus one (newest
/// first), or `max_plus_one` (oldest first).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFromItems {
    pub field: String,
    pub item: String,
    pub next: String,
}

/// `chunk = "To_Account"` (a `[string]`) or `chunk = { field = "DeleteItem", key = "UserID" }`
/// (an array of structs, each named by a string field).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawChunk {
    Field(String),
    Keyed { field: String, key: String },
}

/// `partial_failure = { list = "ErrorList", item = "To_Account", code = "ErrorCode" }`,
/// or `{ list = "FailAccounts" }` for a plain list of failed item names.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPartialFailure {
    /// The response array listing failed items.
    pub list: String,
    /// The string field of each failure naming the item.
    pub item: Option<String>,
    /// The integer field of each failure holding its code.
    pub code: Option<String>,
    /// Codes that mean the item succeeded (for lists that report every
    /// item); without them every entry is a failure.
    #[serde(default)]
    pub ok: Vec<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConflict {
    pub fields: Vec<String>,
    pub doc: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawField {
    pub wire: Spanned<String>,
    pub name: Option<Spanned<String>>,
    #[serde(rename = "type")]
    pub ty: Spanned<String>,
    #[serde(default)]
    pub required: bool,
    pub doc: Option<String>,
    #[serde(default)]
    pub non_empty: bool,
    pub min_items: Option<Spanned<i64>>,
    pub max_items: Option<Spanned<i64>>,
    pub min_bytes: Option<Spanned<i64>>,
    pub max_bytes: Option<Spanned<i64>>,
    /// UTF-8 length of each string of a `[string]`.
    pub item_max_bytes: Option<Spanned<i64>>,
    pub min: Option<Spanned<i64>>,
    pub max: Option<Spanned<i64>>,
    pub max_json_bytes: Option<Spanned<i64>>,
    pub legacy_max_json_bytes: Option<Spanned<i64>>,
    pub fill: Option<Spanned<String>>,
    /// Codes the server answers when this field is invalid.
    pub codes: Option<Spanned<crate::model::FieldCodes>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStruct {
    pub name: Spanned<String>,
    pub doc: Option<String>,
    pub derive: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    pub fields: Vec<Spanned<RawField>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEnum {
    pub name: Spanned<String>,
    pub doc: Option<String>,
    /// `"int"` for integer wire values; string values by default.
    #[serde(rename = "type")]
    pub kind: Option<Spanned<String>>,
    pub derive: Option<Vec<Spanned<String>>>,
    pub values: Vec<Spanned<RawEnumValue>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEnumValue {
    pub wire: Spanned<RawWire>,
    pub name: Option<Spanned<String>>,
    pub doc: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawUnion {
    pub name: Spanned<String>,
    pub doc: Option<String>,
    pub tag: Spanned<String>,
    pub content: Spanned<String>,
    pub derive: Option<Vec<Spanned<String>>>,
    pub variants: Vec<Spanned<RawVariant>>,
    /// Tags that may appear at most once in a list of this union (a message
    /// holds at most one `TIMCustomElem`).
    #[serde(default)]
    pub at_most_one: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawVariant {
    pub wire: Spanned<String>,
    pub name: Option<Spanned<String>>,
    #[serde(rename = "type")]
    pub ty: Spanned<String>,
    pub doc: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawError {
    pub code: Spanned<i64>,
    pub name: Spanned<String>,
    pub retry: Spanned<String>,
    pub doc: String,
}

/// An enum value as written: a string, or an integer for `type = "int"` enums.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RawWire {
    Str(String),
    Int(i64),
}

/// `[[callback]]`: a command Tencent POSTs to the app's callback URL.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCallback {
    pub command: Spanned<String>,
    pub name: Option<Spanned<String>>,
    /// `"before"` (the answer decides) or `"after"` (a notification).
    pub kind: Spanned<String>,
    pub summary: Spanned<String>,
    pub doc: Option<String>,
    #[serde(default)]
    pub sources: Vec<String>,
    /// Fields known only from a peer SDK, not from a Tencent page.
    #[serde(default)]
    pub peer_sourced: bool,
    /// Optional query parameters this command sends (all when absent).
    pub query: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    pub request: Vec<Spanned<RawField>>,
    #[serde(default)]
    pub answer: Vec<Spanned<RawField>>,
    pub reject: Option<Spanned<RawReject>>,
    /// The ErrorCode that drops the event silently.
    pub drop: Option<Spanned<i64>>,
    /// The documented range of custom ErrorCodes passed on to the client.
    pub custom_codes: Option<Spanned<RawCodeRange>>,
    /// What Tencent does when the app does not answer in time.
    pub timeout_default: Option<Spanned<String>>,
}

/// `{ code = 1, result = 20006, doc = "..." }`: the ErrorCode that refuses, and
/// the code the client then sees.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawReject {
    pub code: i64,
    pub result: Option<i64>,
    pub doc: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCodeRange {
    pub min: i64,
    pub max: i64,
}
