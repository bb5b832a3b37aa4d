//! Emulated `global_mute` endpoints.

use super::Table;

#[derive(Debug, Default)]
pub(crate) struct GlobalMuteState {}

impl GlobalMuteState {
    pub(crate) fn forget(&mut self, _account: &str) {}
}

pub(super) fn register(_t: &mut Table) {}
