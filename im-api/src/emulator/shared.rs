//! What the server and the handlers share: the configuration, the routes,
//! the handler table, a bounded cache of verified UserSigs, and the state.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Mutex, MutexGuard};

use super::handlers::Table;
use super::state::State;
use super::{EmulatorBuilder, Route};
use crate::api::send_group_msg;
use crate::usersig::{SigError, SigInfo};
use crate::{SecretKey, Signer};

/// How many verified UserSigs are remembered (failures are never cached, so
/// junk signatures cannot grow it).
const SIG_CACHE: usize = 256;

pub(crate) struct Shared {
    pub sdkappid: u64,
    pub admins: HashSet<String>,
    pub rate_limits: bool,
    pub rate_overrides: HashMap<String, u32>,
    pub routes: HashMap<String, Route>,
    pub handlers: Table,
    pub limits: super::Limits,
    signer: Signer,
    sigs: Mutex<SigCache>,
    state: Mutex<State>,
    /// Set when the app configured a callback URL (`EmulatorBuilder::callback`).
    pub callbacks: Option<std::sync::Arc<super::callbacks::CallbackClient>>,
}

#[derive(Default)]
struct SigCache {
    map: HashMap<String, SigInfo>,
    order: VecDeque<String>,
}

impl Shared {
    pub(crate) fn new(b: &EmulatorBuilder, key: &str) -> Self {
        let mut routes = HashMap::new();
        for r in crate::generated::ROUTES {
            routes.insert(r.meta.path.to_owned(), *r);
            for alias in r.meta.aliases {
                routes.insert(format!("/v4/{}/{alias}", r.meta.service), *r);
            }
        }
        let mut state = State::new(b.dedup_window);
        state.broadcast_enabled = b.broadcast_enabled;
        state.families.push.enabled = b.push_enabled;
        state
            .families
            .push
            .registrations
            .extend(b.push_registrations.iter().cloned());
        state.per_group_rate = if b.rate_limits {
            b.group_rate.or(send_group_msg::META.per_group_per_second)
        } else {
            None
        };
        let now = crate::usersig::unix_now() as i64;
        for a in b.accounts.iter().chain(&b.admins) {
            state.import(a, now);
        }
        for (id, ty, members) in &b.groups {
            state.add_group(id.clone(), ty.clone(), None, members.clone(), now);
        }
        Self {
            sdkappid: b.sdkappid,
            admins: b.admins.iter().cloned().collect(),
            rate_limits: b.rate_limits,
            rate_overrides: b
                .rate_overrides
                .iter()
                .map(|(k, v)| (format!("/v4/{k}"), *v))
                .collect(),
            routes,
            handlers: Table::all(),
            limits: b.limits.clone(),
            signer: Signer::new(b.sdkappid, SecretKey::new(key.to_owned())),
            sigs: Mutex::new(SigCache::default()),
            state: Mutex::new(state),
            callbacks: None,
        }
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Verify a UserSig's signature and SDKAppID (not its age).
    pub(crate) fn verify(&self, sig: &str) -> Result<SigInfo, SigError> {
        let cache = self.sigs.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(info) = cache.map.get(sig) {
            return Ok(info.clone());
        }
        drop(cache);
        let info = self.signer.verify_signature(sig)?;
        let mut cache = self.sigs.lock().unwrap_or_else(|p| p.into_inner());
        if cache.map.len() >= SIG_CACHE
            && let Some(old) = cache.order.pop_front()
        {
            cache.map.remove(&old);
        }
        cache.order.push_back(sig.to_owned());
        cache.map.insert(sig.to_owned(), info.clone());
        Ok(info)
    }

    /// How many UserSigs are cached (for tests of the bound).
    pub(crate) fn cached_sigs(&self) -> usize {
        self.sigs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .map
            .len()
    }
}
