//! Relationships (`sns`): friends, blocklist and friend lists.

use super::Table;

#[derive(Debug, Default)]
pub(crate) struct SnsState {}

impl SnsState {
    pub(crate) fn forget(&mut self, _account: &str) {}
}

pub(super) fn register(_t: &mut Table) {}
