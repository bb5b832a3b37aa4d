//! Paging: which request fields the next page's request takes from the
//! response. The fields it names are checked in [`crate::check::page`].

use crate::diag::Scope;
use crate::model::Page;
use crate::raw::RawPage;

pub(super) fn lower_page(scope: &Scope<'_>, at: usize, p: &RawPage) -> Option<Page> {
    let cursors: Vec<(String, String)> = match (&p.cursor, &p.cursors, &p.offset) {
        (Some(c), None, None) => vec![(c.clone(), c.clone())],
        (None, Some(cs), None) if cs.iter().all(|c| c.len() == 2) && !cs.is_empty() => {
            cs.iter().map(|c| (c[0].clone(), c[1].clone())).collect()
        }
        (None, None, Some(_)) => Vec::new(),
        _ => {
            scope.field(&p.items).error_at(at, "`page` needs exactly one of `cursor`, `cursors` (pairs of [request, response] fields) or `offset`");
            return None;
        }
    };
    Some(Page {
        cursors,
        offset: p.offset.clone(),
        items: p.items.clone(),
        done: p.done.clone(),
    })
}
