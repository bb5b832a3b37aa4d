//! Chatbot accounts (`openim_robot_http_svc`). A chatbot is an account too:
//! creating one imports its UserID (with the nickname, avatar and status
//! given as profile fields), so it can send and receive like any account.
//! Deleting one only makes it stop being a chatbot: the pages say the UserID
//! itself is not deleted.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{Ctx, Table};
use crate::api::{create_robot, delete_robot, get_all_robots};
use crate::emulator::reply::{Reply, fail_with, ok, ok_empty};
use crate::types::ProfileItem;

/// The prefix every chatbot UserID has.
const ROBOT_PREFIX: &str = "@RBT#";
/// Chatbots one app may have.
const MAX_ROBOTS: usize = 20;

#[derive(Debug, Default)]
pub(crate) struct RobotState {
    robots: BTreeSet<String>,
}

impl RobotState {
    pub(crate) fn forget(&mut self, account: &str) {
        self.robots.remove(account);
    }
}

pub(super) fn register(t: &mut Table) {
    t.add(create);
    t.add(delete);
    t.add(list);
}

/// Idempotent: creating an existing chatbot again changes nothing but the
/// profile fields given.
fn create(cx: &mut Ctx<'_>, r: create_robot::Request) -> Reply {
    type E = create_robot::Error;
    if !r.user_id.starts_with(ROBOT_PREFIX) {
        return fail_with(
            E::InvalidParameter,
            format!("a chatbot UserID starts with {ROBOT_PREFIX}"),
        );
    }
    let robots = &mut cx.st.families.robot.robots;
    if !robots.contains(&r.user_id) && robots.len() >= MAX_ROBOTS {
        return fail_with(
            E::InvalidRequest,
            format!("the app already has {MAX_ROBOTS} chatbots"),
        );
    }
    robots.insert(r.user_id.clone());
    let unix = cx.unix;
    cx.st.import(&r.user_id, unix);
    let fields = [
        (ProfileItem::Nick(String::new()), r.nick),
        (ProfileItem::Image(String::new()), r.face_url),
        (ProfileItem::SelfSignature(String::new()), r.self_signature),
    ];
    if let Some(account) = cx.st.accounts.get_mut(&r.user_id) {
        for (item, value) in fields {
            if let Some(v) = value {
                account
                    .profile
                    .insert(item.tag().to_owned(), Value::String(v));
            }
        }
    }
    ok_empty()
}

fn delete(cx: &mut Ctx<'_>, r: delete_robot::Request) -> Reply {
    type E = delete_robot::Error;
    if !r.robot_account.starts_with(ROBOT_PREFIX) {
        return fail_with(
            E::InvalidParameter,
            format!("a chatbot UserID starts with {ROBOT_PREFIX}"),
        );
    }
    if !cx.st.families.robot.robots.remove(&r.robot_account) {
        return fail_with(
            E::InvalidParameter,
            format!("{} is not a chatbot", r.robot_account),
        );
    }
    ok_empty()
}

fn list(cx: &mut Ctx<'_>, _r: get_all_robots::Request) -> Reply {
    ok(&get_all_robots::Response {
        robot_account: cx.st.families.robot.robots.iter().cloned().collect(),
    })
}
