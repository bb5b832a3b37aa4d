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
        let code_arms = variants.iter().map(|(code, n, _, _)| {
            let n = ident(n);
            let code = lit_i64(*code);
            quote!(Self::#n => #code,)
        });
        let retry_arms = variants.iter().map(|(_, n, r, _)| {
            let n = ident(n);
            let r = ident(r.variant());
            quote!(Self::#n => #krate::RetryClass::#r,)
        });
        let desc_arms = variants.iter().map(|(_, n, _, d)| {
            let n = ident(n);
            quote!(Self::#n => #d,)
        });
        let (pub_var, pub_from, pub_code, pub_retry, pub_desc) = if public {
            (quote!(), quote!(), quote!(), quote!(), quote!())
        } else {
            (
                quote! {
                    /// A public code (60000-79999), shared by every endpoint.
                    Public(#krate::PublicError),
                },
                quote!(c if (60000..=79999).contains(&c) => Self::Public(<#krate::PublicError as #krate::EndpointError>::from_code(c)),),
                quote!(Self::Public(p) => #krate::EndpointError::code(p),),
                quote!(Self::Public(p) => #krate::EndpointError::retry_class(p),),
                quote!(Self::Public(p) => #krate::EndpointError::description(p),),
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
                fn code(&self) -> i64 {
                    match self {
                        #(#code_arms)*
                        #pub_code
                        Self::Unknown(c) => *c,
                    }
                }
                fn retry_class(&self) -> #krate::RetryClass {
                    match self {
                        #(#retry_arms)*
                        #pub_retry
                        Self::Unknown(_) => #krate::RetryClass::Permanent,
                    }
                }
                fn description(&self) -> &'static str {
                    match self {
                        #(#desc_arms)*
                        #pub_desc
                        Self::Unknown(_) => "an error code the spec does not list",
                    }
                }
            }
            impl ::core::fmt::Display for #name {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    let code = #krate::EndpointError::code(self);
                    let text = #krate::EndpointError::description(self);
                    ::core::write!(f, "{code}: {text}")
                }
            }
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
