//! A local emulator of the IM REST API, driven by the same spec as the client.
//!
//! Every request is verified like Tencent's servers do: POST, the path, the
//! five query parameters, the UserSig (signed with the configured key, for an
//! admin), and the body against the spec with the client's own generated
//! validation, answering the spec's error codes. State (accounts, profiles,
//! relationships, groups, messages, conversations, push attributes and tags
//! of both push services)
//! gives the emulated endpoints their documented behaviour; what was
//! delivered can be inspected ([`Emulator::inbox`], [`Emulator::group_messages`],
//! [`Emulator::broadcasts`], [`Emulator::pushes`]). An endpoint without a handler is
//! checked the same way and then answered "not emulated" (`ErrorCode` -1 and
//! the header `x-im-emulator: not-emulated`; the typed client returns
//! [`Error::NotEmulated`](crate::Error::NotEmulated)), never a bare OK:
//! [`emulated_endpoints`] lists which are which.
//!
//! Only the configured admin identifier(s) may call it, and without
//! [`EmulatorBuilder::secret_key`] it signs with a fresh random key (there is
//! no usable default key, so a web page cannot sign requests to it; it also
//! only answers requests whose `Host` is a loopback name).
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
//! let client = emu.client(); // signs with the emulator's (random) key
//! # }
//! ```

mod callbacks;
mod handlers;
pub mod reply;
mod server;
mod shared;
mod state;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub use crate::raw::{ParseFn, Parsed, Rejection, Route, parse};
pub use handlers::PushTask;
pub use reply::{NOT_EMULATED_CODE, NOT_EMULATED_HEADER};
pub use state::Delivered;

use crate::types::GroupType;
use crate::{Client, SecretKey};

/// The SDKAppID the emulator answers to by default.
pub const DEFAULT_SDKAPPID: u64 = 1400000000;
/// The admin identifier the emulator accepts unless told another one.
pub const DEFAULT_ADMIN: &str = "administrator";

/// `service/command` of every endpoint the emulator emulates (with state and
/// documented answers); every other endpoint of the spec answers "not emulated".
pub fn emulated_endpoints() -> Vec<&'static str> {
    let table = handlers::Table::all();
    crate::generated::ROUTES
        .iter()
        .filter(|r| table.handles(r.meta.path))
        .map(|r| &r.meta.path[4..])
        .collect()
}

/// Whether the emulator emulates `service/command` (aliases included).
pub fn emulates(service_command: &str) -> bool {
    crate::raw::Route::find(service_command)
        .is_some_and(|r| handlers::Table::all().handles(r.meta.path))
}

/// Bounds on what a peer can make the emulator hold.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Limits {
    /// The largest request body, checked before reading (Content-Length)
    /// and while reading. Default 1 MiB, far above the largest legal request.
    pub max_body_bytes: usize,
    /// Time to receive a request's headers (idle keep-alive connections
    /// included) before the connection is closed. Default 10 s.
    pub header_timeout: Duration,
    /// Time to receive a request's body. Default 10 s.
    pub body_timeout: Duration,
    /// Connections open at once; beyond it new ones wait in the kernel's
    /// accept queue. Default 1024.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 1 << 20,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            max_connections: 1024,
        }
    }
}

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
    /// The random sequence's seed (same seed, same faults).
    pub seed: u64,
}

/// Counts of what the emulator answered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Requests received.
    pub requests: u64,
    /// Answers by `ErrorCode` (0 = success).
    pub by_code: BTreeMap<i64, u64>,
    /// Requests by endpoint path (spec endpoints only).
    pub by_path: BTreeMap<String, u64>,
    /// Requests to paths that are not endpoints (one counter, so junk paths
    /// cannot grow the map).
    pub other_paths: u64,
    /// Body keys the spec does not model, accepted and ignored.
    pub unknown_keys: u64,
    /// Faults injected.
    pub faults: u64,
    /// Duplicate sends recognised by `Random`/`MsgRandom` and not delivered again.
    pub duplicates: u64,
}

/// Configures and starts an [`Emulator`].
#[derive(Debug, Clone)]
pub struct EmulatorBuilder {
    pub(crate) sdkappid: u64,
    pub(crate) key: Option<SecretKey>,
    pub(crate) admins: Vec<String>,
    pub(crate) listen: SocketAddr,
    pub(crate) accounts: Vec<String>,
    pub(crate) groups: Vec<(String, GroupType, Vec<String>)>,
    pub(crate) broadcast_enabled: bool,
    pub(crate) push_enabled: bool,
    pub(crate) push_registrations: Vec<String>,
    pub(crate) rate_limits: bool,
    pub(crate) rate_overrides: BTreeMap<String, u32>,
    pub(crate) group_rate: Option<u32>,
    pub(crate) dedup_window: Duration,
    pub(crate) limits: Limits,
    /// The app's callback URL and authentication token (redacted in `Debug`).
    pub(crate) callback: Option<(String, SecretKey)>,
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        Self {
            sdkappid: DEFAULT_SDKAPPID,
            key: None,
            admins: vec![DEFAULT_ADMIN.into()],
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            accounts: Vec::new(),
            groups: Vec::new(),
            broadcast_enabled: false,
            push_enabled: false,
            push_registrations: Vec::new(),
            rate_limits: true,
            rate_overrides: BTreeMap::new(),
            group_rate: None,
            // Group messages: a repeat of Random and content within 5 minutes is dropped.
            dedup_window: Duration::from_secs(300),
            limits: Limits::default(),
            callback: None,
        }
    }
}

impl EmulatorBuilder {
    /// The SDKAppID it answers to (default 1400000000).
    pub fn sdkappid(mut self, sdkappid: u64) -> Self {
        self.sdkappid = sdkappid;
        self
    }
    /// The secret key UserSigs are verified with. Without it the emulator
    /// makes a random one ([`Emulator::secret_key`] tells it).
    pub fn secret_key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(SecretKey::new(key.into()));
        self
    }
    /// The App admin identifier, instead of `administrator`: only it (and
    /// those added with [`admin`](Self::admin)) may call the emulator.
    pub fn identifier(mut self, identifier: impl Into<String>) -> Self {
        self.admins = vec![identifier.into()];
        self
    }
    /// One more App admin identifier.
    pub fn admin(mut self, identifier: impl Into<String>) -> Self {
        let id = identifier.into();
        if !self.admins.contains(&id) {
            self.admins.push(id);
        }
        self
    }
    /// Size, time and connection bounds.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
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
    /// Whether push to all users (`all_member_push/im_push`) is enabled for
    /// the app (default off: 90045, as for an app without the feature, which
    /// Tencent enables on request for Ultimate/Premium editions). Managing
    /// attributes and tags works either way.
    pub fn push_enabled(mut self, on: bool) -> Self {
        self.push_enabled = on;
        self
    }
    /// Push RegistrationIDs (devices registered with the Push service) that
    /// `timpush/*` accepts besides imported UserIDs.
    pub fn push_registration_ids<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        ids: I,
    ) -> Self {
        self.push_registrations
            .extend(ids.into_iter().map(Into::into));
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

    /// Call the app back at `url` (http or https), as Tencent does once a
    /// callback URL is configured: the emulator signs its callbacks with
    /// `token` (`Sign = hex(sha256(token + RequestTime))`; an empty token
    /// sends none), waits at most 2 s for a before-callback's answer and
    /// honours it (refuse, drop, rewrite), and sends after-callbacks without
    /// waiting. See `im_api::callbacks` for the receiving side.
    pub fn callback(mut self, url: impl Into<String>, token: impl Into<String>) -> Self {
        self.callback = Some((url.into(), SecretKey::new(token.into())));
        self
    }

    /// Bind (loopback only) and serve.
    pub async fn start(self) -> std::io::Result<Emulator> {
        if !self.listen.ip().is_loopback() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "the emulator listens on loopback addresses only",
            ));
        }
        let listener = tokio::net::TcpListener::bind(self.listen).await?;
        let addr = listener.local_addr()?;
        let key = self.key.clone().unwrap_or_else(random_key);
        let callbacks = match &self.callback {
            Some((url, token)) => Some(Arc::new(
                callbacks::CallbackClient::new(url, token.expose(), self.sdkappid)
                    .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?,
            )),
            None => None,
        };
        let mut shared = shared::Shared::new(&self, key.expose());
        shared.callbacks = callbacks;
        let shared = Arc::new(shared);
        let task = tokio::spawn(server::serve(listener, shared.clone()));
        Ok(Emulator {
            addr,
            shared,
            task,
            sdkappid: self.sdkappid,
            key,
            admin: self
                .admins
                .first()
                .cloned()
                .unwrap_or_else(|| DEFAULT_ADMIN.into()),
        })
    }
}

/// 64 hex digits from the process's random source.
fn random_key() -> SecretKey {
    let mut s = String::with_capacity(64);
    for _ in 0..8 {
        s.push_str(&format!("{:08x}", crate::random_u32()));
    }
    SecretKey::new(s)
}

/// A running emulator. Dropping it stops the server.
pub struct Emulator {
    addr: SocketAddr,
    shared: Arc<shared::Shared>,
    task: tokio::task::JoinHandle<()>,
    sdkappid: u64,
    key: SecretKey,
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
    /// Configure an emulator.
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

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The SDKAppID it answers to.
    pub fn sdkappid(&self) -> u64 {
        self.sdkappid
    }

    /// The secret key it verifies UserSigs with (the random one unless set).
    pub fn secret_key(&self) -> SecretKey {
        self.key.clone()
    }

    /// The admin identifier its [`client`](Self::client) signs as.
    pub fn identifier(&self) -> &str {
        &self.admin
    }

    /// How many verified UserSigs it remembers (bounded).
    pub fn cached_usersigs(&self) -> usize {
        self.shared.cached_sigs()
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
            .secret_key(self.key.expose().to_owned())
            .base_url(self.base_url())
    }

    /// Import an account.
    pub fn add_account(&self, id: impl Into<String>) {
        self.shared
            .state()
            .import(&id.into(), crate::usersig::unix_now() as i64);
    }

    /// Whether an account is imported.
    pub fn has_account(&self, id: &str) -> bool {
        self.shared.state().has_account(id)
    }

    /// Whether a group exists.
    pub fn has_group(&self, group_id: &str) -> bool {
        self.shared.state().groups.contains_key(group_id)
    }

    /// The members of a group, in join order (empty when there is no such group).
    pub fn group_members(&self, group_id: &str) -> Vec<String> {
        self.shared
            .state()
            .groups
            .get(group_id)
            .map(|g| g.member_ids().cloned().collect())
            .unwrap_or_default()
    }

    /// Create a group with these members (imported when new).
    pub fn add_group<I: IntoIterator<Item = S>, S: Into<String>>(
        &self,
        id: impl Into<String>,
        ty: GroupType,
        members: I,
    ) {
        self.shared.state().add_group(
            id.into(),
            ty,
            None,
            members.into_iter().map(Into::into).collect(),
            crate::usersig::unix_now() as i64,
        );
    }

    /// Turn the console switch for AVChatRoom broadcasts on or off.
    pub fn set_broadcast_enabled(&self, on: bool) {
        self.shared.state().broadcast_enabled = on;
    }

    /// Turn push to all users on or off (see [`EmulatorBuilder::push_enabled`]).
    pub fn set_push_enabled(&self, on: bool) {
        self.shared.state().families.push.enabled = on;
    }

    /// Simulate a client of `account` logging in on `platform` (`iOS`,
    /// `Android`, `Web`, ...): with a callback URL configured, sends
    /// `State.StateChange` (Login, Register) and waits for the answer.
    /// Nothing else changes (the emulator keeps no connections).
    pub async fn simulate_login(&self, account: &str, platform: &str) {
        self.state_change(account, platform, true).await;
    }

    /// Simulate the client of `account` logging out: `State.StateChange`
    /// (Logout, Unregister), as [`simulate_login`](Self::simulate_login).
    pub async fn simulate_logout(&self, account: &str, platform: &str) {
        self.state_change(account, platform, false).await;
    }

    async fn state_change(&self, account: &str, platform: &str, login: bool) {
        let Some(cb) = self.shared.callbacks.clone() else {
            return;
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let event =
            crate::callbacks::Event::StateStateChange(callbacks::state_change(account, login, now));
        let _ = cb.send(&event, platform).await;
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

    /// The messages of a group, in order (recalled ones included).
    pub fn group_messages(&self, group_id: &str) -> Vec<Delivered> {
        self.shared
            .state()
            .groups
            .get(group_id)
            .map(|g| g.history.iter().map(|m| m.delivered.clone()).collect())
            .unwrap_or_default()
    }

    /// Pushes accepted (`all_member_push/im_push`, `timpush/push`,
    /// `timpush/batch`), in order, with the accounts each selected.
    pub fn pushes(&self) -> Vec<PushTask> {
        self.shared.state().families.push.tasks.clone()
    }

    /// Broadcasts accepted, in order.
    pub fn broadcasts(&self) -> Vec<Delivered> {
        self.shared.state().broadcasts.clone()
    }

    /// What it answered so far.
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
