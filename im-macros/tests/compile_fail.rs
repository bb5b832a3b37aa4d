//! Spec mistakes are compile errors naming file:line:col, the entry and the
//! field. The .stderr files are blessed on the pinned toolchain with
//! `TRYBUILD=overwrite cargo test -p im-macros --test compile_fail`.

#[test]
fn spec_errors() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.pass("tests/pass/*.rs");
}
