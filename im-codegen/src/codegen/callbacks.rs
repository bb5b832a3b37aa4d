//! The `callbacks` module: one typed payload per `[[callback]]` command, the
//! `Event` enum over all of them, and typed answers for before-callbacks.

use proc_macro2::TokenStream;
use quote::quote;

use super::Gen;

impl Gen<'_> {
    /// The `callbacks` module (im-api only; empty when the spec has none).
    pub(super) fn callbacks_module(&self) -> TokenStream {
        if !self.internal || self.spec.callbacks.is_empty() {
            return quote!();
        }
        quote!()
    }
}
