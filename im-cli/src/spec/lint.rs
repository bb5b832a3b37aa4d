//! `im spec lint`: the validation the build runs (`im_codegen::load`), every
//! problem with its `file:line:col`, without compiling anything.

use std::path::Path;

use super::{read_sources, FOUND};
use crate::{invalid, Exit};

pub fn run(dir: &Path, ext: bool) -> Exit {
    let sources = match read_sources(dir) {
        Ok(s) => s,
        Err(e) => return invalid(e),
    };
    let builtin = if ext {
        im_codegen::builtin_sources()
    } else {
        Vec::new()
    };
    match im_codegen::load(&sources, &builtin) {
        Ok(spec) => {
            outln!(
                "{}: {} file(s), {} endpoints, {} callbacks, {} types: no problems",
                dir.display(),
                sources.len(),
                spec.endpoints.len(),
                spec.callbacks.len(),
                spec.types.len()
            );
            Exit::Ok
        }
        Err(diags) => {
            for d in diags.iter() {
                outln!("{d}");
            }
            outln!("{} problem(s)", diags.len());
            FOUND
        }
    }
}
