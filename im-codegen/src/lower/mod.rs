//! Parse spec files and lower them into the checked model, one concern per
//! module, collecting every problem with its location before giving up:
//!
//! - `catalogue`: declared type names and the error-code catalogue (pass 1);
//! - `types`: struct, enum and union bodies (pass 2);
//! - `fields` (and their limits), `rate`, `errors`, `paging`, `chunking`,
//!   `conflicts`: the parts of an endpoint, assembled by `endpoint` (pass 3);
//! - cross-references between those parts are checked in [`crate::check`];
//! - `directions`: which serde directions each type needs.
//! - `families`: which API families (cargo features of im-api) need each type.

mod callbacks;
mod catalogue;
mod chunking;
mod conflicts;
mod directions;
mod endpoint;
mod errors;
mod families;
mod fields;
mod paging;
mod rate;
mod types;

use std::collections::BTreeMap;

use crate::diag::{Ctxt, Diagnostics, Source};
use crate::model::*;
use crate::raw::RawFile;

pub(crate) use chunking::FailureList;

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
    let cx = Ctxt::default();
    let parsed = parse(&cx, sources, builtin);
    let mut lw = Lowering {
        cx: &cx,
        spec: Spec::default(),
    };
    // Pass 1: names of declared types and the error catalogue.
    let mut type_names: BTreeMap<String, Kind> = BTreeMap::new();
    for (src, raw, external) in &parsed {
        lw.collect_type_names(src, raw, &mut type_names);
        lw.collect_errors(src, raw, *external);
    }
    // Pass 2: type bodies, resolving names.
    for (src, raw, external) in &parsed {
        lw.lower_types(src, raw, *external, &type_names);
    }
    // Pass 3: endpoints.
    let mut seen = endpoint::Seen::default();
    for (src, raw, external) in &parsed {
        if *external {
            continue;
        }
        for ep in &raw.endpoint {
            lw.lower_endpoint(src, ep, &mut seen);
        }
    }
    // Pass 4: callbacks.
    let mut commands = std::collections::HashMap::new();
    for (src, raw, external) in &parsed {
        if *external || raw.callback.is_empty() {
            continue;
        }
        let known = lw.known_types();
        for cb in &raw.callback {
            lw.lower_callback(src, cb, &known, &mut commands);
        }
    }
    let mut spec = lw.spec;
    directions::compute(&mut spec);
    families::compute(&mut spec);
    (spec, cx.into_diagnostics())
}

/// Parse every file as TOML; a file that does not parse is reported and skipped.
fn parse<'a>(
    cx: &Ctxt,
    sources: &'a [Source],
    builtin: &'a [Source],
) -> Vec<(&'a Source, RawFile, bool)> {
    let mut parsed = Vec::new();
    let all = builtin
        .iter()
        .map(|s| (s, true))
        .chain(sources.iter().map(|s| (s, false)));
    for (src, external) in all {
        match toml::from_str::<RawFile>(&src.text) {
            Ok(raw) => parsed.push((src, raw, external)),
            Err(e) => {
                let offset = e.span().map_or(0, |s| s.start);
                cx.error(src, offset, e.message().trim());
            }
        }
    }
    parsed
}

/// The lowering state: where problems go and the spec built so far.
struct Lowering<'c> {
    cx: &'c Ctxt,
    spec: Spec,
}

fn doc_of(doc: &Option<String>) -> String {
    doc.as_deref().unwrap_or("").trim().to_owned()
}

/// What a declared type name stands for (collected before the bodies).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Struct,
    Other,
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
