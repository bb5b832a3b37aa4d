//! Model to tokens. Output is deterministic (declaration order, files sorted)
//! and uses fully qualified paths so user code cannot shadow anything.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use crate::model::*;
use crate::names;

/// How the generated code is attached to `im_api::Client`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Inside `im-api` itself: inherent methods on `Client`, and the
    /// `PublicError` enum from the catalogue.
    Internal,
    /// In another crate: an extension trait implemented for `im_api::Client`.
    Extension { trait_name: String },
}

#[derive(Debug, Clone)]
pub struct Options {
    pub mode: Mode,
}

pub fn generate(spec: &Spec, opts: &Options) -> TokenStream {
    let krate = quote!(::im_api);
    let g = Gen {
        spec,
        krate: &krate,
        internal: opts.mode == Mode::Internal,
    };
    let local_types: Vec<_> = spec.types.iter().filter(|t| !t.external()).collect();
    let types = if local_types.is_empty() {
        quote!()
    } else {
        let items = local_types.iter().map(|t| g.type_def(t));
        quote! {
            /// Shared types declared by the spec (message elements, push settings and more).
            pub mod types {
                #(#items)*
            }
        }
    };
    let public = match opts.mode {
        Mode::Internal => g.public_error(),
        Mode::Extension { .. } => quote!(),
    };
    let modules = spec.endpoints.iter().map(|e| g.endpoint_module(e));
    let metas = spec.endpoints.iter().map(|e| {
        let m = ident(&e.rust);
        quote!(&api::#m::META)
    });
    let client = g.client(&opts.mode);
    let routes = if g.internal {
        let routes = spec.endpoints.iter().map(|e| {
            let m = ident(&e.rust);
            quote!(#krate::raw::Route::of::<api::#m::Request>())
        });
        quote! {
            /// Every endpoint with the parser the emulator checks its bodies with.
            #[cfg(feature = "raw")]
            pub const ROUTES: &[#krate::raw::Route] = &[#(#routes),*];
        }
    } else {
        quote!()
    };
    quote! {
        #types
        #public
        /// One module per endpoint: `Request`, `Response`, the endpoint's `Error` codes and `META`.
        pub mod api {
            #(#modules)*
        }
        /// Every endpoint this spec declares, in declaration order.
                pub const ENDPOINTS: &[&#krate::EndpointMeta] = &[#(#metas),*];
        #routes
        #client
    }
}

/// Where a record sits: module depth below the invocation, response side, and
/// whether it keeps unmodelled fields (`extra`, for partial entries).
#[derive(Clone, Copy)]
struct Shape {
    depth: usize,
    response: bool,
    open: bool,
}

struct Gen<'a> {
    spec: &'a Spec,
    krate: &'a TokenStream,
    /// Inside im-api: request-side types also derive `Deserialize` under the
    /// `emulator` feature, so the emulator checks bodies with this same code.
    internal: bool,
}

pub(crate) fn ident(name: &str) -> Ident {
    if names::is_keyword(name) {
        Ident::new_raw(name, Span::call_site())
    } else {
        Ident::new(name, Span::call_site())
    }
}

fn doc_attrs(text: &str) -> TokenStream {
    let lines: Vec<String> = text.lines().map(|l| format!(" {}", l.trim_end())).collect();
    let lines = if lines.is_empty() {
        vec![String::new()]
    } else {
        lines
    };
    quote!(#(#[doc = #lines])*)
}

fn limits_text(l: &Limits) -> Vec<String> {
    let mut out = Vec::new();
    if l.non_empty {
        out.push("must not be empty".to_owned());
    }
    match (l.min_items, l.max_items) {
        (Some(a), Some(b)) => out.push(format!("{a} to {b} items")),
        (Some(a), None) => out.push(format!("at least {a} {}", plural(a, "item"))),
        (None, Some(b)) => out.push(format!("at most {b} {}", plural(b, "item"))),
        _ => {}
    }
    match (l.min_bytes, l.max_bytes) {
        (Some(a), Some(b)) => out.push(format!("{a} to {b} bytes")),
        (Some(a), None) => out.push(format!("at least {a} bytes")),
        (None, Some(b)) => out.push(format!("at most {b} bytes")),
        _ => {}
    }
    match (l.min, l.max) {
        (Some(a), Some(b)) => out.push(format!("{a}..={b}")),
        (Some(a), None) => out.push(format!(">= {a}")),
        (None, Some(b)) => out.push(format!("<= {b}")),
        _ => {}
    }
    if let Some(b) = l.max_json_bytes {
        out.push(format!("at most {b} bytes of JSON"));
    }
    if let Some(b) = l.legacy_max_json_bytes {
        out.push(format!("older documents say {b} bytes (not enforced)"));
    }
    out
}

fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        word.to_owned()
    } else {
        format!("{word}s")
    }
}

fn field_doc(f: &Field) -> TokenStream {
    let mut text = f.doc.clone();
    if !text.is_empty() {
        text.push_str("\n\n");
    }
    text.push_str(&format!("Wire name: `{}`", f.wire));
    let limits = limits_text(&f.limits);
    if !limits.is_empty() {
        text.push_str(&format!("; {}", limits.join(", ")));
    }
    text.push('.');
    doc_attrs(&text)
}

impl Gen<'_> {
    /// Path to a named type from a module `depth` levels below the invocation.
    fn named_path(&self, name: &str, depth: usize) -> TokenStream {
        let krate = self.krate;
        let n = ident(name);
        match self.spec.type_def(name) {
            Some(t) if !t.external() => {
                let supers = (0..depth).map(|_| quote!(super::));
                quote!(#(#supers)* types::#n)
            }
            _ => quote!(#krate::types::#n),
        }
    }

    fn ty(&self, ty: &Ty, depth: usize) -> TokenStream {
        let krate = self.krate;
        match ty {
            Ty::String => quote!(::std::string::String),
            Ty::U32 => quote!(u32),
            Ty::U64 => quote!(u64),
            Ty::I32 => quote!(i32),
            Ty::I64 => quote!(i64),
            Ty::F64 => quote!(f64),
            Ty::Bool01 => quote!(bool),
            Ty::Json => quote!(#krate::__private::serde_json::Value),
            Ty::Array(inner) => {
                let inner = self.ty(inner, depth);
                quote!(::std::vec::Vec<#inner>)
            }
            Ty::Named(n) => self.named_path(n, depth),
        }
    }

    /// How a field is stored: (type tokens, is Option, is Vec defaulting to empty).
    fn storage(&self, f: &Field, depth: usize, response: bool) -> (TokenStream, bool) {
        let base = self.ty(&f.ty, depth);
        let is_vec = matches!(f.ty, Ty::Array(_));
        let optional = if response {
            !(is_vec || (f.required && !matches!(f.ty, Ty::Named(_))))
        } else {
            !is_vec && (!f.required || f.fill_random)
        };
        if optional {
            (quote!(::core::option::Option<#base>), true)
        } else {
            (base, false)
        }
    }

    fn serde_field_attrs(
        &self,
        f: &Field,
        optional: bool,
        response: bool,
        d: Directions,
    ) -> TokenStream {
        let krate = self.krate;
        let mut parts = Vec::new();
        if f.rust != f.wire {
            let w = &f.wire;
            parts.push(quote!(rename = #w));
        }
        let is_vec = matches!(f.ty, Ty::Array(_));
        // Decoding: anything that may be absent defaults (responses also
        // default required fields, so a missing field is not a hard failure).
        if d.de && (optional || (is_vec && !f.required) || (response && f.required)) {
            parts.push(quote!(default));
        }
        if d.ser {
            if optional {
                parts.push(quote!(
                    skip_serializing_if = "::core::option::Option::is_none"
                ));
            } else if is_vec && !f.required {
                parts.push(quote!(skip_serializing_if = "::std::vec::Vec::is_empty"));
            }
        }
        if f.ty == Ty::Bool01 {
            let path = if optional {
                format!("{krate}::__private::bool01::option").replace(' ', "")
            } else {
                format!("{krate}::__private::bool01").replace(' ', "")
            };
            parts.push(quote!(with = #path));
        }
        if parts.is_empty() {
            quote!()
        } else {
            quote!(#[serde(#(#parts),*)])
        }
    }

    /// The serde directions a type gets only under im-api's `emulator`
    /// feature: the emulator decodes requests and encodes responses.
    fn emulator_extra(&self, d: Directions) -> Directions {
        Directions {
            ser: self.internal && d.de && !d.ser,
            de: self.internal && d.ser && !d.de,
        }
    }

    fn emulator_de(&self, d: Directions) -> bool {
        self.emulator_extra(d).de
    }

    fn derives(&self, d: Directions, eq: bool, default: bool) -> TokenStream {
        let krate = self.krate;
        let mut list = vec![quote!(Debug), quote!(Clone), quote!(PartialEq)];
        if eq {
            list.push(quote!(Eq));
        }
        if default {
            list.push(quote!(Default));
        }
        if d.ser {
            list.push(quote!(#krate::__private::serde::Serialize));
        }
        if d.de {
            list.push(quote!(#krate::__private::serde::Deserialize));
        }
        let serde_crate = if d.ser || d.de {
            let p = format!("{krate}::__private::serde").replace(' ', "");
            quote!(#[serde(crate = #p)])
        } else {
            quote!()
        };
        let extra = self.emulator_extra(d);
        let emulator = match (extra.ser, extra.de) {
            (true, _) => {
                quote!(#[cfg_attr(feature = "raw", derive(#krate::__private::serde::Serialize))])
            }
            (_, true) => {
                quote!(#[cfg_attr(feature = "raw", derive(#krate::__private::serde::Deserialize))])
            }
            _ => quote!(),
        };
        quote!(#[derive(#(#list),*)] #emulator #serde_crate)
    }

    fn is_eq(&self, ty: &Ty) -> bool {
        match ty {
            Ty::F64 | Ty::Json => false,
            Ty::Array(inner) => self.is_eq(inner),
            Ty::Named(n) => match self.spec.type_def(n) {
                Some(TypeDef::Struct(s)) => s.fields.iter().all(|f| self.is_eq(&f.ty)),
                Some(TypeDef::Enum(_)) => true,
                // unions keep unknown content as a JSON value
                _ => false,
            },
            _ => true,
        }
    }

    fn type_def(&self, t: &TypeDef) -> TokenStream {
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
    fn record(
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
        // constructor
        let params = ctor
            .iter()
            .map(|f| {
                let n = ident(&f.rust);
                let p = self.param(f, depth);
                quote!(#n: #p)
            })
            .collect::<Vec<_>>();
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
        let extra_init = if open {
            quote!(extra: #krate::__private::serde_json::Map::new(),)
        } else {
            quote!()
        };
        let extra_setter = if open {
            quote! {
                /// Sets a field this partial spec entry does not model yet.
                #[must_use]
                pub fn field(mut self, wire: impl ::core::convert::Into<::std::string::String>, value: impl ::core::convert::Into<#krate::__private::serde_json::Value>) -> Self {
                    self.extra.insert(wire.into(), value.into());
                    self
                }
            }
        } else {
            quote!()
        };
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
        let allow = if ctor.len() > 7 {
            quote!(#[allow(clippy::too_many_arguments)])
        } else {
            quote!()
        };
        let setters = fields.iter().filter(|f| !f.in_constructor()).map(|f| {
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
        });
        quote! {
            #item
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

    /// A setter/constructor parameter type, and the generic it needs.
    /// A setter/constructor parameter type.
    fn param(&self, f: &Field, depth: usize) -> TokenStream {
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

    fn convert(&self, f: &Field, v: TokenStream) -> TokenStream {
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
    fn validate_body(
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
                            body.push(quote!(v.items(#w, value.len(), #ne, #lo, #hi);));
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
                    Ty::Array(_) => quote!(!self.#n.is_empty()),
                    Ty::Bool01 => quote!(self.#n == ::core::option::Option::Some(true)),
                    _ => quote!(self.#n.is_some()),
                }
            };
            let (xa, xb) = (active(fa), active(fb));
            let d = &c.doc;
            quote!(if #xa && #xb { v.conflict(#a, #b, #d); })
        });
        quote!(#(#checks)* #(#conflicts)*)
    }

    fn validate_impl(&self, name: &Ident, fields: &[Field], conflicts: &[Conflict]) -> TokenStream {
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

    fn struct_def(&self, s: &StructDef) -> TokenStream {
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
    fn example_expr(&self, f: &Field, ty: &Ty, depth: usize) -> TokenStream {
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
            Ty::F64 => quote!(0.0),
            Ty::Bool01 => quote!(false),
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
    fn example_impl(
        &self,
        name: &Ident,
        fields: &[Field],
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
            let needed = f.required && !f.fill_random;
            let value = if needed {
                self.example_expr(f, &f.ty, depth)
            } else if optional {
                quote!(::core::option::Option::None)
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

    fn enum_def(&self, e: &EnumDef) -> TokenStream {
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

    fn union_def(&self, u: &UnionDef) -> TokenStream {
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

    fn error_enum(
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

    fn public_error(&self) -> TokenStream {
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

    fn endpoint_module(&self, e: &Endpoint) -> TokenStream {
        let krate = self.krate;
        let m = ident(&e.rust);
        let req = ident("Request");
        let resp = ident("Response");
        let module_doc = doc_attrs(&format!("`{}`: {}", e.path(), e.summary));
        let req_rec = self.record(
            &req,
            &format!("Request body of `{}`.", e.path()),
            &e.request,
            Directions {
                ser: true,
                de: false,
            },
            Shape {
                depth: 2,
                response: false,
                open: e.partial,
            },
        );
        let resp_rec = self.record(&resp, &format!("Response of `{}` (the envelope's `ActionStatus`, `ErrorCode` and `ErrorInfo` are checked by the client).", e.path()), &e.response, Directions { ser: false, de: true }, Shape { depth: 2, response: true, open: e.partial });
        let val = self.validate_impl(&req, &e.request, &e.conflicts);
        let example = self.example_impl(&req, &e.request, 2, e.partial);
        let fills = e
            .request
            .iter()
            .filter(|f| f.fill_random)
            .map(|f| {
                let n = ident(&f.rust);
                quote!(if self.#n.is_none() { self.#n = ::core::option::Option::Some(next()); })
            })
            .collect::<Vec<_>>();
        let next = if fills.is_empty() {
            quote!(_next)
        } else {
            quote!(next)
        };
        let rate_group = match &e.rate.group_key {
            Some(w) => {
                let f = e.request.iter().find(|f| &f.wire == w).expect("checked");
                let n = ident(&f.rust);
                quote! {
                    fn rate_group(&self) -> ::core::option::Option<&str> {
                        ::core::option::Option::Some(&self.#n)
                    }
                }
            }
            None => quote!(),
        };
        let partial = match &e.partial_failure {
            Some(p) => {
                let f = e
                    .response
                    .iter()
                    .find(|f| f.wire == p.list)
                    .expect("checked");
                let n = ident(&f.rust);
                let failed = match &p.entry {
                    None => {
                        quote!(self.#n.iter().map(|item| (item.clone(), ::core::option::Option::None)).collect())
                    }
                    Some((struct_name, item, code)) => {
                        let Some(TypeDef::Struct(elem)) = self.spec.type_def(struct_name) else {
                            unreachable!("checked: the failure list holds a struct")
                        };
                        let rust_of = |w: &str| {
                            ident(
                                &elem
                                    .fields
                                    .iter()
                                    .find(|f| f.wire == w)
                                    .expect("checked")
                                    .rust,
                            )
                        };
                        let (item, code) = (rust_of(item), rust_of(code));
                        quote!(self.#n.iter().map(|f| (f.#item.clone(), ::core::option::Option::Some(f.#code as i64))).collect())
                    }
                };
                quote! {
                    impl #krate::__private::PartialFailures for Response {
                        fn partial_failures(&self) -> usize {
                            self.#n.len()
                        }
                        fn failed_items(&self) -> ::std::vec::Vec<(::std::string::String, ::core::option::Option<i64>)> {
                            #failed
                        }
                    }
                }
            }
            None => quote!(impl #krate::__private::PartialFailures for Response {}),
        };
        let paged = match &e.page {
            Some(p) => {
                let field = |list: &[Field], w: &str| {
                    list.iter().find(|f| f.wire == w).expect("checked").clone()
                };
                let items_f = field(&e.response, &p.items);
                let items = ident(&items_f.rust);
                let Ty::Array(inner) = &items_f.ty else {
                    unreachable!("checked: items is an array")
                };
                let item_ty = self.ty(inner, 2);
                let done = p.done.as_ref().map(|d| {
                    let f = field(&e.response, d);
                    let n = ident(&f.rust);
                    let (_, optional) = self.storage(&f, 2, true);
                    let test = match (f.ty == Ty::Bool01, optional) {
                        (true, true) => quote!(response.#n == ::core::option::Option::Some(true)),
                        (true, false) => quote!(response.#n),
                        (false, true) => quote!(response.#n.is_some_and(|v| v != 0)),
                        (false, false) => quote!(response.#n != 0),
                    };
                    quote!(if #test { return ::core::option::Option::None; })
                });
                let steps = p.cursors.iter().enumerate().map(|(i, (q, r))| {
                    let (qf, rf) = (field(&e.request, q), field(&e.response, r));
                    let (qn, rn) = (ident(&qf.rust), ident(&rf.rust));
                    let cursor_ty = self.ty(&rf.ty, 2);
                    let (_, r_opt) = self.storage(&rf, 2, true);
                    let (_, q_opt) = self.storage(&qf, 2, false);
                    let value = if r_opt { quote!(response.#rn.clone()?) } else { quote!(response.#rn.clone()) };
                    let end = if i == 0 && p.done.is_none() {
                        quote!(if value == <#cursor_ty as ::core::default::Default>::default() { return ::core::option::Option::None; })
                    } else {
                        quote!()
                    };
                    let store = if q_opt { quote!(::core::option::Option::Some(value)) } else { quote!(value) };
                    quote! {
                        let value = #value;
                        #end
                        next.#qn = #store;
                    }
                });
                let offset = p.offset.as_ref().map(|o| {
                    let n = ident(&field(&e.request, o).rust);
                    quote! {
                        if response.#items.is_empty() {
                            return ::core::option::Option::None;
                        }
                        next.#n = ::core::option::Option::Some(self.#n.unwrap_or(0) + response.#items.len() as u32);
                    }
                });
                let d = doc_attrs(&format!("Pages end with the last page, an empty page, or a page that would repeat its request; items are `{}`.", p.items));
                quote! {
                    #d
                    impl #krate::Paged for Request {
                        type Item = #item_ty;
                        fn next_page(&self, response: &Response) -> ::core::option::Option<Self> {
                            #done
                            let mut next = self.clone();
                            #(#steps)*
                            #offset
                            // A page that would repeat its request (no progress) ends it.
                            (next != *self).then_some(next)
                        }
                        fn into_items(response: Response) -> ::std::vec::Vec<Self::Item> {
                            response.#items
                        }
                    }
                }
            }
            None => quote!(),
        };
        let chunk = match &e.chunk {
            Some(c) => {
                let f = e
                    .request
                    .iter()
                    .find(|f| f.wire == c.field)
                    .expect("checked");
                let n = ident(&f.rust);
                let Ty::Array(inner) = &f.ty else {
                    unreachable!("checked: an array")
                };
                let item_ty = self.ty(inner, 2);
                let max = proc_macro2::Literal::usize_unsuffixed(
                    f.limits.max_items.expect("checked") as usize,
                );
                let key = match (&c.key, &**inner) {
                    (Some(k), Ty::Named(s)) => {
                        let Some(TypeDef::Struct(elem)) = self.spec.type_def(s) else {
                            unreachable!("checked: a struct")
                        };
                        let kn = ident(
                            &elem
                                .fields
                                .iter()
                                .find(|f| &f.wire == k)
                                .expect("checked")
                                .rust,
                        );
                        quote!(&item.#kn)
                    }
                    _ => quote!(item),
                };
                let d = doc_attrs(&format!(
                    "`{}` may be split into calls of at most {} items.",
                    c.field,
                    f.limits.max_items.unwrap_or(0)
                ));
                quote! {
                    #d
                    impl #krate::Chunk for Request {
                        type Item = #item_ty;
                        const MAX_ITEMS: usize = #max;
                        fn items(&self) -> &[Self::Item] {
                            &self.#n
                        }
                        fn set_items(&mut self, items: ::std::vec::Vec<Self::Item>) {
                            self.#n = items;
                        }
                        fn item_key(item: &Self::Item) -> &str {
                            #key
                        }
                    }
                }
            }
            None => quote!(),
        };
        let errors: Vec<_> = e
            .errors
            .iter()
            .map(|x| (x.code, x.name.clone(), x.retry, x.doc.clone()))
            .collect();
        let err = self.error_enum(&errors, &ident("Error"), false, &format!("Error codes of `{}`: its documented codes, the shared public codes, and a fallback.", e.path()));
        let (service, command, path) = (&e.service, &e.command, format!("/v4/{}", e.path()));
        let opt_u32 = |v: Option<u32>| match v {
            Some(v) => {
                let v = proc_macro2::Literal::u32_unsuffixed(v);
                quote!(::core::option::Option::Some(#v))
            }
            None => quote!(::core::option::Option::None),
        };
        let per_second = opt_u32(e.rate.per_second);
        let per_group = opt_u32(e.rate.per_group_per_second);
        let group_types = &e.group_types;
        let aliases = &e.aliases;
        let partial_flag = e.partial;
        let rust_name = &e.rust;
        let fill_fields: Vec<&String> = e
            .request
            .iter()
            .filter(|f| f.fill_random)
            .map(|f| &f.wire)
            .collect();
        let file = &e.file;
        let rate_code = lit_i64(e.rate.code);
        let group_key = match &e.rate.group_key {
            Some(k) => quote!(::core::option::Option::Some(#k)),
            None => quote!(::core::option::Option::None),
        };
        let invalid_json_code = lit_i64(e.invalid_json_code);
        let invalid_code = lit_i64(e.invalid_code);
        let opt_code = |c: Option<i64>| match c {
            Some(c) => {
                let c = lit_i64(c);
                quote!(::core::option::Option::Some(#c))
            }
            None => quote!(::core::option::Option::None),
        };
        let field_metas = e.request.iter().map(|f| {
            let w = &f.wire;
            let required = f.required;
            let c = &f.codes;
            let (any, ty, missing, min_items, max_items, max_bytes, max_json_bytes, range) = (
                opt_code(c.any),
                opt_code(c.ty),
                opt_code(c.missing),
                opt_code(c.min_items),
                opt_code(c.max_items),
                opt_code(c.max_bytes),
                opt_code(c.max_json_bytes),
                opt_code(c.range),
            );
                        let opt_u64 = |v: Option<u64>| match v {
                Some(v) => {
                    let v = proc_macro2::Literal::u64_unsuffixed(v);
                    quote!(::core::option::Option::Some(#v))
                }
                None => quote!(::core::option::Option::None),
            };
            let max_items_limit = opt_u64(f.limits.max_items);
            let max_json_limit = opt_u64(f.limits.max_json_bytes);
            quote! {
                #krate::FieldMeta {
                    wire: #w,
                    required: #required,
                    max_items: #max_items_limit,
                    max_json_bytes: #max_json_limit,
                    codes: #krate::FieldCodes { any: #any, ty: #ty, missing: #missing, min_items: #min_items, max_items: #max_items, max_bytes: #max_bytes, max_json_bytes: #max_json_bytes, range: #range },
                }
            }
        });
        let unknown = if e.partial {
            // A partial entry does not know every field: unknown keys pass.
            quote!(::core::option::Option::Some(::core::result::Result::Ok(())))
        } else {
            quote!(::core::option::Option::None)
        };
        let field_types = if self.internal {
            let arms = e.request.iter().map(|f| {
                let w = &f.wire;
                let check = if f.ty == Ty::Bool01 {
                    quote!(#krate::__private::check_bool01(value))
                } else {
                    let t = self.ty(&f.ty, 2);
                    quote!(#krate::__private::check_type::<#t>(value))
                };
                quote!(#w => ::core::option::Option::Some(#check),)
            });
            quote! {
                #[cfg(feature = "raw")]
                impl #krate::__private::FieldTypes for Request {
                    fn check_field(wire: &str, value: &#krate::__private::serde_json::Value) -> ::core::option::Option<::core::result::Result<(), ::std::string::String>> {
                        match wire {
                            #(#arms)*
                            _ => #unknown,
                        }
                    }
                }
            }
        } else {
            quote!()
        };
        let summary = &e.summary;
        let codes: Vec<_> = e.errors.iter().map(|x| lit_i64(x.code)).collect();
        quote! {
            #module_doc
            pub mod #m {
                                #req_rec
                #val
                #example
                #resp_rec
                                #partial
                #chunk
                #paged
                #err
                /// What this endpoint returns.
                pub type Result<T = Response> = ::core::result::Result<T, #krate::Error<Error>>;
                /// Facts about this endpoint from the spec.
                pub const META: #krate::EndpointMeta = #krate::EndpointMeta {
                    name: #rust_name,
                    service: #service,
                    command: #command,
                    path: #path,
                    summary: #summary,
                    per_second: #per_second,
                    per_group_per_second: #per_group,
                    group_types: &[#(#group_types),*],
                    aliases: &[#(#aliases),*],
                                        random_fields: &[#(#fill_fields),*],
                                        rate_limit_code: #rate_code,
                    group_key: #group_key,
                    invalid_json_code: #invalid_json_code,
                    invalid_code: #invalid_code,
                    fields: &[#(#field_metas),*],
                    error_codes: &[#(#codes),*],
                    partial: #partial_flag,
                    spec_file: #file,
                };
                                #field_types
                impl #krate::Endpoint for Request {
                    type Response = Response;
                    type Error = Error;
                    const META: &'static #krate::EndpointMeta = &META;
                                        fn fill_random(&mut self, #next: &mut dyn ::core::ops::FnMut() -> u32) {
                        #(#fills)*
                    }
                    #rate_group
                }
            }
        }
    }

    fn method_doc(&self, e: &Endpoint) -> String {
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

    fn client(&self, mode: &Mode) -> TokenStream {
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

/// An unsuffixed integer literal (negative values as `-N`).
fn lit_i64(v: i64) -> TokenStream {
    let lit = proc_macro2::Literal::u64_unsuffixed(v.unsigned_abs());
    if v < 0 {
        quote!(-#lit)
    } else {
        quote!(#lit)
    }
}

fn retry_text(r: RetryClass) -> &'static str {
    match r {
        RetryClass::Retryable => "retryable",
        RetryClass::RateLimited => "rate-limited: retried after a longer backoff",
        RetryClass::Resign => "re-signs the UserSig and retries once",
        RetryClass::Permanent => "permanent",
    }
}
