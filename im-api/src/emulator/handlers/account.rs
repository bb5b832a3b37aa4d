//! Accounts: import (one and many), check, delete, kick, online status.

use super::{Ctx, Table};
use crate::EndpointError as _;
use crate::PublicError;
use crate::api::{
    account_check, account_delete, account_import, kick, multiaccount_import, query_online_status,
};
use crate::emulator::reply::{Reply, ok, ok_empty};
use crate::types::{AccountCheckResult, AccountError, OnlineStatus, OnlineStatusResult};

pub(super) fn register(t: &mut Table) {
    t.add(import);
    t.add(import_many);
    t.add(check);
    t.add(delete);
    t.add(kick);
    t.add(online_status);
}

fn import(cx: &mut Ctx<'_>, r: account_import::Request) -> Reply {
    cx.st.import(&r.user_id, cx.unix);
    let profile = &mut cx
        .st
        .accounts
        .get_mut(&r.user_id)
        .expect("just imported")
        .profile;
    if let Some(nick) = r.nick {
        profile.insert("Tag_Profile_IM_Nick".into(), nick.into());
    }
    if let Some(url) = r.face_url {
        profile.insert("Tag_Profile_IM_Image".into(), url.into());
    }
    ok_empty()
}

fn import_many(cx: &mut Ctx<'_>, r: multiaccount_import::Request) -> Reply {
    for id in &r.accounts {
        cx.st.import(id, cx.unix);
    }
    for a in r.account_list {
        cx.st.import(&a.user_id, cx.unix);
        let profile = &mut cx
            .st
            .accounts
            .get_mut(&a.user_id)
            .expect("just imported")
            .profile;
        if let Some(nick) = a.nick {
            profile.insert("Tag_Profile_IM_Nick".into(), nick.into());
        }
        if let Some(url) = a.face_url {
            profile.insert("Tag_Profile_IM_Image".into(), url.into());
        }
    }
    ok(&multiaccount_import::Response {
        fail_accounts: Vec::new(),
    })
}

fn check(cx: &mut Ctx<'_>, r: account_check::Request) -> Reply {
    let result_item = r
        .check_item
        .into_iter()
        .map(|c| {
            let status = if cx.st.has_account(&c.user_id) {
                "Imported"
            } else {
                "NotImported"
            };
            AccountCheckResult {
                user_id: c.user_id,
                result_code: 0,
                result_info: Some(String::new()),
                account_status: Some(status.into()),
            }
        })
        .collect();
    ok(&account_check::Response { result_item })
}

/// Deleting an account takes it out of every group and every family's state.
fn delete(cx: &mut Ctx<'_>, r: account_delete::Request) -> Reply {
    let not_found = PublicError::AccountNotImported.code();
    let result_item = r
        .delete_item
        .into_iter()
        .map(|c| {
            let code = if cx.st.accounts.remove(&c.user_id).is_some() {
                for g in cx.st.groups.values_mut() {
                    g.leave(&c.user_id);
                }
                cx.st.families.forget(&c.user_id);
                0
            } else {
                not_found
            };
            AccountCheckResult {
                user_id: c.user_id,
                result_code: code,
                result_info: Some(String::new()),
                account_status: None,
            }
        })
        .collect();
    ok(&account_delete::Response { result_item })
}

fn kick(cx: &mut Ctx<'_>, r: kick::Request) -> Reply {
    if !cx.st.has_account(&r.user_id) {
        return crate::emulator::reply::fail(
            PublicError::AccountNotImported.code(),
            format!("{} is not imported", r.user_id),
        );
    }
    // No sessions are emulated: the user is offline afterwards either way.
    ok_empty()
}

/// Every imported account is offline (the emulator has no client sessions);
/// unknown accounts are listed in `ErrorList`.
fn online_status(cx: &mut Ctx<'_>, r: query_online_status::Request) -> Reply {
    let mut query_result = Vec::new();
    let mut error_list = Vec::new();
    for id in r.to_account {
        if cx.st.has_account(&id) {
            query_result.push(OnlineStatusResult {
                to_account: id,
                status: Some(OnlineStatus::Offline),
                state: None,
                detail: Vec::new(),
            });
        } else {
            error_list.push(AccountError {
                to_account: id,
                error_code: PublicError::AccountNotImported.code(),
                error_info: None,
            });
        }
    }
    ok(&query_online_status::Response {
        query_result,
        error_list,
    })
}
