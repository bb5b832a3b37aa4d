//! `im`: the command-line tool for the Tencent Cloud IM server REST API.
//!
//! Exit codes (a stable contract): 0 success; 1 the server answered a
//! failure (or some accounts of a batch failed); 2 invalid input, nothing
//! sent; 3 transport failed after retries.

mod batch;
mod call;
mod config;
mod demo;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
    eprintln!("im: {msg}");
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
    /// List the spec's endpoints with their rate limits
    Endpoints,
    /// Run the local emulator (uses --sdkappid/--identifier/--secret-key when given)
    Emulator {
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
    },
    /// The offline tour: a group message, a batch send and a broadcast
    Demo,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("im: cannot start the runtime: {e}");
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
            println!(
                "{}",
                im_api::Signer::new(app, im_api::SecretKey::new(key)).sign(&user, expire)
            );
            Exit::Ok
        }
        Command::Call { endpoint, body } => call::run(&g, &endpoint, body.as_deref()).await,
        Command::BatchSend {
            to_file,
            from,
            text,
            msg_body,
        } => batch::run(&g, &to_file, from, text, msg_body).await,
        Command::Endpoints => {
            for e in im_api::ENDPOINTS {
                let rate = e
                    .per_second
                    .map_or_else(|| "-".to_owned(), |r| format!("{r}/s"));
                let group = e
                    .per_group_per_second
                    .map(|r| format!(", {r}/s per group"))
                    .unwrap_or_default();
                let aliases = if e.aliases.is_empty() {
                    String::new()
                } else {
                    format!(" (also {})", e.aliases.join(", "))
                };
                println!(
                    "{:<55} {:>6}{group}  {}{aliases}",
                    e.service_command(),
                    rate,
                    e.summary
                );
            }
            Exit::Ok
        }
        Command::Emulator { listen } => emulator(&g, listen).await,
        Command::Demo => demo::run(&g).await,
    }
}

async fn emulator(g: &Globals, listen: SocketAddr) -> Exit {
    if !listen.ip().is_loopback() {
        return invalid("the emulator listens on loopback addresses only");
    }
    let mut b = im_api::emulator::Emulator::builder()
        .listen(listen)
        .broadcast_enabled(true);
    if let Ok(app) = g.sdkappid() {
        b = b.sdkappid(app);
    }
    if let Some(key) = g.secret_key() {
        b = b.secret_key(key);
    }
    if let Some(id) = g.identifier() {
        b = b.admin(id);
    }
    let emu = match b.start().await {
        Ok(e) => e,
        Err(e) => return invalid(format!("cannot listen on {listen}: {e}")),
    };
    println!("emulator listening on {}", emu.base_url());
    println!(
        "sdkappid {}; admins {}; sign UserSigs with its secret key",
        emu.sdkappid(),
        im_api::emulator::DEFAULT_ADMIN
    );
    let _ = tokio::signal::ctrl_c().await;
    Exit::Ok
}
