//! A minimal HTTP/1 server for callbacks (feature `callback-server`, also
//! enabled by `emulator`), on hyper: enough for tests, the `im callbacks
//! serve` command and small apps. Behind a reverse proxy, or inside a web
//! framework, call [`Webhook::handle`] yourself (or use `router` with axum,
//! feature `axum`).

use std::convert::Infallible;
use std::future::{Future, IntoFuture};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;

use super::{Answer, Event, HttpReply, Webhook};

/// The largest callback body read (Tencent's bodies are a few KiB; a batch
/// of 100 push events stays far below).
const MAX_BODY: usize = 1 << 20;

/// Serves callbacks on `listener`: every POST, whatever its path, goes
/// through [`Webhook::handle`] with `handler` (which returns an [`Answer`]
/// or a future of one). Other methods get 405. Runs until accepting fails
/// for good or the task is aborted.
///
/// ```no_run
/// use std::sync::Arc;
/// use im_api::callbacks::{serve, Answer, Webhook};
///
/// # async fn demo() -> std::io::Result<()> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:9000").await?;
/// let webhook = Arc::new(Webhook::new(1400000000).token("console token"));
/// serve(listener, webhook, |event| {
///     println!("{}", event.command());
///     Answer::ok()
/// })
/// .await
/// # }
/// ```
pub async fn serve<F, R>(
    listener: TcpListener,
    webhook: Arc<Webhook>,
    handler: F,
) -> std::io::Result<()>
where
    F: Fn(Event) -> R + Send + Sync + 'static,
    R: IntoFuture<Output = Answer> + Send,
    R::IntoFuture: Send,
{
    let handler = Arc::new(handler);
    serve_with(listener, move |query: String, body: Bytes| {
        let webhook = webhook.clone();
        let handler = handler.clone();
        async move { webhook.handle(&query, &body, &*handler).await }
    })
    .await
}

/// Serves with a service of your own: `service(query, body)` answers every
/// POST (any path; the query string without `?`), for example to log
/// [`Webhook::verify`]'s verdicts before answering.
pub async fn serve_with<S, Fut>(listener: TcpListener, service: S) -> std::io::Result<()>
where
    S: Fn(String, Bytes) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = HttpReply> + Send + 'static,
{
    let mut backoff = Duration::from_millis(5);
    let mut failures = 0u32;
    loop {
        let stream = match listener.accept().await {
            Ok((s, _)) => {
                backoff = Duration::from_millis(5);
                failures = 0;
                s
            }
            Err(e) => {
                // Out of descriptors and the like: back off; give up after a while.
                failures += 1;
                if failures > 100 {
                    return Err(e);
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(1));
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let service = service.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req: hyper::Request<Incoming>| {
                let service = service.clone();
                async move { Ok::<_, Infallible>(respond(req, service).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(Duration::from_secs(10))
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

async fn respond<S, Fut>(req: hyper::Request<Incoming>, service: S) -> hyper::Response<Full<Bytes>>
where
    S: Fn(String, Bytes) -> Fut,
    Fut: Future<Output = HttpReply>,
{
    if req.method() != hyper::Method::POST {
        return to_response(HttpReply {
            status: 405,
            body: br#"{"ActionStatus":"FAIL","ErrorCode":1,"ErrorInfo":"callbacks are POST requests"}"#.to_vec(),
        });
    }
    let query = req.uri().query().unwrap_or("").to_owned();
    let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return to_response(HttpReply {
                status: 413,
                body: br#"{"ActionStatus":"FAIL","ErrorCode":1,"ErrorInfo":"the body is too large or was cut off"}"#.to_vec(),
            })
        }
    };
    to_response(service(query, body).await)
}

fn to_response(reply: HttpReply) -> hyper::Response<Full<Bytes>> {
    let mut r = hyper::Response::new(Full::new(Bytes::from(reply.body)));
    *r.status_mut() = hyper::StatusCode::from_u16(reply.status)
        .unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}
