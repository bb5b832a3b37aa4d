//! Paging: which request fields the next page's request takes from the
//! response. The fields it names are checked in [`crate::check::page`].

use crate::diag::Scope;
use crate::model::{FromItems, Page};
use crate::raw::RawPage;

pub(super) fn lower_page(scope: &Scope<'_>, at: usize, p: &RawPage) -> Option<Page> {
    let forms = (&p.cursor, &p.cursors, &p.offset, &p.from_items);
    let cursors: Vec<(String, String)> = match forms {
        (Some(c), None, None, None) => vec![(c.clone(), c.clone())],
        (None, Some(cs), None, None) if cs.iter().all(|c| c.len() == 2) && !cs.is_empty() => {
            cs.iter().map(|c| (c[0].clone(), c[1].clone())).collect()
        }
        (None, None, Some(_), None) | (None, None, None, Some(_)) => Vec::new(),
        _ => {
            scope.field(&p.items).error_at(at, "`page` needs exactly one of `cursor`, `cursors` (pairs of [request, response] fields), `offset` or `from_items`");
            return None;
        }
    };
    let from_items = match &p.from_items {
        None => None,
        Some(f) => {
            let descending = match f.next.as_str() {
                "min_minus_one" => true,
                "max_plus_one" => false,
                other => {
                    scope.field(&p.items).error_at(
                        at,
                        format!("unknown `from_items.next` `{other}`: expected min_minus_one or max_plus_one"),
                    );
                    return None;
                }
            };
            Some(FromItems {
                field: f.field.clone(),
                item: f.item.clone(),
                descending,
            })
        }
    };
    Some(Page {
        cursors,
        offset: p.offset.clone(),
        from_items,
        items: p.items.clone(),
        done: p.done.clone(),
    })
}
