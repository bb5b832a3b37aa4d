//! What the emulator remembers: accounts, groups, a per-recipient ledger,
//! dedup keys, rate limiters, counters and queued faults.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{Fault, FaultPlan, Stats};
use crate::limiter::Gcra;
use crate::types::{GroupType, MsgElement};

/// One message as a recipient (or a group) got it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Delivered {
    /// `service/command` it was sent with.
    pub endpoint: &'static str,
    /// The sender.
    pub from: String,
    /// The group, for group messages and broadcasts.
    pub group_id: Option<String>,
    pub msg_body: Vec<MsgElement>,
    pub cloud_custom_data: Option<String>,
    /// `Random` or `MsgRandom`.
    pub random: u32,
    /// `MsgSeq` (per group for group messages).
    pub msg_seq: u64,
    /// Unix seconds.
    pub msg_time: i64,
}

pub(crate) struct Group {
    pub ty: GroupType,
    pub members: Vec<String>,
    pub next_seq: u64,
    pub log: Vec<Delivered>,
    pub limiter: Option<Gcra>,
}

pub(crate) struct State {
    pub accounts: HashSet<String>,
    pub groups: HashMap<String, Group>,
    pub inbox: HashMap<String, Vec<Delivered>>,
    pub broadcasts: Vec<Delivered>,
    pub broadcast_enabled: bool,
    pub broadcast_seq: u64,
    pub c2c_seq: u64,
    pub stats: Stats,
    pub faults: VecDeque<(Option<String>, Fault)>,
    plan: Option<(FaultPlan, u64)>,
    limiters: HashMap<&'static str, Gcra>,
    dedup: HashMap<u64, (Instant, Value)>,
    dedup_window: Duration,
    pub per_group_rate: Option<u32>,
}

impl State {
    pub(crate) fn new(dedup_window: Duration) -> Self {
        Self {
            accounts: HashSet::new(),
            groups: HashMap::new(),
            inbox: HashMap::new(),
            broadcasts: Vec::new(),
            broadcast_enabled: false,
            broadcast_seq: 0,
            c2c_seq: 0,
            stats: Stats::default(),
            faults: VecDeque::new(),
            plan: None,
            limiters: HashMap::new(),
            dedup: HashMap::new(),
            dedup_window,
            per_group_rate: None,
        }
    }

    pub(crate) fn add_group(&mut self, id: String, ty: GroupType, members: Vec<String>) {
        for m in &members {
            self.accounts.insert(m.clone());
        }
        let limiter = self.per_group_rate.map(|r| Gcra::new(f64::from(r), r));
        self.groups.insert(
            id,
            Group {
                ty,
                members,
                next_seq: 1,
                log: Vec::new(),
                limiter,
            },
        );
    }

    pub(crate) fn set_plan(&mut self, plan: Option<FaultPlan>) {
        self.plan = plan.map(|p| {
            let seed = p.seed | 1;
            (p, seed)
        });
    }

    /// The fault for a request to `path`, if any: queued ones first, then the plan.
    pub(crate) fn take_fault(&mut self, path: &str) -> Option<Fault> {
        if let Some(i) = self
            .faults
            .iter()
            .position(|(p, _)| p.as_deref().is_none_or(|p| p == path))
        {
            return self.faults.remove(i).map(|(_, f)| f);
        }
        let (plan, rng) = self.plan.as_mut()?;
        let draw = |rng: &mut u64| {
            // xorshift64*
            *rng ^= *rng >> 12;
            *rng ^= *rng << 25;
            *rng ^= *rng >> 27;
            rng.wrapping_mul(0x2545_F491_4F6C_DD1D)
        };
        let roll = (draw(rng) >> 11) as f64 / (1u64 << 53) as f64;
        if plan.faults.is_empty() || roll >= plan.probability {
            return None;
        }
        let pick = (draw(rng) % plan.faults.len() as u64) as usize;
        Some(plan.faults[pick].clone())
    }

    /// Whether a call to `path` fits its rate (`per_second`, bursts of one second).
    pub(crate) fn within_rate(
        &mut self,
        path: &'static str,
        per_second: u32,
        now: Instant,
    ) -> bool {
        self.limiters
            .entry(path)
            .or_insert_with(|| Gcra::new(f64::from(per_second), per_second))
            .try_acquire(now)
            .is_ok()
    }

    /// The answer already given to an identical send within the window.
    pub(crate) fn duplicate(&mut self, key: u64, now: Instant) -> Option<Value> {
        match self.dedup.get(&key) {
            Some((at, answer)) if now.duration_since(*at) < self.dedup_window => {
                self.stats.duplicates += 1;
                Some(answer.clone())
            }
            _ => None,
        }
    }

    pub(crate) fn remember(&mut self, key: u64, now: Instant, answer: Value) {
        if self.dedup.len() >= 100_000 {
            let window = self.dedup_window;
            self.dedup
                .retain(|_, (at, _)| now.duration_since(*at) < window);
        }
        self.dedup.insert(key, (now, answer));
    }

    pub(crate) fn deliver(&mut self, to: &str, d: &Delivered) {
        self.inbox.entry(to.to_owned()).or_default().push(d.clone());
    }
}
