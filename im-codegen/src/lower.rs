//! Parse spec files, lower them into the model and check everything,
//! collecting every problem with its location before giving up.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use toml::Spanned;

use crate::diag::{Ctxt, Diagnostics, Source};
use crate::model::*;
use crate::names;
use crate::raw::*;

/// Parse and check `sources` (this invocation's spec files). `builtin` are the
/// spec files of `im-api` whose types and error codes `sources` may use without
/// declaring them (external mode); pass an empty slice when `sources` already
/// contain them.
pub fn load(sources: &[Source], builtin: &[Source]) -> Result<Spec, Diagnostics> {
    let (spec, diags) = load_partial(sources, builtin);
    if diags.is_empty() {
        Ok(spec)
    } else {
        Err(diags)
    }
}

/// Like [`load`], but also returns the part of the spec that checked out
/// (bad entries and fields dropped), so a macro can still emit it and users
/// see the spec error instead of a cascade of missing items.
pub fn load_partial(sources: &[Source], builtin: &[Source]) -> (Spec, Diagnostics) {
    let mut cx = Ctxt::default();
    let mut parsed = Vec::new();
    for (src, external) in builtin
        .iter()
        .map(|s| (s, true))
        .chain(sources.iter().map(|s| (s, false)))
    {
        match toml::from_str::<RawFile>(&src.text) {
            Ok(raw) => parsed.push((src, raw, external)),
            Err(e) => {
                let offset = e.span().map_or(0, |s| s.start);
                let msg = e.message().trim().to_owned();
                cx.error(src, offset, None, None, msg);
            }
        }
    }
    let mut lw = Lowering {
        cx,
        spec: Spec::default(),
    };
    // Pass 1: names of declared types and the error catalogue.
    let mut type_names: BTreeMap<String, Kind> = BTreeMap::new();
    for (src, raw, external) in &parsed {
        lw.collect_type_names(src, raw, &mut type_names);
        lw.collect_errors(src, raw, *external);
    }
    // Pass 2: type bodies and endpoints, resolving names.
    for (src, raw, external) in &parsed {
        lw.lower_types(src, raw, *external, &type_names);
    }
    let mut paths = HashMap::new();
    let mut rust_names = HashMap::new();
    for (src, raw, external) in &parsed {
        if *external {
            continue;
        }
        for ep in &raw.endpoint {
            lw.lower_endpoint(src, ep, &mut paths, &mut rust_names);
        }
    }
    let Lowering { cx, mut spec } = lw;
    compute_directions(&mut spec);
    (spec, Diagnostics(cx.diags))
}

struct Lowering {
    cx: Ctxt,
    spec: Spec,
}

fn doc_of(doc: &Option<String>) -> String {
    doc.as_deref().unwrap_or("").trim().to_owned()
}

impl Lowering {
    fn collect_type_names(
        &mut self,
        src: &Source,
        raw: &RawFile,
        names_seen: &mut BTreeMap<String, Kind>,
    ) {
        let all = raw
            .structs
            .iter()
            .map(|s| (&s.get_ref().name, Kind::Struct))
            .chain(raw.enums.iter().map(|e| (&e.get_ref().name, Kind::Other)))
            .chain(raw.unions.iter().map(|u| (&u.get_ref().name, Kind::Other)));
        for (name, kind) in all {
            let n = name.get_ref();
            if !names::is_upper_camel(n) {
                self.cx.error(
                    src,
                    name.span().start,
                    Some(&format!("type `{n}`")),
                    None,
                    "type names must be UpperCamelCase Rust identifiers",
                );
            } else if Ty::parse(n) != Ok(Ty::Named(n.clone()))
                || matches!(
                    n.as_str(),
                    "Request" | "Response" | "Error" | "Result" | "Client" | "PublicError"
                )
            {
                self.cx.error(
                    src,
                    name.span().start,
                    Some(&format!("type `{n}`")),
                    None,
                    "this name is reserved",
                );
            } else if names_seen.insert(n.clone(), kind).is_some() {
                self.cx.error(
                    src,
                    name.span().start,
                    Some(&format!("type `{n}`")),
                    None,
                    "duplicate type name: it is declared more than once",
                );
            }
        }
    }

    fn collect_errors(&mut self, src: &Source, raw: &RawFile, external: bool) {
        let mut names_seen: HashMap<String, i64> = self
            .spec
            .errors
            .values()
            .map(|e| (e.name.clone(), e.code))
            .collect();
        for e in &raw.error {
            let e = e.get_ref();
            let code = *e.code.get_ref();
            let entry = format!("error {code}");
            let mut ok = true;
            if code <= 0 {
                self.cx.error(
                    src,
                    e.code.span().start,
                    Some(&entry),
                    None,
                    "error codes must be positive",
                );
                ok = false;
            }
            if !names::is_upper_camel(e.name.get_ref()) {
                self.cx.error(
                    src,
                    e.name.span().start,
                    Some(&entry),
                    None,
                    "error names must be UpperCamelCase",
                );
                ok = false;
            } else if matches!(e.name.get_ref().as_str(), "Public" | "Unknown") {
                self.cx.error(
                    src,
                    e.name.span().start,
                    Some(&entry),
                    None,
                    "`Public` and `Unknown` are reserved variant names",
                );
                ok = false;
            }
            let Some(retry) = RetryClass::parse(e.retry.get_ref()) else {
                self.cx.error(
                    src,
                    e.retry.span().start,
                    Some(&entry),
                    None,
                    format!(
                        "unknown retry class `{}`: expected retryable, rate_limited, resign or permanent",
                        e.retry.get_ref()
                    ),
                );
                continue;
            };
            if self.spec.errors.contains_key(&code) {
                self.cx.error(
                    src,
                    e.code.span().start,
                    Some(&entry),
                    None,
                    "duplicate error code in the catalogue",
                );
                continue;
            }
            if let Some(other) = names_seen.get(e.name.get_ref()) {
                if is_public_code(*other) == is_public_code(code) {
                    self.cx.error(
                        src,
                        e.name.span().start,
                        Some(&entry),
                        None,
                        format!(
                            "error name `{}` is already used by code {other}",
                            e.name.get_ref()
                        ),
                    );
                    continue;
                }
            }
            if ok {
                names_seen.insert(e.name.get_ref().clone(), code);
                self.spec.errors.insert(
                    code,
                    ErrorDef {
                        code,
                        name: e.name.get_ref().clone(),
                        retry,
                        doc: e.doc.trim().to_owned(),
                        external,
                    },
                );
            }
        }
    }

    fn lower_types(
        &mut self,
        src: &Source,
        raw: &RawFile,
        external: bool,
        known: &BTreeMap<String, Kind>,
    ) {
        for s in &raw.structs {
            let s = s.get_ref();
            let entry = format!("struct `{}`", s.name.get_ref());
            let fields = self.lower_fields(src, &entry, &s.fields, known, true, false);
            let directions = self.directions(src, &entry, &s.derive);
            self.spec.types.push(TypeDef::Struct(StructDef {
                name: s.name.get_ref().clone(),
                doc: doc_of(&s.doc),
                fields,
                directions,
                external,
            }));
        }
        for e in &raw.enums {
            let e = e.get_ref();
            let entry = format!("enum `{}`", e.name.get_ref());
            let mut values = Vec::new();
            let mut wires = BTreeSet::new();
            let mut rust = BTreeSet::new();
            if e.values.is_empty() {
                self.cx.error(
                    src,
                    e.name.span().start,
                    Some(&entry),
                    None,
                    "an enum needs at least one value",
                );
            }
            for v in &e.values {
                let v = v.get_ref();
                let wire = v.wire.get_ref();
                let name = v
                    .name
                    .as_ref()
                    .map_or_else(|| names::upper_camel(wire), |n| n.get_ref().clone());
                let at = v
                    .name
                    .as_ref()
                    .map_or(v.wire.span().start, |n| n.span().start);
                if !wires.insert(wire.clone()) {
                    self.cx.error(
                        src,
                        v.wire.span().start,
                        Some(&entry),
                        Some(wire),
                        "duplicate enum wire value",
                    );
                } else if !names::is_upper_camel(&name) || name == "Unknown" {
                    self.cx.error(src, at, Some(&entry), Some(wire), format!("variant name `{name}` is not a usable UpperCamelCase identifier (set `name`)"));
                } else if !rust.insert(name.clone()) {
                    self.cx.error(
                        src,
                        at,
                        Some(&entry),
                        Some(wire),
                        format!("two values map to the variant `{name}` (set `name`)"),
                    );
                } else {
                    values.push(EnumValue {
                        wire: wire.clone(),
                        name,
                        doc: doc_of(&v.doc),
                    });
                }
            }
            let directions = self.directions(src, &entry, &e.derive);
            self.spec.types.push(TypeDef::Enum(EnumDef {
                name: e.name.get_ref().clone(),
                doc: doc_of(&e.doc),
                values,
                directions,
                external,
            }));
        }
        for u in &raw.unions {
            let u = u.get_ref();
            let entry = format!("union `{}`", u.name.get_ref());
            for (what, v) in [("tag", &u.tag), ("content", &u.content)] {
                if v.get_ref().trim().is_empty() {
                    self.cx.error(
                        src,
                        v.span().start,
                        Some(&entry),
                        None,
                        format!("`{what}` must name a wire key"),
                    );
                }
            }
            let mut variants = Vec::new();
            let mut wires = BTreeSet::new();
            let mut rust = BTreeSet::new();
            for v in &u.variants {
                let v = v.get_ref();
                let wire = v.wire.get_ref();
                let name = v
                    .name
                    .as_ref()
                    .map_or_else(|| names::upper_camel(wire), |n| n.get_ref().clone());
                let ty = v.ty.get_ref();
                if !wires.insert(wire.clone()) {
                    self.cx.error(
                        src,
                        v.wire.span().start,
                        Some(&entry),
                        Some(wire),
                        "duplicate variant tag",
                    );
                    continue;
                }
                if !names::is_upper_camel(&name) || name == "Unknown" || !rust.insert(name.clone())
                {
                    self.cx.error(
                        src,
                        v.wire.span().start,
                        Some(&entry),
                        Some(wire),
                        format!("variant name `{name}` is invalid or repeated (set `name`)"),
                    );
                    continue;
                }
                if known.get(ty) != Some(&Kind::Struct) {
                    self.cx.error(
                        src,
                        v.ty.span().start,
                        Some(&entry),
                        Some(wire),
                        format!("unknown type `{ty}`: a union variant must name a declared struct"),
                    );
                    continue;
                }
                variants.push(UnionVariant {
                    wire: wire.clone(),
                    name,
                    ty: ty.clone(),
                    doc: doc_of(&v.doc),
                });
            }
            let directions = self.directions(src, &entry, &u.derive);
            let mut at_most_one = Vec::new();
            for tag in &u.at_most_one {
                match variants.iter().find(|v| &v.wire == tag.get_ref()) {
                    Some(v) => at_most_one.push(v.name.clone()),
                    None => self.cx.error(
                        src,
                        tag.span().start,
                        Some(&entry),
                        Some(tag.get_ref()),
                        "`at_most_one` names no variant tag",
                    ),
                }
            }
            self.spec.types.push(TypeDef::Union(UnionDef {
                at_most_one,
                name: u.name.get_ref().clone(),
                doc: doc_of(&u.doc),
                tag: u.tag.get_ref().clone(),
                content: u.content.get_ref().clone(),
                variants,
                directions,
                external,
            }));
        }
    }

    fn directions(
        &mut self,
        src: &Source,
        entry: &str,
        derive: &Option<Vec<Spanned<String>>>,
    ) -> Directions {
        let mut d = Directions::default();
        for v in derive.iter().flatten() {
            match v.get_ref().as_str() {
                "serialize" => d.ser = true,
                "deserialize" => d.de = true,
                other => self.cx.error(
                    src,
                    v.span().start,
                    Some(entry),
                    None,
                    format!("unknown derive `{other}`: expected serialize or deserialize"),
                ),
            }
        }
        d
    }

    fn lower_fields(
        &mut self,
        src: &Source,
        entry: &str,
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
            let err = |cx: &mut Ctxt, at: usize, msg: String| {
                cx.error(src, at, Some(entry), Some(wire), msg)
            };
            if wire.trim().is_empty() {
                err(&mut self.cx, f.wire.span().start, "empty wire name".into());
                continue;
            }
            if wires.insert(wire.clone(), ()).is_some() {
                err(
                    &mut self.cx,
                    f.wire.span().start,
                    "duplicate wire name".into(),
                );
                continue;
            }
            let rust = match &f.name {
                Some(n) => n.get_ref().clone(),
                None => names::snake_case(wire),
            };
            let name_at = f
                .name
                .as_ref()
                .map_or(f.wire.span().start, |n| n.span().start);
            if !names::is_snake(&rust)
                || names::is_unrawable_keyword(&rust)
                || names::RESERVED_FIELD_NAMES.contains(&rust.as_str())
            {
                err(
                    &mut self.cx,
                    name_at,
                    format!(
                        "Rust name `{rust}` is not a usable snake_case identifier (set `name`)"
                    ),
                );
                continue;
            }
            if let Some(other) = rusts.insert(rust.clone(), wire.clone()) {
                err(
                    &mut self.cx,
                    name_at,
                    format!("Rust name `{rust}` collides with field `{other}` (set `name`)"),
                );
                continue;
            }
            let ty = match Ty::parse(f.ty.get_ref()) {
                Ok(ty) => ty,
                Err(msg) => {
                    err(&mut self.cx, f.ty.span().start, msg);
                    continue;
                }
            };
            if let Some(n) = ty.named() {
                if !known.contains_key(n) {
                    err(
                        &mut self.cx,
                        f.ty.span().start,
                        format!(
                            "unknown type `{n}`{}: declare it as a struct, enum or union",
                            closest(n, known.keys().map(String::as_str))
                                .map(|c| format!(" (did you mean `{c}`?)"))
                                .unwrap_or_default()
                        ),
                    );
                    continue;
                }
            }
            let limits = self.lower_limits(src, entry, wire, f, &ty, request_side);
            let fill_random = match &f.fill {
                None => false,
                Some(v) if v.get_ref() == "random" => {
                    if ty != Ty::U32 {
                        err(
                            &mut self.cx,
                            v.span().start,
                            "`fill = \"random\"` needs type u32".into(),
                        );
                    }
                    if !request_side {
                        err(
                            &mut self.cx,
                            v.span().start,
                            "`fill` applies to request fields only".into(),
                        );
                    }
                    true
                }
                Some(v) => {
                    err(
                        &mut self.cx,
                        v.span().start,
                        format!("unknown fill `{}`: expected \"random\"", v.get_ref()),
                    );
                    false
                }
            };
            let mut codes = FieldCodes::default();
            if let Some(c) = &f.codes {
                if !allow_codes {
                    err(
                        &mut self.cx,
                        c.span().start,
                        "`codes` apply to endpoint request fields only".into(),
                    );
                } else {
                    codes = *c.get_ref();
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

    fn lower_limits(
        &mut self,
        src: &Source,
        entry: &str,
        wire: &str,
        f: &RawField,
        ty: &Ty,
        request_side: bool,
    ) -> Limits {
        let mut l = Limits {
            non_empty: f.non_empty,
            ..Limits::default()
        };
        let bad = |cx: &mut Ctxt, v: &Spanned<i64>, msg: &str| {
            cx.error(src, v.span().start, Some(entry), Some(wire), msg.to_owned())
        };
        let is_array = matches!(ty, Ty::Array(_));
        let is_string = *ty == Ty::String;
        let count =
            |cx: &mut Ctxt, v: &Option<Spanned<i64>>, ok: bool, what: &str| -> Option<u64> {
                let v = v.as_ref()?;
                if !ok {
                    cx.error(
                        src,
                        v.span().start,
                        Some(entry),
                        Some(wire),
                        format!("`{what}` does not apply to type `{}`", f.ty.get_ref()),
                    );
                    return None;
                }
                if *v.get_ref() < 0 {
                    cx.error(
                        src,
                        v.span().start,
                        Some(entry),
                        Some(wire),
                        format!("`{what}` must not be negative"),
                    );
                    return None;
                }
                Some(*v.get_ref() as u64)
            };
        l.min_items = count(&mut self.cx, &f.min_items, is_array, "min_items");
        l.max_items = count(&mut self.cx, &f.max_items, is_array, "max_items");
        l.min_bytes = count(&mut self.cx, &f.min_bytes, is_string, "min_bytes");
        l.max_bytes = count(&mut self.cx, &f.max_bytes, is_string, "max_bytes");
        l.max_json_bytes = count(&mut self.cx, &f.max_json_bytes, true, "max_json_bytes");
        l.legacy_max_json_bytes = count(
            &mut self.cx,
            &f.legacy_max_json_bytes,
            true,
            "legacy_max_json_bytes",
        );
        if f.non_empty && !(is_string || is_array) {
            self.cx.error(
                src,
                f.wire.span().start,
                Some(entry),
                Some(wire),
                "`non_empty` applies to strings and arrays only",
            );
        }
        for (lo, hi, what) in [
            (&f.min_items, &f.max_items, "min_items"),
            (&f.min_bytes, &f.max_bytes, "min_bytes"),
        ] {
            if let (Some(lo), Some(hi)) = (lo, hi) {
                if lo.get_ref() > hi.get_ref() {
                    bad(
                        &mut self.cx,
                        lo,
                        &format!(
                            "`{what}` ({}) is greater than its maximum ({})",
                            lo.get_ref(),
                            hi.get_ref()
                        ),
                    );
                }
            }
        }
        if f.max_items.as_ref().is_some_and(|v| *v.get_ref() == 0) {
            bad(
                &mut self.cx,
                f.max_items.as_ref().unwrap(),
                "`max_items` of 0 allows nothing",
            );
        }
        let range = ty.int_range();
        for (v, slot) in [(&f.min, &mut l.min), (&f.max, &mut l.max)] {
            if let Some(v) = v {
                match range {
                    None => bad(
                        &mut self.cx,
                        v,
                        &format!(
                            "`min`/`max` apply to integer types, not `{}`",
                            f.ty.get_ref()
                        ),
                    ),
                    Some((lo, hi))
                        if (*v.get_ref() as i128) < lo || (*v.get_ref() as i128) > hi =>
                    {
                        bad(
                            &mut self.cx,
                            v,
                            &format!(
                                "{} is outside the range of `{}` ({lo}..={hi})",
                                v.get_ref(),
                                f.ty.get_ref()
                            ),
                        )
                    }
                    Some(_) => *slot = Some(*v.get_ref()),
                }
            }
        }
        if let (Some(lo), Some(hi)) = (&f.min, &f.max) {
            if lo.get_ref() > hi.get_ref() {
                bad(
                    &mut self.cx,
                    lo,
                    &format!(
                        "`min` ({}) is greater than `max` ({})",
                        lo.get_ref(),
                        hi.get_ref()
                    ),
                );
            }
        }
        if !request_side && !l.is_empty() {
            self.cx.error(
                src,
                f.wire.span().start,
                Some(entry),
                Some(wire),
                "limits apply to request fields only: responses are decoded as sent",
            );
            return Limits::default();
        }
        l
    }

    fn lower_endpoint(
        &mut self,
        src: &Source,
        ep: &Spanned<RawEndpoint>,
        paths: &mut HashMap<String, ()>,
        rust_names: &mut HashMap<String, String>,
    ) {
        let e = ep.get_ref();
        let path = format!("{}/{}", e.service.get_ref(), e.command.get_ref());
        let entry = format!("endpoint `{path}`");
        let before = self.cx.diags.len();
        for part in [&e.service, &e.command] {
            if !names::is_ident(part.get_ref()) {
                self.cx.error(
                    src,
                    part.span().start,
                    Some(&entry),
                    None,
                    format!(
                        "`{}` is not a valid path segment (letters, digits and `_`)",
                        part.get_ref()
                    ),
                );
            }
        }
        if paths.insert(path.clone(), ()).is_some() {
            self.cx.error(
                src,
                e.command.span().start,
                Some(&entry),
                None,
                "duplicate endpoint: this service/command is declared twice",
            );
        }
        let rust = e.name.as_ref().map_or_else(
            || names::snake_case(e.command.get_ref()),
            |n| n.get_ref().clone(),
        );
        let rust_at = e
            .name
            .as_ref()
            .map_or(e.command.span().start, |n| n.span().start);
        if !names::is_snake(&rust) || names::is_keyword(&rust) {
            self.cx.error(
                src,
                rust_at,
                Some(&entry),
                None,
                format!("method name `{rust}` is not a usable snake_case identifier (set `name`)"),
            );
        } else if let Some(other) = rust_names.insert(rust.clone(), path.clone()) {
            self.cx.error(
                src,
                rust_at,
                Some(&entry),
                None,
                format!("method name `{rust}` is already used by `{other}` (set `name`)"),
            );
        }
        if e.summary.get_ref().trim().is_empty() {
            self.cx.error(
                src,
                e.summary.span().start,
                Some(&entry),
                None,
                "`summary` must not be empty: it becomes the method's doc",
            );
        }
        const GROUP_TYPES: &[&str] = &[
            "Private",
            "Public",
            "ChatRoom",
            "AVChatRoom",
            "Community",
            "Work",
            "Meeting",
        ];
        for g in &e.group_types {
            if !GROUP_TYPES.contains(&g.get_ref().as_str()) {
                self.cx.error(
                    src,
                    g.span().start,
                    Some(&entry),
                    None,
                    format!(
                        "unknown group type `{}`: expected one of {}",
                        g.get_ref(),
                        GROUP_TYPES.join(", ")
                    ),
                );
            }
        }
        let mut rate = Rate::default();
        if let Some(r) = &e.rate {
            let r = r.get_ref();
            for (v, slot) in [
                (&r.per_second, &mut rate.per_second),
                (&r.per_group_per_second, &mut rate.per_group_per_second),
            ] {
                if let Some(v) = v {
                    if *v.get_ref() <= 0 || *v.get_ref() > u32::MAX as i64 {
                        self.cx.error(
                            src,
                            v.span().start,
                            Some(&entry),
                            None,
                            "a rate must be a positive number of calls per second",
                        );
                    } else {
                        *slot = Some(*v.get_ref() as u32);
                    }
                }
            }
            rate.documented = r.documented.clone();
        }
        let mut errors = Vec::new();
        let mut codes = BTreeSet::new();
        let mut err_names = BTreeSet::new();
        for er in &e.errors {
            let at = er.span().start;
            let (code, name, retry, doc) = match er.get_ref() {
                RawErrorRef::Code(c) => (*c, None, None, None),
                RawErrorRef::Detail(d) => (d.code, d.name.clone(), d.retry.clone(), d.doc.clone()),
            };
            let what = format!("error {code}");
            if is_public_code(code) {
                self.cx.error(src, at, Some(&entry), None, format!("{what} is a public code (60000-79999): every endpoint shares it through `PublicError`, so do not list it"));
                continue;
            }
            if !codes.insert(code) {
                self.cx.error(
                    src,
                    at,
                    Some(&entry),
                    None,
                    format!("{what} is listed twice"),
                );
                continue;
            }
            let cat = self.spec.errors.get(&code);
            let name = match (name, cat) {
                (Some(n), _) => n,
                (None, Some(c)) => c.name.clone(),
                (None, None) => {
                    self.cx.error(src, at, Some(&entry), None, format!("{what} is not in the error catalogue: add it there or give `name`, `retry` and `doc`"));
                    continue;
                }
            };
            let retry = match (retry, cat) {
                (Some(r), _) => match RetryClass::parse(&r) {
                    Some(r) => r,
                    None => {
                        self.cx.error(
                            src,
                            at,
                            Some(&entry),
                            None,
                            format!("{what}: unknown retry class `{r}`"),
                        );
                        continue;
                    }
                },
                (None, Some(c)) => c.retry,
                (None, None) => unreachable!("checked above"),
            };
            if !names::is_upper_camel(&name)
                || name == "Public"
                || name == "Unknown"
                || !err_names.insert(name.clone())
            {
                self.cx.error(
                    src,
                    at,
                    Some(&entry),
                    None,
                    format!("{what}: variant name `{name}` is invalid or repeated"),
                );
                continue;
            }
            let doc = doc
                .or_else(|| cat.map(|c| c.doc.clone()))
                .unwrap_or_default();
            errors.push(EndpointError {
                code,
                name,
                retry,
                doc,
            });
        }
        let known: BTreeMap<String, Kind> = self
            .spec
            .types
            .iter()
            .map(|t| {
                (
                    t.name().to_owned(),
                    if matches!(t, TypeDef::Struct(_)) {
                        Kind::Struct
                    } else {
                        Kind::Other
                    },
                )
            })
            .collect();
        let request = self.lower_fields(src, &entry, &e.request, &known, true, true);
        let response = self.lower_fields(src, &entry, &e.response, &known, false, false);
        // Every code the emulator may answer must be one the endpoint documents.
        let documented = |c: i64| is_public_code(c) || codes.contains(&c);
        let code_at = |c: Option<&Spanned<i64>>, what: &str, default: i64, cx: &mut Ctxt| -> i64 {
            match c {
                None => default,
                Some(v) if documented(*v.get_ref()) => *v.get_ref(),
                Some(v) => {
                    cx.error(
                        src,
                        v.span().start,
                        Some(&entry),
                        None,
                        format!(
                            "`{what}` {} is not among the endpoint's `errors`",
                            v.get_ref()
                        ),
                    );
                    default
                }
            }
        };
        let invalid_json_code = code_at(
            e.invalid_json_code.as_ref(),
            "invalid_json_code",
            DEFAULT_INVALID_JSON_CODE,
            &mut self.cx,
        );
        let invalid_code = code_at(
            e.invalid_code.as_ref(),
            "invalid_code",
            DEFAULT_INVALID_CODE,
            &mut self.cx,
        );
        if let Some(r) = &e.rate {
            let r = r.get_ref();
            rate.code = code_at(
                r.code.as_ref(),
                "rate.code",
                DEFAULT_RATE_CODE,
                &mut self.cx,
            );
            match (&r.group_key, rate.per_group_per_second) {
                (Some(k), Some(_)) => match request.iter().find(|f| &f.wire == k.get_ref()) {
                    Some(f) if f.ty == Ty::String && f.required => {
                        rate.group_key = Some(f.wire.clone())
                    }
                    _ => self.cx.error(
                        src,
                        k.span().start,
                        Some(&entry),
                        Some(k.get_ref()),
                        "`group_key` must name a required string request field",
                    ),
                },
                (Some(k), None) => self.cx.error(
                    src,
                    k.span().start,
                    Some(&entry),
                    None,
                    "`group_key` needs `per_group_per_second`",
                ),
                (None, Some(_)) => self.cx.error(
                    src,
                    entry_span_start(e),
                    Some(&entry),
                    None,
                    "`per_group_per_second` needs `group_key`: the request field naming the group",
                ),
                (None, None) => {}
            }
        }
        for (raw, f) in e.request.iter().filter_map(|r| {
            let r = r.get_ref();
            request
                .iter()
                .find(|f| &f.wire == r.wire.get_ref())
                .map(|f| (r, f))
        }) {
            if let Some(bad) = f.codes.all().find(|c| !documented(*c)) {
                let at = raw
                    .codes
                    .as_ref()
                    .map_or(raw.wire.span().start, |c| c.span().start);
                self.cx.error(
                    src,
                    at,
                    Some(&entry),
                    Some(&f.wire),
                    format!("code {bad} in `codes` is not among the endpoint's `errors`"),
                );
            }
        }
        let partial_failure = e.partial_failure.as_ref().and_then(|p| {
            let at = p.span().start;
            let p = p.get_ref();
            let list = response.iter().find(|f| f.wire == p.list);
            match (list.map(|f| &f.ty), &p.item, &p.code) {
                (Some(Ty::Array(inner)), None, None) if **inner == Ty::String => {
                    return Some(PartialFailure { list: p.list.clone(), entry: None });
                }
                (Some(Ty::Array(inner)), Some(item), Some(code)) => {
                    if let Ty::Named(n) = &**inner {
                        if let Some(TypeDef::Struct(elem)) = self.spec.type_def(n) {
                            let item_ok = elem.fields.iter().any(|f| &f.wire == item && f.ty == Ty::String && f.required);
                            let code_ok = elem.fields.iter().any(|f| &f.wire == code && f.ty.is_integer() && f.required);
                            if item_ok && code_ok {
                                return Some(PartialFailure { list: p.list.clone(), entry: Some((elem.name.clone(), item.clone(), code.clone())) });
                            }
                        }
                    }
                }
                _ => {}
            }
            self.cx.error(src, at, Some(&entry), Some(&p.list), "`partial_failure`: `list` must be a response `[string]`, or an array of structs with `item` (a required string field) and `code` (a required integer field)");
            None
        });
        let page = e.page.as_ref().and_then(|p| {
            let at = p.span().start;
            let p = p.get_ref();
            let mut bad = |msg: String| {
                self.cx.error(src, at, Some(&entry), Some(&p.items), msg);
                None
            };
            let pairs: Vec<(String, String)> = match (&p.cursor, &p.cursors, &p.offset) {
                (Some(c), None, None) => vec![(c.clone(), c.clone())],
                (None, Some(cs), None) if cs.iter().all(|c| c.len() == 2) && !cs.is_empty() => cs.iter().map(|c| (c[0].clone(), c[1].clone())).collect(),
                (None, None, Some(_)) => Vec::new(),
                _ => return bad("`page` needs exactly one of `cursor`, `cursors` (pairs of [request, response] fields) or `offset`".into()),
            };
            let cursor_ok = |f: &Field| f.ty == Ty::String || f.ty.is_integer();
            for (q, r) in &pairs {
                let req = request.iter().find(|f| &f.wire == q);
                let resp = response.iter().find(|f| &f.wire == r);
                match (req, resp) {
                    (Some(q), Some(r)) if cursor_ok(q) && q.ty == r.ty => {}
                    _ => return bad(format!("page cursor `{q}` <- `{r}`: both must exist, as integers or strings of the same type")),
                }
            }
            if let Some(o) = &p.offset {
                if !request.iter().any(|f| &f.wire == o && f.ty == Ty::U32 && !f.required) {
                    return bad(format!("`page.offset` `{o}` must be an optional u32 request field"));
                }
            }
            if !response.iter().any(|f| f.wire == p.items && matches!(f.ty, Ty::Array(_))) {
                return bad(format!("`page.items` `{}` must be a response array", p.items));
            }
            if let Some(d) = &p.done {
                if !response.iter().any(|f| &f.wire == d && (f.ty.is_integer() || f.ty == Ty::Bool01)) {
                    return bad(format!("`page.done` `{d}` must be an integer or bool01 response field"));
                }
            }
            Some(Page { cursors: pairs, offset: p.offset.clone(), items: p.items.clone(), done: p.done.clone() })
        });
        let chunk = e.chunk.as_ref().and_then(|c| {
            let at = c.span().start;
            let (field, key) = match c.get_ref() {
                RawChunk::Field(f) => (f.clone(), None),
                RawChunk::Keyed { field, key } => (field.clone(), Some(key.clone())),
            };
            let f = request.iter().find(|f| f.wire == field);
            let ok = match (f.map(|f| (&f.ty, f.limits.max_items.is_some())), &key) {
                (Some((Ty::Array(inner), true)), None) => **inner == Ty::String,
                (Some((Ty::Array(inner), true)), Some(k)) => match &**inner {
                    Ty::Named(n) => matches!(self.spec.type_def(n), Some(TypeDef::Struct(s)) if s.fields.iter().any(|f| &f.wire == k && f.ty == Ty::String && f.required)),
                    _ => false,
                },
                _ => false,
            };
            if ok {
                Some(ChunkSpec { field, key })
            } else {
                self.cx.error(src, at, Some(&entry), Some(&field), "`chunk` must name a request array with `max_items`: of strings, or of structs with `key` naming a required string field");
                None
            }
        });
        let mut conflicts = Vec::new();
        for c in &e.conflicts {
            let cr = c.get_ref();
            let found: Vec<_> = cr
                .fields
                .iter()
                .filter_map(|w| request.iter().find(|f| &f.wire == w))
                .collect();
            if cr.fields.len() != 2 || found.len() != 2 {
                self.cx.error(
                    src,
                    c.span().start,
                    Some(&entry),
                    None,
                    "a conflict names exactly two request fields by wire name",
                );
                continue;
            }
            if found.iter().any(|f| f.required) {
                self.cx.error(
                    src,
                    c.span().start,
                    Some(&entry),
                    None,
                    "a conflict between fields needs both to be optional",
                );
                continue;
            }
            conflicts.push(Conflict {
                fields: [cr.fields[0].clone(), cr.fields[1].clone()],
                doc: cr.doc.clone(),
            });
        }
        if e.partial {
            for f in e.request.iter().chain(&e.response) {
                let f = f.get_ref();
                let rust = f.name.as_ref().map_or_else(
                    || names::snake_case(f.wire.get_ref()),
                    |n| n.get_ref().clone(),
                );
                if matches!(rust.as_str(), "extra" | "field") {
                    self.cx.error(src, f.wire.span().start, Some(&entry), Some(f.wire.get_ref()), format!("a partial entry keeps `{rust}` for fields it does not model (set `name`)"));
                }
            }
        }
        let aliases = e.aliases.iter().map(|a| a.get_ref().clone()).collect();
        if self.cx.diags.len() != before {
            return;
        }
        self.spec.endpoints.push(Endpoint {
            service: e.service.get_ref().clone(),
            command: e.command.get_ref().clone(),
            rust,
            summary: e.summary.get_ref().trim().to_owned(),
            doc: doc_of(&e.doc),
            group_types: e.group_types.iter().map(|g| g.get_ref().clone()).collect(),
            sources: e.sources.clone(),
            rate,
            errors,
            partial_failure,
            chunk,
            page,
            conflicts,
            aliases,
            partial: e.partial,
            invalid_json_code,
            invalid_code,
            request,
            response,
            file: src.name.clone(),
        });
    }
}

/// The candidate nearest to `name` by edit distance, if it is close.
fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    fn distance(a: &str, b: &str) -> usize {
        let b: Vec<char> = b.chars().collect();
        let mut prev: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut cur = vec![i + 1];
            for (j, cb) in b.iter().enumerate() {
                cur.push(
                    (prev[j] + usize::from(ca != *cb))
                        .min(prev[j + 1] + 1)
                        .min(cur[j] + 1),
                );
            }
            prev = cur;
        }
        prev[b.len()]
    }
    candidates
        .map(|c| (distance(name, c), c))
        .filter(|(d, _)| *d <= 2.max(name.len() / 4))
        .min()
        .map(|(_, c)| c)
}

fn entry_span_start(e: &RawEndpoint) -> usize {
    e.rate
        .as_ref()
        .map_or(e.service.span().start, |r| r.span().start)
}

/// What a declared type name stands for (collected before the bodies).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Struct,
    Other,
}

/// Mark each local type with the serde directions its uses need: reachable
/// from a request means Serialize, from a response means Deserialize.
fn compute_directions(spec: &mut Spec) {
    let mut need: BTreeMap<String, Directions> = BTreeMap::new();
    let mut stack: Vec<(String, bool)> = Vec::new();
    for t in &spec.types {
        let d = match t {
            TypeDef::Struct(s) => s.directions,
            TypeDef::Enum(e) => e.directions,
            TypeDef::Union(u) => u.directions,
        };
        if d.ser {
            stack.push((t.name().to_owned(), true));
        }
        if d.de {
            stack.push((t.name().to_owned(), false));
        }
    }
    for ep in &spec.endpoints {
        for f in &ep.request {
            if let Some(n) = f.ty.named() {
                stack.push((n.to_owned(), true));
            }
        }
        for f in &ep.response {
            if let Some(n) = f.ty.named() {
                stack.push((n.to_owned(), false));
            }
        }
    }
    while let Some((name, ser)) = stack.pop() {
        let d = need.entry(name.clone()).or_default();
        let slot = if ser { &mut d.ser } else { &mut d.de };
        if *slot {
            continue;
        }
        *slot = true;
        match spec.type_def(&name) {
            Some(TypeDef::Struct(s)) => {
                for f in &s.fields {
                    if let Some(n) = f.ty.named() {
                        stack.push((n.to_owned(), ser));
                    }
                }
            }
            Some(TypeDef::Union(u)) => {
                for v in &u.variants {
                    stack.push((v.ty.clone(), ser));
                }
            }
            _ => {}
        }
    }
    for t in &mut spec.types {
        if let Some(d) = need.get(t.name()) {
            *t.directions_mut() = *d;
        }
    }
}
