//! Shared types: records (structs, requests, responses), enums and unions.

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use super::{doc_attrs, field_doc, ident, Gen, Shape};
use crate::model::*;

impl Gen<'_> {
    pub(super) fn type_def(&self, t: &TypeDef) -> TokenStream {
        let krate = self.krate;
        let example = |name: &str, value: TokenStream, ser: bool| {
            if !(self.internal && ser) {
                return quote!();
            }
            let n = ident(name);
            quote! {
                #[cfg(feature = "raw")]
                impl #krate::__private::Example for #n {
                    fn example() -> Self {
                        #value
                    }
                }
            }
        };
        match t {
            TypeDef::Struct(s) => self.struct_def(s),
            TypeDef::Enum(e) => {
                let first = e.values.first().map(|v| {
                    let v = ident(&v.name);
                    quote!(Self::#v)
                });
                let ex = first
                    .map(|f| example(&e.name, f, e.directions.ser))
                    .unwrap_or_default();
                let def = self.enum_def(e);
                quote!(#def #ex)
            }
            TypeDef::Union(u) => {
                let ex = u.variants.first().map(|v| {
                    let (n, p) = (ident(&v.name), self.named_path(&v.ty, 1));
                    example(
                        &u.name,
                        quote!(Self::#n(<#p as #krate::__private::Example>::example())),
                        u.directions.ser,
                    )
                });
                let def = self.union_def(u);
                quote!(#def #ex)
            }
        }
    }

    /// A struct with public fields, `new(required…)`, setters and validation.
    pub(super) fn record(
        &self,
        name: &Ident,
        doc_text: &str,
        fields: &[Field],
        d: Directions,
        shape: Shape,
    ) -> TokenStream {
        let Shape {
            depth,
            response,
            open,
        } = shape;
        let krate = self.krate;
        let eq = !open && fields.iter().all(|f| self.is_eq(&f.ty));
        let ctor: Vec<&Field> = if response {
            Vec::new()
        } else {
            fields.iter().filter(|f| f.in_constructor()).collect()
        };
        let all_defaultable = !response && ctor.is_empty();
        let derives = self.derives(d, eq, all_defaultable);
        let doc = doc_attrs(doc_text);
        let decl = fields.iter().map(|f| {
            let (ty, optional) = self.storage(f, depth, response);
            let extra = self.emulator_extra(d);
            let attr_dirs = Directions {
                ser: d.ser || extra.ser,
                de: d.de || extra.de,
            };
            let attrs = if d.ser || d.de {
                self.serde_field_attrs(f, optional, response, attr_dirs)
            } else {
                quote!()
            };
            let fd = field_doc(f);
            let n = ident(&f.rust);
            quote!(#fd #attrs pub #n: #ty,)
        });
        let extra_decl = if open {
            quote! {
                /// Fields this partial spec entry does not model yet, sent or
                /// received as they are (flattened into the object).
                #[serde(flatten)]
                pub extra: #krate::__private::serde_json::Map<::std::string::String, #krate::__private::serde_json::Value>,
            }
        } else {
            quote!()
        };
        let non_exhaustive = quote!(#[non_exhaustive]);
        let item = quote! {
            #doc
            #derives
            #non_exhaustive
            pub struct #name { #(#decl)* #extra_decl }
        };
        if response {
            return item;
        }
        let builder = self.builder(name, fields, &ctor, depth, open);
        quote!(#item #builder)
    }

    /// `new(required…)` and one setter per other field, for request-side records.
    fn builder(
        &self,
        name: &Ident,
        fields: &[Field],
        ctor: &[&Field],
        depth: usize,
        open: bool,
    ) -> TokenStream {
        let krate = self.krate;
        let params = ctor.iter().map(|f| {
            let n = ident(&f.rust);
            let p = self.param(f, depth);
            quote!(#n: #p)
        });
        let inits = fields.iter().map(|f| {
            let n = ident(&f.rust);
            if f.in_constructor() {
                let conv = self.convert(f, quote!(#n));
                quote!(#n: #conv,)
            } else if matches!(f.ty, Ty::Array(_)) && !f.fill_random {
                quote!(#n: ::std::vec::Vec::new(),)
            } else {
                quote!(#n: ::core::option::Option::None,)
            }
        });
        let extra_init = open.then(|| quote!(extra: #krate::__private::serde_json::Map::new(),));
        let extra_setter = open.then(|| {
            quote! {
                /// Sets a field this partial spec entry does not model yet.
                #[must_use]
                pub fn field(mut self, wire: impl ::core::convert::Into<::std::string::String>, value: impl ::core::convert::Into<#krate::__private::serde_json::Value>) -> Self {
                    self.extra.insert(wire.into(), value.into());
                    self
                }
            }
        });
        let ctor_doc = if ctor.is_empty() {
            format!("An empty `{name}`; set fields with the setters.")
        } else {
            let list: Vec<String> = ctor.iter().map(|f| format!("`{}`", f.wire)).collect();
            format!(
                "A `{name}` with its required fields ({}); set optional fields with the setters.",
                list.join(", ")
            )
        };
        let ctor_doc = doc_attrs(&ctor_doc);
        let allow = (ctor.len() > 7).then(|| quote!(#[allow(clippy::too_many_arguments)]));
        let setters = fields
            .iter()
            .filter(|f| !f.in_constructor())
            .map(|f| self.setter(f, depth));
        quote! {
            impl #name {
                #ctor_doc
                #allow
                #[must_use]
                                pub fn new(#(#params),*) -> Self {
                    Self { #(#inits)* #extra_init }
                }
                #(#setters)* #extra_setter
            }
        }
    }

    fn setter(&self, f: &Field, depth: usize) -> TokenStream {
        let n = ident(&f.rust);
        let p = self.param(f, depth);
        let conv = self.convert(f, quote!(value));
        let store = if matches!(f.ty, Ty::Array(_)) && !f.fill_random {
            quote!(self.#n = #conv;)
        } else {
            quote!(self.#n = ::core::option::Option::Some(#conv);)
        };
        let sd = doc_attrs(&format!("Sets `{}`.", f.wire));
        quote! {
            #sd
            #[must_use]
                            pub fn #n(mut self, value: #p) -> Self { #store self }
        }
    }

    /// A setter/constructor parameter type, and the generic it needs.
    /// A setter/constructor parameter type.
    pub(super) fn param(&self, f: &Field, depth: usize) -> TokenStream {
        match &f.ty {
            Ty::String => quote!(impl ::core::convert::Into<::std::string::String>),
            Ty::Array(inner) => {
                let item = match **inner {
                    Ty::String => quote!(impl ::core::convert::Into<::std::string::String>),
                    _ => self.ty(inner, depth),
                };
                quote!(impl ::core::iter::IntoIterator<Item = #item>)
            }
            other => self.ty(other, depth),
        }
    }

    pub(super) fn convert(&self, f: &Field, v: TokenStream) -> TokenStream {
        match &f.ty {
            Ty::String => quote!(#v.into()),
            Ty::Array(inner) => match **inner {
                Ty::String => quote!(#v.into_iter().map(::core::convert::Into::into).collect()),
                _ => quote!(#v.into_iter().collect()),
            },
            _ => v,
        }
    }

    /// The body of `Validate::validate_into` for a list of fields.
    pub(super) fn struct_def(&self, s: &StructDef) -> TokenStream {
        let name = ident(&s.name);
        let rec = self.record(
            &name,
            &s.doc,
            &s.fields,
            s.directions,
            Shape {
                depth: 1,
                response: false,
                open: false,
            },
        );
        let val = self.validate_impl(&name, &s.fields, &[]);
        let example = if s.directions.ser {
            self.example_impl(&name, &s.fields, 1, false)
        } else {
            quote!()
        };
        quote!(#rec #val #example)
    }

    /// A value of `ty` that passes its field's limits (for generated tests).
    pub(super) fn enum_def(&self, e: &EnumDef) -> TokenStream {
        let name = ident(&e.name);
        let doc = doc_attrs(&format!(
            "{}\n\nUnknown values decode into `Unknown` and encode back unchanged.",
            e.doc
        ));
        let derives = self.derives(e.directions, true, false);
        let variants = e.values.iter().map(|v| {
            let n = ident(&v.name);
            let w = &v.wire;
            let d = doc_attrs(format!("{} Wire value: `{}`.", v.doc, v.wire).trim());
            let rename = if v.name != v.wire && (e.directions.ser || e.directions.de) {
                quote!(#[serde(rename = #w)])
            } else {
                quote!()
            };
            quote!(#d #rename #n,)
        });
        let untagged = if e.directions.ser || e.directions.de {
            quote!(#[serde(untagged)])
        } else {
            quote!()
        };
        let arms = e.values.iter().map(|v| {
            let n = ident(&v.name);
            let w = &v.wire;
            quote!(Self::#n => #w,)
        });
        let from_arms = e.values.iter().map(|v| {
            let n = ident(&v.name);
            let w = &v.wire;
            quote!(#w => Self::#n,)
        });
        quote! {
            #doc
            #derives
            #[non_exhaustive]
            pub enum #name {
                #(#variants)*
                /// A value this version does not know, kept as sent.
                #untagged
                Unknown(::std::string::String),
            }
            impl #name {
                /// The wire value.
                pub fn as_str(&self) -> &str {
                    match self {
                        #(#arms)*
                        Self::Unknown(s) => s,
                    }
                }
            }
            impl ::core::convert::From<&str> for #name {
                fn from(s: &str) -> Self {
                    match s {
                        #(#from_arms)*
                        other => Self::Unknown(::std::string::String::from(other)),
                    }
                }
            }
            impl ::core::fmt::Display for #name {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    f.write_str(self.as_str())
                }
            }
        }
    }

    pub(super) fn union_def(&self, u: &UnionDef) -> TokenStream {
        let krate = self.krate;
        let name = ident(&u.name);
        let (tag, content) = (&u.tag, &u.content);
        let doc = doc_attrs(&u.doc);
        let variants = u.variants.iter().map(|v| {
            let n = ident(&v.name);
            let t = self.named_path(&v.ty, 1);
            let d = doc_attrs(format!("{} Wire tag: `{}`.", v.doc, v.wire).trim());
            quote!(#d #n(#t),)
        });
        let froms = u.variants.iter().map(|v| {
            let n = ident(&v.name);
            let t = self.named_path(&v.ty, 1);
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
        let emulator_only = !u.directions.de && self.emulator_de(u.directions);
        let ser = if u.directions.ser {
            let arms = u.variants.iter().map(|v| {
                let n = ident(&v.name);
                quote!(Self::#n(c) => m.serialize_entry(#content, c)?,)
            });
            quote! {
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
        } else {
            quote!()
        };
        let de_cfg = if emulator_only {
            quote!(#[cfg(feature = "raw")])
        } else {
            quote!()
        };
        let de = if u.directions.de || emulator_only {
            let arms = u.variants.iter().map(|v| {
                let n = ident(&v.name);
                let w = &v.wire;
                quote!(#w => #krate::__private::serde_json::from_value(raw.content).map(Self::#n).map_err(<D::Error as #krate::__private::serde::de::Error>::custom),)
            });
            quote! {
                #de_cfg
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
        } else {
            quote!()
        };
        let val_arms = u.variants.iter().map(|v| {
            let n = ident(&v.name);
            quote!(Self::#n(c) => v.nested(#content, c),)
        });
        quote! {
            #doc
            #[derive(Debug, Clone, PartialEq)]
            #[non_exhaustive]
            pub enum #name {
                #(#variants)*
                /// An element type this version does not know, kept as sent.
                Unknown {
                    /// The tag as sent.
                    tag: ::std::string::String,
                    /// The content as sent.
                    content: #krate::__private::serde_json::Value,
                },
            }
            impl #name {
                /// The wire tag of this element.
                pub fn tag(&self) -> &str {
                    match self {
                        #(#tags)*
                        Self::Unknown { tag, .. } => tag,
                    }
                }
            }
            #(#froms)*
            #ser
            #de
            impl #krate::__private::Validate for #name {
                fn validate_into(&self, v: &mut #krate::__private::Validator) {
                    match self {
                        #(#val_arms)*
                        Self::Unknown { .. } => {}
                    }
                }
            }
        }
    }
}
