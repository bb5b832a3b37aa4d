//! A local emulator of the IM REST API, driven by the same spec as the client.
//!
//! Every request is verified like Tencent's servers do: POST, the path, the
//! five query parameters, the UserSig (signed with the configured key, for an
//! admin), and the body against the spec with the client's own generated
//! validation, answering the spec's error codes. State (accounts, groups, a
//! per-recipient ledger) gives the message endpoints their documented
//! behaviour; endpoints without a handler are validated and answered OK.
//!
//! ```no_run
//! # async fn demo() {
//! use im_api::emulator::Emulator;
//! use im_api::types::GroupType;
//! let emu = Emulator::builder()
//!     .accounts(["alice", "bob"])
//!     .group("@TGS#1", GroupType::Public, ["alice", "bob"])
//!     .start()
//!     .await
//!     .expect("emulator");
//! let client = emu.client(); // signs with the emulator's key
//! # }
//! ```

mod handlers;
mod server;
mod state;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub use crate::raw::{parse, ParseFn, Rejection, Route};
pub use state::Delivered;

use crate::types::GroupType;
use crate::{Client, SecretKey};

/// The SDKAppID the emulator answers to by default.
pub const DEFAULT_SDKAPPID: u64 = 1400000000;
/// The admin identifier the emulator accepts by default.
pub const DEFAULT_ADMIN: &str = "administrator";
/// The emulator's default secret key (a local test key, not a real one).
pub const DEFAULT_KEY: &str = "im-emulator-local-secret-key";

/// Something to go wrong with a request, for tests.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer this error code without doing the work.
    Code(i64),
    /// Answer this HTTP status (e.g. 502) without doing the work.
    Status(u16),
    /// Close the connection without an answer and without doing the work.
    Drop,
    /// Do the work, then close the connection without an answer.
    DropAfterWork,
    /// Wait this long, then handle the request normally.
    Delay(Duration),
}

/// Faults drawn at random for a share of requests (deterministic per seed).
#[derive(Debug, Clone)]
pub struct FaultPlan {
    /// Share of requests that get a fault, 0.0 to 1.0.
    pub probability: f64,
    /// The faults, drawn uniformly.
    pub faults: Vec<Fault>,
    pub seed: u64,
}

/// Counts of what the emulator answered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Requests received.
    pub requests: u64,
    /// Answers by `ErrorCode` (0 = success).
    pub by_code: BTreeMap<i64, u64>,
    /// Requests by path.
    pub by_path: BTreeMap<String, u64>,
    /// Faults injected.
    pub faults: u64,
    /// Duplicate sends recognised by `Random`/`MsgRandom` and not delivered again.
    pub duplicates: u64,
}

/// Configures and starts an [`Emulator`].
#[derive(Debug, Clone)]
pub struct EmulatorBuilder {
    pub(crate) sdkappid: u64,
    pub(crate) key: String,
    pub(crate) admins: Vec<String>,
    pub(crate) listen: SocketAddr,
    pub(crate) accounts: Vec<String>,
    pub(crate) groups: Vec<(String, GroupType, Vec<String>)>,
    pub(crate) broadcast_enabled: bool,
    pub(crate) rate_limits: bool,
    pub(crate) rate_overrides: BTreeMap<String, u32>,
    pub(crate) group_rate: Option<u32>,
    pub(crate) dedup_window: Duration,
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        Self {
            sdkappid: DEFAULT_SDKAPPID,
            key: DEFAULT_KEY.into(),
            admins: vec![DEFAULT_ADMIN.into()],
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            accounts: Vec::new(),
            groups: Vec::new(),
            broadcast_enabled: false,
            rate_limits: true,
            rate_overrides: BTreeMap::new(),
            group_rate: None,
            // Group messages: a repeat of Random and content within 5 minutes is dropped.
            dedup_window: Duration::from_secs(300),
        }
    }
}

impl EmulatorBuilder {
    pub fn sdkappid(mut self, sdkappid: u64) -> Self {
        self.sdkappid = sdkappid;
        self
    }
    pub fn secret_key(mut self, key: impl Into<String>) -> Self {
        self.key = key.into();
        self
    }
    /// Add an App admin identifier (the default admin stays).
    pub fn admin(mut self, identifier: impl Into<String>) -> Self {
        let id = identifier.into();
        self.accounts.push(id.clone());
        self.admins.push(id);
        self
    }
    /// Listen here instead of a free loopback port.
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }
    /// Accounts that exist from the start.
    pub fn accounts<I: IntoIterator<Item = S>, S: Into<String>>(mut self, ids: I) -> Self {
        self.accounts.extend(ids.into_iter().map(Into::into));
        self
    }
    /// A group that exists from the start, with its members.
    pub fn group<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        id: impl Into<String>,
        ty: GroupType,
        members: I,
    ) -> Self {
        self.groups
            .push((id.into(), ty, members.into_iter().map(Into::into).collect()));
        self
    }
    /// Whether the console switch for AVChatRoom broadcasts is on (default off: 10007).
    pub fn broadcast_enabled(mut self, on: bool) -> Self {
        self.broadcast_enabled = on;
        self
    }
    /// Whether the spec's per-endpoint and per-group rates are enforced (default on).
    pub fn rate_limits(mut self, on: bool) -> Self {
        self.rate_limits = on;
        self
    }
    /// Answer `service/command` at `per_second` instead of the spec's rate
    /// (a paid upgrade, another edition).
    pub fn rate(mut self, service_command: impl Into<String>, per_second: u32) -> Self {
        self.rate_overrides
            .insert(service_command.into(), per_second);
        self
    }
    /// Messages per second a single group accepts instead of the spec's 40.
    pub fn group_rate(mut self, per_second: u32) -> Self {
        self.group_rate = Some(per_second);
        self
    }
    /// How long a `Random`/`MsgRandom` is remembered for dedup (default 5 minutes).
    pub fn dedup_window(mut self, window: Duration) -> Self {
        self.dedup_window = window;
        self
    }

    pub async fn start(self) -> std::io::Result<Emulator> {
        let listener = tokio::net::TcpListener::bind(self.listen).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(server::Shared::new(&self));
        let task = tokio::spawn(server::serve(listener, shared.clone()));
        Ok(Emulator {
            addr,
            shared,
            task,
            sdkappid: self.sdkappid,
            key: self.key,
            admin: self.admins[0].clone(),
        })
    }
}

/// A running emulator. Dropping it stops the server.
pub struct Emulator {
    addr: SocketAddr,
    shared: Arc<server::Shared>,
    task: tokio::task::JoinHandle<()>,
    sdkappid: u64,
    key: String,
    admin: String,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("addr", &self.addr)
            .field("sdkappid", &self.sdkappid)
            .finish_non_exhaustive()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Emulator {
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    /// Start with the defaults on a free loopback port.
    pub async fn start() -> std::io::Result<Emulator> {
        Self::builder().start().await
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn sdkappid(&self) -> u64 {
        self.sdkappid
    }

    /// The secret key it verifies UserSigs with.
    pub fn secret_key(&self) -> SecretKey {
        SecretKey::new(self.key.clone())
    }

    /// A client for this emulator, signing as its admin.
    pub fn client(&self) -> Client {
        self.client_builder()
            .build()
            .expect("a loopback base URL is valid")
    }

    /// A client builder preset for this emulator, to adjust before `build`.
    pub fn client_builder(&self) -> crate::ClientBuilder {
        Client::builder()
            .sdkappid(self.sdkappid)
            .identifier(self.admin.clone())
            .secret_key(self.key.clone())
            .base_url(self.base_url())
    }

    pub fn add_account(&self, id: impl Into<String>) {
        self.shared.state().accounts.insert(id.into());
    }

    pub fn add_group<I: IntoIterator<Item = S>, S: Into<String>>(
        &self,
        id: impl Into<String>,
        ty: GroupType,
        members: I,
    ) {
        self.shared
            .state()
            .add_group(id.into(), ty, members.into_iter().map(Into::into).collect());
    }

    pub fn set_broadcast_enabled(&self, on: bool) {
        self.shared.state().broadcast_enabled = on;
    }

    /// What `account` received, in order.
    pub fn inbox(&self, account: &str) -> Vec<Delivered> {
        self.shared
            .state()
            .inbox
            .get(account)
            .cloned()
            .unwrap_or_default()
    }

    /// The messages of a group, in order.
    pub fn group_messages(&self, group_id: &str) -> Vec<Delivered> {
        self.shared
            .state()
            .groups
            .get(group_id)
            .map(|g| g.log.clone())
            .unwrap_or_default()
    }

    /// Broadcasts accepted, in order.
    pub fn broadcasts(&self) -> Vec<Delivered> {
        self.shared.state().broadcasts.clone()
    }

    pub fn stats(&self) -> Stats {
        self.shared.state().stats.clone()
    }

    /// Fail the next request (to any endpoint) with `fault`; queued in order.
    pub fn inject(&self, fault: Fault) {
        self.shared.state().faults.push_back((None, fault));
    }

    /// Fail the next request to `path` (`service/command`) with `fault`.
    pub fn inject_for(&self, path: &str, fault: Fault) {
        self.shared
            .state()
            .faults
            .push_back((Some(format!("/v4/{path}")), fault));
    }

    /// Draw faults at random for a share of requests; `None` stops.
    pub fn set_fault_plan(&self, plan: Option<FaultPlan>) {
        self.shared.state().set_plan(plan);
    }
}
