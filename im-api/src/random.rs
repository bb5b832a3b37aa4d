//! Fresh u32 values for the `random` query parameter and for `Random` /
//! `MsgRandom` in bodies: SipHash of a counter under a per-process random key.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

static KEYS: OnceLock<RandomState> = OnceLock::new();
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A uniformly distributed u32, different on each call.
pub fn random_u32() -> u32 {
    let mut h = KEYS.get_or_init(RandomState::new).build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    let x = h.finish();
    (x ^ (x >> 32)) as u32
}

#[cfg(test)]
mod tests {
    #[test]
    fn values_differ_and_spread() {
        let v: Vec<u32> = (0..1000).map(|_| super::random_u32()).collect();
        let mut d = v.clone();
        d.sort_unstable();
        d.dedup();
        assert!(d.len() > 990);
        assert!(v.iter().any(|x| *x > u32::MAX / 2));
        assert!(v.iter().any(|x| *x < u32::MAX / 2));
    }
}
