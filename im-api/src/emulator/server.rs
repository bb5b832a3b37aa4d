//! The HTTP side: accept connections, apply faults, verify the request line,
//! query and UserSig, enforce rates, parse the body, dispatch.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{json, Map, Value};

use super::state::State;
use super::{handlers, EmulatorBuilder, Fault, Route};
use crate::api::send_group_msg;
use crate::usersig::{unix_now, SigError, SigInfo};
use crate::{PublicError, SecretKey, Signer};

pub(crate) struct Shared {
    sdkappid: u64,
    signer: Signer,
    admins: HashSet<String>,
    rate_limits: bool,
    rate_overrides: HashMap<String, u32>,
    routes: HashMap<String, Route>,
    sigs: RwLock<HashMap<String, Result<SigInfo, SigError>>>,
    state: Mutex<State>,
}

/// A failure envelope.
pub(crate) fn fail(code: i64, info: impl Into<String>) -> Value {
    json!({"ActionStatus": "FAIL", "ErrorCode": code, "ErrorInfo": info.into()})
}

/// A success envelope around `body`'s fields.
pub(crate) fn ok(body: Value) -> Value {
    let mut v = json!({"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": ""});
    if let (Value::Object(out), Value::Object(fields)) = (&mut v, body) {
        out.extend(fields);
    }
    v
}

fn public(code: PublicError) -> i64 {
    crate::EndpointError::code(&code)
}

impl Shared {
    pub(crate) fn new(b: &EmulatorBuilder) -> Self {
        let mut routes = HashMap::new();
        for r in crate::generated::ROUTES {
            routes.insert(r.meta.path.to_owned(), *r);
            for alias in r.meta.aliases {
                routes.insert(format!("/v4/{}/{alias}", r.meta.service), *r);
            }
        }
        let mut state = State::new(b.dedup_window);
        state.broadcast_enabled = b.broadcast_enabled;
        state.per_group_rate = if b.rate_limits {
            b.group_rate.or(send_group_msg::META.per_group_per_second)
        } else {
            None
        };
        state.accounts.extend(b.accounts.iter().cloned());
        state.accounts.extend(b.admins.iter().cloned());
        for (id, ty, members) in &b.groups {
            state.add_group(id.clone(), ty.clone(), members.clone());
        }
        Self {
            sdkappid: b.sdkappid,
            signer: Signer::new(b.sdkappid, SecretKey::new(b.key.clone())),
            admins: b.admins.iter().cloned().collect(),
            rate_limits: b.rate_limits,
            rate_overrides: b
                .rate_overrides
                .iter()
                .map(|(k, v)| (format!("/v4/{k}"), *v))
                .collect(),
            routes,
            sigs: RwLock::new(HashMap::new()),
            state: Mutex::new(state),
        }
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn verify(&self, sig: &str) -> Result<SigInfo, SigError> {
        if let Some(r) = self.sigs.read().unwrap_or_else(|p| p.into_inner()).get(sig) {
            return r.clone();
        }
        let r = self.signer.verify_signature(sig);
        let mut cache = self.sigs.write().unwrap_or_else(|p| p.into_inner());
        if cache.len() > 10_000 {
            cache.clear();
        }
        cache.insert(sig.to_owned(), r.clone());
        r
    }

    /// Check everything and answer; returns the response body.
    fn process(&self, post: bool, path: &str, query: &str, body: &[u8]) -> Value {
        if !post {
            return fail(
                public(PublicError::HttpParseError),
                "only POST is supported",
            );
        }
        let Some(route) = self.routes.get(path) else {
            return fail(
                public(PublicError::RequestResourceError),
                format!("no such service/command: {path}"),
            );
        };
        let meta = route.meta;
        let q: HashMap<&str, &str> = query.split('&').filter_map(|p| p.split_once('=')).collect();
        let bad_param = |what: &str| {
            fail(
                public(PublicError::BadUrlParameter),
                format!("bad URL parameter: {what}"),
            )
        };
        let Some(sdkappid) = q.get("sdkappid") else {
            return fail(public(PublicError::SdkAppIdMissing), "sdkappid is missing");
        };
        match sdkappid.parse::<u64>() {
            Ok(id) if id == self.sdkappid => {}
            Ok(_) => return fail(public(PublicError::SdkAppIdNotFound), "SDKAppID not found"),
            Err(_) => return bad_param("sdkappid"),
        }
        let identifier = match q.get("identifier").map(|s| percent_decode(s)) {
            Some(id) if !id.is_empty() => id,
            _ => return bad_param("identifier"),
        };
        let Some(usersig) = q
            .get("usersig")
            .map(|s| percent_decode(s))
            .filter(|s| !s.is_empty())
        else {
            return bad_param("usersig");
        };
        if q.get("random")
            .and_then(|r| r.parse::<u32>().ok())
            .is_none()
        {
            return bad_param("random");
        }
        if q.get("contenttype") != Some(&"json") {
            return bad_param("contenttype");
        }
        let info = match self.verify(&usersig) {
            Ok(info) => info,
            Err(SigError::Signature) => {
                return fail(
                    public(PublicError::UserSigVerificationFailed),
                    "usersig verification failed",
                )
            }
            Err(SigError::SdkAppId { .. }) => {
                return fail(
                    public(PublicError::SdkAppIdMismatch),
                    "sdkappid differs from the usersig's",
                )
            }
            Err(_) => return fail(public(PublicError::UserSigInvalid), "usersig is invalid"),
        };
        if info.identifier != identifier {
            return fail(
                public(PublicError::IdentifierMismatch),
                "identifier differs from the usersig's",
            );
        }
        if !info.valid_at(unix_now()) {
            return fail(public(PublicError::UserSigExpired), "usersig expired");
        }
        if !self.admins.contains(&identifier) {
            return fail(
                public(PublicError::AdminRequired),
                "the identifier is not an App admin",
            );
        }
        if self.rate_limits {
            if let Some(per_second) = self
                .rate_overrides
                .get(meta.path)
                .copied()
                .or(meta.per_second)
            {
                if !self
                    .state()
                    .within_rate(meta.path, per_second, Instant::now())
                {
                    return fail(meta.rate_limit_code, format!("over {per_second} calls/s"));
                }
            }
        }
        let map: Map<String, Value> = match serde_json::from_slice(body) {
            Ok(Value::Object(m)) => m,
            _ => return fail(meta.invalid_json_code, "the body is not a JSON object"),
        };
        match (route.parse)(map) {
            Ok(parsed) => handlers::handle(self, &identifier, parsed),
            Err(r) => fail(r.code, r.message),
        }
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for Dropped {}

type Reply = hyper::Response<Full<Bytes>>;

fn json_reply(v: &Value) -> Reply {
    let body = serde_json::to_vec(v).unwrap_or_default();
    let mut r = hyper::Response::new(Full::new(Bytes::from(body)));
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    r
}

async fn handle(shared: Arc<Shared>, req: hyper::Request<Incoming>) -> Result<Reply, Dropped> {
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or("").to_owned();
    let post = req.method() == hyper::Method::POST;
    let fault = {
        let mut st = shared.state();
        let f = st.take_fault(&path);
        if f.is_some() {
            st.stats.faults += 1;
        }
        f
    };
    match &fault {
        Some(Fault::Drop) => return Err(Dropped),
        Some(Fault::Status(s)) => {
            let mut r = hyper::Response::new(Full::new(Bytes::from_static(b"fault injected")));
            *r.status_mut() =
                hyper::StatusCode::from_u16(*s).unwrap_or(hyper::StatusCode::BAD_GATEWAY);
            return Ok(r);
        }
        Some(Fault::Code(c)) => return Ok(json_reply(&fail(*c, "fault injected"))),
        Some(Fault::Delay(d)) => tokio::time::sleep(*d).await,
        _ => {}
    }
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return Err(Dropped),
    };
    let answer = shared.process(post, &path, &query, &body);
    {
        let code = answer.get("ErrorCode").and_then(Value::as_i64).unwrap_or(0);
        let mut st = shared.state();
        st.stats.requests += 1;
        *st.stats.by_code.entry(code).or_default() += 1;
        *st.stats.by_path.entry(path).or_default() += 1;
    }
    if fault == Some(Fault::DropAfterWork) {
        return Err(Dropped);
    }
    Ok(json_reply(&answer))
}

pub(crate) async fn serve(listener: tokio::net::TcpListener, shared: Arc<Shared>) {
    loop {
        let stream = match listener.accept().await {
            Ok((s, _)) => s,
            Err(_) => continue,
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| handle(shared.clone(), req));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}
