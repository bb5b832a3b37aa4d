//! Follows (`follow/*`): who follows whom and since when. Lists are pulled
//! newest follow first, with the listed users' profiles.

use std::collections::{BTreeMap, HashMap};

use super::{Ctx, Table};
use crate::EndpointError as _;
use crate::api::{follow_add, follow_check, follow_delete, follow_get, follow_get_info};
use crate::emulator::reply::{Reply, fail_with, ok};
use crate::emulator::state::State;
use crate::types::{
    FollowCheckResult, FollowCount, FollowListItem, FollowListType, FollowRelation, ProfileItem,
    SnsResultItem,
};

/// Users one user may follow (32100 beyond).
const MAX_FOLLOWING: usize = 5000;
/// Entries per follow_get page when `WantNum` is 0.
const DEFAULT_WANT: u32 = 100;

#[derive(Debug, Default)]
pub(crate) struct FollowState {
    /// Follower -> followed -> since (Unix seconds).
    following: HashMap<String, BTreeMap<String, i64>>,
    /// Followed -> follower -> since.
    followers: HashMap<String, BTreeMap<String, i64>>,
}

impl FollowState {
    pub(crate) fn forget(&mut self, account: &str) {
        for map in [&mut self.following, &mut self.followers] {
            map.remove(account);
            for set in map.values_mut() {
                set.remove(account);
            }
        }
    }

    fn follows(&self, a: &str, b: &str) -> bool {
        self.following.get(a).is_some_and(|s| s.contains_key(b))
    }

    fn relation(&self, from: &str, to: &str) -> FollowRelation {
        match (self.follows(from, to), self.follows(to, from)) {
            (true, true) => FollowRelation::Mutual,
            (true, false) => FollowRelation::Following,
            (false, true) => FollowRelation::FollowedBy,
            (false, false) => FollowRelation::Neither,
        }
    }

    /// One of `who`'s lists with the follow times (a mutual follow dates
    /// from the later of the two follows).
    fn list(&self, who: &str, ty: &FollowListType) -> Vec<(String, i64)> {
        let empty = BTreeMap::new();
        let fans = self.followers.get(who).unwrap_or(&empty);
        let idols = self.following.get(who).unwrap_or(&empty);
        let mut entries: Vec<(String, i64)> = if *ty == FollowListType::Followers {
            fans.iter().map(|(a, t)| (a.clone(), *t)).collect()
        } else if *ty == FollowListType::Following {
            idols.iter().map(|(a, t)| (a.clone(), *t)).collect()
        } else {
            fans.iter()
                .filter_map(|(a, t)| idols.get(a).map(|u| (a.clone(), (*t).max(*u))))
                .collect()
        };
        entries.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        entries
    }
}

pub(super) fn register(t: &mut Table) {
    t.add(add);
    t.add(delete);
    t.add(get);
    t.add(check);
    t.add(info);
}

fn result(to: &str, code: i64) -> SnsResultItem {
    SnsResultItem {
        to_account: to.to_owned(),
        result_code: code,
        result_info: None,
    }
}

/// Each target gets its own code: 0 followed (also when it already was),
/// 30001 for oneself, 30003 when not imported, 32100 beyond 5,000 follows.
fn add(cx: &mut Ctx<'_>, r: follow_add::Request) -> Reply {
    type E = follow_add::Error;
    if !cx.st.has_account(&r.from_account) {
        return fail_with(
            E::RelationAccountNotImported,
            "From_Account is not imported",
        );
    }
    let known: Vec<bool> = r
        .follow_item
        .iter()
        .map(|i| cx.st.has_account(&i.to_account))
        .collect();
    let unix = cx.unix;
    let state = &mut cx.st.families.follow;
    let mut result_item = Vec::new();
    for (item, known) in r.follow_item.iter().zip(known) {
        let to = &item.to_account;
        let count = state.following.get(&r.from_account).map_or(0, |s| s.len());
        let code = if *to == r.from_account {
            E::RelationInvalidParameter.code()
        } else if !known {
            E::RelationAccountNotImported.code()
        } else if state.follows(&r.from_account, to) {
            0
        } else if count >= MAX_FOLLOWING {
            E::FollowingLimit.code()
        } else {
            state
                .following
                .entry(r.from_account.clone())
                .or_default()
                .insert(to.clone(), unix);
            state
                .followers
                .entry(to.clone())
                .or_default()
                .insert(r.from_account.clone(), unix);
            0
        };
        result_item.push(result(to, code));
    }
    ok(&follow_add::Response { result_item })
}

/// Unfollowing someone not followed is not an error (0).
fn delete(cx: &mut Ctx<'_>, r: follow_delete::Request) -> Reply {
    type E = follow_delete::Error;
    if !cx.st.has_account(&r.from_account) {
        return fail_with(
            E::RelationAccountNotImported,
            "From_Account is not imported",
        );
    }
    let known: Vec<bool> = r.to_account.iter().map(|a| cx.st.has_account(a)).collect();
    let state = &mut cx.st.families.follow;
    let mut result_item = Vec::new();
    for (to, known) in r.to_account.iter().zip(known) {
        if !known {
            result_item.push(result(to, E::RelationAccountNotImported.code()));
            continue;
        }
        if let Some(set) = state.following.get_mut(&r.from_account) {
            set.remove(to);
        }
        if let Some(set) = state.followers.get_mut(to) {
            set.remove(&r.from_account);
        }
        result_item.push(result(to, 0));
    }
    ok(&follow_delete::Response { result_item })
}

/// The profile of `account` as profile items (every field it has).
fn profile(st: &State, account: &str) -> Vec<ProfileItem> {
    st.accounts
        .get(account)
        .map(|a| {
            a.profile
                .iter()
                .map(|(tag, content)| ProfileItem::Unknown {
                    tag: tag.clone(),
                    content: content.clone(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Pages of `WantNum` (100 when 0), newest follow first. The cursor is the
/// position of the next entry; "" after the last page.
fn get(cx: &mut Ctx<'_>, r: follow_get::Request) -> Reply {
    type E = follow_get::Error;
    if !cx.st.has_account(&r.from_account) {
        return fail_with(
            E::RelationAccountNotImported,
            "From_Account is not imported",
        );
    }
    let known = [
        FollowListType::Followers,
        FollowListType::Following,
        FollowListType::Mutual,
    ];
    if !known.contains(&r.follow_type) {
        return fail_with(E::RelationInvalidParameter, "FollowType must be 1, 2 or 3");
    }
    let Ok(start) = (if r.start_cursor.is_empty() {
        Ok(0)
    } else {
        r.start_cursor.parse::<usize>()
    }) else {
        return fail_with(
            E::RelationInvalidParameter,
            "StartCursor is not one this server gave",
        );
    };
    let want = (if r.want_num == 0 {
        DEFAULT_WANT
    } else {
        r.want_num
    }) as usize;
    let st: &State = cx.st;
    let entries = st.families.follow.list(&r.from_account, &r.follow_type);
    let follow_item: Vec<FollowListItem> = entries
        .iter()
        .skip(start)
        .take(want)
        .map(|(account, since)| FollowListItem {
            to_account: account.clone(),
            follow_time: Some(*since),
            profile_item: profile(st, account),
            profile_sequence: None,
        })
        .collect();
    let next = start + follow_item.len();
    let next_cursor = if next >= entries.len() {
        String::new()
    } else {
        next.to_string()
    };
    ok(&follow_get::Response {
        follow_item,
        next_cursor: Some(next_cursor),
    })
}

fn check(cx: &mut Ctx<'_>, r: follow_check::Request) -> Reply {
    type E = follow_check::Error;
    if !cx.st.has_account(&r.from_account) {
        return fail_with(
            E::RelationAccountNotImported,
            "From_Account is not imported",
        );
    }
    let state = &cx.st.families.follow;
    let result_item = r
        .to_account
        .iter()
        .map(|to| {
            let known = cx.st.has_account(to);
            FollowCheckResult {
                to_account: to.clone(),
                result_code: if known {
                    0
                } else {
                    E::RelationAccountNotImported.code()
                },
                result_info: None,
                follow_type: known.then(|| state.relation(&r.from_account, to)),
            }
        })
        .collect();
    ok(&follow_check::Response { result_item })
}

fn info(cx: &mut Ctx<'_>, r: follow_get_info::Request) -> Reply {
    type E = follow_get_info::Error;
    if !cx.st.has_account(&r.from_account) {
        return fail_with(
            E::RelationAccountNotImported,
            "From_Account is not imported",
        );
    }
    let state = &cx.st.families.follow;
    let count = |who: &str, ty: FollowListType| state.list(who, &ty).len() as u32;
    let follow_info = r
        .to_account
        .iter()
        .map(|to| {
            if !cx.st.has_account(to) {
                return FollowCount {
                    to_account: to.clone(),
                    result_code: E::RelationAccountNotImported.code(),
                    result_info: None,
                    follower_count: None,
                    following_count: None,
                    mutual_following_count: None,
                };
            }
            FollowCount {
                to_account: to.clone(),
                result_code: 0,
                result_info: None,
                follower_count: Some(count(to, FollowListType::Followers)),
                following_count: Some(count(to, FollowListType::Following)),
                mutual_following_count: Some(count(to, FollowListType::Mutual)),
            }
        })
        .collect();
    ok(&follow_get_info::Response { follow_info })
}
