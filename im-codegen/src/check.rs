//! Cross-reference rules: the parts of an endpoint that name other parts
//! (codes among its errors, cursors among its fields, the chunked list, the
//! failure list, conflicting fields). Run by the lowering once every part of
//! an entry has been lowered on its own, like serde_derive's `internals/check.rs`.

use std::collections::BTreeSet;

use toml::Spanned;

use crate::diag::Scope;
use crate::lower::FailureList;
use crate::model::*;
use crate::raw::{RawField, RawRate};

/// The codes an endpoint may answer: its own errors and the public codes.
pub(crate) struct Documented<'a>(pub &'a BTreeSet<i64>);

impl Documented<'_> {
    pub(crate) fn contains(&self, code: i64) -> bool {
        is_public_code(code) || self.0.contains(&code)
    }
}

/// A code the entry sets (`invalid_json_code`, `rate.code`, ...) must be
/// among the endpoint's errors; `default` when unset or not documented.
pub(crate) fn code(
    scope: &Scope<'_>,
    raw: Option<&Spanned<i64>>,
    what: &str,
    default: i64,
    documented: &Documented<'_>,
) -> i64 {
    match raw {
        None => default,
        Some(v) if documented.contains(*v.get_ref()) => *v.get_ref(),
        Some(v) => {
            scope.error(
                v,
                format!(
                    "`{what}` {} is not among the endpoint's `errors`",
                    v.get_ref()
                ),
            );
            default
        }
    }
}

/// `rate.group_key` names the required string request field that
/// `per_group_per_second` counts by.
pub(crate) fn group_key(
    scope: &Scope<'_>,
    raw: &RawRate,
    rate: &mut Rate,
    request: &[Field],
    entry_at: usize,
) {
    match (&raw.group_key, rate.per_group_per_second) {
        (Some(k), Some(_)) => match request.iter().find(|f| &f.wire == k.get_ref()) {
            Some(f) if f.ty == Ty::String && f.required => rate.group_key = Some(f.wire.clone()),
            _ => scope.field_error(
                k,
                k.get_ref(),
                "`group_key` must name a required string request field",
            ),
        },
        (Some(k), None) => scope.error(k, "`group_key` needs `per_group_per_second`"),
        (None, Some(_)) => scope.error_at(
            entry_at,
            "`per_group_per_second` needs `group_key`: the request field naming the group",
        ),
        (None, None) => {}
    }
}

/// Every code in a field's `codes` is one the endpoint documents.
pub(crate) fn field_codes(
    scope: &Scope<'_>,
    raw: &[Spanned<RawField>],
    request: &[Field],
    documented: &Documented<'_>,
) {
    for (raw, f) in raw.iter().filter_map(|r| {
        let r = r.get_ref();
        request
            .iter()
            .find(|f| &f.wire == r.wire.get_ref())
            .map(|f| (r, f))
    }) {
        if let Some(bad) = f.codes.all().find(|c| !documented.contains(*c)) {
            let at = raw
                .codes
                .as_ref()
                .map_or(raw.wire.span().start, |c| c.span().start);
            scope.field(&f.wire).error_at(
                at,
                format!("code {bad} in `codes` is not among the endpoint's `errors`"),
            );
        }
    }
}

/// The failure list is a response `[string]`, or an array of structs whose
/// `item` is a required string and `code` a required integer.
pub(crate) fn partial_failure(
    scope: &Scope<'_>,
    at: usize,
    p: &FailureList,
    response: &[Field],
    spec: &Spec,
) -> Option<PartialFailure> {
    let list = response.iter().find(|f| f.wire == p.list);
    match (list.map(|f| &f.ty), &p.item, &p.code) {
        (Some(Ty::Array(inner)), None, None) if **inner == Ty::String && p.ok.is_empty() => {
            return Some(PartialFailure {
                list: p.list.clone(),
                entry: None,
                ok: Vec::new(),
            });
        }
        (Some(Ty::Array(inner)), Some(item), Some(code)) => {
            if let Some(TypeDef::Struct(elem)) = match &**inner {
                Ty::Named(n) => spec.type_def(n),
                _ => None,
            } {
                let has = |w: &str, ok: fn(&Ty) -> bool| {
                    elem.fields
                        .iter()
                        .any(|f| f.wire == w && ok(&f.ty) && f.required)
                };
                let int_enum = |t: &Ty| matches!(t, Ty::Named(n) if matches!(spec.type_def(n), Some(TypeDef::Enum(e)) if e.int));
                let is_code = |t: &Ty| t.is_integer() || int_enum(t);
                if has(item, |t| *t == Ty::String)
                    && elem
                        .fields
                        .iter()
                        .any(|f| &f.wire == code && is_code(&f.ty) && f.required)
                {
                    return Some(PartialFailure {
                        list: p.list.clone(),
                        entry: Some((elem.name.clone(), item.clone(), code.clone())),
                        ok: p.ok.clone(),
                    });
                }
            }
        }
        _ => {}
    }
    scope.field(&p.list).error_at(at, "`partial_failure`: `list` must be a response `[string]`, or an array of structs with `item` (a required string field) and `code` (a required integer field); `ok` needs `code`");
    None
}

/// Paging cursors, the offset, the items and the done flag name fields of
/// the right kinds.
pub(crate) fn page(
    scope: &Scope<'_>,
    at: usize,
    page: Page,
    request: &[Field],
    response: &[Field],
    spec: &Spec,
) -> Option<Page> {
    let bad = |msg: String| {
        scope.field(&page.items).error_at(at, msg);
        None
    };
    let cursor_ok = |f: &Field| f.ty == Ty::String || f.ty.is_integer();
    for (q, r) in &page.cursors {
        let req = request.iter().find(|f| &f.wire == q);
        let resp = response.iter().find(|f| &f.wire == r);
        match (req, resp) {
            (Some(q), Some(r)) if cursor_ok(q) && q.ty == r.ty => {}
            _ => return bad(format!("page cursor `{q}` <- `{r}`: both must exist, as integers or strings of the same type")),
        }
    }
    if let Some(o) = &page.offset {
        if !request.iter().any(|f| &f.wire == o && f.ty == Ty::U32) {
            return bad(format!("`page.offset` `{o}` must be a u32 request field"));
        }
    }
    if let Some(fi) = &page.from_items {
        let req = request.iter().find(|f| f.wire == fi.field);
        let item_ty = response
            .iter()
            .find(|f| f.wire == page.items)
            .and_then(|f| match &f.ty {
                Ty::Array(inner) => inner.named().and_then(|n| spec.type_def(n)),
                _ => None,
            })
            .and_then(|t| match t {
                TypeDef::Struct(s) => s.fields.iter().find(|f| f.wire == fi.item && f.required),
                _ => None,
            })
            .map(|f| f.ty.clone());
        match (req, item_ty) {
            (Some(q), Some(t)) if q.ty.is_integer() && q.ty == t => {}
            _ => return bad(format!("`page.from_items`: `{}` must be an integer request field of the same type as the items' required field `{}`", fi.field, fi.item)),
        }
    }
    if !response
        .iter()
        .any(|f| f.wire == page.items && matches!(f.ty, Ty::Array(_)))
    {
        return bad(format!(
            "`page.items` `{}` must be a response array",
            page.items
        ));
    }
    if let Some(d) = &page.done {
        if !response
            .iter()
            .any(|f| &f.wire == d && (f.ty.is_integer() || matches!(f.ty, Ty::Bool01 | Ty::Bool)))
        {
            return bad(format!(
                "`page.done` `{d}` must be an integer or bool01 response field"
            ));
        }
    }
    Some(page)
}

/// The chunked list is a request array with `max_items`: of strings, or of
/// structs whose `key` is a required string field.
pub(crate) fn chunk(
    scope: &Scope<'_>,
    at: usize,
    c: ChunkSpec,
    request: &[Field],
    spec: &Spec,
) -> Option<ChunkSpec> {
    let f = request.iter().find(|f| f.wire == c.field);
    let ok = match (f.map(|f| (&f.ty, f.limits.max_items.is_some())), &c.key) {
        (Some((Ty::Array(inner), true)), None) => **inner == Ty::String,
        (Some((Ty::Array(inner), true)), Some(k)) => match &**inner {
            Ty::Named(n) => {
                matches!(spec.type_def(n), Some(TypeDef::Struct(s)) if s.fields.iter().any(|f| &f.wire == k && f.ty == Ty::String && f.required))
            }
            _ => false,
        },
        _ => false,
    };
    if ok {
        Some(c)
    } else {
        scope.field(&c.field).error_at(at, "`chunk` must name a request array with `max_items`: of strings, or of structs with `key` naming a required string field");
        None
    }
}

/// Both fields of a conflict exist and are optional.
pub(crate) fn conflict(
    scope: &Scope<'_>,
    at: usize,
    fields: [String; 2],
    doc: &str,
    request: &[Field],
) -> Option<Conflict> {
    let found: Vec<_> = fields
        .iter()
        .filter_map(|w| request.iter().find(|f| &f.wire == w))
        .collect();
    if found.len() != 2 {
        scope.error_at(
            at,
            "a conflict names exactly two request fields by wire name",
        );
        return None;
    }
    if found.iter().any(|f| f.required) {
        scope.error_at(at, "a conflict between fields needs both to be optional");
        return None;
    }
    Some(Conflict {
        fields,
        doc: doc.to_owned(),
        at_least_one: false,
    })
}

/// A quota's `count` names a request array; its code (default: the rate's)
/// is among the endpoint's errors.
pub(crate) fn quotas(
    scope: &Scope<'_>,
    raw: &RawRate,
    rate: &mut Rate,
    request: &[Field],
    documented: &Documented<'_>,
) {
    let default = rate.code;
    let mut lowered = rate.quotas.iter_mut();
    for q in &raw.quotas {
        let q = q.get_ref();
        if q.limit.get_ref() <= &0 || crate::model::Window::parse(q.per.get_ref()).is_none() {
            continue; // reported and dropped by the lowering
        }
        let Some(model) = lowered.next() else { break };
        if let Some(c) = &q.count {
            if !request
                .iter()
                .any(|f| &f.wire == c.get_ref() && matches!(f.ty, Ty::Array(_)))
            {
                scope.field_error(
                    c,
                    c.get_ref(),
                    "a quota's `count` must name a request array",
                );
            }
        }
        model.code = code(scope, q.code.as_ref(), "quota code", default, documented);
    }
}
