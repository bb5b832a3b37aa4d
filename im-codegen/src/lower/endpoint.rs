//! Pass 3: one `[[endpoint]]`, assembled from its lowered parts, then
//! cross-checked (see [`crate::check`]). An entry with any problem is dropped.

use std::collections::{BTreeMap, HashMap};

use toml::Spanned;

use super::chunking::{lower_chunk, lower_partial_failure};
use super::conflicts::lower_conflict;
use super::errors::lower_errors;
use super::paging::lower_page;
use super::rate::lower_rate;
use super::{doc_of, Kind, Lowering};
use crate::check::{self, Documented};
use crate::diag::{Scope, Source};
use crate::model::*;
use crate::names;
use crate::raw::RawEndpoint;

/// Group types an endpoint may name.
const GROUP_TYPES: &[&str] = &[
    "Private",
    "Public",
    "ChatRoom",
    "AVChatRoom",
    "Community",
    "Work",
    "Meeting",
];

/// Paths and method names already taken by earlier entries.
#[derive(Default)]
pub(super) struct Seen {
    paths: HashMap<String, ()>,
    rust_names: HashMap<String, String>,
}

impl Lowering<'_> {
    pub(super) fn lower_endpoint(
        &mut self,
        src: &Source,
        ep: &Spanned<RawEndpoint>,
        seen: &mut Seen,
    ) {
        let e = ep.get_ref();
        let path = format!("{}/{}", e.service.get_ref(), e.command.get_ref());
        let scope = self.cx.scope(src, format!("endpoint `{path}`"));
        let before = self.cx.count();
        let rust = head(&scope, e, &path, seen);
        let mut rate = lower_rate(&scope, e.rate.as_ref().map(Spanned::get_ref));
        let (errors, codes) = lower_errors(&scope, &e.errors, &self.spec.errors);
        let known = self.known_types();
        let request = self.lower_fields(&scope, &e.request, &known, true, true);
        let response = self.lower_fields(&scope, &e.response, &known, false, false);
        // Cross-references, in the order a reader meets them in an entry.
        let documented = Documented(&codes);
        let invalid_json_code = check::code(
            &scope,
            e.invalid_json_code.as_ref(),
            "invalid_json_code",
            DEFAULT_INVALID_JSON_CODE,
            &documented,
        );
        let invalid_code = check::code(
            &scope,
            e.invalid_code.as_ref(),
            "invalid_code",
            DEFAULT_INVALID_CODE,
            &documented,
        );
        if let Some(r) = &e.rate {
            let code = r.get_ref().code.as_ref();
            rate.code = check::code(&scope, code, "rate.code", DEFAULT_RATE_CODE, &documented);
            check::group_key(&scope, r.get_ref(), &mut rate, &request, r.span().start);
            check::quotas(&scope, r.get_ref(), &mut rate, &request, &documented);
        }
        check::field_codes(&scope, &e.request, &request, &documented);
        let partial_failure = e.partial_failure.as_ref().and_then(|p| {
            let list = lower_partial_failure(p.get_ref());
            check::partial_failure(&scope, p.span().start, &list, &response, &self.spec)
        });
        let page = e.page.as_ref().and_then(|p| {
            let page = lower_page(&scope, p.span().start, p.get_ref())?;
            check::page(
                &scope,
                p.span().start,
                page,
                &request,
                &response,
                &self.spec,
            )
        });
        let chunk = e.chunk.as_ref().and_then(|c| {
            let chunk = lower_chunk(c.get_ref());
            check::chunk(&scope, c.span().start, chunk, &request, &self.spec)
        });
        let rules = e.conflicts.iter().map(|c| (c, false));
        let rules = rules.chain(e.one_of.iter().map(|c| (c, true)));
        let conflicts = rules
            .filter_map(|(c, at_least_one)| {
                let at = c.span().start;
                let fields = lower_conflict(&scope, at, c.get_ref())?;
                let mut rule = check::conflict(&scope, at, fields, &c.get_ref().doc, &request)?;
                rule.at_least_one = at_least_one;
                Some(rule)
            })
            .collect();
        if e.partial {
            partial_names(&scope, e);
        }
        if self.cx.count() != before {
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
            aliases: e.aliases.iter().map(|a| a.get_ref().clone()).collect(),
            partial: e.partial,
            invalid_json_code,
            invalid_code,
            request,
            response,
            file: src.name.clone(),
        });
    }

    /// Declared types by name, as far as lowered.
    pub(super) fn known_types(&self) -> BTreeMap<String, Kind> {
        self.spec
            .types
            .iter()
            .map(|t| {
                let kind = if matches!(t, TypeDef::Struct(_)) {
                    Kind::Struct
                } else {
                    Kind::Other
                };
                (t.name().to_owned(), kind)
            })
            .collect()
    }
}

/// Path segments, uniqueness of path and method name, summary and group
/// types. Returns the method name.
fn head(scope: &Scope<'_>, e: &RawEndpoint, path: &str, seen: &mut Seen) -> String {
    for part in [&e.service, &e.command] {
        if !names::is_ident(part.get_ref()) {
            scope.error(
                part,
                format!(
                    "`{}` is not a valid path segment (letters, digits and `_`)",
                    part.get_ref()
                ),
            );
        }
    }
    if seen.paths.insert(path.to_owned(), ()).is_some() {
        scope.error(
            &e.command,
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
        scope.error_at(
            rust_at,
            format!("method name `{rust}` is not a usable snake_case identifier (set `name`)"),
        );
    } else if let Some(other) = seen.rust_names.insert(rust.clone(), path.to_owned()) {
        scope.error_at(
            rust_at,
            format!("method name `{rust}` is already used by `{other}` (set `name`)"),
        );
    }
    if e.summary.get_ref().trim().is_empty() {
        scope.error(
            &e.summary,
            "`summary` must not be empty: it becomes the method's doc",
        );
    }
    for g in &e.group_types {
        if !GROUP_TYPES.contains(&g.get_ref().as_str()) {
            scope.error(
                g,
                format!(
                    "unknown group type `{}`: expected one of {}",
                    g.get_ref(),
                    GROUP_TYPES.join(", ")
                ),
            );
        }
    }
    rust
}

/// A partial entry keeps `extra` and `field` for what it does not model.
fn partial_names(scope: &Scope<'_>, e: &RawEndpoint) {
    for f in e.request.iter().chain(&e.response) {
        let f = f.get_ref();
        let rust = f.name.as_ref().map_or_else(
            || names::snake_case(f.wire.get_ref()),
            |n| n.get_ref().clone(),
        );
        if matches!(rust.as_str(), "extra" | "field") {
            scope.field_error(
                &f.wire,
                f.wire.get_ref(),
                format!("a partial entry keeps `{rust}` for fields it does not model (set `name`)"),
            );
        }
    }
}
