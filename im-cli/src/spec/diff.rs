//! `im spec diff OLD NEW`: the API change between two versions of the spec
//! (directories, or git revisions read with `git show REV:specs/FILE`), as
//! Markdown for release notes:
//!
//! - breaking: a removed endpoint, alias, callback, type, field, union
//!   variant or enum value; a new required request field; a field that
//!   became required in requests or optional in responses; a changed type; a
//!   tighter limit on a request field, a lower rate or a new quota; a new
//!   conflict between request fields;
//! - additive: new endpoints, types, fields, variants and values; looser
//!   limits and rates;
//! - other: documented error codes, paging, chunking, partial-failure
//!   lists, recorded-only limits.
//!
//! A type is judged by where it is used: as a request when requests reach
//! it, as a response when responses do, and by the stricter rule when both
//! do. Callback requests are what the app reads (response rules), their
//! answers what it sends (request rules). Exit code 1 when anything is
//! breaking.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use im_codegen::{Directions, Endpoint, EnumDef, Rate, Source, Spec, TypeDef};

use super::tree::{zip, FieldInfo, FromModel, Node, Pair};
use super::{load, read_sources, FOUND};
use crate::{invalid, Exit};

pub fn run(old: &str, new: &str, dir: &Path) -> Exit {
    let (old_spec, new_spec) = match (side(old, dir), side(new, dir)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return invalid(e),
    };
    let mut c = Changes::default();
    endpoints(&old_spec, &new_spec, &mut c);
    types(&old_spec, &new_spec, &mut c);
    callbacks(&old_spec, &new_spec, &mut c);
    outln!("{}", c.markdown(old, new).trim_end());
    if c.breaking.is_empty() {
        Exit::Ok
    } else {
        FOUND
    }
}

/// A spec directory, or the spec files of a git revision.
fn side(arg: &str, dir: &Path) -> Result<Spec, String> {
    let path = Path::new(arg);
    if path.is_dir() {
        return load(&read_sources(path)?, arg);
    }
    let sources = git_sources(arg, dir)?;
    load(&sources, &format!("{arg}:{}", dir.display()))
}

fn git_sources(rev: &str, dir: &Path) -> Result<Vec<Source>, String> {
    git(&[
        "rev-parse",
        "--verify",
        "--quiet",
        &format!("{rev}^{{commit}}"),
    ])
    .map_err(|_| format!("`{rev}` is neither a spec directory nor a git revision"))?;
    let pathspec = format!("{}/", dir.display().to_string().trim_end_matches('/'));
    let list = git(&[
        "ls-tree",
        "--full-name",
        "--name-only",
        rev,
        "--",
        &pathspec,
    ])?;
    let mut files: Vec<&str> = list.lines().filter(|l| l.ends_with(".toml")).collect();
    files.sort_unstable();
    if files.is_empty() {
        return Err(format!("no .toml spec files in {rev}:{pathspec}"));
    }
    files
        .iter()
        .map(|f| {
            let text = git(&["show", &format!("{rev}:{f}")])?;
            Ok(Source {
                name: format!("{rev}:{f}"),
                text,
            })
        })
        .collect()
}

fn git(args: &[&str]) -> Result<String, String> {
    let out = Command::new("git")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    String::from_utf8(out.stdout)
        .map_err(|_| format!("git {}: output is not UTF-8", args.join(" ")))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Breaking,
    Additive,
    Other,
}

#[derive(Debug, Default)]
struct Changes {
    breaking: Vec<String>,
    additive: Vec<String>,
    other: Vec<String>,
}

impl Changes {
    fn note(&mut self, class: Class, line: String) {
        match class {
            Class::Breaking => self.breaking.push(line),
            Class::Additive => self.additive.push(line),
            Class::Other => self.other.push(line),
        }
    }

    fn markdown(&self, old: &str, new: &str) -> String {
        let mut s = format!("# API changes from `{old}` to `{new}`\n\n");
        if self.breaking.is_empty() && self.additive.is_empty() && self.other.is_empty() {
            s.push_str("No API changes.\n");
            return s;
        }
        let _ = writeln!(
            s,
            "{} breaking, {} additive, {} other.",
            self.breaking.len(),
            self.additive.len(),
            self.other.len()
        );
        let sections = [
            ("Breaking changes", &self.breaking),
            ("Additions", &self.additive),
            ("Other changes", &self.other),
        ];
        for (title, list) in sections {
            if list.is_empty() {
                continue;
            }
            let _ = writeln!(s, "\n## {title}\n");
            for line in list {
                let _ = writeln!(s, "- {line}");
            }
        }
        s
    }
}

/// Which rules apply to a field: a request's, a response's, or both.
#[derive(Debug, Clone, Copy)]
struct Sides {
    request: bool,
    response: bool,
}

const REQUEST: Sides = Sides {
    request: true,
    response: false,
};
const RESPONSE: Sides = Sides {
    request: false,
    response: true,
};

fn endpoints(old: &Spec, new: &Spec, c: &mut Changes) {
    for o in &old.endpoints {
        match new.endpoints.iter().find(|n| n.path() == o.path()) {
            Some(n) => endpoint(old, new, o, n, c),
            None => c.note(Class::Breaking, format!("`{}`: endpoint removed", o.path())),
        }
    }
    for n in &new.endpoints {
        if !old.endpoints.iter().any(|o| o.path() == n.path()) {
            c.note(
                Class::Additive,
                format!("`{}`: new endpoint: {}", n.path(), n.summary),
            );
        }
    }
}

fn endpoint(os: &Spec, ns: &Spec, o: &Endpoint, n: &Endpoint, c: &mut Changes) {
    let at = format!("`{}`", o.path());
    set_change(
        c,
        &at,
        "alias",
        &o.aliases,
        &n.aliases,
        (Class::Breaking, Class::Additive),
    );
    rate(c, &at, &o.rate, &n.rate);
    let conflicts = |e: &Endpoint| -> Vec<String> {
        e.conflicts
            .iter()
            .map(|x| {
                let mut f = x.fields.to_vec();
                f.sort();
                f.join(" / ")
            })
            .collect()
    };
    let conflict_classes = (Class::Additive, Class::Breaking);
    set_change(
        c,
        &at,
        "conflict",
        &conflicts(o),
        &conflicts(n),
        conflict_classes,
    );
    let codes =
        |e: &Endpoint| -> Vec<String> { e.errors.iter().map(|x| x.code.to_string()).collect() };
    let code_classes = (Class::Other, Class::Other);
    set_change(
        c,
        &at,
        "documented error code",
        &codes(o),
        &codes(n),
        code_classes,
    );
    let meta = [
        ("paging", o.page != n.page),
        ("chunking", o.chunk != n.chunk),
        (
            "partial-failure list",
            o.partial_failure != n.partial_failure,
        ),
        (
            "invalid-JSON code",
            o.invalid_json_code != n.invalid_json_code,
        ),
        ("invalid-field code", o.invalid_code != n.invalid_code),
    ];
    for (what, changed) in meta {
        if changed {
            c.note(Class::Other, format!("{at}: {what} changed"));
        }
    }
    let (mut om, mut nm) = (FromModel::new(os, false), FromModel::new(ns, false));
    let (req_o, req_n) = (om.fields(&o.request), nm.fields(&n.request));
    fields(c, &at, "request field", &req_o, &req_n, REQUEST);
    let (resp_o, resp_n) = (om.fields(&o.response), nm.fields(&n.response));
    fields(c, &at, "response field", &resp_o, &resp_n, RESPONSE);
}

/// Items removed from and added to a list, classed `(removed, added)`.
fn set_change(
    c: &mut Changes,
    at: &str,
    what: &str,
    old: &[String],
    new: &[String],
    (removed, added): (Class, Class),
) {
    for x in old.iter().filter(|x| !new.contains(x)) {
        c.note(removed, format!("{at}: {what} `{x}` removed"));
    }
    for x in new.iter().filter(|x| !old.contains(x)) {
        c.note(added, format!("{at}: {what} `{x}` added"));
    }
}

fn rate(c: &mut Changes, at: &str, o: &Rate, n: &Rate) {
    let per_second = (o.per_second.map(u64::from), n.per_second.map(u64::from));
    ceiling(c, &format!("{at}: rate per second"), per_second);
    let per_group = (
        o.per_group_per_second.map(u64::from),
        n.per_group_per_second.map(u64::from),
    );
    ceiling(c, &format!("{at}: rate per group per second"), per_group);
    let key = |q: &im_codegen::Quota| {
        let counted = q
            .count
            .as_deref()
            .map(|f| format!(" of `{f}`"))
            .unwrap_or_default();
        format!("quota per {}{counted}", q.per.name())
    };
    for q in &o.quotas {
        match n.quotas.iter().find(|x| key(x) == key(q)) {
            Some(x) => ceiling(
                c,
                &format!("{at}: {}", key(q)),
                (Some(q.limit), Some(x.limit)),
            ),
            None => c.note(Class::Additive, format!("{at}: {} removed", key(q))),
        }
    }
    for x in &n.quotas {
        if !o.quotas.iter().any(|q| key(q) == key(x)) {
            c.note(
                Class::Breaking,
                format!("{at}: new {} of {}", key(x), x.limit),
            );
        }
    }
}

/// A ceiling that went down (or appeared) is tighter.
fn ceiling(c: &mut Changes, what: &str, (old, new): (Option<u64>, Option<u64>)) {
    match (old, new) {
        (Some(a), Some(b)) if b < a => {
            c.note(Class::Breaking, format!("{what} lowered from {a} to {b}"))
        }
        (Some(a), Some(b)) if b > a => {
            c.note(Class::Additive, format!("{what} raised from {a} to {b}"))
        }
        (None, Some(b)) => c.note(Class::Breaking, format!("{what}: new limit {b}")),
        (Some(a), None) => c.note(Class::Additive, format!("{what}: limit {a} removed")),
        _ => {}
    }
}

/// Fields (or variants) of one list, old and new.
fn fields(
    c: &mut Changes,
    at: &str,
    what: &str,
    old: &[(String, Node)],
    new: &[(String, Node)],
    sides: Sides,
) {
    let mut pairs = Vec::new();
    zip("", old, new, &mut pairs);
    for pair in pairs {
        match pair {
            Pair::Left(path, node) => c.note(
                Class::Breaking,
                format!("{at}: {} `{path}` removed", entry(what, &node.info)),
            ),
            Pair::Right(path, node) => {
                let i = &node.info;
                let required = i.required && !i.variant;
                let class = if required && sides.request {
                    Class::Breaking
                } else {
                    Class::Additive
                };
                let req = if required { "required " } else { "" };
                c.note(
                    class,
                    format!("{at}: new {req}{} `{path}` ({})", entry(what, i), i.kind),
                );
            }
            Pair::Both(path, o, n) => {
                let label = format!("{at}: {} `{path}`", entry(what, &o.info));
                field(c, &label, &o.info, &n.info, sides);
            }
        }
    }
}

fn entry<'a>(what: &'a str, i: &FieldInfo) -> &'a str {
    if i.variant {
        "variant"
    } else {
        what
    }
}

fn field(c: &mut Changes, label: &str, o: &FieldInfo, n: &FieldInfo, sides: Sides) {
    if o.kind != n.kind {
        c.note(
            Class::Breaking,
            format!("{label}: type changed from {} to {}", o.kind, n.kind),
        );
    }
    match (o.required, n.required) {
        (false, true) => {
            let class = if sides.request {
                Class::Breaking
            } else {
                Class::Additive
            };
            c.note(class, format!("{label}: now required"));
        }
        (true, false) => {
            let class = if sides.response {
                Class::Breaking
            } else {
                Class::Additive
            };
            c.note(class, format!("{label}: no longer required"));
        }
        _ => {}
    }
    limits(c, label, o, n, sides);
    if let (Some(a), Some(b)) = (&o.values, &n.values) {
        for v in a.difference(b) {
            c.note(
                Class::Breaking,
                format!("{label}: enum value `{v}` removed"),
            );
        }
        for v in b.difference(a) {
            c.note(Class::Additive, format!("{label}: enum value `{v}` added"));
        }
    }
}

fn limits(c: &mut Changes, label: &str, o: &FieldInfo, n: &FieldInfo, sides: Sides) {
    let keys: BTreeSet<&'static str> = o.limits.keys().chain(n.limits.keys()).copied().collect();
    for k in keys {
        let (a, b) = (o.limits.get(k).copied(), n.limits.get(k).copied());
        if a == b {
            continue;
        }
        let shown = |v: Option<i128>| v.map_or_else(|| "none".to_owned(), |v| v.to_string());
        let text = format!("{label}: {k} changed from {} to {}", shown(a), shown(b));
        let tighter = match k {
            "legacy_max_json_bytes" | "fill_random" => {
                c.note(Class::Other, text);
                continue;
            }
            "min_items" | "min_bytes" | "non_empty" => b.unwrap_or(0) > a.unwrap_or(0),
            "min" => match (a, b) {
                (Some(x), Some(y)) => y > x,
                (old, _) => old.is_none(),
            },
            _ => match (a, b) {
                (Some(x), Some(y)) => y < x,
                (old, _) => old.is_none(),
            },
        };
        let class = match (tighter, sides.request) {
            (false, _) => Class::Additive,
            (true, true) => Class::Breaking,
            (true, false) => Class::Other,
        };
        c.note(class, text);
    }
}

fn directions(t: &TypeDef) -> Directions {
    match t {
        TypeDef::Struct(s) => s.directions,
        TypeDef::Enum(e) => e.directions,
        TypeDef::Union(u) => u.directions,
    }
}

fn kind_name(t: &TypeDef) -> &'static str {
    match t {
        TypeDef::Struct(_) => "struct",
        TypeDef::Enum(_) => "enum",
        TypeDef::Union(_) => "union",
    }
}

fn types(os: &Spec, ns: &Spec, c: &mut Changes) {
    for o in os.types.iter().filter(|t| !t.external()) {
        match ns.type_def(o.name()) {
            Some(n) => type_change(os, ns, o, n, c),
            None => c.note(Class::Breaking, format!("type `{}` removed", o.name())),
        }
    }
    for n in ns.types.iter().filter(|t| !t.external()) {
        if os.type_def(n.name()).is_none() {
            c.note(Class::Additive, format!("type `{}` added", n.name()));
        }
    }
}

fn type_change(os: &Spec, ns: &Spec, o: &TypeDef, n: &TypeDef, c: &mut Changes) {
    let at = format!("type `{}`", o.name());
    let (d_old, d_new) = (directions(o), directions(n));
    let mut sides = Sides {
        request: d_old.ser || d_new.ser,
        response: d_old.de || d_new.de,
    };
    if !sides.request && !sides.response {
        sides = Sides {
            request: true,
            response: true,
        };
    }
    let (mut om, mut nm) = (FromModel::new(os, false), FromModel::new(ns, false));
    match (o, n) {
        (TypeDef::Struct(a), TypeDef::Struct(b)) => {
            let (fo, fnew) = (om.fields(&a.fields), nm.fields(&b.fields));
            fields(c, &at, "field", &fo, &fnew, sides);
        }
        (TypeDef::Enum(a), TypeDef::Enum(b)) => {
            if a.int != b.int {
                c.note(
                    Class::Breaking,
                    format!("{at}: wire values changed between strings and integers"),
                );
            }
            let wires =
                |e: &EnumDef| -> Vec<String> { e.values.iter().map(|v| v.wire.clone()).collect() };
            set_change(
                c,
                &at,
                "value",
                &wires(a),
                &wires(b),
                (Class::Breaking, Class::Additive),
            );
        }
        (TypeDef::Union(a), TypeDef::Union(b)) => {
            if a.tag != b.tag || a.content != b.content {
                c.note(
                    Class::Breaking,
                    format!(
                        "{at}: keys changed from `{}`/`{}` to `{}`/`{}`",
                        a.tag, a.content, b.tag, b.content
                    ),
                );
            }
            let (vo, vn) = (om.variants(a), nm.variants(b));
            fields(c, &at, "variant", &vo, &vn, sides);
        }
        _ => c.note(
            Class::Breaking,
            format!("{at}: changed from {} to {}", kind_name(o), kind_name(n)),
        ),
    }
}

fn callbacks(os: &Spec, ns: &Spec, c: &mut Changes) {
    for o in &os.callbacks {
        let at = format!("callback `{}`", o.command);
        let Some(n) = ns.callbacks.iter().find(|n| n.command == o.command) else {
            c.note(Class::Breaking, format!("{at} removed"));
            continue;
        };
        if o.kind != n.kind {
            c.note(
                Class::Breaking,
                format!("{at}: changed between before and after"),
            );
        }
        let (mut om, mut nm) = (FromModel::new(os, false), FromModel::new(ns, false));
        let (req_o, req_n) = (om.fields(&o.request), nm.fields(&n.request));
        fields(c, &at, "request field", &req_o, &req_n, RESPONSE);
        let (ans_o, ans_n) = (om.fields(&o.answer), nm.fields(&n.answer));
        fields(c, &at, "answer field", &ans_o, &ans_n, REQUEST);
    }
    for n in &ns.callbacks {
        if !os.callbacks.iter().any(|o| o.command == n.command) {
            c.note(
                Class::Additive,
                format!("callback `{}` added: {}", n.command, n.summary),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::tree::{Kind, LimitMap};

    fn info(limits: &[(&'static str, i128)], required: bool) -> FieldInfo {
        FieldInfo {
            kind: Kind::String,
            required,
            limits: limits.iter().copied().collect::<LimitMap>(),
            values: None,
            variant: false,
            doc: String::new(),
            type_name: None,
        }
    }

    #[test]
    fn tighter_request_limits_break_looser_ones_add() {
        let mut c = Changes::default();
        let o = info(&[("max_items", 100), ("min_items", 1)], false);
        let n = info(&[("max_items", 50)], true);
        field(&mut c, "f", &o, &n, REQUEST);
        assert_eq!(
            c.breaking,
            ["f: now required", "f: max_items changed from 100 to 50"]
        );
        assert_eq!(c.additive, ["f: min_items changed from 1 to none"]);
        let mut c = Changes::default();
        field(&mut c, "f", &n, &o, RESPONSE);
        assert_eq!(c.breaking, ["f: no longer required"]);
        assert_eq!(c.other, ["f: min_items changed from none to 1"]);
    }

    #[test]
    fn markdown_lists_sections_in_order() {
        let mut c = Changes::default();
        assert!(c.markdown("a", "b").contains("No API changes."));
        c.note(Class::Additive, "x added".into());
        c.note(Class::Breaking, "y removed".into());
        let md = c.markdown("a", "b");
        let breaking = md.find("## Breaking changes").unwrap();
        let additions = md.find("## Additions").unwrap();
        assert!(breaking < additions, "{md}");
        assert!(md.contains("1 breaking, 1 additive, 0 other."));
    }
}
