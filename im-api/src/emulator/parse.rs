//! Request bodies checked against the spec with the client's own generated
//! code: per-field types, required fields, then every declared limit. The
//! first problem becomes the error code the spec documents for it.

use std::any::Any;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::__private::FieldTypes;
use crate::endpoint::{Endpoint, EndpointMeta, FieldMeta};
use crate::validate::Problem;

/// A body the server refuses: the code and the text it answers with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub code: i64,
    pub message: String,
}

/// Parses a body into the endpoint's typed request.
pub type ParseFn = fn(Map<String, Value>) -> Result<Box<dyn Any + Send>, Rejection>;

/// One endpoint the emulator serves (the table is generated from the spec).
#[derive(Debug, Clone, Copy)]
pub struct Route {
    pub meta: &'static EndpointMeta,
    pub parse: ParseFn,
}

fn field_code(
    meta: &EndpointMeta,
    field: Option<&FieldMeta>,
    pick: impl Fn(&crate::FieldCodes) -> Option<i64>,
) -> i64 {
    field
        .and_then(|f| pick(&f.codes).or(f.codes.any))
        .unwrap_or(meta.invalid_code)
}

/// Check `body` as the request type `R` and return it typed.
pub fn parse<R>(body: Map<String, Value>) -> Result<Box<dyn Any + Send>, Rejection>
where
    R: Endpoint + FieldTypes + DeserializeOwned,
{
    let meta = R::META;
    for (key, value) in &body {
        match R::check_field(key, value) {
            None => {
                return Err(Rejection {
                    code: meta.invalid_code,
                    message: format!("unknown field {key}"),
                });
            }
            Some(Err(e)) => {
                let code = field_code(meta, meta.field(key), |c| c.ty);
                return Err(Rejection {
                    code,
                    message: format!("{key}: {e}"),
                });
            }
            Some(Ok(())) => {}
        }
    }
    if let Some(missing) = meta
        .fields
        .iter()
        .find(|f| f.required && !body.contains_key(f.wire))
    {
        let code = field_code(meta, Some(missing), |c| c.missing);
        return Err(Rejection {
            code,
            message: format!("{} is required", missing.wire),
        });
    }
    let request: R = serde_json::from_value(Value::Object(body)).map_err(|e| Rejection {
        code: meta.invalid_code,
        message: e.to_string(),
    })?;
    if let Some(v) = request.violations().into_iter().next() {
        let top = v.field.split(['.', '[']).next().unwrap_or_default();
        let field = meta.field(top);
        let code = field_code(meta, field, |c| match &v.problem {
            Problem::Empty | Problem::TooFewItems { .. } => c.min_items,
            Problem::TooManyItems { .. } => c.max_items,
            Problem::TooShort { .. } | Problem::TooLong { .. } => c.max_bytes,
            Problem::BelowMinimum { .. } | Problem::AboveMaximum { .. } => c.range,
            Problem::JsonTooLarge { .. } => c.max_json_bytes,
            _ => None,
        });
        return Err(Rejection {
            code,
            message: v.to_string(),
        });
    }
    Ok(Box::new(request))
}
