//! Strict reading of raw request bodies (`im call`, `Client::call_raw`, the
//! emulator): a body is one JSON object whose keys are unique at every level,
//! and each top-level value's exact byte length on the wire is known, so the
//! checks run on exactly what is sent.

use std::collections::HashMap;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Number, Value};

/// A parsed request body.
#[derive(Debug, Clone)]
pub struct Body {
    /// The fields.
    pub map: Map<String, Value>,
    /// Bytes each top-level value takes in the body as sent.
    pub raw_len: HashMap<String, usize>,
}

/// Why a body is not one JSON object with unique keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// Not JSON, or not an object.
    NotAnObject(String),
    /// A key appears twice in one object (`path` names where).
    DuplicateKey(String),
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotAnObject(e) => write!(f, "the body is not a JSON object: {e}"),
            Self::DuplicateKey(k) => write!(f, "duplicate key {k}: each key may appear once"),
        }
    }
}

impl std::error::Error for BodyError {}

const DUP: &str = "duplicate key ";

/// Parse a body strictly.
pub fn parse_body(bytes: &[u8]) -> Result<Body, BodyError> {
    let top: Vec<(String, &RawValue)> = {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let entries = de
            .deserialize_map(TopVisitor)
            .map_err(|e| classify(e, ""))?;
        de.end()
            .map_err(|e| BodyError::NotAnObject(e.to_string()))?;
        entries
    };
    let mut map = Map::new();
    let mut raw_len = HashMap::new();
    for (k, raw) in top {
        if map.contains_key(&k) {
            return Err(BodyError::DuplicateKey(k));
        }
        let mut de = serde_json::Deserializer::from_str(raw.get());
        let v = StrictValue
            .deserialize(&mut de)
            .map_err(|e| classify(e, &k))?;
        raw_len.insert(k.clone(), raw.get().len());
        map.insert(k, v);
    }
    Ok(Body { map, raw_len })
}

fn classify(e: serde_json::Error, at: &str) -> BodyError {
    let msg = e.to_string();
    match msg.strip_prefix(DUP) {
        Some(rest) => {
            let key = rest.split(" at line").next().unwrap_or(rest);
            if at.is_empty() {
                BodyError::DuplicateKey(key.to_owned())
            } else {
                BodyError::DuplicateKey(format!("{key} (in {at})"))
            }
        }
        None => BodyError::NotAnObject(msg),
    }
}

struct TopVisitor;

impl<'de> Visitor<'de> for TopVisitor {
    type Value = Vec<(String, &'de RawValue)>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some((k, v)) = m.next_entry::<String, &'de RawValue>()? {
            out.push((k, v));
        }
        Ok(out)
    }
}

/// A JSON value, refusing duplicate keys at every level.
struct StrictValue;

impl<'de> DeserializeSeed<'de> for StrictValue {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictValue {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = s.next_element_seed(StrictValue)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(k) = m.next_key::<String>()? {
            if out.contains_key(&k) {
                return Err(serde::de::Error::custom(format_args!("{DUP}{k}")));
            }
            let v = m.next_value_seed(StrictValue)?;
            out.insert(k, v);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_keys_are_refused_at_every_level() {
        assert_eq!(
            parse_body(br#"{"Random":1,"Random":-5}"#).unwrap_err(),
            BodyError::DuplicateKey("Random".into())
        );
        let err =
            parse_body(br#"{"MsgBody":[{"MsgType":"TIMTextElem","MsgType":"x"}]}"#).unwrap_err();
        assert!(
            matches!(&err, BodyError::DuplicateKey(k) if k.starts_with("MsgType")),
            "{err:?}"
        );
        assert!(matches!(parse_body(b"[1]"), Err(BodyError::NotAnObject(_))));
        assert!(matches!(
            parse_body(b"{} x"),
            Err(BodyError::NotAnObject(_))
        ));
    }

    #[test]
    fn raw_lengths_are_the_bytes_sent() {
        let body = parse_body(br#"{"A": "\u0041\u0041", "B":[1, 2]}"#).unwrap();
        assert_eq!(body.raw_len["A"], 14);
        assert_eq!(body.raw_len["B"], 6);
        assert_eq!(body.map["A"], "AA");
    }
}
