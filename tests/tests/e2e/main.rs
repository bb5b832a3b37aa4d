//! The end-to-end suite as one test binary (like cargo's `tests/testsuite`):
//! one link of im-api and hyper instead of one per file.

mod callbacks;
mod client_limits;
mod delivery;
mod emu_conversation;
mod emu_group;
mod emu_group_more;
mod emu_limits;
mod emu_messages;
mod emu_misc;
mod emu_push;
mod emu_social;
mod emulator;
mod errors;
mod extension;
mod fuzz;
mod golden_wire;
mod limits;
mod redaction;
mod redis_limiter;
mod samples;
mod scenario;
mod seeds_through_emulator;
mod surface;
mod usersig_vectors;
mod validation;
