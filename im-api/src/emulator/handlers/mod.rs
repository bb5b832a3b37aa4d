//! Endpoints with semantics, one module per family. Each module registers
//! typed handlers (`fn(&mut Ctx, Request) -> Reply`) in the [`Table`]; an
//! endpoint without one is checked like every other and then answered
//! "not emulated" (never a bare OK). Error codes come from the generated
//! enums and bodies from the generated `Response` types: no wire name or code
//! is written here.

mod account;
mod c2c;
mod conversation;
mod follow;
mod global_mute;
mod group;
mod group_more;
mod group_msg;
mod official_account;
mod profile;
mod push;
mod robot;
mod sns;
mod timpush;

pub use push::PushTask;

use std::any::Any;
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::Instant;

use serde_json::Value;

use super::reply::Reply;
use super::state::State;
use crate::Endpoint;

/// What a handler works with: the locked state, the caller, the clock.
pub(crate) struct Ctx<'a> {
    pub st: &'a mut State,
    /// The admin identifier of the request.
    pub caller: &'a str,
    pub now: Instant,
    /// Unix seconds now.
    pub unix: i64,
}

type Entry = Box<dyn Fn(&mut Ctx<'_>, Box<dyn Any + Send>) -> Reply + Send + Sync>;

/// The handlers by endpoint path (`/v4/service/command`).
#[derive(Default)]
pub(crate) struct Table(HashMap<&'static str, Entry>);

impl Table {
    /// Register the handler of request type `R`.
    pub(crate) fn add<R: Endpoint>(&mut self, handler: fn(&mut Ctx<'_>, R) -> Reply) {
        self.0.insert(
            R::META.path,
            Box::new(move |cx, parsed| match parsed.downcast::<R>() {
                Ok(r) => handler(cx, *r),
                Err(_) => unreachable!("the route of {} parses its own request type", R::META.path),
            }),
        );
    }

    /// Every family's handlers.
    pub(crate) fn all() -> Self {
        let mut t = Table::default();
        account::register(&mut t);
        profile::register(&mut t);
        sns::register(&mut t);
        c2c::register(&mut t);
        conversation::register(&mut t);
        group::register(&mut t);
        group_msg::register(&mut t);
        group_more::register(&mut t);
        follow::register(&mut t);
        global_mute::register(&mut t);
        push::register(&mut t);
        timpush::register(&mut t);
        robot::register(&mut t);
        official_account::register(&mut t);
        t
    }

    /// Whether `path` has a handler.
    pub(crate) fn handles(&self, path: &str) -> bool {
        self.0.contains_key(path)
    }

    /// Run the handler of `path`; `None` when the endpoint is not emulated.
    pub(crate) fn dispatch(
        &self,
        path: &str,
        cx: &mut Ctx<'_>,
        parsed: Box<dyn Any + Send>,
    ) -> Option<Reply> {
        self.0.get(path).map(|h| h(cx, parsed))
    }
}

/// Each family's own state, reached as `cx.st.families.<family>`.
#[derive(Default)]
pub(crate) struct FamilyState {
    pub profile: profile::ProfileState,
    pub sns: sns::SnsState,
    pub c2c: c2c::C2cState,
    pub conversation: conversation::ConversationState,
    pub group_more: group_more::GroupMoreState,
    pub follow: follow::FollowState,
    pub global_mute: global_mute::GlobalMuteState,
    pub push: push::PushState,
    pub robot: robot::RobotState,
    pub official_account: official_account::OfficialAccountState,
}

/// A JSON value of a serializable value (for dedup memory).
pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// A stable key for dedup: endpoint, sender, target, random and content.
pub(crate) fn key(parts: impl Hash) -> u64 {
    let mut h = DefaultHasher::new();
    parts.hash(&mut h);
    h.finish()
}

impl FamilyState {
    /// Drop everything the families keep about a deleted account.
    pub(crate) fn forget(&mut self, account: &str) {
        self.sns.forget(account);
        self.c2c.forget(account);
        self.conversation.forget(account);
        self.group_more.forget(account);
        self.profile.forget(account);
        self.follow.forget(account);
        self.global_mute.forget(account);
        self.push.forget(account);
        self.robot.forget(account);
        self.official_account.forget(account);
    }
}
