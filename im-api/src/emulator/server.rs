//! The HTTP side: accept connections (capped, with back-off on accept
//! errors), read requests under time and size limits, verify the request
//! line, Host, query and UserSig before the body is read, then parse the
//! body and dispatch to the handlers.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, HOST, HeaderValue};
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::Value;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::callbacks::Before;
use super::handlers::Ctx;
use super::reply::{NOT_EMULATED_CODE, NOT_EMULATED_HEADER, Reply, code_of, envelope, fail};
use super::shared::Shared;
use super::{Fault, Route};
use crate::usersig::{SigError, unix_now};
use crate::{EndpointError as _, PublicError};

fn public(code: PublicError) -> i64 {
    code.code()
}

type Response = hyper::Response<Full<Bytes>>;

/// A request that passed every check that does not need the body.
struct Verified {
    route: Route,
    identifier: String,
}

/// Whether a `Host` header names this machine (against DNS rebinding: a web
/// page's requests carry the page's host name).
fn loopback_host(host: Option<&HeaderValue>) -> bool {
    let Some(host) = host.and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !name.ends_with(':') => {
            name
        }
        _ => host,
    };
    let bare = name.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl Shared {
    /// Method, path, query and UserSig: everything checked before the body is read.
    fn verify_request(&self, post: bool, path: &str, query: &str) -> Result<Verified, Reply> {
        if !post {
            return Err(fail(
                public(PublicError::HttpParseError),
                "only POST is supported",
            ));
        }
        let Some(route) = self.routes.get(path).copied() else {
            return Err(fail(
                public(PublicError::RequestResourceError),
                "no such service/command",
            ));
        };
        // Percent-decoded (`+` is a space, as in forms); a repeated name keeps its first value.
        let mut q: HashMap<Cow<'_, str>, Cow<'_, str>> = HashMap::new();
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            q.entry(k).or_insert(v);
        }
        let bad_param = |what: &str| {
            fail(
                public(PublicError::BadUrlParameter),
                format!("bad URL parameter: {what}"),
            )
        };
        let Some(sdkappid) = q.get("sdkappid") else {
            return Err(fail(
                public(PublicError::SdkAppIdMissing),
                "sdkappid is missing",
            ));
        };
        match sdkappid.parse::<u64>() {
            Ok(id) if id == self.sdkappid => {}
            Ok(_) => {
                return Err(fail(
                    public(PublicError::SdkAppIdNotFound),
                    "SDKAppID not found",
                ));
            }
            Err(_) => return Err(bad_param("sdkappid")),
        }
        let identifier = match q.get("identifier") {
            Some(id) if !id.is_empty() => id.clone().into_owned(),
            _ => return Err(bad_param("identifier")),
        };
        let Some(usersig) = q.get("usersig").filter(|s| !s.is_empty()) else {
            return Err(bad_param("usersig"));
        };
        if q.get("random")
            .and_then(|r| r.parse::<u32>().ok())
            .is_none()
        {
            return Err(bad_param("random"));
        }
        if q.get("contenttype").map(|c| c.as_ref()) != Some("json") {
            return Err(bad_param("contenttype"));
        }
        let info = match self.verify(usersig) {
            Ok(info) => info,
            Err(SigError::Signature) => {
                return Err(fail(
                    public(PublicError::UserSigVerificationFailed),
                    "usersig verification failed",
                ));
            }
            Err(SigError::SdkAppId { .. }) => {
                return Err(fail(
                    public(PublicError::SdkAppIdMismatch),
                    "sdkappid differs from the usersig's",
                ));
            }
            Err(_) => {
                return Err(fail(
                    public(PublicError::UserSigInvalid),
                    "usersig is invalid",
                ));
            }
        };
        if info.identifier != identifier {
            return Err(fail(
                public(PublicError::IdentifierMismatch),
                "identifier differs from the usersig's",
            ));
        }
        if !info.valid_at(unix_now()) {
            return Err(fail(public(PublicError::UserSigExpired), "usersig expired"));
        }
        if !self.admins.contains(&identifier) {
            return Err(fail(
                public(PublicError::AdminRequired),
                "the identifier is not an App admin",
            ));
        }
        Ok(Verified { route, identifier })
    }

    /// Rate, body checks, the before-callback (no lock held while the app
    /// answers), the handler, then the after-callbacks (fire-and-forget).
    /// `false` in the second place: the endpoint is checked but not emulated.
    async fn answer(&self, v: &Verified, body: &[u8]) -> (Reply, bool) {
        let meta = v.route.meta;
        if self.rate_limits
            && let Some(per_second) = self
                .rate_overrides
                .get(meta.path)
                .copied()
                .or(meta.per_second)
            && !self
                .state()
                .within_rate(meta.path, per_second, Instant::now())
        {
            return (
                fail(meta.rate_limit_code, format!("over {per_second} calls/s")),
                true,
            );
        }
        let parsed = match crate::json::parse_body(body) {
            Ok(b) => b,
            Err(e) => return (fail(meta.invalid_json_code, e.to_string()), true),
        };
        let parsed = match (v.route.parse)(&parsed) {
            Ok(p) => p,
            Err(r) => return (fail(r.code, r.message), true),
        };
        let unknown = parsed.unknown.len() as u64;
        let mut request = parsed.request;
        let mut pending = None;
        if let (Some(cb), true) = (self.callbacks.clone(), self.handlers.handles(meta.path)) {
            match super::callbacks::before(self, &cb, &v.identifier, &mut request).await {
                Before::Answer(reply) => {
                    self.state().stats.unknown_keys += unknown;
                    return (reply, true);
                }
                Before::Dispatch(p) => pending = Some((cb, p)),
            }
        }
        let reply = {
            let mut st = self.state();
            st.stats.unknown_keys += unknown;
            if !self.handlers.handles(meta.path) {
                return (
                    fail(
                        NOT_EMULATED_CODE,
                        format!(
                            "not emulated: {} was checked against the spec but the emulator has no handler for it",
                            meta.service_command()
                        ),
                    ),
                    false,
                );
            }
            let mut cx = Ctx {
                st: &mut st,
                caller: &v.identifier,
                now: Instant::now(),
                unix: unix_now() as i64,
            };
            self.handlers
                .dispatch(meta.path, &mut cx, request)
                .expect("checked above")
        };
        match pending {
            Some((cb, p)) => (p.fire(&cb, reply), true),
            None => (reply, true),
        }
    }
}

#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped")
    }
}

impl std::error::Error for Dropped {}

fn json_reply(v: &Value, status: u16, emulated: bool) -> Response {
    let body = serde_json::to_vec(v).unwrap_or_default();
    let mut r = hyper::Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::OK);
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if !emulated {
        r.headers_mut().insert(
            NOT_EMULATED_HEADER,
            HeaderValue::from_static("not-emulated"),
        );
    }
    r
}

fn count(shared: &Shared, path: &str, reply: &Reply) {
    let mut st = shared.state();
    st.stats.requests += 1;
    *st.stats.by_code.entry(code_of(reply)).or_default() += 1;
    match shared.routes.get(path) {
        Some(r) => *st.stats.by_path.entry(r.meta.path.to_owned()).or_default() += 1,
        None => st.stats.other_paths += 1,
    }
}

async fn handle(shared: Arc<Shared>, req: hyper::Request<Incoming>) -> Result<Response, Dropped> {
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or("").to_owned();
    let post = req.method() == hyper::Method::POST;
    if !loopback_host(req.headers().get(HOST)) {
        let reply = fail(
            public(PublicError::HttpParseError),
            "the Host header must name a loopback address",
        );
        count(&shared, &path, &reply);
        return Ok(json_reply(&envelope(&reply), 403, true));
    }
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
        Some(Fault::Code(c)) => {
            return Ok(json_reply(
                &envelope(&fail(*c, "fault injected")),
                200,
                true,
            ));
        }
        Some(Fault::Delay(d)) => tokio::time::sleep(*d).await,
        _ => {}
    }
    let verified = match shared.verify_request(post, &path, &query) {
        Ok(v) => v,
        Err(reply) => {
            count(&shared, &path, &reply);
            return Ok(json_reply(&envelope(&reply), 200, true));
        }
    };
    let max = shared.limits.max_body_bytes;
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        let reply = fail(
            public(PublicError::HttpParseError),
            format!("the body is over {max} bytes"),
        );
        count(&shared, &path, &reply);
        return Ok(json_reply(&envelope(&reply), 413, true));
    }
    let body = Limited::new(req.into_body(), max);
    let body = match tokio::time::timeout(shared.limits.body_timeout, body.collect()).await {
        Ok(Ok(b)) => b.to_bytes(),
        Ok(Err(_)) => {
            let reply = fail(
                public(PublicError::HttpParseError),
                format!("the body is over {max} bytes"),
            );
            count(&shared, &path, &reply);
            return Ok(json_reply(&envelope(&reply), 413, true));
        }
        Err(_) => return Err(Dropped),
    };
    let (reply, emulated) = shared.answer(&verified, &body).await;
    count(&shared, &path, &reply);
    if fault == Some(Fault::DropAfterWork) {
        return Err(Dropped);
    }
    Ok(json_reply(&envelope(&reply), 200, emulated))
}

/// Accept connections until the task is aborted; aborting it (dropping the
/// [`Emulator`](super::Emulator)) also stops every connection task.
pub(crate) async fn serve(listener: tokio::net::TcpListener, shared: Arc<Shared>) {
    let permits = Arc::new(Semaphore::new(shared.limits.max_connections));
    let mut conns = JoinSet::new();
    let mut backoff = Duration::from_millis(5);
    loop {
        // At the connection cap, stop accepting (the kernel queues) rather than spin.
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => return,
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => continue,
        };
        let stream = tokio::select! {
            r = listener.accept() => match r {
                Ok((s, _)) => {
                    backoff = Duration::from_millis(5);
                    s
                }
                Err(_) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(1));
                    continue;
                }
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => continue,
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        conns.spawn(async move {
            let header_timeout = shared.limits.header_timeout;
            let svc = service_fn(move |req| handle(shared.clone(), req));
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .max_buf_size(64 * 1024)
                .serve_connection(TokioIo::new(stream), svc)
                .await;
            drop(permit);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_hosts() {
        let h = |s: &'static str| Some(HeaderValue::from_static(s));
        assert!(loopback_host(h("127.0.0.1:8080").as_ref()));
        assert!(loopback_host(h("localhost").as_ref()));
        assert!(loopback_host(h("[::1]:9").as_ref()));
        assert!(!loopback_host(h("evil.example:8080").as_ref()));
        assert!(!loopback_host(h("127.0.0.1.evil.example").as_ref()));
        assert!(!loopback_host(None));
    }
}
