//! Chunked sending: one request template, any number of items (accounts),
//! split into calls of at most the spec's `max_items`, as many in flight as
//! the rate limiter allows, every per-item failure merged into one report.
//! Nothing is silently dropped: an item is either delivered or listed in
//! `failed` with its code.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use crate::api::batchsendmsg;
use crate::endpoint::{Chunk, EndpointError};
use crate::error::Error;
use crate::validate::ValidationError;
use crate::Client;

/// Where a chunked send stands, reported after each call completes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub items_done: usize,
    pub items_total: usize,
    pub requests_done: usize,
    pub requests_total: usize,
    pub failed: usize,
}

/// An item that was not delivered, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemFailure {
    pub item: String,
    /// The server's code: from the response's failure list, or the whole
    /// call's `ErrorCode`; `None` when the call failed without one.
    pub code: Option<i64>,
    pub reason: String,
}

/// The outcome of a chunked send.
#[derive(Debug)]
pub struct ChunkReport<Resp> {
    /// Distinct items asked for.
    pub items: usize,
    /// Repeated items dropped from the input (each item is sent once).
    pub duplicates_skipped: usize,
    /// Calls made (one per chunk).
    pub requests: usize,
    pub delivered: usize,
    pub failed: Vec<ItemFailure>,
    /// The response of each successful call, in chunk order.
    pub responses: Vec<Resp>,
}

impl<Resp> ChunkReport<Resp> {
    /// Every item was delivered.
    pub fn is_complete(&self) -> bool {
        self.failed.is_empty()
    }
}

type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;

/// One chunk's outcome, `None` until its call completes.
type Outcome<R> =
    Option<Result<<R as crate::Endpoint>::Response, Error<<R as crate::Endpoint>::Error>>>;

/// A chunked send being configured; run it with [`ChunkedSend::send`].
pub struct ChunkedSend<R: Chunk> {
    client: Client,
    template: R,
    items: Vec<R::Item>,
    duplicates: usize,
    concurrency: usize,
    progress: Option<ProgressFn>,
}

impl<R: Chunk> fmt::Debug for ChunkedSend<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChunkedSend")
            .field("items", &self.items.len())
            .field("concurrency", &self.concurrency)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Send `template` once per chunk of `items` (deduplicated by their key,
    /// order kept), for any endpoint whose spec names a `chunk` field.
    pub fn send_chunked<R, I, T>(&self, template: R, items: I) -> ChunkedSend<R>
    where
        R: Chunk,
        I: IntoIterator<Item = T>,
        T: Into<R::Item>,
    {
        let mut seen = HashSet::new();
        let mut list = Vec::new();
        let mut duplicates = 0;
        for item in items {
            let item = item.into();
            if seen.insert(R::item_key(&item).to_owned()) {
                list.push(item);
            } else {
                duplicates += 1;
            }
        }
        ChunkedSend {
            client: self.clone(),
            template,
            items: list,
            duplicates,
            concurrency: 16,
            progress: None,
        }
    }

    /// Send one message to any number of accounts through `batchsendmsg`:
    /// at most 500 accounts per call (the spec's limit), paced by the rate
    /// limiter, retried by the retry policy, every failed account reported.
    /// `message`'s own `To_Account` is replaced.
    pub fn fan_out<I, S>(
        &self,
        message: batchsendmsg::Request,
        accounts: I,
    ) -> ChunkedSend<batchsendmsg::Request>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.send_chunked(message, accounts)
    }
}

impl<R: Chunk> ChunkedSend<R> {
    /// Calls in flight at most (default 16); the rate limiter still paces them.
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Called after every completed call.
    pub fn on_progress(mut self, f: impl Fn(&Progress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(f));
        self
    }

    /// Run it. `Err` only when the template breaks the spec's limits (then
    /// nothing was sent); otherwise every item is accounted for in the report.
    pub async fn send(self) -> Result<ChunkReport<R::Response>, Error<R::Error>> {
        let ChunkedSend {
            client,
            template,
            items,
            duplicates,
            concurrency,
            progress,
        } = self;
        let chunks: Vec<Vec<R::Item>> = items
            .chunks(R::MAX_ITEMS)
            .map(<[R::Item]>::to_vec)
            .collect();
        // Check the template once, with a real chunk, before anything is sent.
        let mut probe = template.clone();
        if let Some(first) = chunks.first() {
            probe.set_items(first.clone());
        }
        let violations = crate::validate::Validate::violations(&probe);
        if !violations.is_empty() && !chunks.is_empty() {
            return Err(Error::Invalid(ValidationError {
                endpoint: &R::META.path[4..],
                violations,
            }));
        }
        let total = Progress {
            items_done: 0,
            items_total: items.len(),
            requests_done: 0,
            requests_total: chunks.len(),
            failed: 0,
        };
        let semaphore = Arc::new(tokio::sync::Semaphore::new(concurrency));
        let mut set = tokio::task::JoinSet::new();
        for (index, chunk) in chunks.iter().enumerate() {
            let permit = semaphore
                .clone()
                .acquire_owned()
                .await
                .expect("the semaphore is never closed");
            let mut request = template.clone();
            request.set_items(chunk.clone());
            let client = client.clone();
            set.spawn(async move {
                let result = client.call(request).await;
                drop(permit);
                (index, result)
            });
        }
        let mut outcomes: Vec<Outcome<R>> = (0..chunks.len()).map(|_| None).collect();
        let mut state = total;
        while let Some(joined) = set.join_next().await {
            let (index, result) = match joined {
                Ok(r) => r,
                Err(e) => std::panic::resume_unwind(e.into_panic()),
            };
            state.requests_done += 1;
            state.items_done += chunks[index].len();
            state.failed += match &result {
                Ok(resp) => crate::__private::PartialFailures::partial_failures(resp),
                Err(_) => chunks[index].len(),
            };
            if let Some(p) = &progress {
                p(&state);
            }
            outcomes[index] = Some(result);
        }
        let mut report = ChunkReport {
            items: items.len(),
            duplicates_skipped: duplicates,
            requests: chunks.len(),
            delivered: 0,
            failed: Vec::new(),
            responses: Vec::new(),
        };
        for (chunk, outcome) in chunks.iter().zip(outcomes) {
            match outcome {
                Some(Ok(resp)) => {
                    // Only the items this call carried: delivered + failed == items.
                    let carried: HashSet<&str> = chunk.iter().map(|i| R::item_key(i)).collect();
                    let mut failed = crate::__private::PartialFailures::failed_items(&resp);
                    failed.retain(|(item, _)| carried.contains(item.as_str()));
                    failed.dedup();
                    let failed_set: HashSet<&str> =
                        failed.iter().map(|(i, _)| i.as_str()).collect();
                    report.delivered += chunk
                        .iter()
                        .filter(|i| !failed_set.contains(R::item_key(i)))
                        .count();
                    report.failed.extend(failed.into_iter().map(|(item, code)| {
                        ItemFailure {
                            reason: code
                                .map_or("listed as failed by the server", |c| {
                                    R::Error::from_code(c).description()
                                })
                                .to_owned(),
                            item,
                            code,
                        }
                    }));
                    report.responses.push(resp);
                }
                Some(Err(e)) => {
                    let reason = e.to_string();
                    report.failed.extend(chunk.iter().map(|item| ItemFailure {
                        item: R::item_key(item).to_owned(),
                        code: e.code(),
                        reason: reason.clone(),
                    }));
                }
                None => unreachable!("every spawned chunk reports back"),
            }
        }
        Ok(report)
    }
}
