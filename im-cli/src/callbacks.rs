//! `im callbacks serve`: receive Tencent's callbacks (webhooks) for the app
//! named by `--sdkappid`, verify each (app ID, `Sign` with the token,
//! `RequestTime` within the window, no replay), answer a verified one like
//! an app with no opinion (`{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}`)
//! and print it on stdout as one JSON line: `{"command", "query" (without
//! `Sign`), "body"}`. Refused requests get a non-200 FAIL answer and their
//! reason on stderr; they are never printed as events. The token is never
//! printed.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use im_api::callbacks::{serve_with, Answer, HttpReply, Webhook};

use crate::config::Globals;
use crate::{invalid, Exit};

/// `im callbacks ...`
#[derive(Debug, clap::Subcommand)]
pub enum Callbacks {
    /// Accept callback POSTs on any path, verify them, answer OK and print each as a JSON line
    Serve {
        /// Address to listen on (Tencent must reach it: put HTTPS in front)
        #[arg(long, default_value = "127.0.0.1:8090")]
        listen: SocketAddr,
        /// Callback authentication token set in the console
        #[arg(
            long,
            value_name = "TOKEN",
            env = "IM_CALLBACK_TOKEN",
            hide_env_values = true
        )]
        token: Option<String>,
        /// How far RequestTime may be from this machine's clock, either way
        #[arg(long, value_name = "SECONDS", default_value_t = 60)]
        window: u64,
    },
}

pub async fn run(g: &Globals, command: Callbacks) -> Exit {
    match command {
        Callbacks::Serve {
            listen,
            token,
            window,
        } => serve(g, listen, token, window).await,
    }
}

async fn serve(g: &Globals, listen: SocketAddr, token: Option<String>, window: u64) -> Exit {
    let app = match g.sdkappid() {
        Ok(app) => app,
        Err(e) => return invalid(e),
    };
    let token = token.filter(|t| !t.is_empty());
    let Some(token) = token else {
        return invalid(
            "missing --token (or IM_CALLBACK_TOKEN): the console's callback authentication token",
        );
    };
    let webhook = Arc::new(
        Webhook::new(app)
            .token(token)
            .window(Duration::from_secs(window)),
    );
    let listener = match tokio::net::TcpListener::bind(listen).await {
        Ok(l) => l,
        Err(e) => return invalid(format!("cannot listen on {listen}: {e}")),
    };
    let addr = listener.local_addr().unwrap_or(listen);
    errln!("im: receiving callbacks for SdkAppid {app} on http://{addr} (any path); one JSON line per verified callback");
    let served = serve_with(listener, move |query: String, body| {
        let webhook = webhook.clone();
        async move { answer(&webhook, &query, &body) }
    });
    tokio::select! {
        r = served => match r {
            Ok(()) => Exit::Ok,
            Err(e) => {
                errln!("im: cannot accept connections: {e}");
                Exit::Transport
            }
        },
        _ = tokio::signal::ctrl_c() => Exit::Ok,
    }
}

/// Verify one request: print a verified one and answer OK; report a refused
/// one on stderr and answer the refusal.
fn answer(webhook: &Webhook, query: &str, body: &[u8]) -> HttpReply {
    match webhook.verify(query, body) {
        Ok(v) => {
            let line = serde_json::json!({
                "command": v.command,
                "query": v.query.to_json_without_sign(),
                "body": v.body,
            });
            outln!("{line}");
            HttpReply::answer(&Answer::ok())
        }
        Err(refusal) => {
            errln!("im: refused a callback ({}): {refusal}", refusal.status());
            HttpReply::refused(&refusal)
        }
    }
}
