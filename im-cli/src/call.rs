//! `im call SERVICE/COMMAND [BODY]`: raw JSON, checked against the spec
//! before anything is sent. Keys the spec does not model are sent with a
//! warning naming the closest field (`--strict` refuses them); a key given
//! twice is refused. A missing `Random`/`MsgRandom` is written into the body
//! before the first attempt, so every retry, and a resend by hand after a
//! transport failure, carries the same value: the server drops a repeat
//! within its dedup window.

use std::io::Read;

use im_api::raw::{parse_body, Body, RawError, Route};
use im_api::{EndpointMeta, Error};
use serde_json::{Map, Value};

use crate::config::Globals;
use crate::{invalid, Exit};

/// Unknown keys reported one by one; beyond this, a count.
const MAX_UNKNOWN_SHOWN: usize = 10;
/// A body up to this size is repeated on stderr after a transport failure.
const MAX_BODY_SHOWN: usize = 4096;

/// The body as given: `@path`, `-` or absent for stdin, else the text itself.
pub fn read_body(arg: Option<&str>) -> Result<Vec<u8>, String> {
    match arg {
        None | Some("-") => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .map_err(|e| format!("cannot read stdin: {e}"))?;
            Ok(buf)
        }
        Some(s) if s.starts_with('@') => {
            std::fs::read(&s[1..]).map_err(|e| format!("cannot read {}: {e}", &s[1..]))
        }
        Some(s) => Ok(s.as_bytes().to_vec()),
    }
}

pub async fn run(g: &Globals, endpoint: &str, body: Option<&str>, strict: bool) -> Exit {
    let Some(route) = Route::find(endpoint) else {
        return invalid(format!(
            "unknown endpoint {endpoint:?}: `im endpoints` lists them"
        ));
    };
    let meta = route.meta;
    let raw = match read_body(body) {
        Ok(b) => b,
        Err(e) => return invalid(e),
    };
    // Duplicate keys and non-objects: refused here with the key's name.
    let parsed = match parse_body(&raw) {
        Ok(b) => b,
        Err(e) => return invalid(format!("invalid body, nothing sent: {e}")),
    };
    let (body, randoms) = fill_random(meta, &raw, &parsed.map);
    // Unknown keys as the typed request sees the body that is sent (with
    // its filled Random, which the spec requires).
    let sent = parse_body(&body).unwrap_or(parsed);
    if !report_unknown(route, &sent.map, &sent, strict) {
        return invalid("--strict: the body has fields the spec does not model; nothing sent");
    }
    let client = match g.client() {
        Ok(c) => c,
        Err(e) => return invalid(e),
    };
    match client.call_raw(endpoint, &body).await {
        Ok(resp) => {
            outln!(
                "{}",
                serde_json::to_string_pretty(&resp).unwrap_or_default()
            );
            Exit::Ok
        }
        Err(e @ (RawError::UnknownEndpoint(_) | RawError::BadJson(_) | RawError::Rejected(_))) => {
            invalid(e)
        }
        Err(RawError::Call(Error::Invalid(v))) => invalid(v),
        Err(RawError::Call(Error::Api(a))) => {
            let body = serde_json::json!({"ActionStatus": "FAIL", "ErrorCode": a.code, "ErrorInfo": a.info, "RequestId": a.request_id});
            outln!(
                "{}",
                serde_json::to_string_pretty(&body).unwrap_or_default()
            );
            errln!(
                "im: {} failed: ErrorCode {} ({}), ErrorInfo {:?} [random={}]",
                a.endpoint,
                a.code,
                im_api::EndpointError::description(&a.kind),
                a.info,
                a.random
            );
            Exit::ServerFailure
        }
        // The emulator answered: it checked the body but has no handler.
        Err(RawError::Call(e @ Error::NotEmulated(_))) => {
            errln!("im: {e}");
            Exit::ServerFailure
        }
        Err(e) => {
            errln!("im: {e}");
            resend_hint(meta, &randoms, &body);
            Exit::Transport
        }
    }
}

/// Warn about (or, when `strict`, refuse) keys the spec does not model, at
/// the top level and nested (as the typed request sees them; a body the
/// spec refuses is reported when it is checked for sending). Returns
/// whether the body may be sent.
fn report_unknown(route: &Route, map: &Map<String, Value>, body: &Body, strict: bool) -> bool {
    let meta = route.meta;
    let unknown: Vec<String> = match (route.parse)(body) {
        Ok(parsed) => parsed.unknown,
        Err(_) => map
            .keys()
            .filter(|k| meta.field(k).is_none())
            .cloned()
            .collect(),
    };
    for key in unknown.iter().take(MAX_UNKNOWN_SHOWN) {
        let nested = key.contains(['.', '[']);
        let hint = (!nested)
            .then(|| closest_field(key, meta, map))
            .flatten()
            .map(|f| format!("; did you mean {f}?"))
            .unwrap_or_default();
        let what = format!("unknown field {} for {}{hint}", shown(key), meta.command);
        if strict {
            errln!("im: {what}");
        } else {
            errln!("im: warning: {what} (sent anyway: the spec does not model it)");
        }
    }
    if unknown.len() > MAX_UNKNOWN_SHOWN {
        errln!(
            "im: ... and {} more unknown fields",
            unknown.len() - MAX_UNKNOWN_SHOWN
        );
    }
    !strict || unknown.is_empty()
}

/// A key as shown in a message: long ones cut (a body may hold any key).
fn shown(key: &str) -> String {
    const MAX: usize = 64;
    match key.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{:?}...", &key[..cut]),
        None => key.to_owned(),
    }
}

/// The field a mistyped key most likely meant: the smallest edit distance
/// (ignoring case), then fields the body lacks, then required fields, then
/// spec order. None when every field differs in all its characters.
fn closest_field(
    key: &str,
    meta: &EndpointMeta,
    given: &Map<String, Value>,
) -> Option<&'static str> {
    let key_lower = key.to_lowercase();
    let key_len = key_lower.chars().count();
    meta.fields
        .iter()
        .enumerate()
        .filter_map(|(i, f)| {
            let wire = f.wire.to_lowercase();
            let d = edit_distance(&key_lower, &wire);
            (d < key_len.max(wire.chars().count())).then_some((
                d,
                given.contains_key(f.wire),
                !f.required,
                i,
                f.wire,
            ))
        })
        .min()
        .map(|(.., wire)| wire)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = Vec::with_capacity(b.len() + 1);
        cur.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let replace = prev[j] + usize::from(ca != *cb);
            cur.push(replace.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The body to send and its `Random`/`MsgRandom` values as JSON text. An
/// absent one gets a fresh value written right after the opening brace;
/// every other byte stays as given, so the size of each field on the wire,
/// which the spec's limits count, is the size that was checked.
fn fill_random(
    meta: &EndpointMeta,
    raw: &[u8],
    map: &Map<String, Value>,
) -> (Vec<u8>, Vec<(&'static str, String)>) {
    let mut missing = Vec::new();
    let mut values = Vec::new();
    for field in meta.random_fields {
        match map.get(*field) {
            Some(v) => values.push((*field, v.to_string())),
            None => {
                let v = im_api::random_u32();
                missing.push((*field, v));
                values.push((*field, v.to_string()));
            }
        }
    }
    if missing.is_empty() {
        return (raw.to_vec(), values);
    }
    (with_fields(raw, &missing, map.is_empty()), values)
}

/// `body` (a JSON object) with `"Name":value` pairs first.
fn with_fields(body: &[u8], fields: &[(&str, u32)], was_empty: bool) -> Vec<u8> {
    // Only whitespace may precede the object's opening brace.
    let open = body.iter().position(|b| *b == b'{').unwrap_or(0);
    let pairs: Vec<String> = fields
        .iter()
        .map(|(name, v)| format!("\"{name}\":{v}"))
        .collect();
    let mut out = Vec::with_capacity(body.len() + 24 * fields.len());
    out.extend_from_slice(&body[..=open]);
    out.extend_from_slice(pairs.join(",").as_bytes());
    if !was_empty {
        out.push(b',');
    }
    out.extend_from_slice(&body[open + 1..]);
    out
}

/// After a transport failure the request may or may not have reached the
/// server: say how to send it again without doing it twice.
fn resend_hint(meta: &EndpointMeta, randoms: &[(&str, String)], body: &[u8]) {
    if randoms.is_empty() {
        errln!(
            "im: {} has no Random field, so the server cannot recognise a repeat: \
             check whether the call took effect before sending it again",
            meta.service_command()
        );
        return;
    }
    let values: Vec<String> = randoms
        .iter()
        .map(|(k, v)| format!("\"{k}\":{v}"))
        .collect();
    errln!(
        "im: the request may have reached the server. It carried {}: to resend it safely, \
         send the same body with {} (im call sends a given {} unchanged, and the server \
         drops a repeat within its dedup window, so it takes effect once)",
        values.join(", "),
        if values.len() == 1 {
            "that value"
        } else {
            "those values"
        },
        randoms[0].0
    );
    if body.len() <= MAX_BODY_SHOWN {
        if let Ok(text) = std::str::from_utf8(body) {
            errln!("im: the body as sent: {}", text.trim());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use im_api::api::{account_import, send_group_msg};

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("", ""), 0);
        assert_eq!(edit_distance("userid", "userid"), 0);
        assert_eq!(edit_distance("useid", "userid"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("é", "e"), 1);
    }

    #[test]
    fn the_closest_field_is_suggested() {
        let meta = &account_import::META;
        let map = |v: Value| v.as_object().cloned().unwrap();
        let body = map(serde_json::json!({"Identifier": "alice"}));
        assert_eq!(closest_field("Identifier", meta, &body), Some("UserID"));
        assert_eq!(closest_field("userid", meta, &body), Some("UserID"));
        assert_eq!(closest_field("Nik", meta, &body), Some("Nick"));
        assert_eq!(closest_field("Face_Url", meta, &body), Some("FaceUrl"));
        assert_eq!(closest_field("zzzz", meta, &body), None);
    }

    #[test]
    fn unknown_fields_warn_unless_strict() {
        let route = Route::find("im_open_login_svc/account_import").unwrap();
        let check = |raw: &str, strict: bool| {
            let body = parse_body(raw.as_bytes()).unwrap();
            report_unknown(route, &body.map.clone(), &body, strict)
        };
        assert!(check(r#"{"UserID": "a", "Extra": 1}"#, false));
        assert!(!check(r#"{"UserID": "a", "Extra": 1}"#, true));
        assert!(check(r#"{"UserID": "a", "Nick": "n"}"#, true));
        // Nested: a key inside a message element the spec does not model.
        let send = Route::find("openim/sendmsg").unwrap();
        let raw = r#"{"To_Account":"b","MsgRandom":1,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"x","Bogus":1}}]}"#;
        let body = parse_body(raw.as_bytes()).unwrap();
        let parsed = (send.parse)(&body).unwrap();
        assert_eq!(parsed.unknown, ["MsgBody[0].MsgContent.Bogus"]);
        assert!(report_unknown(send, &body.map.clone(), &body, false));
        assert!(!report_unknown(send, &body.map.clone(), &body, true));
    }

    #[test]
    fn random_is_written_into_the_body_as_given() {
        let meta = &send_group_msg::META;
        let raw = br#"  { "GroupId" : "g",  "MsgBody":[{"MsgType":"TIMLocationElem","MsgContent":{"Desc":"","Latitude":1e2,"Longitude":9e15}}]}"#;
        let parsed = parse_body(raw).unwrap();
        let (sent, randoms) = fill_random(meta, raw, &parsed.map);
        let again = parse_body(&sent).unwrap();
        assert_eq!(randoms.len(), 1);
        assert_eq!(again.map["Random"].to_string(), randoms[0].1);
        for key in ["GroupId", "MsgBody"] {
            assert_eq!(again.raw_len[key], parsed.raw_len[key], "{key} as sent");
            assert_eq!(again.map[key], parsed.map[key]);
        }
        // Given: sent unchanged.
        let given = br#"{"Random":7,"GroupId":"g"}"#;
        let (sent, randoms) = fill_random(meta, given, &parse_body(given).unwrap().map);
        assert_eq!(sent, given.to_vec());
        assert_eq!(randoms, vec![("Random", "7".to_owned())]);
        // An empty object gets no trailing comma.
        let (sent, _) = fill_random(meta, b"{}", &Map::new());
        assert_eq!(parse_body(&sent).unwrap().map.len(), 1);
    }

    #[test]
    fn long_keys_are_cut() {
        let long = "k".repeat(1000);
        assert!(shown(&long).len() < 80);
        assert_eq!(shown("Identifier"), "Identifier");
    }
}
