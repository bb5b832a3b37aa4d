//! What the emulator remembers. The core (accounts, groups, messages, dedup,
//! rate limiters, faults, stats) is here; each family of handlers keeps its
//! own part (`handlers::sns::SnsState`, ...), reached through [`State`].

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::handlers;
use super::{Fault, FaultPlan, Stats};
use crate::limiter::Gcra;
use crate::types::{
    ApplyJoinOption, GroupMsgFlag, GroupRole, GroupType, InviteJoinOption, MsgElement,
};

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
    /// The message body as delivered (after any callback rewrite).
    pub msg_body: Vec<MsgElement>,
    /// `CloudCustomData`, when sent.
    pub cloud_custom_data: Option<String>,
    /// `Random` or `MsgRandom`.
    pub random: u32,
    /// `MsgSeq` (per group for group messages).
    pub msg_seq: u64,
    /// Unix seconds.
    pub msg_time: i64,
    /// The one-to-one message key (`MsgKey`), for one-to-one messages.
    pub msg_key: Option<String>,
}

/// An imported account.
#[derive(Debug, Clone, Default)]
pub(crate) struct Account {
    /// Profile fields by tag (`Tag_Profile_IM_Nick` ...), as JSON values.
    pub profile: BTreeMap<String, Value>,
}

/// A member of a group.
#[derive(Debug, Clone)]
pub(crate) struct Member {
    pub role: GroupRole,
    pub join_time: i64,
    /// Muted until this Unix second (0: not muted).
    pub muted_until: i64,
    pub name_card: String,
    pub msg_flag: GroupMsgFlag,
    /// App-defined member fields.
    pub app_data: BTreeMap<String, String>,
    /// The sequence of the last message this member read.
    pub last_read_seq: u64,
    /// AVChatRoom marks (`modify_user_info`); gone when the member leaves.
    pub marks: Vec<u32>,
}

impl Member {
    pub(crate) fn new(role: GroupRole, join_time: i64) -> Self {
        Self {
            role,
            join_time,
            muted_until: 0,
            name_card: String::new(),
            msg_flag: GroupMsgFlag::AcceptAndNotify,
            app_data: BTreeMap::new(),
            last_read_seq: 0,
            marks: Vec::new(),
        }
    }
}

/// A message stored in a group's history.
#[derive(Debug, Clone)]
pub(crate) struct GroupMessage {
    pub delivered: Delivered,
    /// Recalled (`IsPlaceMsg`/recall flag in history pulls).
    pub recalled: bool,
    pub system: bool,
}

/// A group and everything the group endpoints read and write.
#[derive(Debug)]
pub(crate) struct Group {
    pub ty: GroupType,
    pub owner: Option<String>,
    pub name: String,
    pub introduction: String,
    pub notification: String,
    pub face_url: String,
    pub apply_join_option: ApplyJoinOption,
    pub invite_join_option: Option<InviteJoinOption>,
    pub max_member_num: u32,
    pub mute_all: bool,
    pub created: i64,
    /// Bumped on every base-info change (`InfoSeq`).
    pub info_seq: u64,
    pub last_info_time: i64,
    pub app_data: BTreeMap<String, String>,
    /// Members by account, in join order kept by `order`.
    pub members: BTreeMap<String, Member>,
    pub order: Vec<String>,
    pub next_seq: u64,
    pub history: Vec<GroupMessage>,
    /// Group attributes (`key` -> `value`).
    pub attributes: BTreeMap<String, String>,
    /// Group counters.
    pub counters: BTreeMap<String, i64>,
    /// Banned accounts (AVChatRoom/Community): account -> until (Unix seconds).
    pub banned: BTreeMap<String, i64>,
    /// AVChatRoom admins.
    pub av_admins: Vec<String>,
    pub limiter: Option<Gcra>,
    /// The group's Community topics by ID (their own histories and info).
    pub topics: BTreeMap<String, Topic>,
    /// Community groups: whether topics are enabled (`SupportTopic`).
    pub support_topic: bool,
    /// Mute ends by account (Unix seconds), kept apart from the members so
    /// that a mute outlives leaving and rejoining.
    pub mutes: BTreeMap<String, i64>,
    /// The shared per-group pace of attribute writes (made on first use).
    pub attr_writes: Option<Gcra>,
}

/// A topic of a Community group.
#[derive(Debug, Clone)]
pub(crate) struct Topic {
    pub name: String,
    pub face_url: String,
    pub notification: String,
    pub introduction: String,
    pub custom_string: String,
    /// Unix seconds.
    pub created: i64,
    pub mute_all: bool,
    /// Mute ends in this topic by account (Unix seconds).
    pub mutes: BTreeMap<String, i64>,
    pub next_seq: u64,
    pub history: Vec<GroupMessage>,
    /// The last message each member read in this topic.
    pub read_seq: BTreeMap<String, u64>,
}

impl Topic {
    pub(crate) fn new(name: String, created: i64) -> Self {
        Self {
            name,
            face_url: String::new(),
            notification: String::new(),
            introduction: String::new(),
            custom_string: String::new(),
            created,
            mute_all: false,
            mutes: BTreeMap::new(),
            next_seq: 1,
            history: Vec::new(),
            read_seq: BTreeMap::new(),
        }
    }
}

impl Group {
    pub(crate) fn new(ty: GroupType, created: i64, limiter: Option<Gcra>) -> Self {
        Self {
            ty,
            owner: None,
            name: String::new(),
            introduction: String::new(),
            notification: String::new(),
            face_url: String::new(),
            apply_join_option: ApplyJoinOption::NeedPermission,
            invite_join_option: None,
            max_member_num: 0,
            mute_all: false,
            created,
            info_seq: 1,
            last_info_time: created,
            app_data: BTreeMap::new(),
            members: BTreeMap::new(),
            order: Vec::new(),
            next_seq: 1,
            history: Vec::new(),
            attributes: BTreeMap::new(),
            counters: BTreeMap::new(),
            banned: BTreeMap::new(),
            av_admins: Vec::new(),
            limiter,
            topics: BTreeMap::new(),
            support_topic: false,
            mutes: BTreeMap::new(),
            attr_writes: None,
        }
    }

    /// Add a member (no-op if already there).
    pub(crate) fn join(&mut self, account: &str, role: GroupRole, now: i64) -> bool {
        if self.members.contains_key(account) {
            return false;
        }
        self.members
            .insert(account.to_owned(), Member::new(role, now));
        self.order.push(account.to_owned());
        true
    }

    /// Remove a member; returns whether it was one.
    pub(crate) fn leave(&mut self, account: &str) -> bool {
        if self.members.remove(account).is_none() {
            return false;
        }
        self.order.retain(|a| a != account);
        if self.owner.as_deref() == Some(account) {
            self.owner = None;
        }
        true
    }

    /// Members in join order.
    pub(crate) fn member_ids(&self) -> impl Iterator<Item = &String> {
        self.order.iter()
    }
}

/// Everything the emulator remembers.
pub(crate) struct State {
    pub accounts: BTreeMap<String, Account>,
    pub groups: BTreeMap<String, Group>,
    /// Every message each account received, in order (inspection).
    pub inbox: HashMap<String, Vec<Delivered>>,
    pub broadcasts: Vec<Delivered>,
    pub broadcast_enabled: bool,
    pub broadcast_seq: u64,
    pub c2c_seq: u64,
    /// The counter behind generated group IDs (`@TGS#...`).
    pub group_counter: u64,
    pub stats: Stats,
    pub faults: VecDeque<(Option<String>, Fault)>,
    plan: Option<(FaultPlan, u64)>,
    limiters: HashMap<&'static str, Gcra>,
    dedup: HashMap<u64, (Instant, Value)>,
    dedup_window: Duration,
    pub per_group_rate: Option<u32>,
    /// The families' own state.
    pub families: handlers::FamilyState,
}

impl State {
    pub(crate) fn new(dedup_window: Duration) -> Self {
        Self {
            accounts: BTreeMap::new(),
            groups: BTreeMap::new(),
            inbox: HashMap::new(),
            broadcasts: Vec::new(),
            broadcast_enabled: false,
            broadcast_seq: 0,
            c2c_seq: 0,
            group_counter: 0,
            stats: Stats::default(),
            faults: VecDeque::new(),
            plan: None,
            limiters: HashMap::new(),
            dedup: HashMap::new(),
            dedup_window,
            per_group_rate: None,
            families: handlers::FamilyState::default(),
        }
    }

    /// Import an account (no-op when it exists).
    pub(crate) fn import(&mut self, id: &str, _now: i64) {
        self.accounts
            .entry(id.to_owned())
            .or_insert_with(|| Account {
                profile: BTreeMap::new(),
            });
    }

    pub(crate) fn has_account(&self, id: &str) -> bool {
        self.accounts.contains_key(id)
    }

    /// Create a group with its members (the first is the owner of a
    /// non-AVChatRoom group when `owner` is unset).
    pub(crate) fn add_group(
        &mut self,
        id: String,
        ty: GroupType,
        owner: Option<String>,
        members: Vec<String>,
        now: i64,
    ) {
        for m in owner.iter().chain(&members) {
            self.import(m, now);
        }
        let limiter = self.per_group_rate.map(|r| Gcra::new(f64::from(r), r));
        let mut g = Group::new(ty, now, limiter);
        if let Some(o) = &owner {
            g.owner = Some(o.clone());
            g.join(o, GroupRole::Owner, now);
        }
        for m in &members {
            g.join(m, GroupRole::Member, now);
        }
        self.groups.insert(id, g);
    }

    /// A fresh group ID that no group has (explicit IDs included).
    pub(crate) fn new_group_id(&mut self) -> String {
        loop {
            self.group_counter += 1;
            let id = format!(
                "@TGS#{}EMU{:X}",
                self.group_counter,
                self.group_counter * 7919
            );
            if !self.groups.contains_key(&id) {
                return id;
            }
        }
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
