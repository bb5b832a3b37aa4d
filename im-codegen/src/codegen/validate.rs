//! Pre-send validation of request-side records: limits, nested values, conflicts.

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use super::{ident, lit_i64, Gen};
use crate::model::*;

impl Gen<'_> {
    pub(super) fn validate_body(
        &self,
        fields: &[Field],
        conflicts: &[Conflict],
        response: bool,
    ) -> TokenStream {
        if response {
            return quote!();
        }
        let checks = fields
            .iter()
            .filter_map(|f| {
                let n = ident(&f.rust);
                let w = &f.wire;
                let l = &f.limits;
                let opt = |o: Option<u64>| match o {
                    Some(v) => {
                        let v = proc_macro2::Literal::u64_unsuffixed(v);
                        quote!(::core::option::Option::Some(#v))
                    }
                    None => quote!(::core::option::Option::None),
                };
                let opti = |o: Option<i64>| match o {
                    Some(v) => {
                        let v = lit_i64(v);
                        quote!(::core::option::Option::Some(#v))
                    }
                    None => quote!(::core::option::Option::None),
                };
                let mut body = Vec::new();
                let nested = f
                    .ty
                    .named()
                    .is_some_and(|nm| !matches!(self.spec.type_def(nm), Some(TypeDef::Enum(_))));
                match &f.ty {
                    Ty::String if l.non_empty || l.min_bytes.is_some() || l.max_bytes.is_some() => {
                        let (ne, lo, hi) = (l.non_empty, opt(l.min_bytes), opt(l.max_bytes));
                        body.push(quote!(v.string(#w, value, #ne, #lo, #hi);));
                    }
                    t if t.is_integer() && (l.min.is_some() || l.max.is_some()) => {
                        let (lo, hi) = (opti(l.min), opti(l.max));
                        body.push(quote!(v.integer(#w, *value as i128, #lo, #hi);));
                    }
                    Ty::Array(inner) => {
                        if l.non_empty || l.min_items.is_some() || l.max_items.is_some() {
                            let (ne, lo, hi) = (l.non_empty, opt(l.min_items), opt(l.max_items));
                            // An optional list that is empty is not sent: its minimum does not apply.
                            body.push(if f.required {
                                quote!(v.items(#w, value.len(), #ne, #lo, #hi);)
                            } else {
                                quote!(if !value.is_empty() { v.items(#w, value.len(), #ne, #lo, #hi); })
                            });
                        }
                        if let Some(max) = l.item_max_bytes {
                            let max = proc_macro2::Literal::u64_unsuffixed(max);
                            body.push(quote!(v.each_string(#w, value, #max);));
                        }
                        if nested {
                            body.push(quote!(v.each(#w, value);));
                        }
                        if let Some(TypeDef::Union(u)) = inner.named().and_then(|n| self.spec.type_def(n)) {
                            for name in &u.at_most_one {
                                let tag = &u.variants.iter().find(|v| &v.name == name).expect("checked").wire;
                                body.push(quote!(v.at_most_one(#w, value.iter().filter(|e| e.tag() == #tag).count(), #tag);));
                            }
                        }
                    }
                    Ty::Named(_) if nested => body.push(quote!(v.nested(#w, value);)),
                    _ => {}
                }
                if let Some(max) = l.max_json_bytes {
                    let max = proc_macro2::Literal::u64_unsuffixed(max);
                    body.push(quote!(v.json_bytes(#w, value, #max);));
                }
                if body.is_empty() {
                    return None;
                }
                let (_, optional) = self.storage(f, 0, false);
                Some(if optional {
                    quote!(if let ::core::option::Option::Some(value) = &self.#n { #(#body)* })
                } else {
                    quote!({ let value = &self.#n; #(#body)* })
                })
            })
            .collect::<Vec<_>>();
        let conflicts = conflicts.iter().map(|c| {
            let [a, b] = &c.fields;
            let fa = fields.iter().find(|f| &f.wire == a).expect("checked");
            let fb = fields.iter().find(|f| &f.wire == b).expect("checked");
            let active = |f: &Field| {
                let n = ident(&f.rust);
                match &f.ty {
                    Ty::Array(_) | Ty::Map(_) => quote!(!self.#n.is_empty()),
                    Ty::Bool01 | Ty::Bool => quote!(self.#n == ::core::option::Option::Some(true)),
                    _ => quote!(self.#n.is_some()),
                }
            };
            let (xa, xb) = (active(fa), active(fb));
            let d = &c.doc;
            if c.at_least_one {
                quote!(if !(#xa) && !(#xb) { v.one_of(#a, #b, #d); })
            } else {
                quote!(if #xa && #xb { v.conflict(#a, #b, #d); })
            }
        });
        quote!(#(#checks)* #(#conflicts)*)
    }

    pub(super) fn validate_impl(
        &self,
        name: &Ident,
        fields: &[Field],
        conflicts: &[Conflict],
    ) -> TokenStream {
        let krate = self.krate;
        let body = self.validate_body(fields, conflicts, false);
        let v = if body.is_empty() {
            quote!(_v)
        } else {
            quote!(v)
        };
        quote! {
            impl #krate::__private::Validate for #name {
                fn validate_into(&self, #v: &mut #krate::__private::Validator) {
                    #body
                }
            }
        }
    }
}
