//! Paths generated code reaches through `im_api::__private`, so users of the
//! macros add no serde or serde_json dependency. Not a public API.

pub use core;
pub use serde;
pub use serde_json;

pub use crate::record::{RecordDe, RecordSer};
pub use crate::validate::{Validate, Validator};

/// Responses whose spec names a per-item failure list (`partial_failure`).
pub trait PartialFailures {
    /// How many items failed; such a response is returned as `Ok` even when
    /// the envelope says `FAIL`.
    fn partial_failures(&self) -> usize {
        0
    }

    /// `(item, code)` of every failed item (no code when the list names only items).
    fn failed_items(&self) -> Vec<(String, Option<i64>)> {
        Vec::new()
    }
}

/// An adjacently tagged value (`{"MsgType": "...", "MsgContent": {...}}`) whose
/// tag may be unknown to this version.
#[derive(Debug)]
pub struct TaggedContent {
    pub tag: String,
    pub content: serde_json::Value,
}

impl TaggedContent {
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(
        deserializer: D,
        tag: &'static str,
        content: &'static str,
    ) -> Result<Self, D::Error> {
        use serde::Deserialize as _;
        use serde::de::Error as _;
        let mut map = serde_json::Map::deserialize(deserializer)?;
        let tag_value = match map.remove(tag) {
            Some(serde_json::Value::String(s)) => s,
            Some(_) => return Err(D::Error::custom(format_args!("`{tag}` must be a string"))),
            None => return Err(D::Error::missing_field(tag)),
        };
        let content = map.remove(content).unwrap_or(serde_json::Value::Null);
        Ok(Self {
            tag: tag_value,
            content,
        })
    }
}

/// A bool carried on the wire as the integer 0 or 1 (any non-zero decodes as true).
pub mod bool01 {
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &bool, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(u8::from(*value))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        d.deserialize_any(Visitor)
    }

    struct Visitor;

    impl serde::de::Visitor<'_> for Visitor {
        type Value = bool;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("0 or 1")
        }
        fn visit_u64<E>(self, v: u64) -> Result<bool, E> {
            Ok(v != 0)
        }
        fn visit_i64<E>(self, v: i64) -> Result<bool, E> {
            Ok(v != 0)
        }
        fn visit_bool<E>(self, v: bool) -> Result<bool, E> {
            Ok(v)
        }
    }

    /// The same for `Option<bool>`.
    pub mod option {
        use serde::{Deserializer, Serializer};

        pub fn serialize<S: Serializer>(value: &Option<bool>, s: S) -> Result<S::Ok, S::Error> {
            match value {
                Some(v) => super::serialize(v, s),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
            super::deserialize(d).map(Some)
        }
    }
}

/// Builds the `Unknown` payload of an open enum (generated code only: an
/// enum's `from` decides when a value is unknown).
pub fn unknown<T>(value: T) -> crate::UnknownValue<T> {
    crate::UnknownValue(value)
}

/// An i64 that may arrive as a number or as a decimal string (callbacks'
/// `EventTime`); always sent as a number.
pub mod i64_or_string {
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(*value)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        d.deserialize_any(Visitor)
    }

    struct Visitor;

    impl serde::de::Visitor<'_> for Visitor {
        type Value = i64;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an integer or a decimal string")
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<i64, E> {
            i64::try_from(v).map_err(|_| E::custom("integer out of range"))
        }
        fn visit_i64<E>(self, v: i64) -> Result<i64, E> {
            Ok(v)
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<i64, E> {
            v.trim()
                .parse()
                .map_err(|_| E::custom(format_args!("`{v}` is not an integer")))
        }
    }

    /// The same for `Option<i64>`.
    pub mod option {
        use serde::{Deserializer, Serializer};

        pub fn serialize<S: Serializer>(value: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
            match value {
                Some(v) => super::serialize(v, s),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
            super::deserialize(d).map(Some)
        }
    }
}

/// Whether `value` is an integer or a decimal string.
pub fn check_i64_or_string(value: &serde_json::Value) -> Result<(), String> {
    i64_or_string::deserialize(value)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Per-field type checks of a request body, generated for im-api's requests
/// under the `emulator` feature.
pub trait FieldTypes {
    /// `None` for a key the request does not have; otherwise whether the
    /// value has the field's type.
    fn check_field(wire: &str, value: &serde_json::Value) -> Option<Result<(), String>>;
}

/// Whether `value` decodes as `T`.
pub fn check_type<T: serde::de::DeserializeOwned>(value: &serde_json::Value) -> Result<(), String> {
    T::deserialize(value).map(|_| ()).map_err(|e| e.to_string())
}

/// Whether `value` is an integer (a 0/1 flag).
pub fn check_bool01(value: &serde_json::Value) -> Result<(), String> {
    if value.is_u64() || value.is_i64() {
        Ok(())
    } else {
        Err(format!("expected 0 or 1, found {value}"))
    }
}

/// A value that passes the spec's limits, built from its required fields
/// (generated under the `raw` feature, for tests that exercise every endpoint).
pub trait Example {
    fn example() -> Self;
}
