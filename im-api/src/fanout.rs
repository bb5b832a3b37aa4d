//! Chunked sending: one request template, any number of items (accounts),
//! split into calls of at most the spec's `max_items` (fewer when a quota
//! counted in items lets fewer through at once), as many in flight as the
//! rate limiter allows, every per-item failure merged into one report.
//! Nothing is silently dropped: an item is either delivered or listed in
//! `failed` with its code.
//!
//! The limiter plans the pace (every rate and quota of the endpoint, see
//! [`crate::limiter`]), so the time a send takes is known before it starts:
//! [`ChunkedSend::plan`] and every [`Progress`] carry an estimate.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::Client;
use crate::api::batchsendmsg;
use crate::endpoint::{Chunk, EndpointError};
use crate::error::Error;
use crate::limiter::{Budget, Scope};
use crate::types::MsgElement;
use crate::validate::ValidationError;

/// Where a chunked send stands, reported after each call completes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Items whose call has completed (delivered or failed).
    pub items_done: usize,
    /// Items to send.
    pub items_total: usize,
    /// Calls completed.
    pub requests_done: usize,
    /// Calls planned.
    pub requests_total: usize,
    /// Items that failed so far.
    pub failed: usize,
    /// Time until the last call completes: the longer of what the limits
    /// allow for the items left (every rate and quota of the endpoint) and
    /// what the pace so far gives. `None` when neither is known yet.
    pub eta: Option<Duration>,
}

/// A chunked send as it will run: how it is split and how long it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Plan {
    /// Distinct items to send.
    pub items: usize,
    /// Calls to make.
    pub requests: usize,
    /// The most items in one call.
    pub items_per_request: usize,
    /// The time the limits need for all of it; `None` when the endpoint is
    /// not paced (no limiter, or one that does not say).
    pub eta: Option<Duration>,
}

/// An item that was not delivered, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemFailure {
    /// The item's key (an account).
    pub item: String,
    /// The server's code: from the response's failure list, or the whole
    /// call's `ErrorCode`; `None` when the call failed without one.
    pub code: Option<i64>,
    /// The code's meaning, or what went wrong.
    pub reason: String,
    /// Whether the item surely was not delivered, or may have been.
    pub kind: FailureKind,
}

/// Why an item failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FailureKind {
    /// The server listed the item as failed, or refused its call with a code.
    Server,
    /// Its call got no usable answer (connection, timeout, HTTP status), or
    /// the rate limiter could not let it through (its shared store did not
    /// answer): the retry policy gave up, and whether the server has it is
    /// unknown.
    Transport,
    /// Anything else: an answer that did not decode, an invalid request.
    Other,
}

impl FailureKind {
    fn of<E>(e: &Error<E>) -> Self {
        match e {
            Error::Api(_) => Self::Server,
            Error::Transport(_) => Self::Transport,
            _ => Self::Other,
        }
    }
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
    /// Items delivered.
    pub delivered: usize,
    /// Items not delivered, each with its reason.
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
    max_items: Option<usize>,
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
            max_items: None,
            progress: None,
        }
    }

    /// Send one message to any number of accounts through `batchsendmsg`:
    /// at most 500 accounts per call (the spec's limit), paced by the rate
    /// limiter and the app's per-minute recipient quota, retried by the
    /// retry policy, every failed account reported. Accounts are
    /// deduplicated (order kept). Other request options (sender, lifetime,
    /// push info, ...) are set with [`ChunkedSend::with`].
    ///
    /// ```no_run
    /// # async fn demo(client: im_api::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// use im_api::types::MsgElement;
    ///
    /// let report = client
    ///     .fan_out(["alice", "bob"], [MsgElement::text("maintenance tonight")])
    ///     .with(|m| m.from_account("ops").msg_life_time(3600))
    ///     .on_progress(|p| eprintln!("{}/{} accounts", p.items_done, p.items_total))
    ///     .send()
    ///     .await?;
    /// for f in &report.failed {
    ///     eprintln!("{}: {:?} {}", f.item, f.code, f.reason);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn fan_out<I, S, B>(&self, accounts: I, msg_body: B) -> ChunkedSend<batchsendmsg::Request>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
        B: IntoIterator<Item = MsgElement>,
    {
        let template = batchsendmsg::Request::new(Vec::<String>::new(), msg_body);
        self.send_chunked(template, accounts)
    }
}

impl<R: Chunk> ChunkedSend<R> {
    /// Adjust the request every chunk is built from (its own list field is
    /// replaced per chunk), e.g. `.with(|m| m.from_account("ops"))`.
    pub fn with(mut self, f: impl FnOnce(R) -> R) -> Self {
        self.template = f(self.template);
        self
    }

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

    /// At most `n` items per call (the spec's `max_items` and the quotas'
    /// capacities still apply).
    pub fn max_items(mut self, n: usize) -> Self {
        self.max_items = Some(n.max(1));
        self
    }

    /// How the send will run: the chunking, and the time the limits need.
    pub fn plan(&self) -> Plan {
        let size = self.chunk_size();
        let requests = self.items.len().div_ceil(size);
        Plan {
            items: self.items.len(),
            requests,
            items_per_request: size,
            eta: Estimate::new(self.budgets()).eta(requests, self.items.len(), 0, 0),
        }
    }

    /// The limits every call of this send takes (its group's when the
    /// template names one).
    fn budgets(&self) -> Vec<Budget> {
        let grouped = self.template.rate_group().is_some();
        let mut budgets = self
            .client
            .limiter()
            .map(|l| l.budgets(R::META))
            .unwrap_or_default();
        budgets.retain(|b| grouped || b.scope != Scope::Group);
        budgets
    }

    /// Items per call: the spec's most, or fewer when asked or when a quota
    /// counted in items lets fewer through at once.
    fn chunk_size(&self) -> usize {
        let mut size = R::MAX_ITEMS.min(self.max_items.unwrap_or(usize::MAX));
        for b in self.budgets() {
            if b.counts.is_some() {
                size = size.min(usize::try_from(b.capacity).unwrap_or(usize::MAX));
            }
        }
        size.max(1)
    }

    /// Run it. `Err` only when the template breaks the spec's limits (then
    /// nothing was sent); otherwise every item is accounted for in the report.
    pub async fn send(self) -> Result<ChunkReport<R::Response>, Error<R::Error>> {
        let size = self.chunk_size();
        let estimate = Estimate::new(self.budgets());
        let ChunkedSend {
            client,
            template,
            items,
            duplicates,
            concurrency,
            max_items: _,
            progress,
        } = self;
        let chunks: Vec<Vec<R::Item>> = items.chunks(size).map(<[R::Item]>::to_vec).collect();
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
            eta: None,
        };
        // Keep `concurrency` calls in flight, and report each one as it
        // completes (not once the last is started: the estimates are live).
        let mut set = tokio::task::JoinSet::new();
        let mut next = 0;
        let mut outcomes: Vec<Outcome<R>> = (0..chunks.len()).map(|_| None).collect();
        let mut state = total;
        loop {
            while next < chunks.len() && set.len() < concurrency {
                let mut request = template.clone();
                request.set_items(chunks[next].clone());
                let client = client.clone();
                let index = next;
                set.spawn(async move { (index, client.call(request).await) });
                next += 1;
            }
            let Some(joined) = set.join_next().await else {
                break;
            };
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
            state.eta = estimate.eta(
                state.requests_total - state.requests_done,
                state.items_total - state.items_done,
                state.requests_done,
                state.items_done,
            );
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
                            kind: FailureKind::Server,
                        }
                    }));
                    report.responses.push(resp);
                }
                Some(Err(e)) => {
                    let reason = e.to_string();
                    let kind = FailureKind::of(&e);
                    report.failed.extend(chunk.iter().map(|item| ItemFailure {
                        item: R::item_key(item).to_owned(),
                        code: e.code(),
                        reason: reason.clone(),
                        kind,
                    }));
                }
                None => unreachable!("every spawned chunk reports back"),
            }
        }
        Ok(report)
    }
}

/// The time a send needs: what the limits allow for what is left, or what
/// the pace so far gives, whichever is longer (the limits alone are too
/// hopeful when other processes share them, the pace alone at the start).
#[derive(Debug, Clone)]
struct Estimate {
    budgets: Vec<Budget>,
    started: tokio::time::Instant,
}

impl Estimate {
    fn new(budgets: Vec<Budget>) -> Self {
        Self {
            budgets,
            started: tokio::time::Instant::now(),
        }
    }

    fn eta(
        &self,
        calls_left: usize,
        items_left: usize,
        calls_done: usize,
        items_done: usize,
    ) -> Option<Duration> {
        if calls_left == 0 {
            return Some(Duration::ZERO);
        }
        let mut secs: Option<f64> = None;
        let mut longest = |t: f64| secs = Some(secs.map_or(t, |s| s.max(t)));
        for b in &self.budgets {
            let units = if b.counts.is_some() {
                items_left
            } else {
                calls_left
            };
            longest(units as f64 / b.per_second);
        }
        let elapsed = self.started.elapsed().as_secs_f64();
        if calls_done >= 2 && items_done > 0 && elapsed > 0.0 {
            longest(items_left as f64 * elapsed / items_done as f64);
        }
        secs.filter(|s| s.is_finite())
            .map(|s| Duration::from_secs_f64(s.min(1e9)))
    }
}
