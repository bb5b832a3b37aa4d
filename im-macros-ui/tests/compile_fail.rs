//! Spec mistakes are compile errors naming file:line:col, the entry and the
//! field. The .stderr files are blessed on the pinned toolchain with
//! `TRYBUILD=overwrite cargo test -p im-macros-ui --test compile_fail`.
//!
//! Compile-fail cases only, so trybuild runs `cargo check` (no codegen of
//! im-api's dependencies); a passing, warning-free expansion is compiled by
//! the e2e crate (`tests/src/lib.rs`, under clippy `-D warnings`).

#[test]
fn spec_errors() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
