//! The generator behind `im-macros`, as plain functions: parse spec files,
//! lower them into a checked model (collecting every problem with its
//! `file:line:col`), then generate tokens.
//!
//! ```text
//! Source(s) --load--> Spec --generate--> TokenStream
//! ```

mod check;
mod codegen;
mod diag;
mod lower;
mod model;
pub mod names;
mod raw;

pub use codegen::{generate, Mode, Options};
pub use diag::{Diagnostic, Diagnostics, Location, Source};
pub use lower::{load, load_partial};
pub use model::*;

/// The spec files of `im-api` that declare the shared types and the error
/// catalogue. Extension crates resolve names against these.
pub fn builtin_sources() -> Vec<Source> {
    vec![
        Source {
            name: "im-api:specs/errors.toml".into(),
            text: include_str!("../../specs/errors.toml").into(),
        },
        Source {
            name: "im-api:specs/types.toml".into(),
            text: include_str!("../../specs/types.toml").into(),
        },
    ]
}

/// Load and generate in one step. On spec errors, the tokens still hold
/// everything that checked out, and the diagnostics say what did not.
pub fn expand(sources: &[Source], opts: &Options) -> (proc_macro2::TokenStream, Diagnostics) {
    let builtin = match opts.mode {
        Mode::Internal => Vec::new(),
        Mode::Extension { .. } => builtin_sources(),
    };
    let (spec, diags) = load_partial(sources, &builtin);
    (generate(&spec, opts), diags)
}
