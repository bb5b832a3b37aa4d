//! Tencent's documented samples as the oracle for the typed surface: every
//! sample request of every endpoint (`tests/fixtures/samples/<service>/<command>.json`,
//! copied from the doc pages) must pass the generated checks with every key
//! modelled and encode back to the same JSON; every sample success response
//! must decode into the typed `Response` with every key modelled (decoding
//! and encoding again loses nothing); every sample failure must carry a code
//! the endpoint documents (or a public one).

use std::path::{Path, PathBuf};

use im_api::raw::{parse_body, Route};
use serde_json::{Map, Value};

const ENVELOPE: &[&str] = &[
    "ActionStatus",
    "ErrorCode",
    "ErrorInfo",
    "ErrorDisplay",
    "RequestId",
];

fn fixtures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/samples");
    let mut out = Vec::new();
    for service in std::fs::read_dir(&root).expect("fixtures/samples") {
        let service = service.unwrap().path();
        for f in std::fs::read_dir(&service).unwrap() {
            let f = f.unwrap().path();
            if f.extension().is_some_and(|x| x == "json") {
                out.push(f);
            }
        }
    }
    out.sort();
    out
}

/// Equal as the wire sees it: numbers by value, an absent key equal to an
/// empty list or object (optional lists are not sent when empty).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            let empty = |v: Option<&Value>| match v {
                None => true,
                Some(Value::Array(a)) => a.is_empty(),
                Some(Value::Object(o)) => o.is_empty(),
                _ => false,
            };
            x.keys()
                .chain(y.keys())
                .all(|k| match (x.get(k), y.get(k)) {
                    (Some(p), Some(q)) => same(p, q),
                    (p, q) => empty(p) && empty(q),
                })
        }
        _ => a == b,
    }
}

/// The first place two values differ, for the failure message.
fn diff(a: &Value, b: &Value, path: &str) -> String {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys()) {
                let (p, q) = (
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                );
                if !same(
                    &Value::Object(Map::from_iter([(k.clone(), p.clone())])),
                    &Value::Object(Map::from_iter([(k.clone(), q.clone())])),
                ) {
                    return diff(p, q, &format!("{path}.{k}"));
                }
            }
            path.to_owned()
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                if !same(p, q) {
                    return diff(p, q, &format!("{path}[{i}]"));
                }
            }
            path.to_owned()
        }
        _ => format!("{path}: sample {a} vs typed {b}"),
    }
}

fn check_request(route: &Route, name: &str, sample: &Value) -> Result<(), String> {
    let bytes = serde_json::to_vec(sample).unwrap();
    let body = parse_body(&bytes).map_err(|e| e.to_string())?;
    let parsed =
        (route.parse)(&body).map_err(|r| format!("refused with {}: {}", r.code, r.message))?;
    if !parsed.unknown.is_empty() {
        return Err(format!("keys not modelled: {:?}", parsed.unknown));
    }
    let typed = (route.reencode)(&body)?;
    if !same(sample, &typed) {
        return Err(format!(
            "{name}: encodes differently at {}",
            diff(sample, &typed, "")
        ));
    }
    Ok(())
}

fn check_response(route: &Route, sample: &Value) -> Result<(), String> {
    let ok = sample
        .get("ActionStatus")
        .and_then(Value::as_str)
        .unwrap_or("OK")
        == "OK"
        && sample.get("ErrorCode").and_then(Value::as_i64).unwrap_or(0) == 0;
    let bytes = serde_json::to_vec(sample).unwrap();
    if !ok {
        // A failure: its code is typed (documented or public), or the body is
        // a partial failure the typed response carries.
        let code = sample.get("ErrorCode").and_then(Value::as_i64).unwrap_or(0);
        let documented = route.meta.error_codes.contains(&code) || (60000..=79999).contains(&code);
        let partial = (route.decode)(&bytes).map(|(_, n)| n > 0).unwrap_or(false);
        return if documented || partial {
            Ok(())
        } else {
            Err(format!(
                "failure code {code} is not documented for the endpoint"
            ))
        };
    }
    let mut typed = (route.redecode)(&bytes)?;
    let mut expected = sample.clone();
    for v in [&mut expected, &mut typed] {
        if let Value::Object(m) = v {
            for k in ENVELOPE {
                m.remove(*k);
            }
        }
    }
    if !same(&expected, &typed) {
        return Err(format!(
            "not every key is modelled: {}",
            diff(&expected, &typed, "")
        ));
    }
    Ok(())
}

#[test]
fn every_documented_sample_matches_the_typed_surface() {
    let files = fixtures();
    assert!(
        files.len() >= 150,
        "expected a samples fixture per endpoint, found {}",
        files.len()
    );
    let mut problems = Vec::new();
    let (mut requests, mut responses) = (0, 0);
    for f in &files {
        let fx: Value = serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap();
        let endpoint = fx["endpoint"].as_str().unwrap();
        let Some(route) = Route::find(endpoint) else {
            problems.push(format!("{}: no endpoint {endpoint}", f.display()));
            continue;
        };
        for s in fx["requests"].as_array().into_iter().flatten() {
            requests += 1;
            let name = s["name"].as_str().unwrap_or("");
            if let Err(e) = check_request(route, name, &s["body"]) {
                problems.push(format!("{endpoint} request {name}: {e}"));
            }
        }
        for s in fx["responses"].as_array().into_iter().flatten() {
            responses += 1;
            let name = s["name"].as_str().unwrap_or("");
            if let Err(e) = check_response(route, &s["body"]) {
                problems.push(format!("{endpoint} response {name}: {e}"));
            }
        }
    }
    println!(
        "{} fixtures: {requests} sample requests, {responses} sample responses",
        files.len()
    );
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn every_endpoint_has_a_samples_fixture() {
    let have: Vec<String> = fixtures()
        .iter()
        .map(|f| {
            let fx: Value = serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap();
            fx["endpoint"].as_str().unwrap().to_owned()
        })
        .collect();
    let missing: Vec<String> = im_api::ENDPOINTS
        .iter()
        .map(|m| format!("{}/{}", m.service, m.command))
        .filter(|p| !have.contains(p))
        .collect();
    assert!(missing.is_empty(), "no samples fixture for {missing:?}");
}
