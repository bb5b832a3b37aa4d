//! One shape for both sides of a comparison: the fields of a request or a
//! response as a tree of `Node`s, built from the spec's model (here) or from
//! an OpenAPI document (`openapi.rs`), walked in pairs by `zip`.
//!
//! A node's children are keyed by the suffix they add to its path: `.Name`
//! (a field of an object), `[]` and `{}` before it (items of an array, values
//! of a map) and `<tag>` (a variant of a tagged union), so that a path reads
//! `MsgBody[]<TIMTextElem>.Text`. Array items and map values are not entries
//! of their own: their type is part of the parent's (`[string]`), and so are
//! their enum values and byte limit (`item_max_bytes`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use im_codegen::{Field, Spec, Ty, TypeDef, UnionDef, UnionVariant};

/// A type as far as OpenAPI can say it, comparable across both sides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    String,
    /// An integer, with its width when known (`uint32`, `int64`, ...).
    Integer(Option<String>),
    Number,
    Boolean,
    /// An integer that is 0 or 1.
    Bool01,
    /// Any JSON value.
    Any,
    /// An integer, or the same as a decimal string.
    IntOrString,
    /// An object with named fields (its children).
    Object,
    /// A union tagged by the named key (its variants are children).
    Union(String),
    Array(Box<Kind>),
    Map(Box<Kind>),
    /// A declared type, not expanded (diffs compare types on their own).
    Ref(String),
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Kind::String => f.write_str("string"),
            Kind::Integer(Some(w)) => write!(f, "integer({w})"),
            Kind::Integer(None) => f.write_str("integer"),
            Kind::Number => f.write_str("number"),
            Kind::Boolean => f.write_str("boolean"),
            Kind::Bool01 => f.write_str("bool01"),
            Kind::Any => f.write_str("json"),
            Kind::IntOrString => f.write_str("i64_or_string"),
            Kind::Object => f.write_str("object"),
            Kind::Union(tag) => write!(f, "union by {tag}"),
            Kind::Array(inner) => write!(f, "[{inner}]"),
            Kind::Map(inner) => write!(f, "{{{inner}}}"),
            Kind::Ref(name) => f.write_str(name),
        }
    }
}

/// Whether two kinds describe the same wire values, allowing for what one
/// document leaves unsaid: an integer without width, `json` for anything, a
/// 0/1 flag for an integer, a number-or-string for either.
pub fn compatible(a: &Kind, b: &Kind) -> bool {
    match (a, b) {
        (Kind::Array(x), Kind::Array(y)) | (Kind::Map(x), Kind::Map(y)) => compatible(x, y),
        (Kind::Any, _) | (_, Kind::Any) => true,
        (Kind::Integer(x), Kind::Integer(y)) => x.is_none() || y.is_none() || x == y,
        (Kind::Integer(_), Kind::Bool01) | (Kind::Bool01, Kind::Integer(_)) => true,
        (Kind::IntOrString, Kind::Integer(_) | Kind::String)
        | (Kind::Integer(_) | Kind::String, Kind::IntOrString) => true,
        _ => a == b,
    }
}

/// Limits by their spec key (`max_items`, `max_bytes`, ...; `non_empty` and
/// `fill_random` as 1).
pub type LimitMap = BTreeMap<&'static str, i128>;

/// What both sides say about one field (or union variant).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldInfo {
    pub kind: Kind,
    pub required: bool,
    pub limits: LimitMap,
    /// The enum values (wire forms) of an enum type, or of an array's items.
    pub values: Option<BTreeSet<String>>,
    /// A union variant rather than a field.
    pub variant: bool,
    pub doc: String,
    /// The declared type (spec) or component schema (OpenAPI) it refers to.
    pub type_name: Option<String>,
}

/// A field and what it contains.
#[derive(Debug, Clone)]
pub struct Node {
    pub info: FieldInfo,
    pub children: Fields,
}

/// Fields (or sub-entries) keyed by name (or path suffix), in order.
pub type Fields = Vec<(String, Node)>;

impl Node {
    /// How many entries lie below this one.
    pub fn nested(&self) -> usize {
        self.children.iter().map(|(_, c)| 1 + c.nested()).sum()
    }
}

/// Two trees walked together.
#[derive(Debug)]
pub enum Pair<'l, 'r> {
    /// Only on the left, with everything below it.
    Left(String, &'l Node),
    /// Only on the right, with everything below it.
    Right(String, &'r Node),
    Both(String, &'l Node, &'r Node),
}

/// Pair up `left` and `right` by key, recursing into entries on both sides;
/// an entry on one side only is reported once, not its children.
pub fn zip<'l, 'r>(
    prefix: &str,
    left: &'l [(String, Node)],
    right: &'r [(String, Node)],
    out: &mut Vec<Pair<'l, 'r>>,
) {
    for (key, l) in left {
        let path = format!("{prefix}{key}");
        match right.iter().find(|(k, _)| k == key) {
            Some((_, r)) => {
                out.push(Pair::Both(path.clone(), l, r));
                zip(&path, &l.children, &r.children, out);
            }
            None => out.push(Pair::Left(path, l)),
        }
    }
    for (key, r) in right {
        if !left.iter().any(|(k, _)| k == key) {
            out.push(Pair::Right(format!("{prefix}{key}"), r));
        }
    }
}

/// Keys of the response envelope, compared by neither side.
pub const ENVELOPE: &[&str] = &[
    "ActionStatus",
    "ErrorCode",
    "ErrorInfo",
    "ErrorDisplay",
    "RequestId",
];

/// Builds trees from the spec's model.
pub struct FromModel<'a> {
    spec: &'a Spec,
    /// Expand declared types into their fields (import), or leave them as
    /// `Kind::Ref` leaves (diff).
    expand: bool,
    /// Declared types being expanded, to stop at recursion.
    stack: Vec<String>,
}

impl<'a> FromModel<'a> {
    pub fn new(spec: &'a Spec, expand: bool) -> Self {
        FromModel {
            spec,
            expand,
            stack: Vec::new(),
        }
    }

    /// The fields of a request, response or struct, keyed by wire name.
    pub fn fields(&mut self, fields: &[Field]) -> Fields {
        fields
            .iter()
            .map(|f| (f.wire.clone(), self.field(f)))
            .collect()
    }

    /// The variants of a union, keyed `<tag>`.
    pub fn variants(&mut self, u: &UnionDef) -> Fields {
        u.variants
            .iter()
            .map(|v| (format!("<{}>", v.wire), self.variant(v)))
            .collect()
    }

    fn field(&mut self, f: &Field) -> Node {
        let info = FieldInfo {
            kind: self.kind(&f.ty),
            required: f.required,
            limits: limits_of(f),
            values: self.values(&f.ty),
            variant: false,
            doc: f.doc.clone(),
            type_name: f.ty.named().map(str::to_owned),
        };
        Node {
            info,
            children: self.children(&f.ty, ""),
        }
    }

    fn variant(&mut self, v: &UnionVariant) -> Node {
        let info = FieldInfo {
            kind: self.kind(&v.ty),
            required: false,
            limits: LimitMap::new(),
            values: self.values(&v.ty),
            variant: true,
            doc: v.doc.clone(),
            type_name: v.ty.named().map(str::to_owned),
        };
        Node {
            info,
            children: self.children(&v.ty, ""),
        }
    }

    /// What a value of type `ty` contains, keys prefixed with `prefix`
    /// (`[]`, `{}` for the items of arrays and maps).
    fn children(&mut self, ty: &Ty, prefix: &str) -> Fields {
        match ty {
            Ty::Array(inner) => self.children(inner, &format!("{prefix}[]")),
            Ty::Map(inner) => self.children(inner, &format!("{prefix}{{}}")),
            Ty::Named(name) if self.expand && !self.stack.contains(name) => {
                self.named_children(name, prefix)
            }
            _ => Vec::new(),
        }
    }

    fn named_children(&mut self, name: &str, prefix: &str) -> Fields {
        let spec = self.spec;
        let Some(def) = spec.type_def(name) else {
            return Vec::new();
        };
        self.stack.push(name.to_owned());
        let out = match def {
            TypeDef::Struct(s) => s
                .fields
                .iter()
                .map(|f| (format!("{prefix}.{}", f.wire), self.field(f)))
                .collect(),
            TypeDef::Enum(_) => Vec::new(),
            TypeDef::Union(u) => u
                .variants
                .iter()
                .map(|v| (format!("{prefix}<{}>", v.wire), self.variant(v)))
                .collect(),
        };
        self.stack.pop();
        out
    }

    fn kind(&self, ty: &Ty) -> Kind {
        match ty {
            Ty::String => Kind::String,
            Ty::U32 => Kind::Integer(Some("uint32".into())),
            Ty::U64 => Kind::Integer(Some("uint64".into())),
            Ty::I32 => Kind::Integer(Some("int32".into())),
            Ty::I64 => Kind::Integer(Some("int64".into())),
            Ty::F64 => Kind::Number,
            Ty::Bool01 => Kind::Bool01,
            Ty::Bool => Kind::Boolean,
            Ty::Json => Kind::Any,
            Ty::I64OrString => Kind::IntOrString,
            Ty::Array(inner) => Kind::Array(Box::new(self.kind(inner))),
            Ty::Map(inner) => Kind::Map(Box::new(self.kind(inner))),
            Ty::Named(name) if !self.expand => Kind::Ref(name.clone()),
            Ty::Named(name) => match self.spec.type_def(name) {
                Some(TypeDef::Struct(_)) => Kind::Object,
                Some(TypeDef::Enum(e)) if e.int => Kind::Integer(None),
                Some(TypeDef::Enum(_)) => Kind::String,
                Some(TypeDef::Union(u)) => Kind::Union(u.tag.clone()),
                None => Kind::Any,
            },
        }
    }

    fn values(&self, ty: &Ty) -> Option<BTreeSet<String>> {
        match ty {
            Ty::Array(inner) => self.values(inner),
            Ty::Named(name) if self.expand => match self.spec.type_def(name) {
                Some(TypeDef::Enum(e)) => Some(e.values.iter().map(|v| v.wire.clone()).collect()),
                _ => None,
            },
            _ => None,
        }
    }
}

/// A field's limits by spec key. `non_empty` on an array is its
/// `min_items` of at least 1 (as OpenAPI's `minItems` says it).
pub fn limits_of(f: &Field) -> LimitMap {
    let l = &f.limits;
    let mut m = LimitMap::new();
    let is_array = matches!(f.ty, Ty::Array(_));
    let min_items = if is_array && l.non_empty {
        Some(l.min_items.unwrap_or(0).max(1))
    } else {
        l.min_items
    };
    put(&mut m, "min_items", min_items.map(i128::from));
    put(&mut m, "max_items", l.max_items.map(i128::from));
    put(&mut m, "min_bytes", l.min_bytes.map(i128::from));
    put(&mut m, "max_bytes", l.max_bytes.map(i128::from));
    put(&mut m, "item_max_bytes", l.item_max_bytes.map(i128::from));
    put(&mut m, "min", l.min.map(i128::from));
    put(&mut m, "max", l.max.map(i128::from));
    put(&mut m, "max_json_bytes", l.max_json_bytes.map(i128::from));
    put(
        &mut m,
        "legacy_max_json_bytes",
        l.legacy_max_json_bytes.map(i128::from),
    );
    if l.non_empty && !is_array {
        m.insert("non_empty", 1);
    }
    if f.fill_random {
        m.insert("fill_random", 1);
    }
    m
}

pub fn put(m: &mut LimitMap, key: &'static str, value: Option<i128>) {
    if let Some(v) = value {
        m.insert(key, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(kind: Kind) -> Node {
        Node {
            info: FieldInfo {
                kind,
                required: false,
                limits: LimitMap::new(),
                values: None,
                variant: false,
                doc: String::new(),
                type_name: None,
            },
            children: Vec::new(),
        }
    }

    #[test]
    fn compatible_allows_what_a_document_leaves_unsaid() {
        let int = |w: &str| Kind::Integer(Some(w.into()));
        assert!(compatible(&Kind::Integer(None), &int("uint32")));
        assert!(!compatible(&int("int64"), &int("uint32")));
        assert!(compatible(&Kind::Bool01, &int("uint32")));
        assert!(compatible(&Kind::Any, &Kind::Object));
        assert!(compatible(&Kind::IntOrString, &Kind::String));
        assert!(compatible(
            &Kind::Array(Box::new(Kind::Integer(None))),
            &Kind::Array(Box::new(int("uint64")))
        ));
        assert!(!compatible(&Kind::String, &Kind::Integer(None)));
        assert!(!compatible(
            &Kind::Array(Box::new(Kind::String)),
            &Kind::Map(Box::new(Kind::String))
        ));
    }

    #[test]
    fn kinds_read_like_spec_types() {
        let k = Kind::Array(Box::new(Kind::Map(Box::new(Kind::Integer(Some(
            "uint32".into(),
        ))))));
        assert_eq!(k.to_string(), "[{integer(uint32)}]");
        assert_eq!(
            Kind::Union("MsgType".into()).to_string(),
            "union by MsgType"
        );
    }

    #[test]
    fn zip_reports_one_sided_subtrees_once() {
        let mut a = leaf(Kind::Object);
        a.children.push((".X".into(), leaf(Kind::String)));
        a.children.push((".Y".into(), leaf(Kind::String)));
        let mut b = leaf(Kind::Object);
        b.children.push((".X".into(), leaf(Kind::String)));
        let mut only = leaf(Kind::Object);
        only.children.push((".Z".into(), leaf(Kind::String)));
        let left = [("A".to_owned(), a)];
        let right = [("A".to_owned(), b), ("B".to_owned(), only)];
        let mut pairs = Vec::new();
        zip("", &left, &right, &mut pairs);
        let text: Vec<String> = pairs
            .iter()
            .map(|p| match p {
                Pair::Left(p, n) => format!("left {p} +{}", n.nested()),
                Pair::Right(p, n) => format!("right {p} +{}", n.nested()),
                Pair::Both(p, _, _) => format!("both {p}"),
            })
            .collect();
        assert_eq!(text, ["both A", "both A.X", "left A.Y +0", "right B +1"]);
    }
}
