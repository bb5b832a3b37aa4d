//! Run the emulator standalone on a loopback port until interrupted.
//!
//!     cargo run -p im-api --features emulator --example emulator -- [--listen 127.0.0.1:8080] [--accounts N]

use im_api::emulator::Emulator;
use im_api::types::GroupType;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (mut listen, mut n) = ("127.0.0.1:8080".to_owned(), 100usize);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--listen" => listen = args.next().ok_or("--listen ADDR")?,
            "--accounts" => n = args.next().ok_or("--accounts N")?.parse()?,
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let addr: std::net::SocketAddr = listen.parse()?;
    if !addr.ip().is_loopback() {
        return Err("the emulator listens on loopback addresses only".into());
    }
    let accounts: Vec<String> = (0..n).map(|i| format!("user{i}")).collect();
    let emu = Emulator::builder()
        .listen(addr)
        .accounts(accounts.iter().cloned())
        .group(
            "@TGS#DEMO",
            GroupType::Public,
            accounts.iter().take(50).cloned(),
        )
        .group(
            "@TGS#LIVE",
            GroupType::AvChatRoom,
            accounts.iter().take(10).cloned(),
        )
        .broadcast_enabled(true)
        .start()
        .await?;
    println!("emulator listening on {}", emu.base_url());
    // The key is random unless set; print it once so a client can sign.
    println!(
        "sdkappid {}  identifier {}  secret key {}",
        emu.sdkappid(),
        emu.identifier(),
        emu.secret_key().expose()
    );
    println!(
        "accounts user0..user{}, groups @TGS#DEMO (Public) and @TGS#LIVE (AVChatRoom)",
        n.saturating_sub(1)
    );
    std::future::pending::<()>().await;
    Ok(())
}
