//! Pairs of optional request fields that may not both be set. The fields
//! they name are checked in [`crate::check::conflicts`].

use crate::diag::Scope;
use crate::raw::RawConflict;

/// The two wire names of a conflict, if it names exactly two.
pub(super) fn lower_conflict(
    scope: &Scope<'_>,
    at: usize,
    raw: &RawConflict,
) -> Option<[String; 2]> {
    match raw.fields.as_slice() {
        [a, b] => Some([a.clone(), b.clone()]),
        _ => {
            scope.error_at(
                at,
                "a conflict names exactly two request fields by wire name",
            );
            None
        }
    }
}
