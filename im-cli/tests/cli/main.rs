//! The `im` command as users run it: one test binary (one link of im-api
//! and its dependencies instead of one per file).

mod batch_limits;
mod callbacks;
mod commands;
mod spec;
