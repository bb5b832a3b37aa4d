//! `im`: the command-line tool for the Tencent Cloud IM server REST API.
//!
//! Exit codes (a stable contract): 0 success; 1 the server answered a
//! failure (or some accounts of a batch failed); 2 invalid input, nothing
//! sent; 3 transport failed after retries.

// First: the `outln!`/`errln!` macros are visible in the modules below.
#[macro_use]
mod out;

mod batch;
mod call;
mod callbacks;
mod config;
mod demo;
mod endpoints;
mod serve;
mod spec;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use config::Globals;

/// The exit codes of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok = 0,
    ServerFailure = 1,
    Invalid = 2,
    Transport = 3,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e as u8)
    }
}

/// Report a usage problem: nothing was sent.
pub fn invalid(msg: impl std::fmt::Display) -> Exit {
    errln!("im: {msg}");
    Exit::Invalid
}

#[derive(Debug, Parser)]
#[command(
    name = "im",
    version,
    about = "Tencent Cloud IM server REST API from the shell",
    propagate_version = true,
    after_help = "Exit codes: 0 success; 1 the server answered a failure (or some accounts of a batch failed); \
                  2 invalid input, nothing sent; 3 transport failed after retries."
)]
struct Cli {
    #[command(flatten)]
    globals: Globals,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print a UserSig for USER (needs --sdkappid and --secret-key)
    Usersig {
        user: String,
        /// Validity in seconds
        #[arg(long, default_value_t = 180 * 86400)]
        expire: u64,
    },
    /// Call SERVICE/COMMAND with a JSON body (text, @file, or - / absent for stdin)
    Call {
        /// e.g. group_open_http_svc/send_group_msg
        endpoint: String,
        body: Option<String>,
        /// Refuse body keys the spec does not model (by default they are sent, with a warning)
        #[arg(long)]
        strict: bool,
    },
    /// Send one message to every account listed in a file, one per line
    BatchSend {
        #[arg(long, value_name = "FILE")]
        to_file: PathBuf,
        /// Sender the recipients see
        #[arg(long, value_name = "ACCOUNT")]
        from: Option<String>,
        /// A text message
        #[arg(
            long,
            required_unless_present = "msg_body",
            conflicts_with = "msg_body"
        )]
        text: Option<String>,
        /// A MsgBody array as JSON text or @file
        #[arg(long, value_name = "JSON|@FILE")]
        msg_body: Option<String>,
    },
    /// List the spec's endpoints: whether the emulator emulates each, rate limits
    Endpoints,
    /// Run the local emulator (uses --sdkappid/--identifier/--secret-key when given; the key is random otherwise)
    Emulator {
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Call the app back here, as Tencent does once a callback URL is configured (e.g. `im callbacks serve`)
        #[arg(long, value_name = "URL")]
        callback_url: Option<String>,
        /// Token the callbacks are signed with; none: unsigned
        #[arg(
            long,
            value_name = "TOKEN",
            requires = "callback_url",
            env = "IM_CALLBACK_TOKEN",
            hide_env_values = true
        )]
        callback_token: Option<String>,
    },
    /// The offline tour: a group message, a batch send and a broadcast
    Demo,
    /// Receive Tencent's callbacks (webhooks): `im callbacks serve --token T`
    Callbacks {
        #[command(subcommand)]
        command: callbacks::Callbacks,
    },
    /// Work on the spec: export as OpenAPI 3.1, import (compare) an OpenAPI document, diff two versions, lint
    Spec {
        #[command(subcommand)]
        command: spec::SpecCommand,
    },
}

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let mut cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    cli.globals.note_sources(&matches);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            errln!("im: cannot start the runtime: {e}");
            return ExitCode::from(3);
        }
    };
    runtime.block_on(run(cli)).into()
}

async fn run(cli: Cli) -> Exit {
    let g = cli.globals;
    match cli.command {
        Command::Usersig { user, expire } => {
            let (app, key) = match (g.sdkappid(), g.secret_key()) {
                (Ok(app), Some(key)) => (app, key),
                (Err(e), _) => return invalid(e),
                (_, None) => return invalid("missing --secret-key (or IM_SECRET_KEY)"),
            };
            outln!(
                "{}",
                im_api::Signer::new(app, im_api::SecretKey::new(key)).sign(&user, expire)
            );
            Exit::Ok
        }
        Command::Call {
            endpoint,
            body,
            strict,
        } => call::run(&g, &endpoint, body.as_deref(), strict).await,
        Command::BatchSend {
            to_file,
            from,
            text,
            msg_body,
        } => batch::run(&g, &to_file, from, text, msg_body).await,
        Command::Endpoints => endpoints::run(),
        Command::Emulator {
            listen,
            callback_url,
            callback_token,
        } => serve::run(&g, listen, callback_url, callback_token).await,
        Command::Demo => demo::run(&g).await,
        Command::Callbacks { command } => callbacks::run(&g, command).await,
        Command::Spec { command } => spec::run(command),
    }
}
