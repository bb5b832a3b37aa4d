//! Broadcast coalescing. `send_broadcast_msg` is allowed once per second;
//! Tencent's advice is to merge updates into one multi-element message. The
//! coalescer queues broadcasts and, each time the rate allows a call, sends
//! the longest prefix of the queue that merges into one request the spec's
//! checks accept (same sender and custom data; the spec limits the body size
//! and allows one `TIMCustomElem`), so order is preserved.

use std::collections::VecDeque;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::Client;
use crate::api::send_broadcast_msg;
use crate::endpoint::Endpoint;
use crate::error::{Error, TransportError};
use crate::validate::Validate;

/// What a queued broadcast became.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coalesced {
    /// `MsgSeq` of the merged broadcast.
    pub msg_seq: u64,
    /// How many queued broadcasts the call carried.
    pub merged: usize,
    /// This broadcast's place among them (0 = first).
    pub position: usize,
}

/// Why a queued broadcast was not sent (shared by every broadcast of the call).
pub type CoalesceError = Arc<Error<send_broadcast_msg::Error>>;

struct Job {
    request: send_broadcast_msg::Request,
    done: oneshot::Sender<Result<Coalesced, CoalesceError>>,
}

/// A queue that merges broadcasts into as few calls as the rate needs.
/// Dropping it lets queued broadcasts finish, then the worker ends.
#[derive(Debug, Clone)]
pub struct BroadcastCoalescer {
    tx: mpsc::UnboundedSender<Job>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job").finish_non_exhaustive()
    }
}

impl Client {
    /// Start a broadcast coalescer on this client (needs a Tokio runtime).
    pub fn broadcast_coalescer(&self) -> BroadcastCoalescer {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(worker(self.clone(), rx));
        BroadcastCoalescer { tx }
    }
}

impl BroadcastCoalescer {
    /// Queue a broadcast now (queue order is call order); the future
    /// resolves when the call carrying it is answered.
    pub fn send(
        &self,
        request: send_broadcast_msg::Request,
    ) -> impl std::future::Future<Output = Result<Coalesced, CoalesceError>> + Send + 'static {
        let (done, wait) = oneshot::channel();
        let closed = || -> CoalesceError {
            Arc::new(Error::Transport(TransportError {
                endpoint: &send_broadcast_msg::META.path[4..],
                random: 0,
                status: None,
                timeout: false,
                attempts: 0,
                source: Some("the broadcast coalescer stopped".into()),
            }))
        };
        let queued = self.tx.send(Job { request, done }).map_err(|_| closed());
        async move {
            queued?;
            wait.await.map_err(|_| closed())?
        }
    }
}

/// Whether `next` can join `merged` into one valid request.
fn merge(
    merged: &send_broadcast_msg::Request,
    next: &send_broadcast_msg::Request,
) -> Option<send_broadcast_msg::Request> {
    if merged.from_account != next.from_account
        || merged.cloud_custom_data != next.cloud_custom_data
    {
        return None;
    }
    // The spec's checks decide the rest: body size, one TIMCustomElem at most.
    let mut candidate = merged.clone();
    candidate.msg_body.extend(next.msg_body.iter().cloned());
    candidate.violations().is_empty().then_some(candidate)
}

async fn worker(client: Client, mut rx: mpsc::UnboundedReceiver<Job>) {
    let mut pending: VecDeque<Job> = VecDeque::new();
    loop {
        if pending.is_empty() {
            match rx.recv().await {
                Some(job) => pending.push_back(job),
                None => return,
            }
        }
        // Wait for the next slot of the endpoint's rate, then take everything
        // queued meanwhile.
        client.pace(send_broadcast_msg::Request::META).await;
        while let Ok(job) = rx.try_recv() {
            pending.push_back(job);
        }
        let Some(first) = pending.pop_front() else {
            continue;
        };
        // An invalid first broadcast merges with nothing and fails alone,
        // without being sent.
        let mut merged = first.request.clone();
        let mut batch = vec![first];
        while let Some(next) = pending.front() {
            match merge(&merged, &next.request) {
                Some(m) => {
                    merged = m;
                    batch.push(pending.pop_front().expect("front exists"));
                }
                None => break,
            }
        }
        if batch.len() > 1 {
            // New content: a fresh Random, not the first item's.
            merged.random = None;
        }
        let result = client.call_paced(merged, false).await;
        let n = batch.len();
        match result {
            Ok(resp) => {
                for (position, job) in batch.into_iter().enumerate() {
                    let _ = job.done.send(Ok(Coalesced {
                        msg_seq: resp.msg_seq,
                        merged: n,
                        position,
                    }));
                }
            }
            Err(e) => {
                let e = Arc::new(e);
                for job in batch {
                    let _ = job.done.send(Err(e.clone()));
                }
            }
        }
    }
}
