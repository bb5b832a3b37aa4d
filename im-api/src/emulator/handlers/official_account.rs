//! Emulated `official_account` endpoints.

use super::Table;

#[derive(Debug, Default)]
pub(crate) struct OfficialAccountState {}

impl OfficialAccountState {
    pub(crate) fn forget(&mut self, _account: &str) {}
}

pub(super) fn register(_t: &mut Table) {}
