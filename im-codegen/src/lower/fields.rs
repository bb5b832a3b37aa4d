//! Fields and their limits, for structs and for endpoint requests/responses.

use std::collections::{BTreeMap, HashMap};

use toml::Spanned;

use super::{closest, doc_of, Kind, Lowering};
use crate::diag::Scope;
use crate::model::*;
use crate::names;
use crate::raw::RawField;

impl Lowering<'_> {
    /// Lower a list of fields; a field with a problem is reported and dropped.
    pub(super) fn lower_fields(
        &self,
        scope: &Scope<'_>,
        raw: &[Spanned<RawField>],
        known: &BTreeMap<String, Kind>,
        request_side: bool,
        allow_codes: bool,
    ) -> Vec<Field> {
        let mut out = Vec::new();
        let mut wires: HashMap<String, ()> = HashMap::new();
        let mut rusts: HashMap<String, String> = HashMap::new();
        for f in raw {
            let f = f.get_ref();
            let wire = f.wire.get_ref();
            let fs = scope.field(wire);
            if wire.trim().is_empty() {
                fs.error(&f.wire, "empty wire name");
                continue;
            }
            if wires.insert(wire.clone(), ()).is_some() {
                fs.error(&f.wire, "duplicate wire name");
                continue;
            }
            let Some(rust) = rust_name(&fs, f, &mut rusts) else {
                continue;
            };
            let ty = match Ty::parse(f.ty.get_ref()) {
                Ok(ty) => ty,
                Err(msg) => {
                    fs.error(&f.ty, msg);
                    continue;
                }
            };
            if let Some(n) = ty.named() {
                if !known.contains_key(n) {
                    let hint = closest(n, known.keys().map(String::as_str))
                        .map(|c| format!(" (did you mean `{c}`?)"))
                        .unwrap_or_default();
                    fs.error(
                        &f.ty,
                        format!("unknown type `{n}`{hint}: declare it as a struct, enum or union"),
                    );
                    continue;
                }
            }
            let limits = lower_limits(&fs, f, &ty, request_side);
            let fill_random = fill(&fs, f, &ty, request_side);
            let mut codes = FieldCodes::default();
            if let Some(c) = &f.codes {
                if allow_codes {
                    codes = *c.get_ref();
                } else {
                    fs.error(c, "`codes` apply to endpoint request fields only");
                }
            }
            out.push(Field {
                codes,
                wire: wire.clone(),
                rust,
                ty,
                required: f.required,
                doc: doc_of(&f.doc),
                limits,
                fill_random,
            });
        }
        out
    }
}

/// The field's Rust name (`name`, or the wire name in snake_case), if usable
/// and not taken by another field of the same list.
fn rust_name(fs: &Scope<'_>, f: &RawField, taken: &mut HashMap<String, String>) -> Option<String> {
    let rust = match &f.name {
        Some(n) => n.get_ref().clone(),
        None => names::snake_case(f.wire.get_ref()),
    };
    let at = f
        .name
        .as_ref()
        .map_or(f.wire.span().start, |n| n.span().start);
    if !names::is_snake(&rust)
        || names::is_unrawable_keyword(&rust)
        || names::RESERVED_FIELD_NAMES.contains(&rust.as_str())
    {
        fs.error_at(
            at,
            format!("Rust name `{rust}` is not a usable snake_case identifier (set `name`)"),
        );
        return None;
    }
    if let Some(other) = taken.insert(rust.clone(), f.wire.get_ref().clone()) {
        fs.error_at(
            at,
            format!("Rust name `{rust}` collides with field `{other}` (set `name`)"),
        );
        return None;
    }
    Some(rust)
}

/// `fill = "random"`: a u32 request field filled before the first attempt.
fn fill(fs: &Scope<'_>, f: &RawField, ty: &Ty, request_side: bool) -> bool {
    match &f.fill {
        None => false,
        Some(v) if v.get_ref() == "random" => {
            if *ty != Ty::U32 {
                fs.error(v, "`fill = \"random\"` needs type u32");
            }
            if !request_side {
                fs.error(v, "`fill` applies to request fields only");
            }
            true
        }
        Some(v) => {
            fs.error(
                v,
                format!("unknown fill `{}`: expected \"random\"", v.get_ref()),
            );
            false
        }
    }
}

fn lower_limits(fs: &Scope<'_>, f: &RawField, ty: &Ty, request_side: bool) -> Limits {
    let is_array = matches!(ty, Ty::Array(_));
    let is_string = *ty == Ty::String;
    let count = |v: &Option<Spanned<i64>>, ok: bool, what: &str| -> Option<u64> {
        let v = v.as_ref()?;
        if !ok {
            fs.error(
                v,
                format!("`{what}` does not apply to type `{}`", f.ty.get_ref()),
            );
            return None;
        }
        if *v.get_ref() < 0 {
            fs.error(v, format!("`{what}` must not be negative"));
            return None;
        }
        Some(*v.get_ref() as u64)
    };
    let mut l = Limits {
        non_empty: f.non_empty,
        min_items: count(&f.min_items, is_array, "min_items"),
        max_items: count(&f.max_items, is_array, "max_items"),
        min_bytes: count(&f.min_bytes, is_string, "min_bytes"),
        max_bytes: count(&f.max_bytes, is_string, "max_bytes"),
        item_max_bytes: count(
            &f.item_max_bytes,
            *ty == Ty::Array(Box::new(Ty::String)),
            "item_max_bytes",
        ),
        max_json_bytes: count(&f.max_json_bytes, true, "max_json_bytes"),
        legacy_max_json_bytes: count(&f.legacy_max_json_bytes, true, "legacy_max_json_bytes"),
        ..Limits::default()
    };
    if f.non_empty && !(is_string || is_array) {
        fs.error(&f.wire, "`non_empty` applies to strings and arrays only");
    }
    for (lo, hi, what) in [
        (&f.min_items, &f.max_items, "min_items"),
        (&f.min_bytes, &f.max_bytes, "min_bytes"),
    ] {
        if let (Some(lo), Some(hi)) = (lo, hi) {
            if lo.get_ref() > hi.get_ref() {
                fs.error(
                    lo,
                    format!(
                        "`{what}` ({}) is greater than its maximum ({})",
                        lo.get_ref(),
                        hi.get_ref()
                    ),
                );
            }
        }
    }
    if let Some(v) = f.max_items.as_ref().filter(|v| *v.get_ref() == 0) {
        fs.error(v, "`max_items` of 0 allows nothing");
    }
    (l.min, l.max) = int_range(fs, f, ty);
    if !request_side && !l.is_empty() {
        fs.error(
            &f.wire,
            "limits apply to request fields only: responses are decoded as sent",
        );
        return Limits::default();
    }
    l
}

/// `min` and `max`, checked against the integer type's own range.
fn int_range(fs: &Scope<'_>, f: &RawField, ty: &Ty) -> (Option<i64>, Option<i64>) {
    let range = ty.int_range();
    let mut out = (None, None);
    for (v, slot) in [(&f.min, &mut out.0), (&f.max, &mut out.1)] {
        let Some(v) = v else { continue };
        match range {
            None => fs.error(
                v,
                format!(
                    "`min`/`max` apply to integer types, not `{}`",
                    f.ty.get_ref()
                ),
            ),
            Some((lo, hi)) if (*v.get_ref() as i128) < lo || (*v.get_ref() as i128) > hi => fs
                .error(
                    v,
                    format!(
                        "{} is outside the range of `{}` ({lo}..={hi})",
                        v.get_ref(),
                        f.ty.get_ref()
                    ),
                ),
            Some(_) => *slot = Some(*v.get_ref()),
        }
    }
    if let (Some(lo), Some(hi)) = (&f.min, &f.max) {
        if lo.get_ref() > hi.get_ref() {
            fs.error(
                lo,
                format!(
                    "`min` ({}) is greater than `max` ({})",
                    lo.get_ref(),
                    hi.get_ref()
                ),
            );
        }
    }
    out
}
