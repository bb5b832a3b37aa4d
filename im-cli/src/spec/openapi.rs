//! Reading an OpenAPI 3.0/3.1 document (YAML or JSON) into the trees of
//! `tree.rs`: `$ref`s (local ones) and `allOf`s merged, unions recognised by
//! their discriminator (or `x-im-union`), open enums by `anyOf` of an enum
//! and its base type, limits by keyword or `x-im-*` extension.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{Map, Value};

use super::tree::{put, FieldInfo, Fields, Kind, LimitMap, Node, ENVELOPE};

/// Read a YAML or JSON file into a JSON value (YAML keys that are not
/// strings become their text).
pub fn read_document(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if text.trim_start().starts_with('{') {
        return serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()));
    }
    let yaml: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(yaml_to_json(yaml))
}

fn yaml_to_json(v: serde_yaml_ng::Value) -> Value {
    use serde_yaml_ng::Value as Y;
    match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map_or(Value::Null, Value::Number)
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(yaml_to_json).collect()),
        Y::Mapping(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let key = match yaml_to_json(k) {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                out.insert(key, yaml_to_json(v));
            }
            Value::Object(out)
        }
        Y::Tagged(t) => yaml_to_json(t.value),
    }
}

/// One operation of the document.
#[derive(Debug)]
pub struct FileEndpoint {
    /// `service/command`.
    pub path: String,
    /// Older command names (`x-im-aliases`).
    pub aliases: Vec<String>,
    /// Where the facts come from (`x-im-sources`).
    pub sources: Vec<String>,
    pub summary: String,
    pub doc: String,
    /// `x-im-rate` as exported, when present.
    pub rate: Option<Value>,
    pub request: Fields,
    pub response: Fields,
}

/// The `/v4/{service}/{command}` operations of `doc`, and what was skipped.
pub fn endpoints(doc: &Value) -> (Vec<FileEndpoint>, Vec<String>) {
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    let mut reader = Reader::new(doc);
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return (out, vec!["the document has no `paths`".into()]);
    };
    for (path, item) in paths {
        let Some(service_command) = endpoint_path(path) else {
            skipped.push(format!("`{path}`: not a /v4/{{service}}/{{command}} path"));
            continue;
        };
        let item = reader.resolve(item);
        let op = ["post", "put", "get"]
            .iter()
            .find_map(|m| item.get(*m).filter(|o| o.is_object()));
        let Some(op) = op else {
            skipped.push(format!("`{path}`: no operation"));
            continue;
        };
        out.push(reader.endpoint(service_command, op));
    }
    (out, skipped)
}

/// `/v4/openim/sendmsg` -> `openim/sendmsg`.
pub fn endpoint_path(path: &str) -> Option<String> {
    let rest = path.strip_prefix("/v4/")?;
    let (service, command) = rest.split_once('/')?;
    let ok = |s: &str| !s.is_empty() && !s.contains(['/', '{', '}']);
    (ok(service) && ok(command)).then(|| format!("{service}/{command}"))
}

/// A schema and everything its `$ref`s and `allOf`s lead to, nearest first.
struct Parts<'a> {
    list: Vec<&'a Value>,
    /// Component names the `$ref`s went through.
    names: Vec<String>,
}

impl<'a> Parts<'a> {
    fn get(&self, key: &str) -> Option<&'a Value> {
        self.list.iter().copied().find_map(|p| p.get(key))
    }

    fn str(&self, key: &str) -> Option<&'a str> {
        self.get(key).and_then(Value::as_str)
    }

    /// The first non-null `type`.
    fn ty(&self) -> Option<&'a str> {
        match self.get("type")? {
            Value::String(s) => Some(s.as_str()),
            Value::Array(list) => list.iter().filter_map(Value::as_str).find(|t| *t != "null"),
            _ => None,
        }
    }

    /// Properties of every part, the nearest first.
    fn properties(&self) -> Vec<(&'a str, &'a Value)> {
        let mut out: Vec<(&'a str, &'a Value)> = Vec::new();
        for p in self.list.iter() {
            let Some(props) = p.get("properties").and_then(Value::as_object) else {
                continue;
            };
            for (k, v) in props {
                if !out.iter().any(|(n, _)| *n == k.as_str()) {
                    out.push((k.as_str(), v));
                }
            }
        }
        out
    }

    fn required(&self) -> BTreeSet<&'a str> {
        self.list
            .iter()
            .copied()
            .filter_map(|p| p.get("required").and_then(Value::as_array))
            .flatten()
            .filter_map(Value::as_str)
            .collect()
    }

    fn number(&self, key: &str) -> Option<i128> {
        self.get(key).and_then(as_i128)
    }
}

fn as_i128(v: &Value) -> Option<i128> {
    v.as_i64()
        .map(i128::from)
        .or_else(|| v.as_u64().map(i128::from))
        .or_else(|| {
            v.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 1e30)
                .map(|f| f as i128)
        })
}

/// A scalar as text: enum values and union tags.
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Walks schemas of one document into trees.
struct Reader<'a> {
    doc: &'a Value,
    /// Component names being expanded, to stop at recursion.
    stack: Vec<String>,
}

impl<'a> Reader<'a> {
    fn new(doc: &'a Value) -> Self {
        Reader {
            doc,
            stack: Vec::new(),
        }
    }

    fn lookup(&self, reference: &str) -> Option<&'a Value> {
        let doc = self.doc;
        doc.pointer(reference.strip_prefix('#')?)
    }

    /// Follow `$ref`s of a non-schema object (path item, request body, response).
    fn resolve(&self, mut v: &'a Value) -> &'a Value {
        for _ in 0..16 {
            match v
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| self.lookup(r))
            {
                Some(target) => v = target,
                None => break,
            }
        }
        v
    }

    fn parts(&self, schema: &'a Value) -> Parts<'a> {
        let mut parts = Parts {
            list: Vec::new(),
            names: Vec::new(),
        };
        self.collect(schema, &mut parts, 0);
        parts
    }

    fn collect(&self, s: &'a Value, parts: &mut Parts<'a>, depth: usize) {
        if depth > 32 {
            return;
        }
        parts.list.push(s);
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            if let Some(target) = self.lookup(r) {
                if let Some(name) = r.rsplit('/').next() {
                    parts.names.push(name.to_owned());
                }
                self.collect(target, parts, depth + 1);
            }
        }
        for member in s
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            self.collect(member, parts, depth + 1);
        }
    }

    fn endpoint(&mut self, path: String, op: &'a Value) -> FileEndpoint {
        let text = |key: &str| {
            op.get(key)
                .and_then(Value::as_str)
                .unwrap_or("")
                .trim()
                .to_owned()
        };
        let strings = |key: &str| -> Vec<String> {
            op.get(key)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        let request = match self.request_schema(op) {
            Some(s) => self.body_fields(s),
            None => Vec::new(),
        };
        let response = match self.response_schema(op) {
            Some(s) => self.body_fields(s),
            None => Vec::new(),
        };
        FileEndpoint {
            path,
            aliases: strings("x-im-aliases"),
            sources: strings("x-im-sources"),
            summary: text("summary"),
            doc: text("description"),
            rate: op.get("x-im-rate").cloned(),
            request,
            response,
        }
    }

    fn request_schema(&self, op: &'a Value) -> Option<&'a Value> {
        media_schema(self.resolve(op.get("requestBody")?))
    }

    fn response_schema(&self, op: &'a Value) -> Option<&'a Value> {
        let responses = op.get("responses")?.as_object()?;
        let answer = responses
            .get("200")
            .or_else(|| {
                responses
                    .iter()
                    .find(|(k, _)| k.starts_with('2'))
                    .map(|(_, v)| v)
            })
            .or_else(|| responses.get("default"))?;
        media_schema(self.resolve(answer))
    }

    /// The top-level fields of a body, without the envelope's.
    fn body_fields(&mut self, schema: &'a Value) -> Fields {
        self.stack.clear();
        let p = self.parts(schema);
        self.property_nodes(&p, "")
            .into_iter()
            .filter(|(k, _)| !ENVELOPE.contains(&k.as_str()))
            .collect()
    }

    fn property_nodes(&mut self, p: &Parts<'a>, prefix: &str) -> Fields {
        let required = p.required();
        p.properties()
            .into_iter()
            .map(|(k, s)| (format!("{prefix}{k}"), self.node(s, required.contains(k))))
            .collect()
    }

    fn node(&mut self, schema: &'a Value, required: bool) -> Node {
        let p = self.parts(schema);
        let (kind, values) = self.kind(&p);
        let info = FieldInfo {
            limits: self.limits(&p, &kind),
            required,
            values,
            variant: false,
            doc: p.str("description").unwrap_or("").trim().to_owned(),
            type_name: self.type_name(&p),
            kind,
        };
        let children = self.children(&p, &info.kind, "");
        Node { info, children }
    }

    /// The component a field refers to (directly, or as its items).
    fn type_name(&self, p: &Parts<'a>) -> Option<String> {
        if let Some(n) = p.names.first() {
            return Some(n.clone());
        }
        let inner = p.get("items").or_else(|| p.get("additionalProperties"))?;
        if !inner.is_object() {
            return None;
        }
        self.parts(inner).names.first().cloned()
    }

    fn kind(&self, p: &Parts<'a>) -> (Kind, Option<BTreeSet<String>>) {
        if let Some(alts) = p
            .get("oneOf")
            .or_else(|| p.get("anyOf"))
            .and_then(Value::as_array)
        {
            return self.alt_kind(p, alts);
        }
        let values = p
            .get("enum")
            .and_then(Value::as_array)
            .map(|a| enum_values(a.as_slice()));
        let kind = match p.ty() {
            Some("string") => Kind::String,
            Some("integer") if is_bool01(p.get("enum")) => return (Kind::Bool01, None),
            Some("integer") => Kind::Integer(p.str("format").map(str::to_owned)),
            Some("number") => Kind::Number,
            Some("boolean") => Kind::Boolean,
            Some("array") => {
                let Some(items) = p.get("items") else {
                    return (Kind::Array(Box::new(Kind::Any)), None);
                };
                let (inner, values) = self.kind(&self.parts(items));
                return (Kind::Array(Box::new(inner)), values);
            }
            Some("object") => self.object_kind(p),
            Some(_) => Kind::Any,
            None if !p.properties().is_empty() => Kind::Object,
            None => match &values {
                Some(v) if !v.is_empty() && v.iter().all(|x| x.parse::<i64>().is_ok()) => {
                    Kind::Integer(None)
                }
                Some(v) if !v.is_empty() => Kind::String,
                _ => Kind::Any,
            },
        };
        (kind, values)
    }

    fn object_kind(&self, p: &Parts<'a>) -> Kind {
        if !p.properties().is_empty() {
            return Kind::Object;
        }
        match p.get("additionalProperties") {
            Some(extra) if extra.is_object() => {
                Kind::Map(Box::new(self.kind(&self.parts(extra)).0))
            }
            _ => Kind::Object,
        }
    }

    /// `oneOf`/`anyOf`: a union, an open enum, an integer-or-string, or a
    /// nullable type.
    fn alt_kind(&self, p: &Parts<'a>, alts: &'a [Value]) -> (Kind, Option<BTreeSet<String>>) {
        if let Some((tag, _)) = self.union_shape(p, alts) {
            return (Kind::Union(tag.to_owned()), None);
        }
        let all: Vec<Parts<'a>> = alts.iter().map(|a| self.parts(a)).collect();
        let parts: Vec<&Parts<'a>> = all.iter().filter(|a| a.ty() != Some("null")).collect();
        if let [only] = parts.as_slice() {
            return self.kind(only);
        }
        if let [a, b] = parts.as_slice() {
            for (e, base) in [(a, b), (b, a)] {
                let Some(list) = e.get("enum").and_then(Value::as_array) else {
                    continue;
                };
                if base.get("enum").is_none() && base.ty().is_some() && base.ty() == e.ty() {
                    let kind = match e.ty() {
                        Some("integer") => Kind::Integer(e.str("format").map(str::to_owned)),
                        Some("string") => Kind::String,
                        _ => Kind::Any,
                    };
                    return (kind, Some(enum_values(list)));
                }
            }
            let tys = [a.ty(), b.ty()];
            if tys.contains(&Some("integer")) && tys.contains(&Some("string")) {
                return (Kind::IntOrString, None);
            }
        }
        (Kind::Any, None)
    }

    /// A tagged union: its tag key and content key (when one is named).
    fn union_shape(&self, p: &Parts<'a>, alts: &'a [Value]) -> Option<(&'a str, Option<&'a str>)> {
        let marked = p.get("x-im-union");
        let tag = marked
            .and_then(|u| u.get("tag"))
            .and_then(Value::as_str)
            .or_else(|| {
                p.get("discriminator")
                    .and_then(|d| d.get("propertyName"))
                    .and_then(Value::as_str)
            })?;
        let content = marked
            .and_then(|u| u.get("content"))
            .and_then(Value::as_str);
        let tagged = alts.iter().all(|a| self.tag_value(p, a, tag).is_some());
        (tagged && !alts.is_empty()).then_some((tag, content))
    }

    /// The tag value an alternative stands for: its tag property's `const`
    /// (or single `enum`, or `default`), else the discriminator's mapping.
    fn tag_value(&self, p: &Parts<'a>, alt: &'a Value, tag: &str) -> Option<String> {
        let ap = self.parts(alt);
        let own = ap
            .properties()
            .into_iter()
            .find(|(k, _)| *k == tag)
            .and_then(|(_, s)| {
                let sp = self.parts(s);
                let single = sp
                    .get("enum")
                    .and_then(Value::as_array)
                    .filter(|a| a.len() == 1)
                    .and_then(|a| a.first());
                sp.get("const")
                    .or(single)
                    .or_else(|| sp.get("default"))
                    .and_then(scalar_text)
            });
        if own.is_some() {
            return own;
        }
        let target = alt.get("$ref").and_then(Value::as_str)?;
        let mapping = p.get("discriminator")?.get("mapping")?.as_object()?;
        mapping
            .iter()
            .find(|(_, v)| v.as_str() == Some(target))
            .map(|(k, _)| k.clone())
    }

    fn limits(&self, p: &Parts<'a>, kind: &Kind) -> LimitMap {
        let mut m = LimitMap::new();
        match kind {
            Kind::Array(_) => {
                put(&mut m, "min_items", p.number("minItems"));
                put(&mut m, "max_items", p.number("maxItems"));
                if let Some(items) = p.get("items") {
                    let ip = self.parts(items);
                    let n = ip
                        .number("x-im-max-bytes")
                        .or_else(|| ip.number("maxLength"));
                    put(&mut m, "item_max_bytes", n);
                }
            }
            Kind::String => {
                let flagged = p.get("x-im-non-empty").and_then(Value::as_bool) == Some(true);
                if flagged || p.number("minLength").is_some_and(|n| n >= 1) {
                    m.insert("non_empty", 1);
                }
                put(&mut m, "min_bytes", p.number("x-im-min-bytes"));
                let max = p.number("x-im-max-bytes").or_else(|| p.number("maxLength"));
                put(&mut m, "max_bytes", max);
            }
            _ => {}
        }
        put(&mut m, "min", p.number("minimum"));
        put(&mut m, "max", p.number("maximum"));
        put(&mut m, "max_json_bytes", p.number("x-im-max-json-bytes"));
        put(
            &mut m,
            "legacy_max_json_bytes",
            p.number("x-im-legacy-max-json-bytes"),
        );
        if p.str("x-im-fill") == Some("random") {
            m.insert("fill_random", 1);
        }
        m
    }

    /// What a value contains, keys prefixed with `prefix`; nothing below a
    /// component already being expanded.
    fn children(&mut self, p: &Parts<'a>, kind: &Kind, prefix: &str) -> Fields {
        if p.names.iter().any(|n| self.stack.contains(n)) {
            return Vec::new();
        }
        let depth = self.stack.len();
        self.stack.extend(p.names.iter().cloned());
        let out = match kind {
            Kind::Object => self.property_nodes(p, &format!("{prefix}.")),
            Kind::Union(_) => self.variant_nodes(p, prefix),
            Kind::Array(_) | Kind::Map(_) => {
                let (key, suffix) = match kind {
                    Kind::Array(_) => ("items", "[]"),
                    _ => ("additionalProperties", "{}"),
                };
                match p.get(key).filter(|v| v.is_object()) {
                    Some(inner) => {
                        let ip = self.parts(inner);
                        let (k, _) = self.kind(&ip);
                        self.children(&ip, &k, &format!("{prefix}{suffix}"))
                    }
                    None => Vec::new(),
                }
            }
            _ => Vec::new(),
        };
        self.stack.truncate(depth);
        out
    }

    /// The variants of a union, keyed `<tag>`.
    fn variant_nodes(&mut self, p: &Parts<'a>, prefix: &str) -> Fields {
        let Some(alts) = p
            .get("oneOf")
            .or_else(|| p.get("anyOf"))
            .and_then(Value::as_array)
        else {
            return Vec::new();
        };
        let Some((tag, content)) = self.union_shape(p, alts) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for alt in alts {
            let Some(value) = self.tag_value(p, alt, tag) else {
                continue;
            };
            let ap = self.parts(alt);
            let others: Vec<(&'a str, &'a Value)> = ap
                .properties()
                .into_iter()
                .filter(|(k, _)| *k != tag)
                .collect();
            let chosen = match content {
                Some(c) => others.iter().find(|(k, _)| *k == c).map(|(_, s)| *s),
                None if others.len() == 1 => Some(others[0].1),
                None => None,
            };
            let mut node = match chosen {
                Some(s) => self.node(s, false),
                None => self.inline_variant(&ap, tag),
            };
            node.info.variant = true;
            node.info.required = false;
            out.push((format!("{prefix}<{value}>"), node));
        }
        out
    }

    /// A variant whose fields sit beside the tag (no single content key).
    fn inline_variant(&mut self, ap: &Parts<'a>, tag: &str) -> Node {
        let tag_key = format!(".{tag}");
        let children = self
            .property_nodes(ap, ".")
            .into_iter()
            .filter(|(k, _)| *k != tag_key)
            .collect();
        Node {
            info: FieldInfo {
                kind: Kind::Object,
                required: false,
                limits: LimitMap::new(),
                values: None,
                variant: true,
                doc: ap.str("description").unwrap_or("").trim().to_owned(),
                type_name: ap.names.first().cloned(),
            },
            children,
        }
    }
}

/// The schema of a body or answer: its `application/json` content (or the first).
fn media_schema(holder: &Value) -> Option<&Value> {
    let content = holder.get("content")?.as_object()?;
    let media = content
        .get("application/json")
        .or_else(|| content.values().next())?;
    media.get("schema")
}

fn enum_values(list: &[Value]) -> BTreeSet<String> {
    list.iter().filter_map(scalar_text).collect()
}

/// An integer enum of exactly 0 and 1: a `bool01`.
fn is_bool01(list: Option<&Value>) -> bool {
    let Some(list) = list.and_then(Value::as_array) else {
        return false;
    };
    let ints: BTreeSet<i64> = list.iter().filter_map(Value::as_i64).collect();
    list.len() == 2 && ints == BTreeSet::from([0, 1])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(schema: Value) -> Fields {
        let doc = json!({
            "paths": { "/v4/svc/cmd": { "post": {
                "requestBody": { "content": { "application/json": { "schema": schema } } },
            } } },
            "components": { "schemas": {
                "Elem": {
                    "oneOf": [{ "$ref": "#/components/schemas/Text" }],
                    "discriminator": { "propertyName": "MsgType" },
                },
                "Text": {
                    "type": "object",
                    "required": ["MsgType", "MsgContent"],
                    "properties": {
                        "MsgType": { "type": "string", "default": "TIMTextElem" },
                        "MsgContent": { "type": "object", "properties": { "Text": { "type": "string" } } },
                    },
                },
                "Node": { "type": "object", "properties": { "Next": { "$ref": "#/components/schemas/Node" } } },
            } },
        });
        let (mut eps, skipped) = endpoints(&doc);
        assert!(skipped.is_empty(), "{skipped:?}");
        eps.remove(0).request
    }

    fn walk(path: &str, n: &Node, out: &mut Vec<String>) {
        out.push(format!("{path}: {}", n.info.kind));
        for (k, c) in &n.children {
            walk(&format!("{path}{k}"), c, out);
        }
    }

    /// Every path with its kind, sorted (property order depends on the map type).
    fn paths(f: &[(String, Node)]) -> Vec<String> {
        let mut out = Vec::new();
        for (k, n) in f {
            walk(k, n, &mut out);
        }
        out.sort();
        out
    }

    fn get<'f>(f: &'f [(String, Node)], key: &str) -> &'f Node {
        &f.iter().find(|(k, _)| k == key).expect("field").1
    }

    #[test]
    fn unions_enums_maps_and_recursion() {
        let f = fields(json!({
            "type": "object",
            "required": ["Body"],
            "properties": {
                "Body": { "type": "array", "items": { "$ref": "#/components/schemas/Elem" }, "maxItems": 5 },
                "Flag": { "type": "integer", "enum": [0, 1] },
                "Color": { "anyOf": [{ "type": "string", "enum": ["Red"] }, { "type": "string" }] },
                "Map": { "type": "object", "additionalProperties": { "type": "integer", "format": "uint32" } },
                "Seq": { "oneOf": [{ "type": "integer" }, { "type": "string" }] },
                "Name": { "type": "string", "maxLength": 32 },
                "Tree": { "$ref": "#/components/schemas/Node" },
            },
        }));
        assert_eq!(
            paths(&f),
            [
                "Body: [union by MsgType]",
                "Body[]<TIMTextElem>.Text: string",
                "Body[]<TIMTextElem>: object",
                "Color: string",
                "Flag: bool01",
                "Map: {integer(uint32)}",
                "Name: string",
                "Seq: i64_or_string",
                "Tree.Next: object",
                "Tree: object",
            ]
        );
        let body = get(&f, "Body");
        assert!(body.info.required);
        assert!(!get(&f, "Flag").info.required);
        assert_eq!(body.info.limits.get("max_items"), Some(&5));
        assert_eq!(body.info.type_name.as_deref(), Some("Elem"));
        let color = get(&f, "Color");
        assert_eq!(color.info.values, Some(BTreeSet::from(["Red".to_owned()])));
        assert_eq!(get(&f, "Name").info.limits.get("max_bytes"), Some(&32));
    }

    #[test]
    fn yaml_keys_become_strings() {
        let y: serde_yaml_ng::Value = serde_yaml_ng::from_str("200: {a: [1, x, true]}").unwrap();
        assert_eq!(yaml_to_json(y), json!({ "200": { "a": [1, "x", true] } }));
    }

    #[test]
    fn only_v4_paths_are_endpoints() {
        assert_eq!(
            endpoint_path("/v4/openim/sendmsg").as_deref(),
            Some("openim/sendmsg")
        );
        assert_eq!(endpoint_path("/v4/openim"), None);
        assert_eq!(endpoint_path("/v4/a/b/c"), None);
    }
}
