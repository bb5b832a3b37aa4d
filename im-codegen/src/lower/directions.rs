//! Which serde directions each type needs: reachable from a request means
//! `Serialize`, from a response means `Deserialize` (plus what `derive` asks).

use std::collections::BTreeMap;

use crate::model::*;

pub(super) fn compute(spec: &mut Spec) {
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
        for (fields, ser) in [(&ep.request, true), (&ep.response, false)] {
            for f in fields {
                if let Some(n) = f.ty.named() {
                    stack.push((n.to_owned(), ser));
                }
            }
        }
    }
    for cb in &spec.callbacks {
        for (fields, ser) in [(&cb.request, false), (&cb.answer, true)] {
            for f in fields {
                if let Some(n) = f.ty.named() {
                    stack.push((n.to_owned(), ser));
                }
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
        if let Some(t) = spec.type_def(&name) {
            stack.extend(t.refs().into_iter().map(|n| (n.to_owned(), ser)));
        }
    }
    for t in &mut spec.types {
        if let Some(d) = need.get(t.name()) {
            *t.directions_mut() = *d;
        }
    }
}
