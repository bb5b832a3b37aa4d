//! `im spec import --write`: entries for what the spec lacks, in a new file
//! of the spec directory (`imported.toml`; never an existing file), checked
//! with the build's validation before anything is written. An entry that
//! does not check out is kept as a comment with its problem.
//!
//! Endpoints only in the document become `[[endpoint]]` entries marked
//! `partial = true` (unreviewed), with `[[struct]]` entries for their nested
//! objects (a spec type of the same name is reused). Fields missing from
//! endpoints the spec has are written as commented suggestions: those
//! entries belong to a person.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use im_codegen::{names, Endpoint, Source, Spec, Ty, TypeDef};

use super::import::{same_command_elsewhere, Report};
use super::openapi::FileEndpoint;
use super::read_sources;
use super::tree::{Kind, LimitMap, Node};

/// Type names the generated code uses itself.
const RESERVED_TYPE_NAMES: &[&str] = &[
    "Request",
    "Response",
    "Error",
    "Result",
    "Client",
    "PublicError",
];

/// Write the entries; returns what was done, one line per fact.
pub fn write(
    dir: &Path,
    source: &Path,
    spec: &Spec,
    report: &Report<'_>,
) -> Result<String, String> {
    let target = fresh_file(dir)?;
    let mut w = Writer::new(spec, source.display().to_string());
    let mut notes = Vec::new();
    for fe in &report.only_file {
        match same_command_elsewhere(spec, fe) {
            Some(other) => notes.push(format!(
                "`{}` not written: the spec has the same command as `{other}`",
                fe.path
            )),
            None => w.endpoint(fe),
        }
    }
    w.live = false;
    for m in &report.matched {
        if !m.missing.is_empty() {
            w.suggestions(m.spec, &m.missing, &m.file.path);
        }
    }
    if w.blocks.is_empty() {
        notes.push("nothing to write".into());
        return Ok(notes.join("\n"));
    }
    let text = w.checked(dir, &target, &mut notes)?;
    std::fs::write(&target, text).map_err(|e| format!("cannot write {}: {e}", target.display()))?;
    let live = w.blocks.iter().filter(|b| b.live).count();
    notes.push(format!(
        "wrote {}: {live} entries, {} commented blocks",
        target.display(),
        w.blocks.len() - live
    ));
    Ok(notes.join("\n"))
}

/// `imported.toml`, or the first `imported_N.toml` that does not exist.
fn fresh_file(dir: &Path) -> Result<PathBuf, String> {
    if !dir.is_dir() {
        return Err(format!("{} is not a spec directory", dir.display()));
    }
    (1..100)
        .map(|n| match n {
            1 => dir.join("imported.toml"),
            n => dir.join(format!("imported_{n}.toml")),
        })
        .find(|p| !p.exists())
        .ok_or_else(|| format!("no free imported_N.toml name in {}", dir.display()))
}

/// One entry (or comment) of the new file.
struct Block {
    label: String,
    text: String,
    live: bool,
    /// Why the check refused it.
    problem: Option<String>,
}

struct Writer<'s> {
    spec: &'s Spec,
    /// The document, as named in `sources`.
    source: String,
    /// Type names taken by the spec and by this file.
    types: BTreeSet<String>,
    /// Method names taken.
    methods: BTreeSet<String>,
    /// Component name in the document -> struct written for it.
    generated: BTreeMap<String, String>,
    blocks: Vec<Block>,
    /// Whether new blocks are live entries (or commented suggestions).
    live: bool,
}

impl<'s> Writer<'s> {
    fn new(spec: &'s Spec, source: String) -> Self {
        Writer {
            spec,
            source,
            types: spec.types.iter().map(|t| t.name().to_owned()).collect(),
            methods: spec.endpoints.iter().map(|e| e.rust.clone()).collect(),
            generated: BTreeMap::new(),
            blocks: Vec::new(),
            live: true,
        }
    }

    fn push(&mut self, label: String, text: String) {
        self.blocks.push(Block {
            label,
            text,
            live: self.live,
            problem: None,
        });
    }

    fn endpoint(&mut self, fe: &FileEndpoint) {
        let Some((service, command)) = fe.path.split_once('/') else {
            return;
        };
        let mut lines = vec![
            "[[endpoint]]".to_owned(),
            format!("service = {}", quote(service)),
            format!("command = {}", quote(command)),
        ];
        if let Some(name) = self.method_name(service, command) {
            lines.push(format!("name = {}", quote(&name)));
        }
        let (summary, mut sources) = summary_and_urls(&fe.summary);
        let summary = if summary.is_empty() {
            format!("Imported from {}: {}.", self.source, fe.path)
        } else {
            summary
        };
        lines.push(format!("summary = {}", quote(&summary)));
        let doc = one_line(&fe.doc);
        if !doc.is_empty() && doc != summary {
            lines.push(format!("doc = {}", quote(&doc)));
        }
        sources.extend(fe.sources.iter().cloned());
        sources.push(self.source.clone());
        let quoted: Vec<String> = sources.iter().map(|s| quote(s.as_str())).collect();
        lines.push(format!("sources = [{}]", quoted.join(", ")));
        if let Some(rate) = rate_line(fe.rate.as_ref()) {
            lines.push(rate);
        }
        lines.push("partial = true".into());
        let hint = names::upper_camel(command);
        let request = self.field_lines(&fe.request, true, &hint);
        let response = self.field_lines(&fe.response, false, &hint);
        push_list(&mut lines, "request", request);
        push_list(&mut lines, "response", response);
        self.push(format!("endpoint `{}`", fe.path), lines.join("\n"));
    }

    /// `name = ...` when the default method name is unusable or taken.
    fn method_name(&mut self, service: &str, command: &str) -> Option<String> {
        let default = names::snake_case(command);
        if names::is_snake(&default) && !names::is_keyword(&default) && self.methods.insert(default)
        {
            return None;
        }
        let mut name = names::snake_case(&format!("{service}_{command}"));
        while !self.methods.insert(name.clone()) {
            name.push_str("_2");
        }
        Some(name)
    }

    fn field_lines(&mut self, fields: &[(String, Node)], limits: bool, hint: &str) -> Vec<String> {
        let mut used = BTreeSet::new();
        fields
            .iter()
            .map(|(wire, node)| self.field_line(wire, node, limits, hint, &mut used))
            .collect()
    }

    /// `{ wire = ..., type = ..., ... }` for one field.
    fn field_line(
        &mut self,
        wire: &str,
        node: &Node,
        limits: bool,
        hint: &str,
        used: &mut BTreeSet<String>,
    ) -> String {
        let ty_hint = format!("{hint}{}", names::upper_camel(wire));
        let ty = self.type_text(&node.info.kind, node, "", &ty_hint);
        let mut parts = vec![format!("wire = {}", quote(wire))];
        if let Some(name) = rust_name(wire, used) {
            parts.push(format!("name = {}", quote(&name)));
        }
        parts.push(format!("type = {}", quote(&ty)));
        if node.info.required {
            parts.push("required = true".into());
        }
        if limits {
            parts.extend(limit_parts(&node.info.limits, &ty));
        }
        let doc = doc_text(node, &ty);
        if !doc.is_empty() {
            parts.push(format!("doc = {}", quote(&doc)));
        }
        format!("{{ {} }}", parts.join(", "))
    }

    /// The spec type for `kind`; `prefix` is the key prefix (`[]`, `{}`) of
    /// what the node holds at this depth.
    fn type_text(&mut self, kind: &Kind, node: &Node, prefix: &str, hint: &str) -> String {
        match kind {
            Kind::String => self.existing(node, kind).unwrap_or_else(|| "string".into()),
            Kind::Integer(width) => self
                .existing(node, kind)
                .unwrap_or_else(|| int_type(width.as_deref()).into()),
            Kind::Number => "f64".into(),
            Kind::Boolean => "bool".into(),
            Kind::Bool01 => "bool01".into(),
            Kind::IntOrString => "i64_or_string".into(),
            Kind::Any | Kind::Ref(_) => "json".into(),
            Kind::Array(inner) => {
                format!(
                    "[{}]",
                    self.type_text(inner, node, &format!("{prefix}[]"), hint)
                )
            }
            Kind::Map(inner) => {
                format!(
                    "{{{}}}",
                    self.type_text(inner, node, &format!("{prefix}{{}}"), hint)
                )
            }
            Kind::Object => match self.existing(node, kind) {
                Some(name) => name,
                None => self.struct_for(node, &format!("{prefix}."), hint),
            },
            Kind::Union(_) => self.existing(node, kind).unwrap_or_else(|| "json".into()),
        }
    }

    /// The spec's type of the same name as the document's, if it fits.
    fn existing(&self, node: &Node, kind: &Kind) -> Option<String> {
        let name = node.info.type_name.as_deref()?;
        let fits = match (self.spec.type_def(name)?, kind) {
            (TypeDef::Struct(_), Kind::Object) | (TypeDef::Union(_), Kind::Union(_)) => true,
            (TypeDef::Enum(e), Kind::String) => !e.int,
            (TypeDef::Enum(e), Kind::Integer(_)) => e.int,
            _ => false,
        };
        fits.then(|| name.to_owned())
    }

    /// A `[[struct]]` for the object's fields (keys `key_prefix` + wire).
    fn struct_for(&mut self, node: &Node, key_prefix: &str, hint: &str) -> String {
        if let Some(done) = node
            .info
            .type_name
            .as_ref()
            .and_then(|t| self.generated.get(t))
        {
            return done.clone();
        }
        let fields: Vec<(&str, &Node)> = node
            .children
            .iter()
            .filter_map(|(k, c)| {
                let wire = k.strip_prefix(key_prefix)?;
                (!wire.is_empty() && !wire.contains(['.', '[', '{', '<'])).then_some((wire, c))
            })
            .collect();
        if fields.is_empty() {
            return "json".into();
        }
        let base = node
            .info
            .type_name
            .as_deref()
            .map(names::upper_camel)
            .filter(|n| usable_type(n))
            .unwrap_or_else(|| hint.to_owned());
        let name = self.fresh_type(&base);
        if let Some(t) = &node.info.type_name {
            self.generated.insert(t.clone(), name.clone());
        }
        let mut used = BTreeSet::new();
        let lines: Vec<String> = fields
            .iter()
            .map(|(wire, c)| self.field_line(wire, c, true, &name, &mut used))
            .collect();
        let doc = match one_line(&node.info.doc) {
            d if d.is_empty() => format!("Imported from {}.", self.source),
            d => d,
        };
        let mut text = vec![
            "[[struct]]".to_owned(),
            format!("name = {}", quote(&name)),
            format!("doc = {}", quote(&doc)),
        ];
        push_list(&mut text, "fields", lines);
        self.push(format!("struct `{name}`"), text.join("\n"));
        name
    }

    fn fresh_type(&mut self, base: &str) -> String {
        let base = if usable_type(base) {
            base
        } else {
            "ImportedType"
        };
        let mut name = base.to_owned();
        let mut n = 2;
        while self.types.contains(&name) {
            name = format!("{base}{n}");
            n += 1;
        }
        self.types.insert(name.clone());
        name
    }

    /// Fields the document has and the spec's entry lacks, as comments.
    fn suggestions(
        &mut self,
        ep: &Endpoint,
        missing: &[(&'static str, String, &Node)],
        from: &str,
    ) {
        let mut lines = vec![format!(
            "`{from}` in the document has fields the spec's `{}` ({}) lacks; review them, then move them into that entry:",
            ep.path(),
            ep.file
        )];
        let hint = names::upper_camel(&ep.command);
        let mut used = BTreeSet::new();
        for (side, path, node) in missing {
            if path.contains(['.', '[', '{', '<']) {
                lines.push(format!(
                    "{side} `{path}` ({}), nested: add it to the type that holds it. {}",
                    node.info.kind,
                    one_line(&node.info.doc)
                ));
            } else {
                let line = self.field_line(path, node, *side == "request", &hint, &mut used);
                lines.push(format!("{side}: {line},"));
            }
        }
        self.push(format!("suggestions for `{}`", ep.path()), lines.join("\n"));
    }

    /// The file's text, and the line range of each live block.
    fn render(&self) -> (String, Vec<(usize, usize, usize)>) {
        let mut text = format!(
            "# Written by `im spec import --write` from {}.\n\
             # Review every entry against the current Tencent page, then move it into\n\
             # the file of its area. Live entries are `partial = true` (unreviewed);\n\
             # commented blocks are suggestions for entries that exist elsewhere, or\n\
             # entries that did not check out.\n",
            self.source
        );
        let mut ranges = Vec::new();
        for (i, b) in self.blocks.iter().enumerate() {
            text.push('\n');
            let first = text.matches('\n').count() + 1;
            let body = if b.live { b.text.clone() } else { commented(b) };
            let count = body.lines().count();
            text.push_str(&body);
            text.push('\n');
            if b.live {
                ranges.push((i, first, first + count.saturating_sub(1)));
            }
        }
        (text, ranges)
    }

    /// Render, check with the rest of the spec, and turn entries with
    /// problems into comments until everything checks out.
    fn checked(
        &mut self,
        dir: &Path,
        target: &Path,
        notes: &mut Vec<String>,
    ) -> Result<String, String> {
        let existing = read_sources(dir)?;
        let name = target.display().to_string();
        for _ in 0..=self.blocks.len() {
            let (text, ranges) = self.render();
            let mut sources = existing.clone();
            sources.push(Source {
                name: name.clone(),
                text: text.clone(),
            });
            sources.sort_by(|a, b| a.name.cmp(&b.name));
            let diags = match im_codegen::load(&sources, &[]) {
                Ok(_) => return Ok(text),
                Err(d) => d,
            };
            let mut dropped = 0;
            for d in diags.iter().filter(|d| d.location.file == name) {
                let line = d.location.line;
                let Some(&(i, _, _)) = ranges.iter().find(|(_, a, b)| (*a..=*b).contains(&line))
                else {
                    continue;
                };
                let block = &mut self.blocks[i];
                if block.live {
                    block.live = false;
                    block.problem = Some(d.to_string());
                    notes.push(format!("{} not written: {d}", block.label));
                    dropped += 1;
                }
            }
            if dropped == 0 {
                return Err(format!(
                    "the spec does not check out with the new entries:\n{diags}"
                ));
            }
        }
        Err("the new entries do not check out".into())
    }
}

fn commented(b: &Block) -> String {
    let mut out = String::new();
    if let Some(p) = &b.problem {
        let _ = writeln!(out, "# Not written, it does not check out: {}", one_line(p));
    }
    for line in b.text.lines() {
        let _ = writeln!(out, "# {line}");
    }
    out.trim_end().to_owned()
}

fn usable_type(name: &str) -> bool {
    names::is_upper_camel(name)
        && !RESERVED_TYPE_NAMES.contains(&name)
        && Ty::parse(name) == Ok(Ty::Named(name.to_owned()))
}

/// `name = ...` when the wire name's default Rust name is unusable or taken.
fn rust_name(wire: &str, used: &mut BTreeSet<String>) -> Option<String> {
    let usable = |s: &str| {
        names::is_snake(s)
            && !names::is_unrawable_keyword(s)
            && !names::RESERVED_FIELD_NAMES.contains(&s)
            && !matches!(s, "extra" | "field")
    };
    let default = names::snake_case(wire);
    if usable(&default) && used.insert(default.clone()) {
        return None;
    }
    let base = match format!("{default}_value") {
        b if usable(&b) => b,
        _ => "value".to_owned(),
    };
    let mut name = base.clone();
    let mut n = 2;
    while !used.insert(name.clone()) {
        name = format!("{base}_{n}");
        n += 1;
    }
    Some(name)
}

fn int_type(width: Option<&str>) -> &'static str {
    match width {
        Some("uint32") => "u32",
        Some("uint64") => "u64",
        Some("int32") => "i32",
        _ => "i64",
    }
}

/// The limits the spec allows on a field of type `ty`.
fn limit_parts(l: &LimitMap, ty: &str) -> Vec<String> {
    let array = ty.starts_with('[');
    let mut out = Vec::new();
    for (&key, &v) in l {
        let ok = match key {
            "non_empty" => ty == "string",
            "min_items" => array && v >= 0,
            "max_items" => array && v > 0,
            "min_bytes" | "max_bytes" => ty == "string" && v >= 0,
            "item_max_bytes" => ty == "[string]" && v >= 0,
            "min" | "max" => fits(ty, v),
            "max_json_bytes" | "legacy_max_json_bytes" => v >= 0,
            "fill_random" => ty == "u32",
            _ => false,
        };
        if ok {
            out.push(match key {
                "non_empty" => "non_empty = true".to_owned(),
                "fill_random" => "fill = \"random\"".to_owned(),
                _ => format!("{key} = {v}"),
            });
        }
    }
    out
}

/// Whether `v` is in the range of the integer type `ty`.
fn fits(ty: &str, v: i128) -> bool {
    let (lo, hi) = match ty {
        "u32" => (0, i128::from(u32::MAX)),
        "u64" => (0, i128::from(i64::MAX)),
        "i32" => (i128::from(i32::MIN), i128::from(i32::MAX)),
        "i64" => (i128::from(i64::MIN), i128::from(i64::MAX)),
        _ => return false,
    };
    (lo..=hi).contains(&v)
}

/// The field's description, plus the values or variants a plain type hides.
fn doc_text(node: &Node, ty: &str) -> String {
    let mut doc = one_line(&node.info.doc);
    let builtin = ty
        .trim_start_matches(['[', '{'])
        .starts_with(|c: char| c.is_ascii_lowercase());
    if let Some(values) = node.info.values.as_ref().filter(|_| builtin) {
        let list: Vec<&str> = values.iter().map(String::as_str).collect();
        doc = format!("{doc} Values: {}.", list.join(", "));
    }
    let tags: Vec<&str> = node
        .children
        .iter()
        .filter_map(|(k, _)| {
            k.trim_start_matches("[]")
                .strip_prefix('<')?
                .strip_suffix('>')
        })
        .collect();
    if !tags.is_empty() && ty.contains("json") {
        doc = format!("{doc} One of: {}.", tags.join(", "));
    }
    doc.trim().to_owned()
}

/// `rate = { per_second = N, documented = [...] }` from `x-im-rate`.
fn rate_line(rate: Option<&Value>) -> Option<String> {
    let r = rate?;
    let per = r
        .get("per_second")?
        .as_u64()
        .filter(|n| (1..=u64::from(u32::MAX)).contains(n))?;
    let documented: Vec<String> = r
        .get("documented")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(quote).collect())
        .unwrap_or_default();
    Some(if documented.is_empty() {
        format!("rate = {{ per_second = {per} }}")
    } else {
        format!(
            "rate = {{ per_second = {per}, documented = [{}] }}",
            documented.join(", ")
        )
    })
}

fn push_list(lines: &mut Vec<String>, key: &str, items: Vec<String>) {
    if items.is_empty() {
        return;
    }
    lines.push(format!("{key} = ["));
    for item in items {
        lines.push(format!("  {item},"));
    }
    lines.push("]".into());
}

/// A summary without the URLs it carries (Tencent's cite their page), and those URLs.
fn summary_and_urls(text: &str) -> (String, Vec<String>) {
    let stop = |c: char| c.is_whitespace() || "()（）<>\"'，,、".contains(c);
    let mut urls = Vec::new();
    let mut rest = String::new();
    let mut s = text;
    while let Some(i) = s.find("http") {
        let tail = &s[i..];
        let end = tail.find(stop).unwrap_or(tail.len());
        let url = &tail[..end];
        if url.starts_with("https://") || url.starts_with("http://") {
            urls.push(url.to_owned());
            rest.push_str(&s[..i]);
            s = &tail[end..];
        } else {
            rest.push_str(&s[..i + 4]);
            s = &s[i + 4..];
        }
    }
    rest.push_str(s);
    let rest = rest.replace("（）", "").replace("()", "");
    (one_line(&rest), urls)
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A TOML basic string.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_give_up_their_urls() {
        let (s, urls) =
            summary_and_urls("导入单个帐号（https://cloud.tencent.com/document/product/269/1608）");
        assert_eq!(s, "导入单个帐号");
        assert_eq!(
            urls,
            ["https://cloud.tencent.com/document/product/269/1608"]
        );
        let (s, urls) = summary_and_urls("uses httpd (http://a.b/c) here");
        assert_eq!(s, "uses httpd here");
        assert_eq!(urls, ["http://a.b/c"]);
    }

    #[test]
    fn toml_strings_are_escaped() {
        assert_eq!(quote("a \"b\" \\ c\nd"), r#""a \"b\" \\ c\nd""#);
        assert_eq!(quote("\u{1}"), r#""\u0001""#);
    }

    #[test]
    fn limits_only_where_the_spec_allows_them() {
        let l: LimitMap = [
            ("max_items", 100),
            ("max_bytes", 32),
            ("min", 0),
            ("non_empty", 1),
        ]
        .into_iter()
        .collect();
        assert_eq!(limit_parts(&l, "[string]"), ["max_items = 100"]);
        assert_eq!(
            limit_parts(&l, "string"),
            ["max_bytes = 32", "non_empty = true"]
        );
        assert_eq!(limit_parts(&l, "u32"), ["min = 0"]);
    }

    #[test]
    fn rust_names_avoid_reserved_and_taken_ones() {
        let mut used = BTreeSet::new();
        assert_eq!(rust_name("UserID", &mut used), None);
        assert_eq!(
            rust_name("User_ID", &mut used).as_deref(),
            Some("user_id_value")
        );
        assert_eq!(
            rust_name("Extra", &mut used).as_deref(),
            Some("extra_value")
        );
        assert_eq!(rust_name("New", &mut used).as_deref(), Some("new_value"));
    }
}
