//! Compact serde impls for generated records: one call per field into these
//! generic helpers instead of serde_derive's visitor per type. The helpers are
//! shared by every record (monomorphized per field type, not per record),
//! which keeps the generated code, and im-api's build, small.
//!
//! Decoding goes through a JSON object: unknown keys are ignored, `null` is
//! "absent" for optional fields, a missing required field is an error naming
//! it, and nested errors carry their path (`at `MsgBody[0].MsgContent.Text`: ...`).

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::ser::SerializeMap as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// Keys of the response envelope, never part of a record's `extra`.
pub const ENVELOPE_KEYS: &[&str] = &[
    "ActionStatus",
    "ErrorCode",
    "ErrorInfo",
    "ErrorDisplay",
    "RequestId",
];

/// Writes a record as a JSON object, field by field.
pub struct RecordSer<S: Serializer> {
    map: S::SerializeMap,
}

impl<S: Serializer> RecordSer<S> {
    /// Start the object.
    pub fn new(serializer: S) -> Result<Self, S::Error> {
        Ok(Self {
            map: serializer.serialize_map(None)?,
        })
    }
    /// A field that is always sent.
    pub fn field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), S::Error> {
        self.map.serialize_entry(key, v)
    }
    /// An optional field: absent when `None`.
    pub fn opt<T: Serialize>(&mut self, key: &'static str, v: &Option<T>) -> Result<(), S::Error> {
        match v {
            Some(v) => self.map.serialize_entry(key, v),
            None => Ok(()),
        }
    }
    /// An optional list: absent when empty.
    pub fn vec<T: Serialize>(&mut self, key: &'static str, v: &[T]) -> Result<(), S::Error> {
        if v.is_empty() {
            Ok(())
        } else {
            self.map.serialize_entry(key, v)
        }
    }
    /// An optional map: absent when empty.
    pub fn map<T: Serialize>(
        &mut self,
        key: &'static str,
        v: &BTreeMap<String, T>,
    ) -> Result<(), S::Error> {
        if v.is_empty() {
            Ok(())
        } else {
            self.map.serialize_entry(key, v)
        }
    }
    /// A bool sent as 0 or 1.
    pub fn bool01(&mut self, key: &'static str, v: bool) -> Result<(), S::Error> {
        self.map.serialize_entry(key, &u8::from(v))
    }
    /// An optional bool sent as 0 or 1.
    pub fn opt_bool01(&mut self, key: &'static str, v: Option<bool>) -> Result<(), S::Error> {
        match v {
            Some(v) => self.bool01(key, v),
            None => Ok(()),
        }
    }
    /// Unmodelled fields of a partial entry, as they are.
    pub fn extra(&mut self, extra: &Map<String, Value>) -> Result<(), S::Error> {
        for (k, v) in extra {
            self.map.serialize_entry(k, v)?;
        }
        Ok(())
    }
    /// Finish the object.
    pub fn end(self) -> Result<S::Ok, S::Error> {
        self.map.end()
    }
}

/// Reads a record from a JSON object, field by field.
pub struct RecordDe {
    map: Map<String, Value>,
}

impl RecordDe {
    /// Read the object.
    pub fn new<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Self {
            map: Map::deserialize(deserializer)?,
        })
    }

    fn take(&mut self, key: &str) -> Option<Value> {
        match self.map.remove(key) {
            Some(Value::Null) | None => None,
            Some(v) => Some(v),
        }
    }

    /// A field that must be present.
    pub fn req<T: DeserializeOwned, E: serde::de::Error>(
        &mut self,
        key: &'static str,
    ) -> Result<T, E> {
        match self.map.remove(key) {
            Some(v) => decode(key, v),
            None => Err(E::missing_field(key)),
        }
    }
    /// An optional field (`null` counts as absent).
    pub fn opt<T: DeserializeOwned, E: serde::de::Error>(
        &mut self,
        key: &'static str,
    ) -> Result<Option<T>, E> {
        self.take(key).map(|v| decode(key, v)).transpose()
    }
    /// A list that must be present.
    pub fn req_vec<T: DeserializeOwned, E: serde::de::Error>(
        &mut self,
        key: &'static str,
    ) -> Result<Vec<T>, E> {
        match self.map.remove(key) {
            Some(v) => decode_list(key, v),
            None => Err(E::missing_field(key)),
        }
    }
    /// An optional list: absent or `null` is empty.
    pub fn vec<T: DeserializeOwned, E: serde::de::Error>(
        &mut self,
        key: &'static str,
    ) -> Result<Vec<T>, E> {
        self.take(key)
            .map_or(Ok(Vec::new()), |v| decode_list(key, v))
    }
    /// An optional map: absent or `null` is empty.
    pub fn map<T: DeserializeOwned, E: serde::de::Error>(
        &mut self,
        key: &'static str,
    ) -> Result<BTreeMap<String, T>, E> {
        self.take(key)
            .map_or(Ok(BTreeMap::new()), |v| decode(key, v))
    }
    /// A map that must be present.
    pub fn req_map<T: DeserializeOwned, E: serde::de::Error>(
        &mut self,
        key: &'static str,
    ) -> Result<BTreeMap<String, T>, E> {
        self.req(key)
    }
    /// A 0/1 flag that must be present (any non-zero, or `true`, is set).
    pub fn bool01<E: serde::de::Error>(&mut self, key: &'static str) -> Result<bool, E> {
        match self.map.remove(key) {
            Some(v) => flag(key, &v),
            None => Err(E::missing_field(key)),
        }
    }
    /// An optional 0/1 flag.
    pub fn opt_bool01<E: serde::de::Error>(
        &mut self,
        key: &'static str,
    ) -> Result<Option<bool>, E> {
        self.take(key).map(|v| flag(key, &v)).transpose()
    }
    /// An integer that may come as a decimal string, and must be present.
    pub fn i64_or_string<E: serde::de::Error>(&mut self, key: &'static str) -> Result<i64, E> {
        match self.map.remove(key) {
            Some(v) => lenient_i64(key, &v),
            None => Err(E::missing_field(key)),
        }
    }
    /// An optional integer that may come as a decimal string.
    pub fn opt_i64_or_string<E: serde::de::Error>(
        &mut self,
        key: &'static str,
    ) -> Result<Option<i64>, E> {
        self.take(key).map(|v| lenient_i64(key, &v)).transpose()
    }
    /// The keys no field took (a partial entry's `extra`), without the envelope.
    pub fn rest(mut self) -> Map<String, Value> {
        for k in ENVELOPE_KEYS {
            self.map.remove(*k);
        }
        self.map
    }
}

/// `at `a.b[2].c`: message`, joining the key to a nested error's path.
fn at<E: serde::de::Error>(key: &str, inner: &str) -> E {
    match inner.strip_prefix("at `") {
        Some(rest) if rest.starts_with('[') => E::custom(format_args!("at `{key}{rest}")),
        Some(rest) => E::custom(format_args!("at `{key}.{rest}")),
        None => E::custom(format_args!("at `{key}`: {inner}")),
    }
}

fn decode<T: DeserializeOwned, E: serde::de::Error>(key: &str, v: Value) -> Result<T, E> {
    T::deserialize(v).map_err(|e| at(key, &e.to_string()))
}

fn decode_list<T: DeserializeOwned, E: serde::de::Error>(key: &str, v: Value) -> Result<Vec<T>, E> {
    match v {
        Value::Array(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, item)| {
                T::deserialize(item).map_err(|e| at(&format!("{key}[{i}]"), &e.to_string()))
            })
            .collect(),
        other => Err(at(
            key,
            &format!("invalid type: {}, expected an array", kind(&other)),
        )),
    }
}

fn flag<E: serde::de::Error>(key: &str, v: &Value) -> Result<bool, E> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::Number(n) if n.as_u64().is_some() || n.as_i64().is_some() => {
            Ok(n.as_i64().is_none_or(|i| i != 0))
        }
        other => Err(at(
            key,
            &format!("invalid type: {}, expected 0 or 1", kind(other)),
        )),
    }
}

fn lenient_i64<E: serde::de::Error>(key: &str, v: &Value) -> Result<i64, E> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .ok_or_else(|| at(key, &format!("{n} is not an i64"))),
        Value::String(s) => s
            .trim()
            .parse()
            .map_err(|_| at(key, &format!("`{s}` is not an integer"))),
        other => Err(at(
            key,
            &format!("invalid type: {}, expected an integer", kind(other)),
        )),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Inner {
        text: String,
    }
    impl<'de> Deserialize<'de> for Inner {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let mut r = RecordDe::new(d)?;
            Ok(Self {
                text: r.req("Text")?,
            })
        }
    }
    struct Outer {
        items: Vec<Inner>,
        flag: Option<bool>,
    }
    impl<'de> Deserialize<'de> for Outer {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let mut r = RecordDe::new(d)?;
            Ok(Self {
                items: r.vec("Items")?,
                flag: r.opt_bool01("Flag")?,
            })
        }
    }

    #[test]
    fn nested_errors_carry_their_path() {
        let err = serde_json::from_value::<Outer>(json!({"Items": [{"Text": "a"}, {"Text": 5}]}))
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.starts_with("at `Items[1].Text`: invalid type: integer `5`"),
            "{err}"
        );
        let err = serde_json::from_value::<Outer>(json!({"Items": [{}]}))
            .err()
            .unwrap()
            .to_string();
        assert_eq!(err, "at `Items[0]`: missing field `Text`");
        let one = serde_json::from_value::<Outer>(json!({"Items": [{"Text": "a"}]})).unwrap();
        assert_eq!(one.items[0].text, "a");
        let ok =
            serde_json::from_value::<Outer>(json!({"Items": null, "Flag": 1, "Other": 2})).unwrap();
        assert!(ok.items.is_empty());
        assert_eq!(ok.flag, Some(true));
    }
}
