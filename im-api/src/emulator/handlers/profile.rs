//! Profiles: portrait_set and portrait_get (profile fields live on the account, `State::accounts`).

use super::Table;

#[derive(Debug, Default)]
pub(crate) struct ProfileState {}

impl ProfileState {
    pub(crate) fn forget(&mut self, _account: &str) {}
}

pub(super) fn register(_t: &mut Table) {}
