//! Error-code enums: one per endpoint, and `PublicError` for the shared codes.

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use super::{doc_attrs, ident, lit_i64, retry_text, Gen};
use crate::model::*;

impl Gen<'_> {
    pub(super) fn error_enum(
        &self,
        variants: &[(i64, String, RetryClass, String)],
        name: &Ident,
        public: bool,
        doc_text: &str,
    ) -> TokenStream {
        let krate = self.krate;
        let doc = doc_attrs(doc_text);
        let all_codes: Vec<_> = variants.iter().map(|v| lit_i64(v.0)).collect();
        let vars = variants.iter().map(|(code, n, retry, d)| {
            let n = ident(n);
            let dd = doc_attrs(&format!(
                "`{code}`: {d} Retry class: {}.",
                retry_text(*retry)
            ));
            quote!(#dd #n,)
        });
        let from_arms = variants.iter().map(|(code, n, _, _)| {
            let n = ident(n);
            let code = lit_i64(*code);
            quote!(#code => Self::#n,)
        });
        let info_arms = variants.iter().map(|(code, n, r, d)| {
            let n = ident(n);
            let code = lit_i64(*code);
            let r = ident(r.variant());
            quote!(Self::#n => #krate::ErrorInfo { code: #code, retry: #krate::RetryClass::#r, description: #d },)
        });
        let (pub_var, pub_from, pub_info) = if public {
            (quote!(), quote!(), quote!())
        } else {
            (
                quote! {
                    /// A public code (60000-79999), shared by every endpoint.
                    Public(#krate::PublicError),
                },
                quote!(c if (60000..=79999).contains(&c) => Self::Public(<#krate::PublicError as #krate::EndpointError>::from_code(c)),),
                quote!(Self::Public(p) => #krate::EndpointError::info(p),),
            )
        };
        quote! {
            #doc
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
            #[non_exhaustive]
            pub enum #name {
                #(#vars)*
                #pub_var
                /// A code the spec does not list for this endpoint. Match on
                /// `code()` rather than on this variant: a later spec may name it.
                Unknown(i64),
            }
            impl #name {
                /// Every code this enum names (public codes excluded for endpoint enums).
                pub const CODES: &'static [i64] = &[#(#all_codes),*];
            }
            impl #krate::EndpointError for #name {
                fn from_code(code: i64) -> Self {
                    match code {
                        #(#from_arms)*
                        #pub_from
                        c => Self::Unknown(c),
                    }
                }
                fn info(&self) -> #krate::ErrorInfo {
                    match self {
                        #(#info_arms)*
                        #pub_info
                        // Not listed here: the catalogue's class (10023 stays rate-limited).
                        Self::Unknown(c) => #krate::ErrorInfo::unlisted(*c),
                    }
                }
            }
            impl ::core::fmt::Display for #name {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    #krate::EndpointError::info(self).fmt(f)
                }
            }
        }
    }

    /// Every code of the catalogue (im-api only), sorted by code.
    pub(super) fn catalogue(&self) -> TokenStream {
        let krate = self.krate;
        let entries = self.spec.errors.values().map(|e| {
            let (code, name, doc) = (lit_i64(e.code), &e.name, &e.doc);
            let retry = ident(e.retry.variant());
            quote!(#krate::CatalogueEntry { code: #code, name: #name, retry: #krate::RetryClass::#retry, doc: #doc })
        });
        quote! {
            /// The error-code catalogue of the spec (`errors.toml` and the codes
            /// endpoints declare), sorted by code.
            pub const CATALOGUE: &[#krate::CatalogueEntry] = &[#(#entries),*];
        }
    }

    pub(super) fn public_error(&self) -> TokenStream {
        let variants: Vec<_> = self
            .spec
            .public_errors()
            .map(|e| (e.code, e.name.clone(), e.retry, e.doc.clone()))
            .collect();
        self.error_enum(
            &variants,
            &ident("PublicError"),
            true,
            "Public error codes (60000-79999) that every endpoint can return.",
        )
    }
}
