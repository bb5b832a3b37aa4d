//! The end-to-end suite as one test binary (like cargo's `tests/testsuite`):
//! one link of im-api and hyper instead of one per file.

mod delivery;
mod emulator;
mod errors;
mod extension;
mod golden_wire;
mod redaction;
mod seeds_through_emulator;
mod surface;
mod usersig_vectors;
mod validation;
