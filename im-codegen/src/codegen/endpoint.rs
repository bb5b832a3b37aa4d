//! One module per endpoint: `Request`, `Response`, `Error`, `META`, and the
//! paging, chunking and partial-failure impls the spec asks for.

use proc_macro2::TokenStream;
use quote::quote;

use super::{doc_attrs, ident, lit_i64, Gen, Shape};
use crate::model::*;

/// `Some(v)` / `None` tokens for an optional literal.
fn opt<T>(v: Option<T>, lit: impl Fn(T) -> TokenStream) -> TokenStream {
    match v {
        Some(v) => {
            let v = lit(v);
            quote!(::core::option::Option::Some(#v))
        }
        None => quote!(::core::option::Option::None),
    }
}

fn u64_lit(v: u64) -> TokenStream {
    let v = proc_macro2::Literal::u64_unsuffixed(v);
    quote!(#v)
}

fn u32_lit(v: u32) -> TokenStream {
    let v = proc_macro2::Literal::u32_unsuffixed(v);
    quote!(#v)
}

/// The field of `list` with this wire name (checked to exist by the lowering).
fn field<'f>(list: &'f [Field], wire: &str) -> &'f Field {
    list.iter().find(|f| f.wire == wire).expect("checked")
}

impl Gen<'_> {
    pub(super) fn endpoint_module(&self, e: &Endpoint) -> TokenStream {
        let krate = self.krate;
        let m = ident(&e.rust);
        let req = ident("Request");
        let resp = ident("Response");
        let module_doc = doc_attrs(&format!("`{}`: {}", e.path(), self.endpoint_doc(e, false)));
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
        let example = self.example_impl(&req, &e.request, &e.conflicts, 2, e.partial);
        let partial = self.partial_failures_impl(e);
        let chunk = e.chunk.as_ref().map(|c| self.chunk_impl(e, c));
        let paged = e.page.as_ref().map(|p| self.paged_impl(e, p));
        let errors: Vec<_> = e
            .errors
            .iter()
            .map(|x| (x.code, x.name.clone(), x.retry, x.doc.clone()))
            .collect();
        let err = self.error_enum(&errors, &ident("Error"), false, &format!("Error codes of `{}`: its documented codes, the shared public codes, and a fallback.", e.path()));
        let meta = self.meta(e);
        let field_types = self.field_types_impl(e);
        let endpoint = self.endpoint_impl(e);
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
                #meta
                                #field_types
                #endpoint
            }
        }
    }

    /// `impl Endpoint for Request`: random fills and the rate group.
    fn endpoint_impl(&self, e: &Endpoint) -> TokenStream {
        let krate = self.krate;
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
        let rate_group = e.rate.group_key.as_ref().map(|w| {
            let n = ident(&field(&e.request, w).rust);
            quote! {
                fn rate_group(&self) -> ::core::option::Option<&str> {
                    ::core::option::Option::Some(&self.#n)
                }
            }
        });
        quote! {
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

    /// `impl PartialFailures for Response`: the items a response reports failed.
    fn partial_failures_impl(&self, e: &Endpoint) -> TokenStream {
        let krate = self.krate;
        let Some(p) = &e.partial_failure else {
            return quote!(impl #krate::__private::PartialFailures for Response {});
        };
        let n = ident(&field(&e.response, &p.list).rust);
        let Some((struct_name, item, code)) = &p.entry else {
            return quote! {
                impl #krate::__private::PartialFailures for Response {
                    fn partial_failures(&self) -> usize {
                        self.#n.len()
                    }
                    fn failed_items(&self) -> ::std::vec::Vec<(::std::string::String, ::core::option::Option<i64>)> {
                        self.#n.iter().map(|item| (item.clone(), ::core::option::Option::None)).collect()
                    }
                }
            };
        };
        let Some(TypeDef::Struct(elem)) = self.spec.type_def(struct_name) else {
            unreachable!("checked: the failure list holds a struct")
        };
        let (item_f, code_f) = (field(&elem.fields, item), field(&elem.fields, code));
        let (item, code) = (ident(&item_f.rust), ident(&code_f.rust));
        let code_of = if matches!(code_f.ty, Ty::Named(_)) {
            quote!(f.#code.as_i64())
        } else {
            quote!(f.#code as i64)
        };
        let ok: Vec<_> = p.ok.iter().map(|c| lit_i64(*c)).collect();
        quote! {
            impl #krate::__private::PartialFailures for Response {
                fn partial_failures(&self) -> usize {
                    #krate::__private::PartialFailures::failed_items(self).len()
                }
                fn failed_items(&self) -> ::std::vec::Vec<(::std::string::String, ::core::option::Option<i64>)> {
                    const OK: &[i64] = &[#(#ok),*];
                    self.#n
                        .iter()
                        .filter_map(|f| {
                            let code: i64 = #code_of;
                            (!OK.contains(&code)).then(|| (f.#item.clone(), ::core::option::Option::Some(code)))
                        })
                        .collect()
                }
            }
        }
    }

    /// `impl Paged for Request`: the next page's request from a response.
    fn paged_impl(&self, e: &Endpoint, p: &Page) -> TokenStream {
        let krate = self.krate;
        let items_f = field(&e.response, &p.items);
        let items = ident(&items_f.rust);
        let Ty::Array(inner) = &items_f.ty else {
            unreachable!("checked: items is an array")
        };
        let item_ty = self.ty(inner, 2);
        let done = p.done.as_ref().map(|d| {
            let f = field(&e.response, d);
            let n = ident(&f.rust);
            let (_, optional) = self.storage(f, 2, true);
            let test = match (matches!(f.ty, Ty::Bool01 | Ty::Bool), optional) {
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
            let (_, r_opt) = self.storage(rf, 2, true);
            let (_, q_opt) = self.storage(qf, 2, false);
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
            let f = field(&e.request, o);
            let n = ident(&f.rust);
            let (_, optional) = self.storage(f, 2, false);
            let advance = if optional {
                quote!(next.#n = ::core::option::Option::Some(self.#n.unwrap_or(0) + response.#items.len() as u32);)
            } else {
                quote!(next.#n = self.#n + response.#items.len() as u32;)
            };
            quote! {
                if response.#items.is_empty() {
                    return ::core::option::Option::None;
                }
                #advance
            }
        });
        let from_items = p
            .from_items
            .as_ref()
            .map(|fi| self.next_from_items(e, p, fi));
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
                    #from_items
                    // A page that would repeat its request (no progress) ends it.
                    (next != *self).then_some(next)
                }
                fn into_items(response: Response) -> ::std::vec::Vec<Self::Item> {
                    response.#items
                }
            }
        }
    }

    /// The next request field from the items: smallest minus one or largest plus one.
    fn next_from_items(&self, e: &Endpoint, p: &Page, fi: &FromItems) -> TokenStream {
        let items = ident(&field(&e.response, &p.items).rust);
        let q = field(&e.request, &fi.field);
        let qn = ident(&q.rust);
        let Some(TypeDef::Struct(elem)) = field(&e.response, &p.items)
            .ty
            .named()
            .and_then(|n| self.spec.type_def(n))
        else {
            unreachable!("checked: items are structs")
        };
        let item = ident(&field(&elem.fields, &fi.item).rust);
        let (pick, step) = if fi.descending {
            (quote!(min), quote!(checked_sub(1)))
        } else {
            (quote!(max), quote!(checked_add(1)))
        };
        let (_, optional) = self.storage(q, 2, false);
        let store = if optional {
            quote!(::core::option::Option::Some(value))
        } else {
            quote!(value)
        };
        quote! {
            // An empty page, or a bound at the end of the type, ends it.
            let value = response.#items.iter().map(|i| i.#item).#pick()?.#step?;
            next.#qn = #store;
        }
    }

    /// `impl Chunk for Request`: the list that may be split across calls.
    fn chunk_impl(&self, e: &Endpoint, c: &ChunkSpec) -> TokenStream {
        let krate = self.krate;
        let f = field(&e.request, &c.field);
        let n = ident(&f.rust);
        let Ty::Array(inner) = &f.ty else {
            unreachable!("checked: an array")
        };
        let item_ty = self.ty(inner, 2);
        let max =
            proc_macro2::Literal::usize_unsuffixed(f.limits.max_items.expect("checked") as usize);
        let key = match (&c.key, &**inner) {
            (Some(k), Ty::Named(s)) => {
                let Some(TypeDef::Struct(elem)) = self.spec.type_def(s) else {
                    unreachable!("checked: a struct")
                };
                let kn = ident(&field(&elem.fields, k).rust);
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

    /// `META`: the facts about this endpoint the runtime and the emulator use.
    fn meta(&self, e: &Endpoint) -> TokenStream {
        let krate = self.krate;
        let (service, command, path) = (&e.service, &e.command, format!("/v4/{}", e.path()));
        let per_second = opt(e.rate.per_second, u32_lit);
        let per_group = opt(e.rate.per_group_per_second, u32_lit);
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
        let field_metas = e.request.iter().map(|f| self.field_meta(f));
        let quotas = e.rate.quotas.iter().map(|q| {
            let (limit, window, code) = (
                u64_lit(q.limit),
                u64_lit(q.per.seconds()),
                lit_i64(q.code),
            );
            let count = match &q.count {
                Some(c) => quote!(::core::option::Option::Some(#c)),
                None => quote!(::core::option::Option::None),
            };
            quote!(#krate::Quota { limit: #limit, window_secs: #window, count: #count, code: #code })
        });
        let summary = &e.summary;
        let codes: Vec<_> = e.errors.iter().map(|x| lit_i64(x.code)).collect();
        let some_str = |v: Option<&String>| match v {
            Some(s) => quote!(::core::option::Option::Some(#s)),
            None => quote!(::core::option::Option::None),
        };
        let paged_items = some_str(e.page.as_ref().map(|p| &p.items));
        let chunk_field = some_str(e.chunk.as_ref().map(|c| &c.field));
        quote! {
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
                quotas: &[#(#quotas),*],
                paged_items: #paged_items,
                chunk_field: #chunk_field,
                partial: #partial_flag,
                spec_file: #file,
            };
        }
    }

    /// One request field's `FieldMeta`: its limits and codes for the emulator.
    fn field_meta(&self, f: &Field) -> TokenStream {
        let krate = self.krate;
        let w = &f.wire;
        let required = f.required;
        let c = &f.codes;
        // Only the codes the spec gives; the rest from `FieldCodes::NONE`
        // (most fields have none: a short constant instead of eight `None`s).
        let set = c
            .entries()
            .into_iter()
            .filter_map(|(key, code)| {
                // The spec's `type` is the field `ty` of im_api::FieldCodes.
                let name = ident(if key == "type" { "ty" } else { key });
                code.map(|code| {
                    let code = lit_i64(code);
                    quote!(#name: ::core::option::Option::Some(#code),)
                })
            })
            .collect::<Vec<_>>();
        let codes = if set.is_empty() {
            quote!(#krate::FieldCodes::NONE)
        } else {
            quote!(#krate::FieldCodes { #(#set)* ..#krate::FieldCodes::NONE })
        };
        let max_items_limit = opt(f.limits.max_items, u64_lit);
        let max_json_limit = opt(f.limits.max_json_bytes, u64_lit);
        quote! {
            #krate::FieldMeta {
                wire: #w,
                required: #required,
                max_items: #max_items_limit,
                max_json_bytes: #max_json_limit,
                codes: #codes,
            }
        }
    }

    /// `FieldTypes` (im-api only, feature `raw`): checks one raw field's JSON type.
    fn field_types_impl(&self, e: &Endpoint) -> TokenStream {
        if !self.internal {
            return quote!();
        }
        let krate = self.krate;
        let unknown = if e.partial {
            // A partial entry does not know every field: unknown keys pass.
            quote!(::core::option::Option::Some(::core::result::Result::Ok(())))
        } else {
            quote!(::core::option::Option::None)
        };
        let arms = e.request.iter().map(|f| {
            let w = &f.wire;
            let check = if f.ty == Ty::Bool01 {
                quote!(#krate::__private::check_bool01(value))
            } else if f.ty == Ty::I64OrString {
                quote!(#krate::__private::check_i64_or_string(value))
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
    }
}
