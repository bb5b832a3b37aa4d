//! Shared pieces of the end-to-end suite: a local HTTP server that records
//! every request and answers from a script, helpers to read seed fixtures,
//! and an extension spec expanded by `im_macros` in a crate other than im-api.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

// An extension crate's own endpoints, declared beside `use im_api::api;`:
// everything the macro emits lives in the module `extra` it is given, so the
// two `api`s do not collide.
use im_api::api;

im_macros::generate!(
    path = "specs/extra.toml",
    ext_trait = "ExtraApi",
    module = "extra"
);

/// im-api's endpoint and the extension's endpoint of the same path, side by side.
pub fn sendmsg_paths() -> (&'static str, &'static str) {
    (
        api::sendmsg::META.path,
        extra::api::sendmsg_with_note::META.path,
    )
}

pub const SDKAPPID: u64 = 1400000000;
pub const ADMIN: &str = "administrator";
pub const KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    /// Query parameters in order, percent-decoded.
    pub query: Vec<(String, String)>,
    pub content_type: Option<String>,
    pub body: Bytes,
}

impl Recorded {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("request body is JSON")
    }
}

/// How the server answers one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// HTTP 200 with this JSON body.
    Json(serde_json::Value),
    /// Another HTTP status with a text body.
    Status(u16),
}

/// A loopback HTTP server that records requests and answers from a queue of
/// replies (then with the default reply).
pub struct TestServer {
    pub base_url: String,
    state: Arc<State>,
}

struct State {
    recorded: Mutex<Vec<Recorded>>,
    script: Mutex<VecDeque<Reply>>,
    default: Mutex<Reply>,
}

impl TestServer {
    pub async fn start(default: Reply) -> TestServer {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let state = Arc::new(State {
            recorded: Mutex::new(Vec::new()),
            script: Mutex::new(VecDeque::new()),
            default: Mutex::new(default),
        });
        let st = state.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    break;
                };
                let st = st.clone();
                tokio::spawn(async move {
                    let svc = service_fn(move |req| handle(st.clone(), req));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
        TestServer {
            base_url: format!("http://{addr}"),
            state,
        }
    }

    /// Answer the next requests with these replies, in order.
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        self.state.script.lock().unwrap().extend(replies);
    }

    pub fn set_default(&self, reply: Reply) {
        *self.state.default.lock().unwrap() = reply;
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.recorded.lock().unwrap().clone()
    }

    pub fn take_requests(&self) -> Vec<Recorded> {
        std::mem::take(&mut *self.state.recorded.lock().unwrap())
    }

    /// A client for this server, signing with [`KEY`]. It makes one attempt
    /// per call (retries are tested against the emulator) and does not pace.
    pub fn client(&self) -> im_api::Client {
        im_api::Client::builder()
            .sdkappid(SDKAPPID)
            .identifier(ADMIN)
            .secret_key(KEY)
            .base_url(&self.base_url)
            .retry_policy(im_api::RetryPolicy::none())
            .no_rate_limit()
            .build()
            .expect("client")
    }
}

async fn handle(
    state: Arc<State>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().map(parse_query).unwrap_or_default();
    let content_type = req
        .headers()
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    state.recorded.lock().unwrap().push(Recorded {
        method,
        path,
        query,
        content_type,
        body,
    });
    let reply = state
        .script
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or_else(|| state.default.lock().unwrap().clone());
    let resp = match reply {
        Reply::Json(v) => Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(v.to_string()))),
        Reply::Status(s) => Response::builder()
            .status(s)
            .body(Full::new(Bytes::from_static(b"bad gateway"))),
    };
    Ok(resp.expect("response"))
}

fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
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

/// The body of a seed fixture, `tests/fixtures/seeds/{name}.json`.
pub fn seed(name: &str) -> serde_json::Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/seeds")
        .join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let v: serde_json::Value = serde_json::from_str(&text).expect("fixture JSON");
    v["body"].clone()
}

/// A successful envelope with extra fields.
pub fn ok(extra: serde_json::Value) -> Reply {
    let mut v = serde_json::json!({"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": ""});
    if let serde_json::Value::Object(m) = extra {
        v.as_object_mut().expect("object").extend(m);
    }
    Reply::Json(v)
}

/// A failed envelope.
pub fn fail(code: i64, info: &str) -> Reply {
    Reply::Json(
        serde_json::json!({"ActionStatus": "FAIL", "ErrorCode": code, "ErrorInfo": info, "RequestId": format!("req-{code}")}),
    )
}

/// Every seed request sample, built with the typed API. The golden tests
/// check them on the wire; the emulator test sends them all for real.
pub mod seed_requests {
    use im_api::api::{batchsendmsg, send_broadcast_msg, send_group_msg};
    use im_api::types::*;

    fn face() -> MsgElement {
        FaceElem::new(6).data("abc\u{0}\u{1}").into()
    }

    fn text() -> MsgElement {
        MsgElement::text("red packet")
    }

    /// `(fixture name, request)` for `send_group_msg`.
    pub fn send_group_msg() -> Vec<(&'static str, send_group_msg::Request)> {
        let push = OfflinePushInfo::new()
            .push_flag(0)
            .desc("离线推送内容")
            .ext("这是透传的内容")
            .android_info(AndroidInfo::new().sound("android.mp3"))
            .apns_info(
                ApnsInfo::new()
                    .sound("apns.mp3")
                    .badge_mode(1)
                    .title("apns title")
                    .sub_title("apns subtitle")
                    .image("www.image.com"),
            );
        let base =
            || send_group_msg::Request::new("@TGS#2C5SZEAEF", [text(), face()]).random(8912345);
        vec![
            (
                "basic",
                base()
                    .cloud_custom_data("your cloud custom data")
                    .offline_push_info(push),
            ),
            (
                "from_account",
                send_group_msg::Request::new("@TGS#2C5SZEAEF", [text(), face()])
                    .from_account("leckie")
                    .random(8912345),
            ),
            (
                "send_msg_control",
                base().send_msg_control([SendMsgControl::NoLastMsg]),
            ),
            ("msg_priority", base().msg_priority(MsgPriority::High)),
            (
                "forbid_callback",
                base().forbid_callback_control([
                    ForbidCallbackControl::ForbidBeforeSendMsgCallback,
                    ForbidCallbackControl::ForbidAfterSendMsgCallback,
                ]),
            ),
            (
                "group_at",
                send_group_msg::Request::new(
                    "@TGS#2C5SZEAEF",
                    [MsgElement::text("red @all @tommy @brennanli packet")],
                )
                .random(8912345)
                .group_at_info([
                    GroupAtInfo::new(true),
                    GroupAtInfo::new(false).group_at_account("tommy"),
                    GroupAtInfo::new(false).group_at_account("brennanli"),
                ]),
            ),
            ("online_only", base().online_only_flag(true)),
        ]
    }

    /// `(fixture name, request)` for `send_broadcast_msg`.
    pub fn send_broadcast_msg() -> Vec<(&'static str, send_broadcast_msg::Request)> {
        vec![(
            "basic",
            send_broadcast_msg::Request::new([MsgElement::custom(
                "{ \"type\":1, \"content\":\"hello world\"}",
            )])
            .from_account("test")
            .random(8912345)
            .cloud_custom_data("your cloud custom data"),
        )]
    }

    /// `(fixture name, request)` for `batchsendmsg`.
    pub fn batchsendmsg() -> Vec<(&'static str, batchsendmsg::Request)> {
        let body = || [MsgElement::text("hi, beauty")];
        let push = OfflinePushInfo::new()
            .push_flag(0)
            .desc("离线推送内容")
            .ext("这是透传的内容")
            .android_info(AndroidInfo::new().sound("android.mp3"))
            .apns_info(ApnsInfo::new().sound("apns.mp3").badge_mode(1));
        vec![
            (
                "admin_to_targets",
                batchsendmsg::Request::new(["bonnie", "rong"], body()).msg_random(19901224),
            ),
            (
                "from_account_with_push",
                batchsendmsg::Request::new(["bonnie", "rong"], body())
                    .from_account("dave")
                    .msg_random(19901224)
                    .offline_push_info(push),
            ),
        ]
    }
}
