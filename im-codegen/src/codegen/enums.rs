//! Open enums (string or integer wire values, with an `Unknown` that holds
//! only values this version does not know) and tagged unions.

use proc_macro2::TokenStream;
use quote::quote;

use super::{doc_attrs, ident, lit_i64, Gen};
use crate::model::*;

impl Gen<'_> {
    pub(super) fn enum_def(&self, e: &EnumDef) -> TokenStream {
        let krate = self.krate;
        let name = ident(&e.name);
        let doc = doc_attrs(&format!(
            "{}\n\nOpen: a value this version does not know decodes into `Unknown` and encodes back unchanged; \
             `Unknown` never holds one of the values listed here (`from` normalises).",
            e.doc
        ));
        let variants = e.values.iter().map(|v| {
            let n = ident(&v.name);
            let d = doc_attrs(format!("{} Wire value: `{}`.", v.doc, v.wire).trim());
            quote!(#d #n,)
        });
        let all = e.values.iter().map(|v| {
            let n = ident(&v.name);
            quote!(Self::#n)
        });
        let (unknown_ty, api) = if e.int {
            (quote!(#krate::UnknownValue<i64>), self.int_enum_api(e))
        } else {
            (quote!(#krate::UnknownValue), self.str_enum_api(e))
        };
        let serde = self.enum_serde(e);
        quote! {
            #doc
            #[derive(Debug, Clone, PartialEq, Eq, Hash)]
            #[non_exhaustive]
            pub enum #name {
                #(#variants)*
                /// A value this version does not know, kept as sent.
                Unknown(#unknown_ty),
            }
            impl #name {
                /// Every documented value, in the spec's order.
                pub const VALUES: &'static [Self] = &[#(#all),*];
                /// Every documented value, in the spec's order.
                pub fn values() -> &'static [Self] {
                    Self::VALUES
                }
            }
            #api
            #serde
        }
    }

    /// `as_str`, `From<&str>`, `FromStr` and `Display` of a string enum.
    fn str_enum_api(&self, e: &EnumDef) -> TokenStream {
        let krate = self.krate;
        let name = ident(&e.name);
        let arms = e.values.iter().map(|v| {
            let (n, w) = (ident(&v.name), &v.wire);
            quote!(Self::#n => #w,)
        });
        let from_arms = e.values.iter().map(|v| {
            let (n, w) = (ident(&v.name), &v.wire);
            quote!(#w => Self::#n,)
        });
        quote! {
            impl #name {
                /// The wire value.
                pub fn as_str(&self) -> &str {
                    match self {
                        #(#arms)*
                        Self::Unknown(v) => v.as_str(),
                    }
                }
            }
            impl ::core::convert::From<&str> for #name {
                fn from(s: &str) -> Self {
                    match s {
                        #(#from_arms)*
                        other => Self::Unknown(#krate::__private::unknown(::std::string::String::from(other))),
                    }
                }
            }
            impl ::core::str::FromStr for #name {
                type Err = ::core::convert::Infallible;
                fn from_str(s: &str) -> ::core::result::Result<Self, Self::Err> {
                    ::core::result::Result::Ok(Self::from(s))
                }
            }
            impl ::core::fmt::Display for #name {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    f.write_str(self.as_str())
                }
            }
        }
    }

    /// `as_i64`, `From<i64>` and `Display` of an integer enum.
    fn int_enum_api(&self, e: &EnumDef) -> TokenStream {
        let krate = self.krate;
        let name = ident(&e.name);
        let codes: Vec<_> = e
            .values
            .iter()
            .map(|v| lit_i64(v.int.expect("integer enum")))
            .collect();
        let names: Vec<_> = e.values.iter().map(|v| ident(&v.name)).collect();
        quote! {
            impl #name {
                /// The wire value.
                pub fn as_i64(&self) -> i64 {
                    match self {
                        #(Self::#names => #codes,)*
                        Self::Unknown(v) => *v.get(),
                    }
                }
            }
            impl ::core::convert::From<i64> for #name {
                fn from(v: i64) -> Self {
                    match v {
                        #(#codes => Self::#names,)*
                        other => Self::Unknown(#krate::__private::unknown(other)),
                    }
                }
            }
            impl ::core::fmt::Display for #name {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    ::core::write!(f, "{}", self.as_i64())
                }
            }
        }
    }

    /// Hand-written serde impls (cheaper than derives), in the directions needed.
    fn enum_serde(&self, e: &EnumDef) -> TokenStream {
        let krate = self.krate;
        let name = ident(&e.name);
        let extra = self.emulator_extra(e.directions);
        let cfg = |main: bool| {
            if main {
                quote!()
            } else {
                quote!(#[cfg(feature = "raw")])
            }
        };
        let ser = (e.directions.ser || extra.ser).then(|| {
            let c = cfg(e.directions.ser);
            let body = if e.int {
                quote!(serializer.serialize_i64(self.as_i64()))
            } else {
                quote!(serializer.serialize_str(self.as_str()))
            };
            quote! {
                #c
                impl #krate::__private::serde::Serialize for #name {
                    fn serialize<S: #krate::__private::serde::Serializer>(&self, serializer: S) -> ::core::result::Result<S::Ok, S::Error> {
                        #body
                    }
                }
            }
        });
        let de = (e.directions.de || extra.de).then(|| {
            let c = cfg(e.directions.de);
            let body = if e.int {
                quote!(<i64 as #krate::__private::serde::Deserialize>::deserialize(deserializer).map(Self::from))
            } else {
                quote!(<::std::string::String as #krate::__private::serde::Deserialize>::deserialize(deserializer).map(|s| Self::from(s.as_str())))
            };
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

    pub(super) fn union_def(&self, u: &UnionDef) -> TokenStream {
        let krate = self.krate;
        let name = ident(&u.name);
        let content = &u.content;
        let doc = doc_attrs(&u.doc);
        let variants = u.variants.iter().map(|v| {
            let n = ident(&v.name);
            let t = self.ty(&v.ty, 1);
            let d = doc_attrs(format!("{} Wire tag: `{}`.", v.doc, v.wire).trim());
            quote!(#d #n(#t),)
        });
        // `From` only where the content type picks one variant.
        let froms = u
            .variants
            .iter()
            .filter(|v| {
                matches!(v.ty, Ty::Named(_))
                    && u.variants.iter().filter(|o| o.ty == v.ty).count() == 1
            })
            .map(|v| {
                let n = ident(&v.name);
                let t = self.ty(&v.ty, 1);
                quote! {
                    impl ::core::convert::From<#t> for #name {
                        fn from(value: #t) -> Self { Self::#n(value) }
                    }
                }
            });
        let tags = u.variants.iter().map(|v| {
            let n = ident(&v.name);
            let w = &v.wire;
            quote!(Self::#n(_) => #w,)
        });
        let serde = self.union_serde(u);
        let val_arms = u
            .variants
            .iter()
            .filter(|v| self.validates(&v.ty))
            .map(|v| {
                let n = ident(&v.name);
                quote!(Self::#n(c) => v.nested(#content, c),)
            });
        quote! {
            #doc
            #[derive(Debug, Clone, PartialEq)]
            #[non_exhaustive]
            pub enum #name {
                #(#variants)*
                /// A tag this version does not know, kept as sent.
                Unknown {
                    /// The tag as sent.
                    tag: ::std::string::String,
                    /// The content as sent.
                    content: #krate::__private::serde_json::Value,
                },
            }
            impl #name {
                /// The wire tag of this value.
                pub fn tag(&self) -> &str {
                    match self {
                        #(#tags)*
                        Self::Unknown { tag, .. } => tag,
                    }
                }
            }
            #(#froms)*
            #serde
            impl #krate::__private::Validate for #name {
                fn validate_into(&self, v: &mut #krate::__private::Validator) {
                    #[allow(unreachable_patterns)]
                    match self {
                        #(#val_arms)*
                        _ => {}
                    }
                }
            }
        }
    }

    /// Whether a value of this type has checks of its own (structs and unions).
    pub(super) fn validates(&self, ty: &Ty) -> bool {
        match ty {
            Ty::Named(n) => !matches!(self.spec.type_def(n), Some(TypeDef::Enum(_))),
            _ => false,
        }
    }

    /// Adjacently tagged serde impls: `{"<tag>": "...", "<content>": ...}`.
    fn union_serde(&self, u: &UnionDef) -> TokenStream {
        let krate = self.krate;
        let name = ident(&u.name);
        let (tag, content) = (&u.tag, &u.content);
        let extra = self.emulator_extra(u.directions);
        let cfg = |main: bool| {
            if main {
                quote!()
            } else {
                quote!(#[cfg(feature = "raw")])
            }
        };
        let ser = (u.directions.ser || extra.ser).then(|| {
            let c = cfg(u.directions.ser);
            let arms = u.variants.iter().map(|v| {
                let n = ident(&v.name);
                quote!(Self::#n(c) => m.serialize_entry(#content, c)?,)
            });
            quote! {
                #c
                impl #krate::__private::serde::Serialize for #name {
                    fn serialize<S: #krate::__private::serde::Serializer>(&self, serializer: S) -> ::core::result::Result<S::Ok, S::Error> {
                        use #krate::__private::serde::ser::SerializeMap as _;
                        let mut m = serializer.serialize_map(::core::option::Option::Some(2))?;
                        m.serialize_entry(#tag, self.tag())?;
                        match self {
                            #(#arms)*
                            Self::Unknown { content: c, .. } => m.serialize_entry(#content, c)?,
                        }
                        m.end()
                    }
                }
            }
        });
        let de = (u.directions.de || extra.de).then(|| {
            let c = cfg(u.directions.de);
            let arms = u.variants.iter().map(|v| {
                let n = ident(&v.name);
                let w = &v.wire;
                quote!(#w => #krate::__private::serde_json::from_value(raw.content).map(Self::#n).map_err(<D::Error as #krate::__private::serde::de::Error>::custom),)
            });
            quote! {
                #c
                impl<'de> #krate::__private::serde::Deserialize<'de> for #name {
                    fn deserialize<D: #krate::__private::serde::Deserializer<'de>>(deserializer: D) -> ::core::result::Result<Self, D::Error> {
                        let raw = #krate::__private::TaggedContent::deserialize(deserializer, #tag, #content)?;
                        match raw.tag.as_str() {
                            #(#arms)*
                            _ => ::core::result::Result::Ok(Self::Unknown { tag: raw.tag, content: raw.content }),
                        }
                    }
                }
            }
        });
        quote!(#ser #de)
    }
}
