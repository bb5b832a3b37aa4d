//! `im demo`, the offline tour: a group message, a batch send to more than
//! 500 accounts and a broadcast, against the embedded emulator; or against
//! Tencent's servers when credentials are given (global options or IM_*
//! variables), plus IM_DEMO_GROUP and IM_DEMO_TO (comma-separated accounts).

use im_api::api::{batchsendmsg, send_broadcast_msg, send_group_msg};
use im_api::emulator::Emulator;
use im_api::types::{GroupType, MsgElement, MsgPriority};

use crate::config::Globals;
use crate::{invalid, Exit};

pub async fn run(g: &Globals) -> Exit {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let mut emulator = None;
    let (client, group, accounts) = if g.has_credentials() || g.has_target() {
        let client = match g.client() {
            Ok(c) => c,
            Err(e) => return invalid(e),
        };
        let (Some(group), Some(to)) = (env("IM_DEMO_GROUP"), env("IM_DEMO_TO")) else {
            return invalid("with credentials, set IM_DEMO_GROUP (a group of your app) and IM_DEMO_TO (acc1,acc2,...)");
        };
        outln!("credentials given: talking to {}", client.base_url());
        (
            client,
            group,
            to.split(',').map(str::to_owned).collect::<Vec<_>>(),
        )
    } else {
        let accounts: Vec<String> = (0..1200).map(|i| format!("user{i:04}")).collect();
        let emu = match Emulator::builder()
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
            .await
        {
            Ok(e) => e,
            Err(e) => return invalid(format!("cannot start the emulator: {e}")),
        };
        outln!(
            "no credentials given: using the embedded emulator at {}",
            emu.base_url()
        );
        let client = emu.client();
        emulator = Some(emu);
        let mut to = accounts;
        to.extend(["ghost-1".to_owned(), "ghost-2".to_owned()]);
        (client, "@TGS#DEMO".to_owned(), to)
    };
    let mut exit = Exit::Ok;

    outln!("\n1. send_group_msg to {group}");
    let welcome = MsgElement::custom_json(&serde_json::json!({"type": "welcome"}))
        .expect("a JSON literal encodes");
    match client
        .send_group_msg(
            send_group_msg::Request::new(&*group, [MsgElement::text("Hello from im-api"), welcome])
                .msg_priority(MsgPriority::High),
        )
        .await
    {
        Ok(r) => outln!("   ok: MsgSeq {}, MsgTime {}", r.msg_seq, r.msg_time),
        Err(e) => {
            outln!("   failed: {e}");
            exit = Exit::ServerFailure;
        }
    }

    outln!(
        "\n2. batchsendmsg fan-out to {} accounts (at most 500 per request, paced)",
        accounts.len()
    );
    let report = client
        .fan_out(accounts, [MsgElement::text("Your weekly digest")])
        .send()
        .await;
    match report {
        Ok(r) => {
            outln!(
                "   delivered to {} of {} in {} requests",
                r.delivered,
                r.items,
                r.requests
            );
            for f in &r.failed {
                outln!(
                    "   not delivered: {} ({})",
                    f.item,
                    f.code
                        .map_or_else(|| f.reason.clone(), |c| format!("{c}: {}", f.reason))
                );
            }
        }
        Err(e) => {
            outln!("   refused: {e}");
            exit = Exit::ServerFailure;
        }
    }

    outln!("\n3. send_broadcast_msg to every AVChatRoom group");
    match client
        .send_broadcast_msg(send_broadcast_msg::Request::new([MsgElement::text(
            "Live event starts now",
        )]))
        .await
    {
        Ok(r) => outln!("   ok: MsgSeq {}", r.msg_seq),
        Err(e) => outln!("   refused: {e}"),
    }

    outln!("\n4. a bad request is refused before sending");
    let bad = client
        .batchsendmsg(batchsendmsg::Request::new(
            Vec::<String>::new(),
            Vec::<MsgElement>::new(),
        ))
        .await;
    if let Err(e) = bad {
        outln!("   {e}");
    }

    if let Some(emu) = &emulator {
        outln!("\n5. what the emulator recorded");
        outln!(
            "   user0000 received {} messages, user0055 (in a live room) {}; answers by code: {:?}",
            emu.inbox("user0000").len(),
            emu.inbox("user0055").len(),
            emu.stats().by_code
        );
    }
    exit
}
