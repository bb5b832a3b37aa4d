//! Pass 1: the names of declared types, and the error-code catalogue.

use std::collections::{BTreeMap, HashMap};

use super::{Kind, Lowering};
use crate::diag::Source;
use crate::model::*;
use crate::names;
use crate::raw::RawFile;

/// Type names the generated code uses itself.
const RESERVED_TYPE_NAMES: &[&str] = &[
    "Request",
    "Response",
    "Error",
    "Result",
    "Client",
    "PublicError",
];

impl Lowering<'_> {
    pub(super) fn collect_type_names(
        &mut self,
        src: &Source,
        raw: &RawFile,
        seen: &mut BTreeMap<String, Kind>,
    ) {
        let all = raw
            .structs
            .iter()
            .map(|s| (&s.get_ref().name, Kind::Struct))
            .chain(raw.enums.iter().map(|e| (&e.get_ref().name, Kind::Other)))
            .chain(raw.unions.iter().map(|u| (&u.get_ref().name, Kind::Other)));
        for (name, kind) in all {
            let n = name.get_ref();
            let scope = self.cx.scope(src, format!("type `{n}`"));
            if !names::is_upper_camel(n) {
                scope.error(name, "type names must be UpperCamelCase Rust identifiers");
            } else if Ty::parse(n) != Ok(Ty::Named(n.clone()))
                || RESERVED_TYPE_NAMES.contains(&n.as_str())
            {
                scope.error(name, "this name is reserved");
            } else if seen.insert(n.clone(), kind).is_some() {
                scope.error(name, "duplicate type name: it is declared more than once");
            }
        }
    }

    pub(super) fn collect_errors(&mut self, src: &Source, raw: &RawFile, external: bool) {
        let mut names_seen: HashMap<String, i64> = self
            .spec
            .errors
            .values()
            .map(|e| (e.name.clone(), e.code))
            .collect();
        for e in &raw.error {
            let e = e.get_ref();
            let code = *e.code.get_ref();
            let scope = self.cx.scope(src, format!("error {code}"));
            let mut ok = true;
            if code <= 0 {
                scope.error(&e.code, "error codes must be positive");
                ok = false;
            }
            if !names::is_upper_camel(e.name.get_ref()) {
                scope.error(&e.name, "error names must be UpperCamelCase");
                ok = false;
            } else if matches!(e.name.get_ref().as_str(), "Public" | "Unknown") {
                scope.error(&e.name, "`Public` and `Unknown` are reserved variant names");
                ok = false;
            }
            let Some(retry) = RetryClass::parse(e.retry.get_ref()) else {
                scope.error(
                    &e.retry,
                    format!(
                        "unknown retry class `{}`: expected retryable, rate_limited, resign or permanent",
                        e.retry.get_ref()
                    ),
                );
                continue;
            };
            if self.spec.errors.contains_key(&code) {
                scope.error(&e.code, "duplicate error code in the catalogue");
                continue;
            }
            if let Some(other) = names_seen.get(e.name.get_ref()) {
                if is_public_code(*other) == is_public_code(code) {
                    scope.error(
                        &e.name,
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
}
