//! An endpoint's documented rate: calls per second, per group, and the
//! values seen in the documents. The code answered beyond the rate and the
//! group key refer to other parts of the entry: see [`crate::check`].

use crate::diag::Scope;
use crate::model::{Quota, Rate, Window};
use crate::raw::{RawQuota, RawRate};

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
    rate.quotas = r
        .quotas
        .iter()
        .filter_map(|q| lower_quota(scope, q.get_ref()))
        .collect();
    rate.documented = r.documented.clone();
    rate
}

/// A quota as written; `count` and `code` are checked in [`crate::check`],
/// and `code` is the rate's code until then.
fn lower_quota(scope: &Scope<'_>, q: &RawQuota) -> Option<Quota> {
    let Some(per) = Window::parse(q.per.get_ref()) else {
        scope.error(
            &q.per,
            format!(
                "unknown quota window `{}`: expected second, minute, hour or day",
                q.per.get_ref()
            ),
        );
        return None;
    };
    if *q.limit.get_ref() <= 0 {
        scope.error(&q.limit, "a quota limit must be positive");
        return None;
    }
    Some(Quota {
        limit: *q.limit.get_ref() as u64,
        per,
        count: q.count.as_ref().map(|c| c.get_ref().clone()),
        code: 0,
        doc: q.doc.as_deref().unwrap_or("").trim().to_owned(),
    })
}
