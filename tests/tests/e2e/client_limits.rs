//! What a server cannot make the client do: follow a redirect (which would
//! re-POST the body and the UserSig to a URL the server chooses), or read
//! an answer of any size into memory.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use im_api::api::account_import;
use im_api::{Client, Error, RetryPolicy};
use im_tests::{ADMIN, KEY, SDKAPPID};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A loopback server answering every connection with `reply` (raw HTTP);
/// its base URL and how many connections it got.
async fn serve(reply: Vec<u8>) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    let reply = Arc::new(reply);
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            let reply = reply.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 << 10];
                let _ = s.read(&mut buf).await;
                let _ = s.write_all(&reply).await;
                let _ = s.shutdown().await;
            });
        }
    });
    (format!("http://{addr}"), hits)
}

fn client(base: &str, max_response: usize) -> Client {
    Client::builder()
        .sdkappid(SDKAPPID)
        .identifier(ADMIN)
        .secret_key(KEY)
        .base_url(base)
        .retry_policy(RetryPolicy::none())
        .no_rate_limit()
        .max_response_bytes(max_response)
        .build()
        .unwrap()
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let (target, target_hits) =
        serve(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}".to_vec()).await;
    for status in [
        "301 Moved Permanently",
        "302 Found",
        "307 Temporary Redirect",
        "308 Permanent Redirect",
    ] {
        let reply = format!(
            "HTTP/1.1 {status}\r\nLocation: {target}/v4/im_open_login_svc/account_import\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        let (base, hits) = serve(reply.into_bytes()).await;
        let err = client(&base, 1 << 20)
            .account_import(account_import::Request::new("alice"))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Transport(_)), "{status}: {err}");
        assert_eq!(hits.load(Ordering::SeqCst), 1, "{status}");
    }
    assert_eq!(
        target_hits.load(Ordering::SeqCst),
        0,
        "the body and the UserSig never went to the Location"
    );
}

#[tokio::test]
async fn answers_over_the_cap_are_refused_while_reading() {
    let pad = "x".repeat(2 << 20);
    let body = format!(r#"{{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","Pad":"{pad}"}}"#);
    // Declared length over the cap, and no length at all (read until close).
    let declared = format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let undeclared = format!("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{body}");
    for reply in [declared, undeclared] {
        let (base, _) = serve(reply.into_bytes()).await;
        let err = client(&base, 1 << 20)
            .account_import(account_import::Request::new("alice"))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Decode(_)), "{err}");
        // The same answer within a larger cap decodes.
        client(&base, 4 << 20)
            .account_import(account_import::Request::new("alice"))
            .await
            .unwrap();
    }
}
