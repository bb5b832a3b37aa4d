//! The offline tour: a group message, a batch send to more than 500 accounts
//! and a broadcast, against the embedded emulator (or Tencent's servers when
//! IM_SDKAPPID, IM_IDENTIFIER, IM_SECRET_KEY and IM_REGION or IM_BASE_URL are set,
//! plus IM_DEMO_GROUP and IM_DEMO_TO, a comma-separated account list).
//!
//!     cargo run -p im-api --features emulator --example tour

use im_api::api::{batchsendmsg, send_broadcast_msg, send_group_msg};
use im_api::emulator::Emulator;
use im_api::types::{GroupType, MsgElement, MsgPriority};
use im_api::{Client, Region};

const CHUNK: usize = 500;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let mut _emulator = None;
    let (client, group, live, accounts) = match (
        env("IM_SDKAPPID"),
        env("IM_IDENTIFIER"),
        env("IM_SECRET_KEY"),
    ) {
        (Some(app), Some(admin), Some(key)) => {
            let mut b = Client::builder()
                .sdkappid(app.parse()?)
                .identifier(admin)
                .secret_key(key);
            b = match (env("IM_BASE_URL"), env("IM_REGION")) {
                (Some(url), _) => b.base_url(url),
                (None, Some(r)) => b.region(Region::parse(&r).ok_or("unknown IM_REGION")?),
                (None, None) => return Err("set IM_REGION or IM_BASE_URL".into()),
            };
            let group = env("IM_DEMO_GROUP").ok_or("set IM_DEMO_GROUP to a group of your app")?;
            let to: Vec<String> = env("IM_DEMO_TO")
                .ok_or("set IM_DEMO_TO=acc1,acc2,...")?
                .split(',')
                .map(str::to_owned)
                .collect();
            println!("credentials found: talking to Tencent Cloud IM");
            (b.build()?, group, None, to)
        }
        _ => {
            let accounts: Vec<String> = (0..1200).map(|i| format!("user{i:04}")).collect();
            let emu = Emulator::builder()
                .accounts(accounts.iter().cloned())
                .group(
                    "@TGS#DEMO",
                    GroupType::Public,
                    accounts[..50].iter().cloned(),
                )
                .group(
                    "@TGS#LIVE1",
                    GroupType::AvChatRoom,
                    accounts[50..60].iter().cloned(),
                )
                .group(
                    "@TGS#LIVE2",
                    GroupType::AvChatRoom,
                    accounts[60..65].iter().cloned(),
                )
                .broadcast_enabled(true)
                .start()
                .await?;
            println!(
                "no credentials in the environment: using the embedded emulator at {}",
                emu.base_url()
            );
            let client = emu.client();
            _emulator = Some(emu);
            let mut to = accounts[..1200].to_vec();
            to.extend(["ghost-1".to_owned(), "ghost-2".to_owned()]);
            (client, "@TGS#DEMO".to_owned(), Some(()), to)
        }
    };

    println!("\n1. send_group_msg to {group}");
    let sent = client
        .send_group_msg(
            send_group_msg::Request::new(
                &*group,
                [
                    MsgElement::text("Hello from im-api"),
                    MsgElement::custom_json(&serde_json::json!({"type": "welcome"}))?,
                ],
            )
            .msg_priority(MsgPriority::High),
        )
        .await?;
    println!("   ok: MsgSeq {}, MsgTime {}", sent.msg_seq, sent.msg_time);

    println!(
        "\n2. batchsendmsg to {} accounts, {} per request",
        accounts.len(),
        CHUNK
    );
    let (mut delivered, mut failed) = (0usize, Vec::new());
    for (i, chunk) in accounts.chunks(CHUNK).enumerate() {
        let resp = client
            .batchsendmsg(batchsendmsg::Request::new(
                chunk.iter().cloned(),
                [MsgElement::text("Your weekly digest")],
            ))
            .await?;
        delivered += chunk.len() - resp.error_list.len();
        println!(
            "   request {}: {} accounts, {} failed, MsgKey {}",
            i + 1,
            chunk.len(),
            resp.error_list.len(),
            resp.msg_key.as_deref().unwrap_or("-")
        );
        failed.extend(
            resp.error_list
                .into_iter()
                .map(|e| (e.to_account, e.error_code)),
        );
    }
    println!("   delivered to {delivered}; failed: {failed:?}");

    println!("\n3. send_broadcast_msg to every AVChatRoom group");
    match client
        .send_broadcast_msg(send_broadcast_msg::Request::new([MsgElement::text(
            "Live event starts now",
        )]))
        .await
    {
        Ok(r) => println!("   ok: MsgSeq {}", r.msg_seq),
        Err(e) => println!("   refused: {e}"),
    }

    println!("\n4. what a bad request looks like (nothing is sent)");
    let err = client
        .batchsendmsg(batchsendmsg::Request::new(
            Vec::<String>::new(),
            Vec::<MsgElement>::new(),
        ))
        .await
        .unwrap_err();
    println!("   {err}");

    if let (Some(emu), Some(())) = (&_emulator, live) {
        println!("\n5. what the emulator recorded");
        println!(
            "   user0000 received {} messages, user0055 {} (a live-room member)",
            emu.inbox("user0000").len(),
            emu.inbox("user0055").len()
        );
        println!("   {:?}", emu.stats().by_code);
    }
    Ok(())
}
