//! Writing to stdout and stderr without panicking. `println!` panics when
//! the reader of a pipe went away (`im endpoints | head -1` ended with exit
//! 101); here a closed stdout ends the output quietly and the command still
//! exits with the contract's code for what it did. Use `outln!` and `errln!`
//! instead of `println!` and `eprintln!`.

use std::fmt;
use std::io::{ErrorKind, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once a write to stdout failed: later lines are dropped.
static STDOUT_GONE: AtomicBool = AtomicBool::new(false);
static STDERR_GONE: AtomicBool = AtomicBool::new(false);

/// Whether stdout still takes output (long listings stop early otherwise).
pub fn stdout_open() -> bool {
    !STDOUT_GONE.load(Ordering::Relaxed)
}

/// Write one line to stdout; after a failed write, drop the rest.
pub fn stdout_line(args: fmt::Arguments<'_>) {
    if !stdout_open() {
        return;
    }
    let mut out = std::io::stdout().lock();
    if let Err(e) = writeln!(out, "{args}").and_then(|()| out.flush()) {
        STDOUT_GONE.store(true, Ordering::Relaxed);
        drop(out);
        if e.kind() != ErrorKind::BrokenPipe {
            // A full disk and the like: say so once; a closed pipe is the
            // reader's choice and stays quiet.
            stderr_line(format_args!("im: cannot write to stdout: {e}"));
        }
    }
}

/// Write one line to stderr, ignoring a closed stderr.
pub fn stderr_line(args: fmt::Arguments<'_>) {
    if STDERR_GONE.load(Ordering::Relaxed) {
        return;
    }
    let mut err = std::io::stderr().lock();
    if writeln!(err, "{args}").is_err() {
        STDERR_GONE.store(true, Ordering::Relaxed);
    }
}

/// `println!` that never panics (see the module docs).
macro_rules! outln {
    () => {
        $crate::out::stdout_line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::out::stdout_line(format_args!($($arg)*))
    };
}

/// `eprintln!` that never panics.
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::out::stderr_line(format_args!($($arg)*))
    };
}
