//! The checked model that codegen works from. Everything here has passed
//! validation: names are valid Rust identifiers, types resolve, limits fit.

use std::collections::{BTreeMap, BTreeSet};

/// All spec files of one macro invocation, lowered and checked.
#[derive(Debug, Clone, Default)]
pub struct Spec {
    /// Shared types, in declaration order (files sorted by name).
    pub types: Vec<TypeDef>,
    /// The error-code catalogue, by code.
    pub errors: BTreeMap<i64, ErrorDef>,
    pub endpoints: Vec<Endpoint>,
    /// Callbacks (webhooks) Tencent sends to the app.
    pub callbacks: Vec<Callback>,
    /// The families (spec files, see [`Endpoint::family`]) whose endpoints
    /// reach each shared type; a type not listed is needed always (callbacks
    /// reach it, or no endpoint does).
    pub type_families: BTreeMap<String, BTreeSet<String>>,
}

impl Spec {
    pub fn type_def(&self, name: &str) -> Option<&TypeDef> {
        self.types.iter().find(|t| t.name() == name)
    }
    /// Public codes (60000-79999) declared in the catalogue (local or built-in).
    pub fn public_errors(&self) -> impl Iterator<Item = &ErrorDef> {
        self.errors.values().filter(|e| is_public_code(e.code))
    }
}

/// Codes every endpoint can return, shared in one `PublicError` enum.
pub fn is_public_code(code: i64) -> bool {
    (60000..=79999).contains(&code)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryClass {
    /// Transient: resend the identical body.
    Retryable,
    /// Over a rate limit: resend the identical body after a longer backoff.
    RateLimited,
    /// Sign a fresh UserSig, then retry once.
    Resign,
    /// Never retried.
    Permanent,
}

impl RetryClass {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "retryable" => Self::Retryable,
            "rate_limited" => Self::RateLimited,
            "resign" => Self::Resign,
            "permanent" => Self::Permanent,
            _ => return None,
        })
    }
    pub fn variant(self) -> &'static str {
        match self {
            Self::Retryable => "Retryable",
            Self::RateLimited => "RateLimited",
            Self::Resign => "Resign",
            Self::Permanent => "Permanent",
        }
    }
}

#[derive(Debug, Clone)]
pub struct ErrorDef {
    pub code: i64,
    /// UpperCamel variant name.
    pub name: String,
    pub retry: RetryClass,
    pub doc: String,
    /// Declared by the built-in catalogue of `im-api`, not by this invocation.
    pub external: bool,
}

/// Which serde directions a type derives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Directions {
    pub ser: bool,
    pub de: bool,
}

#[derive(Debug, Clone)]
pub enum TypeDef {
    Struct(StructDef),
    Enum(EnumDef),
    Union(UnionDef),
}

impl TypeDef {
    pub fn name(&self) -> &str {
        match self {
            Self::Struct(s) => &s.name,
            Self::Enum(e) => &e.name,
            Self::Union(u) => &u.name,
        }
    }
    pub fn external(&self) -> bool {
        match self {
            Self::Struct(s) => s.external,
            Self::Enum(e) => e.external,
            Self::Union(u) => u.external,
        }
    }
    /// The named types its fields or variants refer to (directly).
    pub fn refs(&self) -> Vec<&str> {
        match self {
            Self::Struct(s) => s.fields.iter().filter_map(|f| f.ty.named()).collect(),
            Self::Union(u) => u.variants.iter().filter_map(|v| v.ty.named()).collect(),
            Self::Enum(_) => Vec::new(),
        }
    }
    pub fn directions_mut(&mut self) -> &mut Directions {
        match self {
            Self::Struct(s) => &mut s.directions,
            Self::Enum(e) => &mut e.directions,
            Self::Union(u) => &mut u.directions,
        }
    }
}

#[derive(Debug, Clone)]
pub struct StructDef {
    pub name: String,
    pub doc: String,
    pub fields: Vec<Field>,
    pub directions: Directions,
    pub external: bool,
}

#[derive(Debug, Clone)]
pub struct EnumDef {
    pub name: String,
    pub doc: String,
    /// Integer wire values (`type = "int"`); strings otherwise.
    pub int: bool,
    pub values: Vec<EnumValue>,
    pub directions: Directions,
    pub external: bool,
}

#[derive(Debug, Clone)]
pub struct EnumValue {
    /// The wire value (for integer enums, its decimal form).
    pub wire: String,
    /// The integer wire value of an integer enum.
    pub int: Option<i64>,
    pub name: String,
    pub doc: String,
}

#[derive(Debug, Clone)]
pub struct UnionDef {
    pub name: String,
    pub doc: String,
    pub tag: String,
    pub content: String,
    pub variants: Vec<UnionVariant>,
    /// Variant names that may appear at most once in a list of this union.
    pub at_most_one: Vec<String>,
    pub directions: Directions,
    pub external: bool,
}

#[derive(Debug, Clone)]
pub struct UnionVariant {
    pub wire: String,
    pub name: String,
    /// The content's type: a struct, or any other field type.
    pub ty: Ty,
    pub doc: String,
}

/// A field's wire type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ty {
    String,
    U32,
    U64,
    I32,
    I64,
    F64,
    /// A bool carried as the integer 0 or 1.
    Bool01,
    /// A JSON `true`/`false`.
    Bool,
    /// Any JSON value, kept as is.
    Json,
    /// An i64 that may arrive as a number or as a decimal string.
    I64OrString,
    Array(Box<Ty>),
    /// A JSON object with app-defined keys and values of one type (`{T}`).
    Map(Box<Ty>),
    Named(String),
}

impl Ty {
    pub fn parse(s: &str) -> Result<Ty, String> {
        let s = s.trim();
        if let Some(inner) = s.strip_prefix('[') {
            let inner = inner
                .strip_suffix(']')
                .ok_or_else(|| format!("unclosed array type `{s}`"))?;
            return Ok(Ty::Array(Box::new(Ty::parse(inner)?)));
        }
        if let Some(inner) = s.strip_prefix('{') {
            let inner = inner
                .strip_suffix('}')
                .ok_or_else(|| format!("unclosed map type `{s}`"))?;
            return Ok(Ty::Map(Box::new(Ty::parse(inner)?)));
        }
        Ok(match s {
            "string" => Ty::String,
            "u32" => Ty::U32,
            "u64" => Ty::U64,
            "i32" => Ty::I32,
            "i64" => Ty::I64,
            "f64" => Ty::F64,
            "bool01" => Ty::Bool01,
            "bool" => Ty::Bool,
            "json" => Ty::Json,
            "i64_or_string" => Ty::I64OrString,
            "" => return Err("empty type".into()),
            other => {
                if !crate::names::is_upper_camel(other) {
                    return Err(format!(
                        "unknown type `{other}`: expected string, u32, u64, i32, i64, f64, bool01, bool, json, i64_or_string, [T], {{T}} or a declared type name"
                    ));
                }
                Ty::Named(other.to_owned())
            }
        })
    }
    /// Arrays and maps: absent on the wire means empty.
    pub fn is_collection(&self) -> bool {
        matches!(self, Ty::Array(_) | Ty::Map(_))
    }
    pub fn is_integer(&self) -> bool {
        matches!(self, Ty::U32 | Ty::U64 | Ty::I32 | Ty::I64)
    }
    /// The inclusive range the wire type itself allows, for integer types.
    pub fn int_range(&self) -> Option<(i128, i128)> {
        Some(match self {
            Ty::U32 => (0, u32::MAX as i128),
            Ty::U64 => (0, u64::MAX as i128),
            Ty::I32 => (i32::MIN as i128, i32::MAX as i128),
            Ty::I64 => (i64::MIN as i128, i64::MAX as i128),
            _ => return None,
        })
    }
    pub fn named(&self) -> Option<&str> {
        match self {
            Ty::Named(n) => Some(n),
            Ty::Array(inner) | Ty::Map(inner) => inner.named(),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Limits {
    pub non_empty: bool,
    pub min_items: Option<u64>,
    pub max_items: Option<u64>,
    pub min_bytes: Option<u64>,
    pub max_bytes: Option<u64>,
    /// UTF-8 length of each string of a `[string]`.
    pub item_max_bytes: Option<u64>,
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub max_json_bytes: Option<u64>,
    /// Recorded, not enforced: an older documented ceiling.
    pub legacy_max_json_bytes: Option<u64>,
}

impl Limits {
    pub fn is_empty(&self) -> bool {
        let Limits {
            non_empty,
            min_items,
            max_items,
            min_bytes,
            max_bytes,
            item_max_bytes,
            min,
            max,
            max_json_bytes,
            legacy_max_json_bytes: _,
        } = self;
        !non_empty
            && min_items.is_none()
            && max_items.is_none()
            && min_bytes.is_none()
            && max_bytes.is_none()
            && item_max_bytes.is_none()
            && min.is_none()
            && max.is_none()
            && max_json_bytes.is_none()
    }
}

#[derive(Debug, Clone)]
pub struct Field {
    pub wire: String,
    /// snake_case Rust name (may be a keyword; codegen makes it raw).
    pub rust: String,
    pub ty: Ty,
    pub required: bool,
    pub doc: String,
    pub limits: Limits,
    /// Filled with a fresh random u32 before the first send when unset.
    pub fill_random: bool,
    /// Codes the server answers when this field is invalid (request fields).
    pub codes: FieldCodes,
}

/// Codes the server answers for problems with one field (read from the
/// spec's `codes = { ... }` as is).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldCodes {
    /// Any problem with the field that has no more specific code.
    pub any: Option<i64>,
    /// Wrong JSON type.
    #[serde(rename = "type")]
    pub ty: Option<i64>,
    /// A required field is missing.
    pub missing: Option<i64>,
    pub min_items: Option<i64>,
    pub max_items: Option<i64>,
    pub max_bytes: Option<i64>,
    pub max_json_bytes: Option<i64>,
    pub range: Option<i64>,
}

impl FieldCodes {
    pub fn is_empty(&self) -> bool {
        *self == FieldCodes::default()
    }
    pub fn all(&self) -> impl Iterator<Item = i64> {
        self.entries().into_iter().filter_map(|(_, code)| code)
    }
    /// Each kind of problem by its spec key (`type` for `ty`), with its code.
    pub fn entries(&self) -> [(&'static str, Option<i64>); 8] {
        [
            ("any", self.any),
            ("type", self.ty),
            ("missing", self.missing),
            ("min_items", self.min_items),
            ("max_items", self.max_items),
            ("max_bytes", self.max_bytes),
            ("max_json_bytes", self.max_json_bytes),
            ("range", self.range),
        ]
    }
}

impl Field {
    /// An optional field without limits or doc (for generated examples).
    pub fn plain(wire: &str, ty: Ty) -> Field {
        Field {
            wire: wire.to_owned(),
            rust: crate::names::snake_case(wire),
            ty,
            required: false,
            doc: String::new(),
            limits: Limits::default(),
            fill_random: false,
            codes: FieldCodes::default(),
        }
    }

    /// Whether callers must pass this field to `new()`.
    pub fn in_constructor(&self) -> bool {
        self.required && !self.fill_random
    }
}

#[derive(Debug, Clone)]
pub struct Rate {
    pub per_second: Option<u32>,
    /// The code the server answers beyond the rate.
    pub code: i64,
    /// Wire name of the request field naming the group `per_group_per_second` applies to.
    pub group_key: Option<String>,
    pub per_group_per_second: Option<u32>,
    /// Quotas over longer windows, or counted per item.
    pub quotas: Vec<Quota>,
    pub documented: Vec<String>,
}

/// The window a quota counts over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    Second,
    Minute,
    Hour,
    Day,
}

impl Window {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "second" => Self::Second,
            "minute" => Self::Minute,
            "hour" => Self::Hour,
            "day" => Self::Day,
            _ => return None,
        })
    }
    pub fn seconds(self) -> u64 {
        match self {
            Self::Second => 1,
            Self::Minute => 60,
            Self::Hour => 3600,
            Self::Day => 86400,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Self::Second => "second",
            Self::Minute => "minute",
            Self::Hour => "hour",
            Self::Day => "day",
        }
    }
}

/// At most `limit` calls (or items of `count`) per `per`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quota {
    pub limit: u64,
    pub per: Window,
    /// Wire name of a request array whose items are counted instead of calls.
    pub count: Option<String>,
    /// The code the server answers beyond this quota.
    pub code: i64,
    pub doc: String,
}

impl Default for Rate {
    fn default() -> Self {
        Rate {
            per_second: None,
            code: DEFAULT_RATE_CODE,
            group_key: None,
            per_group_per_second: None,
            quotas: Vec::new(),
            documented: Vec::new(),
        }
    }
}

/// 60007: the public "REST call frequency over the limit" code, answered over
/// the rate by endpoints that do not document a code of their own.
pub const DEFAULT_RATE_CODE: i64 = 60007;
/// 60003: the public "request JSON cannot be parsed" code.
pub const DEFAULT_INVALID_JSON_CODE: i64 = 60003;
/// 70402: the public "invalid parameters" code.
pub const DEFAULT_INVALID_CODE: i64 = 70402;

#[derive(Debug, Clone)]
pub struct EndpointError {
    pub code: i64,
    pub name: String,
    pub retry: RetryClass,
    pub doc: String,
}

/// Paging, by wire names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// `(request field, response field)` pairs copied from each page to the next request.
    pub cursors: Vec<(String, String)>,
    /// A request offset advanced by the number of items received.
    pub offset: Option<String>,
    /// A request field computed from the items received.
    pub from_items: Option<FromItems>,
    /// The response array.
    pub items: String,
    /// A response flag that is non-zero on the last page.
    pub done: Option<String>,
}

/// The next page's request field computed from an integer field of the items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FromItems {
    /// The request field (wire name).
    pub field: String,
    /// The items' field (wire name).
    pub item: String,
    /// `true`: the smallest item minus one (newest first); `false`: the
    /// largest plus one (oldest first).
    pub descending: bool,
}

/// A request list that may be split across calls, by wire names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkSpec {
    pub field: String,
    /// For a list of structs: the string field naming each item.
    pub key: Option<String>,
}

/// Where a response lists the items that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartialFailure {
    /// Wire name of the response array.
    pub list: String,
    /// For a list of structs: the struct's name and the wire names of its
    /// item and code fields. `None` for a plain list of item names.
    pub entry: Option<(String, String, String)>,
    /// Codes that mean the item succeeded; empty: every entry failed.
    pub ok: Vec<i64>,
}

/// A rule between two optional request fields.
#[derive(Debug, Clone)]
pub struct Conflict {
    pub fields: [String; 2],
    pub doc: String,
    /// `false`: not both (`conflicts`); `true`: at least one (`one_of`).
    pub at_least_one: bool,
}

#[derive(Debug, Clone)]
pub struct Endpoint {
    pub service: String,
    pub command: String,
    /// snake_case method and module name.
    pub rust: String,
    pub summary: String,
    pub doc: String,
    pub group_types: Vec<String>,
    pub sources: Vec<String>,
    pub rate: Rate,
    pub errors: Vec<EndpointError>,
    /// The response array listing per-item failures.
    pub partial_failure: Option<PartialFailure>,
    /// A request list that may be split across calls.
    pub chunk: Option<ChunkSpec>,
    /// Cursor paging.
    pub page: Option<Page>,
    pub conflicts: Vec<Conflict>,
    pub aliases: Vec<String>,
    pub partial: bool,
    /// The code answered for a body that is not JSON.
    pub invalid_json_code: i64,
    /// The code answered for an invalid field without a code of its own.
    pub invalid_code: i64,
    pub request: Vec<Field>,
    pub response: Vec<Field>,
    /// The spec file that declared it.
    pub file: String,
}

impl Endpoint {
    pub fn path(&self) -> String {
        format!("{}/{}", self.service, self.command)
    }

    /// The API family it belongs to: the stem of its spec file, with `-`
    /// for `_` (`specs/group_message.toml` -> `group-message`); im-api has
    /// a cargo feature of that name per family.
    pub fn family(&self) -> String {
        family_of(&self.file)
    }
}

/// The family of a spec file path (see [`Endpoint::family`]).
pub fn family_of(file: &str) -> String {
    let name = file.rsplit(['/', '\\']).next().unwrap_or(file);
    name.strip_suffix(".toml").unwrap_or(name).replace('_', "-")
}

/// Whether Tencent lets the event proceed on the app's answer (`before`), or
/// only reports it (`after`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallbackKind {
    Before,
    After,
}

/// A callback command Tencent POSTs to the app.
#[derive(Debug, Clone)]
pub struct Callback {
    /// `C2C.CallbackBeforeSendMsg`.
    pub command: String,
    /// UpperCamel variant name (`C2cBeforeSendMsg`).
    pub variant: String,
    /// snake_case module name.
    pub rust: String,
    pub kind: CallbackKind,
    pub summary: String,
    pub doc: String,
    pub sources: Vec<String>,
    pub peer_sourced: bool,
    /// Optional query parameters sent (`None`: all).
    pub query: Option<Vec<String>>,
    pub request: Vec<Field>,
    pub answer: Vec<Field>,
    /// The ErrorCode that refuses, and what the client then sees.
    pub reject: Option<Reject>,
    /// The ErrorCode that drops the event silently.
    pub drop: Option<i64>,
    /// Custom ErrorCodes passed on to the client.
    pub custom_codes: Option<(i64, i64)>,
    /// On timeout: true when the event proceeds.
    pub proceeds_on_timeout: Option<bool>,
    pub file: String,
}

/// How a before-callback's answer refuses the event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    /// The answer's ErrorCode that refuses.
    pub code: i64,
    /// The code the client then sees, when documented.
    pub result: Option<i64>,
    pub doc: String,
}
