//! Model to tokens, split by what it emits:
//!
//! - `types`: shared structs, enums and unions (records with constructors and setters);
//! - `validate`: the pre-send checks of request-side records;
//! - `example`: example values for the offline tests (feature `raw`);
//! - `errors`: error-code enums (per endpoint and `PublicError`);
//! - `endpoint`: one module per endpoint (`Request`, `Response`, `Error`, `META`, paging, chunking);
//! - `client`: the methods on `im_api::Client` (inherent or an extension trait).
//!
//! Output is deterministic (declaration order, files sorted) and uses fully
//! qualified paths so user code cannot shadow anything.

mod callbacks;
mod client;
mod docs;
mod endpoint;
mod enums;
mod errors;
mod example;
mod serde;
mod types;
mod validate;

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
    Extension {
        trait_name: String,
        /// The module everything is emitted into (`my_api`), so nothing the
        /// macro declares collides with the caller's names.
        module: String,
    },
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
        let items = local_types.iter().map(|t| g.gated_type(t));
        quote! {
            /// Shared types declared by the spec (message elements, push settings and more).
            pub mod types {
                #(#items)*
            }
        }
    };
    let public = match opts.mode {
        Mode::Internal => {
            let (p, c) = (g.public_error(), g.catalogue());
            quote!(#p #c)
        }
        Mode::Extension { .. } => quote!(),
    };
    let modules = spec.endpoints.iter().map(|e| {
        let cfg = g.family_cfg(e);
        let m = g.endpoint_module(e);
        quote!(#cfg #m)
    });
    let metas = spec.endpoints.iter().map(|e| {
        let cfg = g.family_cfg(e);
        let m = ident(&e.rust);
        quote!(#cfg &api::#m::META)
    });
    let client = g.client(&opts.mode);
    let routes = if g.internal {
        let routes = spec.endpoints.iter().map(|e| {
            let cfg = g.family_cfg(e);
            let m = ident(&e.rust);
            quote!(#cfg #krate::raw::Route::of::<api::#m::Request>())
        });
        quote! {
            /// Every endpoint with the parser the emulator checks its bodies with.
            #[cfg(feature = "raw")]
            pub const ROUTES: &[#krate::raw::Route] = &[#(#routes),*];
        }
    } else {
        quote!()
    };
    let callbacks = g.callbacks_module();
    let body = quote! {
        #types
        #public
        #callbacks
        /// One module per endpoint: `Request`, `Response`, the endpoint's `Error` codes and `META`.
        pub mod api {
            #(#modules)*
        }
        /// Every endpoint this spec declares, in declaration order.
                pub const ENDPOINTS: &[&#krate::EndpointMeta] = &[#(#metas),*];
        #routes
        #client
    };
    match &opts.mode {
        Mode::Internal => body,
        Mode::Extension { trait_name, module } => {
            let m = ident(module);
            let doc = format!(
                " Endpoints of this crate's own spec: `api`, `types`, `ENDPOINTS` and the `{trait_name}` trait (methods on `im_api::Client`)."
            );
            quote! {
                #[doc = #doc]
                pub mod #m {
                    #body
                }
            }
        }
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

impl Gen<'_> {
    /// Inside im-api, the cargo feature of `e`'s family
    /// (`#[cfg(feature = "group-message")]`); nothing in other crates, whose
    /// features are their own.
    fn family_cfg(&self, e: &Endpoint) -> TokenStream {
        if !self.internal {
            return quote!();
        }
        let f = e.family();
        quote!(#[cfg(feature = #f)])
    }

    /// A shared type, inside im-api compiled only with a feature of a family
    /// that uses it (always when callbacks use it, or nothing does).
    fn gated_type(&self, t: &TypeDef) -> TokenStream {
        let items = self.type_def(t);
        let families = match self.spec.type_families.get(t.name()) {
            Some(f) if self.internal && !f.is_empty() => f,
            _ => return items,
        };
        let krate = self.krate;
        let features = families.iter().map(|f| quote!(feature = #f));
        quote! {
            #krate::__cfg_items! {
                #[cfg(any(#(#features),*))]
                #items
            }
        }
    }
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
            Ty::Bool01 | Ty::Bool => quote!(bool),
            Ty::Json => quote!(#krate::__private::serde_json::Value),
            Ty::I64OrString => quote!(i64),
            Ty::Array(inner) => {
                let inner = self.ty(inner, depth);
                quote!(::std::vec::Vec<#inner>)
            }
            Ty::Map(inner) => {
                let inner = self.ty(inner, depth);
                quote!(::std::collections::BTreeMap<::std::string::String, #inner>)
            }
            Ty::Named(n) => self.named_path(n, depth),
        }
    }

    /// How a field is stored: (type tokens, is Option, is Vec defaulting to empty).
    fn storage(&self, f: &Field, depth: usize, response: bool) -> (TokenStream, bool) {
        let base = self.ty(&f.ty, depth);
        let is_vec = f.ty.is_collection();
        let optional = if response {
            !(is_vec || f.required)
        } else {
            !is_vec && (!f.required || f.fill_random)
        };
        if optional {
            (quote!(::core::option::Option<#base>), true)
        } else {
            (base, false)
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

    /// The std derives of a record (serde impls are written out by `serde.rs`).
    fn derives(&self, eq: bool, default: bool) -> TokenStream {
        let mut list = vec![quote!(Debug), quote!(Clone), quote!(PartialEq)];
        if eq {
            list.push(quote!(Eq));
        }
        if default {
            list.push(quote!(Default));
        }
        quote!(#[derive(#(#list),*)])
    }

    fn is_eq(&self, ty: &Ty) -> bool {
        match ty {
            Ty::F64 | Ty::Json => false,
            Ty::Array(inner) | Ty::Map(inner) => self.is_eq(inner),
            Ty::Named(n) => match self.spec.type_def(n) {
                Some(TypeDef::Struct(s)) => s.fields.iter().all(|f| self.is_eq(&f.ty)),
                Some(TypeDef::Enum(_)) => true,
                // unions keep unknown content as a JSON value
                _ => false,
            },
            _ => true,
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
