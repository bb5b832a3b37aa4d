//! The methods on `im_api::Client`: inherent (inside im-api) or an extension trait.

use proc_macro2::TokenStream;
use quote::quote;

use super::{doc_attrs, ident, Gen, Mode};
use crate::model::*;

impl Gen<'_> {
    pub(super) fn method_doc(&self, e: &Endpoint) -> String {
        let mut s = format!("{}\n\n", e.summary);
        if !e.doc.is_empty() {
            s.push_str(&e.doc);
            s.push_str("\n\n");
        }
        s.push_str(&format!("`POST /v4/{}`", e.path()));
        if let Some(r) = e.rate.per_second {
            s.push_str(&format!("; at most {r} calls/s"));
        }
        if let Some(r) = e.rate.per_group_per_second {
            s.push_str(&format!(", {r} messages/s per group"));
        }
        s.push('.');
        if !e.group_types.is_empty() {
            s.push_str(&format!(" Group types: {}.", e.group_types.join(", ")));
        }
        if !e.errors.is_empty() {
            let list: Vec<String> = e.errors.iter().map(|x| x.code.to_string()).collect();
            s.push_str(&format!(
                " Documented error codes: {} (see [`api::{}::Error`]).",
                list.join(", "),
                e.rust
            ));
        }
        if e.partial_failure.is_some() {
            s.push_str(" Per-item failures are returned in the response, not as an error.");
        }
        if e.partial {
            s.push_str("\n\nThe spec entry is partial: the reference lacks a full field table.");
        }
        s
    }

    pub(super) fn client(&self, mode: &Mode) -> TokenStream {
        let krate = self.krate;
        match mode {
            Mode::Internal => {
                let methods = self.spec.endpoints.iter().map(|e| {
                    let m = ident(&e.rust);
                    let d = doc_attrs(&self.method_doc(e));
                    quote! {
                        #d
                        pub async fn #m(&self, request: api::#m::Request) -> api::#m::Result {
                            self.call(request).await
                        }
                    }
                });
                quote! {
                    impl #krate::Client {
                        #(#methods)*
                    }
                }
            }
            Mode::Extension { trait_name } => {
                let t = ident(trait_name);
                let sigs = self.spec.endpoints.iter().map(|e| {
                    let m = ident(&e.rust);
                    let d = doc_attrs(&self.method_doc(e));
                    quote! {
                        #d
                        fn #m(&self, request: api::#m::Request) -> impl ::core::future::Future<Output = api::#m::Result> + ::core::marker::Send;
                    }
                });
                let impls = self.spec.endpoints.iter().map(|e| {
                    let m = ident(&e.rust);
                    quote! {
                        fn #m(&self, request: api::#m::Request) -> impl ::core::future::Future<Output = api::#m::Result> + ::core::marker::Send {
                            self.call(request)
                        }
                    }
                });
                let tdoc = doc_attrs(
                    &format!(
                        "Endpoints from this crate's spec, as methods on [`{krate}::Client`]."
                    )
                    .replace(' ', " ")
                    .replace(":: im_api", "::im_api")
                    .replace(":: ", "::"),
                );
                quote! {
                    #tdoc
                    pub trait #t {
                        #(#sigs)*
                    }
                    impl #t for #krate::Client {
                        #(#impls)*
                    }
                }
            }
        }
    }
}
