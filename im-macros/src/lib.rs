//! Proc macros that expand Tencent IM spec files into typed Rust.
//!
//! A thin entry point: read the arguments and the spec files, hand them to
//! [`im_codegen`], and turn spec problems into compile errors that name
//! `file:line:col`, the entry and the field.
//!
//! ```ignore
//! // In another crate: endpoints from your own spec, as a trait on im_api::Client,
//! // all inside the module `extra_api`.
//! im_macros::generate!(path = "specs/extra.toml", ext_trait = "ExtraApi", module = "extra_api");
//! ```

use std::path::{Path, PathBuf};

use im_codegen::{Mode, Options, Source};
use proc_macro::TokenStream;
use proc_macro2::Span;
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::{Ident, LitStr, Token};

/// Generate request/response types, error enums, validation and client
/// methods from spec files.
///
/// Arguments (comma-separated):
/// - `path = "dir-or-file"`: a `.toml` spec file, or a directory whose `.toml`
///   files are all read (sorted by name). Relative to `CARGO_MANIFEST_DIR`.
/// - `inline = "toml text", file = "name.toml"`: a spec given in place (used by
///   compile-fail tests); `file` is the name shown in errors.
/// - `ext_trait = "Name"`: emit the client methods as a trait implemented for
///   `im_api::Client` (for crates other than `im-api`). Shared types and the
///   error catalogue of `im-api` are available to the spec.
/// - `module = "my_api"`: with `ext_trait`, the module everything is emitted
///   into (`my_api::api`, `my_api::types`, `my_api::ENDPOINTS`, the trait);
///   defaults to the trait name in snake_case. Nothing else is added to the
///   calling module, so `use im_api::api;` beside the macro still works.
/// - `internal`: used by `im-api` itself (inherent methods, `PublicError`).
///
/// Cargo rebuilds when a spec file changes: every file read is tracked with
/// `include_bytes!`. A file added to a spec directory is noticed on the next
/// build of the invoking crate (im-api's build script watches `specs/`).
#[proc_macro]
pub fn generate(input: TokenStream) -> TokenStream {
    let args = syn::parse_macro_input!(input as Args);
    expand(args)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

enum Arg {
    Internal,
    Path(LitStr),
    Inline(LitStr),
    File(LitStr),
    ExtTrait(LitStr),
    Module(LitStr),
}

struct Args(Vec<(Ident, Arg)>);

impl Parse for Args {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut out = Vec::new();
        while !input.is_empty() {
            let key: Ident = input.parse()?;
            let arg = if key == "internal" {
                Arg::Internal
            } else {
                input.parse::<Token![=]>()?;
                let lit: LitStr = input.parse()?;
                match key.to_string().as_str() {
                    "path" => Arg::Path(lit),
                    "inline" => Arg::Inline(lit),
                    "file" => Arg::File(lit),
                    "ext_trait" => Arg::ExtTrait(lit),
                    "module" => Arg::Module(lit),
                    other => {
                        return Err(syn::Error::new(
                            key.span(),
                            format!("unknown argument `{other}`: expected path, inline, file, ext_trait, module or internal"),
                        ))
                    }
                }
            };
            out.push((key, arg));
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        Ok(Args(out))
    }
}

fn expand(args: Args) -> syn::Result<proc_macro2::TokenStream> {
    let mut internal = false;
    let (mut path, mut inline, mut file, mut ext, mut module) = (None, None, None, None, None);
    for (_, a) in args.0 {
        match a {
            Arg::Internal => internal = true,
            Arg::Path(l) => path = Some(l),
            Arg::Inline(l) => inline = Some(l),
            Arg::File(l) => file = Some(l),
            Arg::ExtTrait(l) => ext = Some(l),
            Arg::Module(l) => module = Some(l),
        }
    }
    let mode = match (internal, &ext) {
        (true, None) => Mode::Internal,
        (false, Some(t)) => {
            if !im_codegen::names::is_upper_camel(&t.value()) {
                return Err(syn::Error::new(
                    t.span(),
                    "`ext_trait` must be an UpperCamelCase trait name",
                ));
            }
            let module = match &module {
                Some(m)
                    if im_codegen::names::is_snake(&m.value())
                        && !im_codegen::names::is_keyword(&m.value()) =>
                {
                    m.value()
                }
                Some(m) => {
                    return Err(syn::Error::new(
                        m.span(),
                        "`module` must be a snake_case module name",
                    ))
                }
                None => im_codegen::names::snake_case(&t.value()),
            };
            Mode::Extension {
                trait_name: t.value(),
                module,
            }
        }
        (true, Some(t)) => {
            return Err(syn::Error::new(
                t.span(),
                "`internal` and `ext_trait` exclude each other",
            ))
        }
        (false, None) => {
            return Err(syn::Error::new(
                Span::call_site(),
                "missing `ext_trait = \"Name\"`: the trait that carries this spec's methods",
            ))
        }
    };
    let (sources, tracked, span) = match (&path, &inline) {
        (Some(p), None) => {
            let (sources, tracked) = read_specs(p)?;
            (sources, tracked, p.span())
        }
        (None, Some(text)) => {
            let name = file
                .as_ref()
                .map_or_else(|| "<inline>".to_owned(), LitStr::value);
            (
                vec![Source {
                    name,
                    text: text.value(),
                }],
                Vec::new(),
                text.span(),
            )
        }
        _ => {
            return Err(syn::Error::new(
                Span::call_site(),
                "give exactly one of `path = \"…\"` or `inline = \"…\"`",
            ))
        }
    };
    let (tokens, diags) = im_codegen::expand(&sources, &Options { mode });
    let track = tracked.iter().map(|p| {
        let p = p.to_string_lossy().into_owned();
        quote!(
            const _: &[u8] = ::core::include_bytes!(#p);
        )
    });
    let errors = diags
        .iter()
        .map(|d| syn::Error::new(span, d.to_string()).into_compile_error());
    Ok(quote! {
        #(#track)*
        #(#errors)*
        #tokens
    })
}

fn read_specs(lit: &LitStr) -> syn::Result<(Vec<Source>, Vec<PathBuf>)> {
    let rel = lit.value();
    let base = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_default();
    let full = base.join(&rel);
    let err = |msg: String| syn::Error::new(lit.span(), msg);
    let mut files = Vec::new();
    if full.is_dir() {
        let entries = std::fs::read_dir(&full)
            .map_err(|e| err(format!("cannot read spec directory {rel}: {e}")))?;
        for entry in entries {
            let p = entry
                .map_err(|e| err(format!("cannot read spec directory {rel}: {e}")))?
                .path();
            if p.extension().is_some_and(|x| x == "toml") {
                files.push(p);
            }
        }
        files.sort();
        if files.is_empty() {
            return Err(err(format!("no .toml spec files in {rel}")));
        }
    } else if full.is_file() {
        files.push(full.clone());
    } else {
        return Err(err(format!(
            "spec path {rel} does not exist (relative to {})",
            base.display()
        )));
    }
    let mut sources = Vec::new();
    for p in &files {
        let text = std::fs::read_to_string(p)
            .map_err(|e| err(format!("cannot read {}: {e}", p.display())))?;
        sources.push(Source {
            name: display_name(&rel, &full, p),
            text,
        });
    }
    Ok((sources, files))
}

/// The name shown in errors: the path as the user wrote it, plus the file.
fn display_name(rel: &str, full: &Path, file: &Path) -> String {
    if full == file {
        rel.to_owned()
    } else {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        format!("{}/{}", rel.trim_end_matches('/'), name)
    }
}
