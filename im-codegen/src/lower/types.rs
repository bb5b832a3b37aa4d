//! Pass 2: the bodies of declared structs, enums and unions.

use std::collections::{BTreeMap, BTreeSet};

use toml::Spanned;

use super::{doc_of, Kind, Lowering};
use crate::diag::{Scope, Source};
use crate::model::*;
use crate::names;
use crate::raw::*;

impl Lowering<'_> {
    pub(super) fn lower_types(
        &mut self,
        src: &Source,
        raw: &RawFile,
        external: bool,
        known: &BTreeMap<String, Kind>,
    ) {
        for s in &raw.structs {
            let s = s.get_ref();
            let scope = self.cx.scope(src, format!("struct `{}`", s.name.get_ref()));
            let fields = self.lower_fields(&scope, &s.fields, known, true, false);
            let directions = directions(&scope, &s.derive);
            self.spec.types.push(TypeDef::Struct(StructDef {
                name: s.name.get_ref().clone(),
                doc: doc_of(&s.doc),
                fields,
                directions,
                external,
            }));
        }
        for e in &raw.enums {
            let def = self.lower_enum(src, e.get_ref(), external);
            self.spec.types.push(TypeDef::Enum(def));
        }
        for u in &raw.unions {
            let def = self.lower_union(src, u.get_ref(), external, known);
            self.spec.types.push(TypeDef::Union(def));
        }
    }

    fn lower_enum(&self, src: &Source, e: &RawEnum, external: bool) -> EnumDef {
        let scope = self.cx.scope(src, format!("enum `{}`", e.name.get_ref()));
        let int = match &e.kind {
            None => false,
            Some(k) if k.get_ref() == "string" => false,
            Some(k) if k.get_ref() == "int" => true,
            Some(k) => {
                scope.error(
                    k,
                    format!(
                        "unknown enum type `{}`: expected \"string\" or \"int\"",
                        k.get_ref()
                    ),
                );
                false
            }
        };
        let mut values = Vec::new();
        let mut wires = BTreeSet::new();
        let mut rust = BTreeSet::new();
        if e.values.is_empty() {
            scope.error(&e.name, "an enum needs at least one value");
        }
        for v in &e.values {
            if let Some(value) = enum_value(&scope, v.get_ref(), int, &mut wires, &mut rust) {
                values.push(value);
            }
        }
        EnumDef {
            name: e.name.get_ref().clone(),
            doc: doc_of(&e.doc),
            int,
            values,
            directions: directions(&scope, &e.derive),
            external,
        }
    }

    fn lower_union(
        &self,
        src: &Source,
        u: &RawUnion,
        external: bool,
        known: &BTreeMap<String, Kind>,
    ) -> UnionDef {
        let scope = self.cx.scope(src, format!("union `{}`", u.name.get_ref()));
        for (what, v) in [("tag", &u.tag), ("content", &u.content)] {
            if v.get_ref().trim().is_empty() {
                scope.error(v, format!("`{what}` must name a wire key"));
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
            let scope = scope.field(wire);
            if !wires.insert(wire.clone()) {
                scope.error(&v.wire, "duplicate variant tag");
                continue;
            }
            if !names::is_upper_camel(&name) || name == "Unknown" || !rust.insert(name.clone()) {
                scope.error(
                    &v.wire,
                    format!("variant name `{name}` is invalid or repeated (set `name`)"),
                );
                continue;
            }
            let ty = match Ty::parse(ty) {
                Ok(t) if t.named().is_none_or(|n| known.contains_key(n)) => t,
                _ => {
                    scope.error(
                        &v.ty,
                        format!("unknown type `{ty}`: a union variant holds a declared type or a field type (string, u32, [T], ...)"),
                    );
                    continue;
                }
            };
            variants.push(UnionVariant {
                wire: wire.clone(),
                name,
                ty,
                doc: doc_of(&v.doc),
            });
        }
        let directions = directions(&scope, &u.derive);
        let mut at_most_one = Vec::new();
        for tag in &u.at_most_one {
            match variants.iter().find(|v| &v.wire == tag.get_ref()) {
                Some(v) => at_most_one.push(v.name.clone()),
                None => scope
                    .field(tag.get_ref())
                    .error(tag, "`at_most_one` names no variant tag"),
            }
        }
        UnionDef {
            at_most_one,
            name: u.name.get_ref().clone(),
            doc: doc_of(&u.doc),
            tag: u.tag.get_ref().clone(),
            content: u.content.get_ref().clone(),
            variants,
            directions,
            external,
        }
    }
}

/// The serde directions a type asks for with `derive = [...]`.
fn directions(scope: &Scope<'_>, derive: &Option<Vec<Spanned<String>>>) -> Directions {
    let mut d = Directions::default();
    for v in derive.iter().flatten() {
        match v.get_ref().as_str() {
            "serialize" => d.ser = true,
            "deserialize" => d.de = true,
            other => scope.error(
                v,
                format!("unknown derive `{other}`: expected serialize or deserialize"),
            ),
        }
    }
    d
}

/// One enum value: its wire form must match the enum's type, and its
/// variant name must be usable and unique.
fn enum_value(
    scope: &Scope<'_>,
    v: &RawEnumValue,
    int: bool,
    wires: &mut BTreeSet<String>,
    rust: &mut BTreeSet<String>,
) -> Option<EnumValue> {
    let (wire, code) = match (v.wire.get_ref(), int) {
        (RawWire::Str(s), false) => (s.clone(), None),
        (RawWire::Int(i), true) => (i.to_string(), Some(*i)),
        (RawWire::Int(i), false) => {
            scope.field(&i.to_string()).error(
                &v.wire,
                "an integer value in a string enum (set `type = \"int\"` on the enum)",
            );
            return None;
        }
        (RawWire::Str(s), true) => {
            scope
                .field(s)
                .error(&v.wire, "a string value in an integer enum");
            return None;
        }
    };
    let scope = scope.field(&wire);
    let name = match (&v.name, code) {
        (Some(n), _) => n.get_ref().clone(),
        (None, None) => names::upper_camel(&wire),
        (None, Some(_)) => {
            scope.error(&v.wire, "integer values need a `name`");
            return None;
        }
    };
    let at = v
        .name
        .as_ref()
        .map_or(v.wire.span().start, |n| n.span().start);
    if !wires.insert(wire.clone()) {
        scope.error(&v.wire, "duplicate enum wire value");
    } else if !names::is_upper_camel(&name) || name == "Unknown" {
        scope.error_at(
            at,
            format!("variant name `{name}` is not a usable UpperCamelCase identifier (set `name`)"),
        );
    } else if !rust.insert(name.clone()) {
        scope.error_at(
            at,
            format!("two values map to the variant `{name}` (set `name`)"),
        );
    } else {
        return Some(EnumValue {
            wire,
            int: code,
            name,
            doc: doc_of(&v.doc),
        });
    }
    None
}
