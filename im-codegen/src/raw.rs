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
    #[serde(default)]
    pub documented: Vec<String>,
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
/// - `offset = "Offset"`: the next offset is this one plus the items received.
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
    pub items: String,
    pub done: Option<String>,
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
    pub derive: Option<Vec<Spanned<String>>>,
    pub values: Vec<Spanned<RawEnumValue>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEnumValue {
    pub wire: Spanned<String>,
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
