//! Example values (`im_api::__private::Example`, feature `raw`) for the offline tests of every endpoint.

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use super::{ident, lit_i64, Gen};
use crate::model::*;

impl Gen<'_> {
    pub(super) fn example_expr(&self, f: &Field, ty: &Ty, depth: usize) -> TokenStream {
        let krate = self.krate;
        let l = &f.limits;
        match ty {
            Ty::String => {
                let len = l
                    .min_bytes
                    .unwrap_or(7)
                    .max(1)
                    .min(l.max_bytes.unwrap_or(u64::MAX)) as usize;
                let s: String = "example".chars().cycle().take(len).collect();
                quote!(::std::string::String::from(#s))
            }
            Ty::U32 | Ty::U64 | Ty::I32 | Ty::I64 => {
                let v = l.min.unwrap_or(1).min(l.max.unwrap_or(i64::MAX));
                let v = lit_i64(v);
                quote!(#v)
            }
            Ty::I64OrString => quote!(1),
            Ty::Map(_) => quote!(::core::default::Default::default()),
            Ty::F64 => quote!(0.0),
            Ty::Bool01 | Ty::Bool => quote!(false),
            Ty::Json => {
                quote!(#krate::__private::serde_json::Value::Object(::core::default::Default::default()))
            }
            Ty::Array(inner) => {
                let n = l.min_items.unwrap_or(1).max(1) as usize;
                let item = self.example_expr(
                    &Field {
                        limits: Limits::default(),
                        ..f.clone()
                    },
                    inner,
                    depth,
                );
                let items = (0..n).map(|_| item.clone());
                quote!(::std::vec![#(#items),*])
            }
            Ty::Named(n) => {
                let p = self.named_path(n, depth);
                quote!(<#p as #krate::__private::Example>::example())
            }
        }
    }

    /// `Example` for a request-side type: required fields only (fill-random ones left to the client).
    pub(super) fn example_impl(
        &self,
        name: &Ident,
        fields: &[Field],
        rules: &[Conflict],
        depth: usize,
        open: bool,
    ) -> TokenStream {
        if !self.internal {
            return quote!();
        }
        let krate = self.krate;
        let inits = fields.iter().map(|f| {
            let n = ident(&f.rust);
            let (_, optional) = self.storage(f, depth, false);
            // Required fields, and the first field of each "at least one of" rule.
            let needed = (f.required && !f.fill_random)
                || rules
                    .iter()
                    .any(|c| c.at_least_one && c.fields[0] == f.wire);
            let value = if needed {
                self.example_expr(f, &f.ty, depth)
            } else if optional {
                quote!(::core::option::Option::None)
            } else if matches!(f.ty, Ty::Map(_)) {
                quote!(::std::collections::BTreeMap::new())
            } else {
                quote!(::std::vec::Vec::new())
            };
            let value = if needed && optional {
                quote!(::core::option::Option::Some(#value))
            } else {
                value
            };
            quote!(#n: #value,)
        });
        let extra = if open {
            quote!(extra: ::core::default::Default::default(),)
        } else {
            quote!()
        };
        quote! {
            #[cfg(feature = "raw")]
            impl #krate::__private::Example for #name {
                fn example() -> Self {
                    Self { #(#inits)* #extra }
                }
            }
        }
    }
}
