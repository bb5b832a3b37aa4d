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
                    let n = ident(&v.name);
                    let value = self.example_expr(&Field::plain(&v.wire, v.ty.clone()), &v.ty, 1);
                    example(&u.name, quote!(Self::#n(#value)), u.directions.ser)
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
        let derives = self.derives(eq, all_defaultable);
        let doc = doc_attrs(doc_text);
        let decl = fields.iter().map(|f| {
            let (ty, _) = self.storage(f, depth, response);
            let fd = field_doc(f);
            let n = ident(&f.rust);
            quote!(#fd pub #n: #ty,)
        });
        let extra_decl = if open {
            quote! {
                /// Fields this partial spec entry does not model yet, sent or
                /// received as they are (the envelope's keys excluded).
                pub extra: #krate::Extra,
            }
        } else {
            quote!()
        };
        let serde = self.record_serde(name, fields, d, shape);
        let non_exhaustive = quote!(#[non_exhaustive]);
        let item = quote! {
            #doc
            #derives
            #non_exhaustive
            pub struct #name { #(#decl)* #extra_decl }
            #serde
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
        let named = super::docs::needs_required_struct(ctor);
        let required_name = ident(&super::docs::required_struct_name(&name.to_string()));
        let required = named.then(|| self.required_struct(name, &required_name, ctor, depth));
        let params: Vec<TokenStream> = if named {
            vec![quote!(required: #required_name)]
        } else {
            ctor.iter()
                .map(|f| {
                    let n = ident(&f.rust);
                    let p = self.param(f, depth);
                    quote!(#n: #p)
                })
                .collect()
        };
        let inits = fields.iter().map(|f| {
            let n = ident(&f.rust);
            if f.in_constructor() && named {
                quote!(#n: required.#n,)
            } else if f.in_constructor() {
                let conv = self.convert(f, quote!(#n));
                quote!(#n: #conv,)
            } else if matches!(f.ty, Ty::Array(_)) && !f.fill_random {
                quote!(#n: ::std::vec::Vec::new(),)
            } else if matches!(f.ty, Ty::Map(_)) {
                quote!(#n: ::std::collections::BTreeMap::new(),)
            } else {
                quote!(#n: ::core::option::Option::None,)
            }
        });
        let extra_init = open.then(|| quote!(extra: #krate::Extra::new(),));
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
        } else if named {
            format!("A `{name}` with its required fields, named in a [`{required_name}`] so that values of the same type cannot be swapped; set optional fields with the setters.")
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
            #required
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

    /// The struct of named required fields that `new` takes when positional
    /// arguments could be swapped.
    fn required_struct(
        &self,
        record: &Ident,
        name: &Ident,
        ctor: &[&Field],
        depth: usize,
    ) -> TokenStream {
        let fields = ctor.iter().map(|f| {
            let n = ident(&f.rust);
            let (ty, _) = self.storage(f, depth, false);
            let d = super::field_doc(f);
            quote!(#d pub #n: #ty,)
        });
        let doc = doc_attrs(&format!(
            "The required fields of [`{record}`], by name (`{record}::new` takes them)."
        ));
        quote! {
            #doc
            #[derive(Debug, Clone)]
            pub struct #name { #(#fields)* }
        }
    }

    pub(super) fn setter(&self, f: &Field, depth: usize) -> TokenStream {
        let n = ident(&f.rust);
        let p = self.param(f, depth);
        let conv = self.convert(f, quote!(value));
        let store = if f.ty.is_collection() && !f.fill_random {
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
            Ty::Map(inner) => {
                let value = self.ty(inner, depth);
                quote!(impl ::core::iter::IntoIterator<Item = (::std::string::String, #value)>)
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
            Ty::Map(_) => quote!(#v.into_iter().collect()),
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
            self.example_impl(&name, &s.fields, &[], 1, false)
        } else {
            quote!()
        };
        quote!(#rec #val #example)
    }
}
