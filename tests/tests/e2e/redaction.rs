//! Secrets never leave: the secret key and the usersig appear in no Debug
//! output, no error and no tracing field or span (the usersig travels in the
//! URL, so the URL is never logged).

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use im_api::api::send_group_msg;
use im_api::types::MsgElement;
use im_tests::*;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Records every span and event field as text.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<String>>);

struct Writer<'a>(&'a mut String);

impl Visit for Writer<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, "{}={:?} ", field.name(), value);
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut s = self.0.lock().unwrap();
        let _ = write!(s, "\nspan {} ", span.metadata().name());
        span.record(&mut Writer(&mut s));
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, values: &Record<'_>) {
        values.record(&mut Writer(&mut self.0.lock().unwrap()));
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut s = self.0.lock().unwrap();
        s.push_str("\nevent ");
        event.record(&mut Writer(&mut s));
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[tokio::test]
async fn no_secret_in_debug_errors_or_logs() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());
    // The other tests of this binary run on other threads with no
    // subscriber: one that registered a call's span while this subscriber
    // was being installed can leave it cached as "never enabled" (a race in
    // tracing's interest cache). Rebuilding the cache now, with this
    // subscriber in place, makes the span visible again.
    tracing::callsite::rebuild_interest_cache();
    let server = TestServer::start(fail(70001, "expired")).await;
    let client = server.client();
    let err = client
        .send_group_msg(send_group_msg::Request::new("g", [MsgElement::text("x")]))
        .await
        .unwrap_err();
    let sigs: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.param("usersig").unwrap().to_owned())
        .collect();
    assert!(!sigs.is_empty());

    let logs = capture.0.lock().unwrap().clone();
    assert!(logs.contains("im_api.call"), "a span per call: {logs}");
    assert!(
        logs.contains("random="),
        "the random value is logged: {logs}"
    );
    let outputs = [
        format!("{client:?}"),
        format!(
            "{:?}",
            im_api::Client::builder()
                .secret_key(KEY)
                .usersig("fixed-secret-sig")
        ),
        err.to_string(),
        format!("{err:?}"),
        logs,
    ];
    for out in &outputs {
        assert!(!out.contains(KEY), "secret key leaked: {out}");
        assert!(!out.contains("fixed-secret-sig"), "usersig leaked: {out}");
        for sig in &sigs {
            assert!(!out.contains(sig.as_str()), "usersig leaked: {out}");
        }
        assert!(!out.contains("usersig="), "URL leaked: {out}");
    }
}
