//! An endpoint's documented error codes, resolved against the catalogue.

use std::collections::{BTreeMap, BTreeSet};

use toml::Spanned;

use crate::diag::Scope;
use crate::model::*;
use crate::names;
use crate::raw::RawErrorRef;

/// The endpoint's errors, and the set of codes it documents.
pub(super) fn lower_errors(
    scope: &Scope<'_>,
    raw: &[Spanned<RawErrorRef>],
    catalogue: &BTreeMap<i64, ErrorDef>,
) -> (Vec<EndpointError>, BTreeSet<i64>) {
    let mut errors = Vec::new();
    let mut codes = BTreeSet::new();
    let mut err_names = BTreeSet::new();
    for er in raw {
        let (code, name, retry, doc) = match er.get_ref() {
            RawErrorRef::Code(c) => (*c, None, None, None),
            RawErrorRef::Detail(d) => (d.code, d.name.clone(), d.retry.clone(), d.doc.clone()),
        };
        let what = format!("error {code}");
        if is_public_code(code) {
            scope.error(er, format!("{what} is a public code (60000-79999): every endpoint shares it through `PublicError`, so do not list it"));
            continue;
        }
        if !codes.insert(code) {
            scope.error(er, format!("{what} is listed twice"));
            continue;
        }
        let cat = catalogue.get(&code);
        let name = match (name, cat) {
            (Some(n), _) => n,
            (None, Some(c)) => c.name.clone(),
            (None, None) => {
                scope.error(er, format!("{what} is not in the error catalogue: add it there or give `name`, `retry` and `doc`"));
                continue;
            }
        };
        let retry = match (retry, cat) {
            (Some(r), _) => match RetryClass::parse(&r) {
                Some(r) => r,
                None => {
                    scope.error(er, format!("{what}: unknown retry class `{r}`"));
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
            scope.error(
                er,
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
    (errors, codes)
}
