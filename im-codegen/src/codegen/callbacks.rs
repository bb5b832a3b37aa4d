//! The `callbacks` module: one typed payload per `[[callback]]` command, the
//! `Event` enum over all of them, typed answers for before-callbacks, and the
//! `CALLBACKS` table the runtime (`im_api::callbacks`) and the emulator read.
//!
//! Payloads are response-side records (no builder; unknown keys are ignored
//! on decode), `Deserialize` for apps and `Serialize` under `raw` for the
//! emulator. Answers are records too: the envelope (`ActionStatus`,
//! `ErrorCode`, `ErrorInfo`) plus the spec's `answer` fields, built with
//! `allow()`, `refuse()`, `reject(code, info)`, `drop_silently()` and setters.

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use super::{doc_attrs, ident, lit_i64, Gen, Shape};
use crate::model::*;

/// The answer envelope every callback answer carries.
fn envelope_fields() -> Vec<Field> {
    let mut status = Field::plain("ActionStatus", Ty::String);
    status.doc = "`OK` when the app processed the callback (refusals included: the verdict is `ErrorCode`); `FAIL` otherwise.".into();
    let mut code = Field::plain("ErrorCode", Ty::I64);
    code.required = true;
    code.doc = "The verdict: 0 lets the event proceed; other values are described on the answer's constructors.".into();
    let mut info = Field::plain("ErrorInfo", Ty::String);
    info.doc = "Text passed on with a custom refusal code; empty otherwise.".into();
    vec![status, code, info]
}

fn answer_name(c: &Callback) -> String {
    format!("{}Answer", c.variant)
}

fn some(v: Option<i64>) -> TokenStream {
    match v {
        Some(v) => {
            let v = lit_i64(v);
            quote!(::core::option::Option::Some(#v))
        }
        None => quote!(::core::option::Option::None),
    }
}

impl Gen<'_> {
    /// The `callbacks` module (im-api only; empty when the spec has none).
    pub(super) fn callbacks_module(&self) -> TokenStream {
        if !self.internal || self.spec.callbacks.is_empty() {
            return quote!();
        }
        let payloads = self.spec.callbacks.iter().map(|c| self.callback_payload(c));
        let answers = self
            .spec
            .callbacks
            .iter()
            .filter(|c| c.kind == CallbackKind::Before)
            .map(|c| self.callback_answer(c));
        let event = self.callback_event();
        let table = self.callback_table();
        quote! {
            /// Callbacks (webhooks) Tencent POSTs to the app: one payload
            /// type per command, the [`Event`] enum over all of them, typed
            /// answers for before-callbacks and the [`CALLBACKS`] table.
            /// Re-exported with the runtime (verification, dispatch) as
            /// `im_api::callbacks`.
            pub mod callbacks {
                #(#payloads)*
                #(#answers)*
                #event
                #table
            }
        }
    }

    fn callback_doc(&self, c: &Callback) -> String {
        let mut s = format!("{}\n\n", c.summary);
        if !c.doc.is_empty() {
            s.push_str(&c.doc);
            s.push_str("\n\n");
        }
        match c.kind {
            CallbackKind::Before => s.push_str(&format!(
                "Command `{}`, a before-callback: Tencent acts on the answer, built with [`{}`] and converted into an [`Answer`](crate::callbacks::Answer).",
                c.command,
                answer_name(c)
            )),
            CallbackKind::After => s.push_str(&format!(
                "Command `{}`, an after-callback: Tencent ignores the answer ([`Answer::ok`](crate::callbacks::Answer::ok)).",
                c.command
            )),
        }
        if c.peer_sourced {
            s.push_str(
                "\n\nNo Tencent page documents this command: its fields come from peer SDKs.",
            );
        }
        let links: Vec<String> = c
            .sources
            .iter()
            .filter(|u| u.starts_with("http"))
            .map(|u| {
                format!(
                    "[{}]({u})",
                    u.trim_start_matches("https://")
                        .trim_start_matches("http://")
                )
            })
            .collect();
        if !links.is_empty() {
            s.push_str(&format!(
                "\n\nTencent's documentation: {}.",
                links.join(", ")
            ));
        }
        s
    }

    /// The payload record of one command (the body without `CallbackCommand`).
    fn callback_payload(&self, c: &Callback) -> TokenStream {
        let name = ident(&c.variant);
        self.record(
            &name,
            &self.callback_doc(c),
            &c.request,
            Directions {
                ser: false,
                de: true,
            },
            Shape {
                depth: 1,
                response: true,
                open: false,
            },
        )
    }

    /// The typed answer of a before-callback: envelope plus answer fields.
    fn callback_answer(&self, c: &Callback) -> TokenStream {
        let krate = self.krate;
        let name = ident(&answer_name(c));
        let mut fields = envelope_fields();
        fields.extend(c.answer.iter().cloned());
        let doc = format!(
            "The answer to `{}` ([`{}`]): `allow()` and the other constructors set the verdict, the setters the documented answer fields. Convert it into an [`Answer`](crate::callbacks::Answer) with `.into()`.",
            c.command, c.variant
        );
        let rec = self.record(
            &name,
            &doc,
            &fields,
            Directions {
                ser: true,
                de: false,
            },
            Shape {
                depth: 1,
                response: true,
                open: false,
            },
        );
        let inits = fields.iter().map(|f| {
            let n = ident(&f.rust);
            let value = match f.wire.as_str() {
                "ActionStatus" => quote!(::core::option::Option::Some(
                    ::std::string::String::from("OK")
                )),
                "ErrorCode" => quote!(code),
                "ErrorInfo" => quote!(::core::option::Option::Some(::std::string::String::new())),
                _ => match (&f.ty, f.required) {
                    (Ty::Array(_), _) => quote!(::std::vec::Vec::new()),
                    (Ty::Map(_), _) => quote!(::std::collections::BTreeMap::new()),
                    (_, false) => quote!(::core::option::Option::None),
                    (_, true) => quote!(::core::default::Default::default()),
                },
            };
            quote!(#n: #value,)
        });
        let command = &c.command;
        let mut ctors = vec![quote! {
            fn with_code(code: i64) -> Self {
                Self { #(#inits)* }
            }
            /// Lets the event proceed (`ErrorCode` 0), unchanged unless a setter adds answer fields.
            #[must_use]
            pub fn allow() -> Self {
                Self::with_code(0)
            }
            /// Sets `ErrorInfo`, the text passed on with a refusal.
            #[must_use]
            pub fn error_info(mut self, text: impl ::core::convert::Into<::std::string::String>) -> Self {
                self.error_info = ::core::option::Option::Some(text.into());
                self
            }
        }];
        if let Some(r) = &c.reject {
            let code = lit_i64(r.code);
            let mut d = format!("Refuses the event (`ErrorCode` {}).", r.code);
            if let Some(result) = r.result {
                d.push_str(&format!(" The caller gets {result}."));
            }
            if !r.doc.is_empty() {
                d.push_str(&format!(" {}", r.doc));
            }
            let d = doc_attrs(&d);
            ctors.push(quote! {
                #d
                #[must_use]
                pub fn refuse() -> Self {
                    Self::with_code(#code)
                }
            });
        }
        if let Some((min, max)) = c.custom_codes {
            let (lo, hi) = (lit_i64(min), lit_i64(max));
            let d = if c.reject.is_some() {
                doc_attrs(&format!("The documented range of custom refusal codes, passed on to the caller with `ErrorInfo` ([`{}::reject`]).", answer_name(c)))
            } else {
                doc_attrs("The documented range of the per-item refusal codes in the answer's list (the top-level `ErrorCode` stays 0; a non-zero one means the app failed and the event proceeds).")
            };
            ctors.push(quote! {
                #d
                pub const CUSTOM_CODES: ::core::ops::RangeInclusive<i64> = #lo..=#hi;
            });
            if let Some(r) = &c.reject {
                let plain = lit_i64(r.code);
                let d = doc_attrs(&format!(
                    "Refuses the event with `code` and `info`, passed on to the caller. `code` must lie in [`{0}::CUSTOM_CODES`] ({min} to {max}) or be the plain refusal code {1}; any other code is an error.",
                    answer_name(c),
                    r.code
                ));
                ctors.push(quote! {
                    #d
                    pub fn reject(
                        code: i64,
                        info: impl ::core::convert::Into<::std::string::String>,
                    ) -> ::core::result::Result<Self, #krate::callbacks::AnswerCodeError> {
                        if code == #plain || Self::CUSTOM_CODES.contains(&code) {
                            ::core::result::Result::Ok(Self::with_code(code).error_info(info))
                        } else {
                            ::core::result::Result::Err(#krate::callbacks::AnswerCodeError {
                                command: #command,
                                code,
                                min: #lo,
                                max: #hi,
                            })
                        }
                    }
                });
            }
        }
        if let Some(drop) = c.drop {
            let code = lit_i64(drop);
            let d = doc_attrs(&format!(
                "Drops the event silently (`ErrorCode` {drop}): nothing is delivered and the caller sees success."
            ));
            ctors.push(quote! {
                #d
                #[must_use]
                pub fn drop_silently() -> Self {
                    Self::with_code(#code)
                }
            });
        }
        if let Some(body) = c.answer.iter().find(|f| f.wire == "MsgBody") {
            let p = self.param(body, 1);
            let n = ident(&body.rust);
            ctors.push(quote! {
                /// Lets the message through with this body instead of the sent one.
                #[must_use]
                pub fn rewrite(body: #p) -> Self {
                    Self::allow().#n(body)
                }
            });
        }
        let setters = c.answer.iter().map(|f| self.setter(f, 1));
        quote! {
            #rec
            impl #name {
                #(#ctors)*
                #(#setters)*
            }
            impl ::core::convert::From<#name> for #krate::callbacks::Answer {
                fn from(answer: #name) -> Self {
                    #krate::callbacks::Answer::from_record(&answer)
                }
            }
        }
    }

    /// `Event`: one variant per command plus `Unknown`, with dispatch by command.
    fn callback_event(&self) -> TokenStream {
        let krate = self.krate;
        let cbs = &self.spec.callbacks;
        let variants: Vec<Ident> = cbs.iter().map(|c| ident(&c.variant)).collect();
        let commands: Vec<&str> = cbs.iter().map(|c| c.command.as_str()).collect();
        let docs = cbs
            .iter()
            .map(|c| doc_attrs(&format!("`{}`: {}", c.command, c.summary)));
        let index = (0..cbs.len()).map(proc_macro2::Literal::usize_unsuffixed);
        let decode = variants.iter().zip(&commands).map(
            |(v, c)| quote!(#c => #krate::__private::serde_json::from_value(body).map(Self::#v),),
        );
        quote! {
            /// A decoded callback: the payload of a known command, or the raw
            /// body of one this version does not know.
            #[derive(Debug, Clone, PartialEq)]
            #[non_exhaustive]
            #[allow(clippy::large_enum_variant)]
            pub enum Event {
                #( #docs #variants(#variants), )*
                /// A command this version does not know, kept as sent.
                Unknown {
                    /// The command word (`CallbackCommand`).
                    command: ::std::string::String,
                    /// The JSON body as sent.
                    body: #krate::__private::serde_json::Value,
                },
            }

            impl Event {
                /// Decodes the body of `command` (the query's `CallbackCommand`).
                /// Unknown keys are ignored and an unknown command gives
                /// [`Event::Unknown`]; a known command whose body lacks a
                /// required field or has a wrong type is an error.
                pub fn decode(
                    command: &str,
                    body: #krate::__private::serde_json::Value,
                ) -> ::core::result::Result<Self, #krate::__private::serde_json::Error> {
                    match command {
                        #(#decode)*
                        _ => ::core::result::Result::Ok(Self::Unknown {
                            command: ::std::string::String::from(command),
                            body,
                        }),
                    }
                }

                /// The command word, e.g. `C2C.CallbackBeforeSendMsg`.
                pub fn command(&self) -> &str {
                    match self {
                        #( Self::#variants(_) => #commands, )*
                        Self::Unknown { command, .. } => command,
                    }
                }

                /// The command's entry in [`CALLBACKS`] (`None` for [`Event::Unknown`]).
                pub fn meta(&self) -> ::core::option::Option<&'static #krate::callbacks::CallbackMeta> {
                    match self {
                        #( Self::#variants(_) => ::core::option::Option::Some(&CALLBACKS[#index]), )*
                        Self::Unknown { .. } => ::core::option::Option::None,
                    }
                }

                /// Before (the answer decides) or after (a notification); `None` when unknown.
                pub fn kind(&self) -> ::core::option::Option<#krate::callbacks::CallbackKind> {
                    self.meta().map(|m| m.kind)
                }

                /// The JSON body Tencent sends for this event: the payload
                /// plus `CallbackCommand` (except for the commands whose body
                /// does not carry it). Used by the emulator.
                #[cfg(feature = "raw")]
                pub fn to_body(&self) -> #krate::__private::serde_json::Value {
                    let encoded = match self {
                        #( Self::#variants(p) => #krate::__private::serde_json::to_value(p), )*
                        Self::Unknown { body, .. } => return body.clone(),
                    };
                    let mut value = encoded.unwrap_or(#krate::__private::serde_json::Value::Null);
                    let command = self.command();
                    let carries = #krate::callbacks::CallbackMeta::body_carries_command(command);
                    if let (true, #krate::__private::serde_json::Value::Object(m)) = (carries, &mut value) {
                        m.insert(
                            ::std::string::String::from("CallbackCommand"),
                            #krate::__private::serde_json::Value::String(::std::string::String::from(command)),
                        );
                    }
                    value
                }
            }
        }
    }

    /// `CALLBACKS`: command, kind, answer codes and timeout default of every command.
    fn callback_table(&self) -> TokenStream {
        let krate = self.krate;
        let entries = self.spec.callbacks.iter().map(|c| {
            let command = &c.command;
            let summary = &c.summary;
            let kind = match c.kind {
                CallbackKind::Before => quote!(#krate::callbacks::CallbackKind::Before),
                CallbackKind::After => quote!(#krate::callbacks::CallbackKind::After),
            };
            let reject_code = some(c.reject.as_ref().map(|r| r.code));
            let reject_result = some(c.reject.as_ref().and_then(|r| r.result));
            let drop_code = some(c.drop);
            let custom = match c.custom_codes {
                Some((a, b)) => {
                    let (a, b) = (lit_i64(a), lit_i64(b));
                    quote!(::core::option::Option::Some((#a, #b)))
                }
                None => quote!(::core::option::Option::None),
            };
            // After-callbacks never hold anything up; before-callbacks
            // proceed on timeout unless the spec says they refuse.
            let proceeds = c.proceeds_on_timeout.unwrap_or(true);
            let query = match &c.query {
                Some(q) => quote!(::core::option::Option::Some(&[#(#q),*] as &[&str])),
                None => quote!(::core::option::Option::None),
            };
            let peer = c.peer_sourced;
            quote! {
                #krate::callbacks::CallbackMeta {
                    command: #command,
                    kind: #kind,
                    summary: #summary,
                    reject_code: #reject_code,
                    reject_result: #reject_result,
                    drop_code: #drop_code,
                    custom_codes: #custom,
                    proceeds_on_timeout: #proceeds,
                    query: #query,
                    peer_sourced: #peer,
                }
            }
        });
        quote! {
            /// Every callback command of the spec, in the order of [`Event`]'s variants.
            pub const CALLBACKS: &[#krate::callbacks::CallbackMeta] = &[#(#entries),*];
        }
    }
}
