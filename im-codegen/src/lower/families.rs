//! Which API families (spec files) need each shared type: a type reachable
//! from a family's endpoints is compiled when that family's cargo feature is
//! on (im-api only). Types reachable from callbacks, or from no endpoint,
//! are always compiled.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::*;

pub(super) fn compute(spec: &mut Spec) {
    let mut families: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for ep in &spec.endpoints {
        let roots = ep
            .request
            .iter()
            .chain(&ep.response)
            .filter_map(|f| f.ty.named().map(str::to_owned))
            .collect();
        for name in reachable(spec, roots) {
            families.entry(name).or_default().insert(ep.family());
        }
    }
    // Always compiled: what callbacks use, types no endpoint uses, and
    // everything those reach.
    let mut roots = roots_of_callbacks(spec);
    roots.extend(
        spec.types
            .iter()
            .map(|t| t.name().to_owned())
            .filter(|n| !families.contains_key(n)),
    );
    let always = reachable(spec, roots);
    families.retain(|name, _| !always.contains(name));
    spec.type_families = families;
}

fn roots_of_callbacks(spec: &Spec) -> Vec<String> {
    spec.callbacks
        .iter()
        .flat_map(|cb| cb.request.iter().chain(&cb.answer))
        .filter_map(|f| f.ty.named().map(str::to_owned))
        .collect()
}

/// Every type reachable from `roots` through struct fields and union variants.
fn reachable(spec: &Spec, mut stack: Vec<String>) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    while let Some(name) = stack.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        if let Some(t) = spec.type_def(&name) {
            stack.extend(t.refs().into_iter().map(str::to_owned));
        }
    }
    seen
}
