//! Serde impls of records, written out as one helper call per field
//! (`im_api::__private::RecordSer` / `RecordDe`) instead of serde_derive's
//! per-type visitors: much less code for rustc to check, the same wire format.

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use super::{ident, Gen, Shape};
use crate::model::*;

/// How a field is written and read: the helper method names.
struct Access {
    ser: &'static str,
    de: &'static str,
    /// `ser` takes the value (`bool`) rather than a reference.
    by_value: bool,
}

impl Gen<'_> {
    fn access(&self, f: &Field, optional: bool) -> Access {
        let (ser, de, by_value) = match (&f.ty, optional, f.required) {
            (Ty::Bool01, true, _) => ("opt_bool01", "opt_bool01", true),
            (Ty::Bool01, false, _) => ("bool01", "bool01", true),
            (Ty::I64OrString, true, _) => ("opt", "opt_i64_or_string", false),
            (Ty::I64OrString, false, _) => ("field", "i64_or_string", false),
            (_, true, _) => ("opt", "opt", false),
            (Ty::Array(_), false, false) => ("vec", "vec", false),
            (Ty::Array(_), false, true) => ("field", "req_vec", false),
            (Ty::Map(_), false, false) => ("map", "map", false),
            (Ty::Map(_), false, true) => ("field", "req_map", false),
            (_, false, _) => ("field", "req", false),
        };
        Access { ser, de, by_value }
    }

    /// `Serialize` and `Deserialize` for a record, in the directions it needs
    /// (the emulator's extra direction under im-api's `raw` feature).
    pub(super) fn record_serde(
        &self,
        name: &Ident,
        fields: &[Field],
        d: Directions,
        shape: Shape,
    ) -> TokenStream {
        let extra = self.emulator_extra(d);
        let cfg = |main: bool| (!main).then(|| quote!(#[cfg(feature = "raw")]));
        let ser = (d.ser || extra.ser).then(|| {
            let c = cfg(d.ser);
            let body = self.ser_body(fields, shape);
            let krate = self.krate;
            quote! {
                #c
                impl #krate::__private::serde::Serialize for #name {
                    fn serialize<S: #krate::__private::serde::Serializer>(&self, serializer: S) -> ::core::result::Result<S::Ok, S::Error> {
                        #body
                    }
                }
            }
        });
        let de = (d.de || extra.de).then(|| {
            let c = cfg(d.de);
            let body = self.de_body(fields, shape);
            let krate = self.krate;
            quote! {
                #c
                impl<'de> #krate::__private::serde::Deserialize<'de> for #name {
                    fn deserialize<D: #krate::__private::serde::Deserializer<'de>>(deserializer: D) -> ::core::result::Result<Self, D::Error> {
                        #body
                    }
                }
            }
        });
        quote!(#ser #de)
    }

    fn ser_body(&self, fields: &[Field], shape: Shape) -> TokenStream {
        let krate = self.krate;
        let calls = fields.iter().map(|f| {
            let (_, optional) = self.storage(f, shape.depth, shape.response);
            let a = self.access(f, optional);
            let (m, n, w) = (ident(a.ser), ident(&f.rust), &f.wire);
            if a.by_value {
                quote!(m.#m(#w, self.#n)?;)
            } else {
                quote!(m.#m(#w, &self.#n)?;)
            }
        });
        if fields.is_empty() && !shape.open {
            return quote!(#krate::__private::RecordSer::new(serializer)?.end());
        }
        let extra = shape.open.then(|| quote!(m.extra(&self.extra)?;));
        quote! {
            let mut m = #krate::__private::RecordSer::new(serializer)?;
            #(#calls)*
            #extra
            m.end()
        }
    }

    fn de_body(&self, fields: &[Field], shape: Shape) -> TokenStream {
        let krate = self.krate;
        let inits = fields.iter().map(|f| {
            let (_, optional) = self.storage(f, shape.depth, shape.response);
            let a = self.access(f, optional);
            let (m, n, w) = (ident(a.de), ident(&f.rust), &f.wire);
            if a.by_value || a.de.contains("i64_or_string") {
                quote!(#n: r.#m::<D::Error>(#w)?,)
            } else {
                quote!(#n: r.#m::<_, D::Error>(#w)?,)
            }
        });
        if fields.is_empty() && !shape.open {
            return quote! {
                #krate::__private::RecordDe::new(deserializer)?;
                ::core::result::Result::Ok(Self {})
            };
        }
        let extra = shape.open.then(|| quote!(extra: r.rest(),));
        quote! {
            let mut r = #krate::__private::RecordDe::new(deserializer)?;
            ::core::result::Result::Ok(Self { #(#inits)* #extra })
        }
    }
}
