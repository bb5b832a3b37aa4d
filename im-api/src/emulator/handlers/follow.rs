//! Emulated `follow` endpoints.

use super::Table;

#[derive(Debug, Default)]
pub(crate) struct FollowState {}

impl FollowState {
    pub(crate) fn forget(&mut self, _account: &str) {}
}

pub(super) fn register(_t: &mut Table) {}
