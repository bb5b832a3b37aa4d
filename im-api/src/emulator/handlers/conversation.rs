//! Conversations (`recentcontact`): lists, deletion, contact groups and marks.
//! Sends and imports keep the lists current through [`ConversationState::touch_c2c`]
//! and [`ConversationState::touch_group`].

use std::collections::{BTreeMap, HashMap};

use super::Table;

/// One conversation of one account.
#[derive(Debug, Clone, Default)]
pub(crate) struct Session {
    /// Unix seconds of the last message.
    pub msg_time: i64,
    /// Pinned.
    pub top: bool,
}

/// Conversation peers: an account (one-to-one) or a group.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Peer {
    C2c(String),
    Group(String),
}

#[derive(Debug, Default)]
pub(crate) struct ConversationState {
    /// owner -> peer -> session.
    pub sessions: HashMap<String, BTreeMap<Peer, Session>>,
}

impl ConversationState {
    pub(crate) fn forget(&mut self, account: &str) {
        self.sessions.remove(account);
        for s in self.sessions.values_mut() {
            s.remove(&Peer::C2c(account.to_owned()));
        }
    }

    /// A one-to-one message between `owner` and `peer` at `time`.
    pub(crate) fn touch_c2c(&mut self, owner: &str, peer: &str, time: i64) {
        let s = self
            .sessions
            .entry(owner.to_owned())
            .or_default()
            .entry(Peer::C2c(peer.to_owned()))
            .or_default();
        s.msg_time = s.msg_time.max(time);
    }

    /// A group message in `group` seen by `member` at `time`.
    pub(crate) fn touch_group(&mut self, member: &str, group: &str, time: i64) {
        let s = self
            .sessions
            .entry(member.to_owned())
            .or_default()
            .entry(Peer::Group(group.to_owned()))
            .or_default();
        s.msg_time = s.msg_time.max(time);
    }
}

pub(super) fn register(_t: &mut Table) {}
