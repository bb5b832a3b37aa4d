//! Fuzz-style property tests (proptest, bounded case counts so CI stays
//! quick; `PROPTEST_CASES` raises or lowers every count at once).
//!
//! (a) Raw bodies: random JSON text built from each route's example and
//!     mutated (random and known keys, duplicate keys, deep nesting, huge
//!     strings, `\u` escapes, floats in exponent form, whitespace, sizes
//!     right at a field's byte limit) through `parse_body` and the routes'
//!     `parse`: no panic, and no body that `Client::call_raw`'s checks
//!     accept is refused by the server-side checks. The fast property
//!     re-checks what `call_raw` sends (the compact re-encoding when it
//!     filled `Random`/`MsgRandom`); fewer cases drive the real `call_raw`
//!     into a recording server, and a sample goes through the emulator to
//!     confirm that its verdict is the one `parse` gives.
//! (b) The emulator's HTTP side: random methods, paths, queries, headers,
//!     framings and bodies over real loopback connections, some cut short
//!     or left open: no panic in the emulator, every connection answered or
//!     closed, and a normal call still served after each one.

use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::Once;
use std::time::Duration;

use im_api::emulator::{Emulator, Limits};
use im_api::raw::{parse_body, Parsed, RawError, Route};
use im_api::types::GroupType;
use im_api::{Signer, ROUTES};
use im_tests::{Reply, TestServer};
use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

// ---------------------------------------------------------------- runner

/// `default` cases unless `PROPTEST_CASES` says otherwise; no regression
/// files (a failure prints its minimal input), shrinking bounded.
fn runner(default: u32) -> TestRunner {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    let mut config = Config::with_cases(cases);
    config.failure_persistence = None;
    config.max_shrink_iters = 1024;
    TestRunner::new(config)
}

fn runtime(thread_name: &str) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(thread_name)
        .enable_all()
        .build()
        .expect("runtime")
}

fn fail(msg: String) -> TestCaseError {
    TestCaseError::fail(msg)
}

/// POST `body` and read the JSON answer (reqwest is built without its
/// `json` feature).
async fn post_json(http: &reqwest::Client, url: String, body: Vec<u8>) -> Result<Value, String> {
    let resp = http
        .post(url)
        .body(body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let bytes = resp.bytes().await.map_err(|e| e.to_string())?;
    serde_json::from_slice(&bytes).map_err(|e| e.to_string())
}

// ------------------------------------------------------- JSON as written

/// How values are written: every string character as `\uXXXX`, floats in
/// exponent form (`1e2` for 100.0: shorter than serde_json's `100.0`).
#[derive(Debug, Clone, Copy)]
struct Style {
    escape_all: bool,
    exp_floats: bool,
}

const PLAIN: Style = Style {
    escape_all: false,
    exp_floats: false,
};

fn write_str(s: &str, escape_all: bool, out: &mut String) {
    if !escape_all {
        out.push_str(&serde_json::to_string(s).expect("a string encodes"));
        return;
    }
    out.push('"');
    for c in s.chars() {
        let mut units = [0u16; 2];
        for u in c.encode_utf16(&mut units) {
            out.push_str(&format!("\\u{u:04x}"));
        }
    }
    out.push('"');
}

fn write_json(v: &Value, style: Style, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && style.exp_floats => out.push_str(&format!("{f:e}")),
            _ => out.push_str(&n.to_string()),
        },
        Value::String(s) => write_str(s, style.escape_all, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, style, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(k, style.escape_all, out);
                out.push(':');
                write_json(item, style, out);
            }
            out.push('}');
        }
    }
}

fn to_text(v: &Value, style: Style) -> String {
    let mut out = String::new();
    write_json(v, style, &mut out);
    out
}

/// The first string inside `v`, depth first.
fn first_string(v: &mut Value) -> Option<&mut String> {
    match v {
        Value::String(s) => Some(s),
        Value::Array(items) => items.iter_mut().find_map(first_string),
        Value::Object(map) => map.values_mut().find_map(first_string),
        _ => None,
    }
}

// ------------------------------------------------------------ strategies

/// Numbers as people write them, including forms serde_json re-encodes
/// longer (`1e2`, `9e15`) and ones it refuses (`1e400`).
const NUMBER_FORMS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "1e2",
    "9e15",
    "1E+2",
    "0.5",
    "-0.0",
    "1.0",
    "1e400",
    "-1e-400",
    "1.7976931348623157e308",
    "4294967295",
    "4294967296",
    "-2147483649",
    "9223372036854775807",
    "-9223372036854775809",
    "18446744073709551616",
    "00",
    "+1",
    ".5",
];

/// Strings serde_json refuses or must treat with care.
const ODD_STRINGS: &[&str] = &[
    r#""\ud800""#,
    r#""\udc00\ud800""#,
    r#""\ud83d\ude00""#,
    r#""\x""#,
    "\"\u{1}\"",
    r#""\u0000""#,
    r#""\/\b\f\n\r\t""#,
    "\"unterminated",
];

fn json_string() -> BoxedStrategy<String> {
    prop_oneof![
        3 => (any::<String>(), any::<bool>()).prop_map(|(s, esc)| {
            let mut out = String::new();
            write_str(&s, esc, &mut out);
            out
        }),
        1 => select(ODD_STRINGS).prop_map(str::to_owned),
        1 => (0usize..30_000, select(vec!['a', 'é', '\u{1F600}', '"', '\\', '\n']), any::<bool>())
            .prop_map(|(n, c, esc)| {
                let mut out = String::new();
                write_str(&c.to_string().repeat(n), esc, &mut out);
                out
            }),
    ]
    .boxed()
}

fn json_leaf() -> BoxedStrategy<String> {
    prop_oneof![
        select(vec!["null", "true", "false"]).prop_map(str::to_owned),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        (0u32..200).prop_map(|n| n.to_string()),
        select(NUMBER_FORMS).prop_map(str::to_owned),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| format!("{f:e}")),
        json_string(),
    ]
    .boxed()
}

/// Random JSON text (sometimes invalid), nested a few levels.
fn json_value() -> BoxedStrategy<String> {
    json_leaf()
        .prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6)
                    .prop_map(|items| format!("[{}]", items.join(","))),
                prop::collection::vec((json_string(), inner), 0..6).prop_map(|entries| {
                    let body: Vec<String> =
                        entries.iter().map(|(k, v)| format!("{k}:{v}")).collect();
                    format!("{{{}}}", body.join(","))
                }),
            ]
        })
        .boxed()
}

fn finite_f64() -> BoxedStrategy<f64> {
    prop_oneof![
        select(vec![100.0, 9e15, 1e10, -3e7, 5e5, 1e21, 0.5, -0.0, 45.0]),
        any::<f64>().prop_filter("finite", |f| f.is_finite()),
    ]
    .boxed()
}

/// A message element, valid or not.
fn msg_element() -> BoxedStrategy<Value> {
    prop_oneof![
        any::<String>().prop_map(|t| json!({"MsgType": "TIMTextElem", "MsgContent": {"Text": t}})),
        (finite_f64(), finite_f64(), any::<String>()).prop_map(|(lat, lon, d)| {
            json!({"MsgType": "TIMLocationElem", "MsgContent": {"Desc": d, "Latitude": lat, "Longitude": lon}})
        }),
        (any::<u32>(), any::<String>()).prop_map(|(i, d)| {
            json!({"MsgType": "TIMFaceElem", "MsgContent": {"Index": i, "Data": d}})
        }),
        (any::<String>(), any::<String>()).prop_map(|(d, e)| {
            json!({"MsgType": "TIMCustomElem", "MsgContent": {"Data": d, "Desc": e}})
        }),
        json_value().prop_map(|t| serde_json::from_str(&t).unwrap_or(Value::Null)),
    ]
    .boxed()
}

/// One change to a body that starts as the route's example.
#[derive(Debug, Clone)]
enum Op {
    /// A field's value replaced by random JSON text.
    Replace(Index, String),
    Remove(Index),
    /// A field repeated (a duplicate key), with the same or another value.
    Duplicate(Index, Option<String>),
    /// A key: random or common, written plainly or with `\u` escapes.
    Add(String, bool, String),
    /// One of the route's own fields, set to random JSON text.
    SetKnown(Index, String),
    /// A field re-written in a style, with its first string padded so the
    /// field ends `slack` bytes under its byte limit (when it has one).
    Restyle(Index, u16, Style),
    /// `MsgBody` set to these elements.
    MsgBody(Vec<Value>),
    /// A field's value wrapped in `depth` arrays (or objects).
    Nest(Index, usize, bool),
    /// Whitespace around every token of the top level.
    Spaces,
}

fn style() -> impl Strategy<Value = Style> {
    (any::<bool>(), any::<bool>()).prop_map(|(escape_all, exp_floats)| Style {
        escape_all,
        exp_floats,
    })
}

fn op(keys: Vec<&'static str>) -> BoxedStrategy<Op> {
    prop_oneof![
        3 => (any::<Index>(), json_value()).prop_map(|(i, v)| Op::Replace(i, v)),
        2 => any::<Index>().prop_map(Op::Remove),
        2 => (any::<Index>(), prop::option::of(json_value())).prop_map(|(i, v)| Op::Duplicate(i, v)),
        2 => (
            prop_oneof![select(keys).prop_map(str::to_owned), any::<String>(), Just("Random".to_owned())],
            any::<bool>(),
            json_value(),
        )
            .prop_map(|(k, esc, v)| Op::Add(k, esc, v)),
        2 => (any::<Index>(), json_value()).prop_map(|(i, v)| Op::SetKnown(i, v)),
        4 => (any::<Index>(), 0u16..64, style()).prop_map(|(i, slack, s)| Op::Restyle(i, slack, s)),
        2 => prop::collection::vec(msg_element(), 1..4).prop_map(Op::MsgBody),
        1 => (any::<Index>(), 1usize..300, any::<bool>()).prop_map(|(i, d, arr)| Op::Nest(i, d, arr)),
        1 => Just(Op::Spaces),
    ]
    .boxed()
}

/// Route indices: any route, or one with `Random`/`MsgRandom` (the bodies
/// `call_raw` re-encodes), or one with a byte-limited field.
fn route_index() -> BoxedStrategy<usize> {
    let all: Vec<usize> = (0..ROUTES.len()).collect();
    let pool = |keep: fn(&Route) -> bool| {
        let v: Vec<usize> = all.iter().copied().filter(|i| keep(&ROUTES[*i])).collect();
        if v.is_empty() {
            all.clone()
        } else {
            v
        }
    };
    let random = pool(|r| !r.meta.random_fields.is_empty());
    let limited = pool(|r| r.meta.fields.iter().any(|f| f.max_json_bytes.is_some()));
    prop_oneof![select(all.clone()), select(random), select(limited)].boxed()
}

/// (route index, drop the example's Random fields, changes).
type Case = (usize, bool, Vec<Op>);

fn case() -> BoxedStrategy<Case> {
    let mut keys: Vec<&'static str> = ROUTES
        .iter()
        .flat_map(|r| r.meta.fields.iter().map(|f| f.wire))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    (
        route_index(),
        any::<bool>(),
        prop::collection::vec(op(keys), 0..6),
    )
        .boxed()
}

// ------------------------------------------------------- building bodies

/// A top-level entry as written: the key (decoded), its text, the value text.
#[derive(Debug, Clone)]
struct Entry {
    key: String,
    key_text: String,
    value: String,
}

impl Entry {
    fn new(key: &str, escaped: bool, value: String) -> Entry {
        let mut key_text = String::new();
        write_str(key, escaped, &mut key_text);
        Entry {
            key: key.to_owned(),
            key_text,
            value,
        }
    }
}

fn pick(entries: &[Entry], i: &Index) -> Option<usize> {
    (!entries.is_empty()).then(|| i.index(entries.len()))
}

fn restyle(route: &Route, entries: &mut [Entry], i: &Index, slack: u16, style: Style) {
    // Prefer fields with a byte limit: that is where re-encoding matters.
    let limited: Vec<usize> = (0..entries.len())
        .filter(|j| {
            route
                .meta
                .field(&entries[*j].key)
                .is_some_and(|f| f.max_json_bytes.is_some())
        })
        .collect();
    let j = if limited.is_empty() {
        match pick(entries, i) {
            Some(j) => j,
            None => return,
        }
    } else {
        limited[i.index(limited.len())]
    };
    let Ok(mut v) = serde_json::from_str::<Value>(&entries[j].value) else {
        return;
    };
    let limit = route
        .meta
        .field(&entries[j].key)
        .and_then(|f| f.max_json_bytes);
    if let Some(limit) = limit {
        let target = (limit as usize).saturating_sub(usize::from(slack));
        let len = to_text(&v, style).len();
        let cost = if style.escape_all { 6 } else { 1 };
        if let Some(s) = first_string(&mut v) {
            if len < target {
                s.push_str(&"x".repeat((target - len) / cost));
            }
        }
    }
    entries[j].value = to_text(&v, style);
}

fn apply(route: &Route, entries: &mut Vec<Entry>, op: &Op, spaced: &mut bool) {
    match op {
        Op::Replace(i, v) => {
            if let Some(j) = pick(entries, i) {
                entries[j].value = v.clone();
            }
        }
        Op::Remove(i) => {
            if let Some(j) = pick(entries, i) {
                entries.remove(j);
            }
        }
        Op::Duplicate(i, v) => {
            if let Some(j) = pick(entries, i) {
                let mut e = entries[j].clone();
                if let Some(v) = v {
                    e.value = v.clone();
                }
                entries.push(e);
            }
        }
        Op::Add(k, escaped, v) => entries.push(Entry::new(k, *escaped, v.clone())),
        Op::SetKnown(i, v) => {
            let fields = route.meta.fields;
            if !fields.is_empty() {
                let wire = fields[i.index(fields.len())].wire;
                entries.retain(|e| e.key != wire);
                entries.push(Entry::new(wire, false, v.clone()));
            }
        }
        Op::Restyle(i, slack, style) => restyle(route, entries, i, *slack, *style),
        Op::MsgBody(elements) => {
            entries.retain(|e| e.key != "MsgBody");
            let text = to_text(&Value::Array(elements.clone()), PLAIN);
            entries.push(Entry::new("MsgBody", false, text));
        }
        Op::Nest(i, depth, array) => {
            if let Some(j) = pick(entries, i) {
                let (open, close) = if *array {
                    ("[", "]")
                } else {
                    (r#"{"k":"#, "}")
                };
                let inner = std::mem::take(&mut entries[j].value);
                entries[j].value =
                    format!("{}{inner}{}", open.repeat(*depth), close.repeat(*depth));
            }
        }
        Op::Spaces => *spaced = true,
    }
}

/// The body text of a case.
fn build_body(case: &Case) -> (&'static Route, Vec<u8>) {
    let (index, drop_random, ops) = case;
    let route = &ROUTES[*index];
    let mut entries: Vec<Entry> = match (route.example)() {
        Value::Object(map) => map
            .iter()
            .filter(|(k, _)| !(*drop_random && route.meta.random_fields.contains(&k.as_str())))
            .map(|(k, v)| Entry::new(k, false, to_text(v, PLAIN)))
            .collect(),
        _ => Vec::new(),
    };
    let mut spaced = false;
    for op in ops {
        apply(route, &mut entries, op, &mut spaced);
    }
    let (open, colon, comma, close) = if spaced {
        (" {\n ", " : ", " ,\n ", "\n} ")
    } else {
        ("{", ":", ",", "}")
    };
    let fields: Vec<String> = entries
        .iter()
        .map(|e| format!("{}{colon}{}", e.key_text, e.value))
        .collect();
    let text = format!("{open}{}{close}", fields.join(comma));
    (route, text.into_bytes())
}

// ------------------------------------------------------------ properties

/// What `Client::call_raw` sends for `bytes` when its checks accept them,
/// with what those checks parsed. A mirror of `call_raw` in
/// im-api/src/raw.rs (keep in step): absent `Random`/`MsgRandom` are filled
/// and the body is then sent as its compact re-encoding; a body that has
/// them is sent exactly as given. The `call_raw` property below drives the
/// real thing.
fn call_raw_would_send(route: &Route, bytes: &[u8]) -> Option<(Vec<u8>, Parsed)> {
    let mut body = parse_body(bytes).ok()?;
    let mut filled = false;
    for field in route.meta.random_fields {
        if !body.map.contains_key(*field) {
            body.map.insert((*field).to_owned(), Value::from(7u32));
            filled = true;
        }
    }
    let parsed = (route.parse)(&body).ok()?;
    let sent = if filled {
        serde_json::to_vec(&Value::Object(body.map)).ok()?
    } else {
        bytes.to_vec()
    };
    Some((sent, parsed))
}

/// The server-side checks on bytes as received: the emulator runs exactly
/// `parse_body` and then the route's `parse`.
fn server_accepts(route: &Route, bytes: &[u8]) -> Result<Parsed, String> {
    let body = parse_body(bytes).map_err(|e| format!("parse_body: {e}"))?;
    (route.parse)(&body).map_err(|r| format!("{}: {}", r.code, r.message))
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn preview(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    if text.len() > 600 {
        let cut = (0..=600)
            .rev()
            .find(|i| text.is_char_boundary(*i))
            .unwrap_or(0);
        format!("{}... ({} bytes)", &text[..cut], bytes.len())
    } else {
        text.into_owned()
    }
}

/// No panic in `parse_body` or any route's `parse`, and what `call_raw`
/// would send after its checks pass is accepted by the server's checks,
/// with the same unknown keys.
#[test]
fn raw_bodies_never_panic_and_what_call_raw_accepts_the_server_accepts() {
    let accepted = AtomicU32::new(0);
    let result = runner(256).run(&case(), |case| {
        let (route, bytes) = build_body(&case);
        if let Some((sent, client_side)) = call_raw_would_send(route, &bytes) {
            accepted.fetch_add(1, Ordering::Relaxed);
            let server_side = server_accepts(route, &sent).map_err(|e| {
                fail(format!(
                    "{}: call_raw's checks accept the body, the server's refuse what it sends ({e}); sent: {}",
                    route.meta.service_command(),
                    preview(&sent)
                ))
            })?;
            prop_assert_eq!(sorted(client_side.unknown), sorted(server_side.unknown));
        }
        // Every other route's checks on the same body: no panic.
        if let Ok(body) = parse_body(&bytes) {
            for other in ROUTES {
                let _ = (other.parse)(&body);
            }
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    // The generator reaches the interesting half: bodies the checks accept.
    assert!(
        accepted.load(Ordering::Relaxed) > 0,
        "no generated body passed the checks"
    );
}

#[test]
fn arbitrary_bytes_never_panic() {
    let bytes = prop::collection::vec(any::<u8>(), 0..512);
    let framed = (
        prop::collection::vec(any::<u8>(), 0..256),
        select(vec![
            &b"{"[..],
            &b"{\""[..],
            &b"[{"[..],
            &b" {\"MsgBody\":["[..],
        ]),
    )
        .prop_map(|(tail, head)| [head, &tail[..]].concat());
    let result = runner(256).run(&prop_oneof![bytes, framed], |bytes| {
        if let Ok(body) = parse_body(&bytes) {
            for route in ROUTES {
                let _ = (route.parse)(&body);
            }
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// The real `call_raw` into a server that records what arrives: whatever
/// it sends passes the server-side checks; what it refuses is not sent.
#[test]
fn call_raw_sends_only_bodies_the_server_accepts() {
    let rt = runtime("fuzz-call-raw");
    let server = rt.block_on(TestServer::start(Reply::Json(
        json!({"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": ""}),
    )));
    let client = server.client();
    let result = runner(64).run(&case(), |case| {
        let (route, bytes) = build_body(&case);
        server.take_requests();
        let answer = rt.block_on(client.call_raw(&route.meta.service_command(), &bytes));
        let sent = server.take_requests();
        match sent.as_slice() {
            [] => {
                prop_assert!(answer.is_err(), "nothing sent, yet call_raw succeeded");
            }
            [request] => {
                server_accepts(route, &request.body).map_err(|e| {
                    fail(format!(
                        "{}: call_raw sent a body the server refuses ({e}): {}",
                        route.meta.service_command(),
                        preview(&request.body)
                    ))
                })?;
            }
            more => {
                prop_assert!(false, "{} requests for one call", more.len());
            }
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// A sample through the emulator: its answer is the verdict of
/// `parse_body` + `parse` on the same bytes. A probe key the spec does not
/// model is added to each body: the emulator counts unknown keys only after
/// a body passed its checks, which tells an accepted body from a refused one
/// whatever the handler answers next.
#[test]
fn the_emulator_answers_the_verdict_of_parse() {
    let rt = runtime("fuzz-verdict");
    let emu = rt.block_on(async {
        Emulator::builder()
            .accounts(["alice", "bob"])
            .group("@TGS#FUZZ", GroupType::Public, ["alice", "bob"])
            .rate_limits(false)
            .start()
            .await
            .expect("emulator")
    });
    let sig = Signer::new(emu.sdkappid(), emu.secret_key()).sign(emu.identifier(), 86_400);
    let http = reqwest::Client::new();
    let n = AtomicU32::new(0);
    let result = runner(32).run(&case(), |case| {
        let (route, bytes) = build_body(&case);
        // The probe goes first inside the object; every other byte stays.
        let probed = match parse_body(&bytes) {
            Ok(body) => {
                let open = bytes.iter().position(|b| *b == b'{').unwrap_or(0);
                let mut p = bytes[..=open].to_vec();
                p.extend_from_slice(b"\"ZzFuzzProbe\":1");
                if !body.map.is_empty() {
                    p.push(b',');
                }
                p.extend_from_slice(&bytes[open + 1..]);
                p
            }
            Err(_) => bytes.clone(),
        };
        let before = emu.stats().unknown_keys;
        let url = format!(
            "{}{}?sdkappid={}&identifier={}&usersig={sig}&random={}&contenttype=json",
            emu.base_url(),
            route.meta.path,
            emu.sdkappid(),
            emu.identifier(),
            n.fetch_add(1, Ordering::Relaxed)
        );
        let answer = rt
            .block_on(post_json(&http, url, probed.clone()))
            .map_err(|e| fail(format!("no answer: {e}")))?;
        let code = answer["ErrorCode"].as_i64().unwrap_or(i64::MIN);
        let passed = emu.stats().unknown_keys > before;
        match parse_body(&probed) {
            Err(_) => {
                prop_assert_eq!(code, route.meta.invalid_json_code, "{}", preview(&probed));
            }
            Ok(body) => match (route.parse)(&body) {
                Err(r) => {
                    prop_assert_eq!(code, r.code, "{}: {}", r.message, preview(&probed));
                    prop_assert!(!passed);
                }
                Ok(_) => {
                    prop_assert!(
                        passed,
                        "parse accepts, the emulator refused with {answer}: {}",
                        preview(&probed)
                    );
                }
            },
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// A regression found by the property above: `call_raw` filled `Random`
/// and sent the compact re-encoding, in which `9e15` becomes
/// `9000000000000000.0`; a `MsgBody` just under 12,000 bytes as checked
/// then went over on the wire and the server refused it with the limit's
/// code. Whatever `call_raw` does, it must not send what the server refuses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_raw_near_the_size_limit_sends_what_the_server_accepts() {
    let emu = Emulator::builder()
        .accounts(["alice", "bob"])
        .group("@TGS#G", GroupType::Public, ["alice", "bob"])
        .start()
        .await
        .unwrap();
    let msg_body = |pad: &str| {
        format!(
            r#"[{{"MsgType":"TIMTextElem","MsgContent":{{"Text":"{pad}"}}}},{{"MsgType":"TIMLocationElem","MsgContent":{{"Desc":"here","Latitude":9e15,"Longitude":9e15}}}}]"#
        )
    };
    let limit = im_api::api::send_group_msg::META
        .field("MsgBody")
        .and_then(|f| f.max_json_bytes)
        .expect("MsgBody has a byte limit") as usize;
    let pad = "x".repeat(limit - 10 - msg_body("").len());
    let body = format!(r#"{{"GroupId":"@TGS#G","MsgBody":{}}}"#, msg_body(&pad));
    assert_eq!(
        parse_body(body.as_bytes()).unwrap().raw_len["MsgBody"],
        limit - 10
    );
    let answer = emu
        .client()
        .call_raw("group_open_http_svc/send_group_msg", body.as_bytes())
        .await;
    match answer {
        // Sent and delivered, or refused before sending: both consistent.
        Ok(_) | Err(RawError::Rejected(_)) => {}
        other => panic!("call_raw's checks passed but the server refused what it sent: {other:?}"),
    }
}

/// Deep nesting and huge strings: refused or accepted, never a crash.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_nesting_is_refused_without_overflow() {
    let deep = format!(
        r#"{{"GroupId":"@TGS#G","Random":1,"MsgBody":{}1{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert!(parse_body(deep.as_bytes()).is_err());
    let deep_objects = format!(
        r#"{{"GroupId":"@TGS#G","Random":1,"MsgBody":{}1{}}}"#,
        r#"{"a":"#.repeat(50_000),
        "}".repeat(50_000)
    );
    assert!(parse_body(deep_objects.as_bytes()).is_err());
    let emu = Emulator::builder()
        .group("@TGS#G", GroupType::Public, ["alice"])
        .start()
        .await
        .unwrap();
    for body in [&deep, &deep_objects] {
        let err = emu
            .client()
            .call_raw("group_open_http_svc/send_group_msg", body.as_bytes())
            .await
            .unwrap_err();
        assert!(matches!(err, RawError::BadJson(_)), "{err}");
    }
    let sig = Signer::new(emu.sdkappid(), emu.secret_key()).sign(emu.identifier(), 3600);
    let url = format!(
        "{}/v4/group_open_http_svc/send_group_msg?sdkappid={}&identifier={}&usersig={sig}&random=1&contenttype=json",
        emu.base_url(),
        emu.sdkappid(),
        emu.identifier()
    );
    let answer = post_json(&reqwest::Client::new(), url, deep.into_bytes())
        .await
        .unwrap();
    assert_eq!(
        answer["ErrorCode"],
        im_api::api::send_group_msg::META.invalid_json_code
    );
}

// ---------------------------------------------------- (b) HTTP requests

const EMU_THREAD: &str = "fuzz-emulator";
static EMULATOR_PANICS: AtomicUsize = AtomicUsize::new(0);

/// Count panics on the emulator's runtime threads (a panic in a connection
/// task is caught by tokio and would otherwise go unnoticed).
fn count_emulator_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if std::thread::current().name() == Some(EMU_THREAD) {
                EMULATOR_PANICS.fetch_add(1, Ordering::SeqCst);
            }
            previous(info);
        }));
    });
}

#[derive(Debug, Clone)]
enum Framing {
    /// Content-Length of the body.
    Exact,
    /// No length at all.
    Absent,
    /// Content-Length with this text (wrong, huge, negative, not a number).
    Length(String),
    /// Chunked, with a wrong chunk size when `lie`.
    Chunked { lie: bool },
    /// Both Content-Length and Transfer-Encoding.
    Both,
}

#[derive(Debug, Clone)]
struct RawRequest {
    method: String,
    target: String,
    host: Option<String>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    framing: Framing,
    /// Send only this many bytes.
    cut: Option<usize>,
    /// Keep our side open (the emulator's timeouts must end it).
    wait: bool,
}

impl RawRequest {
    fn bytes(&self) -> Vec<u8> {
        let mut head = format!("{} {} HTTP/1.1\r\n", self.method, self.target);
        if let Some(h) = &self.host {
            head.push_str(&format!("Host: {h}\r\n"));
        }
        for (k, v) in &self.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        let mut body = self.body.clone();
        match &self.framing {
            Framing::Exact => head.push_str(&format!("Content-Length: {}\r\n", body.len())),
            Framing::Absent => {}
            Framing::Length(n) => head.push_str(&format!("Content-Length: {n}\r\n")),
            Framing::Chunked { lie } => {
                head.push_str("Transfer-Encoding: chunked\r\n");
                let size = if *lie { body.len() + 7 } else { body.len() };
                let mut chunked = format!("{size:x}\r\n").into_bytes();
                chunked.extend_from_slice(&body);
                chunked.extend_from_slice(b"\r\n0\r\n\r\n");
                body = chunked;
            }
            Framing::Both => {
                head.push_str(&format!("Content-Length: {}\r\n", body.len()));
                head.push_str("Transfer-Encoding: chunked\r\n");
            }
        }
        head.push_str("\r\n");
        let mut out = head.into_bytes();
        out.extend_from_slice(&body);
        if let Some(n) = self.cut {
            out.truncate(n);
        }
        out
    }
}

fn raw_request(port: u16, query: String, valid_body: Vec<u8>) -> BoxedStrategy<RawRequest> {
    let paths: Vec<String> = ROUTES.iter().map(|r| r.meta.path.to_owned()).collect();
    let method = prop_oneof![
        4 => Just("POST".to_owned()),
        2 => select(vec!["GET", "PUT", "HEAD", "OPTIONS", "DELETE", "CONNECT", "BREW"]).prop_map(str::to_owned),
        1 => "[A-Za-z]{1,10}",
    ];
    let path = prop_oneof![
        4 => select(paths),
        1 => "/v4/[a-z_]{0,20}/[a-z_]{0,20}",
        1 => "/[!-~]{0,40}",
        1 => (0usize..20_000).prop_map(|n| format!("/v4/{}", "a".repeat(n))),
        1 => "[!-~]{0,20}",
    ];
    let q = query.clone();
    let query = prop_oneof![
        4 => Just(query),
        2 => (any::<Index>(), "[!-~]{0,30}").prop_map(move |(i, junk)| {
            // One parameter's value replaced, or the parameter dropped.
            let mut params: Vec<String> = q.split('&').map(str::to_owned).collect();
            let j = i.index(params.len());
            if junk.is_empty() {
                params.remove(j);
            } else {
                let name = params[j].split('=').next().unwrap_or("").to_owned();
                params[j] = format!("{name}={junk}");
            }
            params.join("&")
        }),
        1 => "[!-~]{0,60}",
        1 => Just(String::new()),
    ];
    let target = (path, query).prop_map(|(p, q)| if q.is_empty() { p } else { format!("{p}?{q}") });
    let host = prop_oneof![
        4 => Just(Some(format!("127.0.0.1:{port}"))),
        1 => Just(Some("localhost".to_owned())),
        1 => Just(None),
        1 => Just(Some("evil.example".to_owned())),
        1 => "[!-~]{0,30}".prop_map(Some),
    ];
    let content_type = select(vec![
        "application/json",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "",
    ])
    .prop_map(|v| ("Content-Type".to_owned(), v.to_owned()));
    let headers = prop_oneof![
        3 => prop::collection::vec(("[A-Za-z-]{1,20}", "[ -~]{0,50}"), 0..4),
        2 => content_type.prop_map(|h| vec![h]),
        1 => (0usize..100_000).prop_map(|n| vec![("X-Big".to_owned(), "a".repeat(n))]),
        1 => Just(vec![
            ("Expect".to_owned(), "100-continue".to_owned()),
            ("Connection".to_owned(), "close".to_owned()),
        ]),
    ];
    let body = prop_oneof![
        3 => Just(valid_body),
        3 => json_value().prop_map(String::into_bytes),
        2 => prop::collection::vec(any::<u8>(), 0..512),
        1 => (0usize..300_000).prop_map(|n| vec![b'['; n]),
    ];
    let framing = prop_oneof![
        4 => Just(Framing::Exact),
        1 => Just(Framing::Absent),
        1 => prop_oneof![
            Just("18446744073709551616".to_owned()),
            Just("-1".to_owned()),
            Just("209715200".to_owned()),
            Just("1, 2".to_owned()),
            "[0-9]{1,6}",
        ]
        .prop_map(Framing::Length),
        1 => any::<bool>().prop_map(|lie| Framing::Chunked { lie }),
        1 => Just(Framing::Both),
    ];
    (
        method,
        target,
        host,
        headers,
        body,
        framing,
        prop::option::weighted(0.2, 0usize..4096),
        prop::bool::weighted(0.15),
    )
        .prop_map(
            |(method, target, host, headers, body, framing, cut, wait)| RawRequest {
                method,
                target,
                host,
                headers,
                body,
                framing,
                cut,
                wait,
            },
        )
        .boxed()
}

/// Send `bytes` on a fresh connection, close our side unless `wait`, and
/// read until the emulator closes: what it answered, or an error when the
/// connection is neither answered nor closed in time.
async fn exchange(addr: std::net::SocketAddr, bytes: &[u8], wait: bool) -> Result<Vec<u8>, String> {
    let mut s = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    // The emulator may answer and close before taking everything.
    let _ = tokio::time::timeout(Duration::from_secs(5), s.write_all(bytes)).await;
    if !wait {
        let _ = s.shutdown().await;
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let mut out = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Err(_) => {
                return Err(format!(
                    "neither answered nor closed within 5 s ({} bytes read)",
                    out.len()
                ))
            }
            Ok(Ok(0)) | Ok(Err(_)) => return Ok(out),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
        }
    }
}

#[test]
fn random_http_requests_are_answered_or_closed_and_the_emulator_survives() {
    count_emulator_panics();
    let rt = runtime(EMU_THREAD);
    let mut limits = Limits::default();
    limits.header_timeout = Duration::from_millis(500);
    limits.body_timeout = Duration::from_millis(500);
    let emu = rt.block_on(async {
        Emulator::builder()
            .accounts(["alice", "bob"])
            .group("@TGS#FUZZ", GroupType::Public, ["alice", "bob"])
            .rate_limits(false)
            .limits(limits)
            .start()
            .await
            .expect("emulator")
    });
    let sig = Signer::new(emu.sdkappid(), emu.secret_key()).sign(emu.identifier(), 86_400);
    let query = format!(
        "sdkappid={}&identifier={}&usersig={sig}&random=1&contenttype=json",
        emu.sdkappid(),
        emu.identifier()
    );
    let valid = |random: u32| {
        format!(
            r#"{{"GroupId":"@TGS#FUZZ","Random":{random},"MsgBody":[{{"MsgType":"TIMTextElem","MsgContent":{{"Text":"hi"}}}}]}}"#
        )
        .into_bytes()
    };
    // No connection reuse: the emulator closes idle ones after 500 ms.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("http client");
    let next = AtomicU32::new(1_000_000);
    let strategy = raw_request(emu.addr().port(), query.clone(), valid(7));
    let result = runner(64).run(&strategy, |request| {
        let bytes = request.bytes();
        let answer = rt
            .block_on(exchange(emu.addr(), &bytes, request.wait))
            .map_err(fail)?;
        prop_assert!(
            answer.is_empty() || answer.starts_with(b"HTTP/1."),
            "not an HTTP answer: {}",
            preview(&answer)
        );
        prop_assert_eq!(
            EMULATOR_PANICS.load(Ordering::SeqCst),
            0,
            "the emulator panicked"
        );
        // A normal call is still served.
        let url = format!(
            "{}/v4/group_open_http_svc/send_group_msg?{query}",
            emu.base_url()
        );
        let body = valid(next.fetch_add(1, Ordering::Relaxed));
        let answer = rt
            .block_on(post_json(&http, url, body))
            .map_err(|e| fail(format!("the emulator stopped answering: {e}")))?;
        prop_assert_eq!(
            answer["ErrorCode"].as_i64(),
            Some(0),
            "{}",
            answer.to_string()
        );
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
