//! `im spec import FILE`: an OpenAPI 3.0/3.1 document compared with the spec,
//! endpoint by endpoint and field by field (nested fields, array items and
//! union variants included), then optionally `--write` for what the spec
//! lacks.
//!
//! Two modes. Lenient (documents from elsewhere): types compare as
//! compatible when one side only says less (an integer without width, `json`,
//! a 0/1 flag for an integer, a number-or-string for either); a limit only
//! the spec has is counted but not a difference; `maxLength` stands for
//! `max_bytes`. Exact (`--exact`, and documents written by `im spec
//! export`): everything must match, which is what the round trip checks.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::Path;

use im_codegen::{Endpoint, Spec};

use super::openapi::{self, FileEndpoint};
use super::tree::{compatible, zip, FieldInfo, Fields, FromModel, Node, Pair, ENVELOPE};
use super::{load_dir, write, FOUND};
use crate::{invalid, Exit};

pub fn run(file: &Path, dir: &Path, write_entries: bool, exact: bool) -> Exit {
    let doc = match openapi::read_document(file) {
        Ok(d) => d,
        Err(e) => return invalid(e),
    };
    let spec = match load_dir(dir) {
        Ok(s) => s,
        Err(e) => return invalid(e),
    };
    let exact = exact || doc.pointer("/info/x-im-generator").is_some();
    let (endpoints, skipped) = openapi::endpoints(&doc);
    let report = compare(&spec, &endpoints, exact);
    outln!("{}", report.render(file, dir, &skipped).trim_end());
    if write_entries {
        match write::write(dir, file, &spec, &report) {
            Ok(msg) => errln!("{msg}"),
            Err(e) => return invalid(e),
        }
    }
    if report.is_clean() {
        Exit::Ok
    } else {
        FOUND
    }
}

/// Counts for the summary.
#[derive(Debug, Default)]
pub struct Figures {
    pub endpoints_matched: usize,
    pub endpoints_via_alias: usize,
    pub fields_both: usize,
    pub fields_different: usize,
    pub fields_only_file: usize,
    pub fields_only_spec: usize,
    pub type_diffs: usize,
    pub required_diffs: usize,
    pub limit_diffs: usize,
    pub value_diffs: usize,
    /// Limits only the spec has (lenient mode: not differences).
    pub spec_only_limits: usize,
}

/// An endpoint of the document that the spec has too.
#[derive(Debug)]
pub struct Matched<'a> {
    pub file: &'a FileEndpoint,
    pub spec: &'a Endpoint,
    /// Matched through an alias (an older command name).
    pub alias: bool,
    /// One line per difference.
    pub lines: Vec<String>,
    /// Entries only in the document: `request`/`response`, path, node.
    pub missing: Vec<(&'static str, String, &'a Node)>,
}

#[derive(Debug)]
pub struct Report<'a> {
    pub exact: bool,
    pub matched: Vec<Matched<'a>>,
    pub only_file: Vec<&'a FileEndpoint>,
    pub only_spec: Vec<&'a Endpoint>,
    pub figures: Figures,
}

impl Report<'_> {
    pub fn is_clean(&self) -> bool {
        self.only_file.is_empty()
            && self.only_spec.is_empty()
            && self.matched.iter().all(|m| m.lines.is_empty())
    }
}

/// Compare every endpoint of the document with the spec's.
pub fn compare<'a>(spec: &'a Spec, endpoints: &'a [FileEndpoint], exact: bool) -> Report<'a> {
    let mut index: HashMap<String, (usize, bool)> = HashMap::new();
    for (i, ep) in spec.endpoints.iter().enumerate() {
        index.insert(ep.path(), (i, false));
    }
    for (i, ep) in spec.endpoints.iter().enumerate() {
        for a in &ep.aliases {
            index
                .entry(format!("{}/{a}", ep.service))
                .or_insert((i, true));
        }
    }
    let mut report = Report {
        exact,
        matched: Vec::new(),
        only_file: Vec::new(),
        only_spec: Vec::new(),
        figures: Figures::default(),
    };
    let mut seen = BTreeSet::new();
    for fe in endpoints {
        let service = fe.path.split('/').next().unwrap_or("");
        let found = index.get(&fe.path).copied().or_else(|| {
            fe.aliases.iter().find_map(|a| {
                index
                    .get(&format!("{service}/{a}"))
                    .map(|(i, _)| (*i, true))
            })
        });
        let Some((i, alias)) = found else {
            report.only_file.push(fe);
            continue;
        };
        seen.insert(i);
        let ep = &spec.endpoints[i];
        report.figures.endpoints_matched += 1;
        if alias {
            report.figures.endpoints_via_alias += 1;
        }
        let m = compare_endpoint(spec, fe, ep, alias, exact, &mut report.figures);
        report.matched.push(m);
    }
    for (i, ep) in spec.endpoints.iter().enumerate() {
        if !seen.contains(&i) {
            report.only_spec.push(ep);
        }
    }
    report
}

fn compare_endpoint<'a>(
    spec: &'a Spec,
    fe: &'a FileEndpoint,
    ep: &'a Endpoint,
    alias: bool,
    exact: bool,
    figures: &mut Figures,
) -> Matched<'a> {
    let mut model = FromModel::new(spec, true);
    let request = model.fields(&ep.request);
    let response: Fields = model
        .fields(&ep.response)
        .into_iter()
        .filter(|(k, _)| !ENVELOPE.contains(&k.as_str()))
        .collect();
    let mut m = Matched {
        file: fe,
        spec: ep,
        alias,
        lines: Vec::new(),
        missing: Vec::new(),
    };
    for (side, file, ours) in [
        ("request", &fe.request, &request),
        ("response", &fe.response, &response),
    ] {
        let mut pairs = Vec::new();
        zip("", file, ours, &mut pairs);
        for pair in pairs {
            compare_pair(side, pair, exact, figures, &mut m);
        }
    }
    m
}

fn compare_pair<'a>(
    side: &'static str,
    pair: Pair<'a, '_>,
    exact: bool,
    fig: &mut Figures,
    m: &mut Matched<'a>,
) {
    match pair {
        Pair::Left(path, node) => {
            fig.fields_only_file += 1;
            m.lines.push(format!(
                "only in the file: `{side}.{path}` ({}){}",
                node.info.kind,
                nested(node)
            ));
            m.missing.push((side, path, node));
        }
        Pair::Right(path, node) => {
            fig.fields_only_spec += 1;
            m.lines.push(format!(
                "only in the spec: `{side}.{path}` ({}){}",
                node.info.kind,
                nested(node)
            ));
        }
        Pair::Both(path, file, ours) => {
            fig.fields_both += 1;
            let diffs = field_diffs(&file.info, &ours.info, exact, fig);
            if !diffs.is_empty() {
                fig.fields_different += 1;
                m.lines
                    .push(format!("`{side}.{path}`: {}", diffs.join("; ")));
            }
        }
    }
}

fn nested(node: &Node) -> String {
    match node.nested() {
        0 => String::new(),
        n => format!(", with {n} nested"),
    }
}

/// What differs between the document's view of a field and the spec's.
fn field_diffs(file: &FieldInfo, ours: &FieldInfo, exact: bool, fig: &mut Figures) -> Vec<String> {
    let mut out = Vec::new();
    let kinds_differ = if exact {
        file.kind != ours.kind
    } else {
        !compatible(&file.kind, &ours.kind)
    };
    if kinds_differ {
        fig.type_diffs += 1;
        out.push(format!("type: file {}, spec {}", file.kind, ours.kind));
    }
    if file.required != ours.required {
        fig.required_diffs += 1;
        out.push(format!(
            "required: file {}, spec {}",
            yes_no(file.required),
            yes_no(ours.required)
        ));
    }
    let before = out.len();
    let keys: BTreeSet<&'static str> = file
        .limits
        .keys()
        .chain(ours.limits.keys())
        .copied()
        .collect();
    for k in keys {
        match (file.limits.get(k), ours.limits.get(k)) {
            (Some(a), Some(b)) if a != b => out.push(format!("{k}: file {a}, spec {b}")),
            (Some(a), None) => out.push(format!("{k}: file {a}, spec none")),
            (None, Some(b)) if exact => out.push(format!("{k}: file none, spec {b}")),
            (None, Some(_)) => fig.spec_only_limits += 1,
            _ => {}
        }
    }
    if out.len() > before {
        fig.limit_diffs += 1;
    }
    if let Some(text) = value_diff(file, ours, exact) {
        fig.value_diffs += 1;
        out.push(text);
    }
    out
}

fn value_diff(file: &FieldInfo, ours: &FieldInfo, exact: bool) -> Option<String> {
    match (&file.values, &ours.values) {
        (Some(a), Some(b)) if a != b => {
            let only = |x: &BTreeSet<String>, y: &BTreeSet<String>| {
                let list: Vec<&str> = x.difference(y).map(String::as_str).collect();
                if list.is_empty() {
                    "none".to_owned()
                } else {
                    list.join(", ")
                }
            };
            Some(format!(
                "enum values only in the file: {}; only in the spec: {}",
                only(a, b),
                only(b, a)
            ))
        }
        (Some(_), None) | (None, Some(_)) if exact => {
            Some("enum values listed on one side only".to_owned())
        }
        _ => None,
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

impl Report<'_> {
    /// The report as Markdown.
    pub fn render(&self, file: &Path, dir: &Path, skipped: &[String]) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "# `{}` compared with the spec in `{}`\n",
            file.display(),
            dir.display()
        );
        let mode = if self.exact {
            "exact (types, limits and enum values must match)"
        } else {
            "lenient (types compare as compatible when one side says less; limits only the spec has are counted apart)"
        };
        let _ = writeln!(s, "Mode: {mode}.\n");
        self.render_summary(&mut s);
        if self.is_clean() {
            s.push_str("\nNo differences.\n");
        }
        self.render_endpoints(&mut s);
        if !skipped.is_empty() {
            s.push_str("\n## Skipped\n\n");
            for line in skipped {
                let _ = writeln!(s, "- {line}");
            }
        }
        s
    }

    fn render_summary(&self, s: &mut String) {
        let f = &self.figures;
        s.push_str("## Summary\n\n");
        let _ = writeln!(
            s,
            "- Endpoints: {} matched ({} through an alias), {} only in the file, {} only in the spec.",
            f.endpoints_matched,
            f.endpoints_via_alias,
            self.only_file.len(),
            self.only_spec.len()
        );
        let _ = writeln!(
            s,
            "- Fields of matched endpoints (nested ones and union variants included): {} on both sides, {} of them different ({} types, {} required flags, {} limits, {} enum value lists); {} only in the file; {} only in the spec (a missing object counts once).",
            f.fields_both,
            f.fields_different,
            f.type_diffs,
            f.required_diffs,
            f.limit_diffs,
            f.value_diffs,
            f.fields_only_file,
            f.fields_only_spec
        );
        if !self.exact {
            let _ = writeln!(
                s,
                "- Limits the spec has and the file does not state (not counted as differences): {}.",
                f.spec_only_limits
            );
        }
    }

    fn render_endpoints(&self, s: &mut String) {
        if !self.only_file.is_empty() {
            s.push_str("\n## Endpoints only in the file\n\n");
            for fe in &self.only_file {
                let _ = writeln!(s, "- `{}`: {}{}", fe.path, fe.summary, self.elsewhere(fe));
            }
        }
        if !self.only_spec.is_empty() {
            s.push_str("\n## Endpoints only in the spec\n\n");
            for ep in &self.only_spec {
                let _ = writeln!(s, "- `{}`: {}", ep.path(), ep.summary);
            }
        }
        let differing: Vec<&Matched<'_>> = self
            .matched
            .iter()
            .filter(|m| !m.lines.is_empty())
            .collect();
        if differing.is_empty() {
            return;
        }
        s.push_str("\n## Differences by endpoint\n");
        for m in differing {
            let via = if m.alias {
                format!(" (the spec's `{}`, through an alias)", m.spec.path())
            } else {
                String::new()
            };
            let _ = writeln!(s, "\n### `{}`{via}\n", m.file.path);
            for line in &m.lines {
                let _ = writeln!(s, "- {line}");
            }
        }
    }

    /// A hint when the spec has the same command under another service.
    fn elsewhere(&self, fe: &FileEndpoint) -> String {
        let command = fe.path.rsplit('/').next().unwrap_or("");
        let others: Vec<String> = self
            .only_spec
            .iter()
            .chain(self.matched.iter().map(|m| &m.spec))
            .filter(|ep| ep.command == command)
            .map(|ep| format!("`{}`", ep.path()))
            .collect();
        if others.is_empty() {
            String::new()
        } else {
            format!(" (the spec has {})", others.join(", "))
        }
    }
}

/// Whether the spec has `fe`'s command under another service.
pub fn same_command_elsewhere(spec: &Spec, fe: &FileEndpoint) -> Option<String> {
    let command = fe.path.rsplit('/').next()?;
    spec.endpoints
        .iter()
        .find(|ep| ep.command == command || ep.aliases.iter().any(|a| a.as_str() == command))
        .map(Endpoint::path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::tree::{Kind, LimitMap};

    fn info(kind: Kind, required: bool, limits: &[(&'static str, i128)]) -> FieldInfo {
        FieldInfo {
            kind,
            required,
            limits: limits.iter().copied().collect::<LimitMap>(),
            values: None,
            variant: false,
            doc: String::new(),
            type_name: None,
        }
    }

    #[test]
    fn lenient_mode_counts_spec_only_limits_apart() {
        let mut fig = Figures::default();
        let file = info(Kind::Integer(None), false, &[("max_items", 100)]);
        let ours = info(
            Kind::Integer(Some("uint32".into())),
            true,
            &[("max_items", 50), ("min", 1)],
        );
        let d = field_diffs(&file, &ours, false, &mut fig);
        assert_eq!(
            d,
            [
                "required: file no, spec yes",
                "max_items: file 100, spec 50"
            ]
        );
        assert_eq!(fig.spec_only_limits, 1);
        let d = field_diffs(&file, &ours, true, &mut fig);
        assert_eq!(d.len(), 4, "{d:?}");
    }
}
