//! The admin UserSig the client sends: either fixed, or signed from the
//! secret key, cached, and renewed before expiry by exactly one caller even
//! when many requests find it stale at once.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use crate::usersig::{Signer, unix_now};

pub(crate) enum Auth {
    /// A UserSig supplied by the caller, sent verbatim and never renewed.
    Fixed(Arc<str>),
    /// Signed from the secret key and cached.
    Signed(SigCache),
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Fixed(_) => f.write_str("Fixed(<redacted usersig>)"),
            Self::Signed(c) => f
                .debug_struct("Signed")
                .field("ttl_secs", &c.ttl)
                .field("renew_margin_secs", &c.margin)
                .finish_non_exhaustive(),
        }
    }
}

impl Auth {
    /// The usersig to send now.
    pub(crate) fn current(&self) -> Arc<str> {
        match self {
            Self::Fixed(s) => s.clone(),
            Self::Signed(c) => c.get(unix_now()),
        }
    }

    /// The server refused `used` as expired or invalid: drop it so the next
    /// call signs afresh. Returns whether a retry can send a different sig.
    pub(crate) fn refused(&self, used: &Arc<str>) -> bool {
        match self {
            Self::Fixed(_) => false,
            Self::Signed(c) => {
                c.invalidate(used);
                true
            }
        }
    }
}

struct Cached {
    sig: Arc<str>,
    /// Unix seconds after which the sig is renewed.
    renew_at: u64,
}

pub(crate) struct SigCache {
    signer: Signer,
    identifier: String,
    ttl: u64,
    margin: u64,
    cached: RwLock<Option<Cached>>,
    renewing: Mutex<()>,
    signs: AtomicU64,
}

impl SigCache {
    pub(crate) fn new(signer: Signer, identifier: String, ttl: u64, margin: u64) -> Self {
        Self {
            signer,
            identifier,
            ttl,
            margin: margin.min(ttl / 2),
            cached: RwLock::new(None),
            renewing: Mutex::new(()),
            signs: AtomicU64::new(0),
        }
    }

    fn fresh(&self, now: u64) -> Option<Arc<str>> {
        let guard = self.cached.read().unwrap_or_else(|p| p.into_inner());
        guard
            .as_ref()
            .filter(|c| now < c.renew_at)
            .map(|c| c.sig.clone())
    }

    pub(crate) fn get(&self, now: u64) -> Arc<str> {
        if let Some(sig) = self.fresh(now) {
            return sig;
        }
        // One renewer at a time; the others wait, then find the new sig.
        let _renewing = self.renewing.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(sig) = self.fresh(now) {
            return sig;
        }
        let sig: Arc<str> = self.signer.sign_at(&self.identifier, self.ttl, now).into();
        self.signs.fetch_add(1, Ordering::Relaxed);
        let renew_at = now + self.ttl - self.margin;
        *self.cached.write().unwrap_or_else(|p| p.into_inner()) = Some(Cached {
            sig: sig.clone(),
            renew_at,
        });
        sig
    }

    /// Forget `used` if it is still the cached sig (a concurrent caller may
    /// already have replaced it; then nothing changes).
    pub(crate) fn invalidate(&self, used: &Arc<str>) {
        let mut guard = self.cached.write().unwrap_or_else(|p| p.into_inner());
        if guard.as_ref().is_some_and(|c| Arc::ptr_eq(&c.sig, used)) {
            *guard = None;
        }
    }

    pub(crate) fn sign_count(&self) -> u64 {
        self.signs.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usersig::SecretKey;

    fn cache() -> SigCache {
        SigCache::new(
            Signer::new(1400000000, SecretKey::new("k")),
            "admin".into(),
            3600,
            300,
        )
    }

    #[test]
    fn renews_before_expiry_only() {
        let c = cache();
        let a = c.get(1000);
        assert_eq!(c.get(1000 + 3299), a);
        assert_eq!(c.sign_count(), 1);
        let b = c.get(1000 + 3300);
        assert_ne!(a, b);
        assert_eq!(c.sign_count(), 2);
    }

    #[test]
    fn one_renewal_under_concurrency() {
        let c = Arc::new(cache());
        let threads: Vec<_> = (0..32)
            .map(|_| {
                let c = c.clone();
                std::thread::spawn(move || c.get(5000))
            })
            .collect();
        let sigs: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        assert!(sigs.windows(2).all(|w| w[0] == w[1]));
        assert_eq!(c.sign_count(), 1);
    }

    #[test]
    fn invalidate_only_the_refused_sig() {
        let c = cache();
        let a = c.get(1000);
        c.invalidate(&a);
        let b = c.get(1001);
        assert_eq!(c.sign_count(), 2);
        c.invalidate(&a); // stale report: keeps b
        assert!(Arc::ptr_eq(&c.get(1002), &b));
        assert_eq!(c.sign_count(), 2);
    }
}
