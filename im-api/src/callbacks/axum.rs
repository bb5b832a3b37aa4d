//! axum integration (feature `axum`): a router that answers callbacks with
//! an async (or plain) closure `Fn(Event) -> Answer`.

use std::future::IntoFuture;
use std::sync::Arc;

use ::axum::Router;
use ::axum::body::Bytes;
use ::axum::extract::RawQuery;
use ::axum::http::{Method, StatusCode, header};
use ::axum::response::{IntoResponse, Response};

use super::{Answer, Event, HttpReply, Webhook};

/// A router answering callbacks on every path: each POST goes through
/// [`Webhook::handle`] with `handler`; other methods get 405. Merge it into
/// your app or nest it under the callback path:
///
/// ```no_run
/// use std::sync::Arc;
/// use im_api::callbacks::{router, Answer, Event, Webhook};
///
/// let webhook = Arc::new(Webhook::new(1400000000).token("console token"));
/// let callbacks = router(webhook, |event: Event| async move {
///     println!("{}", event.command());
///     Answer::ok()
/// });
/// let app: axum::Router = axum::Router::new().nest_service("/im/callback", callbacks);
/// # let _ = app;
/// ```
pub fn router<F, R>(webhook: Arc<Webhook>, handler: F) -> Router
where
    F: Fn(Event) -> R + Clone + Send + Sync + 'static,
    R: IntoFuture<Output = Answer> + Send,
    R::IntoFuture: Send,
{
    let endpoint = move |method: Method, RawQuery(query): RawQuery, body: Bytes| {
        let webhook = webhook.clone();
        let handler = handler.clone();
        async move {
            if method != Method::POST {
                return to_response(HttpReply {
                    status: 405,
                    body: br#"{"ActionStatus":"FAIL","ErrorCode":1,"ErrorInfo":"callbacks are POST requests"}"#.to_vec(),
                });
            }
            let reply = webhook
                .handle(query.as_deref().unwrap_or(""), &body, handler)
                .await;
            to_response(reply)
        }
    };
    Router::new().fallback(endpoint)
}

fn to_response(reply: HttpReply) -> Response {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        reply.body,
    )
        .into_response()
}
