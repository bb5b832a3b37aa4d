//! Group extras: online counts, AVChatRoom members and admins, attributes, bans, counters and topics.

use super::Table;

#[derive(Debug, Default)]
pub(crate) struct GroupMoreState {}

impl GroupMoreState {
    pub(crate) fn forget(&mut self, _account: &str) {}
}

pub(super) fn register(_t: &mut Table) {}
