//! The methods on `im_api::Client`: inherent (inside im-api) or an extension trait.

use proc_macro2::TokenStream;
use quote::quote;

use super::{doc_attrs, ident, Gen, Mode};

impl Gen<'_> {
    pub(super) fn client(&self, mode: &Mode) -> TokenStream {
        let krate = self.krate;
        match mode {
            Mode::Internal => {
                let methods = self.spec.endpoints.iter().map(|e| {
                    let m = ident(&e.rust);
                    let d = doc_attrs(&self.endpoint_doc(e, true));
                    let cfg = self.family_cfg(e);
                    quote! {
                        #d
                        #cfg
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
            Mode::Extension { trait_name, .. } => {
                let t = ident(trait_name);
                let sigs = self.spec.endpoints.iter().map(|e| {
                    let m = ident(&e.rust);
                    let d = doc_attrs(&self.endpoint_doc(e, true));
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
