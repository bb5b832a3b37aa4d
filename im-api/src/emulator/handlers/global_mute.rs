//! Global mutes (`openconfigsvr/setnospeaking`, `getnospeaking`): per
//! account, one end time for one-to-one sends and one for group sends.
//! send_group_msg refuses a sender whose group mute runs ([`group_muted`],
//! 10017 as the pages say) and sendmsg one whose one-to-one mute runs
//! ([`c2c_muted`], 20012); batchsendmsg does not check mutes (its page).

use std::collections::HashMap;

use super::{Ctx, Table};
use crate::api::{getnospeaking, setnospeaking};
use crate::emulator::reply::{Reply, fail_with, ok, ok_empty};
use crate::emulator::state::State;

/// The duration that mutes for ever (and what a permanent mute reads back as).
const PERMANENT: u32 = u32::MAX;

/// When an account's mutes end, in Unix seconds (0: not muted; `i64::MAX`: never).
#[derive(Debug, Default, Clone, Copy)]
struct Mute {
    c2c_until: i64,
    group_until: i64,
}

#[derive(Debug, Default)]
pub(crate) struct GlobalMuteState {
    mutes: HashMap<String, Mute>,
}

impl GlobalMuteState {
    pub(crate) fn forget(&mut self, account: &str) {
        self.mutes.remove(account);
    }
}

/// Whether `account`'s global one-to-one mute runs at `now`.
pub(crate) fn c2c_muted(st: &State, account: &str, now: i64) -> bool {
    st.families
        .global_mute
        .mutes
        .get(account)
        .is_some_and(|m| m.c2c_until > now)
}

/// Whether `account`'s global group mute runs at `now`.
pub(crate) fn group_muted(st: &State, account: &str, now: i64) -> bool {
    st.families
        .global_mute
        .mutes
        .get(account)
        .is_some_and(|m| m.group_until > now)
}

pub(super) fn register(t: &mut Table) {
    t.add(set);
    t.add(get);
}

/// The end of a mute of `secs` seconds set at `now`.
fn until(now: i64, secs: u32) -> i64 {
    match secs {
        0 => 0,
        PERMANENT => i64::MAX,
        s => now + i64::from(s),
    }
}

/// The seconds a mute ending at `until` still runs at `now`.
fn remaining(now: i64, until: i64) -> u32 {
    if until == i64::MAX {
        return PERMANENT;
    }
    u32::try_from((until - now).max(0)).unwrap_or(PERMANENT - 1)
}

/// Only the durations given change. The pages define no code for an
/// account that was never imported; it is refused as an invalid `Set_Account`.
fn set(cx: &mut Ctx<'_>, r: setnospeaking::Request) -> Reply {
    type E = setnospeaking::Error;
    if r.c2c_msg_nospeaking_time.is_none() && r.group_msg_nospeaking_time.is_none() {
        return fail_with(
            E::NoMuteDuration,
            "give C2CmsgNospeakingTime, GroupmsgNospeakingTime or both",
        );
    }
    if !cx.st.has_account(&r.set_account) {
        return fail_with(
            E::SetAccountInvalid,
            format!("{} is not imported", r.set_account),
        );
    }
    let now = cx.unix;
    let m = cx
        .st
        .families
        .global_mute
        .mutes
        .entry(r.set_account)
        .or_default();
    if let Some(secs) = r.c2c_msg_nospeaking_time {
        m.c2c_until = until(now, secs);
    }
    if let Some(secs) = r.group_msg_nospeaking_time {
        m.group_until = until(now, secs);
    }
    ok_empty()
}

fn get(cx: &mut Ctx<'_>, r: getnospeaking::Request) -> Reply {
    if !cx.st.has_account(&r.get_account) {
        return fail_with(
            getnospeaking::Error::GetAccountInvalid,
            format!("{} is not imported", r.get_account),
        );
    }
    let now = cx.unix;
    let m = cx
        .st
        .families
        .global_mute
        .mutes
        .get(&r.get_account)
        .copied()
        .unwrap_or_default();
    ok(&getnospeaking::Response {
        c2c_msg_nospeaking_time: remaining(now, m.c2c_until),
        group_msg_nospeaking_time: remaining(now, m.group_until),
    })
}
