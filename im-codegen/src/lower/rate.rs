//! An endpoint's documented rate: calls per second, per group, and the
//! values seen in the documents. The code answered beyond the rate and the
//! group key refer to other parts of the entry: see [`crate::check`].

use crate::diag::Scope;
use crate::model::Rate;
use crate::raw::RawRate;

pub(super) fn lower_rate(scope: &Scope<'_>, raw: Option<&RawRate>) -> Rate {
    let mut rate = Rate::default();
    let Some(r) = raw else {
        return rate;
    };
    for (v, slot) in [
        (&r.per_second, &mut rate.per_second),
        (&r.per_group_per_second, &mut rate.per_group_per_second),
    ] {
        if let Some(v) = v {
            if *v.get_ref() <= 0 || *v.get_ref() > u32::MAX as i64 {
                scope.error(v, "a rate must be a positive number of calls per second");
            } else {
                *slot = Some(*v.get_ref() as u32);
            }
        }
    }
    rate.documented = r.documented.clone();
    rate
}
