//! Nothing here: the compile-fail cases are in `tests/ui`, run by
//! `tests/compile_fail.rs`.
